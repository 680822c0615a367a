//! Cursors: a position in a list (an element, or the null position between back and front).

use core::fmt;
use core::ptr::NonNull;

use super::{Adapter, Link, LinkedList, value_ref};
use crate::seeded;

/// A read-only position in a [`LinkedList`]: an element, or the null position that sits between
/// the back and the front.
///
/// Made by [`LinkedList::cursor`], [`cursor_front`](LinkedList::cursor_front),
/// [`cursor_back`](LinkedList::cursor_back), [`cursor_from_ptr`](LinkedList::cursor_from_ptr)
/// or [`CursorMut::as_cursor`].
pub struct Cursor<'a, A: Adapter> {
    /// The link of the current element, which is linked into `*list`; `None` is the null
    /// position.
    pub(super) current: Option<NonNull<Link>>,
    /// The list, borrowed for as long as the cursor lives: its links cannot change meanwhile.
    pub(super) list: &'a LinkedList<A>,
}

// SAFETY: a `Cursor` is a shared borrow of the list plus the address of one of its links, only
// used to read; it may cross or be shared between threads exactly when `&LinkedList<A>` may,
// that is when `LinkedList<A>: Sync`.
unsafe impl<A: Adapter> Send for Cursor<'_, A> where LinkedList<A>: Sync {}

// SAFETY: as for `Send`: through `&Cursor` one can only read, as through `&LinkedList<A>`.
unsafe impl<A: Adapter> Sync for Cursor<'_, A> where LinkedList<A>: Sync {}

impl<A: Adapter> Clone for Cursor<'_, A> {
    fn clone(&self) -> Self {
        Cursor {
            current: self.current,
            list: self.list,
        }
    }
}

impl<'a, A: Adapter> Cursor<'a, A> {
    /// The current element; `None` at the null position.
    #[must_use]
    pub fn get(&self) -> Option<&'a A::Value> {
        let current = self.current?;
        // SAFETY: `current` is linked into `list`, which is borrowed for `'a`.
        Some(unsafe { value_ref::<A>(current) })
    }

    /// Whether the cursor is at the null position.
    #[must_use]
    pub fn is_null(&self) -> bool {
        self.current.is_none()
    }

    /// Moves to the next element: from the back to null, from null to the front.
    pub fn move_next(&mut self) {
        // SAFETY: `current` is `None` or linked into `list`.
        self.current = unsafe { self.list.ring_next(self.current) };
    }

    /// Moves to the previous element: from the front to null, from null to the back.
    pub fn move_prev(&mut self) {
        // SAFETY: `current` is `None` or linked into `list`.
        self.current = unsafe { self.list.ring_prev(self.current) };
    }

    /// The element [`move_next`](Cursor::move_next) would move to; `None` if that is null.
    #[must_use]
    pub fn peek_next(&self) -> Option<&'a A::Value> {
        let mut peek = self.clone();
        peek.move_next();
        peek.get()
    }

    /// The element [`move_prev`](Cursor::move_prev) would move to; `None` if that is null.
    #[must_use]
    pub fn peek_prev(&self) -> Option<&'a A::Value> {
        let mut peek = self.clone();
        peek.move_prev();
        peek.get()
    }
}

impl<A: Adapter> fmt::Debug for Cursor<'_, A>
where
    A::Value: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cursor")
            .field("current", &self.get())
            .field("list", self.list)
            .finish()
    }
}

/// A position in a [`LinkedList`] through which the list can be changed: elements inserted,
/// removed or replaced at the position, and other lists spliced in or split off. Its read-only
/// moves go through [`as_cursor`](CursorMut::as_cursor): one path for both kinds of cursor.
///
/// Made by [`LinkedList::cursor_mut`], [`cursor_front_mut`](LinkedList::cursor_front_mut),
/// [`cursor_back_mut`](LinkedList::cursor_back_mut) or
/// [`cursor_mut_from_ptr`](LinkedList::cursor_mut_from_ptr). The list is valid between any two
/// calls, so forgetting a cursor (`mem::forget`) is harmless.
pub struct CursorMut<'a, A: Adapter> {
    /// The link of the current element, which is linked into `*list`; `None` is the null
    /// position.
    pub(super) current: Option<NonNull<Link>>,
    /// The list, borrowed exclusively for as long as the cursor lives.
    pub(super) list: &'a mut LinkedList<A>,
}

