//! The seeded bugs of [`LinkedList`] and its cursors, each entered by the `seeded::hook!` line of
//! the function it replaces. Compiled only with the `seeded-bugs` feature. None is
//! inlined, so a report names the deviation's own line.

use core::ptr::NonNull;

use super::{Adapter, CursorMut, Link, LinkedList};
use crate::seeded::{self, Bug};

/// `list-clear-forgets`: the chain is detached, and its pointers, which pass to the caller, are
/// dropped on the floor.
#[inline(never)]
pub(super) fn clear_forgets<A: Adapter>(list: &mut LinkedList<A>) {
    let _ = list.take_chain();
}

/// `list-drop-unguarded`: no drop guard, so a panicking element drop leaks the rest.
#[inline(never)]
pub(super) fn drop_unguarded<A: Adapter>(list: &mut LinkedList<A>) {
    while let Some(ptr) = list.pop_front() {
        drop(ptr);
    }
}

/// `list-split-after-stale-tail`: the list keeps its old tail, which moved to the new list.
#[inline(never)]
pub(super) fn split_keeps_tail<A: Adapter>(
    list: &mut LinkedList<A>,
    link: NonNull<Link>,
) -> LinkedList<A> {
    let tail = list.tail;
    // SAFETY: `link` is linked into `list`: this runs in place of `split_after_link`, under its
    // contract.
    let split = seeded::without(Bug::ListSplitAfterStaleTail, || unsafe {
        list.split_after_link(link)
    });
    if !split.is_empty() {
        list.tail = tail;
    }
    split
}

/// `list-cursor-keeps-callers-ptr`: the element's link at the same address, but derived from
/// the caller's (maybe read-only) pointer instead of the list's own.
#[inline(never)]
pub(super) fn callers_link<A: Adapter>(
    list: &LinkedList<A>,
    ptr: *const A::Value,
) -> NonNull<Link> {
    // SAFETY: `ptr` points to an element linked into `list`, and allows reads: this runs in place
    // of `stored_link`, under its contract. Its own checks still run.
    let _ = seeded::without(Bug::ListCursorKeepsCallersPtr, || unsafe {
        list.stored_link(ptr)
    });
    // SAFETY: `ptr` is non-null and points to a live element (as above).
    unsafe { A::get_link(NonNull::new_unchecked(ptr.cast_mut())) }
}

/// `list-replace-stale-cursor`: `replace_with` leaves the cursor on the element it hands back.
#[inline(never)]
pub(super) fn replace_keeps_cursor<A: Adapter>(
    cursor: &mut CursorMut<'_, A>,
    val: A::Pointer,
) -> Result<A::Pointer, A::Pointer> {
    let current = cursor.current;
    let replaced = seeded::without(Bug::ListReplaceStaleCursor, || cursor.replace_with(val));
    if replaced.is_ok() {
        cursor.current = current;
    }
    replaced
}
