//! [`IntoIter`]: the owning iterator of a [`RawBuf`](super::RawBuf).

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::ptr;

use super::raw::{RawIter, RawMem};

/// An iterator that moves the elements out of a [`RawBuf`](super::RawBuf), from either end.
/// Created by its `into_iter` (from [`IntoIterator`]).
///
/// It owns the buffer's allocation: dropping it drops the elements it did not yield and frees
/// the memory. Leaking it (with [`mem::forget`](std::mem::forget)) leaks both, which is never
/// undefined behaviour.
pub struct IntoIter<T> {
    /// The elements not yet yielded. Declared first: they are dropped before `mem` frees the
    /// memory they are in.
    ///
    /// Invariant: its slots are in `mem`.
    iter: RawIter<T>,
    /// The allocation taken over from the buffer, kept to be freed when the iterator drops.
    _mem: RawMem<T>,
    /// Tells the drop checker that an `IntoIter<T>` owns and drops values of type `T`.
    _owns: PhantomData<T>,
}

// SAFETY: an `IntoIter<T>` owns its elements and its allocation exclusively, like the buffer it
// came from: sending it moves the `T`s to another thread, sound when `T: Send`.
unsafe impl<T: Send> Send for IntoIter<T> {}

// SAFETY: through a `&IntoIter<T>` only `&T`s are reachable (`as_slice`), so sharing it is
// sound when `T: Sync`.
unsafe impl<T: Sync> Sync for IntoIter<T> {}

/// An `IntoIter<T>` owns its `T`s, like `std::vec::IntoIter<T>`: unwind safe when they are.
impl<T: std::panic::UnwindSafe> std::panic::UnwindSafe for IntoIter<T> {}

impl<T> IntoIter<T> {
    /// Takes over a buffer's memory and its first `len` elements.
    ///
    /// # Safety
    /// `len <= mem.capacity()`, slots `0..len` of `mem` hold initialised values, and the caller
    /// gives up ownership of them: it neither drops nor touches them afterwards.
    pub(super) unsafe fn new(mem: RawMem<T>, len: usize) -> Self {
        debug_assert!(
            len <= mem.capacity(),
            "IntoIter len={len} cap={}",
            mem.capacity()
        );
        // SAFETY: slots `0..len` of `mem` are initialised and handed over (precondition), and
        // `mem` moves into the iterator with them, so the allocation stays live and in place
        // as long as `iter` (heap memory does not move with its owner).
        let iter = unsafe { RawIter::new(mem.non_null(), 0, len) };
        IntoIter {
            iter,
            _mem: mem,
            _owns: PhantomData,
        }
    }

    /// The elements not yet yielded, as a slice.
    pub fn as_slice(&self) -> &[T] {
        self.iter.as_slice()
    }

    /// The elements not yet yielded, as a mutable slice.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.iter.as_mut_slice()
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.iter.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.iter.len(), Some(self.iter.len()))
    }
}

impl<T> DoubleEndedIterator for IntoIter<T> {
    fn next_back(&mut self) -> Option<T> {
        self.iter.next_back()
    }
}

impl<T> ExactSizeIterator for IntoIter<T> {}

impl<T> FusedIterator for IntoIter<T> {}

impl<T> Drop for IntoIter<T> {
    fn drop(&mut self) {
        let rest = self.iter.take_rest();
        // SAFETY: `rest` is the initialised elements the iterator owned, given up by `take_rest`,
        // so each is dropped exactly once. If a destructor panics, the slice's drop glue drops
        // the others, then the field `mem` frees the memory.
        unsafe { ptr::drop_in_place(rest) };
    }
}

impl<T: fmt::Debug> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IntoIter").field(&self.as_slice()).finish()
    }
}
