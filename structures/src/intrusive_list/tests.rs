//! Unit tests of every operation, randomized model tests against `VecDeque`, panic-safety,
//! `mem::forget` and invariant-checker tests.

use std::collections::VecDeque;
use std::mem;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::rc::Rc;
use std::sync::Arc;

use super::{Adapter, Cursor, CursorMut, IntoIter, IntrusivePointer, Iter, Link, LinkedList};
use crate::test_util::{Counted, Ledger, MODEL_OPS, Rng};

// ----- elements and helpers ------------------------------------------------------------------

/// A list element. `repr(C)` puts `link` after `value`, so the link is not at offset 0 and the
/// adapters' `get_value` really has to step back.
#[repr(C)]
#[derive(Debug)]
struct Node {
    value: u32,
    link: Link,
}

impl Node {
    fn new(value: u32) -> Node {
        Node {
            value,
            link: Link::new(),
        }
    }
}

crate::intrusive_adapter!(BoxAdapter = Box<Node>: Node { link });
crate::intrusive_adapter!(RcAdapter = Rc<Node>: Node { link });
crate::intrusive_adapter!(ArcAdapter = Arc<Node>: Node { link });
crate::intrusive_adapter!(RefAdapter<'a> = &'a Node: Node { link });

/// An element that records its drops in a [`Ledger`] and can be armed to panic in `drop`.
#[derive(Debug)]
struct Item {
    counted: Counted,
    link: Link,
}

crate::intrusive_adapter!(ItemAdapter = Box<Item>: Item { link });
crate::intrusive_adapter!(RcItemAdapter = Rc<Item>: Item { link });

fn boxed(value: u32) -> Box<Node> {
    Box::new(Node::new(value))
}

fn box_list(values: &[u32]) -> LinkedList<BoxAdapter> {
    let mut list = LinkedList::new();
    for &value in values {
        list.push_back(boxed(value));
    }
    list.check_invariants();
    list
}

fn node_array<const N: usize>() -> [Node; N] {
    std::array::from_fn(|i| Node::new(i as u32))
}

fn ref_list(nodes: &[Node]) -> LinkedList<RefAdapter<'_>> {
    let mut list = LinkedList::new();
    for node in nodes {
        list.push_back(node);
    }
    list.check_invariants();
    list
}

fn item_list(ledger: &Rc<Ledger>, n: u32) -> LinkedList<ItemAdapter> {
    let mut list = LinkedList::new();
    for value in 0..n {
        list.push_back(Box::new(Item {
            counted: ledger.make(value),
            link: Link::new(),
        }));
    }
    list
}

/// The values front to back, after checking the invariants and that iterating back to front
/// gives the same values reversed.
fn values<A: Adapter<Value = Node>>(list: &LinkedList<A>) -> Vec<u32> {
    list.check_invariants();
    let forward: Vec<u32> = list.iter().map(|node| node.value).collect();
    let mut backward: Vec<u32> = list.iter().rev().map(|node| node.value).collect();
    backward.reverse();
    assert_eq!(
        forward, backward,
        "iterating forwards and backwards disagree"
    );
    assert_eq!(
        forward.len(),
        list.len(),
        "len disagrees with the number of elements"
    );
    assert_eq!(list.is_empty(), forward.is_empty());
    forward
}

fn item_values(list: &LinkedList<ItemAdapter>) -> Vec<u32> {
    list.check_invariants();
    list.iter().map(|item| item.counted.value).collect()
}

fn value<N: Deref<Target = Node>>(node: Option<N>) -> Option<u32> {
    node.map(|node| node.value)
}

/// The value of a node pointer that left a list, checking that it was unlinked.
fn released<P: Deref<Target = Node>>(ptr: P) -> u32 {
    assert!(
        !ptr.link.is_linked(),
        "element {} left the list but is still linked",
        ptr.value
    );
    ptr.value
}

/// Runs `f`, which must panic, and returns the panic message.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else {
        String::new()
    }
}

const ALREADY_LINKED: &str = "attempted to insert an element that is already linked";

// ----- Link, pointers, adapters --------------------------------------------------------------

#[test]
fn link_new_default_and_clone_are_unlinked() {
    let link = const { Link::new() };
    assert!(!link.is_linked());
    assert!(!Link::default().is_linked());
    let node = Rc::new(Node::new(1));
    let mut list = LinkedList::<RcAdapter>::new();
    list.push_back(Rc::clone(&node));
    assert!(node.link.is_linked());
    let copy = node.link.clone();
    assert!(!copy.is_linked(), "a clone of a linked link must be fresh");
    assert!(node.link.is_linked(), "cloning must not touch the original");
    assert_eq!(format!("{:?}", node.link), "Link { linked: true }");
    assert_eq!(format!("{copy:?}"), "Link { linked: false }");
    assert_eq!(released(list.pop_front().unwrap()), 1);
    assert!(!node.link.is_linked());
}

#[test]
#[expect(
    clippy::arc_with_non_send_sync,
    reason = "`Arc` is tested on one thread: `Link` is not `Sync`"
)]
fn intrusive_pointers_round_trip() {
    let boxed = boxed(1);
    let addr = ptr::from_ref(&*boxed).addr();
    let raw = boxed.into_raw();
    assert_eq!(raw.addr(), addr);
    // SAFETY: `raw` came from `Box::into_raw` just above and is given back once.
    let boxed = unsafe { <Box<Node> as IntrusivePointer<Node>>::from_raw(raw) };
    assert_eq!(boxed.value, 1);

    let rc = Rc::new(Node::new(2));
    let raw = Rc::clone(&rc).into_raw();
    assert_eq!(
        Rc::strong_count(&rc),
        2,
        "the raw pointer keeps its strong reference"
    );
    // SAFETY: `raw` came from `Rc::into_raw` just above and is given back once.
    let back = unsafe { <Rc<Node> as IntrusivePointer<Node>>::from_raw(raw) };
    assert!(Rc::ptr_eq(&rc, &back));
    drop(back);
    assert_eq!(Rc::strong_count(&rc), 1);

    let arc = Arc::new(Node::new(3));
    let raw = Arc::clone(&arc).into_raw();
    assert_eq!(Arc::strong_count(&arc), 2);
    // SAFETY: `raw` came from `Arc::into_raw` just above and is given back once.
    let back = unsafe { <Arc<Node> as IntrusivePointer<Node>>::from_raw(raw) };
    assert!(Arc::ptr_eq(&arc, &back));
    drop(back);
    assert_eq!(Arc::strong_count(&arc), 1);

    let node = Node::new(4);
    let raw = (&node).into_raw();
    // SAFETY: `raw` came from `&node`, which is still borrowable.
    let back: &Node = unsafe { IntrusivePointer::from_raw(raw) };
    assert!(ptr::eq(back, &node));
}

#[test]
fn adapter_maps_an_element_to_its_link_and_back() {
    let node = Node::new(5);
    let value = NonNull::from(&node);
    // SAFETY: `value` points to the live `node`.
    let link = unsafe { BoxAdapter::get_link(value) };
    assert!(
        ptr::eq(link.as_ptr(), &node.link),
        "get_link must find the `link` field"
    );
    assert_ne!(
        link.addr(),
        value.addr(),
        "repr(C) puts the link after the value"
    );
    // SAFETY: `link` came from `get_link` for the live `node`.
    assert_eq!(unsafe { BoxAdapter::get_value(link) }, value);
    let (ref_link, ref_value) =
        // SAFETY: as above, for the adapter with a lifetime.
        unsafe { (RefAdapter::get_link(value), RefAdapter::get_value(link)) };
    assert_eq!((ref_link, ref_value), (link, value));
}

