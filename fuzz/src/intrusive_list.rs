//! The spec of the intrusive [`LinkedList`]: every public method, against [`ListModel`].
//!
//! Both sides hold the same elements, `Rc<Node>` (the model never touches a node's link). An
//! element made by [`New::Value`] is held by its list alone, as a `Box` would be, so it is freed
//! the moment it leaves: AddressSanitizer and Miri see any use of it afterwards. One made by
//! [`New::Shared`] also gets a handle the spec keeps, so ops can insert it again once removed,
//! insert it while it is still linked (which must panic and change nothing), and ask whether it
//! is linked.
//!
//! Up to four lists, which ops name by an index modulo their number. Cursors cannot outlive an
//! op, so an op carries a cursor program: where the cursor starts, up to 16 steps whose outputs
//! (and where the cursor is after each) are compared, and whether the cursor is then dropped or
//! leaked. A mutable program has a stack of spare lists (a donor list taken out first, and what
//! `split_*` returns) that `splice_*` consumes, and a stack of elements it removed and kept for
//! re-insertion; afterwards the spare lists go back among the lists and the kept elements are
//! dropped. Both sides drop elements front to back, so a panic armed in a drop hits the same
//! element on both.
#![allow(
    clippy::unit_arg,
    reason = "an op whose method returns nothing ends in `.into()`, like every other op"
)]

use std::rc::Rc;
use std::{mem, ptr};

use lockstep::models::{ListCursor, ListCursorMut, ListModel};
use lockstep::{Handles, Out, Tracked, panics_if};
use structures::intrusive_adapter;
use structures::intrusive_list::{Cursor, CursorMut, Link, LinkedList};

/// At most this many lists; one made beyond that (by `take` or `split_*`) is dropped at once.
const MAX_LISTS: usize = 4;

/// At most this many steps of a cursor program run.
const MAX_STEPS: usize = 16;

/// An element: a link and a tracked value.
#[derive(Debug)]
pub struct Node {
    link: Link,
    value: Tracked<u32>,
}

intrusive_adapter!(
    /// The subject's lists hold `Rc<Node>`s.
    pub Nodes = Rc<Node>: Node { link }
);

lockstep::ops! {
    /// Where a cursor program starts.
    #[derive(Copy)]
    pub enum Start {
        /// `cursor(_mut)`: the null position.
        Null,
        /// `cursor_front(_mut)`.
        Front,
        /// `cursor_back(_mut)`.
        Back,
        /// `cursor(_mut)_from_ptr` at the element at this position (modulo the length), through
        /// a pointer made from a reference `iter` gave; at the null position in an empty list.
        At(u8),
    }
}

lockstep::ops! {
    /// A read-only cursor step; each outputs the cursor's element after it, or what it asks.
    #[derive(Copy)]
    #[expect(missing_docs, reason = "each variant is the cursor method of the same name")]
    pub enum Look { MoveNext, MovePrev, PeekNext, PeekPrev, Get, IsNull }
}

lockstep::ops! {
    /// The element an insertion inserts; an insertion whose element is none is a no-op.
    #[derive(Copy)]
    pub enum New {
        /// A new element that only its list holds.
        Value(u32),
        /// A new element the spec keeps a handle to.
        Shared(u32),
        /// The element of this handle (modulo their number), linked or not.
        Handle(u8),
        /// The element the cursor program removed (or replaced) and kept last.
        Kept,
    }
}

