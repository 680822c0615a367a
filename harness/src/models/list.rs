//! [`ListModel`]: a doubly linked list of pointers with cursors, as intrusive lists offer it.

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::mem;
use std::ops::Deref;
use std::ptr;

thread_local! {
    /// The addresses of the values some [`ListModel`] on this thread holds.
    static LINKED: RefCell<HashSet<usize, BuildHasherDefault<AddressHasher>>> =
        RefCell::new(HashSet::default());
}

/// Hashes an address with one multiplication (Fibonacci hashing): addresses are not chosen by an
/// adversary, and a model runs under Miri too, where SipHash costs thousands of steps a call.
#[derive(Debug, Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write_u64(u64::from(b)));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(26);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// The address a value is known by, or `None` for a zero-sized one (which has no address of its
/// own, so is never counted as linked).
fn address<T: ?Sized>(value: &T) -> Option<usize> {
    (mem::size_of_val(value) != 0).then(|| ptr::from_ref(value).cast::<()>().addr())
}

/// Marks `value` as in a list; panics if it already is, as an intrusive list does.
fn link<T: ?Sized>(value: &T) {
    if let Some(addr) = address(value) {
        let fresh = LINKED.with(|linked| linked.borrow_mut().insert(addr));
        assert!(
            fresh,
            "attempted to insert an element that is already linked"
        );
    }
}

/// Marks `value` as in no list.
fn unlink<T: ?Sized>(value: &T) {
    if let Some(addr) = address(value) {
        LINKED.with(|linked| linked.borrow_mut().remove(&addr));
    }
}

/// A doubly linked list of pointers (`Box<T>`, `Rc<T>`, `Arc<T>`, `&T`), with the API and the
/// cursors of an intrusive list: intrusive-collections' `LinkedList`, whose adapter's pointer
/// type is `P`.
///
/// It copies these behaviours:
/// * accessors (`front`, `iter`, a cursor's `get`) give the pointee, `&P::Target`; what goes in
///   and comes out is the pointer `P`;
/// * a value is in at most one list at a time: inserting one that some `ListModel` on this
///   thread already holds panics with "attempted to insert an element that is already linked",
///   before anything changes ([`is_linked`](Self::is_linked) asks); values are known by address,
///   and zero-sized ones are never counted as linked;
/// * a cursor has a null position (a ghost) between the back and the front: `move_next` goes
///   from the back to null and from null to the front; at null, `get` is `None`, `remove` does
///   nothing, `replace_with` gives the value back as `Err`, `insert_after` and `splice_after`
///   insert at the front, `insert_before` and `splice_before` at the back, and `split_after` and
///   `split_before` take the whole list;
/// * `remove` moves the cursor to the next element (null after the back), `replace_with` leaves
///   it on the new element, `insert_before` and `splice_before` keep it on its element (which
///   moves back), and `split_before` keeps it too (now the front);
/// * drops go front to back and keep going after a drop panics (`clear`, dropping the list, and
///   what `into_iter` did not yield), as `VecDeque`'s do; each value is unlinked before any is
///   dropped.
///
/// For an owning list of plain values, use `ListModel<Box<T>>`.
#[derive(Debug)]
pub struct ListModel<P: Deref> {
    items: VecDeque<P>,
}

impl<P: Deref> Default for ListModel<P> {
    fn default() -> Self {
        ListModel {
            items: VecDeque::new(),
        }
    }
}

impl<P: Deref> Drop for ListModel<P> {
    fn drop(&mut self) {
        self.items.iter().for_each(|p| unlink(&**p));
    }
}

impl<P: Deref> ListModel<P> {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether some `ListModel` on this thread holds `value`.
    pub fn is_linked(value: &P::Target) -> bool {
        address(value).is_some_and(|addr| LINKED.with(|linked| linked.borrow().contains(&addr)))
    }

    /// How many elements it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The first element.
    pub fn front(&self) -> Option<&P::Target> {
        self.items.front().map(|p| &**p)
    }

    /// The last element.
    pub fn back(&self) -> Option<&P::Target> {
        self.items.back().map(|p| &**p)
    }

    /// Inserts `val` at the front; panics if it is already linked.
    pub fn push_front(&mut self, val: P) {
        link(&*val);
        self.items.push_front(val);
    }

    /// Inserts `val` at the back; panics if it is already linked.
    pub fn push_back(&mut self, val: P) {
        link(&*val);
        self.items.push_back(val);
    }

