//! The spec of [`ArenaGraph`]: every public method, against a model made of `Vec`s.
//!
//! # The model
//!
//! [`ModelGraph`] keeps nodes and edges in vectors of slots, each adjacency list as a `Vec` of
//! edge slots in attachment order. It follows the slot policy the graph documents, because the
//! graph's orders are defined by it: [`nodes`](ArenaGraph::nodes) and
//! [`edges`](ArenaGraph::edges) run in slot order, [`retain_nodes`](ArenaGraph::retain_nodes)
//! visits and [`clear`](ArenaGraph::clear) drops in slot order. A vacated slot is reused first
//! (most recently vacated first), [`compact`](ArenaGraph::compact) moves the highest nodes into
//! the lowest holes and then trims, and capacity comes in chunks of `4 << k` slots. (Retired
//! slots need 2^31 occupants of one slot: out of reach of a fuzzer, and not modelled.)
//!
//! Ids are opaque to the model: it names nodes and edges by serial numbers of its own, and a
//! node moved by `compact` gets a new one, so its old serial is stale like the graph's old id.
//! Versions are not modelled at all: the graph's staleness checks are held to the model's
//! plain rule that an id names its element from its creation to its removal (or move) and
//! nothing ever after. Outputs never contain ids: a node or edge is reported as its position
//! among the spec's live handles ([`Pos`]), which is the same on both sides.
//!
//! # Handles
//!
//! Each side keeps its own [`Handles`] of nodes and edges, in creation order, updated by the
//! same generic code. Ops name elements as live handles, removed (stale) handles, or live ids
//! with a forged generation ([`NodeSel`], [`EdgeSel`]). After an op that removes elements as a
//! side effect (a node's edges, `retain_nodes`), each side moves the handles its graph no longer
//! contains to the removed list; any disagreement between the sides then shows in the compared
//! states, which list every live handle.
//!
//! # Panics
//!
//! Weights are [`Tracked`], so [`Op::Arm`] can make a clone, drop or comparison panic in the
//! next op. The model drops weights in the graph's documented order and finishes interrupted
//! removals the way the graph's drop guards do: `remove_node` drops the edges of the out list,
//! then those left on the in list, then the node's weight; `clear` and `Drop` drop edges, then
//! nodes, in slot order; all of them still drop the rest when one weight's `Drop` panics (as
//! dropping a `Vec` does). `Clone` clones edge weights, then node weights, in slot order.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Debug;
use std::mem;
use std::panic::{self, AssertUnwindSafe};

use arbitrary::{Arbitrary, Unstructured};
use lockstep::{
    Config, Finish, Handles, InjectedPanic, PanicMessage, PanicPlan, Spec, Tracked, expect_panic,
    take_ends,
};
use serde::{Deserialize, Serialize};
use structures::arena_graph::{ArenaGraph, EdgeId, GraphError, NodeId, Remap};

/// The weight type of nodes and edges: a tracked `u32`, so every clone and drop is accounted
/// for.
pub type Elem = Tracked<u32>;

/// A node or edge as its position among the live handles of its side; `None` for an id that is
/// not a live handle (which only a wrong graph returns).
pub type Pos = Option<usize>;

/// An edge as reported: its position, its source's, its target's, and its weight.
pub type EdgeView = (Pos, Pos, Pos, u32);

/// How an op names a node.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeSel {
    /// A live node, by index into the live handles (modulo their number).
    Live(u8),
    /// A removed node's stale id, by index into the removed handles (modulo their number).
    Stale(u8),
    /// The id of a live node with `delta` added to its generation: stale unless `delta` is 0.
    Forged {
        /// The live node.
        live: u8,
        /// Added to its generation.
        delta: u32,
    },
}

/// How an op names an edge; see [`NodeSel`].
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EdgeSel {
    /// A live edge, by index into the live handles (modulo their number).
    Live(u8),
    /// A removed edge's stale id, by index into the removed handles (modulo their number).
    Stale(u8),
    /// The id of a live edge with `delta` added to its generation: stale unless `delta` is 0.
    Forged {
        /// The live edge.
        live: u8,
        /// Added to its generation.
        delta: u32,
    },
}

/// Which adjacency list: `_out` or `_in` methods.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// `edges_out`, `neighbors_out`.
    Out,
    /// `edges_in`, `neighbors_in`.
    In,
}

/// One operation. Invalid ops (naming a node when there is none, say) do nothing on both
/// sides; stale and forged ids must be reported absent (`None`, or the typed error).
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    /// `add_node(value)`.
    AddNode(u32),
    /// `remove_node`, returning the weight.
    RemoveNode(NodeSel),
    /// `add_edge(from, to, weight)`.
    AddEdge {
        /// The source.
        from: NodeSel,
        /// The target.
        to: NodeSel,
        /// The weight.
        weight: u32,
    },
    /// `remove_edge`, returning the weight.
    RemoveEdge(EdgeSel),
    /// `reconnect_edge(edge, from, to)`.
    ReconnectEdge {
        /// The edge.
        edge: EdgeSel,
        /// Its new source.
        from: NodeSel,
        /// Its new target.
        to: NodeSel,
    },
    /// `contains_node`.
    ContainsNode(NodeSel),
    /// `contains_edge`.
    ContainsEdge(EdgeSel),
    /// `node_weight`.
    NodeWeight(NodeSel),
    /// `*node_weight_mut(node) = value` (dropping the old weight).
    SetNodeWeight {
        /// The node.
        node: NodeSel,
        /// Its new weight.
        value: u32,
    },
    /// `edge_weight`.
    EdgeWeight(EdgeSel),
    /// `*edge_weight_mut(edge) = value` (dropping the old weight).
    SetEdgeWeight {
        /// The edge.
        edge: EdgeSel,
        /// Its new weight.
        value: u32,
    },
    /// `edge_endpoints`.
    EdgeEndpoints(EdgeSel),
    /// `out_degree` and `in_degree`.
    Degrees(NodeSel),
    /// `neighbors_out` or `neighbors_in`: `front` from the front, `back` from the back, then
    /// `finish`.
    Neighbors {
        /// Whose neighbours.
        node: NodeSel,
        /// Which list.
        dir: Direction,
        /// How many to take from the front.
        front: u8,
        /// Then how many from the back.
        back: u8,
        /// What to do with the rest.
        finish: Finish,
    },
    /// `edges_out` or `edges_in`, consumed like [`Op::Neighbors`].
    AdjacentEdges {
        /// Whose edges.
        node: NodeSel,
        /// Which list.
        dir: Direction,
        /// How many to take from the front.
        front: u8,
        /// Then how many from the back.
        back: u8,
        /// What to do with the rest.
        finish: Finish,
    },
    /// `nodes()`: `front` from the front, `back` from the back, the rest dropped.
    Nodes {
        /// How many to take from the front.
        front: u8,
        /// Then how many from the back.
        back: u8,
    },
    /// `node_ids()`, like [`Op::Nodes`].
    NodeIds {
        /// How many to take from the front.
        front: u8,
        /// Then how many from the back.
        back: u8,
    },
    /// `edges()`, like [`Op::Nodes`].
    Edges {
        /// How many to take from the front.
        front: u8,
        /// Then how many from the back.
        back: u8,
    },
    /// `node_count`, `edge_count`, `is_empty`, `node_capacity`, `edge_capacity`.
    Counts,
    /// The first `take` nodes of `dfs(start)`; the traversal is then dropped.
    Dfs {
        /// Where to start.
        start: NodeSel,
        /// How many nodes to take.
        take: u8,
    },
    /// The first `take` nodes of `bfs(start)`; the traversal is then dropped.
    Bfs {
        /// Where to start.
        start: NodeSel,
        /// How many nodes to take.
        take: u8,
    },
    /// `clear()`.
    Clear,
    /// `retain_nodes(|_, w| { *w += add; *w >= pivot })`: a comparison of tracked values per
    /// node, so it can be made to panic.
    RetainNodes {
        /// Added to every visited weight (wrapping).
        add: u32,
        /// Nodes whose new weight is below it are removed.
        pivot: u32,
    },
    /// `compact()`; both sides remap their node handles with the returned remap.
    Compact,
    /// `try_reserve(nodes, edges)`.
    TryReserve {
        /// More nodes.
        nodes: u8,
        /// More edges.
        edges: u8,
    },
    /// `try_reserve` of `usize::MAX - shortfall` nodes (or edges): an error, never a panic.
    TryReserveOverflow {
        /// Whether the nodes (else the edges) overflow.
        nodes: bool,
        /// How far below `usize::MAX`.
        shortfall: u8,
    },
    /// Replaces the graph with `ArenaGraph::with_capacity(nodes, edges)`, dropping the old one.
    WithCapacity {
        /// Room for nodes.
        nodes: u8,
        /// Room for edges.
        edges: u8,
    },
    /// `with_capacity` of `usize::MAX - shortfall` nodes (or edges): panics by contract.
    WithCapacityOverflow {
        /// Whether the nodes (else the edges) overflow.
        nodes: bool,
        /// How far below `usize::MAX`.
        shortfall: u8,
    },
    /// Keeps a clone of the graph, with its handles, as the backup (dropping the old backup).
    Clone,
    /// Exchanges the graph and the backup, with their handles.
    Swap,
    /// Drops the graph and starts a new one (`ArenaGraph::new`), with new handles.
    Reset,
    /// Arms a panic in the next op's clones, drops or comparisons.
    Arm(#[arbitrary(with = soon)] PanicPlan),
}