lockstep::ops! {
    /// One step of a mutable cursor program.
    #[expect(missing_docs, reason = "the fields are described on their variant")]
    pub enum Step {
        /// A read-only step.
        Look(Look),
        /// `as_cursor`, then these read-only steps on the view.
        View(Vec<Look>),
        /// `remove`; the element is kept for a later `New::Kept` if `keep`, or else dropped.
        Remove { keep: bool },
        /// `replace_with(with)`; what comes back is kept or dropped as for `Remove`.
        Replace { with: New, keep: bool },
        InsertBefore(New),
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
}

lockstep::ops! {
    /// One operation. `list` and `other` name a list; `front` and `back` are how many elements
    /// to take from either end of an iterator.
    #[expect(missing_docs, reason = "the fields are described on the enum and the variant")]
    pub enum Op {
        /// `push_front` if `front`, else `push_back`.
        Push { list: u8, front: bool, elem: New },
        /// `pop_front` if `front`, else `pop_back`; the element is dropped.
        Pop { list: u8, front: bool },
        /// `len`, `is_empty`, `front`, `back`, `iter().count()` and `iter().last()`.
        Ends { list: u8 },
        /// `iter`, taken from both ends, then its `len`.
        Iter { list: u8, front: u8, back: u8 },
        /// Takes the list out (a new one replaces the only list) and consumes it with
        /// `into_iter` from both ends; then its `len`, and it is dropped with the rest.
        IntoIter { list: u8, front: u8, back: u8 },
        /// `list.append(other)`; a no-op if they are the same list.
        Append { list: u8, other: u8 },
        /// `clear`.
        Clear { list: u8 },
        /// `take`; the new list joins the others.
        Take { list: u8 },
        /// Drops the list (a new one replaces the only list).
        Drop { list: u8 },
        /// A read-only cursor program.
        Look { list: u8, start: Start, steps: Vec<Look> },
        /// A mutable cursor program: `donor` (unless it is `list`) is taken out as the first
        /// spare list, and the cursor is leaked with `mem::forget` at the end if `leak`.
        Edit { list: u8, donor: Option<u8>, start: Start, steps: Vec<Step>, leak: bool },
        /// `Link::is_linked` of a handle's element.
        IsLinked(u8),
        /// Drops a handle, so the lists may hold the last reference to its element.
        Release(u8),
    }
}

lockstep::same_api! {
    /// What every cursor offers, on both sides.
    pub trait View for Cursor<'_, Nodes>, CursorMut<'_, Nodes>, ListCursor<'_, Rc<Node>>,
        ListCursorMut<'_, Rc<Node>> {
        fn get(&self) -> Option<&Node>;
        fn is_null(&self) -> bool;
        fn move_next(&mut self);
        fn move_prev(&mut self);
        fn peek_next(&self) -> Option<&Node>;
        fn peek_prev(&self) -> Option<&Node>;
    }
}

lockstep::same_api! {
    /// What a mutable cursor adds, on both sides.
    pub trait Edit: View
    for CursorMut<'_, Nodes> [type Spare = LinkedList<Nodes>;],
        ListCursorMut<'_, Rc<Node>> [type Spare = ListModel<Rc<Node>>;] {
        /// The list `split_*` returns and `splice_*` takes.
        type Spare: List;
        fn as_cursor(&self) -> impl View;
        fn remove(&mut self) -> Option<Rc<Node>>;
        fn replace_with(&mut self, val: Rc<Node>) -> Result<Rc<Node>, Rc<Node>>;
        fn insert_after(&mut self, val: Rc<Node>);
        fn insert_before(&mut self, val: Rc<Node>);
        fn splice_after(&mut self, list: Self::Spare);
        fn splice_before(&mut self, list: Self::Spare);
        fn split_after(&mut self) -> Self::Spare;
        fn split_before(&mut self) -> Self::Spare;
    }
}

lockstep::same_api! {
    /// The list's own methods, on both sides.
    pub trait List: Default + Linked
        + IntoIterator<Item = Rc<Node>, IntoIter: DoubleEndedIterator + ExactSizeIterator>
    for LinkedList<Nodes>, ListModel<Rc<Node>> {
        fn len(&self) -> usize;
        fn is_empty(&self) -> bool;
        fn front(&self) -> Option<&Node>;
        fn back(&self) -> Option<&Node>;
        fn push_front(&mut self, val: Rc<Node>);
        fn push_back(&mut self, val: Rc<Node>);
        fn pop_front(&mut self) -> Option<Rc<Node>>;
        fn pop_back(&mut self) -> Option<Rc<Node>>;
        fn append(&mut self, other: &mut Self);
        fn clear(&mut self);
        fn take(&mut self) -> Self;
        fn iter(&self) -> impl DoubleEndedIterator<Item = &Node> + ExactSizeIterator;
        fn cursor(&self) -> impl View;
        fn cursor_front(&self) -> impl View;
        fn cursor_back(&self) -> impl View;
        fn cursor_mut(&mut self) -> impl Edit<Spare = Self>;
        fn cursor_front_mut(&mut self) -> impl Edit<Spare = Self>;
        fn cursor_back_mut(&mut self) -> impl Edit<Spare = Self>;
        /// # Safety
        /// `ptr` points to an element of this list.
        unsafe fn cursor_from_ptr(&self, ptr: *const Node) -> impl View;
        /// # Safety
        /// `ptr` points to an element of this list.
        unsafe fn cursor_mut_from_ptr(&mut self, ptr: *const Node) -> impl Edit<Spare = Self>;
    }
}

