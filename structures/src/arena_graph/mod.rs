//! [`ArenaGraph<N, E>`]: a directed multigraph whose nodes live in a chunked arena, with
//! generational ids and intrusive raw-pointer adjacency lists.
//!
//! ```
//! use structures::arena_graph::ArenaGraph;
//!
//! let mut g = ArenaGraph::new();
//! let a = g.add_node("a");
//! let b = g.add_node("b");
//! let ab = g.add_edge(a, b, 1.5).unwrap();
//! g.add_edge(b, b, 0.0).unwrap(); // self-loops and parallel edges are fine
//! assert_eq!(g.neighbors_out(b).collect::<Vec<_>>(), [b]);
//! assert_eq!(g.dfs(a).collect::<Vec<_>>(), [a, b]);
//!
//! assert_eq!(g.remove_node(b), Some("b")); // removes both edges too
//! assert_eq!(g.edge_weight(ab), None); // stale ids are detected, never dereferenced
//! assert_eq!(g.edge_count(), 0);
//! ```
//!
//! # Layout
//!
//! Nodes and edges each live in an arena of slots spread over chunks that never move (chunk `k`
//! holds `4 << k` slots). A slot's address is therefore stable while its element lives (for a
//! node: until it is removed or moved by [`ArenaGraph::compact`]), and the graph links elements
//! by raw pointers to their slots:
//!
//! * every node slot heads two intrusive doubly linked lists, of its outgoing and its incoming
//!   edges (`head`, `tail`, `len` each), in the order the edges were attached;
//! * every edge slot holds raw pointers to its source and target node slots and the
//!   `prev`/`next` links of both lists it is on.
//!
//! So adding or removing an edge is O(1), and walking a node's neighbours follows pointers, with
//! no lookups. Freed slots are reused through a free list threaded through the vacant slots.
//!
//! # Ids and staleness
//!
//! A [`NodeId`] or [`EdgeId`] is a slot index plus the slot's *version*, which is odd while the
//! slot is occupied and grows by one on every insertion and removal. Every lookup compares the
//! versions before touching the element, so an id of a removed element, including one whose
//! slot has been reused since, is detected: lookups return `None`, mutations
//! [`GraphError::StaleNode`] / [`GraphError::StaleEdge`]. Ids are never dereferenced
//! unchecked. Two further rules keep ids unique for the life of the graph:
//!
//! * When [`compact`](ArenaGraph::compact) frees trailing chunks, the arena remembers the
//!   highest version it discarded (its *generation floor*); slots created later at those indices
//!   start above it, so old ids of those indices stay stale.
//! * A slot whose version would wrap around (after 2^31 occupants) is *retired*: never reused,
//!   never freed by `compact`. Ids are therefore never recycled.
//!
//! # Panic safety
//!
//! User code runs in the weights' `Drop` and in the predicate of
//! [`retain_nodes`](ArenaGraph::retain_nodes). The graph is in a valid state whenever it does,
//! and an operation interrupted by a panic either did nothing ([`retain_nodes`] predicate) or is
//! finished by a drop guard during unwinding (removals: the element and everything that goes
//! with it is removed, every weight dropped exactly once). A second panic while unwinding
//! aborts, as in the standard collections.
//!
//! [`retain_nodes`]: ArenaGraph::retain_nodes

mod arena;
#[cfg(feature = "seeded-bugs")]
mod deviations;
mod iter;
#[cfg(test)]
mod tests;

use std::alloc::Layout;
use std::error::Error;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ptr::NonNull;

use self::arena::{Arena, MAX_SLOTS, Slot, slot_id, value_ptr};
pub use self::iter::{Adjacent, Bfs, Dfs, EdgeRef, Edges, Neighbors, NodeIds, Nodes};
use crate::seeded;

macro_rules! define_id {
    ($(#[$attr:meta])* $name:ident, $what:literal) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            /// Index of the slot in its arena.
            index: u32,
            /// Version of the slot's occupant; odd in every id the graph hands out.
            version: u32,
        }

        impl $name {
            #[doc = concat!("Builds a ", $what, " id from its parts, as returned by")]
            /// [`index`](Self::index) and [`generation`](Self::generation).
            ///
            /// Ids are checked on every use, so a forged id is at worst stale: the graph
            /// reports it as absent and never touches memory on its behalf.
            pub const fn from_raw_parts(index: u32, generation: u32) -> Self {
                $name { index, version: generation }
            }

            #[doc = concat!("Index of the ", $what, "'s slot. Lookups with an id are O(1) because")]
            /// the index locates the slot by arithmetic.
            pub const fn index(self) -> usize {
                self.index as usize
            }

            /// Version of the slot occupant this id names. Ids handed out by the graph always have
            /// an odd generation.
            pub const fn generation(self) -> u32 {
                self.version
            }

            /// Builds the id of the occupant of `slot`.
            ///
            /// # Safety
            ///
            /// `slot` points to an initialized slot of a live arena chunk, and no `&mut` to it
            /// is live.
            unsafe fn of<T>(slot: NonNull<Slot<T>>) -> Self {
                // SAFETY: precondition passed to the caller.
                let (index, version) = unsafe { slot_id(slot) };
                $name { index, version }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({}v{})"), self.index, self.version)
            }
        }
    };
}

define_id!(
    /// Names a node of an [`ArenaGraph`]: a slot index and a generation.
    ///
    /// Valid from [`add_node`](ArenaGraph::add_node) until the node is removed (by
    /// [`remove_node`](ArenaGraph::remove_node), [`retain_nodes`](ArenaGraph::retain_nodes) or
    /// [`clear`](ArenaGraph::clear)) or moved by [`compact`](ArenaGraph::compact); afterwards it
    /// is stale forever: no later node of the same graph gets an equal id. Ordered by index, then
    /// generation.
    NodeId,
    "node"
);

define_id!(
    /// Names an edge of an [`ArenaGraph`]: a slot index and a generation.
    ///
    /// Valid from [`add_edge`](ArenaGraph::add_edge) until the edge is removed (by
    /// [`remove_edge`](ArenaGraph::remove_edge), with one of its endpoints, or by
    /// [`clear`](ArenaGraph::clear)); [`compact`](ArenaGraph::compact) and
    /// [`reconnect_edge`](ArenaGraph::reconnect_edge) keep it valid. Afterwards it is stale
    /// forever. Ordered by index, then generation.
    EdgeId,
    "edge"
);

