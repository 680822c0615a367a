//! Ready-made models: safe structures with the API of the unsafe ones they model, so a spec can
//! forward one method set to both sides with [`same_api!`](crate::same_api).

use std::collections::TryReserveError;
use std::ops::{Deref, DerefMut, RangeBounds};

/// A growable buffer: std's `Vec`, with the fallible methods buffers add to it.
///
/// It is a `Vec` and copies every behaviour of it exactly: `clone` clones front to back, a
/// buffer drops its elements front to back, `truncate`, `clear`, `drain` and `split_off` drop or
/// move the same elements in the same order, `retain` visits each element once in order and
/// drops the rejected ones as it goes, and every index or range check panics where `Vec`'s
/// does (a panic in a clone, a drop or a predicate leaves what `Vec` leaves). Growth and
/// capacity are `Vec`'s, which a subject need not match. Methods that `Vec` lacks:
/// [`try_push`](Self::try_push).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VecModel<T>(pub Vec<T>);

/// `Vec`'s methods of the same signature, as inherent methods of [`VecModel`].
macro_rules! forward {
    () => {};
    ($(#[$m:meta])* fn $f:ident $(<$g:ident: $b:path>)? (&mut $this:ident $(, $a:ident: $t:ty)*) $(-> $r:ty)?; $($rest:tt)*) => {
        #[doc = concat!("`Vec::", stringify!($f), "`.")]
        $(#[$m])*
        #[inline]
        pub fn $f$(<$g: $b>)?(&mut $this $(, $a: $t)*) $(-> $r)? {
            $this.0.$f($($a),*)
        }
        forward!($($rest)*);
    };
    ($(#[$m:meta])* fn $f:ident (&$this:ident $(, $a:ident: $t:ty)*) $(-> $r:ty)?; $($rest:tt)*) => {
        #[doc = concat!("`Vec::", stringify!($f), "`.")]
        $(#[$m])*
        #[inline]
        pub fn $f(&$this $(, $a: $t)*) $(-> $r)? {
            $this.0.$f($($a),*)
        }
        forward!($($rest)*);
    };
}

impl<T> VecModel<T> {
    /// `Vec::new`.
    pub const fn new() -> Self {
        VecModel(Vec::new())
    }

    /// `Vec::with_capacity`.
    pub fn with_capacity(capacity: usize) -> Self {
        VecModel(Vec::with_capacity(capacity))
    }

    /// Pushes `value` if room can be made for it without panicking or aborting, and gives it
    /// back with the error otherwise: `try_reserve(1)`, then `push`.
    ///
    /// # Errors
    /// The value and `try_reserve`'s error, with the buffer unchanged.
    pub fn try_push(&mut self, value: T) -> Result<(), (T, TryReserveError)> {
        match self.0.try_reserve(1) {
            Ok(()) => {
                self.0.push(value);
                Ok(())
            }
            Err(e) => Err((value, e)),
        }
    }

    /// `Vec::split_off`.
    #[must_use = "use `truncate` to drop the tail"]
    pub fn split_off(&mut self, at: usize) -> Self {
        VecModel(self.0.split_off(at))
    }

    /// `Vec::append`.
    pub fn append(&mut self, other: &mut Self) {
        self.0.append(&mut other.0);
    }

    /// `Vec::drain`.
    pub fn drain<R: RangeBounds<usize>>(&mut self, range: R) -> std::vec::Drain<'_, T> {
        self.0.drain(range)
    }

    forward! {
        fn len(&self) -> usize;
        fn is_empty(&self) -> bool;
        fn capacity(&self) -> usize;
        fn push(&mut self, value: T);
        fn pop(&mut self) -> Option<T>;
        fn insert(&mut self, index: usize, element: T);
        fn remove(&mut self, index: usize) -> T;
        fn swap_remove(&mut self, index: usize) -> T;
        fn truncate(&mut self, len: usize);
        fn clear(&mut self);
        fn reserve(&mut self, additional: usize);
        fn reserve_exact(&mut self, additional: usize);
        /// # Errors
        /// As `Vec`'s.
        fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError>;
        /// # Errors
        /// As `Vec`'s.
        fn try_reserve_exact(&mut self, additional: usize) -> Result<(), TryReserveError>;
        fn shrink_to_fit(&mut self);
        fn retain<F: FnMut(&T) -> bool>(&mut self, keep: F);
        fn retain_mut<F: FnMut(&mut T) -> bool>(&mut self, keep: F);
        fn get(&self, index: usize) -> Option<&T>;
        fn get_mut(&mut self, index: usize) -> Option<&mut T>;
        fn iter(&self) -> std::slice::Iter<'_, T>;
        fn iter_mut(&mut self) -> std::slice::IterMut<'_, T>;
        fn as_slice(&self) -> &[T];
        fn as_mut_slice(&mut self) -> &mut [T];
    }

    /// `Vec::extend_from_slice`.
    pub fn extend_from_slice(&mut self, other: &[T])
    where
        T: Clone,
    {
        self.0.extend_from_slice(other);
    }
}

impl<T> Default for VecModel<T> {
    fn default() -> Self {
        VecModel(Vec::new())
    }
}

impl<T> Deref for VecModel<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> DerefMut for VecModel<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T> IntoIterator for VecModel<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<T> FromIterator<T> for VecModel<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        VecModel(Vec::from_iter(iter))
    }
}

impl<T> Extend<T> for VecModel<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}
