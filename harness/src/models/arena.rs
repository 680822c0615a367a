//! [`ArenaModel`]: a slab of slots with keys that are never reused.

use std::collections::BTreeMap;

/// An arena of slots, as slab-like containers (slab, generational arenas, graphs stored in
/// arenas) keep their elements: the slot policy that decides their iteration order, with keys
/// of its own.
///
/// It copies these behaviours:
/// * a new element goes into the most recently vacated slot, else into a new slot at the end;
/// * iteration runs in slot order;
/// * [`compact`](Self::compact) moves the element in the highest occupied slot into the lowest
///   vacant one, again and again until no vacant slot is below an occupied one, then
///   [`trim`](Self::trim)s; [`trim`](Self::trim) drops the vacant slots at the end, and the
///   vacant slots left are then reused lowest first.
///
/// Keys are serial numbers, never handed out twice: a key names its element from its insertion
/// to its removal, or to a `compact` that moves it (the element gets a new key), and nothing
/// ever after. They stand for the subject's ids (which may reuse slots with a generation, or
/// not at all), so compare the two sides up to renaming: by the position of an id among the
/// ids a spec keeps (see [`Handles`](crate::Handles)), never by value. A subject with a
/// different reuse order needs its own model; capacity is the subject's own business, which a
/// spec models beside this one if it is observable.
#[derive(Clone, Debug)]
pub struct ArenaModel<T> {
    /// `Some((key, value))` for an occupied slot.
    slots: Vec<Option<(u32, T)>>,
    /// The vacant slots below `slots.len()`; the last is reused first.
    free: Vec<usize>,
    /// The slot of every key in use.
    by_key: BTreeMap<u32, usize>,
    /// The last key handed out.
    last_key: u32,
}

impl<T> Default for ArenaModel<T> {
    fn default() -> Self {
        ArenaModel {
            slots: Vec::new(),
            free: Vec::new(),
            by_key: BTreeMap::new(),
            last_key: 0,
        }
    }
}

impl<T> ArenaModel<T> {
    /// An empty arena.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many elements it holds.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// How many slots it has: the occupied ones and the vacant ones below the last occupied.
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// How many of its slots are vacant.
    pub fn vacant(&self) -> usize {
        self.free.len()
    }

    /// Puts `value` in the most recently vacated slot, else in a new one; returns its key.
    pub fn insert(&mut self, value: T) -> u32 {
        self.last_key = self.last_key.checked_add(1).expect("fewer than 2^32 keys");
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        self.slots[slot] = Some((self.last_key, value));
        self.by_key.insert(self.last_key, slot);
        self.last_key
    }

    /// Removes the element of `key`, vacating its slot.
    pub fn remove(&mut self, key: u32) -> Option<T> {
        let slot = self.by_key.remove(&key)?;
        self.free.push(slot);
        self.slots[slot].take().map(|(_, value)| value)
    }

    /// Whether `key` names an element.
    pub fn contains(&self, key: u32) -> bool {
        self.by_key.contains_key(&key)
    }

    /// The element of `key`.
    pub fn get(&self, key: u32) -> Option<&T> {
        let slot = *self.by_key.get(&key)?;
        self.slots[slot].as_ref().map(|(_, value)| value)
    }

    /// The element of `key`, mutably.
    pub fn get_mut(&mut self, key: u32) -> Option<&mut T> {
        let slot = *self.by_key.get(&key)?;
        self.slots[slot].as_mut().map(|(_, value)| value)
    }

    /// The slot of `key`'s element.
    pub fn slot_of(&self, key: u32) -> Option<usize> {
        self.by_key.get(&key).copied()
    }

    /// The key of the element in `slot`, if it is occupied.
    pub fn key_at(&self, slot: usize) -> Option<u32> {
        self.slots.get(slot)?.as_ref().map(|(key, _)| *key)
    }

    /// The keys and elements, in slot order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u32, &T)> + Clone {
        self.slots
            .iter()
            .flatten()
            .map(|(key, value)| (*key, value))
    }

    /// The keys, in slot order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = u32> + Clone {
        self.iter().map(|(key, _)| key)
    }

    /// Moves elements down until no vacant slot is below an occupied one (the highest into the
    /// lowest hole, one at a time), gives each moved element a new key, then
    /// [`trim`](Self::trim)s. Returns `(old, new)` for each moved element, by its old slot.
    pub fn compact(&mut self) -> Vec<(u32, u32)> {
        let mut moved = Vec::new();
        let (mut lo, mut hi) = (0, self.slots.len());
        loop {
            while lo < hi && self.slots[lo].is_some() {
                lo += 1;
            }
            while hi > lo && self.slots[hi - 1].is_none() {
                hi -= 1;
            }
            if lo >= hi {
                break;
            }
            let (old, value) = self.slots[hi - 1].take().expect("an occupied slot");
            self.by_key.remove(&old);
            self.last_key = self.last_key.checked_add(1).expect("fewer than 2^32 keys");
            self.by_key.insert(self.last_key, lo);
            self.slots[lo] = Some((self.last_key, value));
            moved.push((hi - 1, old, self.last_key));
            (lo, hi) = (lo + 1, hi - 1);
        }
        self.trim();
        moved.sort_unstable_by_key(|&(slot, ..)| slot);
        moved.into_iter().map(|(_, old, new)| (old, new)).collect()
    }

    /// Drops the vacant slots at the end; the vacant slots left are reused lowest first.
    pub fn trim(&mut self) {
        while let Some(None) = self.slots.last() {
            self.slots.pop();
        }
        self.free = (0..self.slots.len())
            .rev()
            .filter(|&i| self.slots[i].is_none())
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_last_vacated_first_and_keys_never() {
        let mut arena = ArenaModel::new();
        let keys: Vec<u32> = (10..15).map(|v| arena.insert(v)).collect();
        assert_eq!(arena.remove(keys[1]), Some(11));
        assert_eq!(arena.remove(keys[3]), Some(13));
        assert_eq!(arena.remove(keys[3]), None);
        let new = arena.insert(20);
        assert!(!keys.contains(&new));
        assert_eq!(arena.slot_of(new), Some(3));
        assert_eq!(
            arena.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            [10, 12, 20, 14]
        );
    }

    #[test]
    fn compaction_moves_the_highest_into_the_lowest_holes_and_renames_them() {
        let mut arena = ArenaModel::new();
        let keys: Vec<u32> = (0..6).map(|v| arena.insert(v)).collect();
        for k in [keys[0], keys[2], keys[5]] {
            arena.remove(k);
        }
        let moved = arena.compact();
        assert_eq!(
            moved.iter().map(|&(old, _)| old).collect::<Vec<_>>(),
            [keys[3], keys[4]]
        );
        assert_eq!(arena.get(moved[1].1), Some(&4));
        assert!(!arena.contains(keys[4]));
        assert_eq!((arena.slots(), arena.vacant()), (3, 0));
        assert_eq!(arena.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [4, 1, 3]);
    }
}