/// A [`PanicPlan`] whose panic comes within the first 16 events of its kind: an op rarely has
/// many more, and a plan that never fires tests nothing.
fn soon(u: &mut Unstructured<'_>) -> arbitrary::Result<PanicPlan> {
    Ok(match PanicPlan::arbitrary(u)? {
        PanicPlan::Clone { after } => PanicPlan::Clone { after: after % 16 },
        PanicPlan::Drop { after } => PanicPlan::Drop { after: after % 16 },
        PanicPlan::Compare { after } => PanicPlan::Compare { after: after % 16 },
    })
}

/// `node_count`, `edge_count`, `is_empty`, `node_capacity`, `edge_capacity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    /// `node_count()`.
    pub nodes: usize,
    /// `edge_count()`.
    pub edges: usize,
    /// `is_empty()`.
    pub empty: bool,
    /// `node_capacity()`.
    pub node_capacity: usize,
    /// `edge_capacity()`.
    pub edge_capacity: usize,
}

/// What an op took from one of the graph's iterators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken<T> {
    /// The items taken from the front, then those from the back, then (if consumed to the
    /// end) the rest.
    pub got: Vec<T>,
    /// What `len()` said after the front and back were taken.
    pub len: usize,
    /// What a clone of the iterator yielded at that point.
    pub rest: Vec<T>,
}

/// What `compact` returned, and the adjacency of the nodes it moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compaction {
    /// For each `(old, new)` pair of the remap, in its order: the position of `old` among the
    /// live handles before, and of `new` after (the same, for a correct remap).
    pub moved: Vec<(Pos, Pos)>,
    /// For each live handle before: `remap.get(handle)` as a position after.
    pub got: Vec<Option<Pos>>,
    /// `remap.len()` and `remap.is_empty()`.
    pub len: (usize, bool),
    /// Whether iterating the remap backwards yields its pairs in reverse.
    pub reversible: bool,
    /// For each moved node, in remap order: its out edges and its in edges.
    pub adjacency: Vec<[Vec<EdgeView>; 2]>,
}

/// What an op returns.
#[derive(Debug, PartialEq, Eq)]
pub enum Out {
    /// Nothing to compare.
    Unit,
    /// A yes or no.
    Flag(bool),
    /// A weight, or none.
    Value(Option<u32>),
    /// Success, or the error described by [`describe`].
    Done(Result<(), String>),
    /// A panic by contract.
    Panicked(PanicMessage),
    /// An edge's endpoints.
    Endpoints(Option<(Pos, Pos)>),
    /// Out and in degree.
    Degrees(Option<usize>, Option<usize>),
    /// Nodes from an iterator.
    Nodes(Taken<Pos>),
    /// Nodes with their weights from an iterator.
    Weighted(Taken<(Pos, u32)>),
    /// Edges from an iterator.
    Edges(Taken<EdgeView>),
    /// A traversal order.
    Order(Vec<Pos>),
    /// The counts.
    Counts(Counts),
    /// A compaction.
    Compacted(Compaction),
}

/// A graph error, with the ids of the side that raised it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GraphErr<N, E> {
    /// [`GraphError::StaleNode`].
    StaleNode(N),
    /// [`GraphError::StaleEdge`].
    StaleEdge(E),
    /// [`GraphError::CapacityOverflow`].
    CapacityOverflow,
    /// Any other error, as displayed.
    Other(String),
}

/// What the graph's iterators are: double-ended, exact-size and `Clone`.
pub trait Walk: DoubleEndedIterator + ExactSizeIterator + Clone {}

impl<I: DoubleEndedIterator + ExactSizeIterator + Clone> Walk for I {}

/// The remap returned by `compact`, on either side.
pub trait Remapping<Id> {
    /// `Remap::get`.
    fn get(&self, old: Id) -> Option<Id>;
    /// `Remap::map`.
    fn map(&self, id: Id) -> Id;
    /// `Remap::len`.
    fn len(&self) -> usize;
    /// `Remap::is_empty`.
    fn is_empty(&self) -> bool;
    /// `Remap::iter`.
    fn pairs(&self) -> impl Walk<Item = (Id, Id)>;
}

/// The operations both [`ModelGraph`] and [`ArenaGraph`] offer, so one function drives both.
/// Each is the `ArenaGraph` method of the same name.
#[expect(
    missing_docs,
    reason = "each method is the `ArenaGraph` method of the same name"
)]
pub trait Graph: Clone {
    /// A node id.
    type Node: Copy + Ord + Debug;
    /// An edge id.
    type Edge: Copy + Ord + Debug;
    /// What `compact` returns.
    type Remap: Remapping<Self::Node>;