#[test]
fn generated_adapters_are_plain_marker_types() {
    let adapter = BoxAdapter::default();
    let copy = adapter;
    assert!(format!("{copy:?}").starts_with("BoxAdapter(PhantomData<"));
    assert_eq!(size_of::<RefAdapter<'static>>(), 0);
    assert_eq!(size_of::<LinkedList<BoxAdapter>>(), 3 * size_of::<usize>());
}

#[test]
fn lists_of_boxes_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Link>();
    assert_send::<LinkedList<BoxAdapter>>();
    assert_send::<IntoIter<BoxAdapter>>();
    assert_send::<CursorMut<'static, BoxAdapter>>();

    let list = box_list(&[1, 2]);
    let list = std::thread::spawn(move || {
        let mut list = list;
        list.push_back(boxed(3));
        list
    })
    .join()
    .unwrap();
    assert_eq!(values(&list), [1, 2, 3]);
}

// ----- LinkedList ------------------------------------------------------------------------------

#[test]
fn new_and_default_are_empty() {
    const EMPTY: LinkedList<BoxAdapter> = LinkedList::new();
    for mut list in [EMPTY, LinkedList::default()] {
        list.check_invariants();
        assert!(list.is_empty());
        assert_eq!(list.len(), 0);
        assert!(list.front().is_none() && list.back().is_none());
        assert!(list.pop_front().is_none() && list.pop_back().is_none());
        assert_eq!(list.iter().next().map(|node| node.value), None);
        list.check_invariants();
    }
}

#[test]
fn push_front_and_push_back() {
    let mut list = LinkedList::<BoxAdapter>::new();
    list.push_back(boxed(2));
    assert_eq!(values(&list), [2]);
    list.push_front(boxed(1));
    list.push_back(boxed(3));
    list.push_front(boxed(0));
    assert_eq!(values(&list), [0, 1, 2, 3]);
    assert_eq!(list.len(), 4);
    assert!(!list.is_empty());
}

#[test]
fn pop_front_and_pop_back() {
    let mut list = box_list(&[1, 2, 3, 4]);
    assert_eq!(list.pop_front().map(released), Some(1));
    assert_eq!(list.pop_back().map(released), Some(4));
    assert_eq!(values(&list), [2, 3]);
    assert_eq!(list.pop_back().map(released), Some(3));
    assert_eq!(values(&list), [2]);
    assert_eq!(list.pop_front().map(released), Some(2));
    assert_eq!(values(&list), []);
    assert!(list.pop_front().is_none());
    assert!(list.pop_back().is_none());
    list.check_invariants();
}

#[test]
fn front_and_back() {
    let mut list = LinkedList::<BoxAdapter>::new();
    assert_eq!((value(list.front()), value(list.back())), (None, None));
    list.push_back(boxed(7));
    assert_eq!(
        (value(list.front()), value(list.back())),
        (Some(7), Some(7))
    );
    assert!(ptr::eq(list.front().unwrap(), list.back().unwrap()));
    list.push_back(boxed(8));
    list.push_front(boxed(6));
    assert_eq!(
        (value(list.front()), value(list.back())),
        (Some(6), Some(8))
    );
}

#[test]
fn len_and_is_empty_follow_every_change() {
    let mut list = box_list(&[1, 2, 3]);
    assert_eq!((list.len(), list.is_empty()), (3, false));
    let mut cursor = list.cursor_front_mut();
    cursor.insert_after(boxed(9));
    drop(cursor.remove());
    assert_eq!(list.len(), 3);
    let mut rest = list.take();
    assert_eq!((list.len(), list.is_empty(), rest.len()), (0, true, 3));
    list.append(&mut rest);
    assert_eq!((list.len(), rest.len(), rest.is_empty()), (3, 0, true));
    list.clear();
    assert_eq!((list.len(), list.is_empty()), (0, true));
}

#[test]
fn cursors_start_where_they_say() {
    let mut list = box_list(&[1, 2, 3]);
    assert!(list.cursor().is_null());
    assert_eq!(list.cursor().get().map(|n| n.value), None);
    assert_eq!(list.cursor_front().get().map(|n| n.value), Some(1));
    assert_eq!(list.cursor_back().get().map(|n| n.value), Some(3));
    assert!(list.cursor_mut().is_null());
    assert_eq!(list.cursor_front_mut().get().map(|n| n.value), Some(1));
    assert_eq!(list.cursor_back_mut().get().map(|n| n.value), Some(3));

    let mut empty = LinkedList::<BoxAdapter>::new();
    assert!(empty.cursor_front().is_null() && empty.cursor_back().is_null());
    assert!(empty.cursor_front_mut().is_null() && empty.cursor_back_mut().is_null());
}

#[test]
fn cursor_on_an_empty_list_stays_null() {
    let list = LinkedList::<BoxAdapter>::new();
    let mut cursor = list.cursor();
    for _ in 0..2 {
        cursor.move_next();
        assert!(cursor.is_null());
        assert!(cursor.peek_next().is_none() && cursor.peek_prev().is_none());
        cursor.move_prev();
        assert!(cursor.is_null() && cursor.get().is_none());
    }
}

#[test]
fn cursor_from_ptr_finds_the_element() {
    let list = box_list(&[1, 2, 3]);
    for target in list.iter() {
        // SAFETY: `target` is an element of `list`.
        let cursor = unsafe { list.cursor_from_ptr(target) };
        assert!(ptr::eq(cursor.get().unwrap(), target));
        let expected_next = (target.value < 3).then_some(target.value + 1);
        assert_eq!(cursor.peek_next().map(|n| n.value), expected_next);
        assert_eq!(
            cursor.peek_prev().map(|n| n.value),
            target.value.checked_sub(1).filter(|&v| v > 0)
        );
    }
}

#[test]
fn cursor_mut_from_ptr_removes_with_the_lists_own_pointer() {
    // The pointer passed in comes from a shared reference; the box handed back by `remove` must
    // still be the list's own (writable, deallocatable) box. A list that rebuilt the box from the
    // caller's pointer instead fails here under Miri: Stacked Borrows refuses the `Box` retag
    // (the tag only grants SharedReadOnly), Tree Borrows the write through the frozen tag.
    let mut list = box_list(&[1, 2, 3]);
    let middle = ptr::from_ref(list.iter().nth(1).unwrap());
    // SAFETY: `middle` points to an element of `list`.
    let mut cursor = unsafe { list.cursor_mut_from_ptr(middle) };
    assert_eq!(cursor.get().map(|n| n.value), Some(2));
    let mut removed = cursor.remove().unwrap();
    assert_eq!(cursor.get().map(|n| n.value), Some(3));
    removed.value = 20;
    assert_eq!(released(removed), 20);
    assert_eq!(values(&list), [1, 3]);

    // From the other side of an `Rc`: a pointer with the `Rc`'s provenance, at the front and back.
    let (a, b) = (Rc::new(Node::new(1)), Rc::new(Node::new(2)));
    let mut list = LinkedList::<RcAdapter>::new();
    list.push_back(Rc::clone(&a));
    list.push_back(Rc::clone(&b));
    // SAFETY: `b` is an element of `list`.
    let mut cursor = unsafe { list.cursor_mut_from_ptr(Rc::as_ptr(&b)) };
    let taken = cursor.remove().unwrap();
    assert!(Rc::ptr_eq(&taken, &b) && cursor.is_null());
    drop(taken);
    // SAFETY: `a` is an element of `list`.
    let mut cursor = unsafe { list.cursor_mut_from_ptr(Rc::as_ptr(&a)) };
    cursor.insert_before(Rc::clone(&b));
    assert_eq!(values(&list), [2, 1]);
    assert_eq!((Rc::strong_count(&a), Rc::strong_count(&b)), (2, 2));
}