/// Whether an element is in a list: its link says so on the subject, the model's own record on
/// the model.
pub trait Linked {
    /// Whether `node` is in a list.
    fn is_linked(node: &Node) -> bool;
}

impl Linked for LinkedList<Nodes> {
    fn is_linked(node: &Node) -> bool {
        node.link.is_linked()
    }
}

impl Linked for ListModel<Rc<Node>> {
    fn is_linked(node: &Node) -> bool {
        ListModel::<Rc<Node>>::is_linked(node)
    }
}

/// One side: its lists, and handles to the shared elements made, until `Release`d.
#[derive(Debug)]
pub struct Lists<L> {
    lists: Vec<L>,
    handles: Handles<Rc<Node>>,
}

impl<L: Default> Default for Lists<L> {
    fn default() -> Self {
        Lists { lists: vec![L::default(), L::default()], handles: Handles::new() }
    }
}

fn value(node: &Node) -> u32 {
    *node.value
}

/// The element `new` names (see [`New`]), if any.
fn make(new: New, handles: &mut Handles<Rc<Node>>, kept: &mut Vec<Rc<Node>>) -> Option<Rc<Node>> {
    let node = |v| Rc::new(Node { link: Link::new(), value: Tracked::new(v) });
    match new {
        New::Value(v) => Some(node(v)),
        New::Shared(v) => Some(node(v)).inspect(|n| handles.push(Rc::clone(n))),
        New::Handle(i) => handles.get(i).cloned(),
        New::Kept => kept.pop(),
    }
}

/// `insert(elem)`, which panics by contract if `elem` is already linked.
fn insert<L: List>(elem: Option<Rc<Node>>, insert: impl FnOnce(Rc<Node>)) -> Out<u32> {
    elem.map_or(Out::Unit, |e| panics_if(L::is_linked(&e), || insert(e)).into())
}

/// The value of an element a cursor gave back, which is then kept if `keep`, else dropped.
fn settle(elem: Rc<Node>, keep: bool, kept: &mut Vec<Rc<Node>>) -> Out<u32> {
    let out = Some(value(&elem)).into();
    if keep {
        kept.push(elem);
    }
    out
}

/// For [`Start::At`] in a list that is not empty, a pointer to the element it names, made from a
/// reference `iter` gave.
fn at_ptr<L: List>(list: &L, start: Start) -> Option<*const Node> {
    let Start::At(at) = start else { return None };
    let at = usize::from(at) % list.len().max(1);
    list.iter().nth(at).map(ptr::from_ref)
}

/// `$run(cursor)`, for a cursor made at `$start` by the constructors named.
macro_rules! at_start {
    ($list:expr, $start:expr, [$null:ident, $front:ident, $back:ident, $from_ptr:ident], $run:expr) => {
        match ($start, at_ptr(&*$list, $start)) {
            (Start::Front, _) => $run($list.$front()),
            (Start::Back, _) => $run($list.$back()),
            // SAFETY: `ptr` was made from a reference to an element that the list's `iter` just
            // yielded, so it points to an element of this list.
            (_, Some(ptr)) => $run(unsafe { $list.$from_ptr(ptr) }),
            (Start::Null | Start::At(_), None) => $run($list.$null()),
        }
    };
}

