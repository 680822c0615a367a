//! Iterators over an [`ArenaGraph`].
//!
//! Every iterator here borrows the graph shared for `'a`, so the graph cannot change while it
//! lives: the raw pointers an iterator holds stay valid, and the edges and nodes they reach stay
//! occupied. None has a `Drop` that matters to the graph, so forgetting one is harmless (the
//! traversals leak their scratch buffers).

use std::collections::VecDeque;
use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;

use super::arena::{Arena, Slot, value_ptr};
use super::{ArenaGraph, Dir, Edge, EdgeId, EdgePtr, Node, NodeId, NodePtr, link_ptr, list_ptr};

/// A shared view of one edge: its id, endpoints and weight.
#[derive(Debug)]
pub struct EdgeRef<'a, E> {
    /// The edge's id.
    pub id: EdgeId,
    /// The node the edge leaves.
    pub source: NodeId,
    /// The node the edge enters.
    pub target: NodeId,
    /// The edge's weight.
    pub weight: &'a E,
}

impl<E> Clone for EdgeRef<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for EdgeRef<'_, E> {}

impl<'a, E> EdgeRef<'a, E> {
    /// The view of `edge`.
    ///
    /// # Safety
    ///
    /// `edge` is an occupied edge slot of a graph that is borrowed shared for `'a`.
    unsafe fn new<N>(edge: EdgePtr<N, E>) -> Self {
        // SAFETY: `edge` is occupied (caller), so its value is initialized and its endpoints
        // are occupied node slots (graph invariant); the graph is borrowed shared for `'a`, so
        // nothing writes to them for that long.
        unsafe {
            let value = value_ptr(edge);
            EdgeRef {
                id: EdgeId::of(edge),
                source: NodeId::of((*value).source),
                target: NodeId::of((*value).target),
                weight: &(*value).weight,
            }
        }
    }
}

/// The edges leaving or entering one node, in list order; see
/// [`ArenaGraph::edges_out`] and [`ArenaGraph::edges_in`].
pub struct Adjacent<'a, N, E> {
    /// The next edge from the front; `Some` whenever `len > 0`.
    front: Option<EdgePtr<N, E>>,
    /// The next edge from the back; `Some` whenever `len > 0`.
    back: Option<EdgePtr<N, E>>,
    /// Number of edges not yet yielded: those from `front` to `back` (inclusive) along the
    /// list.
    len: usize,
    dir: Dir,
    /// The edges belong to a graph borrowed shared for `'a`.
    marker: PhantomData<&'a ArenaGraph<N, E>>,
}

// SAFETY: an `Adjacent` is a shared borrow of the graph (it reads edges and hands out `&E`), so
// it may be sent or shared across threads exactly when `&ArenaGraph<N, E>` may: when `N` and `E`
// are `Sync`.
unsafe impl<N: Sync, E: Sync> Send for Adjacent<'_, N, E> {}

// SAFETY: as for `Send`: `&Adjacent` only allows what `&ArenaGraph` allows.
unsafe impl<N: Sync, E: Sync> Sync for Adjacent<'_, N, E> {}

impl<'a, N, E> Adjacent<'a, N, E> {
    /// The `dir` list of node `id` of `graph`; empty if `id` is stale.
    pub(super) fn new(graph: &'a ArenaGraph<N, E>, id: NodeId, dir: Dir) -> Self {
        let list = graph.node_slot(id).map(|node| {
            // SAFETY: `node` is an occupied node slot of `graph`, which is borrowed shared.
            unsafe { *list_ptr(node, dir) }
        });
        Adjacent {
            front: list.and_then(|l| l.head),
            back: list.and_then(|l| l.tail),
            len: list.map_or(0, |l| l.len as usize),
            dir,
            marker: PhantomData,
        }
    }
}

impl<N, E> Clone for Adjacent<'_, N, E> {
    fn clone(&self) -> Self {
        Adjacent {
            marker: PhantomData,
            ..*self
        }
    }
}

impl<'a, N, E> Iterator for Adjacent<'a, N, E> {
    type Item = EdgeRef<'a, E>;