#[test]
fn append_moves_everything() {
    for (left, right) in [
        (&[][..], &[][..]),
        (&[], &[1, 2]),
        (&[1, 2], &[]),
        (&[1], &[2, 3]),
    ] {
        let mut list = box_list(left);
        let mut other = box_list(right);
        list.append(&mut other);
        let expected: Vec<u32> = left.iter().chain(right).copied().collect();
        assert_eq!(values(&list), expected);
        assert_eq!(values(&other), []);
        other.push_back(boxed(9));
        assert_eq!(values(&other), [9], "the emptied list is usable");
    }
}

#[test]
fn clear_releases_every_element() {
    let mut list = LinkedList::<RcAdapter>::new();
    list.clear();
    list.check_invariants();
    let nodes: Vec<Rc<Node>> = (0..4).map(|v| Rc::new(Node::new(v))).collect();
    for node in &nodes {
        list.push_back(Rc::clone(node));
    }
    list.clear();
    assert_eq!(values(&list), []);
    for node in &nodes {
        assert_eq!(Rc::strong_count(node), 1);
        assert!(!node.link.is_linked());
    }
    list.push_front(Rc::clone(&nodes[0]));
    assert_eq!(values(&list), [0]);
}

#[test]
fn take_moves_the_elements_to_a_new_list() {
    let mut list = box_list(&[1, 2, 3]);
    let taken = list.take();
    assert_eq!(values(&taken), [1, 2, 3]);
    assert_eq!(values(&list), []);
    let mut empty = LinkedList::<BoxAdapter>::new();
    assert_eq!(values(&empty.take()), []);
}

#[test]
fn iter_is_double_ended_and_exact_size() {
    let list = box_list(&[1, 2, 3, 4, 5]);
    let mut iter = list.iter();
    assert_eq!(iter.len(), 5);
    assert_eq!(iter.size_hint(), (5, Some(5)));
    assert_eq!(iter.next().map(|n| n.value), Some(1));
    assert_eq!(iter.next_back().map(|n| n.value), Some(5));
    assert_eq!(iter.len(), 3);
    let copy = iter.clone();
    assert_eq!(iter.next_back().map(|n| n.value), Some(4));
    assert_eq!(iter.next().map(|n| n.value), Some(2));
    assert_eq!(iter.next().map(|n| n.value), Some(3));
    assert_eq!(iter.len(), 0);
    assert!(iter.next().is_none() && iter.next_back().is_none() && iter.next().is_none());
    assert_eq!(copy.clone().map(|n| n.value).collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(copy.clone().count(), 3);
    assert_eq!(copy.last().map(|n| n.value), Some(4));
    assert_eq!(
        list.iter().rev().map(|n| n.value).collect::<Vec<_>>(),
        [5, 4, 3, 2, 1]
    );
    assert_eq!(LinkedList::<BoxAdapter>::new().iter().len(), 0);
}

#[test]
fn iterating_a_reference_with_for() {
    let list = box_list(&[1, 2, 3]);
    let mut seen = Vec::new();
    for node in &list {
        seen.push(node.value);
    }
    assert_eq!(seen, [1, 2, 3]);
}

#[test]
fn into_iter_takes_the_elements_from_both_ends() {
    let mut iter = box_list(&[1, 2, 3, 4]).into_iter();
    assert_eq!(iter.size_hint(), (4, Some(4)));
    assert_eq!(iter.next().map(released), Some(1));
    assert_eq!(iter.next_back().map(released), Some(4));
    assert_eq!(iter.len(), 2);
    assert_eq!(iter.next_back().map(released), Some(3));
    assert_eq!(iter.next().map(released), Some(2));
    assert!(iter.next().is_none() && iter.next_back().is_none());
    assert_eq!(
        box_list(&[1, 2, 3])
            .into_iter()
            .rev()
            .map(released)
            .collect::<Vec<_>>(),
        [3, 2, 1]
    );
}

#[test]
fn dropping_a_partly_consumed_into_iter_releases_the_rest() {
    let nodes: Vec<Rc<Node>> = (0..4).map(|v| Rc::new(Node::new(v))).collect();
    let mut list = LinkedList::<RcAdapter>::new();
    for node in &nodes {
        list.push_back(Rc::clone(node));
    }
    let mut iter = list.into_iter();
    let first = iter.next().unwrap();
    assert!(Rc::ptr_eq(&first, &nodes[0]));
    drop(iter);
    assert!(nodes.iter().all(|node| !node.link.is_linked()));
    drop(first);
    assert!(nodes.iter().all(|node| Rc::strong_count(node) == 1));
}

#[test]
fn debug_formats() {
    let mut list = box_list(&[7]);
    let node = "Node { value: 7, link: Link { linked: true } }";
    assert_eq!(format!("{list:?}"), format!("[{node}]"));
    assert_eq!(format!("{:?}", list.iter()), format!("Iter([{node}])"));
    assert_eq!(
        format!("{:?}", list.cursor()),
        format!("Cursor {{ current: None, list: [{node}] }}")
    );
    assert_eq!(
        format!("{:?}", list.cursor_front_mut()),
        format!("CursorMut {{ current: Some({node}), list: [{node}] }}")
    );
    assert_eq!(
        format!("{:?}", list.into_iter()),
        format!("IntoIter([{node}])")
    );
}

#[test]
#[expect(
    clippy::arc_with_non_send_sync,
    reason = "`Arc` is tested on one thread: `Link` is not `Sync`"
)]
fn arc_elements() {
    let nodes: Vec<Arc<Node>> = (0..3).map(|v| Arc::new(Node::new(v))).collect();
    let mut list = LinkedList::<ArcAdapter>::new();
    for node in &nodes {
        list.push_front(Arc::clone(node));
    }
    assert_eq!(values(&list), [2, 1, 0]);
    let mut cursor = list.cursor_back_mut();
    let old = cursor.replace_with(Arc::new(Node::new(9))).unwrap();
    assert!(Arc::ptr_eq(&old, &nodes[0]) && !old.link.is_linked());
    drop(old);
    assert_eq!(values(&list), [2, 1, 9]);
    drop(list);
    assert!(
        nodes
            .iter()
            .all(|node| Arc::strong_count(node) == 1 && !node.link.is_linked())
    );
}

// ----- Cursor --------------------------------------------------------------------------------

fn at<A: Adapter<Value = Node>>(cursor: &Cursor<'_, A>) -> Option<u32> {
    cursor.get().map(|node| node.value)
}

#[test]
fn cursor_ring_with_one_element() {
    let list = box_list(&[1]);
    let mut cursor = list.cursor_front();
    assert_eq!(at(&cursor), Some(1));
    assert!(cursor.peek_next().is_none() && cursor.peek_prev().is_none());
    cursor.move_next();
    assert!(cursor.is_null());
    assert_eq!(cursor.peek_next().map(|n| n.value), Some(1));
    assert_eq!(cursor.peek_prev().map(|n| n.value), Some(1));
    cursor.move_next();
    assert_eq!(at(&cursor), Some(1));
    cursor.move_prev();
    assert!(cursor.is_null());
    cursor.move_prev();
    assert_eq!(at(&cursor), Some(1));
}