    /// Removes the first element.
    pub fn pop_front(&mut self) -> Option<P> {
        self.items.pop_front().inspect(|p| unlink(&**p))
    }

    /// Removes the last element.
    pub fn pop_back(&mut self) -> Option<P> {
        self.items.pop_back().inspect(|p| unlink(&**p))
    }

    /// Moves every element of `other` to the back of `self`.
    pub fn append(&mut self, other: &mut Self) {
        self.items.append(&mut other.items);
    }

    /// Removes and drops every element, front to back.
    pub fn clear(&mut self) {
        self.items.iter().for_each(|p| unlink(&**p));
        self.items.clear();
    }

    /// Takes every element into a new list, leaving `self` empty.
    pub fn take(&mut self) -> Self {
        mem::take(self)
    }

    /// The elements, front to back.
    pub fn iter(&self) -> ListIter<'_, P> {
        ListIter(self.items.iter())
    }

    /// A cursor at the null position.
    pub fn cursor(&self) -> ListCursor<'_, P> {
        ListCursor {
            list: self,
            at: None,
        }
    }

    /// A cursor at the front (null if the list is empty).
    pub fn cursor_front(&self) -> ListCursor<'_, P> {
        ListCursor {
            list: self,
            at: self.front_index(),
        }
    }

    /// A cursor at the back (null if the list is empty).
    pub fn cursor_back(&self) -> ListCursor<'_, P> {
        ListCursor {
            list: self,
            at: self.len().checked_sub(1),
        }
    }

    /// A mutable cursor at the null position.
    pub fn cursor_mut(&mut self) -> ListCursorMut<'_, P> {
        ListCursorMut {
            list: self,
            at: None,
        }
    }

    /// A mutable cursor at the front (null if the list is empty).
    pub fn cursor_front_mut(&mut self) -> ListCursorMut<'_, P> {
        let at = self.front_index();
        ListCursorMut { list: self, at }
    }

    /// A mutable cursor at the back (null if the list is empty).
    pub fn cursor_back_mut(&mut self) -> ListCursorMut<'_, P> {
        let at = self.len().checked_sub(1);
        ListCursorMut { list: self, at }
    }

    /// A cursor at the element `ptr` points to.
    ///
    /// # Safety
    ///
    /// `ptr` points to an element of this list, as an intrusive list's `cursor_from_ptr`
    /// requires. (The model checks it, and panics if it does not.)
    pub unsafe fn cursor_from_ptr(&self, ptr: *const P::Target) -> ListCursor<'_, P> {
        ListCursor {
            list: self,
            at: Some(self.index_of(ptr)),
        }
    }

    /// A mutable cursor at the element `ptr` points to.
    ///
    /// # Safety
    ///
    /// As for [`cursor_from_ptr`](Self::cursor_from_ptr).
    pub unsafe fn cursor_mut_from_ptr(&mut self, ptr: *const P::Target) -> ListCursorMut<'_, P> {
        let at = Some(self.index_of(ptr));
        ListCursorMut { list: self, at }
    }

    fn front_index(&self) -> Option<usize> {
        (!self.is_empty()).then_some(0)
    }

    fn index_of(&self, ptr: *const P::Target) -> usize {
        self.items
            .iter()
            .position(|p| ptr::eq(&**p, ptr))
            .unwrap_or_else(|| panic!("cursor from {ptr:p}: the element is not in this list"))
    }

    fn get(&self, at: Option<usize>) -> Option<&P::Target> {
        at.map(|i| &*self.items[i])
    }

    /// The position after `at`, in the ring of the elements and the null position.
    fn next(&self, at: Option<usize>) -> Option<usize> {
        match at {
            None => self.front_index(),
            Some(i) => (i + 1 < self.len()).then_some(i + 1),
        }
    }

    /// The position before `at`, in the ring of the elements and the null position.
    fn prev(&self, at: Option<usize>) -> Option<usize> {
        match at {
            None => self.len().checked_sub(1),
            Some(i) => i.checked_sub(1),
        }
    }

    /// Moves every element of `other` into `self`, the first of them to position `at`.
    fn splice(&mut self, at: usize, mut other: Self) {
        let mut tail = self.items.split_off(at);
        self.items.append(&mut other.items);
        self.items.append(&mut tail);
    }
}

/// The elements of a [`ListModel`], front to back.
#[derive(Clone, Debug)]
pub struct ListIter<'a, P>(std::collections::vec_deque::Iter<'a, P>);

impl<'a, P: Deref> Iterator for ListIter<'a, P> {
    type Item = &'a P::Target;

