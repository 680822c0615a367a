//! [`RawBuf<T>`]: a growable contiguous buffer written directly over [`std::alloc`], doing
//! `Vec`'s job by hand.
//!
//! The buffer owns one allocation made with `Layout::array::<T>(capacity)` and keeps its first
//! `len` slots initialised. It grows by amortised doubling as std's `RawVec` does, never
//! allocates for zero-sized `T` (whose capacity is `usize::MAX`), and handles over-aligned `T`.
//! Every growth method that can fail has a `try_` twin returning [`TryReserveError`].
//!
//! Panic safety follows std: the buffer is put in a valid state before user code (an element's
//! `Clone` or `Drop`, a predicate) runs, and drop guards finish the job during unwinding, so
//! after a panic nothing is dropped twice and nothing the buffer still owns is leaked. Leaking a
//! [`Drain`] or an [`IntoIter`] with [`mem::forget`](std::mem::forget) leaks elements but is
//! never undefined behaviour.
//!
//! ```
//! use structures::raw_buf::RawBuf;
//!
//! let mut buf = RawBuf::new();
//! buf.extend_from_slice(&[1, 2, 3, 4, 5]);
//! buf.insert(0, 0);
//! assert_eq!(buf.drain(1..3).collect::<Vec<_>>(), [1, 2]);
//! buf.retain(|&x| x != 4);
//! assert_eq!(buf, [0, 3, 5]);
//! buf.check_invariants();
//! ```

#[cfg(feature = "seeded-bugs")]
mod deviations;
mod drain;
mod error;
mod into_iter;
mod raw;
#[cfg(test)]
mod tests;

pub use drain::Drain;
pub use error::TryReserveError;
pub use into_iter::IntoIter;

use std::borrow::{Borrow, BorrowMut};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut, RangeBounds};
use std::panic::UnwindSafe;
use std::ptr;
use std::slice::{self, SliceIndex};

use crate::seeded;
use raw::{RawMem, handle_reserve_error};

/// A growable contiguous buffer of `T`, managed by hand over the global allocator.
///
/// `RawBuf<T>` behaves like `Vec<T>`: it dereferences to `[T]`, grows by amortised doubling
/// and frees its memory when dropped. Zero-sized `T` never allocates; over-aligned `T` is
/// allocated with its alignment.
pub struct RawBuf<T> {
    /// The memory: one allocation made with `Layout::array::<T>(capacity)`, or none (for
    /// zero-sized `T`, or no capacity). Only raw pointers derived from it are used to reach the
    /// elements, so handing out `as_ptr` never invalidates `as_mut_ptr` and vice versa.
    mem: RawMem<T>,
    /// Number of initialised elements.
    ///
    /// Invariant: `len <= mem.capacity()`; slots `0..len` hold initialised values of `T` owned
    /// by the buffer; the other slots are treated as uninitialised.
    len: usize,
    /// Tells the drop checker that a `RawBuf<T>` owns and drops values of type `T`.
    _owns: Owns<T>,
}

/// The marker of ownership of `T`s.
#[cfg(not(lockstep_type_bug = "raw_buf-dropck-escape"))]
type Owns<T> = PhantomData<T>;
/// The seeded type-level bug `raw_buf-dropck-escape`: no marker of ownership (with the
/// `#[may_dangle]` of the `Drop` impls, drop check believes no `T` is dropped).
#[cfg(lockstep_type_bug = "raw_buf-dropck-escape")]
type Owns<T> = PhantomData<fn() -> T>;

// SAFETY: a `RawBuf<T>` owns its elements and its allocation exclusively, exactly like
// `Vec<T>`: sending it to another thread moves the `T`s there, which is sound when `T: Send`.
unsafe impl<T: Send> Send for RawBuf<T> {}

// SAFETY: through a `&RawBuf<T>` only shared access to the elements (`&T`) is possible, and no
// method taking `&self` mutates anything; so sharing it between threads is sound when
// `T: Sync`.
unsafe impl<T: Sync> Sync for RawBuf<T> {}

/// A `RawBuf<T>` owns its `T`s as `Vec<T>` does, so it is unwind safe when they are (the raw
/// pointer inside would otherwise ask `T: RefUnwindSafe`; `lockstep audit` found the difference).
impl<T: UnwindSafe> UnwindSafe for RawBuf<T> {}