    fn next(&mut self) -> Option<EdgeRef<'a, E>> {
        if self.len == 0 {
            return None;
        }
        let edge = self.front?;
        self.len -= 1;
        // SAFETY: while `len > 0`, `front` is an occupied edge on the list (the graph is
        // borrowed shared for `'a`, so the list does not change).
        unsafe {
            self.front = (*link_ptr(edge, self.dir)).next;
            Some(EdgeRef::new(edge))
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len, Some(self.len))
    }
}

impl<'a, N, E> DoubleEndedIterator for Adjacent<'a, N, E> {
    fn next_back(&mut self) -> Option<EdgeRef<'a, E>> {
        if self.len == 0 {
            return None;
        }
        let edge = self.back?;
        self.len -= 1;
        // SAFETY: while `len > 0`, `back` is an occupied edge on the list (the graph is
        // borrowed shared for `'a`, so the list does not change).
        unsafe {
            self.back = (*link_ptr(edge, self.dir)).prev;
            Some(EdgeRef::new(edge))
        }
    }
}

impl<N, E> ExactSizeIterator for Adjacent<'_, N, E> {}

impl<N, E> FusedIterator for Adjacent<'_, N, E> {}

impl<N, E> fmt::Debug for Adjacent<'_, N, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Adjacent")
            .field("dir", &self.dir)
            .field("remaining", &self.len)
            .finish_non_exhaustive()
    }
}

/// The far ends of the edges leaving or entering one node; see
/// [`ArenaGraph::neighbors_out`] and [`ArenaGraph::neighbors_in`].
pub struct Neighbors<'a, N, E> {
    edges: Adjacent<'a, N, E>,
}

impl<'a, N, E> Neighbors<'a, N, E> {
    pub(super) fn new(edges: Adjacent<'a, N, E>) -> Self {
        Neighbors { edges }
    }

    /// The far end of `edge`.
    fn far_end(&self, edge: EdgeRef<'a, E>) -> NodeId {
        match self.edges.dir {
            Dir::Out => edge.target,
            Dir::In => edge.source,
        }
    }
}

impl<N, E> Clone for Neighbors<'_, N, E> {
    fn clone(&self) -> Self {
        Neighbors {
            edges: self.edges.clone(),
        }
    }
}

impl<N, E> fmt::Debug for Neighbors<'_, N, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Neighbors")
            .field("edges", &self.edges)
            .finish()
    }
}

impl<N, E> Iterator for Neighbors<'_, N, E> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        self.edges.next().map(|edge| self.far_end(edge))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.edges.size_hint()
    }
}

impl<N, E> DoubleEndedIterator for Neighbors<'_, N, E> {
    fn next_back(&mut self) -> Option<NodeId> {
        self.edges.next_back().map(|edge| self.far_end(edge))
    }
}

impl<N, E> ExactSizeIterator for Neighbors<'_, N, E> {}

impl<N, E> FusedIterator for Neighbors<'_, N, E> {}

/// The occupied slots of an arena in index order, from both ends.
struct Slots<'a, T> {
    arena: &'a Arena<T>,
    /// Next index to look at from the front.
    front: u32,
    /// One past the next index to look at from the back; `front <= back <= arena.len()`.
    back: u32,
    /// Number of occupied slots in `front..back`.
    remaining: usize,
}

impl<'a, T> Slots<'a, T> {
    fn new(arena: &'a Arena<T>) -> Self {
        Slots {
            arena,
            front: 0,
            back: arena.len(),
            remaining: arena.occupied() as usize,
        }
    }

    fn next(&mut self) -> Option<std::ptr::NonNull<Slot<T>>> {
        while self.front < self.back {
            let index = self.front;
            self.front += 1;
            if let Some(slot) = self.arena.occupied_slot(index) {
                self.remaining -= 1;
                return Some(slot);
            }
        }
        None
    }

    fn next_back(&mut self) -> Option<std::ptr::NonNull<Slot<T>>> {
        while self.front < self.back {
            self.back -= 1;
            if let Some(slot) = self.arena.occupied_slot(self.back) {
                self.remaining -= 1;
                return Some(slot);
            }
        }
        None
    }
}

impl<T> Clone for Slots<'_, T> {
    fn clone(&self) -> Self {
        Slots { ..*self }
    }
}

/// Every node of a graph with its weight, in index order; see [`ArenaGraph::nodes`].
pub struct Nodes<'a, N, E> {
    slots: Slots<'a, Node<N, E>>,
}

