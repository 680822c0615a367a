//! The spec of the intrusive [`LinkedList`]: every public method, against `VecDeque`.
//!
//! The spec keeps two [`Kind`]s of lists, each a `Vec` of lists that ops name by an index reduced
//! modulo their number (as [`lockstep::Handles`] does), so there is always a list to name:
//!
//! * lists of `Box<Node>`, which own their elements outright: an element that leaves one is
//!   really freed, so AddressSanitizer and Miri see any use of it afterwards;
//! * lists of `Rc<Node>`, whose elements the spec also keeps handles to, so it can re-insert an
//!   element that was removed, insert one that is already linked (which must panic and change
//!   nothing) and ask [`Link::is_linked`].
//!
//! The model of a list is a `VecDeque`. A model cursor is an index into it, with `None` for the
//! null position between the back and the front. The model of a shared element is an `Rc` whose
//! `linked` flag is set exactly while a [`Held`] token for it sits in a model list, so the model
//! predicts "already linked" panics from its own bookkeeping.
//!
//! Both sides run the same generic code, over the [`List`], [`ReadCursor`] and [`EditCursor`]
//! traits: one implementation for `LinkedList` and its cursors, one for `VecDeque` and an index.
//!
//! Cursors cannot outlive an op, so an op carries a cursor program: where the cursor starts, a
//! bounded list of [`Step`]s whose every output is compared, and whether the cursor is then
//! dropped or leaked. A program also has a stack of spare lists (a donor list taken out of the
//! `Vec` before the cursor is made, and whatever `split_*` returns) that `splice_*` consumes, and
//! a stack of removed elements that inserts can re-insert. What is left of them afterwards goes
//! back to the `Vec` (spare lists) or is dropped (removed elements).
//!
//! Panics injected into drops (`Arm`) hit the same element on both sides, because both drop
//! elements in the same order: front to back, as `VecDeque::clear` and `VecDeque`'s drop do, which
//! also keep dropping the rest after a panic. If a cursor step panics, the program's spare lists
//! (the donor included) and removed elements are dropped as the panic unwinds, on both sides
//! alike.

use std::cell::Cell;
use std::collections::VecDeque;
use std::mem;
use std::ptr;
use std::rc::Rc;

use arbitrary::Arbitrary;
use lockstep::{Handles, PanicMessage, PanicPlan, Spec, Tracked, expect_panic};
use serde::{Deserialize, Serialize};
use structures::intrusive_adapter;
use structures::intrusive_list::{Adapter, Cursor, CursorMut, Link, LinkedList};

/// At most this many lists of each kind; a list made beyond that (by `take` or `split_*`) is
/// dropped at once.
const MAX_LISTS: usize = 4;

/// Lists of each kind at the start.
const INITIAL_LISTS: usize = 2;

/// At most this many steps of a cursor program run; the rest are ignored.
const MAX_STEPS: usize = 16;

/// What the list panics with when given an element that is already linked.
const ALREADY_LINKED: &str = "attempted to insert an element that is already linked";

/// An element of the subject's lists: a link and a tracked value.
#[derive(Debug)]
pub struct Node {
    link: Link,
    value: Tracked<u32>,
}

intrusive_adapter!(
    /// The subject's owning lists.
    pub BoxNodes = Box<Node>: Node { link }
);
intrusive_adapter!(
    /// The subject's shared lists.
    pub RcNodes = Rc<Node>: Node { link }
);

/// The model of a shared element.
#[derive(Debug)]
pub struct Shared {
    value: Tracked<u32>,
    /// Set exactly while a [`Held`] for this element exists.
    linked: Cell<bool>,
}

/// A model list's hold on a shared element: while it exists, the element counts as linked.
#[derive(Debug)]
pub struct Held(Option<Rc<Shared>>);

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(shared) = &self.0 {
            shared.linked.set(false);
        }
    }
}

/// What a list takes and hands back, on either side.
pub trait Element: Sized {
    /// A new, unlinked element holding `value`.
    fn new(value: u32) -> Self;
    /// Its value.
    fn value(&self) -> u32;
}

/// An element the spec can keep a handle to while a list holds it too.
pub trait SharedElement: Element + Clone {
    /// Whether it is in a list.
    fn is_linked(&self) -> bool;
}

impl Element for Box<Node> {
    fn new(value: u32) -> Self {
        Box::new(Node {
            link: Link::new(),
            value: Tracked::new(value),
        })
    }

    fn value(&self) -> u32 {
        *self.value
    }
}

impl Element for Rc<Node> {
    fn new(value: u32) -> Self {
        Rc::new(Node {
            link: Link::new(),
            value: Tracked::new(value),
        })
    }

    fn value(&self) -> u32 {
        *self.value
    }
}

impl SharedElement for Rc<Node> {
    fn is_linked(&self) -> bool {
        self.link.is_linked()
    }
}

impl Element for Tracked<u32> {
    fn new(value: u32) -> Self {
        Tracked::new(value)
    }

    fn value(&self) -> u32 {
        **self
    }
}

impl Element for Rc<Shared> {
    fn new(value: u32) -> Self {
        Rc::new(Shared {
            value: Tracked::new(value),
            linked: Cell::new(false),
        })
    }

    fn value(&self) -> u32 {
        *self.value
    }
}