impl<T> RawBuf<T> {
    /// Creates an empty buffer without allocating.
    ///
    /// ```
    /// # use structures::raw_buf::RawBuf;
    /// const EMPTY: RawBuf<u32> = RawBuf::new();
    /// assert_eq!(EMPTY.capacity(), 0);
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        RawBuf {
            mem: RawMem::new(),
            len: 0,
            _owns: PhantomData,
        }
    }

    /// Creates an empty buffer with room for exactly `capacity` elements (none allocated when
    /// `capacity` is 0 or `T` is zero-sized).
    ///
    /// # Panics
    /// Panics with "capacity overflow" if `capacity` elements of `T` exceed `isize::MAX` bytes.
    ///
    /// # Aborts
    /// If the allocator fails, calls [`handle_alloc_error`](std::alloc::handle_alloc_error),
    /// which aborts the process by default. [`try_with_capacity`](Self::try_with_capacity)
    /// reports both failures instead.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self::try_with_capacity(capacity).unwrap_or_else(|err| handle_reserve_error(err))
    }

    /// Creates an empty buffer with room for exactly `capacity` elements, or reports why it
    /// cannot.
    ///
    /// # Errors
    /// [`TryReserveError::CapacityOverflow`] if `capacity` elements of `T` exceed `isize::MAX`
    /// bytes; [`TryReserveError::AllocError`] if the allocator fails.
    pub fn try_with_capacity(capacity: usize) -> Result<Self, TryReserveError> {
        let mut buf = Self::new();
        buf.try_reserve_exact(capacity)?;
        Ok(buf)
    }

    /// Number of elements the buffer can hold without reallocating (`usize::MAX` for
    /// zero-sized `T`).
    pub const fn capacity(&self) -> usize {
        self.mem.capacity()
    }

    /// Number of elements in the buffer.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer holds no elements.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A raw pointer to the buffer's first slot: dangling (but non-null and aligned) when
    /// nothing is allocated.
    ///
    /// The pointer is valid for reads of the `len()` initialised elements until the buffer is
    /// reallocated or dropped. No reference to the elements is created, so this pointer and one
    /// from [`as_mut_ptr`](Self::as_mut_ptr) do not invalidate each other. Writing through it
    /// (or through a pointer derived from it) is undefined behaviour; use `as_mut_ptr`.
    pub const fn as_ptr(&self) -> *const T {
        self.mem.ptr()
    }

    /// A raw mutable pointer to the buffer's first slot: dangling (but non-null and aligned)
    /// when nothing is allocated.
    ///
    /// The pointer is valid for writes of the `capacity()` slots and reads of the `len()`
    /// initialised elements until the buffer is reallocated or dropped. No reference to the
    /// elements is created, so pointers returned by repeated calls stay usable side by side.
    pub const fn as_mut_ptr(&mut self) -> *mut T {
        self.mem.ptr()
    }

    /// The initialised elements as a slice.
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: `ptr` is non-null and aligned, and slots `0..len` are initialised elements
        // inside one allocation of at most `isize::MAX` bytes, or `len == 0`, or `T` is
        // zero-sized, where a dangling aligned pointer is valid (field invariants). The returned
        // borrow of `self` keeps them from being mutated or freed.
        unsafe { slice::from_raw_parts(self.mem.ptr(), self.len) }
    }

    /// The initialised elements as a mutable slice.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`; the exclusive borrow of `self` makes the returned reference
        // the only way to reach the elements while it lives.
        unsafe { slice::from_raw_parts_mut(self.mem.ptr(), self.len) }
    }

    /// A reference to the element or subslice at `index`, or `None` if it is out of bounds.
    pub fn get<I: SliceIndex<[T]>>(&self, index: I) -> Option<&I::Output> {
        self.as_slice().get(index)
    }

    /// A mutable reference to the element or subslice at `index`, or `None` if it is out of
    /// bounds.
    pub fn get_mut<I: SliceIndex<[T]>>(&mut self, index: I) -> Option<&mut I::Output> {
        self.as_mut_slice().get_mut(index)
    }

    /// An iterator over references to the elements, front to back.
    #[cfg(not(lockstep_type_bug = "raw_buf-iter-unbounded"))]
    pub fn iter(&self) -> slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// The seeded type-level bug `raw_buf-iter-unbounded`: the iterator's lifetime is not tied
    /// to `self`.
    #[cfg(lockstep_type_bug = "raw_buf-iter-unbounded")]
    pub fn iter<'a>(&self) -> slice::Iter<'a, T> {
        // SAFETY: none, on purpose: this is the seeded bug. The elements are initialised, but
        // nothing keeps them alive for `'a`, which the caller picks.
        unsafe { slice::from_raw_parts(self.mem.ptr(), self.len) }.iter()
    }

    /// An iterator over mutable references to the elements, front to back.
    pub fn iter_mut(&mut self) -> slice::IterMut<'_, T> {
        self.as_mut_slice().iter_mut()
    }

    /// Appends `value` at the back, growing the buffer if it is full.
    ///
    /// # Panics
    /// Panics with "capacity overflow" if the new capacity exceeds `isize::MAX` bytes (or, for
    /// zero-sized `T`, if the length would exceed `usize::MAX`).
    ///
    /// # Aborts
    /// If the allocator fails, calls [`handle_alloc_error`](std::alloc::handle_alloc_error).
    pub fn push(&mut self, value: T) {
        if self.len == self.mem.capacity() {
            self.grow_one();
        }
        debug_assert!(
            self.len < self.mem.capacity(),
            "push len={} cap={}",
            self.len,
            self.mem.capacity()
        );
        // SAFETY: `len < cap` now, so slot `len` lies inside the allocation (or `T` is
        // zero-sized and the dangling pointer is valid for it), and it is uninitialised, so the
        // write overwrites no live value.
        unsafe { self.mem.ptr().add(self.len).write(value) };
        self.len += 1;
    }

    /// Appends `value` at the back, or gives it back with the reason the buffer could not
    /// grow. Never panics or aborts.
    ///
    /// # Errors
    /// `Err((value, err))` if the buffer is full and growing it fails; the buffer is unchanged.
    pub fn try_push(&mut self, value: T) -> Result<(), (T, TryReserveError)> {
        if self.len == self.mem.capacity() {
            if let Err(err) = self.mem.grow_amortized(self.len, 1) {
                return Err((value, err));
            }
        }
        debug_assert!(
            self.len < self.mem.capacity(),
            "try_push len={} cap={}",
            self.len,
            self.mem.capacity()
        );
        // SAFETY: as in `push`: `len < cap`, so slot `len` is in bounds and uninitialised.
        unsafe { self.mem.ptr().add(self.len).write(value) };
        self.len += 1;
        Ok(())
    }

    /// Removes and returns the last element, or `None` if the buffer is empty.
    pub fn pop(&mut self) -> Option<T> {
        seeded::hook!(RawBufPopUninit => deviations::pop_past_end(self));
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: slot `len` (the old last one) is initialised and, with `len` decremented, no
        // longer owned by the buffer, so reading moves the value out exactly once.
        Some(unsafe { self.mem.ptr().add(self.len).read() })
    }

    /// Inserts `element` at `index`, shifting the elements after it one slot to the back.
    ///
    /// # Panics
    /// Panics if `index > len`, and as [`push`](Self::push) does when growing fails.
    ///
    /// # Aborts
    /// If the allocator fails, calls [`handle_alloc_error`](std::alloc::handle_alloc_error).
    #[track_caller]
    pub fn insert(&mut self, index: usize, element: T) {
        let len = self.len;
        if index > len {
            panic!("insertion index (is {index}) should be <= len (is {len})");
        }
        if len == self.mem.capacity() {
            self.grow_one();
        }
        debug_assert!(
            index <= len && len < self.mem.capacity(),
            "insert index={index} len={len} cap={}",
            self.mem.capacity()
        );
        // SAFETY:
        // 1. `index <= len < cap`: slots `index..=len` lie inside the allocation (or `T` is
        //    zero-sized and every offset is 0), so `hole` and the copy's source and destination
        //    are in bounds;
        // 2. `ptr::copy` allows the overlap; it moves the initialised `index..len` to
        //    `index + 1..=len`;
        // 3. slot `index` is then a bitwise copy of an element that now lives at `index + 1`,
        //    so writing over it without dropping duplicates and leaks nothing.
        unsafe {
            let hole = self.mem.ptr().add(index);
            if index < len {
                ptr::copy(hole, hole.add(1), len - index);
            }
            hole.write(element);
        }
        self.len = len + 1;
    }

    /// Removes and returns the element at `index`, shifting the elements after it one slot to
    /// the front.
    ///
    /// # Panics
    /// Panics if `index >= len`.
    #[track_caller]
    pub fn remove(&mut self, index: usize) -> T {
        let len = self.len;
        if index >= len {
            panic!("removal index (is {index}) should be < len (is {len})");
        }
        debug_assert!(
            len <= self.mem.capacity(),
            "remove index={index} len={len} cap={}",
            self.mem.capacity()
        );
        // SAFETY:
        // 1. `index < len <= cap`: slot `index` holds an initialised element, read (moved out)
        //    once here;
        // 2. the copy moves the initialised `index + 1..len` to `index..len - 1`, all in bounds;
        //    `ptr::copy` allows the overlap;
        // 3. with `len` decremented, slot `len - 1` (now a stale duplicate) is outside the
        //    buffer, so every element is owned once.
        unsafe {
            let hole = self.mem.ptr().add(index);
            let removed = hole.read();
            ptr::copy(hole.add(1), hole, len - index - 1);
            self.len = len - 1;
            removed
        }
    }

    /// Removes and returns the element at `index`, replacing it with the last element: O(1),
    /// but does not preserve order.
    ///
    /// # Panics
    /// Panics if `index >= len`.
    #[track_caller]
    pub fn swap_remove(&mut self, index: usize) -> T {
        let len = self.len;
        if index >= len {
            panic!("swap_remove index (is {index}) should be < len (is {len})");
        }
        debug_assert!(
            len <= self.mem.capacity(),
            "swap_remove index={index} len={len} cap={}",
            self.mem.capacity()
        );
        // SAFETY:
        // 1. `index < len` and `len - 1 < len`: both slots hold initialised elements in bounds;
        // 2. the element at `index` is read (moved out) once, then overwritten by the last
        //    element (`ptr::copy` allows `index == len - 1`, a copy onto itself);
        // 3. with `len` decremented the last slot is outside the buffer, so the moved element is
        //    owned once.
        unsafe {
            let base = self.mem.ptr();
            let removed = base.add(index).read();
            ptr::copy(base.add(len - 1), base.add(index), 1);
            self.len = len - 1;
            removed
        }
    }

    /// Shortens the buffer to `len` elements, dropping the rest front to back; does nothing if
    /// `len >= self.len()`. The capacity is unchanged.
    ///
    /// If an element's destructor panics, the remaining ones are still dropped, and the buffer
    /// holds exactly the first `len` elements when the panic propagates.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let tail = self.len - len;
        // Shrink first: the destructors below are user code, and if one panics the buffer must
        // no longer own any of the elements being dropped.
        self.len = len;
        // SAFETY: slots `len..len + tail` hold initialised elements inside the allocation that
        // the buffer no longer owns (len shrunk above), so dropping them here drops each exactly
        // once. If a destructor panics, the slice's drop glue drops the remaining ones.
        unsafe {
            let tail = ptr::slice_from_raw_parts_mut(self.mem.ptr().add(len), tail);
            ptr::drop_in_place(tail);
        }
    }

    /// Drops every element, front to back, keeping the capacity. Panic-safe as
    /// [`truncate`](Self::truncate) is.
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Reserves room for at least `additional` more elements, growing by amortised doubling:
    /// the new capacity is the largest of twice the old one, `len + additional`, and a small
    /// minimum (8 for 1-byte elements, 4 up to 1 KiB, else 1). Does nothing if the capacity
    /// already suffices.
    ///
    /// # Panics
    /// Panics with "capacity overflow" if the new capacity exceeds `isize::MAX` bytes or
    /// `len + additional` overflows `usize`.
    ///
    /// # Aborts
    /// If the allocator fails, calls [`handle_alloc_error`](std::alloc::handle_alloc_error).
    pub fn reserve(&mut self, additional: usize) {
        if let Err(err) = self.try_reserve(additional) {
            handle_reserve_error(err);
        }
    }

    /// Reserves room for exactly `additional` more elements (capacity `len + additional` if the
    /// buffer grows). Does nothing if the capacity already suffices.
    ///
    /// # Panics
    /// As [`reserve`](Self::reserve).
    ///
    /// # Aborts
    /// If the allocator fails, calls [`handle_alloc_error`](std::alloc::handle_alloc_error).
    pub fn reserve_exact(&mut self, additional: usize) {
        if let Err(err) = self.try_reserve_exact(additional) {
            handle_reserve_error(err);
        }
    }

    /// Like [`reserve`](Self::reserve), but reports failure instead of panicking or aborting.
    ///
    /// # Errors
    /// [`TryReserveError::CapacityOverflow`] if `len + additional` overflows `usize` or exceeds
    /// `isize::MAX` bytes; [`TryReserveError::AllocError`] if the allocator fails. On error the
    /// buffer is unchanged.
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        if self.mem.needs_to_grow(self.len, additional) {
            self.mem.grow_amortized(self.len, additional)
        } else {
            Ok(())
        }
    }

    /// Like [`reserve_exact`](Self::reserve_exact), but reports failure instead of panicking or
    /// aborting.
    ///
    /// # Errors
    /// As [`try_reserve`](Self::try_reserve).
    pub fn try_reserve_exact(&mut self, additional: usize) -> Result<(), TryReserveError> {
        if self.mem.needs_to_grow(self.len, additional) {
            self.mem.grow_exact(self.len, additional)
        } else {
            Ok(())
        }
    }

    /// Shrinks the capacity to the length: reallocates to exactly `len` slots, or frees the
    /// allocation when the buffer is empty. Does nothing for zero-sized `T`.
    ///
    /// # Aborts
    /// If the allocator fails to shrink, calls
    /// [`handle_alloc_error`](std::alloc::handle_alloc_error).
    pub fn shrink_to_fit(&mut self) {
        self.mem.shrink_to(self.len);
    }

    /// Appends clones of the elements of `other`.
    ///
    /// If a `clone` panics, the elements cloned so far stay in the buffer (they are counted
    /// before the panic propagates), so nothing is leaked or dropped twice.
    ///
    /// # Panics
    /// As [`reserve`](Self::reserve), and if `T::clone` panics.
    ///
    /// # Aborts
    /// If the allocator fails, calls [`handle_alloc_error`](std::alloc::handle_alloc_error).
    pub fn extend_from_slice(&mut self, other: &[T])
    where
        T: Clone,
    {
        seeded::hook!(RawBufExtendLenFirst => deviations::extend_len_first(self, other));
        self.reserve(other.len());
        let (dst, cap) = (self.mem.ptr(), self.mem.capacity());
        let local_len = self.len;
        // `len` is written back when the guard drops: at the end, or while unwinding out of a
        // panicking `clone`, so the elements written so far are owned by the buffer.
        let mut len = SetLenOnDrop {
            len: &mut self.len,
            local_len,
        };
        for item in other {
            let value = item.clone();
            debug_assert!(
                len.local_len < cap,
                "extend_from_slice len={} cap={cap}",
                len.local_len
            );
            // SAFETY: `local_len < old len + other.len() <= cap` (reserved above), so the slot
            // is inside the allocation and past the committed length, hence uninitialised: the
            // write overwrites no live value.
            unsafe { dst.add(len.local_len).write(value) };
            len.local_len += 1;
        }
    }

    /// Removes the elements in `range` and returns an iterator that yields them by value.
    ///
    /// When the [`Drain`] is dropped, the elements it did not yield are dropped and the
    /// elements after the range move to close the gap, also when it was only partly consumed.
    /// The buffer's length is set to the start of the range as soon as the `Drain` is created,
    /// so if the `Drain` is leaked (e.g. with [`mem::forget`](std::mem::forget)), the buffer
    /// keeps only the elements before the range: the others are leaked, never dropped twice.
    ///
    /// ```
    /// # use structures::raw_buf::RawBuf;
    /// let mut buf = RawBuf::from([1, 2, 3, 4, 5]);
    /// let mut drain = buf.drain(1..4);
    /// assert_eq!(drain.next_back(), Some(4));
    /// drop(drain); // drops 2 and 3
    /// assert_eq!(buf, [1, 5]);
    /// ```
    ///
    /// # Panics
    /// Panics if the range starts after it ends or ends after `len`, with both values in the
    /// message.
    #[track_caller]
    pub fn drain<R: RangeBounds<usize>>(&mut self, range: R) -> Drain<'_, T> {
        Drain::new(self, range)
    }

    /// Keeps only the elements for which `keep` returns `true`, visiting each once in order and
    /// preserving the order of those kept.
    ///
    /// If `keep` or an element's destructor panics, the buffer holds the elements kept so far
    /// followed by the ones not yet visited (including the one `keep` panicked on); the
    /// rejected ones were each dropped once.
    pub fn retain<F: FnMut(&T) -> bool>(&mut self, mut keep: F) {
        self.retain_mut(|elem| keep(elem));
    }

    /// Like [`retain`](Self::retain), but `keep` may mutate the elements.
    pub fn retain_mut<F: FnMut(&mut T) -> bool>(&mut self, mut keep: F) {
        let original_len = self.len;
        if original_len == 0 {
            return;
        }
        // The loop makes holes; until the guard closes them, the buffer must own nothing.
        self.len = 0;
        let mut g = BackshiftOnDrop {
            buf: self,
            processed: 0,
            deleted: 0,
            original_len,
        };
        while g.processed != original_len {
            let cur = g.processed;
            // SAFETY: `cur < original_len <= cap`, so the slot is in bounds, and it holds an
            // unvisited, initialised element; the guard's exclusive borrow of the buffer makes
            // this the only reference to it.
            let elem = unsafe { &mut *g.buf.mem.ptr().add(cur) };
            if !keep(elem) {
                // Count the element as processed first: if its destructor panics, the guard must
                // treat its slot as a hole, not as an element to keep.
                g.processed += 1;
                g.deleted += 1;
                // SAFETY: `elem` is initialised, and its slot is now in the hole run, so it is
                // never read or dropped again.
                unsafe { ptr::drop_in_place(elem) };
                continue;
            }
            if g.deleted > 0 {
                let hole = cur - g.deleted;
                debug_assert!(
                    hole < cur,
                    "retain hole={hole} cur={cur} deleted={}",
                    g.deleted
                );
                // SAFETY:
                // 1. `hole < cur < cap`: both slots are in bounds and distinct, so the
                //    one-element copy does not overlap;
                // 2. slot `hole` is a hole (dropped or moved out), so overwriting it leaks
                //    nothing;
                // 3. slot `cur` becomes a hole once `processed` passes it below, so the element
                //    is owned once, at `hole`.
                unsafe { ptr::copy_nonoverlapping(elem, g.buf.mem.ptr().add(hole), 1) };
            }
            g.processed += 1;
        }
        // Dropping `g` sets the length to `original_len - deleted`.
    }

    /// Splits the buffer in two at `at`: `self` keeps `[0, at)` (and its capacity), the returned
    /// buffer holds `[at, len)` in a new allocation of exactly that length.
    ///
    /// # Panics
    /// Panics if `at > len`, and as [`with_capacity`](Self::with_capacity) does.
    ///
    /// # Aborts
    /// If the allocator fails, calls [`handle_alloc_error`](std::alloc::handle_alloc_error).
    #[track_caller]
    #[must_use = "use `.truncate()` if you don't need the other half"]
    pub fn split_off(&mut self, at: usize) -> Self {
        let len = self.len;
        if at > len {
            panic!("`at` split index (is {at}) should be <= len (is {len})");
        }
        let other_len = len - at;
        let mut other = Self::with_capacity(other_len);
        debug_assert!(
            other_len <= other.mem.capacity() && len <= self.mem.capacity(),
            "copy dst=0 src={at} len={other_len} cap={} src_cap={}",
            other.mem.capacity(),
            self.mem.capacity()
        );
        // SAFETY:
        // 1. the source `at..len` is initialised and in bounds;
        // 2. the destination `0..other_len` is in `other`'s allocation of capacity
        //    `>= other_len`, uninitialised;
        // 3. `other`'s allocation is fresh, so the regions do not overlap (or they are zero
        //    bytes long);
        // 4. the lengths are set below without user code in between, so each moved element is
        //    owned by `other` only.
        unsafe { ptr::copy_nonoverlapping(self.mem.ptr().add(at), other.mem.ptr(), other_len) };
        self.len = at;
        other.len = other_len;
        other
    }

    /// Moves all elements of `other` to the back of `self`, leaving `other` empty (with its
    /// capacity).
    ///
    /// # Panics
    /// As [`reserve`](Self::reserve).
    ///
    /// # Aborts
    /// If the allocator fails, calls [`handle_alloc_error`](std::alloc::handle_alloc_error).
    pub fn append(&mut self, other: &mut Self) {
        let count = other.len;
        self.reserve(count);
        debug_assert!(
            count <= self.mem.capacity() - self.len && count <= other.mem.capacity(),
            "copy dst={} src=0 len={count} cap={} src_cap={}",
            self.len,
            self.mem.capacity(),
            other.mem.capacity()
        );
        // SAFETY:
        // 1. the source `0..count` of `other` is initialised and in bounds;
        // 2. the destination `len..len + count` of `self` is in bounds (reserved above) and
        //    uninitialised;
        // 3. `self` and `other` are distinct exclusive borrows, so their allocations differ (or
        //    there is none and the regions are zero bytes long): no overlap;
        // 4. the lengths are updated below without user code in between, so each element is
        //    owned by `self` only.
        unsafe { ptr::copy_nonoverlapping(other.mem.ptr(), self.mem.ptr().add(self.len), count) };
        other.len = 0;
        self.len += count;
    }

    /// Checks the structural invariants and panics with the offending values on the first one
    /// that does not hold.
    ///
    /// # Panics
    /// Panics if `len > cap`; if `T` is zero-sized and `cap != usize::MAX` or `ptr` is not the
    /// dangling pointer; if `T` is not zero-sized, `cap == 0` and `ptr` is not the dangling
    /// pointer; if `cap > 0` and `ptr` is misaligned or `cap` elements exceed `isize::MAX` bytes.
    pub fn check_invariants(&self) {
        let (cap, len) = (self.capacity(), self.len);
        assert!(len <= cap, "RawBuf invariant: len {len} > cap {cap}");
        self.mem.check_invariants();
    }

    /// Grows for one more element (the slow path of `push` and `insert`).
    #[cold]
    #[inline(never)]
    fn grow_one(&mut self) {
        if let Err(err) = self.mem.grow_amortized(self.len, 1) {
            handle_reserve_error(err);
        }
    }
}

