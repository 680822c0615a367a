//! [`IntoIter`]: the owning iterator of a [`RawBuf`](super::RawBuf).

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::slice;

use super::FreeOnDrop;

/// An iterator that moves the elements out of a [`RawBuf`](super::RawBuf), from either end.
/// Created by its `into_iter` (from [`IntoIterator`]).
///
/// It owns the buffer's allocation: dropping it drops the elements it did not yield and frees
/// the memory. Leaking it (with [`mem::forget`](std::mem::forget)) leaks both, which is never
/// undefined behaviour.
pub struct IntoIter<T> {
    /// The allocation taken over from the buffer.
    ///
    /// Invariant: as `RawBuf::ptr` for capacity `cap`: dangling if `T` is zero-sized or
    /// `cap == 0`, else a live allocation made with `Layout::array::<T>(cap)`, owned by the
    /// iterator alone.
    buf: NonNull<T>,
    /// The allocation's capacity (`usize::MAX` for zero-sized `T`).
    cap: usize,
    /// Invariant: `start <= end <= cap`. Slots `start..end` hold the elements not yet yielded
    /// (initialised, owned by the iterator); every other slot is moved out or was never
    /// initialised.
    start: usize,
    end: usize,
    /// Tells the drop checker that an `IntoIter<T>` owns and drops values of type `T`.
    _owns: PhantomData<T>,
}

// SAFETY: an `IntoIter<T>` owns its elements and its allocation exclusively, like the buffer it
// came from: sending it moves the `T`s to another thread, sound when `T: Send`.
unsafe impl<T: Send> Send for IntoIter<T> {}

// SAFETY: through a `&IntoIter<T>` only `&T`s are reachable (`as_slice`), so sharing it is
// sound when `T: Sync`.
unsafe impl<T: Sync> Sync for IntoIter<T> {}

impl<T> IntoIter<T> {
    /// Takes over a buffer's allocation and its `len` elements.
    ///
    /// # Safety
    /// `buf`, `cap` and `len` satisfy the invariants of `RawBuf`'s fields (`len <= cap`, slots
    /// `0..len` initialised, `buf` dangling or a live allocation made with
    /// `Layout::array::<T>(cap)`), and the caller gives up ownership of all of it: it neither
    /// frees the allocation nor touches the elements afterwards.
    pub(super) unsafe fn new(buf: NonNull<T>, cap: usize, len: usize) -> Self {
        debug_assert!(len <= cap, "IntoIter len={len} cap={cap}");
        IntoIter {
            buf,
            cap,
            start: 0,
            end: len,
            _owns: PhantomData,
        }
    }

    /// The elements not yet yielded, as a slice.
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: slots `start..end` are initialised elements in bounds of the allocation (field
        // invariants), not mutated while the returned borrow of `self` lives.
        unsafe { slice::from_raw_parts(self.buf.as_ptr().add(self.start), self.end - self.start) }
    }

    /// The elements not yet yielded, as a mutable slice.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`; the exclusive borrow of `self` makes the returned reference
        // the only way to reach them while it lives.
        unsafe {
            slice::from_raw_parts_mut(self.buf.as_ptr().add(self.start), self.end - self.start)
        }
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.start == self.end {
            return None;
        }
        let index = self.start;
        self.start += 1;
        // SAFETY: `index` was in `start..end`, so its slot holds an initialised element in
        // bounds; with `start` advanced the iterator no longer owns it, so the value is moved
        // out exactly once.
        Some(unsafe { self.buf.as_ptr().add(index).read() })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.end - self.start;
        (remaining, Some(remaining))
    }
}

impl<T> DoubleEndedIterator for IntoIter<T> {
    fn next_back(&mut self) -> Option<T> {
        if self.start == self.end {
            return None;
        }
        self.end -= 1;
        // SAFETY: as in `next`: slot `end` was the last one of `start..end`, and with `end`
        // lowered the iterator no longer owns it.
        Some(unsafe { self.buf.as_ptr().add(self.end).read() })
    }
}

impl<T> ExactSizeIterator for IntoIter<T> {}

impl<T> FusedIterator for IntoIter<T> {}

impl<T> Drop for IntoIter<T> {
    fn drop(&mut self) {
        // SAFETY: `buf` and `cap` describe the allocation the iterator owns (field invariants),
        // which nobody else frees and which is not used after this destructor.
        let _free = unsafe { FreeOnDrop::new(self.buf, self.cap) };
        // SAFETY: slots `start..end` are the initialised elements the iterator still owns, in
        // bounds, dropped exactly once here. If a destructor panics, the slice's drop glue drops
        // the rest, then `_free` releases the memory.
        unsafe {
            let rest = ptr::slice_from_raw_parts_mut(
                self.buf.as_ptr().add(self.start),
                self.end - self.start,
            );
            ptr::drop_in_place(rest);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IntoIter").field(&self.as_slice()).finish()
    }
}