    fn new() -> Self;
    fn with_capacity(nodes: usize, edges: usize) -> Self;
    fn try_reserve(&mut self, nodes: usize, edges: usize) -> Result<(), ErrorOf<Self>>;
    fn add_node(&mut self, weight: Elem) -> Self::Node;
    fn remove_node(&mut self, id: Self::Node) -> Option<Elem>;
    fn add_edge(
        &mut self,
        from: Self::Node,
        to: Self::Node,
        weight: Elem,
    ) -> Result<Self::Edge, ErrorOf<Self>>;
    fn remove_edge(&mut self, id: Self::Edge) -> Option<Elem>;
    fn reconnect_edge(
        &mut self,
        id: Self::Edge,
        from: Self::Node,
        to: Self::Node,
    ) -> Result<(), ErrorOf<Self>>;
    fn contains_node(&self, id: Self::Node) -> bool;
    fn contains_edge(&self, id: Self::Edge) -> bool;
    fn node_weight(&self, id: Self::Node) -> Option<&Elem>;
    fn node_weight_mut(&mut self, id: Self::Node) -> Option<&mut Elem>;
    fn edge_weight(&self, id: Self::Edge) -> Option<&Elem>;
    fn edge_weight_mut(&mut self, id: Self::Edge) -> Option<&mut Elem>;
    fn edge_endpoints(&self, id: Self::Edge) -> Option<(Self::Node, Self::Node)>;
    fn out_degree(&self, id: Self::Node) -> Option<usize>;
    fn in_degree(&self, id: Self::Node) -> Option<usize>;
    /// `edges_out` or `edges_in`, as `(id, source, target, weight)`. Owns no heap memory.
    fn adjacent(&self, id: Self::Node, dir: Direction) -> impl Walk<Item = EdgeOf<'_, Self>>;
    /// `neighbors_out` or `neighbors_in`. Owns no heap memory.
    fn neighbors(&self, id: Self::Node, dir: Direction) -> impl Walk<Item = Self::Node>;
    fn nodes(&self) -> impl Walk<Item = (Self::Node, &Elem)>;
    fn node_ids(&self) -> impl Walk<Item = Self::Node>;
    /// `edges`, as `(id, source, target, weight)`.
    fn edges(&self) -> impl Walk<Item = EdgeOf<'_, Self>>;
    fn node_count(&self) -> usize;
    fn edge_count(&self) -> usize;
    fn is_empty(&self) -> bool;
    fn node_capacity(&self) -> usize;
    fn edge_capacity(&self) -> usize;
    fn dfs(&self, start: Self::Node) -> impl Iterator<Item = Self::Node>;
    fn bfs(&self, start: Self::Node) -> impl Iterator<Item = Self::Node>;
    fn clear(&mut self);
    fn retain_nodes(&mut self, keep: impl FnMut(Self::Node, &mut Elem) -> bool);
    fn compact(&mut self) -> Self::Remap;
    /// `id` with `delta` added to its generation (`from_raw_parts`).
    fn forge_node(id: Self::Node, delta: u32) -> Self::Node;
    /// `id` with `delta` added to its generation (`from_raw_parts`).
    fn forge_edge(id: Self::Edge, delta: u32) -> Self::Edge;
}

/// The error type of graph `G`.
pub type ErrorOf<G> = GraphErr<<G as Graph>::Node, <G as Graph>::Edge>;

/// An edge of graph `G`: `(id, source, target, weight)`.
pub type EdgeOf<'a, G> = (
    <G as Graph>::Edge,
    <G as Graph>::Node,
    <G as Graph>::Node,
    &'a Elem,
);

// ---------------------------------------------------------------------------------------------
// The subject

impl Remapping<NodeId> for Remap {
    fn get(&self, old: NodeId) -> Option<NodeId> {
        Remap::get(self, old)
    }

    fn map(&self, id: NodeId) -> NodeId {
        Remap::map(self, id)
    }

    fn len(&self) -> usize {
        Remap::len(self)
    }

    fn is_empty(&self) -> bool {
        Remap::is_empty(self)
    }

    fn pairs(&self) -> impl Walk<Item = (NodeId, NodeId)> {
        self.into_iter()
    }
}

fn graph_err(err: GraphError) -> GraphErr<NodeId, EdgeId> {
    match err {
        GraphError::StaleNode(id) => GraphErr::StaleNode(id),
        GraphError::StaleEdge(id) => GraphErr::StaleEdge(id),
        GraphError::CapacityOverflow => GraphErr::CapacityOverflow,
        other => GraphErr::Other(other.to_string()),
    }
}

/// Implements trait methods by calling the `ArenaGraph` methods of the same name.
macro_rules! inherent {
    () => {};
    (fn $name:ident(&self $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)?; $($rest:tt)*) => {
        fn $name(&self $(, $arg: $ty)*) $(-> $ret)? {
            ArenaGraph::$name(self $(, $arg)*)
        }
        inherent!($($rest)*);
    };
    (fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)?; $($rest:tt)*) => {
        fn $name(&mut self $(, $arg: $ty)*) $(-> $ret)? {
            ArenaGraph::$name(self $(, $arg)*)
        }
        inherent!($($rest)*);
    };
}

impl Graph for ArenaGraph<Elem, Elem> {
    type Node = NodeId;
    type Edge = EdgeId;
    type Remap = Remap;

    inherent! {
        fn add_node(&mut self, weight: Elem) -> NodeId;
        fn remove_node(&mut self, id: NodeId) -> Option<Elem>;
        fn remove_edge(&mut self, id: EdgeId) -> Option<Elem>;
        fn contains_node(&self, id: NodeId) -> bool;
        fn contains_edge(&self, id: EdgeId) -> bool;
        fn node_weight(&self, id: NodeId) -> Option<&Elem>;
        fn node_weight_mut(&mut self, id: NodeId) -> Option<&mut Elem>;
        fn edge_weight(&self, id: EdgeId) -> Option<&Elem>;
        fn edge_weight_mut(&mut self, id: EdgeId) -> Option<&mut Elem>;
        fn edge_endpoints(&self, id: EdgeId) -> Option<(NodeId, NodeId)>;
        fn out_degree(&self, id: NodeId) -> Option<usize>;
        fn in_degree(&self, id: NodeId) -> Option<usize>;
        fn nodes(&self) -> impl Walk<Item = (NodeId, &Elem)>;
        fn node_ids(&self) -> impl Walk<Item = NodeId>;
        fn node_count(&self) -> usize;
        fn edge_count(&self) -> usize;
        fn is_empty(&self) -> bool;
        fn node_capacity(&self) -> usize;
        fn edge_capacity(&self) -> usize;
        fn dfs(&self, start: NodeId) -> impl Iterator<Item = NodeId>;
        fn bfs(&self, start: NodeId) -> impl Iterator<Item = NodeId>;
        fn clear(&mut self);
        fn retain_nodes(&mut self, keep: impl FnMut(NodeId, &mut Elem) -> bool);
        fn compact(&mut self) -> Remap;
    }

    fn new() -> Self {
        ArenaGraph::new()
    }

    fn with_capacity(nodes: usize, edges: usize) -> Self {
        ArenaGraph::with_capacity(nodes, edges)
    }

    fn try_reserve(&mut self, nodes: usize, edges: usize) -> Result<(), ErrorOf<Self>> {
        ArenaGraph::try_reserve(self, nodes, edges).map_err(graph_err)
    }

    fn add_edge(&mut self, from: NodeId, to: NodeId, w: Elem) -> Result<EdgeId, ErrorOf<Self>> {
        ArenaGraph::add_edge(self, from, to, w).map_err(graph_err)
    }

    fn reconnect_edge(
        &mut self,
        id: EdgeId,
        from: NodeId,
        to: NodeId,
    ) -> Result<(), ErrorOf<Self>> {
        ArenaGraph::reconnect_edge(self, id, from, to).map_err(graph_err)
    }