impl SharedElement for Rc<Shared> {
    fn is_linked(&self) -> bool {
        self.linked.get()
    }
}

/// How a model list stores its elements.
pub trait Stored: Sized {
    /// What goes in and comes out.
    type Elem: Element;
    /// Takes `elem` into a list; panics, as the subject does, if it is already in one.
    fn link(elem: Self::Elem) -> Self;
    /// Takes the element out of its list.
    fn unlink(self) -> Self::Elem;
    /// Its value.
    fn value(&self) -> u32;
}

impl Stored for Tracked<u32> {
    type Elem = Tracked<u32>;

    fn link(elem: Self) -> Self {
        elem
    }

    fn unlink(self) -> Self {
        self
    }

    fn value(&self) -> u32 {
        **self
    }
}

impl Stored for Held {
    type Elem = Rc<Shared>;

    fn link(elem: Rc<Shared>) -> Self {
        assert!(!elem.linked.replace(true), "{ALREADY_LINKED}");
        Held(Some(elem))
    }

    fn unlink(mut self) -> Rc<Shared> {
        let shared = self
            .0
            .take()
            .expect("a held element is held until unlinked");
        shared.linked.set(false);
        shared
    }

    fn value(&self) -> u32 {
        self.0
            .as_ref()
            .expect("a held element is held until unlinked")
            .value()
    }
}

/// Where a cursor program starts.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Start {
    /// `cursor` / `cursor_mut`: the null position.
    Null,
    /// `cursor_front` / `cursor_front_mut`.
    Front,
    /// `cursor_back` / `cursor_back_mut`.
    Back,
    /// `cursor_from_ptr` / `cursor_mut_from_ptr` at the element at this position (modulo the
    /// length), through a pointer made from a reference the list's `iter` gave; at the null
    /// position if the list is empty.
    At(u8),
}

/// A read-only cursor step; each outputs where the cursor is, or what it sees.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "each variant is the cursor method of the same name"
)]
pub enum Look {
    MoveNext,
    MovePrev,
    PeekNext,
    PeekPrev,
    Get,
    IsNull,
}

/// The element an insertion step inserts.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum New {
    /// A new element. On a shared list, the spec keeps a handle to it.
    Value(u32),
    /// The shared element of this handle (modulo their number), linked or not. On an owning list,
    /// or with no handles, the step is a no-op.
    Handle(u8),
    /// The element this cursor program removed (or replaced) last and kept; a no-op if none.
    Kept,
}

/// One step of a mutable cursor program.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the fields are described on their variant")]
pub enum Step {
    /// A read-only step.
    Look(Look),
    /// `as_cursor`, then these read-only steps on the view.
    View(Vec<Look>),
    /// `remove`; the element is kept for a later `New::Kept` if `keep`, or else dropped at once.
    Remove { keep: bool },
    /// `replace_with(with)`; what comes back (the old element, or `with` at the null position)
    /// is kept or dropped as for `Remove`.
    Replace { with: New, keep: bool },
    /// `insert_before`.
    InsertBefore(New),
    /// `insert_after`.
    InsertAfter(New),
    /// `splice_before` of the top spare list (of an empty list if there is none).
    SpliceBefore,
    /// `splice_after` of the top spare list (of an empty list if there is none).
    SpliceAfter,
    /// `split_before`; the list split off becomes the top spare.
    SplitBefore,
    /// `split_after`; the list split off becomes the top spare.
    SplitAfter,
    /// Drops the top spare list.
    DropSpare,
}

/// Which lists an op works on.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// The lists of `Box<Node>`.
    Boxed,
    /// The lists of `Rc<Node>`.
    Shared,
}

/// One operation. An op with a `kind` works on the lists of that kind: `list` and `other` name
/// one of them modulo their number, and `front` and `back` are how many elements to take from
/// either end of an iterator.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the fields are described on the enum and the variant"
)]
pub enum Op {
    /// `push_front` if `front`, else `push_back` (`New::Kept` is a no-op here).
    Push {
        kind: Kind,
        list: u8,
        front: bool,
        elem: New,
    },
    /// `pop_front` if `front`, else `pop_back`; the element is dropped.
    Pop { kind: Kind, list: u8, front: bool },
    /// `len`, `is_empty`, `front`, `back`, `iter().count()` and `iter().last()`.
    Ends { kind: Kind, list: u8 },
    /// `iter`, consumed from both ends, then its `len`.
    Iter {
        kind: Kind,
        list: u8,
        front: u8,
        back: u8,
    },
    /// Takes the list out (a new one replaces the only list) and consumes it with `into_iter`
    /// from both ends, dropping each element; then its `len`, and it is dropped with the rest.
    IntoIter {
        kind: Kind,
        list: u8,
        front: u8,
        back: u8,
    },
    /// `list.append(other)`; a no-op if they are the same list.
    Append { kind: Kind, list: u8, other: u8 },
    /// `clear`.
    Clear { kind: Kind, list: u8 },
    /// `take`; the new list joins the others.
    Take { kind: Kind, list: u8 },
    /// Drops the list (a new one replaces the only list).
    Drop { kind: Kind, list: u8 },
    /// A read-only cursor program: the cursor starts at `start` and runs `steps`.
    Look {
        kind: Kind,
        list: u8,
        start: Start,
        steps: Vec<Look>,
    },
    /// A mutable cursor program: `donor` (unless it is `list`) is taken out to be the first spare
    /// list, the cursor starts at `start`, runs `steps`, and is leaked with `mem::forget` if
    /// `leak`, else dropped.
    Edit {
        kind: Kind,
        list: u8,
        donor: Option<u8>,
        start: Start,
        steps: Vec<Step>,
        leak: bool,
    },
    /// `Link::is_linked` of a handle's element.
    IsLinked(u8),
    /// Drops a handle, so the lists may hold the last reference to its element.
    Release(u8),
    /// Arms a panic in the next op's drops (the list never clones or compares its elements).
    Arm(PanicPlan),
}