// SAFETY: a `Nodes` is a shared borrow of the graph (it reads slots and hands out `&N`), so it
// may be sent or shared across threads exactly when `&ArenaGraph<N, E>` may: when `N` and `E`
// are `Sync`.
unsafe impl<N: Sync, E: Sync> Send for Nodes<'_, N, E> {}

// SAFETY: as for `Send`: `&Nodes` only allows what `&ArenaGraph` allows.
unsafe impl<N: Sync, E: Sync> Sync for Nodes<'_, N, E> {}

impl<'a, N, E> Nodes<'a, N, E> {
    pub(super) fn new(graph: &'a ArenaGraph<N, E>) -> Self {
        Nodes {
            slots: Slots::new(&graph.nodes),
        }
    }

    /// The id and weight of occupied node slot `node`.
    ///
    /// # Safety
    ///
    /// `node` is an occupied slot of the graph borrowed for `'a`.
    unsafe fn item(node: NodePtr<N, E>) -> (NodeId, &'a N) {
        // SAFETY: `node` is occupied (caller), so its weight is initialized; the graph is
        // borrowed shared for `'a`, so nothing writes to it for that long.
        unsafe { (NodeId::of(node), &(*value_ptr(node)).weight) }
    }
}

impl<N, E> Clone for Nodes<'_, N, E> {
    fn clone(&self) -> Self {
        Nodes {
            slots: self.slots.clone(),
        }
    }
}

impl<'a, N, E> Iterator for Nodes<'a, N, E> {
    type Item = (NodeId, &'a N);

    fn next(&mut self) -> Option<(NodeId, &'a N)> {
        let node = self.slots.next()?;
        // SAFETY: `Slots` yields occupied slots of the graph borrowed for `'a`.
        Some(unsafe { Self::item(node) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.slots.remaining, Some(self.slots.remaining))
    }
}

impl<'a, N, E> DoubleEndedIterator for Nodes<'a, N, E> {
    fn next_back(&mut self) -> Option<(NodeId, &'a N)> {
        let node = self.slots.next_back()?;
        // SAFETY: `Slots` yields occupied slots of the graph borrowed for `'a`.
        Some(unsafe { Self::item(node) })
    }
}

impl<N, E> ExactSizeIterator for Nodes<'_, N, E> {}

impl<N, E> FusedIterator for Nodes<'_, N, E> {}

impl<N, E> fmt::Debug for Nodes<'_, N, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nodes")
            .field("remaining", &self.slots.remaining)
            .finish_non_exhaustive()
    }
}

/// Every node id of a graph, in ascending order; see [`ArenaGraph::node_ids`].
pub struct NodeIds<'a, N, E> {
    nodes: Nodes<'a, N, E>,
}

impl<'a, N, E> NodeIds<'a, N, E> {
    pub(super) fn new(nodes: Nodes<'a, N, E>) -> Self {
        NodeIds { nodes }
    }
}

impl<N, E> Clone for NodeIds<'_, N, E> {
    fn clone(&self) -> Self {
        NodeIds {
            nodes: self.nodes.clone(),
        }
    }
}

impl<N, E> fmt::Debug for NodeIds<'_, N, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeIds")
            .field("nodes", &self.nodes)
            .finish()
    }
}

impl<N, E> Iterator for NodeIds<'_, N, E> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        self.nodes.next().map(|(id, _)| id)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.nodes.size_hint()
    }
}

impl<N, E> DoubleEndedIterator for NodeIds<'_, N, E> {
    fn next_back(&mut self) -> Option<NodeId> {
        self.nodes.next_back().map(|(id, _)| id)
    }
}

impl<N, E> ExactSizeIterator for NodeIds<'_, N, E> {}

impl<N, E> FusedIterator for NodeIds<'_, N, E> {}

/// Every edge of a graph, in index order; see [`ArenaGraph::edges`].
pub struct Edges<'a, N, E> {
    slots: Slots<'a, Edge<N, E>>,
}

// SAFETY: an `Edges` is a shared borrow of the graph (it reads slots and hands out `&E`), so it
// may be sent or shared across threads exactly when `&ArenaGraph<N, E>` may: when `N` and `E`
// are `Sync`.
unsafe impl<N: Sync, E: Sync> Send for Edges<'_, N, E> {}