    fn adjacent(&self, id: NodeId, dir: Direction) -> impl Walk<Item = EdgeOf<'_, Self>> {
        match dir {
            Direction::Out => self.edges_out(id),
            Direction::In => self.edges_in(id),
        }
        .map(|e| (e.id, e.source, e.target, e.weight))
    }

    fn neighbors(&self, id: NodeId, dir: Direction) -> impl Walk<Item = NodeId> {
        match dir {
            Direction::Out => self.neighbors_out(id),
            Direction::In => self.neighbors_in(id),
        }
    }

    fn edges(&self) -> impl Walk<Item = EdgeOf<'_, Self>> {
        ArenaGraph::edges(self).map(|e| (e.id, e.source, e.target, e.weight))
    }

    fn forge_node(id: NodeId, delta: u32) -> NodeId {
        let index = u32::try_from(id.index()).expect("node indices fit in a u32");
        NodeId::from_raw_parts(index, id.generation().wrapping_add(delta))
    }

    fn forge_edge(id: EdgeId, delta: u32) -> EdgeId {
        let index = u32::try_from(id.index()).expect("edge indices fit in a u32");
        EdgeId::from_raw_parts(index, id.generation().wrapping_add(delta))
    }
}

// ---------------------------------------------------------------------------------------------
// The model

/// Number of slots in the first chunk; chunk `k` holds `BASE << k`.
const BASE: usize = 4;
/// Most slots an arena may hold: 29 chunks.
const MAX_SLOTS: usize = (BASE << 29) - BASE;

/// Number of slots in the first `chunks` chunks.
fn chunk_start(chunks: u32) -> usize {
    (BASE << chunks) - BASE
}

/// Number of chunks that slots `0..len` need.
fn chunks_for(len: usize) -> u32 {
    match len {
        0 => 0,
        len => (len - 1 + BASE).ilog2() - BASE.ilog2() + 1,
    }
}

/// One arena of the model: slots holding `(serial, value)`, the vacant ones on a stack.
#[derive(Clone, Debug)]
struct Slots<T> {
    /// `Some((serial, value))` for an occupied slot.
    slots: Vec<Option<(u32, T)>>,
    /// The vacant slots; `insert` takes the last one first.
    free: Vec<usize>,
    /// Number of allocated chunks.
    chunks: u32,
    /// The slot of every live serial.
    by_serial: BTreeMap<u32, usize>,
}

impl<T> Slots<T> {
    fn new() -> Self {
        Slots {
            slots: Vec::new(),
            free: Vec::new(),
            chunks: 0,
            by_serial: BTreeMap::new(),
        }
    }

    fn capacity(&self) -> usize {
        chunk_start(self.chunks)
    }

    fn find(&self, serial: u32) -> Option<usize> {
        self.by_serial.get(&serial).copied()
    }

    fn serial(&self, slot: usize) -> u32 {
        self.slots[slot].as_ref().expect("an occupied slot").0
    }

    fn get(&self, slot: usize) -> &T {
        &self.slots[slot].as_ref().expect("an occupied slot").1
    }

    fn get_mut(&mut self, slot: usize) -> &mut T {
        &mut self.slots[slot].as_mut().expect("an occupied slot").1
    }

    /// Occupied slots in slot order, with their serials and values.
    fn occupied(&self) -> impl DoubleEndedIterator<Item = (usize, u32, &T)> {
        (self.slots.iter().enumerate()).filter_map(|(i, s)| s.as_ref().map(|(id, v)| (i, *id, v)))
    }

    /// Grows by whole chunks until `additional` more values fit without growing.
    fn reserve(&mut self, additional: usize) -> Result<(), ()> {
        let spare = self.free.len() + self.capacity() - self.slots.len();
        let Some(missing) = additional.checked_sub(spare).filter(|&m| m > 0) else {
            return Ok(());
        };
        let needed = (self.capacity().checked_add(missing))
            .filter(|&n| n <= MAX_SLOTS)
            .ok_or(())?;
        while self.capacity() < needed {
            self.chunks += 1;
        }
        Ok(())
    }

    /// Puts `value` in the most recently vacated slot, else in a new one.
    fn insert(&mut self, serial: u32, value: T) -> usize {
        assert!(self.reserve(1).is_ok(), "capacity overflow");
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        self.slots[slot] = Some((serial, value));
        self.by_serial.insert(serial, slot);
        slot
    }

    fn vacate(&mut self, slot: usize) -> T {
        let (serial, value) = self.slots[slot].take().expect("an occupied slot");
        self.by_serial.remove(&serial);
        self.free.push(slot);
        value
    }

    /// Drops the vacant slots at the end and the chunks past the last slot left; the vacant
    /// slots left are reused lowest first.
    fn trim(&mut self) {
        while let Some(None) = self.slots.last() {
            self.slots.pop();
        }
        self.chunks = chunks_for(self.slots.len());
        self.free = (0..self.slots.len())
            .rev()
            .filter(|&i| self.slots[i].is_none())
            .collect();
    }
}

/// A node of the model.
#[derive(Clone, Debug)]
struct MNode {
    weight: Elem,
    /// Edge slots, in attachment order.
    out: Vec<usize>,
    /// Edge slots, in attachment order.
    inc: Vec<usize>,
}

/// An edge of the model.
#[derive(Clone, Debug)]
struct MEdge {
    weight: Elem,
    /// Node slot.
    source: usize,
    /// Node slot.
    target: usize,
}

/// The model: slot vectors of nodes and edges with `Vec` adjacency lists; see the
/// [module documentation](self).
#[derive(Clone, Debug)]
pub struct ModelGraph {
    /// Declared before `nodes`: dropping or cloning the model handles edge weights first, each
    /// arena in slot order, like the graph.
    edges: Slots<MEdge>,
    nodes: Slots<MNode>,
    /// The next serial to hand out, to a node or an edge.
    next_serial: u32,
}

/// The remap of a model compaction: `(old, new)` by ascending old slot.
#[derive(Debug)]
pub struct ModelRemap(Vec<(u32, u32)>);

impl Remapping<u32> for ModelRemap {
    fn get(&self, old: u32) -> Option<u32> {
        self.0.iter().find(|(o, _)| *o == old).map(|&(_, new)| new)
    }

    fn map(&self, id: u32) -> u32 {
        self.get(id).unwrap_or(id)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn pairs(&self) -> impl Walk<Item = (u32, u32)> {
        self.0.iter().copied()
    }
}

/// A serial no element ever has: what a forged id names in the model.
const FORGED: u32 = u32::MAX;

impl ModelGraph {
    /// A serial never handed out before.
    fn serial(&mut self) -> u32 {
        self.next_serial += 1;
        self.next_serial
    }

    /// Unlinks the edge in `slot` from both lists and vacates it.
    fn remove_edge_at(&mut self, slot: usize) -> Elem {
        let edge = self.edges.vacate(slot);
        let unlink = |list: &mut Vec<usize>| {
            let at = list.iter().position(|&e| e == slot).expect("on the list");
            list.remove(at);
        };
        unlink(&mut self.nodes.get_mut(edge.source).out);
        unlink(&mut self.nodes.get_mut(edge.target).inc);
        edge.weight
    }

    fn edge_at(&self, slot: usize) -> EdgeOf<'_, Self> {
        let edge = self.edges.get(slot);
        (
            self.edges.serial(slot),
            self.nodes.serial(edge.source),
            self.nodes.serial(edge.target),
            &edge.weight,
        )
    }