/// Errors of [`ArenaGraph`] operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GraphError {
    /// The id names no node of this graph: the node was removed or moved by
    /// [`compact`](ArenaGraph::compact), or the id was never handed out by this graph.
    StaleNode(NodeId),
    /// The id names no edge of this graph: the edge was removed, or the id was never handed
    /// out by this graph.
    StaleEdge(EdgeId),
    /// The node or edge arena would need more than 2^31 - 4 slots, or a chunk's size in bytes
    /// would overflow `isize`.
    CapacityOverflow,
    /// The allocator could not provide memory with this layout.
    AllocFailed(Layout),
}

impl GraphError {
    /// Reports a capacity error of an infallible growth API: aborts on allocation failure (the
    /// way `Vec` does), panics otherwise.
    fn fail(self) -> ! {
        match self {
            GraphError::AllocFailed(layout) => std::alloc::handle_alloc_error(layout),
            other => panic!("{other}"),
        }
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::StaleNode(id) => write!(f, "stale node id {id:?}: no such node"),
            GraphError::StaleEdge(id) => write!(f, "stale edge id {id:?}: no such edge"),
            GraphError::CapacityOverflow => {
                write!(
                    f,
                    "capacity overflow: an arena holds at most {MAX_SLOTS} slots"
                )
            }
            GraphError::AllocFailed(layout) => write!(
                f,
                "memory allocation of {} bytes (align {}) failed",
                layout.size(),
                layout.align()
            ),
        }
    }
}

impl Error for GraphError {}

/// Pointer to a node slot.
type NodePtr<N, E> = NonNull<Slot<Node<N, E>>>;
/// Pointer to an edge slot.
type EdgePtr<N, E> = NonNull<Slot<Edge<N, E>>>;

/// Which of a node's two adjacency lists, and so which link of an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    /// Outgoing edges: the list at the edge's source, through the edge's `out` link.
    Out,
    /// Incoming edges: the list at the edge's target, through the edge's `inc` link.
    In,
}

impl Dir {
    /// `"out"` or `"in"`, for messages.
    fn name(self) -> &'static str {
        match self {
            Dir::Out => "out",
            Dir::In => "in",
        }
    }
}

/// The value in an occupied node slot.
struct Node<N, E> {
    /// The live edges whose source is this node, in the order they were attached.
    out: List<N, E>,
    /// The live edges whose target is this node, in the order they were attached.
    inc: List<N, E>,
    weight: N,
}

/// Head of an intrusive edge list.
struct List<N, E> {
    /// First edge; `head` and `tail` are both `None` (and `len == 0`) or both `Some`.
    head: Option<EdgePtr<N, E>>,
    /// Last edge.
    tail: Option<EdgePtr<N, E>>,
    /// Number of edges on the list.
    len: u32,
}

impl<N, E> List<N, E> {
    const EMPTY: Self = List {
        head: None,
        tail: None,
        len: 0,
    };
}

impl<N, E> Clone for List<N, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<N, E> Copy for List<N, E> {}

/// An edge's position in one list: `prev` is `None` exactly at the head, `next` exactly at the
/// tail, and `x.next == Some(y)` iff `y.prev == Some(x)`.
struct Link<N, E> {
    prev: Option<EdgePtr<N, E>>,
    next: Option<EdgePtr<N, E>>,
}

impl<N, E> Link<N, E> {
    const UNLINKED: Self = Link {
        prev: None,
        next: None,
    };
}

impl<N, E> Clone for Link<N, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<N, E> Copy for Link<N, E> {}

/// The value in an occupied edge slot.
struct Edge<N, E> {
    /// Occupied node slot; the edge is on its `out` list exactly once.
    source: NodePtr<N, E>,
    /// Occupied node slot; the edge is on its `inc` list exactly once.
    target: NodePtr<N, E>,
    /// Links in `source`'s `out` list.
    out: Link<N, E>,
    /// Links in `target`'s `inc` list.
    inc: Link<N, E>,
    weight: E,
}

/// Pointer to `node`'s list in direction `dir`.
///
/// # Safety
///
/// `node` points to an occupied node slot in a live chunk.
unsafe fn list_ptr<N, E>(node: NodePtr<N, E>, dir: Dir) -> *mut List<N, E> {
    // SAFETY: precondition passed to the caller; the projections stay inside the node.
    unsafe {
        let node = value_ptr(node);
        match dir {
            Dir::Out => &raw mut (*node).out,
            Dir::In => &raw mut (*node).inc,
        }
    }
}

/// Pointer to `edge`'s link in direction `dir`.
///
/// # Safety
///
/// `edge` points to an occupied edge slot in a live chunk.
unsafe fn link_ptr<N, E>(edge: EdgePtr<N, E>, dir: Dir) -> *mut Link<N, E> {
    // SAFETY: precondition passed to the caller; the projections stay inside the edge.
    unsafe {
        let edge = value_ptr(edge);
        match dir {
            Dir::Out => &raw mut (*edge).out,
            Dir::In => &raw mut (*edge).inc,
        }
    }
}

/// The node whose `dir` list holds `edge`: its source for `Out`, its target for `In`.
///
/// # Safety
///
/// `edge` points to an occupied edge slot in a live chunk, not mutably referenced.
unsafe fn owner<N, E>(edge: EdgePtr<N, E>, dir: Dir) -> NodePtr<N, E> {
    // SAFETY: precondition passed to the caller.
    unsafe {
        let edge = value_ptr(edge);
        match dir {
            Dir::Out => (*edge).source,
            Dir::In => (*edge).target,
        }
    }
}

/// Appends `edge` to `node`'s `dir` list.
///
/// # Safety
///
/// `node` and `edge` point to occupied slots of one graph whose lists are consistent, `edge`
/// is on no `dir` list, and `node` is the edge's `owner` in direction `dir`. Nothing
/// references the node's list or any edge's links.
unsafe fn push_back<N, E>(node: NodePtr<N, E>, edge: EdgePtr<N, E>, dir: Dir) {
    // SAFETY: 1. `node` and `edge` are occupied (caller), so `list_ptr` and `link_ptr` are
    // valid. 2. The list's tail, if any, is an occupied edge of the same list (list
    // invariant), so its link is valid too. 3. No references exist to what we write.
    unsafe {
        debug_assert!(
            owner(edge, dir) == node,
            "push_back of an edge owned by another node"
        );
        let list = list_ptr(node, dir);
        let tail = (*list).tail;
        link_ptr(edge, dir).write(Link {
            prev: tail,
            next: None,
        });
        match tail {
            Some(tail) => (*link_ptr(tail, dir)).next = Some(edge),
            None => (*list).head = Some(edge),
        }
        (*list).tail = Some(edge);
        (*list).len += 1;
    }
}

