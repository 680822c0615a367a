//! [`RawMem`]: the memory half of a [`RawBuf`](super::RawBuf), as std's `RawVec` is the memory
//! half of `Vec`; and [`RawIter`], the by-value iteration over slots that
//! [`Drain`](super::Drain) and [`IntoIter`](super::IntoIter) share.

use std::alloc::{self, Layout};
use std::cmp;
use std::ptr::{self, NonNull};
use std::slice;

use super::TryReserveError;
use crate::seeded;

/// A capacity, in slots of some `T`, that an allocation can have: `Layout::array::<T>(n)` is
/// valid for it, so the allocation is at most `isize::MAX` bytes and twice the capacity cannot
/// overflow. Only [`Cap::new`] makes one that is not zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cap(usize);

impl Cap {
    const ZERO: Cap = Cap(0);

    /// `n` slots of `T` and their layout, if an allocation can have that many.
    fn new<T>(n: usize) -> Result<(Cap, Layout), TryReserveError> {
        let layout = Layout::array::<T>(n).map_err(|_| TryReserveError::CapacityOverflow)?;
        Ok((Cap(n), layout))
    }

    /// The layout of an allocation of this many slots of `T`.
    ///
    /// # Safety
    /// `self` was made by `Cap::new::<T>` (or is zero), with this `T`.
    unsafe fn layout<T>(self) -> Layout {
        debug_assert!(
            Layout::array::<T>(self.0).is_ok(),
            "layout cap={} size={}",
            self.0,
            size_of::<T>()
        );
        // SAFETY: `Layout::array::<T>(self.0)` succeeded when `self` was made (precondition),
        // which means exactly that `size_of::<T>() * self.0` does not overflow and, rounded up
        // to `align_of::<T>()` (a power of two), does not exceed `isize::MAX`; that layout is
        // this one, since the size of `T` is a multiple of its alignment.
        unsafe { Layout::from_size_align_unchecked(size_of::<T>() * self.0, align_of::<T>()) }
    }
}

/// One allocation of slots of `T` made by the global allocator, or none. It knows nothing of
/// which slots hold values: its owner does, and drops them. Dropping a `RawMem` frees the
/// memory, also while unwinding out of an element's destructor.
pub(super) struct RawMem<T> {
    /// Invariant: if `T` is zero-sized or `cap` is zero, there is no allocation and `ptr` is
    /// `NonNull::dangling()` (non-null and aligned for `T`). Otherwise `ptr` is the start of a
    /// live allocation of the global allocator made with `Layout::array::<T>(cap)`, owned by
    /// this `RawMem` alone. Only raw pointers derived from `ptr` reach the slots.
    ptr: NonNull<T>,
    /// Invariant: zero if `T` is zero-sized (its capacity is reported as `usize::MAX`).
    cap: Cap,
}

impl<T> RawMem<T> {
    /// Whether `T` is zero-sized: such memory is never allocated, and holds `usize::MAX` slots.
    pub(super) const IS_ZST: bool = size_of::<T>() == 0;

    /// The smallest non-zero capacity amortised growth picks, as in std's `RawVec`: tiny
    /// allocations waste the allocator's overhead, so 8 for 1-byte elements, 4 for elements up
    /// to 1 KiB, and 1 for larger ones.
    pub(super) const MIN_NON_ZERO_CAP: usize = if size_of::<T>() == 1 {
        8
    } else if size_of::<T>() <= 1024 {
        4
    } else {
        1
    };

    /// No allocation.
    pub(super) const fn new() -> Self {
        RawMem {
            ptr: NonNull::dangling(),
            cap: Cap::ZERO,
        }
    }

    /// The first slot: dangling (but non-null and aligned) when nothing is allocated.
    pub(super) const fn ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// The first slot, as `NonNull`.
    pub(super) const fn non_null(&self) -> NonNull<T> {
        self.ptr
    }

    /// How many slots there are (`usize::MAX` for zero-sized `T`).
    pub(super) const fn capacity(&self) -> usize {
        if Self::IS_ZST { usize::MAX } else { self.cap.0 }
    }