// SAFETY: as for `Send`: `&Edges` only allows what `&ArenaGraph` allows.
unsafe impl<N: Sync, E: Sync> Sync for Edges<'_, N, E> {}

impl<'a, N, E> Edges<'a, N, E> {
    pub(super) fn new(graph: &'a ArenaGraph<N, E>) -> Self {
        Edges {
            slots: Slots::new(&graph.edges),
        }
    }
}

impl<N, E> Clone for Edges<'_, N, E> {
    fn clone(&self) -> Self {
        Edges {
            slots: self.slots.clone(),
        }
    }
}

impl<'a, N, E> Iterator for Edges<'a, N, E> {
    type Item = EdgeRef<'a, E>;

    fn next(&mut self) -> Option<EdgeRef<'a, E>> {
        let edge = self.slots.next()?;
        // SAFETY: `Slots` yields occupied slots of the graph borrowed for `'a`.
        Some(unsafe { EdgeRef::new(edge) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.slots.remaining, Some(self.slots.remaining))
    }
}

impl<'a, N, E> DoubleEndedIterator for Edges<'a, N, E> {
    fn next_back(&mut self) -> Option<EdgeRef<'a, E>> {
        let edge = self.slots.next_back()?;
        // SAFETY: `Slots` yields occupied slots of the graph borrowed for `'a`.
        Some(unsafe { EdgeRef::new(edge) })
    }
}

impl<N, E> ExactSizeIterator for Edges<'_, N, E> {}

impl<N, E> FusedIterator for Edges<'_, N, E> {}

impl<N, E> fmt::Debug for Edges<'_, N, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Edges")
            .field("remaining", &self.slots.remaining)
            .finish_non_exhaustive()
    }
}

/// One bit per node slot: which nodes a traversal has discovered.
struct Visited {
    words: Vec<u64>,
}

impl Visited {
    /// An empty set for `slots` node slots; allocates nothing when `slots == 0`.
    fn new(slots: u32) -> Self {
        Visited {
            words: vec![0; (slots as usize).div_ceil(64)],
        }
    }

    /// Marks node slot `node`; returns whether it was unmarked.
    ///
    /// # Safety
    ///
    /// `node` is an occupied node slot of the graph the set was made for, borrowed shared.
    unsafe fn insert<N, E>(&mut self, node: NodePtr<N, E>) -> bool {
        // SAFETY: precondition passed to the caller.
        let index = unsafe { NodeId::of(node) }.index();
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        let fresh = self.words[word] & bit == 0;
        self.words[word] |= bit;
        fresh
    }
}

/// Depth-first preorder traversal; see [`ArenaGraph::dfs`].
pub struct Dfs<'a, N, E> {
    /// The nodes on `stack` belong to a graph borrowed shared for `'a`.
    marker: PhantomData<&'a ArenaGraph<N, E>>,
    /// The start node, until it is yielded.
    start: Option<NodePtr<N, E>>,
    /// One frame per node on the current path from the start: the next edge on that node's
    /// out list to explore (`None` once explored). Every pointer is an occupied slot of `graph`.
    stack: Vec<Option<EdgePtr<N, E>>>,
    /// The nodes yielded or about to be.
    visited: Visited,
}

// SAFETY: a `Dfs` is a shared borrow of the graph plus buffers it owns (of plain pointers it
// only reads through), so it may be sent or shared across threads exactly when
// `&ArenaGraph<N, E>` may: when `N` and `E` are `Sync`.
unsafe impl<N: Sync, E: Sync> Send for Dfs<'_, N, E> {}

// SAFETY: through `&Dfs` nothing follows its pointers or touches the graph: only `Debug`
// takes `&self`, and it reads the lengths of the iterator's own buffers.
unsafe impl<N: Sync, E: Sync> Sync for Dfs<'_, N, E> {}

impl<'a, N, E> Dfs<'a, N, E> {
    /// A traversal of `graph` from node `start`; empty if `start` is stale.
    pub(super) fn new(graph: &'a ArenaGraph<N, E>, start: NodeId) -> Self {
        let start = graph.node_slot(start);
        let mut visited = Visited::new(start.map_or(0, |_| graph.nodes.len()));
        if let Some(node) = start {
            // SAFETY: `node` is an occupied node slot of `graph` (`node_slot` checked it).
            unsafe { visited.insert(node) };
        }
        Dfs {
            marker: PhantomData,
            start,
            stack: Vec::new(),
            visited,
        }
    }