    fn next(&mut self) -> Option<&'a P::Target> {
        self.0.next().map(|p| &**p)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<P: Deref> DoubleEndedIterator for ListIter<'_, P> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|p| &**p)
    }
}

impl<P: Deref> ExactSizeIterator for ListIter<'_, P> {}

/// A [`ListModel`] consumed front to back (or back to front); what is left is dropped with it.
#[derive(Debug)]
pub struct ListIntoIter<P: Deref>(ListModel<P>);

impl<P: Deref> Iterator for ListIntoIter<P> {
    type Item = P;

    fn next(&mut self) -> Option<P> {
        self.0.pop_front()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.len(), Some(self.0.len()))
    }
}

impl<P: Deref> DoubleEndedIterator for ListIntoIter<P> {
    fn next_back(&mut self) -> Option<P> {
        self.0.pop_back()
    }
}

impl<P: Deref> ExactSizeIterator for ListIntoIter<P> {}

impl<P: Deref> IntoIterator for ListModel<P> {
    type Item = P;
    type IntoIter = ListIntoIter<P>;

    fn into_iter(self) -> ListIntoIter<P> {
        ListIntoIter(self)
    }
}

/// A read-only cursor of a [`ListModel`]: an element, or the null position.
#[derive(Debug)]
pub struct ListCursor<'a, P: Deref> {
    list: &'a ListModel<P>,
    at: Option<usize>,
}

impl<P: Deref> Clone for ListCursor<'_, P> {
    fn clone(&self) -> Self {
        ListCursor {
            list: self.list,
            at: self.at,
        }
    }
}

impl<'a, P: Deref> ListCursor<'a, P> {
    /// The current element; `None` at the null position.
    pub fn get(&self) -> Option<&'a P::Target> {
        self.list.get(self.at)
    }

    /// Whether the cursor is at the null position.
    pub fn is_null(&self) -> bool {
        self.at.is_none()
    }

    /// Moves to the next element: from the back to null, from null to the front.
    pub fn move_next(&mut self) {
        self.at = self.list.next(self.at);
    }

    /// Moves to the previous element: from the front to null, from null to the back.
    pub fn move_prev(&mut self) {
        self.at = self.list.prev(self.at);
    }

    /// The element `move_next` would move to.
    pub fn peek_next(&self) -> Option<&'a P::Target> {
        self.list.get(self.list.next(self.at))
    }

    /// The element `move_prev` would move to.
    pub fn peek_prev(&self) -> Option<&'a P::Target> {
        self.list.get(self.list.prev(self.at))
    }
}

/// A mutable cursor of a [`ListModel`]: an element, or the null position.
#[derive(Debug)]
pub struct ListCursorMut<'a, P: Deref> {
    list: &'a mut ListModel<P>,
    at: Option<usize>,
}