/// Writes a local length back to the buffer when dropped, also during unwinding (std's
/// `SetLenOnDrop`).
struct SetLenOnDrop<'a> {
    len: &'a mut usize,
    local_len: usize,
}

impl Drop for SetLenOnDrop<'_> {
    fn drop(&mut self) {
        *self.len = self.local_len;
    }
}

/// Closes the holes left by `retain_mut` and restores the length, also when the predicate or a
/// destructor panics (std's `BackshiftOnDrop`).
struct BackshiftOnDrop<'a, T> {
    /// The buffer, with `len` set to 0 while the guard lives.
    buf: &'a mut RawBuf<T>,
    /// Invariant: `deleted <= processed <= original_len <= buf.mem.capacity()`. Slots
    /// `0..processed - deleted` hold the kept elements, `processed - deleted..processed` are
    /// holes, `processed..original_len` hold the elements not yet visited.
    processed: usize,
    deleted: usize,
    original_len: usize,
}

impl<T> Drop for BackshiftOnDrop<'_, T> {
    fn drop(&mut self) {
        let (processed, deleted, original_len) = (self.processed, self.deleted, self.original_len);
        let unvisited = original_len - processed;
        if deleted > 0 && unvisited > 0 {
            debug_assert!(
                deleted <= processed && original_len <= self.buf.mem.capacity(),
                "copy dst={} src={processed} len={unvisited} cap={}",
                processed - deleted,
                self.buf.mem.capacity()
            );
            // SAFETY:
            // 1. the source `processed..original_len` holds the unvisited initialised elements,
            //    in bounds as `original_len <= cap`;
            // 2. the destination starts at `processed - deleted`, the first hole, and ends
            //    before `original_len`: in bounds;
            // 3. `ptr::copy` allows the overlap; afterwards `0..original_len - deleted` is
            //    initialised and the rest of the old range holds stale duplicates outside the
            //    length.
            unsafe {
                let base = self.buf.mem.ptr();
                ptr::copy(
                    base.add(processed),
                    base.add(processed - deleted),
                    unvisited,
                );
            }
        }
        self.buf.len = original_len - deleted;
    }
}