impl Op {
    /// The lists the op works on, if it works on lists.
    fn kind(&self) -> Option<Kind> {
        match self {
            Op::Push { kind, .. }
            | Op::Pop { kind, .. }
            | Op::Ends { kind, .. }
            | Op::Iter { kind, .. }
            | Op::IntoIter { kind, .. }
            | Op::Append { kind, .. }
            | Op::Clear { kind, .. }
            | Op::Take { kind, .. }
            | Op::Drop { kind, .. }
            | Op::Look { kind, .. }
            | Op::Edit { kind, .. } => Some(*kind),
            Op::IsLinked(_) | Op::Release(_) | Op::Arm(_) => None,
        }
    }
}

/// What an op returns.
#[derive(Debug, PartialEq, Eq)]
#[expect(missing_docs, reason = "the fields are described on their variant")]
pub enum Out {
    /// Nothing to compare.
    Unit,
    /// The op or step was invalid in this state, so nothing happened.
    Skipped,
    /// One value, or none.
    Value(Option<u32>),
    /// Values, in order.
    Values(Vec<u32>),
    /// A yes or no.
    Flag(bool),
    /// What `Op::Ends` reads: `len`, `is_empty`, `front`, `back`, and the `count` and `last`
    /// of `iter`.
    Ends {
        len: usize,
        is_empty: bool,
        front: Option<u32>,
        back: Option<u32>,
        count: usize,
        last: Option<u32>,
    },
    /// The values an iterator yielded, and its `len` afterwards.
    Iterated { got: Vec<u32>, left: usize },
    /// `replace_with`'s result: the old value, or the rejected one.
    Replaced(Result<u32, u32>),
    /// A panic by contract.
    Panicked(PanicMessage),
    /// The outputs of a read-only cursor program.
    Looked(Vec<Out>),
    /// The outputs of a mutable cursor program, each with the cursor's element after the step.
    Edited(Vec<(Out, Option<u32>)>),
}

/// A cursor's read-only moves, as both sides offer them.
pub trait ReadCursor {
    /// `get`'s value.
    fn get(&self) -> Option<u32>;
    /// `is_null`.
    fn is_null(&self) -> bool;
    /// `move_next`.
    fn move_next(&mut self);
    /// `move_prev`.
    fn move_prev(&mut self);
    /// `peek_next`'s value.
    fn peek_next(&self) -> Option<u32>;
    /// `peek_prev`'s value.
    fn peek_prev(&self) -> Option<u32>;
}

/// A mutable cursor's operations, as both sides offer them.
pub trait EditCursor: ReadCursor {
    /// What the list holds.
    type Elem: Element;
    /// The list type, for splices and splits.
    type List: List<Elem = Self::Elem>;
    /// The read-only view `as_cursor` gives.
    type View<'b>: ReadCursor
    where
        Self: 'b;
    /// `as_cursor`.
    fn as_cursor(&self) -> Self::View<'_>;
    /// `remove`.
    fn remove(&mut self) -> Option<Self::Elem>;
    /// `replace_with`.
    fn replace_with(&mut self, elem: Self::Elem) -> Result<Self::Elem, Self::Elem>;
    /// `insert_before`.
    fn insert_before(&mut self, elem: Self::Elem);
    /// `insert_after`.
    fn insert_after(&mut self, elem: Self::Elem);
    /// `splice_before`.
    fn splice_before(&mut self, list: Self::List);
    /// `splice_after`.
    fn splice_after(&mut self, list: Self::List);
    /// `split_before`.
    fn split_before(&mut self) -> Self::List;
    /// `split_after`.
    fn split_after(&mut self) -> Self::List;
}

/// A list's operations, as both sides offer them.
pub trait List: Default {
    /// What the list holds.
    type Elem: Element;
    /// Its read-only cursor.
    type Cur<'a>: ReadCursor
    where
        Self: 'a;
    /// Its mutable cursor.
    type CurMut<'a>: EditCursor<Elem = Self::Elem, List = Self>
    where
        Self: 'a;
    /// `len`.
    fn len(&self) -> usize;
    /// `is_empty`.
    fn is_empty(&self) -> bool;
    /// `front`'s value.
    fn front_value(&self) -> Option<u32>;
    /// `back`'s value.
    fn back_value(&self) -> Option<u32>;
    /// `iter().count()` and the value of `iter().last()`, which the list implements itself.
    fn count_last(&self) -> (usize, Option<u32>);
    /// `push_front`.
    fn push_front(&mut self, elem: Self::Elem);
    /// `push_back`.
    fn push_back(&mut self, elem: Self::Elem);
    /// `pop_front`.
    fn pop_front(&mut self) -> Option<Self::Elem>;
    /// `pop_back`.
    fn pop_back(&mut self) -> Option<Self::Elem>;
    /// `append`.
    fn append(&mut self, other: &mut Self);
    /// `clear`.
    fn clear(&mut self);
    /// `take`.
    fn take(&mut self) -> Self;
    /// `iter`, as values.
    fn values(&self) -> impl DoubleEndedIterator<Item = u32> + ExactSizeIterator;
    /// `into_iter`.
    fn into_elems(self) -> impl DoubleEndedIterator<Item = Self::Elem> + ExactSizeIterator;
    /// A read-only cursor at `start`.
    fn cursor_at(&self, start: Start) -> Self::Cur<'_>;
    /// A mutable cursor at `start`.
    fn cursor_mut_at(&mut self, start: Start) -> Self::CurMut<'_>;
    /// `check_invariants` (nothing for the model).
    fn check(&self);
}