impl<P: Deref> ListCursorMut<'_, P> {
    /// A read-only cursor at the same position, borrowing this one.
    pub fn as_cursor(&self) -> ListCursor<'_, P> {
        ListCursor {
            list: self.list,
            at: self.at,
        }
    }

    /// The current element; `None` at the null position.
    pub fn get(&self) -> Option<&P::Target> {
        self.as_cursor().get()
    }

    /// Whether the cursor is at the null position.
    pub fn is_null(&self) -> bool {
        self.as_cursor().is_null()
    }

    /// Moves to the next element: from the back to null, from null to the front.
    pub fn move_next(&mut self) {
        self.at = self.list.next(self.at);
    }

    /// Moves to the previous element: from the front to null, from null to the back.
    pub fn move_prev(&mut self) {
        self.at = self.list.prev(self.at);
    }

    /// The element `move_next` would move to.
    pub fn peek_next(&self) -> Option<&P::Target> {
        self.as_cursor().peek_next()
    }

    /// The element `move_prev` would move to.
    pub fn peek_prev(&self) -> Option<&P::Target> {
        self.as_cursor().peek_prev()
    }

    /// Removes the current element and moves to the next one (null after the back); `None` at
    /// the null position.
    pub fn remove(&mut self) -> Option<P> {
        let i = self.at?;
        let removed = self.list.items.remove(i).inspect(|p| unlink(&**p));
        self.at = (i < self.list.len()).then_some(i);
        removed
    }

    /// Puts `val` in place of the current element and returns that element; the cursor stays on
    /// `val`. At the null position, gives `val` back. Panics if `val` is already linked.
    ///
    /// # Errors
    /// `val`, at the null position.
    pub fn replace_with(&mut self, val: P) -> Result<P, P> {
        let Some(i) = self.at else { return Err(val) };
        link(&*val);
        let old = mem::replace(&mut self.list.items[i], val);
        unlink(&*old);
        Ok(old)
    }

    /// Inserts `val` after the current element (at the front, at null); panics if it is already
    /// linked.
    pub fn insert_after(&mut self, val: P) {
        link(&*val);
        let at = self.at.map_or(0, |i| i + 1);
        self.list.items.insert(at, val);
    }

    /// Inserts `val` before the current element (at the back, at null); panics if it is already
    /// linked.
    pub fn insert_before(&mut self, val: P) {
        link(&*val);
        match self.at {
            None => self.list.items.push_back(val),
            Some(i) => {
                self.list.items.insert(i, val);
                self.at = Some(i + 1);
            }
        }
    }

    /// Moves every element of `list` after the current element (to the front, at null).
    pub fn splice_after(&mut self, list: ListModel<P>) {
        let at = self.at.map_or(0, |i| i + 1);
        self.list.splice(at, list);
    }

    /// Moves every element of `list` before the current element (to the back, at null).
    pub fn splice_before(&mut self, list: ListModel<P>) {
        let moved = list.len();
        match self.at {
            None => self.list.splice(self.list.len(), list),
            Some(i) => {
                self.list.splice(i, list);
                self.at = Some(i + moved);
            }
        }
    }

    /// Takes everything after the current element (the whole list, at null).
    pub fn split_after(&mut self) -> ListModel<P> {
        match self.at {
            None => self.list.take(),
            Some(i) => ListModel {
                items: self.list.items.split_off(i + 1),
            },
        }
    }

    /// Takes everything before the current element (the whole list, at null); the cursor's
    /// element is then the front.
    pub fn split_before(&mut self) -> ListModel<P> {
        match self.at {
            None => self.list.take(),
            Some(i) => {
                let rest = self.list.items.split_off(i);
                self.at = Some(0);
                ListModel {
                    items: mem::replace(&mut self.list.items, rest),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    fn values<P: Deref<Target = u32>>(list: &ListModel<P>) -> Vec<u32> {
        list.iter().copied().collect()
    }

    #[test]
    fn the_cursor_passes_through_the_null_position() {
        let mut list = ListModel::new();
        (1..=3).for_each(|v| list.push_back(Box::new(v)));
        let mut cursor = list.cursor_back_mut();
        cursor.move_next();
        assert!(cursor.is_null());
        assert_eq!(cursor.peek_next(), Some(&1));
        cursor.insert_after(Box::new(0));
        cursor.insert_before(Box::new(4));
        cursor.move_next();
        assert_eq!(cursor.remove().as_deref(), Some(&0));
        assert_eq!(cursor.get(), Some(&1));
        let front = cursor.split_before();
        assert!(front.is_empty());
        cursor.move_next();
        let back = cursor.split_after();
        assert_eq!((values(&list), values(&back)), (vec![1, 2], vec![3, 4]));
    }

    #[test]
    fn a_shared_element_is_in_one_list_at_a_time() {
        let one = Rc::new(1_u32);
        let (mut a, mut b) = (ListModel::new(), ListModel::new());
        a.push_back(Rc::clone(&one));
        assert!(ListModel::<Rc<u32>>::is_linked(&one));
        let twice = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            b.push_front(Rc::clone(&one));
        }));
        assert!(twice.is_err());
        assert!(b.is_empty());
        b.append(&mut a);
        assert_eq!(
            b.cursor_front_mut().replace_with(Rc::new(2)),
            Ok(Rc::clone(&one))
        );
        assert!(!ListModel::<Rc<u32>>::is_linked(&one));
        a.push_back(Rc::clone(&one));
        drop(a);
        assert!(!ListModel::<Rc<u32>>::is_linked(&one));
        assert_eq!(Rc::strong_count(&one), 1);
    }

    #[test]
    fn a_cursor_from_a_pointer_starts_at_that_element() {
        let mut list = ListModel::new();
        (1..=3).for_each(|v| list.push_back(Box::new(v)));
        let second = ptr::from_ref(list.iter().nth(1).unwrap());
        // SAFETY: `second` points to an element of `list`.
        let cursor = unsafe { list.cursor_from_ptr(second) };
        assert_eq!((cursor.peek_prev(), cursor.get()), (Some(&1), Some(&2)));
    }
}