/// Unlinks `edge` from its owner's `dir` list, leaving its link dangling.
///
/// # Safety
///
/// `edge` points to an occupied edge slot of a graph whose lists are consistent, and it is on
/// its `owner`'s `dir` list. Nothing references that list or any edge's links.
unsafe fn unlink<N, E>(edge: EdgePtr<N, E>, dir: Dir) {
    // SAFETY: 1. `edge` is occupied and on its owner's list (caller), so its owner is an
    // occupied node (graph invariant) and `prev`/`next` are occupied edges of the same list.
    // 2. No references exist to what we write.
    unsafe {
        let list = list_ptr(owner(edge, dir), dir);
        let Link { prev, next } = *link_ptr(edge, dir);
        match prev {
            Some(prev) => (*link_ptr(prev, dir)).next = next,
            None => (*list).head = next,
        }
        match next {
            Some(next) => (*link_ptr(next, dir)).prev = prev,
            None => (*list).tail = prev,
        }
        debug_assert!((*list).len > 0, "unlink from an empty list");
        (*list).len -= 1;
    }
}

/// Points the `source` (for the edges on the node's out list) and the `target` (in list) of
/// every edge of `node` back at `node`: after the node was moved, they still point to its old
/// slot.
///
/// # Safety
///
/// `node` points to an occupied node slot whose lists are consistent and hold occupied edges,
/// and nothing references those edges.
unsafe fn retarget_edges<N, E>(node: NodePtr<N, E>) {
    seeded::hook!(GraphCompactStaleTarget => deviations::retarget_out_only(node));
    for dir in [Dir::Out, Dir::In] {
        // SAFETY: the caller's guarantees, passed on.
        unsafe { retarget_list(node, dir) };
    }
}

/// Points the `source` (`dir` out) or `target` (in) of every edge on `node`'s `dir` list back at
/// `node`; see [`retarget_edges`].
///
/// # Safety
///
/// As [`retarget_edges`].
unsafe fn retarget_list<N, E>(node: NodePtr<N, E>, dir: Dir) {
    // SAFETY: `node` is occupied (caller).
    let mut cursor = unsafe { (*list_ptr(node, dir)).head };
    while let Some(edge) = cursor {
        // SAFETY: 1. `edge` is an occupied edge on the node's list (caller), so its value and
        // link are valid to read and write. 2. Nothing references them.
        unsafe {
            let value = value_ptr(edge);
            match dir {
                Dir::Out => (*value).source = node,
                Dir::In => (*value).target = node,
            }
            cursor = (*link_ptr(edge, dir)).next;
        }
    }
}

/// A directed multigraph with node weights `N` and edge weights `E`, stored in chunked arenas
/// and linked by raw pointers. See the [module documentation](self) for the design.
///
/// Self-loops and parallel edges are allowed. Node and edge ids are generational: an id stays
/// valid while its element lives and is detected as stale afterwards, forever.
pub struct ArenaGraph<N, E> {
    /// Node arena. Each occupied slot holds a [`Node`] whose `out` list holds exactly the live
    /// edges with that node as source, and whose `inc` list exactly those with it as target, in
    /// the order they were attached, each once.
    nodes: Arena<Node<N, E>>,
    /// Edge arena. Each occupied slot holds an [`Edge`] whose `source` and `target` point to
    /// occupied slots of `nodes`, and which is on exactly those two nodes' lists.
    edges: Arena<Edge<N, E>>,
    /// The graph owns `N`s and `E`s.
    marker: PhantomData<(N, E)>,
}

// SAFETY: an `ArenaGraph` owns its chunks and the weights in them outright (nothing is shared
// with other graphs, and the raw pointers in it point only into its own chunks), so sending it
// to another thread sends its `N`s and `E`s: sound when both are `Send`.
#[cfg(not(lockstep_type_bug = "graph-send-unbounded"))]
unsafe impl<N: Send, E: Send> Send for ArenaGraph<N, E> {}

// SAFETY: none, on purpose: this is the seeded bug `graph-send-unbounded`, which sends the
// weights to another thread whatever they are.
#[cfg(lockstep_type_bug = "graph-send-unbounded")]
unsafe impl<N, E> Send for ArenaGraph<N, E> {}

// SAFETY: `&ArenaGraph` only reads: no method taking `&self` writes anything (no interior
// mutability), and it gives out only `&N` and `&E`. Sharing it is sound when `N` and `E` are
// `Sync`.
unsafe impl<N: Sync, E: Sync> Sync for ArenaGraph<N, E> {}

/// The graph owns its `N`s and `E`s as a `Vec` owns its elements: unwind safe when they are (its
/// raw pointers would otherwise ask for `RefUnwindSafe`; `lockstep audit` found the difference).
impl<N: std::panic::UnwindSafe, E: std::panic::UnwindSafe> std::panic::UnwindSafe
    for ArenaGraph<N, E>
{
}

impl<N, E> Default for ArenaGraph<N, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N, E> ArenaGraph<N, E> {
    /// An empty graph. Allocates nothing.
    pub const fn new() -> Self {
        ArenaGraph {
            nodes: Arena::new(),
            edges: Arena::new(),
            marker: PhantomData,
        }
    }

    /// An empty graph with room for at least `nodes` nodes and `edges` edges.
    ///
    /// # Panics
    ///
    /// If `nodes` or `edges` exceeds 2^31 - 8 (see [`GraphError::CapacityOverflow`]).
    ///
    /// # Aborts
    ///
    /// If memory allocation fails. [`try_reserve`](Self::try_reserve) is the fallible
    /// version.
    pub fn with_capacity(nodes: usize, edges: usize) -> Self {
        let mut graph = Self::new();
        if let Err(err) = graph.try_reserve(nodes, edges) {
            err.fail();
        }
        graph
    }

    /// Makes sure that `nodes` more nodes and `edges` more edges can be added without
    /// allocating, so that those [`add_node`](Self::add_node) and
    /// [`add_edge`](Self::add_edge) calls cannot panic or abort for lack of memory. The
    /// fallible twin of every growth API of the graph.
    ///
    /// # Errors
    ///
    /// [`GraphError::CapacityOverflow`] if an arena would exceed 2^31 - 4 slots,
    /// [`GraphError::AllocFailed`] if the allocator fails. The graph's contents are unchanged
    /// either way (some capacity may have been added).
    pub fn try_reserve(&mut self, nodes: usize, edges: usize) -> Result<(), GraphError> {
        self.nodes.try_reserve(nodes)?;
        self.edges.try_reserve(edges)
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.occupied() as usize
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edges.occupied() as usize
    }