    /// The targets of the out list of node slot `node`, in order.
    fn successors(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        (self.nodes.get(node).out.iter()).map(|&e| self.edges.get(e).target)
    }
}

impl Graph for ModelGraph {
    type Node = u32;
    type Edge = u32;
    type Remap = ModelRemap;

    fn new() -> Self {
        ModelGraph {
            edges: Slots::new(),
            nodes: Slots::new(),
            next_serial: 0,
        }
    }

    fn with_capacity(nodes: usize, edges: usize) -> Self {
        let mut graph = Self::new();
        assert!(graph.try_reserve(nodes, edges).is_ok(), "capacity overflow");
        graph
    }

    fn try_reserve(&mut self, nodes: usize, edges: usize) -> Result<(), ErrorOf<Self>> {
        self.nodes
            .reserve(nodes)
            .and_then(|()| self.edges.reserve(edges))
            .map_err(|()| GraphErr::CapacityOverflow)
    }

    fn add_node(&mut self, weight: Elem) -> u32 {
        let serial = self.serial();
        let node = MNode {
            weight,
            out: Vec::new(),
            inc: Vec::new(),
        };
        self.nodes.insert(serial, node);
        serial
    }

    fn remove_node(&mut self, id: u32) -> Option<Elem> {
        let slot = self.nodes.find(id)?;
        // The graph's order: the out list, then what is left of the in list.
        let node = self.nodes.get(slot);
        let mut doomed = node.out.clone();
        doomed.extend((node.inc.iter()).filter(|&&e| self.edges.get(e).source != slot));
        let weights: Vec<Elem> = (doomed.into_iter())
            .map(|e| self.remove_edge_at(e))
            .collect();
        let node = self.nodes.vacate(slot);
        // Like the graph's guard: if a weight's drop panics, the others are still dropped, then
        // the node's weight.
        drop(weights);
        Some(node.weight)
    }

    fn add_edge(&mut self, from: u32, to: u32, weight: Elem) -> Result<u32, ErrorOf<Self>> {
        let source = self.nodes.find(from).ok_or(GraphErr::StaleNode(from))?;
        let target = self.nodes.find(to).ok_or(GraphErr::StaleNode(to))?;
        let serial = self.serial();
        let edge = MEdge {
            weight,
            source,
            target,
        };
        let slot = self.edges.insert(serial, edge);
        self.nodes.get_mut(source).out.push(slot);
        self.nodes.get_mut(target).inc.push(slot);
        Ok(serial)
    }

    fn remove_edge(&mut self, id: u32) -> Option<Elem> {
        let slot = self.edges.find(id)?;
        Some(self.remove_edge_at(slot))
    }

    fn reconnect_edge(&mut self, id: u32, from: u32, to: u32) -> Result<(), ErrorOf<Self>> {
        let slot = self.edges.find(id).ok_or(GraphErr::StaleEdge(id))?;
        let source = self.nodes.find(from).ok_or(GraphErr::StaleNode(from))?;
        let target = self.nodes.find(to).ok_or(GraphErr::StaleNode(to))?;
        let edge = self.edges.get(slot);
        let (old_source, old_target) = (edge.source, edge.target);
        let unlink = |list: &mut Vec<usize>| list.retain(|&e| e != slot);
        unlink(&mut self.nodes.get_mut(old_source).out);
        unlink(&mut self.nodes.get_mut(old_target).inc);
        let edge = self.edges.get_mut(slot);
        (edge.source, edge.target) = (source, target);
        self.nodes.get_mut(source).out.push(slot);
        self.nodes.get_mut(target).inc.push(slot);
        Ok(())
    }

    fn contains_node(&self, id: u32) -> bool {
        self.nodes.find(id).is_some()
    }

    fn contains_edge(&self, id: u32) -> bool {
        self.edges.find(id).is_some()
    }

    fn node_weight(&self, id: u32) -> Option<&Elem> {
        Some(&self.nodes.get(self.nodes.find(id)?).weight)
    }

    fn node_weight_mut(&mut self, id: u32) -> Option<&mut Elem> {
        let slot = self.nodes.find(id)?;
        Some(&mut self.nodes.get_mut(slot).weight)
    }

    fn edge_weight(&self, id: u32) -> Option<&Elem> {
        Some(&self.edges.get(self.edges.find(id)?).weight)
    }

    fn edge_weight_mut(&mut self, id: u32) -> Option<&mut Elem> {
        let slot = self.edges.find(id)?;
        Some(&mut self.edges.get_mut(slot).weight)
    }

    fn edge_endpoints(&self, id: u32) -> Option<(u32, u32)> {
        let (_, source, target, _) = self.edge_at(self.edges.find(id)?);
        Some((source, target))
    }

    fn out_degree(&self, id: u32) -> Option<usize> {
        Some(self.nodes.get(self.nodes.find(id)?).out.len())
    }

    fn in_degree(&self, id: u32) -> Option<usize> {
        Some(self.nodes.get(self.nodes.find(id)?).inc.len())
    }