#[test]
fn cursor_moves_and_peeks_around_the_ring() {
    let list = box_list(&[1, 2, 3]);
    let mut cursor = list.cursor();
    let mut forward = Vec::new();
    for _ in 0..8 {
        forward.push((
            at(&cursor),
            cursor.peek_prev().map(|n| n.value),
            cursor.peek_next().map(|n| n.value),
        ));
        cursor.move_next();
    }
    let positions = [None, Some(1), Some(2), Some(3)];
    for (i, &(here, prev, next)) in forward.iter().enumerate() {
        assert_eq!(here, positions[i % 4], "step {i}");
        assert_eq!(prev, positions[(i + 3) % 4], "peek_prev at step {i}");
        assert_eq!(next, positions[(i + 1) % 4], "peek_next at step {i}");
    }
    for i in (0..8).rev() {
        cursor.move_prev();
        assert_eq!(at(&cursor), positions[i % 4], "backwards to step {i}");
    }
}

#[test]
fn cursor_clones_move_independently() {
    let list = box_list(&[1, 2]);
    let mut cursor = list.cursor_front();
    let copy = cursor.clone();
    cursor.move_next();
    assert_eq!((at(&cursor), at(&copy)), (Some(2), Some(1)));
    let element = {
        let copy = copy.clone();
        copy.get().unwrap()
    };
    assert_eq!(element.value, 1, "get() borrows the list, not the cursor");
}

// ----- CursorMut -----------------------------------------------------------------------------

fn at_mut<A: Adapter<Value = Node>>(cursor: &CursorMut<'_, A>) -> Option<u32> {
    cursor.get().map(|node| node.value)
}

#[test]
fn cursor_mut_moves_peeks_and_views() {
    let mut list = box_list(&[1, 2, 3]);
    let mut cursor = list.cursor_mut();
    assert!(cursor.is_null());
    assert_eq!(cursor.peek_next().map(|n| n.value), Some(1));
    assert_eq!(cursor.peek_prev().map(|n| n.value), Some(3));
    cursor.move_prev();
    assert_eq!(at_mut(&cursor), Some(3));
    cursor.move_prev();
    assert_eq!(at_mut(&cursor), Some(2));
    assert_eq!(at(&cursor.as_cursor()), Some(2));
    let mut view = cursor.as_cursor();
    view.move_next();
    assert_eq!(at(&view), Some(3));
    assert_eq!(
        at_mut(&cursor),
        Some(2),
        "moving the view does not move the cursor"
    );
    cursor.move_next();
    cursor.move_next();
    assert!(cursor.is_null());
    cursor.move_next();
    assert_eq!(at_mut(&cursor), Some(1));
}

#[test]
fn remove_at_each_position() {
    let mut list = box_list(&[1, 2, 3]);
    let mut cursor = list.cursor_mut();
    assert!(cursor.remove().is_none(), "nothing to remove at null");
    cursor.move_next();
    cursor.move_next();
    assert_eq!(cursor.remove().map(released), Some(2));
    assert_eq!(at_mut(&cursor), Some(3), "moves to the next element");
    assert_eq!(cursor.remove().map(released), Some(3));
    assert!(cursor.is_null(), "removing the back moves to null");
    cursor.move_next();
    assert_eq!(cursor.remove().map(released), Some(1));
    assert!(cursor.is_null());
    assert_eq!(values(&list), []);
}

#[test]
fn replace_with_at_each_position() {
    let mut list = box_list(&[1, 2, 3]);
    let mut cursor = list.cursor_mut();
    let refused = cursor.replace_with(boxed(10)).unwrap_err();
    assert_eq!(released(refused), 10);
    for (steps, new, old) in [(1, 11, 1), (1, 12, 2), (1, 13, 3)] {
        for _ in 0..steps {
            cursor.move_next();
        }
        assert_eq!(
            cursor
                .replace_with(boxed(new))
                .map(released)
                .map_err(released),
            Ok(old)
        );
        assert_eq!(
            at_mut(&cursor),
            Some(new),
            "the cursor stays on the replacement"
        );
        cursor.as_cursor().list.check_invariants();
    }
    assert_eq!(values(&list), [11, 12, 13]);

    let mut single = box_list(&[1]);
    let mut cursor = single.cursor_front_mut();
    assert_eq!(
        cursor
            .replace_with(boxed(2))
            .map(released)
            .map_err(released),
        Ok(1)
    );
    assert_eq!(values(&single), [2]);
}

#[test]
fn insert_after_at_each_position() {
    let mut list = LinkedList::<BoxAdapter>::new();
    let mut cursor = list.cursor_mut();
    cursor.insert_after(boxed(2));
    cursor.insert_after(boxed(1));
    assert!(cursor.is_null(), "inserting does not move the cursor");
    assert_eq!(
        values(&list),
        [1, 2],
        "at null, insert_after inserts at the front"
    );
    let mut cursor = list.cursor_front_mut();
    cursor.insert_after(boxed(10));
    assert_eq!(at_mut(&cursor), Some(1));
    let mut cursor = list.cursor_back_mut();
    cursor.insert_after(boxed(20));
    assert_eq!(at_mut(&cursor), Some(2));
    assert_eq!(values(&list), [1, 10, 2, 20]);
}

#[test]
fn insert_before_at_each_position() {
    let mut list = LinkedList::<BoxAdapter>::new();
    let mut cursor = list.cursor_mut();
    cursor.insert_before(boxed(1));
    cursor.insert_before(boxed(2));
    assert!(cursor.is_null());
    assert_eq!(
        values(&list),
        [1, 2],
        "at null, insert_before inserts at the back"
    );
    let mut cursor = list.cursor_front_mut();
    cursor.insert_before(boxed(0));
    assert_eq!(at_mut(&cursor), Some(1));
    let mut cursor = list.cursor_back_mut();
    cursor.insert_before(boxed(15));
    assert_eq!(at_mut(&cursor), Some(2));
    assert_eq!(values(&list), [0, 1, 15, 2]);
}

#[test]
fn splice_after_at_each_position() {
    let mut list = box_list(&[1, 2]);
    let mut cursor = list.cursor_mut();
    cursor.splice_after(box_list(&[10, 11]));
    assert!(cursor.is_null());
    cursor.splice_after(LinkedList::new());
    cursor.move_prev();
    cursor.splice_after(box_list(&[20]));
    assert_eq!(at_mut(&cursor), Some(2));
    cursor.move_prev();
    cursor.move_prev();
    cursor.splice_after(box_list(&[30, 31]));
    assert_eq!(at_mut(&cursor), Some(11));
    cursor.splice_after(LinkedList::new());
    assert_eq!(values(&list), [10, 11, 30, 31, 1, 2, 20]);

    let mut empty = LinkedList::<BoxAdapter>::new();
    empty.cursor_mut().splice_after(box_list(&[1, 2]));
    assert_eq!(values(&empty), [1, 2]);
}