    /// Whether the graph has no nodes (and so no edges).
    pub fn is_empty(&self) -> bool {
        self.nodes.occupied() == 0
    }

    /// Number of node slots in the allocated chunks (occupied, vacant or not yet used).
    pub fn node_capacity(&self) -> usize {
        self.nodes.capacity() as usize
    }

    /// Number of edge slots in the allocated chunks (occupied, vacant or not yet used).
    pub fn edge_capacity(&self) -> usize {
        self.edges.capacity() as usize
    }

    /// The slot of node `id`, if it is live.
    fn node_slot(&self, id: NodeId) -> Option<NodePtr<N, E>> {
        self.nodes.get(id.index, id.version)
    }

    /// The slot of edge `id`, if it is live.
    fn edge_slot(&self, id: EdgeId) -> Option<EdgePtr<N, E>> {
        self.edges.get(id.index, id.version)
    }

    /// Adds a node with no edges and returns its id. Reuses a vacant slot if there is one (the
    /// most recently vacated first; right after [`compact`](Self::compact), the lowest first),
    /// else takes the next new slot.
    ///
    /// # Panics
    ///
    /// If the graph already has 2^31 - 8 node slots in use.
    ///
    /// # Aborts
    ///
    /// If allocating a chunk fails; reserve with [`try_reserve`](Self::try_reserve) first to
    /// avoid both.
    pub fn add_node(&mut self, weight: N) -> NodeId {
        let slot = self.nodes.insert(Node {
            out: List::EMPTY,
            inc: List::EMPTY,
            weight,
        });
        // SAFETY: `insert` returned an initialized slot of the node arena; nothing references it.
        unsafe { NodeId::of(slot) }
    }

    /// Removes node `id` and every edge incident to it (out and in, self-loops and parallel
    /// edges included, each once), and returns the node's weight, or `None` if `id` is stale.
    ///
    /// The edge weights are dropped: first those of the out list, from head to tail, then
    /// those left on the in list. O(1 + degree).
    ///
    /// If an edge weight's `Drop` panics, the removal is finished during unwinding (the other
    /// edges are removed and their weights dropped, the node is removed and its weight dropped)
    /// before the panic propagates.
    pub fn remove_node(&mut self, id: NodeId) -> Option<N> {
        let slot = self.node_slot(id)?;
        // SAFETY: `slot` is occupied: `node_slot` just checked it.
        Some(unsafe { self.remove_node_at(slot) })
    }

    /// Removes the node in `node` and its edges; see [`remove_node`](Self::remove_node).
    ///
    /// # Safety
    ///
    /// `node` is an occupied slot of `self.nodes`, and nothing references its weight.
    unsafe fn remove_node_at(&mut self, node: NodePtr<N, E>) -> N {
        /// Finishes the removal if an edge weight's `Drop` panics.
        struct Guard<'g, N, E> {
            graph: &'g mut ArenaGraph<N, E>,
            /// Occupied until the end of `remove_node_at` or `Guard::drop`.
            node: NodePtr<N, E>,
        }