impl<T> RawBuf<T> {
    /// What dropping the buffer does, before its field `mem` frees the memory.
    fn drop_elements(&mut self) {
        // SAFETY: slots `0..len` hold initialised elements owned by the buffer, dropped exactly
        // once here (by `drop`). If a destructor panics, the slice's drop glue drops the rest;
        // then (also while unwinding) the field `mem` frees the memory.
        unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(self.mem.ptr(), self.len)) };
    }
}

#[cfg(not(lockstep_type_bug = "raw_buf-dropck-escape"))]
impl<T> Drop for RawBuf<T> {
    fn drop(&mut self) {
        self.drop_elements();
    }
}

// SAFETY: none, on purpose: this is the seeded bug `raw_buf-dropck-escape`. `drop` does drop
// `T`s, which may read borrows that `#[may_dangle]` lets die first, and `Owns<T>` no longer says
// that the buffer owns them.
#[cfg(lockstep_type_bug = "raw_buf-dropck-escape")]
unsafe impl<#[may_dangle] T> Drop for RawBuf<T> {
    fn drop(&mut self) {
        self.drop_elements();
    }
}

impl<T> Default for RawBuf<T> {
    /// An empty buffer, as [`RawBuf::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Deref for RawBuf<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> DerefMut for RawBuf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T> AsRef<[T]> for RawBuf<T> {
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> AsMut<[T]> for RawBuf<T> {
    fn as_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

// `Eq`, `Ord` and `Hash` all agree with the slice's, so borrowing as a slice is coherent.
impl<T> Borrow<[T]> for RawBuf<T> {
    fn borrow(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> BorrowMut<[T]> for RawBuf<T> {
    fn borrow_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T: Clone> Clone for RawBuf<T> {
    /// A copy with capacity equal to the length. If an element's `clone` panics, the clones
    /// made so far are dropped and their memory freed.
    fn clone(&self) -> Self {
        let mut copy = Self::with_capacity(self.len);
        copy.extend_from_slice(self);
        copy
    }

    /// Makes `self` a copy of `source`, reusing `self`'s allocation: surplus elements are
    /// dropped, common ones are assigned with `clone_from`, missing ones appended.
    fn clone_from(&mut self, source: &Self) {
        self.truncate(source.len);
        let (common, rest) = source.split_at(self.len);
        self.as_mut_slice().clone_from_slice(common);
        self.extend_from_slice(rest);
    }
}

impl<T: fmt::Debug> fmt::Debug for RawBuf<T> {
    /// Formats the elements as a slice: `[1, 2, 3]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<T: Hash> Hash for RawBuf<T> {
    /// Hashes as the slice of elements does.
    fn hash<H: Hasher>(&self, state: &mut H) {
        Hash::hash(self.as_slice(), state);
    }
}

impl<T, U> PartialEq<RawBuf<U>> for RawBuf<T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &RawBuf<U>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T, U> PartialEq<[U]> for RawBuf<T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &[U]) -> bool {
        self.as_slice() == other
    }
}

impl<T, U> PartialEq<&[U]> for RawBuf<T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &&[U]) -> bool {
        self.as_slice() == *other
    }
}

impl<T, U> PartialEq<&mut [U]> for RawBuf<T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &&mut [U]) -> bool {
        self.as_slice() == &**other
    }
}