#[test]
fn splice_before_at_each_position() {
    let mut list = box_list(&[1, 2]);
    let mut cursor = list.cursor_mut();
    cursor.splice_before(box_list(&[10, 11]));
    assert!(cursor.is_null());
    cursor.splice_before(LinkedList::new());
    cursor.move_next();
    cursor.splice_before(box_list(&[20]));
    assert_eq!(at_mut(&cursor), Some(1));
    cursor.move_next();
    cursor.splice_before(box_list(&[30, 31]));
    assert_eq!(at_mut(&cursor), Some(2));
    cursor.splice_before(LinkedList::new());
    assert_eq!(values(&list), [20, 1, 30, 31, 2, 10, 11]);

    let mut empty = LinkedList::<BoxAdapter>::new();
    empty.cursor_mut().splice_before(box_list(&[1, 2]));
    assert_eq!(values(&empty), [1, 2]);
}

#[test]
fn split_after_at_each_position() {
    let mut list = box_list(&[1, 2, 3, 4]);
    let mut cursor = list.cursor_back_mut();
    assert_eq!(values(&cursor.split_after()), [], "nothing after the back");
    cursor.move_prev();
    cursor.move_prev();
    assert_eq!(values(&cursor.split_after()), [3, 4]);
    assert_eq!(at_mut(&cursor), Some(2));
    cursor.move_prev();
    assert_eq!(values(&cursor.split_after()), [2]);
    assert_eq!(at_mut(&cursor), Some(1));
    assert_eq!(values(&list), [1]);

    let mut list = box_list(&[1, 2, 3]);
    let mut cursor = list.cursor_mut();
    assert_eq!(
        values(&cursor.split_after()),
        [1, 2, 3],
        "at null: the whole list"
    );
    assert!(cursor.is_null());
    assert_eq!(values(&cursor.split_after()), []);
    assert_eq!(values(&list), []);
}

#[test]
fn split_before_at_each_position() {
    let mut list = box_list(&[1, 2, 3, 4]);
    let mut cursor = list.cursor_front_mut();
    assert_eq!(
        values(&cursor.split_before()),
        [],
        "nothing before the front"
    );
    cursor.move_next();
    cursor.move_next();
    assert_eq!(values(&cursor.split_before()), [1, 2]);
    assert_eq!(at_mut(&cursor), Some(3));
    cursor.move_next();
    assert_eq!(values(&cursor.split_before()), [3]);
    assert_eq!(at_mut(&cursor), Some(4));
    assert_eq!(values(&list), [4]);

    let mut list = box_list(&[1, 2, 3]);
    let mut cursor = list.cursor_mut();
    assert_eq!(
        values(&cursor.split_before()),
        [1, 2, 3],
        "at null: the whole list"
    );
    assert!(cursor.is_null());
    assert_eq!(values(&list), []);
}

#[test]
fn split_counts_from_the_nearer_end() {
    // Splitting at every position of lists of several lengths keeps both lengths exact, whichever
    // end the position is nearer to.
    for n in 1..=6u32 {
        let all: Vec<u32> = (0..n).collect();
        for k in 0..n as usize {
            let mut list = box_list(&all);
            let mut cursor = list.cursor_front_mut();
            for _ in 0..k {
                cursor.move_next();
            }
            let after = cursor.split_after();
            let before = cursor.split_before();
            assert_eq!(values(&before), all[..k]);
            assert_eq!(values(&after), all[k + 1..]);
            assert_eq!(values(&list), [k as u32]);
        }
    }
}

// ----- inserting a linked element ------------------------------------------------------------

#[test]
#[should_panic(expected = "attempted to insert an element that is already linked")]
fn push_back_of_a_linked_element_panics() {
    let node = Rc::new(Node::new(1));
    let mut list = LinkedList::<RcAdapter>::new();
    list.push_back(Rc::clone(&node));
    list.push_back(Rc::clone(&node));
}

#[test]
fn inserting_a_linked_element_changes_nothing() {
    let nodes: Vec<Rc<Node>> = (0..3).map(|v| Rc::new(Node::new(v))).collect();
    let mut list = LinkedList::<RcAdapter>::new();
    let mut other = LinkedList::<RcAdapter>::new();
    for node in &nodes[..2] {
        list.push_back(Rc::clone(node));
    }
    other.push_back(Rc::clone(&nodes[2]));
    type Insert = fn(&mut LinkedList<RcAdapter>, Rc<Node>);
    let inserts: [(&str, Insert); 5] = [
        ("push_front", |list, node| list.push_front(node)),
        ("push_back", |list, node| list.push_back(node)),
        ("insert_after", |list, node| {
            list.cursor_front_mut().insert_after(node)
        }),
        ("insert_before", |list, node| {
            list.cursor_back_mut().insert_before(node)
        }),
        ("replace_with", |list, node| {
            drop(list.cursor_front_mut().replace_with(node))
        }),
    ];
    for (name, insert) in inserts {
        for node in &nodes {
            for target in [&mut list, &mut other] {
                let message = panic_message(|| insert(target, Rc::clone(node)));
                assert_eq!(message, ALREADY_LINKED, "{name} of element {}", node.value);
            }
            assert_eq!(values(&list), [0, 1], "{name} changed the list");
            assert_eq!(values(&other), [2], "{name} changed the other list");
            assert_eq!(
                Rc::strong_count(node),
                2,
                "{name}: the refused pointer was not dropped"
            );
        }
    }
    // Replacing the current element with itself is refused too.
    let message = panic_message(|| {
        let mut cursor = list.cursor_front_mut();
        drop(cursor.replace_with(Rc::clone(&nodes[0])));
    });
    assert_eq!(message, ALREADY_LINKED);
    assert_eq!(values(&list), [0, 1]);

    // Borrowed elements: the same refusal.
    let array = node_array::<2>();
    let mut borrowed = ref_list(&array);
    assert_eq!(
        panic_message(|| borrowed.push_front(&array[1])),
        ALREADY_LINKED
    );
    assert_eq!(values(&borrowed), [0, 1]);
}

// ----- panic safety and drop accounting ------------------------------------------------------

#[test]
fn drop_releases_each_element_exactly_once() {
    let ledger = Ledger::new();
    let mut list = item_list(&ledger, 8);
    drop(list.pop_front());
    let mut cursor = list.cursor_back_mut();
    cursor.move_prev();
    drop(cursor.remove());
    cursor.move_prev();
    let mut tail = cursor.split_after();
    assert_eq!(item_values(&tail), [7]);
    drop(cursor.replace_with(Box::new(Item {
        counted: ledger.make(100),
        link: Link::new(),
    })));
    tail.append(&mut list);
    assert_eq!(ledger.live(), 6);
    ledger.assert_no_double_drop();
    drop(tail);
    assert_eq!(ledger.live(), 0);
    assert_eq!(ledger.clones(), 0, "the list never clones its elements");
    ledger.assert_all_dropped_once();
}