        impl<N, E> Drop for Guard<'_, N, E> {
            fn drop(&mut self) {
                seeded::hook!(GraphRemoveNodeUnguarded => deviations::unguarded());
                // SAFETY: `node` is still occupied (only vacated after the guard is disarmed or
                // right here), and nothing references it: the panicking weight was an edge's.
                unsafe {
                    while let Some(weight) = self.graph.pop_incident(self.node) {
                        drop(weight);
                    }
                    drop(self.graph.nodes.vacate(self.node).weight);
                }
            }
        }

        let guard = Guard { graph: self, node };
        // SAFETY: `node` is occupied (caller), and stays so throughout the loop: popping edges
        // only vacates edge slots.
        while let Some(weight) = unsafe { guard.graph.pop_incident(node) } {
            // User code runs here; the graph is consistent (the edge is gone).
            drop(weight);
        }
        let mut guard = ManuallyDrop::new(guard);
        // SAFETY: `node` is occupied and now has no edges, so no edge points to it; nothing
        // references its weight (caller).
        unsafe { guard.graph.nodes.vacate(node) }.weight
    }

    /// Removes one edge incident to `node`, the head of its out list or, if that is empty, the
    /// head of its in list, and returns the edge's weight; `None` if the node has no edges.
    ///
    /// # Safety
    ///
    /// `node` is an occupied slot of `self.nodes`.
    unsafe fn pop_incident(&mut self, node: NodePtr<N, E>) -> Option<E> {
        // SAFETY: `node` is occupied (caller).
        let edge = unsafe {
            (*list_ptr(node, Dir::Out))
                .head
                .or((*list_ptr(node, Dir::In)).head)
        }?;
        // SAFETY: edges on an occupied node's lists are occupied edge slots (graph invariant).
        Some(unsafe { self.remove_edge_at(edge) })
    }

    /// Adds an edge `from -> to` and returns its id. It goes to the end of `from`'s out list
    /// and of `to`'s in list. `from == to` (a self-loop) and repeated pairs (parallel edges)
    /// are allowed.
    ///
    /// # Errors
    ///
    /// [`GraphError::StaleNode`] with the first of `from`, `to` that is stale. The graph is
    /// unchanged and `weight` is dropped before returning.
    ///
    /// # Panics
    ///
    /// If the graph already has 2^31 - 8 edge slots in use.
    ///
    /// # Aborts
    ///
    /// If allocating a chunk fails; reserve with [`try_reserve`](Self::try_reserve) first to
    /// avoid both.
    pub fn add_edge(&mut self, from: NodeId, to: NodeId, weight: E) -> Result<EdgeId, GraphError> {
        let source = self.node_slot(from).ok_or(GraphError::StaleNode(from))?;
        let target = self.node_slot(to).ok_or(GraphError::StaleNode(to))?;
        let edge = self.edges.insert(Edge {
            source,
            target,
            out: Link::UNLINKED,
            inc: Link::UNLINKED,
            weight,
        });
        // SAFETY: 1. `source` and `target` are occupied node slots (checked above; inserting
        // an edge does not touch node slots) and `edge` a fresh occupied edge slot on no list,
        // whose source and target they are. 2. Nothing references the graph's slots (`&mut
        // self`). 3. `edge` was just initialized and is not mutably referenced.
        unsafe {
            push_back(source, edge, Dir::Out);
            push_back(target, edge, Dir::In);
            Ok(EdgeId::of(edge))
        }
    }

    /// Removes edge `id` and returns its weight, or `None` if `id` is stale. O(1).
    pub fn remove_edge(&mut self, id: EdgeId) -> Option<E> {
        let edge = self.edge_slot(id)?;
        // SAFETY: `edge` is occupied: `edge_slot` just checked it.
        Some(unsafe { self.remove_edge_at(edge) })
    }

    /// Unlinks the edge in `edge` from both lists, vacates its slot and returns its weight.
    ///
    /// # Safety
    ///
    /// `edge` is an occupied slot of `self.edges`, and nothing references its weight.
    unsafe fn remove_edge_at(&mut self, edge: EdgePtr<N, E>) -> E {
        // SAFETY: 1. `edge` is occupied (caller), so it is on its source's out list and its
        // target's in list (graph invariant), and the graph's lists are consistent. 2. Nothing
        // references the graph's slots (`&mut self`, and the caller for the weight).
        unsafe {
            unlink(edge, Dir::Out);
            unlink(edge, Dir::In);
            self.edges.vacate(edge).weight
        }
    }

    /// Moves edge `id` so that it runs `from -> to`, keeping its id and weight. It goes to the
    /// end of `from`'s out list and of `to`'s in list, even if an endpoint does not change.
    /// O(1).
    ///
    /// # Errors
    ///
    /// [`GraphError::StaleEdge`] if `id` is stale, else [`GraphError::StaleNode`] with the
    /// first of `from`, `to` that is stale. The graph is unchanged on error.
    pub fn reconnect_edge(
        &mut self,
        id: EdgeId,
        from: NodeId,
        to: NodeId,
    ) -> Result<(), GraphError> {
        let edge = self.edge_slot(id).ok_or(GraphError::StaleEdge(id))?;
        let source = self.node_slot(from).ok_or(GraphError::StaleNode(from))?;
        let target = self.node_slot(to).ok_or(GraphError::StaleNode(to))?;
        // SAFETY: 1. `edge` is an occupied edge slot, on its old source's out list and old
        // target's in list; `source` and `target` are occupied node slots (all checked above).
        // 2. After the unlinks the edge is on no list and we make the new nodes its owners
        // before linking it. 3. Nothing references the graph's slots (`&mut self`).
        unsafe {
            unlink(edge, Dir::Out);
            unlink(edge, Dir::In);
            let value = value_ptr(edge);
            (*value).source = source;
            (*value).target = target;
            push_back(source, edge, Dir::Out);
            push_back(target, edge, Dir::In);
        }
        Ok(())
    }

    /// Whether `id` names a node of this graph.
    pub fn contains_node(&self, id: NodeId) -> bool {
        self.node_slot(id).is_some()
    }

    /// Whether `id` names an edge of this graph.
    pub fn contains_edge(&self, id: EdgeId) -> bool {
        self.edge_slot(id).is_some()
    }

    /// The weight of node `id`, or `None` if `id` is stale.
    pub fn node_weight(&self, id: NodeId) -> Option<&N> {
        let node = self.node_slot(id)?;
        // SAFETY: `node` is occupied, so its weight is initialized; writes to it need `&mut
        // self`, which the returned borrow of `self` excludes.
        Some(unsafe { &(*value_ptr(node)).weight })
    }

    /// The weight of node `id`, mutably, or `None` if `id` is stale.
    pub fn node_weight_mut(&mut self, id: NodeId) -> Option<&mut N> {
        let node = self.node_slot(id)?;
        // SAFETY: `node` is occupied, so its weight is initialized; no other pointer to the
        // weight is used while the returned borrow of `self` lives.
        Some(unsafe { &mut (*value_ptr(node)).weight })
    }

    /// The weight of edge `id`, or `None` if `id` is stale.
    pub fn edge_weight(&self, id: EdgeId) -> Option<&E> {
        let edge = self.edge_slot(id)?;
        // SAFETY: `edge` is occupied, so its weight is initialized; writes to it need `&mut
        // self`, which the returned borrow of `self` excludes.
        Some(unsafe { &(*value_ptr(edge)).weight })
    }

    /// The weight of edge `id`, mutably, or `None` if `id` is stale.
    pub fn edge_weight_mut(&mut self, id: EdgeId) -> Option<&mut E> {
        let edge = self.edge_slot(id)?;
        // SAFETY: `edge` is occupied, so its weight is initialized; no other pointer to the
        // weight is used while the returned borrow of `self` lives.
        Some(unsafe { &mut (*value_ptr(edge)).weight })
    }

    /// `(source, target)` of edge `id`, or `None` if `id` is stale.
    pub fn edge_endpoints(&self, id: EdgeId) -> Option<(NodeId, NodeId)> {
        let edge = self.edge_slot(id)?;
        // SAFETY: `edge` is occupied, so its endpoints are occupied node slots (graph
        // invariant); nothing is mutably referenced under `&self`.
        Some(unsafe {
            let value = value_ptr(edge);
            (NodeId::of((*value).source), NodeId::of((*value).target))
        })
    }

    /// Length of node `id`'s `dir` list.
    fn degree(&self, id: NodeId, dir: Dir) -> Option<usize> {
        let node = self.node_slot(id)?;
        // SAFETY: `node` is occupied; nothing is mutably referenced under `&self`.
        Some(unsafe { (*list_ptr(node, dir)).len } as usize)
    }

    /// Number of edges leaving node `id` (a self-loop counts once), or `None` if `id` is stale.
    pub fn out_degree(&self, id: NodeId) -> Option<usize> {
        self.degree(id, Dir::Out)
    }

    /// Number of edges entering node `id` (a self-loop counts once), or `None` if `id` is stale.
    pub fn in_degree(&self, id: NodeId) -> Option<usize> {
        self.degree(id, Dir::In)
    }

    /// The edges leaving node `id`, in the order they were attached to it (by
    /// [`add_edge`](Self::add_edge) or [`reconnect_edge`](Self::reconnect_edge)). Empty if `id`
    /// is stale. Double-ended and exact-size.
    pub fn edges_out(&self, id: NodeId) -> Adjacent<'_, N, E> {
        Adjacent::new(self, id, Dir::Out)
    }

    /// The edges entering node `id`, in the order they were attached to it. Empty if `id` is
    /// stale. Double-ended and exact-size.
    pub fn edges_in(&self, id: NodeId) -> Adjacent<'_, N, E> {
        Adjacent::new(self, id, Dir::In)
    }

    /// The target of every edge leaving node `id`, in [`edges_out`](Self::edges_out) order: a
    /// node appears once per edge (twice for two parallel edges; `id` itself for a self-loop).
    /// Empty if `id` is stale.
    pub fn neighbors_out(&self, id: NodeId) -> Neighbors<'_, N, E> {
        Neighbors::new(self.edges_out(id))
    }

    /// The source of every edge entering node `id`, in [`edges_in`](Self::edges_in) order, once
    /// per edge. Empty if `id` is stale.
    pub fn neighbors_in(&self, id: NodeId) -> Neighbors<'_, N, E> {
        Neighbors::new(self.edges_in(id))
    }

    /// Every node with its weight, in ascending index (so ascending [`NodeId`]) order.
    pub fn nodes(&self) -> Nodes<'_, N, E> {
        Nodes::new(self)
    }

    /// Every node id, in ascending order.
    pub fn node_ids(&self) -> NodeIds<'_, N, E> {
        NodeIds::new(self.nodes())
    }

    /// Every edge, in ascending index (so ascending [`EdgeId`]) order.
    pub fn edges(&self) -> Edges<'_, N, E> {
        Edges::new(self)
    }

    /// Depth-first traversal from `start`: every node reachable from it, each once, in
    /// preorder, exploring each node's out edges in [`edges_out`](Self::edges_out) order (the
    /// order of a recursive DFS). Yields nothing if `start` is stale. Allocates a visited set
    /// of one bit per node slot, and a stack.
    pub fn dfs(&self, start: NodeId) -> Dfs<'_, N, E> {
        Dfs::new(self, start)
    }

    /// Breadth-first traversal from `start`: every node reachable from it, each once, by
    /// distance, nodes at equal distance in the order their first in-edge from the previous
    /// layer is found (following [`edges_out`](Self::edges_out) order). Yields nothing if
    /// `start` is stale. Allocates a visited set of one bit per node slot, and a queue.
    pub fn bfs(&self, start: NodeId) -> Bfs<'_, N, E> {
        Bfs::new(self, start)
    }

    /// Removes every node and edge, dropping their weights: edges first, then nodes, each in
    /// index order. Keeps the allocated chunks ([`compact`](Self::compact) releases them). All
    /// ids handed out so far become stale.
    ///
    /// If a weight's `Drop` panics, the rest are still removed and dropped during unwinding,
    /// so the graph is empty when the panic propagates.
    pub fn clear(&mut self) {
        seeded::hook!(GraphClearLeaksEdges => deviations::clear_forgets_edges(self));
        /// Removes what is left, starting at the cursors.
        struct Guard<'g, N, E> {
            graph: &'g mut ArenaGraph<N, E>,
            /// Edge slots below this are vacant.
            next_edge: u32,
            /// Node slots below this are vacant.
            next_node: u32,
        }

        impl<N, E> Guard<'_, N, E> {
            fn run(&mut self) {
                while self.next_edge < self.graph.edges.len() {
                    let index = self.next_edge;
                    self.next_edge += 1;
                    if let Some(edge) = self.graph.edges.occupied_slot(index) {
                        // SAFETY: `edge` is occupied and nothing references it (`&mut` graph).
                        let weight = unsafe { self.graph.remove_edge_at(edge) };
                        drop(weight);
                    }
                }
                while self.next_node < self.graph.nodes.len() {
                    let index = self.next_node;
                    self.next_node += 1;
                    if let Some(node) = self.graph.nodes.occupied_slot(index) {
                        // SAFETY: `node` is occupied and has no edges left (all edge slots are
                        // vacant), so nothing points to it; nothing references its weight.
                        drop(unsafe { self.graph.nodes.vacate(node) }.weight);
                    }
                }
            }
        }

        impl<N, E> Drop for Guard<'_, N, E> {
            fn drop(&mut self) {
                // Only does something when `run` below was interrupted by a panic.
                self.run();
            }
        }

        Guard {
            graph: self,
            next_edge: 0,
            next_node: 0,
        }
        .run();
    }

    /// Keeps the nodes for which `keep(id, &mut weight)` returns `true` and removes the others
    /// with their edges, visiting the nodes in index order; each is visited once.
    ///
    /// If `keep` panics, the nodes visited before are kept or removed as decided, and the
    /// panicking node and all later ones are kept. If a weight's `Drop` panics while a node is
    /// removed, that removal is finished (see [`remove_node`](Self::remove_node)) and the later
    /// nodes are kept. Either way the graph is valid when the panic propagates.
    pub fn retain_nodes<F>(&mut self, mut keep: F)
    where
        F: FnMut(NodeId, &mut N) -> bool,
    {
        // Removals vacate slots but never change the arena's length.
        for index in 0..self.nodes.len() {
            let Some(node) = self.nodes.occupied_slot(index) else {
                continue;
            };
            // SAFETY: `node` is occupied; the `&mut` to its weight is the only pointer to it in
            // use until `keep` returns.
            let (id, weight) = unsafe { (NodeId::of(node), &mut (*value_ptr(node)).weight) };
            if !keep(id, weight) {
                // SAFETY: `node` is still occupied (`keep` had no access to the graph) and the
                // `&mut` to its weight is dead.
                drop(unsafe { self.remove_node_at(node) });
            }
        }
    }

    /// Moves nodes from the end of the node arena into vacant slots at the front, so that no
    /// vacant slot is left below a node (retired slots, see the [module docs](self), stay
    /// where they are), then frees the chunks past the last node. Also frees the edge arena's
    /// trailing empty chunks. Weights are moved, not dropped or cloned; edges do not move.
    ///
    /// Returns the ids of the moved nodes, old to new: each moved node has a new id and its
    /// old id is stale from now on. Nodes that did not move keep their ids (and are not in
    /// the [`Remap`]); every [`EdgeId`] stays valid, and edge order in every list is unchanged.
    /// O(node slots + edge slots + edges of the moved nodes).
    ///
    /// # Aborts
    ///
    /// If allocating the returned [`Remap`] fails.
    pub fn compact(&mut self) -> Remap {
        let mut moved = Vec::with_capacity(self.nodes.max_moves());
        self.nodes.compact(|node, (index, version)| {
            // SAFETY: the arena just moved a node into `node`, an occupied slot; its lists
            // still hold its edges (edges do not move), which are occupied, and nothing
            // references them (`&mut self`). `retarget_edges` then restores the invariant that
            // every edge's endpoints are occupied slots.
            let new = unsafe {
                retarget_edges(node);
                NodeId::of(node)
            };
            // Never reallocates: `max_moves` bounds the number of calls.
            moved.push((NodeId { index, version }, new));
        });
        self.edges.trim();
        // Nodes move from the highest index down; the remap is sorted by old index.
        moved.reverse();
        Remap { moved }
    }

    /// Checks every structural invariant, walking every raw link the way std's
    /// `LinkedList::check_links` does, and validating each pointer before following it:
    ///
    /// * each arena: free list reaches exactly the vacant non-retired slots, each once (walk
    ///   bounded, so a cycle is reported); counts of occupied, free and retired slots; every
    ///   slot records its own index; versions odd exactly in occupied slots;
    /// * for every live node, both lists walked from head: each link points to a live edge of
    ///   this graph whose owner is the node, `prev` of each edge is the edge before it, the tail
    ///   is the last edge, the walk ends within `len` steps and has `len` edges;
    /// * every live edge is on exactly one out list (its source's) and one in list (its
    ///   target's), and both endpoints are live nodes.
    ///
    /// # Panics
    ///
    /// On the first violated invariant, with a message naming the node or edge, what was
    /// expected and what was found.
    pub fn check_invariants(&self) {
        self.nodes.check("node");
        self.edges.check("edge");
        let mut on_out = vec![false; self.edges.len() as usize];
        let mut on_in = vec![false; self.edges.len() as usize];
        self.nodes.for_each_occupied(|_, node| {
            self.check_list(node, Dir::Out, &mut on_out);
            self.check_list(node, Dir::In, &mut on_in);
        });
        // `check_list` made sure that every edge on a live node's out (in) list has that node
        // as its source (target), and is on no other out (in) list. So an edge on some out list
        // and some in list is on exactly its source's and its target's, both live.
        self.edges.for_each_occupied(|index, edge| {
            for (on_list, dir, end) in [(&on_out, Dir::Out, "source"), (&on_in, Dir::In, "target")]
            {
                if !on_list[index as usize] {
                    // SAFETY: `edge` is an occupied edge slot; nothing is mutably referenced.
                    // Only the endpoint pointer is read, not followed.
                    let (id, node) = unsafe { (EdgeId::of(edge), owner(edge, dir)) };
                    panic!(
                        "edge {id:?} is on no {} list (its {end} is {})",
                        dir.name(),
                        self.node_name(node)
                    );
                }
            }
        });
    }

    /// Checks `node`'s `dir` list (see [`check_invariants`](Self::check_invariants)), marking
    /// its edges in `seen`.
    fn check_list(&self, node: NodePtr<N, E>, dir: Dir, seen: &mut [bool]) {
        // SAFETY: `node` is an occupied node slot; nothing is mutably referenced.
        let (id, list) = unsafe { (NodeId::of(node), *list_ptr(node, dir)) };
        let d = dir.name();
        assert_eq!(
            list.head.is_none(),
            list.tail.is_none(),
            "node {id:?} {d} list: head is {} but tail is {}",
            self.edge_name(list.head),
            self.edge_name(list.tail),
        );
        let (mut prev, mut cursor, mut count) = (None, list.head, 0u32);
        while let Some(ptr) = cursor {
            assert!(
                count < list.len,
                "node {id:?} {d} list goes on past its len {} (cycle?)",
                list.len
            );
            // Follow our own pointer to the slot at that address, never `ptr` itself.
            let Some((index, edge)) = self.edges.resolve(ptr) else {
                panic!("node {id:?} {d} list: link {count} points outside the edge arena")
            };
            // SAFETY: `edge` is an initialized edge slot (`resolve`); nothing is mutably
            // referenced.
            let version = unsafe { slot_id(edge) }.1;
            assert!(
                version % 2 == 1,
                "node {id:?} {d} list: link {count} is vacant edge slot {index}"
            );
            let (edge_id, link, owner) =
                // SAFETY: `edge` is an occupied edge slot (just checked); nothing is mutably
                // referenced.
                unsafe { (EdgeId::of(edge), *link_ptr(edge, dir), owner(edge, dir)) };
            assert!(
                link.prev == prev,
                "node {id:?} {d} list: edge {edge_id:?} has prev {}, expected {}",
                self.edge_name(link.prev),
                self.edge_name(prev),
            );
            assert!(
                owner == node,
                "node {id:?} {d} list: edge {edge_id:?} belongs to {}",
                self.node_name(owner)
            );
            assert!(
                !seen[index as usize],
                "edge {edge_id:?} is on more than one {d} list, or twice on one"
            );
            seen[index as usize] = true;
            prev = Some(edge);
            cursor = link.next;
            count += 1;
        }
        // Every edge's `prev` was checked against its predecessor, so walking back from the
        // tail retraces this walk exactly when the tail is its last edge.
        assert!(
            list.tail == prev,
            "node {id:?} {d} list: tail is {}, but the walk ends at {}",
            self.edge_name(list.tail),
            self.edge_name(prev),
        );
        assert_eq!(
            count, list.len,
            "node {id:?} {d} list: {count} edges, len says {}",
            list.len
        );
    }

    /// Names a possibly corrupt edge pointer for a message, without dereferencing it.
    fn edge_name(&self, ptr: Option<EdgePtr<N, E>>) -> String {
        match ptr.map(|p| self.edges.resolve(p)) {
            None => "none".to_string(),
            Some(Some((index, _))) => format!("edge slot {index}"),
            Some(None) => "a pointer outside the edge arena".to_string(),
        }
    }

    /// Names a possibly corrupt node pointer for a message, without dereferencing it.
    fn node_name(&self, ptr: NodePtr<N, E>) -> String {
        match self.nodes.resolve(ptr) {
            Some((index, _)) => format!("node slot {index}"),
            None => "a pointer outside the node arena".to_string(),
        }
    }
}