// ----- the subject ----------------------------------------------------------------------------

/// A pointer to the element at `at` (modulo the length) of `list`, made from the reference its
/// `iter` yields; `None` if the list is empty.
fn element_ptr<A: Adapter>(list: &LinkedList<A>, at: u8) -> Option<*const A::Value> {
    let len = list.len();
    if len == 0 {
        return None;
    }
    list.iter().nth(usize::from(at) % len).map(ptr::from_ref)
}

/// The read-only moves of a subject cursor, the same for both cursor types.
macro_rules! subject_read_cursor {
    ($cursor:ident) => {
        impl<A: Adapter<Value = Node>> ReadCursor for $cursor<'_, A> {
            fn get(&self) -> Option<u32> {
                $cursor::get(self).map(|node| *node.value)
            }

            fn is_null(&self) -> bool {
                $cursor::is_null(self)
            }

            fn move_next(&mut self) {
                $cursor::move_next(self);
            }

            fn move_prev(&mut self) {
                $cursor::move_prev(self);
            }

            fn peek_next(&self) -> Option<u32> {
                $cursor::peek_next(self).map(|node| *node.value)
            }

            fn peek_prev(&self) -> Option<u32> {
                $cursor::peek_prev(self).map(|node| *node.value)
            }
        }
    };
}
subject_read_cursor!(Cursor);
subject_read_cursor!(CursorMut);

impl<A> EditCursor for CursorMut<'_, A>
where
    A: Adapter<Value = Node, Pointer: Element>,
{
    type Elem = A::Pointer;
    type List = LinkedList<A>;
    type View<'b>
        = Cursor<'b, A>
    where
        Self: 'b;

    fn as_cursor(&self) -> Cursor<'_, A> {
        CursorMut::as_cursor(self)
    }

    fn remove(&mut self) -> Option<A::Pointer> {
        CursorMut::remove(self)
    }

    fn replace_with(&mut self, elem: A::Pointer) -> Result<A::Pointer, A::Pointer> {
        CursorMut::replace_with(self, elem)
    }

    fn insert_before(&mut self, elem: A::Pointer) {
        CursorMut::insert_before(self, elem);
    }

    fn insert_after(&mut self, elem: A::Pointer) {
        CursorMut::insert_after(self, elem);
    }

    fn splice_before(&mut self, list: LinkedList<A>) {
        CursorMut::splice_before(self, list);
    }

    fn splice_after(&mut self, list: LinkedList<A>) {
        CursorMut::splice_after(self, list);
    }

    fn split_before(&mut self) -> LinkedList<A> {
        CursorMut::split_before(self)
    }

    fn split_after(&mut self) -> LinkedList<A> {
        CursorMut::split_after(self)
    }
}

impl<A> List for LinkedList<A>
where
    A: Adapter<Value = Node, Pointer: Element>,
{
    type Elem = A::Pointer;
    type Cur<'a>
        = Cursor<'a, A>
    where
        Self: 'a;
    type CurMut<'a>
        = CursorMut<'a, A>
    where
        Self: 'a;

    fn len(&self) -> usize {
        LinkedList::len(self)
    }

    fn is_empty(&self) -> bool {
        LinkedList::is_empty(self)
    }

    fn front_value(&self) -> Option<u32> {
        self.front().map(|node| *node.value)
    }

    fn back_value(&self) -> Option<u32> {
        self.back().map(|node| *node.value)
    }

    fn count_last(&self) -> (usize, Option<u32>) {
        let last = self.iter().last().map(|node| *node.value);
        (self.iter().count(), last)
    }

    fn push_front(&mut self, elem: A::Pointer) {
        LinkedList::push_front(self, elem);
    }

    fn push_back(&mut self, elem: A::Pointer) {
        LinkedList::push_back(self, elem);
    }

    fn pop_front(&mut self) -> Option<A::Pointer> {
        LinkedList::pop_front(self)
    }

    fn pop_back(&mut self) -> Option<A::Pointer> {
        LinkedList::pop_back(self)
    }

    fn append(&mut self, other: &mut Self) {
        LinkedList::append(self, other);
    }

    fn clear(&mut self) {
        LinkedList::clear(self);
    }

    fn take(&mut self) -> Self {
        LinkedList::take(self)
    }

    fn values(&self) -> impl DoubleEndedIterator<Item = u32> + ExactSizeIterator {
        self.iter().map(|node| *node.value)
    }

    fn into_elems(self) -> impl DoubleEndedIterator<Item = A::Pointer> + ExactSizeIterator {
        self.into_iter()
    }

    fn cursor_at(&self, start: Start) -> Cursor<'_, A> {
        match start {
            Start::Null => self.cursor(),
            Start::Front => self.cursor_front(),
            Start::Back => self.cursor_back(),
            Start::At(at) => match element_ptr(self, at) {
                // SAFETY: `ptr` was made from a reference to an element that `self.iter()` just
                // yielded, so it points to an element linked into `self`, and allows reads.
                Some(ptr) => unsafe { self.cursor_from_ptr(ptr) },
                None => self.cursor(),
            },
        }
    }

    fn cursor_mut_at(&mut self, start: Start) -> CursorMut<'_, A> {
        match start {
            Start::Null => self.cursor_mut(),
            Start::Front => self.cursor_front_mut(),
            Start::Back => self.cursor_back_mut(),
            Start::At(at) => match element_ptr(self, at) {
                // SAFETY: `ptr` was made from a reference to an element that `self.iter()` just
                // yielded, so it points to an element linked into `self`, and allows reads.
                Some(ptr) => unsafe { self.cursor_mut_from_ptr(ptr) },
                None => self.cursor_mut(),
            },
        }
    }

    fn check(&self) {
        self.check_invariants();
    }
}