    /// Whether `additional` more values do not fit after `len` slots in use.
    pub(super) fn needs_to_grow(&self, len: usize, additional: usize) -> bool {
        debug_assert!(
            len <= self.capacity(),
            "needs_to_grow len={len} cap={}",
            self.cap.0
        );
        additional > self.capacity() - len
    }

    /// Grows to `max(2 * cap, len + additional, MIN_NON_ZERO_CAP)` slots, keeping the first
    /// `len`; the caller has checked that `additional` values do not fit.
    pub(super) fn grow_amortized(
        &mut self,
        len: usize,
        additional: usize,
    ) -> Result<(), TryReserveError> {
        self.grow(len, additional, true)
    }

    /// Grows to exactly `len + additional` slots, keeping the first `len`; the caller has
    /// checked that `additional` values do not fit.
    pub(super) fn grow_exact(
        &mut self,
        len: usize,
        additional: usize,
    ) -> Result<(), TryReserveError> {
        self.grow(len, additional, false)
    }

    /// Grows so that `additional` more values fit after the first `len`, which are kept: to
    /// `len + additional` slots, or with `amortized` to the largest of that, twice the old
    /// capacity and `MIN_NON_ZERO_CAP`. The caller has checked that they do not fit.
    fn grow(
        &mut self,
        len: usize,
        additional: usize,
        amortized: bool,
    ) -> Result<(), TryReserveError> {
        debug_assert!(
            self.needs_to_grow(len, additional),
            "grow additional={additional} len={len} cap={}",
            self.cap.0
        );
        if Self::IS_ZST {
            // The capacity is `usize::MAX`, so needing to grow means `len + additional`
            // overflowed.
            return Err(TryReserveError::CapacityOverflow);
        }
        let required = len
            .checked_add(additional)
            .ok_or(TryReserveError::CapacityOverflow)?;
        let new_cap = if amortized {
            // `cap * 2` cannot overflow: `Cap`'s invariant.
            cmp::max(cmp::max(self.cap.0 * 2, required), Self::MIN_NON_ZERO_CAP)
        } else {
            required
        };
        // SAFETY: 1. `T` is not zero-sized (checked above); 2. `new_cap >= required > len`
        // (`additional` does not fit, so it is non-zero), hence also `new_cap > 0`.
        unsafe { self.realloc_exact(new_cap, len) }
    }

    /// Shrinks to exactly `len` slots, keeping the first `len`, or frees the allocation when
    /// `len` is 0. Does nothing for zero-sized `T` or when there are `len` slots already.
    ///
    /// # Aborts
    /// If the allocator fails to shrink, calls
    /// [`handle_alloc_error`](std::alloc::handle_alloc_error).
    pub(super) fn shrink_to(&mut self, len: usize) {
        seeded::hook!(RawBufShrinkDoubleFree => super::deviations::shrink_keeps_pointer(self, len));
        debug_assert!(
            len <= self.capacity(),
            "shrink_to len={len} cap={}",
            self.cap.0
        );
        if Self::IS_ZST || self.cap.0 == len {
            return;
        }
        if len == 0 {
            // SAFETY: `ptr` and `cap` describe this allocation (field invariants); they are reset
            // right below, so the freed memory is never used again.
            unsafe { free(self.ptr, self.cap) };
            // Field by field: assigning a whole `RawMem` would drop, so free, the old one.
            (self.ptr, self.cap) = (NonNull::dangling(), Cap::ZERO);
        } else {
            // SAFETY: 1. `T` is not zero-sized (checked above); 2. the new capacity `len` is
            // non-zero (the other branch handles 0) and keeps the first `len` slots.
            if let Err(err) = unsafe { self.realloc_exact(len, len) } {
                handle_reserve_error(err);
            }
        }
    }