impl<N, E> Drop for ArenaGraph<N, E> {
    /// Drops every weight exactly once (see [`clear`](ArenaGraph::clear), also for panics in
    /// their `Drop`) and frees every chunk.
    fn drop(&mut self) {
        // Weights without drop glue need no visit, and the links die with the chunks.
        if mem::needs_drop::<N>() || mem::needs_drop::<E>() {
            self.clear();
        }
        // The arenas free their chunks when they are dropped, right after this, even if
        // `clear` panicked.
    }
}

impl<N: Clone, E: Clone> Clone for ArenaGraph<N, E> {
    /// A deep copy with the same ids: every node and edge keeps its index and generation, so
    /// ids of `self` name the same elements in the clone. Iteration and adjacency orders, and
    /// which slots later insertions reuse, are the same too.
    ///
    /// If a weight's `clone` panics, the weights cloned so far are dropped and `self` is
    /// untouched.
    ///
    /// # Aborts
    ///
    /// If memory allocation fails.
    fn clone(&self) -> Self {
        // Edge weights first: if one's `clone` panics, the Vec drops the ones made so far and
        // nothing else exists yet.
        let mut edge_weights = self
            .edges()
            .map(|e| e.weight.clone())
            .collect::<Vec<E>>()
            .into_iter();
        let mut graph = ArenaGraph::new();
        // If a node weight's `clone` panics, `graph` holds the nodes cloned so far, without
        // edges, and drops them like any graph.
        graph.nodes.clone_slots(&self.nodes, |node| {
            // SAFETY: `clone_slots` passes occupied slots of `self.nodes`, borrowed shared.
            let weight = unsafe { &(*value_ptr(node)).weight };
            Node {
                out: List::EMPTY,
                inc: List::EMPTY,
                weight: weight.clone(),
            }
        });
        // No user code runs from here on. The node of `graph` at the index of `self`'s `node`:
        let nodes = &graph.nodes;
        let node_at = |node: NodePtr<N, E>| {
            // SAFETY: `node` is an occupied node slot of `self` (an edge endpoint).
            let (index, _) = unsafe { slot_id(node) };
            nodes
                .slot(index)
                .unwrap_or_else(|| unreachable!("the clone has node slot {index}"))
        };
        graph.edges.clone_slots(&self.edges, |edge| {
            let (source, target) =
                // SAFETY: `clone_slots` passes occupied slots of `self.edges`, borrowed shared.
                unsafe { ((*value_ptr(edge)).source, (*value_ptr(edge)).target) };
            Edge {
                source: node_at(source),
                target: node_at(target),
                out: Link::UNLINKED,
                inc: Link::UNLINKED,
                weight: edge_weights
                    .next()
                    .unwrap_or_else(|| unreachable!("one weight per edge")),
            }
        });
        // Link the clone's edges into its nodes' lists in the order of `self`'s lists.
        for index in 0..self.nodes.len() {
            let Some(old_node) = self.nodes.occupied_slot(index) else {
                continue;
            };
            let Some(new_node) = graph.nodes.slot(index) else {
                unreachable!("cloned slot")
            };
            for dir in [Dir::Out, Dir::In] {
                // SAFETY: `old_node` is an occupied node slot of `self`.
                let mut cursor = unsafe { (*list_ptr(old_node, dir)).head };
                while let Some(old_edge) = cursor {
                    // SAFETY: 1. `old_edge` is an occupied edge of `self` on `old_node`'s list.
                    // 2. The clone's edge at its index is occupied, owned (in direction `dir`)
                    // by the clone's node at `index`, which is occupied, and on no `dir` list
                    // yet: each edge is on one list per direction, visited once. 3. Nothing
                    // references `graph`'s slots.
                    unsafe {
                        let (edge_index, _) = slot_id(old_edge);
                        let Some(new_edge) = graph.edges.slot(edge_index) else {
                            unreachable!("cloned slot")
                        };
                        push_back(new_node, new_edge, dir);
                        cursor = (*link_ptr(old_edge, dir)).next;
                    }
                }
            }
        }
        graph
    }
}

