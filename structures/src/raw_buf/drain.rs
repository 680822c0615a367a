//! [`Drain`]: the by-value iterator over a range removed from a [`RawBuf`].

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::ops::{Bound, Range, RangeBounds};
use std::ptr::{self, NonNull};

use super::RawBuf;
use super::raw::RawIter;
use crate::seeded;

/// An iterator that removes a range of elements from a [`RawBuf`] and yields them by value,
/// from either end. Created by [`RawBuf::drain`].
///
/// Dropping it drops the elements it did not yield and moves the elements after the range back
/// to close the gap. Leaking it (with [`mem::forget`](std::mem::forget)) leaves the buffer
/// holding only the elements before the range; the rest are leaked, never dropped twice.
pub struct Drain<'a, T> {
    /// The buffer being drained, borrowed exclusively for `'a`.
    ///
    /// Invariant: while the `Drain` lives, the buffer's `len` is the start of the drained range,
    /// so the buffer owns only the elements before it.
    buf: NonNull<RawBuf<T>>,
    /// The drained elements not yet yielded, in the buffer's memory, which cannot reallocate
    /// while it is borrowed.
    iter: RawIter<T>,
    /// Invariant: the slots of `iter` lie between `buf.len` and `tail_start`, and
    /// `tail_start + tail_len <= buf.capacity()`. Slots `tail_start..tail_start + tail_len` hold
    /// the elements after the range (initialised, owned by the `Drain` until it puts them back);
    /// all other slots from `buf.len` on, outside `iter`, are moved out.
    tail_start: usize,
    tail_len: usize,
    /// Covariant in `T`, like `slice::Iter<'a, T>`: a `Drain` only moves values out of the
    /// buffer and back within it, never stores new ones.
    _marker: Borrow<'a, T>,
}

/// The marker of the borrow: covariant in `'a` and `T`.
#[cfg(not(lockstep_type_bug = "raw_buf-drain-contravariant"))]
type Borrow<'a, T> = PhantomData<&'a T>;
/// The seeded type-level bug `raw_buf-drain-contravariant`: contravariant in `'a`.
#[cfg(lockstep_type_bug = "raw_buf-drain-contravariant")]
type Borrow<'a, T> = PhantomData<(fn(&'a ()), *const T)>;

// SAFETY: a `Drain` acts as an exclusive borrow of the buffer (`&mut RawBuf<T>` is `Send` when
// `T: Send`) and moves `T`s out to its user: both are sound across threads when `T: Send`.
unsafe impl<T: Send> Send for Drain<'_, T> {}

// SAFETY: through a `&Drain` only `&T`s are reachable (`as_slice`), so sharing it is sound when
// `T: Sync`.
unsafe impl<T: Sync> Sync for Drain<'_, T> {}

impl<'a, T> Drain<'a, T> {
    /// Starts draining `range` of `buf`.
    ///
    /// # Panics
    /// Panics if the range is invalid for `buf.len`.
    #[track_caller]
    pub(super) fn new<R: RangeBounds<usize>>(buf: &'a mut RawBuf<T>, range: R) -> Self {
        let len = buf.len;
        let Range { start, end } = slice_range(range, len);
        // Leak amplification: from here on the buffer owns only `0..start`, so leaking the
        // `Drain` leaks the range and the tail but never exposes a moved-out slot.
        buf.len = start;
        // SAFETY: `start <= end <= len <= capacity`, so the slots are in the buffer's memory,
        // which the exclusive borrow keeps live and in place for `'a`; they hold the initialised
        // drained elements, which the buffer gave up above.
        let iter = unsafe { RawIter::new(buf.mem.non_null(), start, end) };
        Drain {
            // Created last: later uses of `buf` itself would invalidate this pointer.
            buf: NonNull::from(buf),
            iter,
            tail_start: end,
            tail_len: len - end,
            _marker: PhantomData,
        }
    }

    /// The elements not yet yielded, as a slice.
    pub fn as_slice(&self) -> &[T] {
        self.iter.as_slice()
    }
}

impl<T> Iterator for Drain<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.iter.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.iter.len(), Some(self.iter.len()))
    }
}