// ----- the model ------------------------------------------------------------------------------

/// The position of a model cursor starting at `start` in a list of `len` elements.
fn start_index(start: Start, len: usize) -> Option<usize> {
    match start {
        Start::Null => None,
        Start::Front => (len > 0).then_some(0),
        Start::Back => len.checked_sub(1),
        Start::At(at) => (len > 0).then(|| usize::from(at) % len),
    }
}

/// The position after `at` in a ring of `len` elements and the null position.
fn ring_next(at: Option<usize>, len: usize) -> Option<usize> {
    match at {
        None => (len > 0).then_some(0),
        Some(i) => (i + 1 < len).then_some(i + 1),
    }
}

/// The position before `at` in a ring of `len` elements and the null position.
fn ring_prev(at: Option<usize>, len: usize) -> Option<usize> {
    match at {
        None => len.checked_sub(1),
        Some(i) => i.checked_sub(1),
    }
}

/// Moves the elements of `other` into `list` so that the first of them is at `at`.
fn splice_at<S>(list: &mut VecDeque<S>, at: usize, mut other: VecDeque<S>) {
    let mut tail = list.split_off(at);
    list.append(&mut other);
    list.append(&mut tail);
}

/// The model's read-only cursor: a list and a position (`None` is null).
#[derive(Debug)]
pub struct At<'a, S> {
    list: &'a VecDeque<S>,
    at: Option<usize>,
}

/// The model's mutable cursor: a list and a position (`None` is null).
#[derive(Debug)]
pub struct AtMut<'a, S> {
    list: &'a mut VecDeque<S>,
    at: Option<usize>,
}

/// The read-only moves of a model cursor, the same for both kinds.
macro_rules! model_read_cursor {
    ($cursor:ident) => {
        impl<S: Stored> ReadCursor for $cursor<'_, S> {
            fn get(&self) -> Option<u32> {
                self.at.map(|i| self.list[i].value())
            }

            fn is_null(&self) -> bool {
                self.at.is_none()
            }

            fn move_next(&mut self) {
                self.at = ring_next(self.at, self.list.len());
            }

            fn move_prev(&mut self) {
                self.at = ring_prev(self.at, self.list.len());
            }

            fn peek_next(&self) -> Option<u32> {
                ring_next(self.at, self.list.len()).map(|i| self.list[i].value())
            }

            fn peek_prev(&self) -> Option<u32> {
                ring_prev(self.at, self.list.len()).map(|i| self.list[i].value())
            }
        }
    };
}
model_read_cursor!(At);
model_read_cursor!(AtMut);

impl<S: Stored> EditCursor for AtMut<'_, S> {
    type Elem = S::Elem;
    type List = VecDeque<S>;
    type View<'b>
        = At<'b, S>
    where
        Self: 'b;

    fn as_cursor(&self) -> At<'_, S> {
        At {
            list: self.list,
            at: self.at,
        }
    }

    fn remove(&mut self) -> Option<S::Elem> {
        let i = self.at?;
        let removed = self.list.remove(i).expect("the cursor is at an element");
        // The cursor moves to the next element, which is now at `i`, or to null.
        self.at = (i < self.list.len()).then_some(i);
        Some(removed.unlink())
    }

    fn replace_with(&mut self, elem: S::Elem) -> Result<S::Elem, S::Elem> {
        let Some(i) = self.at else { return Err(elem) };
        let new = S::link(elem);
        Ok(mem::replace(&mut self.list[i], new).unlink())
    }

    fn insert_before(&mut self, elem: S::Elem) {
        let new = S::link(elem);
        match self.at {
            None => self.list.push_back(new),
            Some(i) => {
                self.list.insert(i, new);
                self.at = Some(i + 1);
            }
        }
    }

    fn insert_after(&mut self, elem: S::Elem) {
        let new = S::link(elem);
        match self.at {
            None => self.list.push_front(new),
            Some(i) => self.list.insert(i + 1, new),
        }
    }

    fn splice_before(&mut self, list: VecDeque<S>) {
        let moved = list.len();
        match self.at {
            None => splice_at(self.list, self.list.len(), list),
            Some(i) => {
                splice_at(self.list, i, list);
                self.at = Some(i + moved);
            }
        }
    }

    fn splice_after(&mut self, list: VecDeque<S>) {
        let at = self.at.map_or(0, |i| i + 1);
        splice_at(self.list, at, list);
    }

    fn split_before(&mut self) -> VecDeque<S> {
        match self.at {
            None => mem::take(self.list),
            Some(i) => {
                let rest = self.list.split_off(i);
                self.at = Some(0);
                mem::replace(self.list, rest)
            }
        }
    }

    fn split_after(&mut self) -> VecDeque<S> {
        match self.at {
            None => mem::take(self.list),
            Some(i) => self.list.split_off(i + 1),
        }
    }
}