/// One read-only step: the cursor's element after a move, what a peek sees, or `is_null`.
fn look(cursor: &mut impl View, look: Look) -> Out<u32> {
    match look {
        Look::MoveNext => cursor.move_next(),
        Look::MovePrev => cursor.move_prev(),
        Look::IsNull => return cursor.is_null().into(),
        Look::PeekNext | Look::PeekPrev | Look::Get => {}
    }
    let seen = match look {
        Look::PeekNext => cursor.peek_next(),
        Look::PeekPrev => cursor.peek_prev(),
        _ => cursor.get(),
    };
    seen.map(value).into()
}

fn looks(mut cursor: impl View, steps: &[Look], out: &mut Vec<Out<u32>>) {
    out.extend(steps.iter().take(MAX_STEPS).map(|&l| look(&mut cursor, l)));
}

/// A mutable cursor program (see [`Op::Edit`]) on a cursor made before; `spares` holds the
/// donor list, if any, and goes back to `lists`.
fn edit<C: Edit>(
    mut cursor: C,
    steps: &[Step],
    leak: bool,
    handles: &mut Handles<Rc<Node>>,
    mut spares: Vec<C::Spare>,
) -> (Vec<Out<u32>>, Vec<C::Spare>) {
    let (mut out, mut kept) = (Vec::new(), Vec::new());
    for step in steps.iter().take(MAX_STEPS) {
        let mut elem = |new| make(new, handles, &mut kept);
        match step {
            Step::Look(l) => out.push(look(&mut cursor, *l)),
            Step::View(steps) => looks(cursor.as_cursor(), steps, &mut out),
            Step::Remove { keep } => match cursor.remove() {
                Some(e) => out.push(settle(e, *keep, &mut kept)),
                None => out.push(Out::Unit),
            },
            Step::Replace { with, keep } => match elem(*with) {
                Some(e) => {
                    let linked = C::Spare::is_linked(&e) && !cursor.is_null();
                    match panics_if(linked, || cursor.replace_with(e)) {
                        Ok(Ok(e)) => out.extend([true.into(), settle(e, *keep, &mut kept)]),
                        Ok(Err(e)) => out.extend([false.into(), settle(e, *keep, &mut kept)]),
                        Err(panic) => out.push(Out::Panicked(panic)),
                    }
                }
                None => out.push(Out::Unit),
            },
            Step::InsertBefore(new) => {
                out.push(insert::<C::Spare>(elem(*new), |e| cursor.insert_before(e)));
            }
            Step::InsertAfter(new) => {
                out.push(insert::<C::Spare>(elem(*new), |e| cursor.insert_after(e)));
            }
            Step::SpliceBefore => cursor.splice_before(spares.pop().unwrap_or_default()),
            Step::SpliceAfter => cursor.splice_after(spares.pop().unwrap_or_default()),
            Step::SplitBefore | Step::SplitAfter => {
                let part = match step {
                    Step::SplitBefore => cursor.split_before(),
                    _ => cursor.split_after(),
                };
                out.push(Out::values(part.iter().map(value)));
                spares.push(part);
            }
            Step::DropSpare => drop(spares.pop()),
        }
        out.push(cursor.get().map(value).into());
    }
    if leak {
        mem::forget(cursor);
    }
    drop(kept);
    (out, spares)
}

/// Takes list `i` out; the only list is replaced by a new one instead.
fn remove_list<L: List>(lists: &mut Vec<L>, i: usize) -> L {
    if lists.len() > 1 { lists.remove(i) } else { lists[i].take() }
}