impl<T, U, const N: usize> PartialEq<[U; N]> for RawBuf<T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &[U; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T, U, const N: usize> PartialEq<&[U; N]> for RawBuf<T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &&[U; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T, U> PartialEq<Vec<U>> for RawBuf<T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &Vec<U>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T, U> PartialEq<RawBuf<U>> for [T]
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &RawBuf<U>) -> bool {
        self == other.as_slice()
    }
}

impl<T, U> PartialEq<RawBuf<U>> for &[T]
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &RawBuf<U>) -> bool {
        *self == other.as_slice()
    }
}

impl<T, U> PartialEq<RawBuf<U>> for Vec<T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &RawBuf<U>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for RawBuf<T> {}

impl<T: PartialOrd> PartialOrd for RawBuf<T> {
    /// Compares lexicographically, as slices do.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        PartialOrd::partial_cmp(self.as_slice(), other.as_slice())
    }
}

impl<T: Ord> Ord for RawBuf<T> {
    /// Compares lexicographically, as slices do.
    fn cmp(&self, other: &Self) -> Ordering {
        Ord::cmp(self.as_slice(), other.as_slice())
    }
}

impl<T: Clone> From<&[T]> for RawBuf<T> {
    /// A buffer holding clones of the slice's elements, with capacity equal to its length.
    fn from(slice: &[T]) -> Self {
        let mut buf = Self::with_capacity(slice.len());
        buf.extend_from_slice(slice);
        buf
    }
}