impl<S: Stored> List for VecDeque<S> {
    type Elem = S::Elem;
    type Cur<'a>
        = At<'a, S>
    where
        Self: 'a;
    type CurMut<'a>
        = AtMut<'a, S>
    where
        Self: 'a;

    fn len(&self) -> usize {
        VecDeque::len(self)
    }

    fn is_empty(&self) -> bool {
        VecDeque::is_empty(self)
    }

    fn front_value(&self) -> Option<u32> {
        self.front().map(S::value)
    }

    fn back_value(&self) -> Option<u32> {
        self.back().map(S::value)
    }

    fn count_last(&self) -> (usize, Option<u32>) {
        (self.iter().count(), self.iter().last().map(S::value))
    }

    fn push_front(&mut self, elem: S::Elem) {
        VecDeque::push_front(self, S::link(elem));
    }

    fn push_back(&mut self, elem: S::Elem) {
        VecDeque::push_back(self, S::link(elem));
    }

    fn pop_front(&mut self) -> Option<S::Elem> {
        VecDeque::pop_front(self).map(S::unlink)
    }

    fn pop_back(&mut self) -> Option<S::Elem> {
        VecDeque::pop_back(self).map(S::unlink)
    }

    fn append(&mut self, other: &mut Self) {
        VecDeque::append(self, other);
    }

    fn clear(&mut self) {
        VecDeque::clear(self);
    }

    fn take(&mut self) -> Self {
        mem::take(self)
    }

    fn values(&self) -> impl DoubleEndedIterator<Item = u32> + ExactSizeIterator {
        self.iter().map(S::value)
    }

    fn into_elems(self) -> impl DoubleEndedIterator<Item = S::Elem> + ExactSizeIterator {
        self.into_iter().map(S::unlink)
    }

    fn cursor_at(&self, start: Start) -> At<'_, S> {
        At {
            at: start_index(start, self.len()),
            list: self,
        }
    }

    fn cursor_mut_at(&mut self, start: Start) -> AtMut<'_, S> {
        AtMut {
            at: start_index(start, self.len()),
            list: self,
        }
    }

    fn check(&self) {}
}

// ----- one generic apply ----------------------------------------------------------------------

/// Makes the element an insertion names, or `None` if it names none (outside a cursor program,
/// `kept` is empty).
type Make<'m, E> = dyn FnMut(New) -> Option<E> + 'm;

/// The lists and handles of one side: the subject's `LinkedList`s or the model's `VecDeque`s.
#[derive(Debug)]
pub struct Lists<B, R: List> {
    boxed: Vec<B>,
    shared: Vec<R>,
    /// Handles to every shared element made, until `Release`d.
    handles: Handles<R::Elem>,
}

impl<B: List, R: List> Lists<B, R> {
    fn new(new_boxed: fn() -> B, new_shared: fn() -> R) -> Self {
        Lists {
            boxed: (0..INITIAL_LISTS).map(|_| new_boxed()).collect(),
            shared: (0..INITIAL_LISTS).map(|_| new_shared()).collect(),
            handles: Handles::new(),
        }
    }
}

/// The list `i` names among `n` (there is always at least one).
fn pick(i: u8, n: usize) -> usize {
    usize::from(i) % n
}

/// Two different lists of `lists`, mutably.
fn pair_mut<L>(lists: &mut [L], i: usize, j: usize) -> (&mut L, &mut L) {
    debug_assert_ne!(i, j, "pair_mut of one list");
    if i < j {
        let (low, high) = lists.split_at_mut(j);
        (&mut low[i], &mut high[0])
    } else {
        let (low, high) = lists.split_at_mut(i);
        (&mut high[0], &mut low[j])
    }
}

/// Takes list `i` out of `lists`; the only list is replaced by a new one instead.
fn remove_list<L: List>(lists: &mut Vec<L>, i: usize) -> L {
    if lists.len() > 1 {
        lists.remove(i)
    } else {
        mem::take(&mut lists[i])
    }
}

/// Adds a list to `lists`, or drops it if there are enough.
fn add_list<L: List>(lists: &mut Vec<L>, list: L) {
    if lists.len() < MAX_LISTS {
        lists.push(list);
    } else {
        drop(list);
    }
}

/// The value of an element that leaves the lists, which is then dropped.
fn release<E: Element>(elem: E) -> u32 {
    let value = elem.value();
    drop(elem);
    value
}

/// The value of an element a cursor gave back, which is then kept or dropped.
fn settle<E: Element>(elem: E, keep: bool, kept: &mut Vec<E>) -> u32 {
    let value = elem.value();
    if keep {
        kept.push(elem);
    } else {
        drop(elem);
    }
    value
}