    /// Moves the first `len` slots into an allocation of exactly `new_cap` slots (allocating
    /// the first one if there is none), or leaves everything unchanged and reports why it
    /// cannot.
    ///
    /// # Safety
    /// 1. `T` is not zero-sized;
    /// 2. `new_cap > 0`, `new_cap >= len` and `len <= cap`.
    unsafe fn realloc_exact(&mut self, new_cap: usize, len: usize) -> Result<(), TryReserveError> {
        debug_assert!(
            !Self::IS_ZST && new_cap > 0 && new_cap >= len && len <= self.cap.0,
            "realloc size={} new_cap={new_cap} len={len} cap={}",
            size_of::<T>(),
            self.cap.0
        );
        let (cap, new_layout) = Cap::new::<T>(new_cap)?;
        let new_ptr = if self.cap == Cap::ZERO {
            // SAFETY: `new_layout` has a non-zero size: `T` is not zero-sized (precondition 1)
            // and `new_cap > 0` (precondition 2).
            unsafe { alloc::alloc(new_layout) }
        } else {
            // SAFETY: `self.cap` was made by `Cap::new::<T>` (field invariant).
            let old_layout = unsafe { self.cap.layout::<T>() };
            debug_assert_eq!(
                old_layout.align(),
                new_layout.align(),
                "realloc changes the alignment"
            );
            // SAFETY:
            // 1. `ptr` is a live allocation of the global allocator made with `old_layout`
            //    (field invariants: `T` is not zero-sized and `cap` is not zero);
            // 2. `new_layout.size()` is non-zero (as above) and, being the size of a valid
            //    layout with `old_layout`'s alignment, does not overflow `isize::MAX` when
            //    rounded up to that alignment.
            unsafe { alloc::realloc(self.ptr.as_ptr().cast(), old_layout, new_layout.size()) }
        };
        // On failure the old allocation (if any) is untouched and still owned by `self`.
        let new_ptr =
            NonNull::new(new_ptr).ok_or(TryReserveError::AllocError { layout: new_layout })?;
        self.ptr = new_ptr.cast();
        self.cap = cap;
        Ok(())
    }

    /// Checks the invariants of the fields, panicking with the offending values.
    pub(super) fn check_invariants(&self) {
        let (ptr, cap) = (self.ptr.as_ptr(), self.cap.0);
        let (size, align) = (size_of::<T>(), align_of::<T>());
        let dangling = NonNull::<T>::dangling().as_ptr();
        if Self::IS_ZST {
            assert!(
                cap == 0,
                "RawBuf invariant: zero-sized T but {cap} slots stored"
            );
            assert!(
                ptr.addr() == dangling.addr(),
                "RawBuf invariant: zero-sized T but ptr {ptr:p} is not dangling ({dangling:p})"
            );
        } else if cap == 0 {
            assert!(
                ptr.addr() == dangling.addr(),
                "RawBuf invariant: cap 0 but ptr {ptr:p} is not the dangling pointer {dangling:p}"
            );
        } else {
            assert!(
                ptr.is_aligned(),
                "RawBuf invariant: ptr {ptr:p} is not aligned to {align} (cap {cap})"
            );
            assert!(
                Layout::array::<T>(cap).is_ok(),
                "RawBuf invariant: cap {cap} x {size} bytes (align {align}) exceeds isize::MAX"
            );
        }
    }
}

#[cfg(test)]
impl<T> RawMem<T> {
    /// A `RawMem` with arbitrary fields, for the tests of `check_invariants`: it must never be
    /// dropped, since the fields may describe memory that is not an allocation.
    pub(super) fn corrupt(ptr: NonNull<T>, cap: usize) -> Self {
        RawMem { ptr, cap: Cap(cap) }
    }
}

impl<T> RawMem<T> {
    /// What dropping the memory does.
    fn free(&mut self) {
        // SAFETY: `ptr` and `cap` describe this allocation (field invariants), which nobody else
        // frees and which is not used after this (called only by `drop`).
        unsafe { free(self.ptr, self.cap) };
    }
}

#[cfg(not(lockstep_type_bug = "raw_buf-dropck-escape"))]
impl<T> Drop for RawMem<T> {
    fn drop(&mut self) {
        self.free();
    }
}

// SAFETY: `drop` only frees the memory and never touches a `T`, so `T` may dangle (this impl
// is part of the seeded bug `raw_buf-dropck-escape` only because the buffer's impl is).
#[cfg(lockstep_type_bug = "raw_buf-dropck-escape")]
unsafe impl<#[may_dangle] T> Drop for RawMem<T> {
    fn drop(&mut self) {
        self.free();
    }
}

