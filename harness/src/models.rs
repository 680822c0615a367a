//! Ready-made models: safe structures with the API of the unsafe ones they model, so a spec can
//! forward one method set to both sides with [`same_api!`](crate::same_api).

use std::collections::TryReserveError;
use std::ops::{Deref, DerefMut, RangeBounds};

mod arena;
mod list;

pub use arena::ArenaModel;
pub use list::{ListCursor, ListCursorMut, ListIntoIter, ListIter, ListModel};

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

/// A std collection's methods of the same signature, as inherent methods of the model that
/// holds it in `self.$field`: `forward! { 0 in "Vec": fn len(&self) -> usize; ... }`.
macro_rules! forward {
    ($field:tt in $std:literal:) => {};
    ($field:tt in $std:literal: $(#[$m:meta])* fn $f:ident $(<$g:ident: $b:path>)? (&mut $this:ident $(, $a:ident: $t:ty)*) $(-> $r:ty)?; $($rest:tt)*) => {
        #[doc = concat!("`", $std, "::", stringify!($f), "`.")]
        $(#[$m])*
        #[inline]
        pub fn $f$(<$g: $b>)?(&mut $this $(, $a: $t)*) $(-> $r)? {
            $this.$field.$f($($a),*)
        }
        forward!($field in $std: $($rest)*);
    };
    ($field:tt in $std:literal: $(#[$m:meta])* fn $f:ident (&$this:ident $(, $a:ident: $t:ty)*) $(-> $r:ty)?; $($rest:tt)*) => {
        #[doc = concat!("`", $std, "::", stringify!($f), "`.")]
        $(#[$m])*
        #[inline]
        pub fn $f(&$this $(, $a: $t)*) $(-> $r)? {
            $this.$field.$f($($a),*)
        }
        forward!($field in $std: $($rest)*);
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

    forward! { 0 in "Vec":
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

/// A ring buffer of fixed capacity: std's `VecDeque`, refusing to grow past its capacity.
///
/// Order, clones and drops are `VecDeque`'s: front to back. A push onto a full buffer gives the
/// value back (`push_back`, `push_front`), or drops the element at the other end to make room
/// (`push_back_overwrite`, which returns it). A capacity of 0 refuses every push.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RingModel<T> {
    items: std::collections::VecDeque<T>,
    capacity: usize,
}

impl<T> RingModel<T> {
    /// An empty buffer that holds at most `capacity` elements.
    pub fn with_capacity(capacity: usize) -> Self {
        RingModel {
            items: std::collections::VecDeque::new(),
            capacity,
        }
    }

    /// How many elements it can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether it holds `capacity` elements.
    pub fn is_full(&self) -> bool {
        self.items.len() >= self.capacity
    }

    /// Appends `value` at the back, or gives it back if the buffer is full.
    ///
    /// # Errors
    /// `value`, when the buffer is full.
    pub fn push_back(&mut self, value: T) -> Result<(), T> {
        if self.is_full() {
            return Err(value);
        }
        self.items.push_back(value);
        Ok(())
    }

    /// Prepends `value` at the front, or gives it back if the buffer is full.
    ///
    /// # Errors
    /// `value`, when the buffer is full.
    pub fn push_front(&mut self, value: T) -> Result<(), T> {
        if self.is_full() {
            return Err(value);
        }
        self.items.push_front(value);
        Ok(())
    }

    /// Appends `value` at the back; if the buffer was full, removes the front element first and
    /// returns it (with capacity 0, returns `value` itself).
    pub fn push_back_overwrite(&mut self, value: T) -> Option<T> {
        if self.capacity == 0 {
            return Some(value);
        }
        let evicted = if self.is_full() {
            self.items.pop_front()
        } else {
            None
        };
        self.items.push_back(value);
        evicted
    }

    forward! { items in "VecDeque":
        fn pop_front(&mut self) -> Option<T>;
        fn pop_back(&mut self) -> Option<T>;
        fn front(&self) -> Option<&T>;
        fn back(&self) -> Option<&T>;
        fn get(&self, index: usize) -> Option<&T>;
        fn get_mut(&mut self, index: usize) -> Option<&mut T>;
        fn iter(&self) -> std::collections::vec_deque::Iter<'_, T>;
        fn iter_mut(&mut self) -> std::collections::vec_deque::IterMut<'_, T>;
        fn clear(&mut self);
        fn truncate(&mut self, len: usize);
    }

    /// `VecDeque::drain`.
    pub fn drain<R: RangeBounds<usize>>(
        &mut self,
        range: R,
    ) -> std::collections::vec_deque::Drain<'_, T> {
        self.items.drain(range)
    }
}

/// A map that keeps its entries in insertion order, as `indexmap::IndexMap` does, looked up by
/// equality (no hashing, so no hasher order to match: models are small).
///
/// It copies `IndexMap`'s rules: `insert` of a key already there keeps the old key and its place,
/// replaces the value and returns the old one (dropping the new key); `shift_remove` closes the
/// gap, keeping the order; `swap_remove` moves the last entry into the gap; iteration, clones
/// and drops go in insertion order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OrderedMapModel<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for OrderedMapModel<K, V> {
    fn default() -> Self {
        OrderedMapModel {
            entries: Vec::new(),
        }
    }
}

impl<K: Eq, V> OrderedMapModel<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The position of `key`, if it is there.
    pub fn get_index_of(&self, key: &K) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }

    /// Inserts `value` under `key`: a new key goes last; a key already there keeps its place
    /// and its old key, and the old value is returned.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.get_index_of(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.get_index_of(key).map(|i| &self.entries[i].1)
    }

    /// The value under `key`, mutably.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.get_index_of(key).map(|i| &mut self.entries[i].1)
    }

    /// The entry at position `index`.
    pub fn get_index(&self, index: usize) -> Option<(&K, &V)> {
        self.entries.get(index).map(|(k, v)| (k, v))
    }

    /// Removes `key`'s entry, closing the gap (later entries move up one).
    pub fn shift_remove(&mut self, key: &K) -> Option<V> {
        self.get_index_of(key).map(|i| self.entries.remove(i).1)
    }

    /// Removes `key`'s entry, moving the last entry into its place.
    pub fn swap_remove(&mut self, key: &K) -> Option<V> {
        self.get_index_of(key)
            .map(|i| self.entries.swap_remove(i).1)
    }

    /// Keeps the entries `keep` accepts, in order, visiting each once.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// Removes every entry, dropping them in order.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries in insertion order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_refuses_or_overwrites_when_full() {
        let mut ring = RingModel::with_capacity(2);
        assert_eq!(ring.push_back(1), Ok(()));
        assert_eq!(ring.push_front(0), Ok(()));
        assert!(ring.is_full());
        assert_eq!(ring.push_back(2), Err(2));
        assert_eq!(ring.push_back_overwrite(2), Some(0));
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(RingModel::with_capacity(0).push_back_overwrite(5), Some(5));
    }

    #[test]
    fn the_map_keeps_insertion_order_as_indexmap_does() {
        let mut map = OrderedMapModel::new();
        for (k, v) in [("a", 1), ("b", 2), ("c", 3), ("d", 4)] {
            assert_eq!(map.insert(k, v), None);
        }
        assert_eq!(map.insert("b", 20), Some(2));
        assert_eq!(map.get_index(1), Some((&"b", &20)));
        assert_eq!(map.swap_remove(&"a"), Some(1));
        assert_eq!(map.iter().map(|(k, _)| *k).collect::<String>(), "dbc");
        assert_eq!(map.shift_remove(&"d"), Some(4));
        assert_eq!(map.iter().map(|(k, _)| *k).collect::<String>(), "bc");
        map.retain(|_, v| *v > 3);
        assert_eq!(map.len(), 1);
        assert_eq!(map.get(&"b"), Some(&20));
    }
}