/// Runs `f`, which may panic by contract (an element already linked), as an output.
fn unit_or_panic(f: impl FnOnce()) -> Out {
    expect_panic(f).map_or_else(Out::Panicked, |()| Out::Unit)
}

fn look<C: ReadCursor>(cursor: &mut C, look: Look) -> Out {
    match look {
        Look::MoveNext => {
            cursor.move_next();
            Out::Value(cursor.get())
        }
        Look::MovePrev => {
            cursor.move_prev();
            Out::Value(cursor.get())
        }
        Look::PeekNext => Out::Value(cursor.peek_next()),
        Look::PeekPrev => Out::Value(cursor.peek_prev()),
        Look::Get => Out::Value(cursor.get()),
        Look::IsNull => Out::Flag(cursor.is_null()),
    }
}

fn looks<C: ReadCursor>(cursor: &mut C, steps: &[Look]) -> Out {
    Out::Looked(
        steps
            .iter()
            .take(MAX_STEPS)
            .map(|&step| look(cursor, step))
            .collect(),
    )
}

/// One step of a mutable cursor program.
fn edit_step<C: EditCursor>(
    cursor: &mut C,
    step: &Step,
    spares: &mut Vec<C::List>,
    kept: &mut Vec<C::Elem>,
    make: &mut Make<'_, C::Elem>,
) -> Out {
    let mut fresh = |new: New, kept: &mut Vec<C::Elem>| match new {
        New::Kept => kept.pop(),
        other => make(other),
    };
    match step {
        Step::Look(step) => look(cursor, *step),
        Step::View(steps) => looks(&mut cursor.as_cursor(), steps),
        Step::Remove { keep } => Out::Value(cursor.remove().map(|e| settle(e, *keep, kept))),
        Step::Replace { with, keep } => {
            let Some(elem) = fresh(*with, kept) else {
                return Out::Skipped;
            };
            match expect_panic(|| cursor.replace_with(elem)) {
                Ok(Ok(old)) => Out::Replaced(Ok(settle(old, *keep, kept))),
                Ok(Err(back)) => Out::Replaced(Err(settle(back, *keep, kept))),
                Err(panic) => Out::Panicked(panic),
            }
        }
        Step::InsertBefore(new) => match fresh(*new, kept) {
            Some(elem) => unit_or_panic(|| cursor.insert_before(elem)),
            None => Out::Skipped,
        },
        Step::InsertAfter(new) => match fresh(*new, kept) {
            Some(elem) => unit_or_panic(|| cursor.insert_after(elem)),
            None => Out::Skipped,
        },
        Step::SpliceBefore => {
            cursor.splice_before(spares.pop().unwrap_or_default());
            Out::Unit
        }
        Step::SpliceAfter => {
            cursor.splice_after(spares.pop().unwrap_or_default());
            Out::Unit
        }
        Step::SplitBefore | Step::SplitAfter => {
            let part = if matches!(step, Step::SplitBefore) {
                cursor.split_before()
            } else {
                cursor.split_after()
            };
            let values = part.values().collect();
            spares.push(part);
            Out::Values(values)
        }
        Step::DropSpare => spares.pop().map_or(Out::Skipped, |spare| {
            drop(spare);
            Out::Unit
        }),
    }
}

/// A mutable cursor program on `lists[list]`.
fn edit<L: List>(
    lists: &mut Vec<L>,
    list: u8,
    donor: Option<u8>,
    start: Start,
    steps: &[Step],
    leak: bool,
    make: &mut Make<'_, L::Elem>,
) -> Out {
    let mut at = pick(list, lists.len());
    let mut spares = Vec::new();
    if let Some(donor) = donor.map(|d| pick(d, lists.len())).filter(|&d| d != at) {
        spares.push(lists.remove(donor));
        if donor < at {
            at -= 1;
        }
    }
    let mut kept = Vec::new();
    let mut cursor = lists[at].cursor_mut_at(start);
    let seen = steps
        .iter()
        .take(MAX_STEPS)
        .map(|step| {
            let out = edit_step(&mut cursor, step, &mut spares, &mut kept, make);
            (out, cursor.get())
        })
        .collect();
    if leak {
        mem::forget(cursor);
    } else {
        drop(cursor);
    }
    drop(kept);
    for spare in spares {
        add_list(lists, spare);
    }
    Out::Edited(seen)
}