impl<T> DoubleEndedIterator for Drain<'_, T> {
    fn next_back(&mut self) -> Option<T> {
        self.iter.next_back()
    }
}

impl<T> ExactSizeIterator for Drain<'_, T> {}

impl<T> FusedIterator for Drain<'_, T> {}

impl<T> Drop for Drain<'_, T> {
    fn drop(&mut self) {
        /// Moves the tail back and restores the buffer's length, also when dropping one of the
        /// remaining drained elements panics.
        struct MoveTailOnDrop<'r, 'a, T>(&'r mut Drain<'a, T>);

        impl<T> Drop for MoveTailOnDrop<'_, '_, T> {
            fn drop(&mut self) {
                let drain = &mut *self.0;
                // SAFETY: `drain.buf` comes from the exclusive borrow of the buffer that the
                // `Drain` holds for `'a`, so it is live and nothing else accesses it.
                let buf = unsafe { drain.buf.as_mut() };
                let start = buf.len;
                let (tail_start, tail_len) = (drain.tail_start, drain.tail_len);
                if tail_len > 0 && tail_start != start {
                    debug_assert!(
                        start < tail_start && tail_start + tail_len <= buf.mem.capacity(),
                        "copy dst={start} src={tail_start} len={tail_len} cap={}",
                        buf.mem.capacity()
                    );
                    // SAFETY: 1. the source `tail_start..tail_start + tail_len` holds the
                    //    initialised tail, in bounds (field invariants);
                    // 2. the destination `start..start + tail_len` is in bounds as
                    //    `start < tail_start`, and holds only moved-out slots;
                    // the length is set right below.
                    unsafe { move_tail(buf.mem.ptr(), start, tail_start, tail_len) };
                }
                buf.len = start + tail_len;
            }
        }

        // The remaining elements now belong to `to_drop`.
        let to_drop = self.iter.take_rest();
        let _guard = MoveTailOnDrop(self);
        // SAFETY: `to_drop` is the initialised, not yet yielded elements, owned by nobody else
        // (the `Drain` gave them up above), so each is dropped exactly once. If a destructor
        // panics, the slice's drop glue drops the rest and `_guard` still restores the buffer.
        unsafe { ptr::drop_in_place(to_drop) };
    }
}

impl<T: fmt::Debug> fmt::Debug for Drain<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Drain").field(&self.as_slice()).finish()
    }
}

/// Moves the `tail_len` elements at `tail_start` down to `start`, where they may overlap.
///
/// # Safety
/// `base` points to an allocation holding initialised elements at
/// `tail_start..tail_start + tail_len`, in bounds, as is `start..start + tail_len`; the
/// elements of the destination outside the source are moved out.
unsafe fn move_tail<T>(base: *mut T, start: usize, tail_start: usize, tail_len: usize) {
    seeded::hook!(RawBufDrainOverread =>
        super::deviations::move_tail_overread(base, start, tail_start, tail_len));
    // SAFETY: both ranges are in bounds of one allocation (caller) and `ptr::copy` allows the
    // overlap; the source is initialised, and what it overwrites was moved out (caller).
    unsafe { ptr::copy(base.add(tail_start), base.add(start), tail_len) };
}

/// Converts `range` into a checked `start..end` with `start <= end <= len`.
///
/// # Panics
/// With the messages of `std::slice::range`, naming the offending values.
#[track_caller]
pub(super) fn slice_range<R: RangeBounds<usize>>(range: R, len: usize) -> Range<usize> {
    seeded::hook!(RawBufDrainInclusive => super::deviations::slice_range_exclusive_end(range, len));
    let start = match range.start_bound() {
        Bound::Included(&start) => start,
        Bound::Excluded(&start) => match start.checked_add(1) {
            Some(start) => start,
            None => panic!("attempted to index slice from after maximum usize"),
        },
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&end) => match end.checked_add(1) {
            Some(end) => end,
            None => panic!("attempted to index slice up to maximum usize"),
        },
        Bound::Excluded(&end) => end,
        Bound::Unbounded => len,
    };
    if start > end {
        panic!("slice index starts at {start} but ends at {end}");
    }
    if end > len {
        panic!("range end index {end} out of range for slice of length {len}");
    }
    start..end
}