impl<N: fmt::Debug, E: fmt::Debug> fmt::Debug for ArenaGraph<N, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// `{id: weight}` for every node.
        struct NodeMap<'a, N, E>(&'a ArenaGraph<N, E>);
        impl<N: fmt::Debug, E> fmt::Debug for NodeMap<'_, N, E> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map().entries(self.0.nodes()).finish()
            }
        }
        /// `{id: (source, target, weight)}` for every edge.
        struct EdgeMap<'a, N, E>(&'a ArenaGraph<N, E>);
        impl<N, E: fmt::Debug> fmt::Debug for EdgeMap<'_, N, E> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(
                        self.0
                            .edges()
                            .map(|e| (e.id, (e.source, e.target, e.weight))),
                    )
                    .finish()
            }
        }
        f.debug_struct("ArenaGraph")
            .field("nodes", &NodeMap(self))
            .field("edges", &EdgeMap(self))
            .finish()
    }
}

/// The node ids changed by [`ArenaGraph::compact`]: `(old, new)` for every node it moved,
/// sorted by old id.
///
/// Nodes that did not move kept their ids and are not listed; [`map`](Self::map) handles both
/// cases.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Remap {
    /// `(old, new)` pairs sorted by old index, with distinct old indices and distinct new ids.
    moved: Vec<(NodeId, NodeId)>,
}