impl<T, const N: usize> From<[T; N]> for RawBuf<T> {
    /// A buffer holding the array's elements, with capacity `N`.
    fn from(array: [T; N]) -> Self {
        let mut buf = Self::with_capacity(N);
        let array = ManuallyDrop::new(array);
        debug_assert!(
            N <= buf.mem.capacity(),
            "from array N={N} cap={}",
            buf.mem.capacity()
        );
        // SAFETY:
        // 1. the source is the array's `N` initialised elements;
        // 2. the destination `0..N` is inside the new allocation of capacity `N` (or zero bytes
        //    long), uninitialised;
        // 3. the allocation is fresh, so the regions do not overlap;
        // 4. the array is in `ManuallyDrop`, so the moved elements are owned by `buf` only.
        unsafe { ptr::copy_nonoverlapping(array.as_ptr(), buf.mem.ptr(), N) };
        buf.len = N;
        buf
    }
}

impl<T> FromIterator<T> for RawBuf<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut buf = Self::new();
        buf.extend(iter);
        buf
    }
}

impl<T> Extend<T> for RawBuf<T> {
    /// Pushes every item, reserving by the iterator's lower size hint whenever the buffer is
    /// full. If the iterator panics, the items pushed so far stay.
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let mut iter = iter.into_iter();
        while let Some(item) = iter.next() {
            if self.len == self.mem.capacity() {
                let (lower, _) = iter.size_hint();
                self.reserve(lower.saturating_add(1));
            }
            debug_assert!(
                self.len < self.mem.capacity(),
                "extend len={} cap={}",
                self.len,
                self.mem.capacity()
            );
            // SAFETY: `len < cap` (reserved above if needed), so slot `len` is in bounds and
            // uninitialised; the length is bumped right after, before user code runs again.
            unsafe { self.mem.ptr().add(self.len).write(item) };
            self.len += 1;
        }
    }
}