    fn adjacent(&self, id: u32, dir: Direction) -> impl Walk<Item = EdgeOf<'_, Self>> {
        let list: &[usize] = match self.nodes.find(id).map(|slot| self.nodes.get(slot)) {
            Some(node) if dir == Direction::Out => &node.out,
            Some(node) => &node.inc,
            None => &[],
        };
        list.iter().map(|&e| self.edge_at(e))
    }

    fn neighbors(&self, id: u32, dir: Direction) -> impl Walk<Item = u32> {
        self.adjacent(id, dir)
            .map(move |(_, source, target, _)| match dir {
                Direction::Out => target,
                Direction::In => source,
            })
    }

    fn nodes(&self) -> impl Walk<Item = (u32, &Elem)> {
        let nodes: Vec<_> = (self.nodes.occupied())
            .map(|(_, id, node)| (id, &node.weight))
            .collect();
        nodes.into_iter()
    }

    fn node_ids(&self) -> impl Walk<Item = u32> {
        Graph::nodes(self).map(|(id, _)| id)
    }

    fn edges(&self) -> impl Walk<Item = EdgeOf<'_, Self>> {
        let edges: Vec<_> = (self.edges.occupied())
            .map(|(slot, ..)| self.edge_at(slot))
            .collect();
        edges.into_iter()
    }

    fn node_count(&self) -> usize {
        self.nodes.by_serial.len()
    }

    fn edge_count(&self) -> usize {
        self.edges.by_serial.len()
    }

    fn is_empty(&self) -> bool {
        self.nodes.by_serial.is_empty()
    }

    fn node_capacity(&self) -> usize {
        self.nodes.capacity()
    }

    fn edge_capacity(&self) -> usize {
        self.edges.capacity()
    }

    /// Recursive preorder, following out lists in order (with an explicit stack).
    fn dfs(&self, start: u32) -> impl Iterator<Item = u32> {
        let mut order = Vec::new();
        if let Some(start) = self.nodes.find(start) {
            let mut seen = vec![false; self.nodes.slots.len()];
            seen[start] = true;
            order.push(start);
            // Per node on the path: its successors not yet looked at.
            let mut stack = vec![self.successors(start)];
            while let Some(next) = stack.last_mut().map(Iterator::next) {
                match next {
                    None => drop(stack.pop()),
                    Some(node) if !seen[node] => {
                        seen[node] = true;
                        order.push(node);
                        stack.push(self.successors(node));
                    }
                    Some(_) => {}
                }
            }
        }
        order.into_iter().map(|slot| self.nodes.serial(slot))
    }

    /// By distance; nodes at the same distance in the order their first in-edge is found.
    fn bfs(&self, start: u32) -> impl Iterator<Item = u32> {
        let mut order = Vec::new();
        if let Some(start) = self.nodes.find(start) {
            let mut seen = vec![false; self.nodes.slots.len()];
            seen[start] = true;
            let mut queue = VecDeque::from([start]);
            while let Some(node) = queue.pop_front() {
                order.push(node);
                for next in self.successors(node) {
                    if !mem::replace(&mut seen[next], true) {
                        queue.push_back(next);
                    }
                }
            }
        }
        order.into_iter().map(|slot| self.nodes.serial(slot))
    }

    fn clear(&mut self) {
        let edges: Vec<usize> = self.edges.occupied().map(|(slot, ..)| slot).collect();
        let edges: Vec<Elem> = (edges.into_iter())
            .map(|e| self.remove_edge_at(e))
            .collect();
        let nodes: Vec<usize> = self.nodes.occupied().map(|(slot, ..)| slot).collect();
        let nodes: Vec<Elem> = (nodes.into_iter())
            .map(|n| self.nodes.vacate(n).weight)
            .collect();
        // Like the graph's guard: a panicking drop does not stop the others.
        drop((edges, nodes));
    }

    fn retain_nodes(&mut self, mut keep: impl FnMut(u32, &mut Elem) -> bool) {
        for slot in 0..self.nodes.slots.len() {
            let Some((id, node)) = &mut self.nodes.slots[slot] else {
                continue;
            };
            let id = *id;
            if !keep(id, &mut node.weight) {
                drop(self.remove_node(id));
            }
        }
    }

    /// Moves the highest node into the lowest hole until no hole is below a node, then trims
    /// both arenas. A moved node gets a new serial.
    fn compact(&mut self) -> ModelRemap {
        let mut moved = Vec::new();
        let (mut lo, mut hi) = (0, self.nodes.slots.len());
        loop {
            while lo < hi && self.nodes.slots[lo].is_some() {
                lo += 1;
            }
            while hi > lo && self.nodes.slots[hi - 1].is_none() {
                hi -= 1;
            }
            if lo >= hi {
                break;
            }
            let (old, node) = self.nodes.slots[hi - 1].take().expect("occupied");
            for &e in &node.out {
                self.edges.get_mut(e).source = lo;
            }
            for &e in &node.inc {
                self.edges.get_mut(e).target = lo;
            }
            let new = self.serial();
            self.nodes.by_serial.remove(&old);
            self.nodes.by_serial.insert(new, lo);
            self.nodes.slots[lo] = Some((new, node));
            moved.push((hi - 1, old, new));
            lo += 1;
            hi -= 1;
        }
        self.nodes.trim();
        self.edges.trim();
        moved.sort_unstable_by_key(|&(slot, ..)| slot);
        ModelRemap(moved.into_iter().map(|(_, old, new)| (old, new)).collect())
    }

    fn forge_node(id: u32, delta: u32) -> u32 {
        if delta == 0 { id } else { FORGED }
    }

    fn forge_edge(id: u32, delta: u32) -> u32 {
        if delta == 0 { id } else { FORGED }
    }
}

// ---------------------------------------------------------------------------------------------
// Driving both sides

/// A graph with the handles of its nodes and edges.
#[derive(Clone, Debug)]
pub struct Instance<G: Graph> {
    graph: G,
    nodes: Handles<G::Node>,
    edges: Handles<G::Edge>,
}

/// One side: the graph the ops work on, and the backup that [`Op::Clone`] and [`Op::Swap`]
/// use.
#[derive(Debug)]
pub struct Side<G: Graph> {
    main: Instance<G>,
    backup: Option<Instance<G>>,
}

/// Describes an error the same way on both sides: which of the op's ids it names.
pub fn describe<N: Eq, E: Eq>(
    err: GraphErr<N, E>,
    edge: Option<E>,
    from: Option<N>,
    to: Option<N>,
) -> String {
    match err {
        GraphErr::StaleNode(id) if Some(&id) == from.as_ref() => "stale node: from".to_owned(),
        GraphErr::StaleNode(id) if Some(&id) == to.as_ref() => "stale node: to".to_owned(),
        GraphErr::StaleNode(_) => "stale node: another".to_owned(),
        GraphErr::StaleEdge(id) if Some(&id) == edge.as_ref() => "stale edge".to_owned(),
        GraphErr::StaleEdge(_) => "stale edge: another".to_owned(),
        GraphErr::CapacityOverflow => "capacity overflow".to_owned(),
        GraphErr::Other(message) => message,
    }
}

/// Adds `id` to the removed handles.
fn retire<H>(handles: &mut Handles<H>, id: H) {
    // `Handles` moves handles to the removed list only from the live one.
    handles.push(id);
    handles.remove(handles.len() - 1);
}

/// Takes `front` items from the front of `iter` and `back` from the back, clones what is left,
/// then drops, forgets or exhausts `iter`. Reports each item as `f` maps it.
fn take<I: Walk, T>(
    mut iter: I,
    (front, back): (u8, u8),
    finish: Finish,
    f: impl Fn(I::Item) -> T,
) -> Taken<T> {
    let mut got: Vec<T> = take_ends(&mut iter, front.into(), back.into())
        .into_iter()
        .map(&f)
        .collect();
    let len = iter.len();
    let rest = iter.clone().map(&f).collect();
    finish.end(iter, &mut got, &f);
    Taken { got, len, rest }
}

impl<G: Graph> Instance<G> {
    fn of(graph: G) -> Self {
        Instance {
            graph,
            nodes: Handles::new(),
            edges: Handles::new(),
        }
    }

    fn node(&self, sel: NodeSel) -> Option<G::Node> {
        match sel {
            NodeSel::Live(i) => self.nodes.get(i).copied(),
            NodeSel::Stale(i) => self.nodes.removed(i).copied(),
            NodeSel::Forged { live, delta } => {
                (self.nodes.get(live)).map(|&id| G::forge_node(id, delta))
            }
        }
    }

    fn edge(&self, sel: EdgeSel) -> Option<G::Edge> {
        match sel {
            EdgeSel::Live(i) => self.edges.get(i).copied(),
            EdgeSel::Stale(i) => self.edges.removed(i).copied(),
            EdgeSel::Forged { live, delta } => {
                (self.edges.get(live)).map(|&id| G::forge_edge(id, delta))
            }
        }
    }

    fn node_pos(&self, id: G::Node) -> Pos {
        self.nodes.live().iter().position(|&h| h == id)
    }

    fn edge_pos(&self, id: G::Edge) -> Pos {
        self.edges.live().iter().position(|&h| h == id)
    }

    fn view(&self, (id, source, target, weight): EdgeOf<'_, G>) -> EdgeView {
        let at = |n| self.node_pos(n);
        (self.edge_pos(id), at(source), at(target), **weight)
    }

    fn counts(&self) -> Counts {
        let g = &self.graph;
        Counts {
            nodes: g.node_count(),
            edges: g.edge_count(),
            empty: g.is_empty(),
            node_capacity: g.node_capacity(),
            edge_capacity: g.edge_capacity(),
        }
    }