/// Applies `op` to one side.
fn apply<L: List>(side: &mut Lists<L>, op: &Op) -> Vec<Out<u32>> {
    let Lists { lists, handles } = side;
    let n = lists.len();
    let pick = |i: &u8| usize::from(*i) % n;
    let one = |out: Out<u32>| vec![out];
    match op {
        Op::Push { list, front, elem } => {
            let list = &mut lists[pick(list)];
            one(insert::<L>(make(*elem, handles, &mut Vec::new()), |e| match front {
                true => list.push_front(e),
                false => list.push_back(e),
            }))
        }
        Op::Pop { list, front } => {
            let list = &mut lists[pick(list)];
            let elem = if *front { list.pop_front() } else { list.pop_back() };
            let out = elem.as_deref().map(value).into();
            // Dropped before the output is built: a drop that panics would leak a return value
            // built before it (rust-lang/rust#47949), which LeakSanitizer reports.
            drop(elem);
            one(out)
        }
        Op::Ends { list } => {
            let l = &lists[pick(list)];
            let v = |e: Option<&Node>| e.map(value).into();
            let (count, last) = (l.iter().count().into(), v(l.iter().last()));
            vec![l.len().into(), l.is_empty().into(), v(l.front()), v(l.back()), count, last]
        }
        Op::Iter { list, front, back } => {
            let mut iter = lists[pick(list)].iter();
            let got = lockstep::take_ends(&mut iter, (*front).into(), (*back).into());
            vec![Out::values(got.into_iter().map(value)), iter.len().into()]
        }
        Op::IntoIter { list, front, back } => {
            let mut iter = remove_list(lists, pick(list)).into_iter();
            let mut got: Vec<u32> =
                iter.by_ref().take((*front).into()).map(|e| value(&e)).collect();
            got.extend(iter.by_ref().rev().take((*back).into()).map(|e| value(&e)));
            let left = iter.len();
            drop(iter); // before the output is built, as in `Pop`
            vec![got.into(), left.into()]
        }
        Op::Append { list, other } if pick(list) != pick(other) => {
            let mut taken = mem::take(&mut lists[pick(other)]);
            lists[pick(list)].append(&mut taken);
            lists[pick(other)] = taken;
            one(Out::Unit)
        }
        Op::Append { .. } => one(Out::Unit),
        Op::Clear { list } => one(lists[pick(list)].clear().into()),
        Op::Take { list } => {
            let taken = lists[pick(list)].take();
            if n < MAX_LISTS {
                lists.push(taken)
            } else {
                drop(taken)
            }
            one(Out::Unit)
        }
        Op::Drop { list } => one(drop(remove_list(lists, pick(list))).into()),
        Op::Look { list, start, steps } => {
            let (list, mut out) = (&lists[pick(list)], Vec::new());
            at_start!(
                list,
                *start,
                [cursor, cursor_front, cursor_back, cursor_from_ptr],
                |cursor| looks(cursor, steps, &mut out)
            );
            out
        }
        Op::Edit { list, donor, start, steps, leak } => {
            let mut at = pick(list);
            let mut spares = Vec::new();
            if let Some(d) = donor.as_ref().map(pick).filter(|&d| d != at) {
                spares.push(lists.remove(d));
                at -= usize::from(d < at);
            }
            let list = &mut lists[at];
            let (out, spares) = at_start!(
                list,
                *start,
                [cursor_mut, cursor_front_mut, cursor_back_mut, cursor_mut_from_ptr],
                |cursor| edit(cursor, steps, *leak, handles, spares)
            );
            for spare in spares {
                if lists.len() < MAX_LISTS {
                    lists.push(spare);
                }
            }
            out
        }
        Op::IsLinked(i) => one(handles.get(*i).map_or(Out::Unit, |h| L::is_linked(h).into())),
        Op::Release(i) => one(drop(handles.take(*i)).into()),
    }
}

/// Every element of every list as (list, value, `true`), then each handle's element as
/// (`usize::MAX`, value, whether it is linked). (The subject's `check_invariants` checks the
/// links of the elements in its lists.)
fn state<L: List>(side: &Lists<L>) -> impl Iterator<Item = (usize, u32, bool)> {
    let lists = side.lists.iter().enumerate();
    let elements = lists.flat_map(|(i, list)| list.iter().map(move |node| (i, value(node), true)));
    elements.chain(side.handles.live().iter().map(|h| (usize::MAX, value(h), L::is_linked(h))))
}

lockstep::spec! {
    /// The spec: `LinkedList`s of `Rc<Node>` against `ListModel`s.
    pub struct ListSpec {
        type Op = Op;
        type Model = Lists<ListModel<Rc<Node>>>;
        type Subject = Lists<LinkedList<Nodes>>;
        type Output = Vec<Out<u32>>;
        type Item = (usize, u32, bool);
        apply = apply;
        state = state;

        fn check_invariants(subject: &Self::Subject) {
            subject.lists.iter().for_each(LinkedList::check_invariants);
        }
    }
}