// SAFETY: a `CursorMut` is an exclusive borrow of the list plus the address of one of its links;
// it may cross threads exactly when `&mut LinkedList<A>` may, that is when `LinkedList<A>: Send`.
unsafe impl<A: Adapter> Send for CursorMut<'_, A> where LinkedList<A>: Send {}

// SAFETY: through `&CursorMut` one can only read (`get`, `peek_*`, `as_cursor`), as through
// `&LinkedList<A>`, so it may be shared between threads when `LinkedList<A>: Sync`.
unsafe impl<A: Adapter> Sync for CursorMut<'_, A> where LinkedList<A>: Sync {}

impl<'a, A: Adapter> CursorMut<'a, A> {
    /// A read-only cursor at the same position, borrowing this one.
    #[must_use]
    pub fn as_cursor(&self) -> Cursor<'_, A> {
        Cursor {
            current: self.current,
            list: self.list,
        }
    }

    /// The current element; `None` at the null position.
    #[must_use]
    pub fn get(&self) -> Option<&A::Value> {
        self.as_cursor().get()
    }

    /// Whether the cursor is at the null position.
    #[must_use]
    pub fn is_null(&self) -> bool {
        self.as_cursor().is_null()
    }

    /// Moves to the next element: from the back to null, from null to the front.
    pub fn move_next(&mut self) {
        let mut view = self.as_cursor();
        view.move_next();
        self.current = view.current;
    }

    /// Moves to the previous element: from the front to null, from null to the back.
    pub fn move_prev(&mut self) {
        let mut view = self.as_cursor();
        view.move_prev();
        self.current = view.current;
    }

    /// The element [`move_next`](CursorMut::move_next) would move to; `None` if that is null.
    #[must_use]
    pub fn peek_next(&self) -> Option<&A::Value> {
        self.as_cursor().peek_next()
    }

    /// The element [`move_prev`](CursorMut::move_prev) would move to; `None` if that is null.
    #[must_use]
    pub fn peek_prev(&self) -> Option<&A::Value> {
        self.as_cursor().peek_prev()
    }

    /// Removes the current element and returns its pointer; the cursor moves to the next element
    /// (to null if it removed the back). At the null position, does nothing and returns `None`.
    pub fn remove(&mut self) -> Option<A::Pointer> {
        let current = self.current?;
        // SAFETY: `current` is linked into `list`.
        self.current = unsafe { self.list.ring_next(Some(current)) };
        // SAFETY: `current` is still linked into `list`: only the cursor moved.
        Some(unsafe { self.list.remove_link(current) })
    }

    /// Puts `val` in the place of the current element, which is unlinked and returned; the
    /// cursor stays at the position, now on `val`. At the null position, returns `Err(val)` and
    /// changes nothing.
    ///
    /// # Panics
    ///
    /// If `val`'s element is already linked (the current element included): "attempted to insert
    /// an element that is already linked". Nothing is modified then.
    #[track_caller]
    pub fn replace_with(&mut self, val: A::Pointer) -> Result<A::Pointer, A::Pointer> {
        seeded::hook!(ListReplaceStaleCursor => super::deviations::replace_keeps_cursor(self, val));
        let Some(current) = self.current else {
            return Err(val);
        };
        let new = LinkedList::<A>::adopt(val);
        // SAFETY: `current` is linked into `list`.
        let prev = unsafe { self.list.ring_prev(Some(current)) };
        // SAFETY: `current` is linked into `list`.
        let old = unsafe { self.list.remove_link(current) };
        // SAFETY: (1) `adopt` returns the unlinked link of an element whose pointer it hands
        // over; (2) `prev` is `None` or linked into `list` (it was `current`'s neighbour), and
        // `ring_next(prev)` is where `current` was.
        unsafe {
            let next = self.list.ring_next(prev);
            self.list.insert_chain(prev, next, (new, new, 1));
        }
        self.current = Some(new);
        Ok(old)
    }

    /// Inserts `val` after the current element; at the null position, at the front. The cursor
    /// does not move.
    ///
    /// # Panics
    ///
    /// If `val`'s element is already linked, as [`replace_with`](CursorMut::replace_with).
    #[track_caller]
    pub fn insert_after(&mut self, val: A::Pointer) {
        let new = LinkedList::<A>::adopt(val);
        // SAFETY: (1) `adopt` returns the unlinked link of an element whose pointer it hands
        // over; (2) `current` is `None` or linked into `list`, and its ring successor is adjacent
        // to it.
        unsafe {
            let next = self.list.ring_next(self.current);
            self.list.insert_chain(self.current, next, (new, new, 1));
        }
    }

    /// Inserts `val` before the current element; at the null position, at the back. The cursor
    /// does not move.
    ///
    /// # Panics
    ///
    /// If `val`'s element is already linked, as [`replace_with`](CursorMut::replace_with).
    #[track_caller]
    pub fn insert_before(&mut self, val: A::Pointer) {
        let new = LinkedList::<A>::adopt(val);
        // SAFETY: (1) `adopt` returns the unlinked link of an element whose pointer it hands
        // over; (2) `current` is `None` or linked into `list`, and its ring predecessor is
        // adjacent to it.
        unsafe {
            let prev = self.list.ring_prev(self.current);
            self.list.insert_chain(prev, self.current, (new, new, 1));
        }
    }

    /// Moves every element of `list` in after the current element, in order; at the null
    /// position, at the front. The cursor does not move. O(1).
    pub fn splice_after(&mut self, mut list: LinkedList<A>) {
        if let Some(chain) = list.take_chain() {
            // SAFETY: (1) `take_chain` hands over a detached chain with its pointers; (2)
            // `current` is `None` or linked into `self.list`, and its ring successor is adjacent.
            unsafe {
                let next = self.list.ring_next(self.current);
                self.list.insert_chain(self.current, next, chain);
            }
        }
    }

    /// Moves every element of `list` in before the current element, in order; at the null
    /// position, at the back. The cursor does not move. O(1).
    pub fn splice_before(&mut self, mut list: LinkedList<A>) {
        if let Some(chain) = list.take_chain() {
            // SAFETY: (1) `take_chain` hands over a detached chain with its pointers; (2)
            // `current` is `None` or linked into `self.list`, and its ring predecessor is
            // adjacent.
            unsafe {
                let prev = self.list.ring_prev(self.current);
                self.list.insert_chain(prev, self.current, chain);
            }
        }
    }

    /// Splits the list after the current element: returns everything after it, which `self`'s
    /// list loses. At the null position, returns the whole list (which is left empty). The cursor
    /// does not move.
    ///
    /// O(min(k, n − k)) for a split at position k of n: the elements that move are counted.
    #[must_use = "dropping the returned list drops its elements"]
    pub fn split_after(&mut self) -> LinkedList<A> {
        match self.current {
            None => self.list.take(),
            // SAFETY: `current` is linked into `list`.
            Some(current) => unsafe { self.list.split_after_link(current) },
        }
    }

    /// Splits the list before the current element: returns everything before it, which `self`'s
    /// list loses. At the null position, returns the whole list (which is left empty). The cursor
    /// does not move.
    ///
    /// O(min(k, n − k)) for a split at position k of n: the elements that move are counted.
    #[must_use = "dropping the returned list drops its elements"]
    pub fn split_before(&mut self) -> LinkedList<A> {
        match self.current {
            None => self.list.take(),
            // SAFETY: `current` is linked into `list`.
            Some(current) => unsafe { self.list.split_before_link(current) },
        }
    }
}

impl<A: Adapter> fmt::Debug for CursorMut<'_, A>
where
    A::Value: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CursorMut")
            .field("current", &self.get())
            .field("list", &*self.list)
            .finish()
    }
}