#[test]
fn the_list_never_clones_its_elements() {
    let ledger = Ledger::new();
    // Any clone would panic now.
    ledger.arm_clone_panic(1);
    let mut list = item_list(&ledger, 4);
    let mut rest = list.cursor_front_mut().split_after();
    list.cursor_mut().splice_before(rest.take());
    list.append(&mut rest);
    let taken: Vec<Box<Item>> = list.take().into_iter().collect();
    assert_eq!(
        taken
            .iter()
            .map(|item| item.counted.value)
            .collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    assert_eq!(ledger.clones(), 0);
    // The armed panic is real: the first clone does panic.
    let message = panic_message(|| drop(taken[0].counted.clone()));
    assert!(message.starts_with("injected panic in clone"), "{message}");
    drop(taken);
    ledger.assert_all_dropped_once();
}

#[test]
fn clear_with_a_panicking_drop_releases_the_rest() {
    for n in 1..=4 {
        for panicking in 1..=n {
            let ledger = Ledger::new();
            let mut list = item_list(&ledger, n);
            ledger.arm_drop_panic(panicking);
            let message = panic_message(|| list.clear());
            assert!(message.starts_with("injected panic in drop"), "{message}");
            assert_eq!(item_values(&list), [], "n={n} panicking={panicking}");
            ledger.assert_all_dropped_once();
            list.push_back(Box::new(Item {
                counted: ledger.make(9),
                link: Link::new(),
            }));
            assert_eq!(
                item_values(&list),
                [9],
                "the list is usable after the panic"
            );
            drop(list);
            ledger.assert_all_dropped_once();
        }
    }
}

#[test]
fn clear_with_a_panicking_drop_of_shared_elements() {
    // Elements still shared elsewhere are not dropped by `clear`, only released.
    let ledger = Ledger::new();
    let mut items: Vec<Rc<Item>> = (0..4)
        .map(|v| {
            Rc::new(Item {
                counted: ledger.make(v),
                link: Link::new(),
            })
        })
        .collect();
    let mut list = LinkedList::<RcItemAdapter>::new();
    for item in &items {
        list.push_back(Rc::clone(item));
    }
    // Elements 0 and 1 stay shared with `kept`; elements 2 and 3 are owned by the list alone.
    let kept: Vec<Rc<Item>> = items.drain(..2).collect();
    drop(items);
    ledger.arm_drop_panic(1);
    assert!(panic_message(|| list.clear()).starts_with("injected panic in drop of element 2"));
    list.check_invariants();
    assert!(list.is_empty());
    assert!(
        kept.iter()
            .all(|item| Rc::strong_count(item) == 1 && !item.link.is_linked())
    );
    assert_eq!(ledger.live(), 2);
    drop(kept);
    ledger.assert_all_dropped_once();
}

#[test]
fn dropping_a_list_with_a_panicking_drop_releases_the_rest() {
    for panicking in 1..=3 {
        let ledger = Ledger::new();
        let list = item_list(&ledger, 3);
        ledger.arm_drop_panic(panicking);
        let message = panic_message(move || drop(list));
        assert!(message.starts_with("injected panic in drop"), "{message}");
        ledger.assert_all_dropped_once();
    }
}

#[test]
fn dropping_an_into_iter_with_a_panicking_drop_releases_the_rest() {
    for panicking in 1..=3 {
        let ledger = Ledger::new();
        let mut iter = item_list(&ledger, 5).into_iter();
        drop(iter.next());
        drop(iter.next_back());
        ledger.arm_drop_panic(panicking);
        let message = panic_message(move || drop(iter));
        assert!(message.starts_with("injected panic in drop"), "{message}");
        ledger.assert_all_dropped_once();
    }
}

// ----- mem::forget ---------------------------------------------------------------------------

#[test]
#[expect(
    clippy::forget_non_drop,
    reason = "forgetting must stay harmless even if the cursor ever gets a `Drop` (e.g. to write back)"
)]
fn forgetting_a_cursor_mut_leaves_a_valid_list() {
    // A cursor owns nothing, so forgetting it leaks nothing (Miri's leak check stays quiet).
    let ledger = Ledger::new();
    let mut list = item_list(&ledger, 4);
    let mut cursor = list.cursor_front_mut();
    cursor.move_next();
    drop(cursor.remove());
    cursor.insert_before(Box::new(Item {
        counted: ledger.make(10),
        link: Link::new(),
    }));
    mem::forget(cursor);
    assert_eq!(item_values(&list), [0, 10, 2, 3]);
    let mut cursor = list.cursor_back_mut();
    let split = cursor.split_before();
    mem::forget(cursor);
    assert_eq!(item_values(&list), [3]);
    assert_eq!(item_values(&split), [0, 10, 2]);
    drop((list, split));
    ledger.assert_all_dropped_once();
}

#[test]
#[expect(
    clippy::forget_non_drop,
    reason = "forgetting must stay harmless even if the iterator ever gets a `Drop`"
)]
fn forgetting_an_iter_leaves_a_valid_list() {
    // An `Iter` owns nothing, so forgetting it leaks nothing.
    let mut list = box_list(&[1, 2, 3]);
    let mut iter = list.iter();
    iter.next();
    mem::forget(iter);
    list.push_back(boxed(4));
    assert_eq!(values(&list), [1, 2, 3, 4]);
}

#[test]
fn forgetting_a_half_consumed_into_iter_is_safe() {
    // The elements are borrowed from a local array, so forgetting the iterator leaks no heap
    // memory (Miri's leak check stays quiet): it only leaves the elements it still held marked as
    // linked, and they can then never be inserted again.
    let array = node_array::<4>();
    let mut iter = ref_list(&array).into_iter();
    assert_eq!(iter.next().map(released), Some(0));
    assert_eq!(iter.next_back().map(released), Some(3));
    mem::forget(iter);
    assert!(!array[0].link.is_linked() && !array[3].link.is_linked());
    assert!(array[1].link.is_linked() && array[2].link.is_linked());
    let mut list = LinkedList::<RefAdapter<'_>>::new();
    list.push_back(&array[0]);
    assert_eq!(panic_message(|| list.push_back(&array[1])), ALREADY_LINKED);
    assert_eq!(values(&list), [0]);
}

// ----- layout --------------------------------------------------------------------------------

#[repr(C, align(64))]
#[derive(Debug)]
struct Wide {
    value: u32,
    link: Link,
}

crate::intrusive_adapter!(WideAdapter = Box<Wide>: Wide { link });

#[test]
fn over_aligned_elements() {
    let wide = |value| {
        Box::new(Wide {
            value,
            link: Link::new(),
        })
    };
    let mut list = LinkedList::<WideAdapter>::new();
    for value in 0..5 {
        list.push_back(wide(value));
    }
    let mut cursor = list.cursor_front_mut();
    cursor.move_next();
    assert_eq!(cursor.remove().map(|w| w.value), Some(1));
    cursor.insert_after(wide(10));
    let tail = cursor.split_after();
    cursor.splice_before(tail);
    list.check_invariants();
    for element in &list {
        assert_eq!(
            ptr::from_ref(element).addr() % 64,
            0,
            "element {} misaligned",
            element.value
        );
    }
    assert_eq!(
        list.iter().map(|w| w.value).collect::<Vec<_>>(),
        [0, 10, 3, 4, 2]
    );
    assert_eq!(list.pop_back().map(|w| w.value), Some(2));
}

// ----- check_invariants ----------------------------------------------------------------------

#[test]
fn check_invariants_reports_a_wrong_len() {
    let array = node_array::<3>();
    let mut list = ref_list(&array);
    list.len = 4;
    let message = panic_message(|| list.check_invariants());
    assert!(
        message.contains("forward walk ended after 3 elements"),
        "{message}"
    );
    assert!(message.contains("expected len 4"), "{message}");
    list.len = 2;
    let message = panic_message(|| list.check_invariants());
    assert!(
        message.contains("forward walk: more than len 2 elements"),
        "{message}"
    );
    list.len = 0;
    let message = panic_message(|| list.check_invariants());
    assert!(message.contains("but len is 0"), "{message}");
    list.len = 3;
    list.check_invariants();
}

