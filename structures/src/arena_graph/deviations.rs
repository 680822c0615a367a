//! The seeded bugs of [`ArenaGraph`] and its arenas, each entered by the `seeded::hook!` line of
//! the function it replaces. Compiled only with the `seeded-bugs` feature. None is
//! inlined, so a report names the deviation's own line.

use std::mem;
use std::ptr::NonNull;

use super::arena::{Arena, Slot, value_ptr};
use super::{ArenaGraph, Dir, NodePtr, retarget_list};
use crate::seeded::{self, Bug};

/// `graph-compact-stale-target`: incoming edges keep their old target, the slot the node left
/// (vacant, and freed if `compact` trims its chunk).
#[inline(never)]
pub(super) fn retarget_out_only<N, E>(node: NodePtr<N, E>) {
    // SAFETY: as `retarget_edges`, in whose place this runs, under its contract.
    unsafe { retarget_list(node, Dir::Out) }
}

/// `graph-remove-node-unguarded`: `remove_node`'s drop guard does nothing, so when an edge
/// weight's `Drop` panics the node and its other edges stay in the graph.
#[inline(never)]
pub(super) fn unguarded() {}

/// `graph-clear-leaks-edges`: `clear` (and so `Drop`) forgets the edge weights instead of
/// dropping them.
#[inline(never)]
pub(super) fn clear_forgets_edges<N, E>(graph: &mut ArenaGraph<N, E>) {
    for index in 0..graph.edges.len() {
        if let Some(edge) = graph.edges.occupied_slot(index) {
            // SAFETY: `edge` is occupied and nothing references it (`&mut` graph).
            mem::forget(unsafe { graph.remove_edge_at(edge) });
        }
    }
    seeded::without(Bug::GraphClearLeaksEdges, || graph.clear());
}

/// `graph-trim-no-floor`: trimming an arena forgets the versions of the slots it discards, so
/// a slot made later at a trimmed index gets an old version and a stale id names it again.
#[inline(never)]
pub(super) fn trim_keeps_floor<T>(arena: &mut Arena<T>) {
    let floor = arena.floor;
    seeded::without(Bug::GraphTrimNoFloor, || arena.trim());
    arena.floor = floor;
}

/// `graph-clone-claims-first`: `clone` claims an occupied slot (odd version, counted) before
/// cloning its value, so a panicking `clone` leaves it occupied and uninitialized.
#[inline(never)]
pub(super) fn claim_then_clone<T>(
    arena: &mut Arena<T>,
    src: &Arena<T>,
    index: u32,
    clone_value: &mut impl FnMut(NonNull<Slot<T>>) -> T,
) {
    let (Some(from), Some((version, next_free))) = (src.slot(index), src.header(index)) else {
        unreachable!("index {index} < len")
    };
    // SAFETY: none: an odd version without its value breaks `push_slot`'s contract (the bug);
    // the index is `arena.len` and within the capacity, as in `clone_slot`.
    unsafe { arena.push_slot(index, version, next_free, None) };
    if version % 2 == 1 {
        let value = clone_value(from);
        // SAFETY: `index` is within the capacity; the slot's value is uninitialized and
        // nothing refers to it.
        unsafe { value_ptr(arena.slot_unchecked(index)).write(value) };
    }
}