    /// Moves the handles of the nodes and edges the graph no longer has to the removed lists.
    fn sync(&mut self) {
        let graph = &self.graph;
        self.nodes.retain(|&n| graph.contains_node(n));
        self.edges.retain(|&e| graph.contains_edge(e));
    }

    /// Runs `f` on the graph, then [`sync`](Self::sync)s, also when `f` raises an injected
    /// panic: the graph finishes a removal while unwinding, and its handles must follow.
    fn removing<R>(&mut self, f: impl FnOnce(&mut G) -> R) -> R {
        let result = panic::catch_unwind(AssertUnwindSafe(|| f(&mut self.graph)));
        match result {
            Ok(r) => {
                self.sync();
                r
            }
            Err(payload) => {
                // After a real panic the graph may be corrupt: report it as it is.
                if payload.is::<InjectedPanic>() {
                    self.sync();
                }
                panic::resume_unwind(payload)
            }
        }
    }

    fn apply(&mut self, op: &Op) -> Out {
        match *op {
            Op::AddNode(value) => {
                let id = self.graph.add_node(Tracked::new(value));
                self.nodes.push(id);
            }
            Op::RemoveNode(node) => {
                let Some(id) = self.node(node) else {
                    return Out::Unit;
                };
                let weight = self.removing(|g| g.remove_node(id));
                return Out::Value(weight.map(Tracked::into_inner));
            }
            Op::AddEdge { from, to, weight } => {
                let (Some(a), Some(b)) = (self.node(from), self.node(to)) else {
                    return Out::Unit;
                };
                return Out::Done(match self.graph.add_edge(a, b, Tracked::new(weight)) {
                    Ok(id) => {
                        self.edges.push(id);
                        Ok(())
                    }
                    Err(e) => Err(describe(e, None, Some(a), Some(b))),
                });
            }
            Op::RemoveEdge(edge) => {
                let Some(id) = self.edge(edge) else {
                    return Out::Unit;
                };
                let weight = self.removing(|g| g.remove_edge(id));
                return Out::Value(weight.map(Tracked::into_inner));
            }
            Op::ReconnectEdge { edge, from, to } => {
                let (Some(e), Some(a), Some(b)) = (self.edge(edge), self.node(from), self.node(to))
                else {
                    return Out::Unit;
                };
                return Out::Done(
                    (self.graph.reconnect_edge(e, a, b))
                        .map_err(|err| describe(err, Some(e), Some(a), Some(b))),
                );
            }
            Op::ContainsNode(node) => {
                if let Some(id) = self.node(node) {
                    return Out::Flag(self.graph.contains_node(id));
                }
            }
            Op::ContainsEdge(edge) => {
                if let Some(id) = self.edge(edge) {
                    return Out::Flag(self.graph.contains_edge(id));
                }
            }
            Op::NodeWeight(node) => {
                if let Some(id) = self.node(node) {
                    return Out::Value(self.graph.node_weight(id).map(|w| **w));
                }
            }
            Op::SetNodeWeight { node, value } => {
                if let Some(id) = self.node(node) {
                    let set = self
                        .graph
                        .node_weight_mut(id)
                        .map(|w| *w = Tracked::new(value));
                    return Out::Flag(set.is_some());
                }
            }
            Op::EdgeWeight(edge) => {
                if let Some(id) = self.edge(edge) {
                    return Out::Value(self.graph.edge_weight(id).map(|w| **w));
                }
            }
            Op::SetEdgeWeight { edge, value } => {
                if let Some(id) = self.edge(edge) {
                    let set = self
                        .graph
                        .edge_weight_mut(id)
                        .map(|w| *w = Tracked::new(value));
                    return Out::Flag(set.is_some());
                }
            }
            Op::EdgeEndpoints(edge) => {
                if let Some(id) = self.edge(edge) {
                    let ends = self.graph.edge_endpoints(id);
                    return Out::Endpoints(ends.map(|(s, t)| (self.node_pos(s), self.node_pos(t))));
                }
            }
            Op::Degrees(node) => {
                if let Some(id) = self.node(node) {
                    return Out::Degrees(self.graph.out_degree(id), self.graph.in_degree(id));
                }
            }
            Op::Neighbors {
                node,
                dir,
                front,
                back,
                finish,
            } => {
                if let Some(id) = self.node(node) {
                    let iter = self.graph.neighbors(id, dir);
                    return Out::Nodes(take(iter, (front, back), finish, |n| self.node_pos(n)));
                }
            }
            Op::AdjacentEdges {
                node,
                dir,
                front,
                back,
                finish,
            } => {
                if let Some(id) = self.node(node) {
                    let iter = self.graph.adjacent(id, dir);
                    return Out::Edges(take(iter, (front, back), finish, |e| self.view(e)));
                }
            }
            // The model's `nodes`, `node_ids` and `edges` own a buffer: never forgotten.
            Op::Nodes { front, back } => {
                let iter = self.graph.nodes();
                let at = |(id, w): (_, &Elem)| (self.node_pos(id), **w);
                return Out::Weighted(take(iter, (front, back), Finish::Drop, at));
            }
            Op::NodeIds { front, back } => {
                let iter = self.graph.node_ids();
                let at = |id| self.node_pos(id);
                return Out::Nodes(take(iter, (front, back), Finish::Drop, at));
            }
            Op::Edges { front, back } => {
                let iter = self.graph.edges();
                return Out::Edges(take(iter, (front, back), Finish::Drop, |e| self.view(e)));
            }
            Op::Counts => return Out::Counts(self.counts()),
            Op::Dfs { start, take } => {
                if let Some(id) = self.node(start) {
                    let order = self.graph.dfs(id).take(take.into());
                    return Out::Order(order.map(|n| self.node_pos(n)).collect());
                }
            }
            Op::Bfs { start, take } => {
                if let Some(id) = self.node(start) {
                    let order = self.graph.bfs(id).take(take.into());
                    return Out::Order(order.map(|n| self.node_pos(n)).collect());
                }
            }
            Op::Clear => {
                // Every id is stale from now on, even if a weight's drop panics.
                self.nodes.remove_all();
                self.edges.remove_all();
                self.graph.clear();
            }
            Op::RetainNodes { add, pivot } => {
                let pivot = Tracked::new(pivot);
                self.removing(|g| {
                    g.retain_nodes(|_, w| {
                        let v = w.get_mut();
                        *v = v.wrapping_add(add);
                        *w >= pivot
                    });
                });
            }
            Op::Compact => return Out::Compacted(self.compact()),
            Op::TryReserve { nodes, edges } => {
                let result = self.graph.try_reserve(nodes.into(), edges.into());
                return Out::Done(result.map_err(|e| describe(e, None, None, None)));
            }
            Op::TryReserveOverflow { nodes, shortfall } => {
                let huge = usize::MAX - usize::from(shortfall);
                let (n, e) = if nodes { (huge, 0) } else { (0, huge) };
                let result = self.graph.try_reserve(n, e);
                return Out::Done(result.map_err(|e| describe(e, None, None, None)));
            }
            Op::WithCapacity { .. }
            | Op::WithCapacityOverflow { .. }
            | Op::Clone
            | Op::Swap
            | Op::Reset
            | Op::Arm(_) => unreachable!("{op:?} is applied by `apply`"),
        }
        Out::Unit
    }