#[test]
fn check_invariants_reports_a_broken_back_link() {
    let array = node_array::<3>();
    let list = ref_list(&array);
    let saved = array[2].link.prev();
    array[2].link.set_prev(None);
    let message = panic_message(|| list.check_invariants());
    assert!(
        message.contains("forward walk: element 2 from head"),
        "{message}"
    );
    assert!(
        message.contains("points back to None, expected element 1"),
        "{message}"
    );
    array[2].link.set_prev(saved);
    list.check_invariants();
}

#[test]
fn check_invariants_reports_bad_ends() {
    let array = node_array::<3>();
    let mut list = ref_list(&array);
    let (head, tail) = (list.head, list.tail);

    list.tail = None;
    let message = panic_message(|| list.check_invariants());
    assert!(
        message.contains("but tail is None: expected both None or both Some"),
        "{message}"
    );
    list.tail = tail;

    array[2].link.set_next(head);
    let message = panic_message(|| list.check_invariants());
    assert!(message.contains("tail.next is Some"), "{message}");
    assert!(message.contains("expected None"), "{message}");
    array[2].link.set_next(None);

    array[0].link.set_prev(tail);
    let message = panic_message(|| list.check_invariants());
    assert!(message.contains("head.prev is Some"), "{message}");
    array[0].link.set_prev(None);

    list.tail = array[0].link.next();
    let message = panic_message(|| list.check_invariants());
    assert!(message.contains("tail.next is Some"), "{message}");
    list.tail = tail;

    let (saved_head, saved_tail, saved_len) = (list.head.take(), list.tail.take(), list.len);
    let message = panic_message(|| list.check_invariants());
    assert!(
        message.contains("head and tail are None but len is 3"),
        "{message}"
    );
    (list.head, list.tail, list.len) = (saved_head, saved_tail, saved_len);
    list.check_invariants();
}

#[test]
fn check_invariants_reports_an_unlinked_element() {
    let array = node_array::<3>();
    let list = ref_list(&array);
    let (prev, next) = (array[1].link.prev(), array[1].link.next());
    array[1].link.mark_unlinked();
    let message = panic_message(|| list.check_invariants());
    assert!(
        message.contains("forward walk: element 1 from head"),
        "{message}"
    );
    assert!(message.contains("is marked unlinked"), "{message}");
    array[1].link.set_prev(prev);
    array[1].link.set_next(next);
    list.check_invariants();
}

// ----- randomized model tests ----------------------------------------------------------------

/// A mutable cursor at `cur` (a pointer to an element of `list`, or `None` for null).
fn cursor_at<A: Adapter<Value = Node>>(
    list: &mut LinkedList<A>,
    cur: Option<*const Node>,
) -> CursorMut<'_, A> {
    match cur {
        None => list.cursor_mut(),
        // SAFETY: the model test keeps `cur` pointing to an element of `list`, and resets it
        // whenever that element leaves the list.
        Some(ptr) => unsafe { list.cursor_mut_from_ptr(ptr) },
    }
}

/// Where the cursor of the model test stands: `pos` in the model, `cur` in the list.
fn position_of<A: Adapter<Value = Node>>(cursor: &CursorMut<'_, A>) -> Option<*const Node> {
    cursor.get().map(ptr::from_ref)
}