/// Frees an allocation of `cap` slots of `T`; does nothing if `T` is zero-sized or `cap` is
/// zero (there is no allocation then).
///
/// # Safety
/// If `T` is not zero-sized and `cap` is not zero: `ptr` is a live allocation of the global
/// allocator made with `Layout::array::<T>(cap)`, with `cap` made by `Cap::new::<T>`, and nobody
/// uses it afterwards.
unsafe fn free<T>(ptr: NonNull<T>, cap: Cap) {
    if size_of::<T>() == 0 || cap == Cap::ZERO {
        return;
    }
    // SAFETY: `cap` was made by `Cap::new::<T>` (precondition).
    let layout = unsafe { cap.layout::<T>() };
    // SAFETY: `ptr` is a live allocation of the global allocator made with `layout`, and it is
    // not used after this (precondition).
    unsafe { alloc::dealloc(ptr.as_ptr().cast(), layout) };
}

/// Turns a failed reservation into the behaviour the panicking methods document.
#[cold]
#[inline(never)]
pub(super) fn handle_reserve_error(err: TryReserveError) -> ! {
    match err {
        TryReserveError::CapacityOverflow => panic!("capacity overflow"),
        TryReserveError::AllocError { layout } => alloc::handle_alloc_error(layout),
    }
}

/// The values a by-value iterator has not yielded yet: slots `front..back` from `base`, each
/// initialised and owned by the iterator. [`Drain`](super::Drain) and
/// [`IntoIter`](super::IntoIter) are this, plus what they do when dropped.
pub(super) struct RawIter<T> {
    /// Invariant: slots `front..back` from `base` lie in one live allocation (or `T` is
    /// zero-sized) and hold initialised values that only this iterator owns.
    base: NonNull<T>,
    front: usize,
    back: usize,
}

impl<T> RawIter<T> {
    /// The values in slots `front..back` from `base`.
    ///
    /// # Safety
    /// `front <= back`; the slots lie in one allocation that stays live, and unmoved, as long as
    /// the `RawIter` does (or `T` is zero-sized); they hold initialised values, whose ownership
    /// passes to the `RawIter`.
    pub(super) unsafe fn new(base: NonNull<T>, front: usize, back: usize) -> Self {
        debug_assert!(front <= back, "RawIter front={front} back={back}");
        RawIter { base, front, back }
    }

    /// How many values are left.
    pub(super) fn len(&self) -> usize {
        self.back - self.front
    }

    /// The values left, as a slice.
    pub(super) fn as_slice(&self) -> &[T] {
        // SAFETY: slots `front..back` are initialised values in one live allocation (field
        // invariants), not mutated while the returned borrow of `self` lives.
        unsafe { slice::from_raw_parts(self.base.as_ptr().add(self.front), self.len()) }
    }

    /// The values left, as a mutable slice.
    pub(super) fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`; the exclusive borrow of `self` makes the returned reference
        // the only way to reach them while it lives.
        unsafe { slice::from_raw_parts_mut(self.base.as_ptr().add(self.front), self.len()) }
    }

    /// Moves out the first value left.
    pub(super) fn next(&mut self) -> Option<T> {
        if self.front == self.back {
            return None;
        }
        let index = self.front;
        self.front += 1;
        // SAFETY: `index` was in `front..back`, so its slot holds an initialised value; with
        // `front` advanced the iterator no longer owns it, so the value is moved out once.
        Some(unsafe { self.base.as_ptr().add(index).read() })
    }

    /// Moves out the last value left.
    pub(super) fn next_back(&mut self) -> Option<T> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        // SAFETY: as in `next`: slot `back` was the last one of `front..back`, and with `back`
        // lowered the iterator no longer owns it.
        Some(unsafe { self.base.as_ptr().add(self.back).read() })
    }

    /// Gives up the values left, as a slice pointer to drop them through: the iterator is then
    /// empty, so a panic in one of their destructors cannot drop any of them twice.
    pub(super) fn take_rest(&mut self) -> *mut [T] {
        // SAFETY: `front <= back` and both slots are in the allocation (field invariants), so
        // the offset stays in bounds.
        let first = unsafe { self.base.as_ptr().add(self.front) };
        let rest = ptr::slice_from_raw_parts_mut(first, self.len());
        self.front = self.back;
        rest
    }
}
