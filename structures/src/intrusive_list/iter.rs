//! Iterators: [`Iter`] borrows the list, [`IntoIter`] takes its elements out.

use core::fmt;
use core::iter::FusedIterator;
use core::marker::PhantomData;
use core::ptr::NonNull;

use super::{Adapter, Link, LinkedList, value_ref};

/// An iterator over shared references to the elements of a [`LinkedList`], made by
/// [`LinkedList::iter`]. Double-ended and exact-size.
pub struct Iter<'a, A: Adapter> {
    /// The link of the next element from the front. Meaningless once `len` is 0.
    head: Option<NonNull<Link>>,
    /// The link of the next element from the back. Meaningless once `len` is 0.
    tail: Option<NonNull<Link>>,
    /// The number of elements not yet yielded: `head ..= tail` are exactly `len` elements of the
    /// borrowed list, in order.
    len: usize,
    /// The list is borrowed for `'a`, so its links and elements do not change meanwhile.
    marker: PhantomData<&'a LinkedList<A>>,
}

// SAFETY: an `Iter` is a shared borrow of the list (plus the addresses of two of its links), only
// used to read; it may cross or be shared between threads exactly when `&LinkedList<A>` may, that
// is when `LinkedList<A>: Sync`.
unsafe impl<A: Adapter> Send for Iter<'_, A> where LinkedList<A>: Sync {}

// SAFETY: as for `Send`: through `&Iter` one can only read (clone it), as through `&LinkedList`.
unsafe impl<A: Adapter> Sync for Iter<'_, A> where LinkedList<A>: Sync {}

impl<'a, A: Adapter> Iter<'a, A> {
    /// An iterator over the `len` elements `head ..= tail` of a list borrowed for `'a`.
    pub(super) fn new(
        head: Option<NonNull<Link>>,
        tail: Option<NonNull<Link>>,
        len: usize,
    ) -> Self {
        Iter {
            head,
            tail,
            len,
            marker: PhantomData,
        }
    }
}

impl<A: Adapter> Clone for Iter<'_, A> {
    fn clone(&self) -> Self {
        Iter::new(self.head, self.tail, self.len)
    }
}

impl<'a, A: Adapter> Iterator for Iter<'a, A> {
    type Item = &'a A::Value;

    fn next(&mut self) -> Option<&'a A::Value> {
        if self.len == 0 {
            return None;
        }
        let head = self.head?;
        self.len -= 1;
        // SAFETY: `head` is linked into the list borrowed for `'a` (field invariant), so the link
        // and its element are live, and only shared references are made to them.
        unsafe {
            self.head = head.as_ref().next();
            Some(value_ref::<A>(head))
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len, Some(self.len))
    }

    fn count(self) -> usize {
        self.len
    }

    fn last(mut self) -> Option<&'a A::Value> {
        self.next_back()
    }
}

impl<'a, A: Adapter> DoubleEndedIterator for Iter<'a, A> {
    fn next_back(&mut self) -> Option<&'a A::Value> {
        if self.len == 0 {
            return None;
        }
        let tail = self.tail?;
        self.len -= 1;
        // SAFETY: `tail` is linked into the list borrowed for `'a` (field invariant), so the link
        // and its element are live, and only shared references are made to them.
        unsafe {
            self.tail = tail.as_ref().prev();
            Some(value_ref::<A>(tail))
        }
    }
}

impl<A: Adapter> ExactSizeIterator for Iter<'_, A> {}

impl<A: Adapter> FusedIterator for Iter<'_, A> {}

impl<A: Adapter> fmt::Debug for Iter<'_, A>
where
    A::Value: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Iter")
            .field(&Remaining(self.clone()))
            .finish()
    }
}

/// Formats the elements an iterator has left as a list.
struct Remaining<I>(I);

impl<I: Iterator + Clone> fmt::Debug for Remaining<I>
where
    I::Item: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.clone()).finish()
    }
}

/// An owning iterator that takes the elements out of a [`LinkedList`] and yields their pointers,
/// made by `into_iter`. Double-ended and exact-size.
///
/// Dropping it drops the elements not yet taken, as dropping the list would. Forgetting it
/// (`mem::forget`) leaks them, still marked as linked.
pub struct IntoIter<A: Adapter> {
    /// The elements not yet taken.
    pub(super) list: LinkedList<A>,
}

impl<A: Adapter> Iterator for IntoIter<A> {
    type Item = A::Pointer;

    fn next(&mut self) -> Option<A::Pointer> {
        self.list.pop_front()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.list.len(), Some(self.list.len()))
    }
}

impl<A: Adapter> DoubleEndedIterator for IntoIter<A> {
    fn next_back(&mut self) -> Option<A::Pointer> {
        self.list.pop_back()
    }
}

impl<A: Adapter> ExactSizeIterator for IntoIter<A> {}

impl<A: Adapter> FusedIterator for IntoIter<A> {}

impl<A: Adapter> fmt::Debug for IntoIter<A>
where
    A::Value: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IntoIter").field(&self.list).finish()
    }
}