/// Runs `ops` random operations on two lists (`main`, with a persistent cursor position, and
/// `other`, which splits, splices, appends and takes exchange elements with) and on their models,
/// checking the invariants after every step and the full contents every 32 steps and at the end.
/// `make(v)` makes a pointer to a fresh element with value `v`, for `v` counting up from 0.
fn run_model<A>(seed: u64, ops: usize, mut make: impl FnMut(u32) -> A::Pointer)
where
    A: Adapter<Value = Node>,
    A::Pointer: Deref<Target = Node>,
{
    /// Above this many elements in both lists together, growing operations shrink instead.
    const CAP: usize = 40;
    let mut rng = Rng::new(seed);
    let (mut main, mut other) = (LinkedList::<A>::new(), LinkedList::<A>::new());
    let (mut m_main, mut m_other) = (VecDeque::<u32>::new(), VecDeque::<u32>::new());
    let mut cur: Option<*const Node> = None;
    let mut pos: Option<usize> = None;
    let mut fresh = 0u32;

    for step in 0..ops {
        let mut op = rng.below(24);
        if m_main.len() + m_other.len() >= CAP && matches!(op, 0 | 1 | 7..=9 | 14) {
            op = [2, 3, 6, 15, 18][rng.range(0, 4)];
        }
        let mut new_value = || {
            fresh += 1;
            fresh - 1
        };
        match op {
            0 => {
                let v = new_value();
                main.push_front(make(v));
                m_main.push_front(v);
                pos = pos.map(|i| i + 1);
            }
            1 => {
                let v = new_value();
                main.push_back(make(v));
                m_main.push_back(v);
            }
            2 => {
                assert_eq!(
                    main.pop_front().map(released),
                    m_main.pop_front(),
                    "pop_front"
                );
                match pos {
                    Some(0) => (pos, cur) = (None, None),
                    Some(i) => pos = Some(i - 1),
                    None => {}
                }
            }
            3 => {
                assert_eq!(main.pop_back().map(released), m_main.pop_back(), "pop_back");
                if pos == Some(m_main.len()) {
                    (pos, cur) = (None, None);
                }
            }
            4 | 5 => {
                let mut cursor = cursor_at(&mut main, cur);
                let n = m_main.len();
                if op == 4 {
                    cursor.move_next();
                    pos = match pos {
                        None => (n > 0).then_some(0),
                        Some(i) => (i + 1 < n).then_some(i + 1),
                    };
                } else {
                    cursor.move_prev();
                    pos = match pos {
                        None => n.checked_sub(1),
                        Some(i) => i.checked_sub(1),
                    };
                }
                cur = position_of(&cursor);
            }
            6 => {
                let mut cursor = cursor_at(&mut main, cur);
                let removed = cursor.remove().map(released);
                cur = position_of(&cursor);
                match pos {
                    None => assert_eq!(removed, None, "remove at null"),
                    Some(i) => {
                        assert_eq!(removed, m_main.remove(i), "remove at {i}");
                        pos = (i < m_main.len()).then_some(i);
                    }
                }
            }
            7 => {
                let v = new_value();
                let mut cursor = cursor_at(&mut main, cur);
                let result = cursor.replace_with(make(v));
                cur = position_of(&cursor);
                match pos {
                    None => assert_eq!(result.map_err(released).map(released), Err(v)),
                    Some(i) => {
                        let result = result.map_err(|refused| refused.value).map(released);
                        assert_eq!(result, Ok(m_main[i]), "replace_with at {i}");
                        m_main[i] = v;
                    }
                }
            }
            8 => {
                let v = new_value();
                cursor_at(&mut main, cur).insert_before(make(v));
                match pos {
                    None => m_main.push_back(v),
                    Some(i) => {
                        m_main.insert(i, v);
                        pos = Some(i + 1);
                    }
                }
            }
            9 => {
                let v = new_value();
                cursor_at(&mut main, cur).insert_after(make(v));
                match pos {
                    None => m_main.push_front(v),
                    Some(i) => m_main.insert(i + 1, v),
                }
            }
            10 | 11 => {
                let spliced = mem::take(&mut m_other);
                let k = spliced.len();
                let mut cursor = cursor_at(&mut main, cur);
                if op == 10 {
                    cursor.splice_before(other.take());
                } else {
                    cursor.splice_after(other.take());
                }
                let at = match (op, pos) {
                    (10, None) => m_main.len(),
                    (10, Some(i)) => {
                        pos = Some(i + k);
                        i
                    }
                    (_, None) => 0,
                    (_, Some(i)) => i + 1,
                };
                let back = m_main.split_off(at);
                m_main.extend(spliced);
                m_main.extend(back);
            }
            12 | 13 => {
                let mut cursor = cursor_at(&mut main, cur);
                let mut split = if op == 12 {
                    cursor.split_before()
                } else {
                    cursor.split_after()
                };
                let m_split: VecDeque<u32> = match (op, pos) {
                    (_, None) => mem::take(&mut m_main),
                    (12, Some(i)) => {
                        pos = Some(0);
                        m_main.drain(..i).collect()
                    }
                    (_, Some(i)) => m_main.split_off(i + 1),
                };
                assert_eq!(values(&split), Vec::from(m_split.clone()), "split {op}");
                other.append(&mut split);
                m_other.extend(m_split);
            }
            14 => {
                let v = new_value();
                if rng.chance(1, 2) {
                    other.push_front(make(v));
                    m_other.push_front(v);
                } else {
                    other.push_back(make(v));
                    m_other.push_back(v);
                }
            }
            15 => {
                if rng.chance(1, 2) {
                    assert_eq!(other.pop_front().map(released), m_other.pop_front());
                } else {
                    assert_eq!(other.pop_back().map(released), m_other.pop_back());
                }
            }
            16 => {
                if rng.chance(1, 2) {
                    main.append(&mut other);
                    m_main.append(&mut m_other);
                } else {
                    other.append(&mut main);
                    m_other.append(&mut m_main);
                    (pos, cur) = (None, None);
                }
            }
            17 => {
                other = main.take();
                m_other = mem::take(&mut m_main);
                (pos, cur) = (None, None);
            }
            18 => {
                // Rare, so that the lists grow.
                if rng.chance(1, 4) {
                    main.clear();
                    m_main.clear();
                    (pos, cur) = (None, None);
                }
            }
            19 => {
                let mut iter = main.iter();
                let (mut lo, mut hi) = (0, m_main.len());
                while lo < hi {
                    assert_eq!(iter.len(), hi - lo);
                    if rng.chance(1, 2) {
                        assert_eq!(iter.next().map(|n| n.value), Some(m_main[lo]));
                        lo += 1;
                    } else {
                        assert_eq!(iter.next_back().map(|n| n.value), Some(m_main[hi - 1]));
                        hi -= 1;
                    }
                }
                assert!(iter.next().is_none() && iter.next_back().is_none());
            }
            20 => {
                let mut iter = other.take().into_iter();
                let (mut front, mut back) = (Vec::new(), Vec::new());
                while iter.len() > 0 {
                    if rng.chance(1, 2) {
                        front.push(iter.next().unwrap());
                    } else {
                        back.push(iter.next_back().unwrap());
                    }
                }
                assert!(iter.next().is_none());
                front.extend(back.into_iter().rev());
                let got: Vec<u32> = front.iter().map(|node| node.value).collect();
                assert!(front.iter().all(|node| !node.link.is_linked()));
                assert_eq!(got, Vec::from(m_other.clone()), "into_iter");
                for node in front {
                    other.push_back(node);
                }
            }
            21 => {
                let cursor = match cur {
                    None => main.cursor(),
                    // SAFETY: `cur` points to an element of `main` (see `cursor_at`).
                    Some(ptr) => unsafe { main.cursor_from_ptr(ptr) },
                };
                let len = m_main.len();
                let (prev, next) = match pos {
                    None => (len.checked_sub(1), (len > 0).then_some(0)),
                    Some(i) => (i.checked_sub(1), (i + 1 < len).then_some(i + 1)),
                };
                assert_eq!(cursor.peek_prev().map(|n| n.value), prev.map(|i| m_main[i]));
                assert_eq!(cursor.peek_next().map(|n| n.value), next.map(|i| m_main[i]));
                assert_eq!(cursor.is_null(), pos.is_none());
            }
            22 => {
                let cursor = if rng.chance(1, 2) {
                    pos = (!m_main.is_empty()).then_some(0);
                    main.cursor_front_mut()
                } else {
                    pos = m_main.len().checked_sub(1);
                    main.cursor_back_mut()
                };
                cur = position_of(&cursor);
            }
            _ => {
                assert_eq!(value(main.front()), m_main.front().copied());
                assert_eq!(value(main.back()), m_main.back().copied());
            }
        }

        main.check_invariants();
        other.check_invariants();
        assert_eq!(
            (main.len(), other.len()),
            (m_main.len(), m_other.len()),
            "step {step} op {op}"
        );
        assert_eq!(
            cur.is_some(),
            pos.is_some(),
            "step {step} op {op}: cursor position"
        );
        if let (Some(ptr), Some(i)) = (cur, pos) {
            // SAFETY: `cur` points to an element of `main` (see `cursor_at`).
            let cursor = unsafe { main.cursor_from_ptr(ptr) };
            assert_eq!(
                at(&cursor),
                Some(m_main[i]),
                "step {step} op {op}: cursor at {i}"
            );
        }
        if step % 32 == 0 || step + 1 == ops {
            assert_eq!(
                values(&main),
                Vec::from(m_main.clone()),
                "step {step}: main"
            );
            assert_eq!(
                values(&other),
                Vec::from(m_other.clone()),
                "step {step}: other"
            );
        }
    }
}

#[test]
fn model_with_boxes() {
    run_model::<BoxAdapter>(0x5EED_0001, MODEL_OPS, boxed);
}

#[test]
fn model_with_rcs() {
    // The test keeps its own `Rc` to every element, so the list's raw pointers alias live `Rc`s
    // throughout; at the end every element must be back to one owner and unlinked.
    let mut handles = Vec::new();
    run_model::<RcAdapter>(0x5EED_0002, MODEL_OPS, |v| {
        let node = Rc::new(Node::new(v));
        handles.push(Rc::clone(&node));
        node
    });
    assert!(!handles.is_empty());
    for node in &handles {
        assert_eq!(
            Rc::strong_count(node),
            1,
            "element {} still owned",
            node.value
        );
        assert!(
            !node.link.is_linked(),
            "element {} still linked",
            node.value
        );
    }
}

#[test]
fn model_with_references() {
    let pool: Vec<Node> = (0..MODEL_OPS as u32).map(Node::new).collect();
    run_model::<RefAdapter<'_>>(0x5EED_0003, MODEL_OPS, |v| &pool[v as usize]);
    assert!(
        pool.iter().all(|node| !node.link.is_linked()),
        "every element unlinked at the end"
    );
}

/// More seeds natively; under Miri the three tests above cover every operation.
#[cfg(not(miri))]
#[test]
fn model_with_boxes_more_seeds() {
    for seed in 10..18 {
        let ops = Rng::new(seed).range(MODEL_OPS / 2, MODEL_OPS);
        run_model::<BoxAdapter>(seed, ops, boxed);
    }
}

#[test]
fn iter_types_are_debug_when_elements_are() {
    // `Iter` and `IntoIter` of an empty list format as empty.
    let list = LinkedList::<BoxAdapter>::new();
    let iter: Iter<'_, BoxAdapter> = list.iter();
    assert_eq!(format!("{iter:?}"), "Iter([])");
    assert_eq!(format!("{:?}", list.into_iter()), "IntoIter([])");
}