impl<'a, T: Copy + 'a> Extend<&'a T> for RawBuf<T> {
    /// Pushes a copy of every item.
    fn extend<I: IntoIterator<Item = &'a T>>(&mut self, iter: I) {
        self.extend(iter.into_iter().copied());
    }
}

impl<'a, T> IntoIterator for &'a RawBuf<T> {
    type Item = &'a T;
    type IntoIter = slice::Iter<'a, T>;

    fn into_iter(self) -> slice::Iter<'a, T> {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut RawBuf<T> {
    type Item = &'a mut T;
    type IntoIter = slice::IterMut<'a, T>;

    fn into_iter(self) -> slice::IterMut<'a, T> {
        self.iter_mut()
    }
}

impl<T> IntoIterator for RawBuf<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    /// An owning iterator: it takes over the allocation and frees it when dropped.
    fn into_iter(self) -> IntoIter<T> {
        let buf = ManuallyDrop::new(self);
        // SAFETY: `ManuallyDrop` keeps `buf` from dropping anything, so its memory is moved out
        // exactly once here.
        let mem = unsafe { ptr::read(&raw const buf.mem) };
        // SAFETY: slots `0..len` of `mem` are the buffer's initialised elements (field
        // invariants), and nothing else will drop or touch them.
        unsafe { IntoIter::new(mem, buf.len) }
    }
}