    /// Compacts, remaps the node handles, and reports the remap and the moved nodes' lists.
    fn compact(&mut self) -> Compaction {
        let before = self.nodes.live().to_vec();
        let remap = self.graph.compact();
        let mut stale = Vec::new();
        for handle in self.nodes.live_mut() {
            let new = remap.map(*handle);
            if new != *handle {
                stale.push(mem::replace(handle, new));
            }
        }
        for id in stale {
            retire(&mut self.nodes, id);
        }
        let pairs: Vec<_> = remap.pairs().collect();
        let mut backwards: Vec<_> = remap.pairs().rev().collect();
        backwards.reverse();
        let adjacency = (pairs.iter())
            .map(|&(_, new)| {
                [Direction::Out, Direction::In].map(|dir| {
                    let list = self.graph.adjacent(new, dir);
                    list.map(|e| self.view(e)).collect()
                })
            })
            .collect();
        Compaction {
            moved: (pairs.iter())
                .map(|&(old, new)| (before.iter().position(|&h| h == old), self.node_pos(new)))
                .collect(),
            got: (before.iter())
                .map(|&h| remap.get(h).map(|new| self.node_pos(new)))
                .collect(),
            len: (remap.len(), remap.is_empty()),
            reversible: backwards == pairs && remap.pairs().len() == pairs.len(),
            adjacency,
        }
    }
}

/// Applies `op` to one side, the same way on both.
fn apply<G: Graph>(side: &mut Side<G>, op: &Op) -> Out {
    match *op {
        Op::WithCapacity { nodes, edges } => {
            let graph = G::with_capacity(nodes.into(), edges.into());
            drop(mem::replace(&mut side.main, Instance::of(graph)));
        }
        Op::WithCapacityOverflow { nodes, shortfall } => {
            let huge = usize::MAX - usize::from(shortfall);
            let (n, e) = if nodes { (huge, 0) } else { (0, huge) };
            if let Err(e) = expect_panic(|| G::with_capacity(n, e)) {
                return Out::Panicked(e);
            }
        }
        Op::Clone => {
            let copy = side.main.clone();
            drop(side.backup.replace(copy));
        }
        Op::Swap => {
            if let Some(backup) = &mut side.backup {
                mem::swap(&mut side.main, backup);
            }
        }
        Op::Reset => drop(mem::replace(&mut side.main, Instance::of(G::new()))),
        Op::Arm(plan) => lockstep::arm(plan),
        _ => return side.main.apply(op),
    }
    Out::Unit
}

// ---------------------------------------------------------------------------------------------
// States

/// A live node as seen through its handle.
#[derive(Debug, PartialEq, Eq)]
pub struct NodeState {
    /// `node_weight`.
    pub weight: Option<u32>,
    /// `out_degree` and `in_degree`.
    pub degrees: (Option<usize>, Option<usize>),
    /// `edges_out`, as edge positions.
    pub out: Vec<Pos>,
    /// `edges_in`, as edge positions.
    pub inc: Vec<Pos>,
}

/// A live edge as seen through its handle: `edge_endpoints` and `edge_weight`.
pub type EdgeState = (Option<(Pos, Pos)>, Option<u32>);

/// Everything observable about one graph, with ids as positions.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The counts and capacities.
    pub counts: Counts,
    /// `nodes()`, in order.
    pub nodes: Vec<(Pos, u32)>,
    /// `edges()`, in order.
    pub edges: Vec<EdgeView>,
    /// Every live node handle, in order.
    pub node_handles: Vec<NodeState>,
    /// Every live edge handle, in order.
    pub edge_handles: Vec<EdgeState>,
}

/// Both graphs of a side.
#[derive(Debug, PartialEq, Eq)]
pub struct State {
    /// The graph the ops work on.
    pub main: Snapshot,
    /// The backup, if any.
    pub backup: Option<Snapshot>,
}

fn snapshot<G: Graph>(inst: &Instance<G>) -> Snapshot {
    let g = &inst.graph;
    let positions = |live: &[G::Node]| -> BTreeMap<G::Node, usize> {
        live.iter().enumerate().map(|(i, &h)| (h, i)).collect()
    };
    let nodes = positions(inst.nodes.live());
    let edges: BTreeMap<G::Edge, usize> = (inst.edges.live().iter().enumerate())
        .map(|(i, &h)| (h, i))
        .collect();
    let node_at = |id: G::Node| nodes.get(&id).copied();
    let edge_at = |id: G::Edge| edges.get(&id).copied();
    let view = |(id, s, t, w): EdgeOf<'_, G>| (edge_at(id), node_at(s), node_at(t), **w);
    Snapshot {
        counts: inst.counts(),
        nodes: g.nodes().map(|(id, w)| (node_at(id), **w)).collect(),
        edges: g.edges().map(view).collect(),
        node_handles: (inst.nodes.live().iter())
            .map(|&h| NodeState {
                weight: g.node_weight(h).map(|w| **w),
                degrees: (g.out_degree(h), g.in_degree(h)),
                out: g
                    .adjacent(h, Direction::Out)
                    .map(|e| edge_at(e.0))
                    .collect(),
                inc: g.adjacent(h, Direction::In).map(|e| edge_at(e.0)).collect(),
            })
            .collect(),
        edge_handles: (inst.edges.live().iter())
            .map(|&h| {
                let ends = g.edge_endpoints(h).map(|(s, t)| (node_at(s), node_at(t)));
                (ends, g.edge_weight(h).map(|w| **w))
            })
            .collect(),
    }
}

fn state<G: Graph>(side: &Side<G>) -> State {
    State {
        main: snapshot(&side.main),
        backup: side.backup.as_ref().map(snapshot),
    }
}

/// The spec: `ArenaGraph<Tracked<u32>, Tracked<u32>>` against [`ModelGraph`].
#[derive(Debug)]
pub struct GraphSpec;

impl Spec for GraphSpec {
    type Op = Op;
    type Subject = Side<ArenaGraph<Elem, Elem>>;
    type Model = Side<ModelGraph>;
    type Output = Out;
    type Item = State;

    fn new_model() -> Self::Model {
        Side {
            main: Instance::of(ModelGraph::new()),
            backup: None,
        }
    }

    fn new_subject() -> Self::Subject {
        Side {
            main: Instance::of(ArenaGraph::new()),
            backup: None,
        }
    }

    fn apply_model(model: &mut Self::Model, op: &Op) -> Out {
        apply(model, op)
    }

    fn apply_subject(subject: &mut Self::Subject, op: &Op) -> Out {
        apply(subject, op)
    }

    fn check_invariants(subject: &Self::Subject) {
        subject.main.graph.check_invariants();
        if let Some(backup) = &subject.backup {
            backup.graph.check_invariants();
        }
    }

    fn model_state(model: &Self::Model) -> impl Iterator<Item = State> {
        std::iter::once(state(model))
    }

    fn subject_state(subject: &Self::Subject) -> impl Iterator<Item = State> {
        std::iter::once(state(subject))
    }

    /// Whole states every 4th step: a snapshot walks every node, edge and handle while most ops
    /// are O(1), and sampling nearly doubles the exec/s. Outputs, invariants and the accounting
    /// of tracked values are still checked after every op.
    fn config() -> Config {
        Config::default().with_state_every(4)
    }
}