    /// Yields `node` and descends into it.
    ///
    /// # Safety
    ///
    /// `node` is an occupied node slot of the graph.
    unsafe fn enter(&mut self, node: NodePtr<N, E>) -> NodeId {
        // SAFETY: precondition passed to the caller; the graph is borrowed shared.
        unsafe {
            self.stack.push((*list_ptr(node, Dir::Out)).head);
            NodeId::of(node)
        }
    }
}

impl<N, E> Iterator for Dfs<'_, N, E> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        if let Some(start) = self.start.take() {
            // SAFETY: `start` is an occupied node slot of the graph (field invariant).
            return Some(unsafe { self.enter(start) });
        }
        while let Some(frame) = self.stack.last_mut() {
            let Some(edge) = *frame else {
                self.stack.pop();
                continue;
            };
            // SAFETY: `edge` is an occupied edge of the graph, which is borrowed shared, so
            // its target is an occupied node slot.
            let target = unsafe {
                *frame = (*link_ptr(edge, Dir::Out)).next;
                (*value_ptr(edge)).target
            };
            // SAFETY: as above, `target` is an occupied node slot of the graph.
            if unsafe { self.visited.insert(target) } {
                // SAFETY: as above.
                return Some(unsafe { self.enter(target) });
            }
        }
        None
    }
}

impl<N, E> FusedIterator for Dfs<'_, N, E> {}

impl<N, E> fmt::Debug for Dfs<'_, N, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dfs")
            .field("started", &self.start.is_none())
            .field("depth", &self.stack.len())
            .finish_non_exhaustive()
    }
}

/// Breadth-first traversal; see [`ArenaGraph::bfs`].
pub struct Bfs<'a, N, E> {
    /// The nodes in `queue` belong to a graph borrowed shared for `'a`.
    marker: PhantomData<&'a ArenaGraph<N, E>>,
    /// Discovered nodes not yet yielded, in discovery order. Occupied node slots.
    queue: VecDeque<NodePtr<N, E>>,
    /// The nodes yielded or queued.
    visited: Visited,
}

// SAFETY: a `Bfs` is a shared borrow of the graph plus buffers it owns (of plain pointers it
// only reads through), so it may be sent or shared across threads exactly when
// `&ArenaGraph<N, E>` may: when `N` and `E` are `Sync`.
unsafe impl<N: Sync, E: Sync> Send for Bfs<'_, N, E> {}

// SAFETY: through `&Bfs` nothing follows its pointers or touches the graph: only `Debug`
// takes `&self`, and it reads the length of the iterator's own queue.
unsafe impl<N: Sync, E: Sync> Sync for Bfs<'_, N, E> {}

impl<'a, N, E> Bfs<'a, N, E> {
    /// A traversal of `graph` from node `start`; empty if `start` is stale.
    pub(super) fn new(graph: &'a ArenaGraph<N, E>, start: NodeId) -> Self {
        let start = graph.node_slot(start);
        let mut visited = Visited::new(start.map_or(0, |_| graph.nodes.len()));
        let mut queue = VecDeque::new();
        if let Some(node) = start {
            // SAFETY: `node` is an occupied node slot of `graph` (`node_slot` checked it).
            unsafe { visited.insert(node) };
            queue.push_back(node);
        }
        Bfs {
            marker: PhantomData,
            queue,
            visited,
        }
    }
}

impl<N, E> Iterator for Bfs<'_, N, E> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        let node = self.queue.pop_front()?;
        // SAFETY: `node` is an occupied node slot of the graph (field invariant), which is
        // borrowed shared: its out list holds occupied edges, whose targets are occupied.
        unsafe {
            let mut cursor = (*list_ptr(node, Dir::Out)).head;
            while let Some(edge) = cursor {
                let target = (*value_ptr(edge)).target;
                if self.visited.insert(target) {
                    self.queue.push_back(target);
                }
                cursor = (*link_ptr(edge, Dir::Out)).next;
            }
            Some(NodeId::of(node))
        }
    }
}

impl<N, E> FusedIterator for Bfs<'_, N, E> {}

impl<N, E> fmt::Debug for Bfs<'_, N, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bfs")
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}