/// Applies `op` to the lists of one kind.
fn apply_list<L: List>(lists: &mut Vec<L>, op: &Op, make: &mut Make<'_, L::Elem>) -> Out {
    let n = lists.len();
    match op {
        Op::Push {
            list, front, elem, ..
        } => {
            let Some(elem) = make(*elem) else {
                return Out::Skipped;
            };
            let list = &mut lists[pick(*list, n)];
            unit_or_panic(|| {
                if *front {
                    list.push_front(elem);
                } else {
                    list.push_back(elem);
                }
            })
        }
        Op::Pop { list, front, .. } => {
            let list = &mut lists[pick(*list, n)];
            let elem = if *front {
                list.pop_front()
            } else {
                list.pop_back()
            };
            Out::Value(elem.map(release))
        }
        Op::Ends { list, .. } => {
            let list = &lists[pick(*list, n)];
            let (count, last) = list.count_last();
            Out::Ends {
                len: list.len(),
                is_empty: list.is_empty(),
                front: list.front_value(),
                back: list.back_value(),
                count,
                last,
            }
        }
        Op::Iter {
            list, front, back, ..
        } => {
            let mut iter = lists[pick(*list, n)].values();
            let mut got: Vec<u32> = iter.by_ref().take(usize::from(*front)).collect();
            got.extend(iter.by_ref().rev().take(usize::from(*back)));
            Out::Iterated {
                got,
                left: iter.len(),
            }
        }
        Op::IntoIter {
            list, front, back, ..
        } => {
            let mut iter = remove_list(lists, pick(*list, n)).into_elems();
            let mut got: Vec<u32> = iter
                .by_ref()
                .take(usize::from(*front))
                .map(release)
                .collect();
            got.extend(iter.by_ref().rev().take(usize::from(*back)).map(release));
            let left = iter.len();
            drop(iter);
            Out::Iterated { got, left }
        }
        Op::Append { list, other, .. } => {
            let (list, other) = (pick(*list, n), pick(*other, n));
            if list == other {
                return Out::Skipped;
            }
            let (list, other) = pair_mut(lists, list, other);
            list.append(other);
            Out::Unit
        }
        Op::Clear { list, .. } => {
            lists[pick(*list, n)].clear();
            Out::Unit
        }
        Op::Take { list, .. } => {
            let taken = lists[pick(*list, n)].take();
            add_list(lists, taken);
            Out::Unit
        }
        Op::Drop { list, .. } => {
            drop(remove_list(lists, pick(*list, n)));
            Out::Unit
        }
        Op::Look {
            list, start, steps, ..
        } => looks(&mut lists[pick(*list, n)].cursor_at(*start), steps),
        Op::Edit {
            list,
            donor,
            start,
            steps,
            leak,
            ..
        } => edit(lists, *list, *donor, *start, steps, *leak, make),
        Op::IsLinked(_) | Op::Release(_) | Op::Arm(_) => {
            unreachable!("{op:?} is applied by `apply`")
        }
    }
}

/// Applies `op` to one side.
fn apply<B: List, R: List<Elem: SharedElement>>(side: &mut Lists<B, R>, op: &Op) -> Out {
    match op.kind() {
        Some(Kind::Boxed) => apply_list(&mut side.boxed, op, &mut |new| match new {
            New::Value(value) => Some(B::Elem::new(value)),
            New::Handle(_) | New::Kept => None,
        }),
        Some(Kind::Shared) => {
            let handles = &mut side.handles;
            apply_list(&mut side.shared, op, &mut |new| match new {
                New::Value(value) => {
                    let elem = R::Elem::new(value);
                    handles.push(elem.clone());
                    Some(elem)
                }
                New::Handle(i) => handles.get(i).cloned(),
                New::Kept => None,
            })
        }
        None => match op {
            Op::IsLinked(i) => side
                .handles
                .get(*i)
                .map_or(Out::Skipped, |handle| Out::Flag(handle.is_linked())),
            Op::Release(i) => side.handles.take(*i).map_or(Out::Skipped, |handle| {
                drop(handle);
                Out::Unit
            }),
            Op::Arm(plan) => {
                lockstep::arm(*plan);
                Out::Unit
            }
            _ => unreachable!("{op:?} works on lists"),
        },
    }
}

/// A whole side: the values of every list, in order, and each handle's value and `is_linked`.
#[derive(Debug, PartialEq, Eq)]
pub struct State {
    boxed: Vec<Vec<u32>>,
    shared: Vec<Vec<u32>>,
    handles: Vec<(u32, bool)>,
}

fn state<B: List, R: List<Elem: SharedElement>>(side: &Lists<B, R>) -> State {
    State {
        boxed: side.boxed.iter().map(|l| l.values().collect()).collect(),
        shared: side.shared.iter().map(|l| l.values().collect()).collect(),
        handles: side
            .handles
            .live()
            .iter()
            .map(|h| (h.value(), h.is_linked()))
            .collect(),
    }
}

/// The spec: `LinkedList`s of `Box<Node>` and `Rc<Node>` against `VecDeque`s.
#[derive(Debug)]
pub struct ListSpec;

impl Spec for ListSpec {
    type Op = Op;
    type Subject = Lists<LinkedList<BoxNodes>, LinkedList<RcNodes>>;
    type Model = Lists<VecDeque<Tracked<u32>>, VecDeque<Held>>;
    type Output = Out;
    type Item = State;

    fn new_model() -> Self::Model {
        Lists::new(VecDeque::new, VecDeque::new)
    }

    fn new_subject() -> Self::Subject {
        Lists::new(LinkedList::new, LinkedList::new)
    }

    fn apply_model(model: &mut Self::Model, op: &Op) -> Out {
        apply(model, op)
    }

    fn apply_subject(subject: &mut Self::Subject, op: &Op) -> Out {
        apply(subject, op)
    }

    fn check_invariants(subject: &Self::Subject) {
        subject.boxed.iter().for_each(List::check);
        subject.shared.iter().for_each(List::check);
    }

    fn model_state(model: &Self::Model) -> impl Iterator<Item = State> {
        std::iter::once(state(model))
    }

    fn subject_state(subject: &Self::Subject) -> impl Iterator<Item = State> {
        std::iter::once(state(subject))
    }
}