impl Remap {
    /// The new id of the node that had id `old`, if `compact` moved it; `None` if it did not
    /// move (its id is unchanged) or `old` was not a live node.
    pub fn get(&self, old: NodeId) -> Option<NodeId> {
        let at = self
            .moved
            .binary_search_by_key(&old.index, |(o, _)| o.index)
            .ok()?;
        let (o, new) = self.moved[at];
        (o == old).then_some(new)
    }

    /// The id that `id` should be replaced with: its new id if its node moved, else `id`
    /// itself.
    pub fn map(&self, id: NodeId) -> NodeId {
        self.get(id).unwrap_or(id)
    }

    /// Number of moved nodes.
    pub fn len(&self) -> usize {
        self.moved.len()
    }

    /// Whether no node moved.
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty()
    }

    /// `(old, new)` for every moved node, by ascending old id.
    pub fn iter(&self) -> RemapIter<'_> {
        RemapIter {
            inner: self.moved.iter(),
        }
    }
}

impl<'a> IntoIterator for &'a Remap {
    type Item = (NodeId, NodeId);
    type IntoIter = RemapIter<'a>;

    fn into_iter(self) -> RemapIter<'a> {
        self.iter()
    }
}

/// Iterator over the `(old, new)` pairs of a [`Remap`]; see [`Remap::iter`].
#[derive(Clone, Debug)]
pub struct RemapIter<'a> {
    inner: std::slice::Iter<'a, (NodeId, NodeId)>,
}

impl Iterator for RemapIter<'_> {
    type Item = (NodeId, NodeId);

    fn next(&mut self) -> Option<(NodeId, NodeId)> {
        self.inner.next().copied()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl DoubleEndedIterator for RemapIter<'_> {
    fn next_back(&mut self) -> Option<(NodeId, NodeId)> {
        self.inner.next_back().copied()
    }
}

impl ExactSizeIterator for RemapIter<'_> {}

impl std::iter::FusedIterator for RemapIter<'_> {}
