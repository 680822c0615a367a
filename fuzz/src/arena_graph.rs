//! The spec of [`ArenaGraph`]: every public method, against [`GraphModel`].
//!
//! # The model
//!
//! [`GraphModel`] keeps nodes and edges in two [`ArenaModel`]s, each adjacency list as a `Vec`
//! of edge keys in attachment order. It follows the slot policy the graph documents, because the
//! graph's orders are defined by it: [`nodes`](ArenaGraph::nodes) and
//! [`edges`](ArenaGraph::edges) run in slot order, [`retain_nodes`](ArenaGraph::retain_nodes)
//! visits and [`clear`](ArenaGraph::clear) drops in slot order, a vacated slot is reused first
//! (most recently vacated first), and [`compact`](ArenaGraph::compact) moves the highest nodes
//! into the lowest holes and then trims: all of that is `ArenaModel`'s. Capacity comes in chunks
//! of `4 << k` slots. (Retired slots need 2^31 occupants of one slot: out of reach of a fuzzer,
//! and not modelled.)
//!
//! The model's ids are `NodeId`s and `EdgeId`s too, made from its keys with generation 0: a
//! node moved by `compact` gets a new key, so its old id is stale like the graph's. Versions are
//! not modelled: the graph's staleness checks are held to the plain rule that an id names its
//! element from its creation to its removal (or move) and nothing ever after, and a forged id
//! (a live one with another generation) names nothing on either side. Outputs never contain ids:
//! a node or edge is reported as its position among the spec's live handles, which is the same
//! on both sides.
//!
//! # Handles and panics
//!
//! Each side keeps its own [`Handles`] of nodes and edges, updated by the same code. After an op
//! that removes elements as a side effect (a node's edges, `retain_nodes`), each side moves the
//! handles its graph no longer contains to the removed list; a disagreement shows in the
//! compared states, which list every live handle.
//!
//! Weights are [`Tracked`], so the runner's armed panics ([`lockstep::Step::Arm`]) can make a
//! clone, drop or comparison panic in the next op. The model drops weights in the graph's documented order and finishes interrupted removals
//! the way the graph's drop guards do: `remove_node` drops the edges of the out list, then those
//! left on the in list, then the node's weight; `clear` and `Drop` drop edges, then nodes, in
//! slot order; all of them still drop the rest when one weight's `Drop` panics. `Clone` clones
//! edge weights, then node weights, in slot order.
#![allow(
    clippy::unit_arg,
    reason = "an op whose method returns nothing ends in `.into()`, like every other op"
)]

use std::collections::{BTreeSet, VecDeque};
use std::mem;
use std::panic::{self, AssertUnwindSafe};

use lockstep::models::ArenaModel;
use lockstep::{Finish, Handles, InjectedPanic, Out, Pick, Tracked, panics_if, take_ends};
use structures::arena_graph::{ArenaGraph, EdgeId, EdgeRef, GraphError, NodeId, Remap};

/// The weight type of nodes and edges: a tracked `u32`, so every clone and drop is accounted
/// for.
pub type Elem = Tracked<u32>;

/// What an id is reported as when it is none of the live handles (which only a wrong graph
/// returns); a live handle is reported as its position among them.
const UNKNOWN: u32 = u32::MAX;

lockstep::ops! {
    /// Which adjacency list: the `_out` or the `_in` methods.
    #[derive(Copy)]
    #[expect(missing_docs, reason = "described on the enum")]
    pub enum Direction { Out, In }
}

lockstep::ops! {
    /// One operation, the `ArenaGraph` method of the same name unless it says otherwise. Ops
    /// that name a node or edge when there is none do nothing on both sides; stale and forged
    /// ids must be reported absent (`None`, or the error). Iterators are taken `front` items
    /// from the front and `back` from the back, cloned, then ended as `finish` says.
    #[expect(missing_docs, reason = "described on the enum and the variant")]
    pub enum Op {
        AddNode(u32),
        RemoveNode(Pick),
        AddEdge { from: Pick, to: Pick, weight: u32 },
        RemoveEdge(Pick),
        ReconnectEdge { edge: Pick, from: Pick, to: Pick },
        ContainsNode(Pick),
        ContainsEdge(Pick),
        NodeWeight(Pick),
        /// `*node_weight_mut(node) = value` (dropping the old weight).
        SetNodeWeight { node: Pick, value: u32 },
        EdgeWeight(Pick),
        /// `*edge_weight_mut(edge) = value` (dropping the old weight).
        SetEdgeWeight { edge: Pick, value: u32 },
        EdgeEndpoints(Pick),
        /// `out_degree` and `in_degree`.
        Degrees(Pick),
        /// `neighbors_out` or `neighbors_in`.
        Neighbors { node: Pick, dir: Direction, front: u8, back: u8, finish: Finish },
        /// `edges_out` or `edges_in`.
        AdjacentEdges { node: Pick, dir: Direction, front: u8, back: u8, finish: Finish },
        /// `nodes()`, the rest dropped.
        Nodes { front: u8, back: u8 },
        /// `node_ids()`, the rest dropped.
        NodeIds { front: u8, back: u8 },
        /// `edges()`, the rest dropped.
        Edges { front: u8, back: u8 },
        /// `node_count`, `edge_count`, `is_empty`, `node_capacity`, `edge_capacity`.
        Counts,
        /// The first `take` nodes of `dfs(start)`.
        Dfs { start: Pick, take: u8 },
        /// The first `take` nodes of `bfs(start)`.
        Bfs { start: Pick, take: u8 },
        Clear,
        /// `retain_nodes(|_, w| { *w += add; *w >= pivot })`: a comparison of tracked values per
        /// node, so it can be made to panic.
        RetainNodes { add: u32, pivot: u32 },
        /// `compact()`; both sides remap their node handles with the returned remap.
        Compact,
        TryReserve { nodes: u8, edges: u8 },
        /// `try_reserve` of `usize::MAX - shortfall` nodes (or edges): an error, never a panic.
        TryReserveOverflow { nodes: bool, shortfall: u8 },
        /// Replaces the graph with `ArenaGraph::with_capacity(nodes, edges)`.
        WithCapacity { nodes: u8, edges: u8 },
        /// `with_capacity` of `usize::MAX - shortfall` nodes (or edges): panics by contract.
        WithCapacityOverflow { nodes: bool, shortfall: u8 },
        /// Keeps a clone of the graph, with its handles, as the backup.
        Clone,
        /// Exchanges the graph and the backup, with their handles.
        Swap,
        /// Drops the graph and starts a new one, with new handles.
        Reset,
    }
}

/// What the graph's iterators are: double-ended, exact-size and `Clone`.
pub trait Walk: DoubleEndedIterator + ExactSizeIterator + Clone {}

impl<I: DoubleEndedIterator + ExactSizeIterator + Clone> Walk for I {}

lockstep::same_api! {
    /// What `compact` returns, on both sides.
    pub trait Remapping for Remap, ModelRemap {
        fn get(&self, old: NodeId) -> Option<NodeId>;
        fn map(&self, id: NodeId) -> NodeId;
        fn len(&self) -> usize;
        fn is_empty(&self) -> bool;
        fn iter(&self) -> impl Walk<Item = (NodeId, NodeId)>;
    }
}

lockstep::same_api! {
    /// The graph's methods, on both sides.
    pub trait Graph: Clone + Default
    for ArenaGraph<Elem, Elem> [type Remap = Remap;], GraphModel [type Remap = ModelRemap;] {
        /// What `compact` returns.
        type Remap: Remapping;
        fn with_capacity(nodes: usize, edges: usize) -> Self;
        fn try_reserve(&mut self, nodes: usize, edges: usize) -> Result<(), GraphError>;
        fn add_node(&mut self, weight: Elem) -> NodeId;
        fn remove_node(&mut self, id: NodeId) -> Option<Elem>;
        fn add_edge(&mut self, from: NodeId, to: NodeId, weight: Elem) -> Result<EdgeId, GraphError>;
        fn remove_edge(&mut self, id: EdgeId) -> Option<Elem>;
        fn reconnect_edge(&mut self, id: EdgeId, from: NodeId, to: NodeId) -> Result<(), GraphError>;
        fn contains_node(&self, id: NodeId) -> bool;
        fn contains_edge(&self, id: EdgeId) -> bool;
        fn node_weight(&self, id: NodeId) -> Option<&Elem>;
        fn node_weight_mut(&mut self, id: NodeId) -> Option<&mut Elem>;
        fn edge_weight(&self, id: EdgeId) -> Option<&Elem>;
        fn edge_weight_mut(&mut self, id: EdgeId) -> Option<&mut Elem>;
        fn edge_endpoints(&self, id: EdgeId) -> Option<(NodeId, NodeId)>;
        fn out_degree(&self, id: NodeId) -> Option<usize>;
        fn in_degree(&self, id: NodeId) -> Option<usize>;
        fn edges_out(&self, id: NodeId) -> impl Walk<Item = EdgeRef<'_, Elem>>;
        fn edges_in(&self, id: NodeId) -> impl Walk<Item = EdgeRef<'_, Elem>>;
        fn neighbors_out(&self, id: NodeId) -> impl Walk<Item = NodeId>;
        fn neighbors_in(&self, id: NodeId) -> impl Walk<Item = NodeId>;
        fn nodes(&self) -> impl Walk<Item = (NodeId, &Elem)>;
        fn node_ids(&self) -> impl Walk<Item = NodeId>;
        fn edges(&self) -> impl Walk<Item = EdgeRef<'_, Elem>>;
        fn node_count(&self) -> usize;
        fn edge_count(&self) -> usize;
        fn is_empty(&self) -> bool;
        fn node_capacity(&self) -> usize;
        fn edge_capacity(&self) -> usize;
        fn dfs(&self, start: NodeId) -> impl Iterator<Item = NodeId>;
        fn bfs(&self, start: NodeId) -> impl Iterator<Item = NodeId>;
        fn clear(&mut self);
        fn retain_nodes<F: FnMut(NodeId, &mut Elem) -> bool>(&mut self, keep: F);
        fn compact(&mut self) -> Self::Remap;
    }
}

// ----- the model ------------------------------------------------------------------------------

/// Slots in the first chunk; chunk `k` holds `BASE << k`.
const BASE: usize = 4;
/// Most slots an arena may hold: 29 chunks.
const MAX_SLOTS: usize = (BASE << 29) - BASE;

/// Slots in the first `chunks` chunks.
fn capacity(chunks: u32) -> usize {
    (BASE << chunks) - BASE
}

/// Grows `chunks` until `additional` more elements fit in `arena` without growing.
fn reserve<T>(
    arena: &ArenaModel<T>,
    chunks: &mut u32,
    additional: usize,
) -> Result<(), GraphError> {
    let spare = arena.vacant() + capacity(*chunks) - arena.slots();
    let Some(missing) = additional.checked_sub(spare).filter(|&m| m > 0) else {
        return Ok(());
    };
    let needed = (capacity(*chunks).checked_add(missing))
        .filter(|&n| n <= MAX_SLOTS)
        .ok_or(GraphError::CapacityOverflow)?;
    while capacity(*chunks) < needed {
        *chunks += 1;
    }
    Ok(())
}

/// Chunks that `slots` slots need.
fn chunks_for(slots: usize) -> u32 {
    if slots == 0 { 0 } else { (slots - 1 + BASE).ilog2() - BASE.ilog2() + 1 }
}

fn nid(key: u32) -> NodeId {
    NodeId::from_raw_parts(key, 0)
}

fn eid(key: u32) -> EdgeId {
    EdgeId::from_raw_parts(key, 0)
}

/// The key a model id is made from, if it is one (generation 0).
fn key(index: usize, generation: u32) -> Option<u32> {
    u32::try_from(index).ok().filter(|_| generation == 0)
}

/// A node of the model: its weight and its adjacency lists, as edge keys in attachment order.
#[derive(Clone, Debug)]
struct MNode {
    weight: Elem,
    out: Vec<u32>,
    inc: Vec<u32>,
}

/// An edge of the model: its weight and its endpoints' keys.
#[derive(Clone, Debug)]
struct MEdge {
    weight: Elem,
    source: u32,
    target: u32,
}

/// The model: see the [module documentation](self).
#[derive(Clone, Debug, Default)]
pub struct GraphModel {
    /// Declared before `nodes`: dropping or cloning the model handles edge weights first, each
    /// arena in slot order, like the graph.
    edges: ArenaModel<MEdge>,
    nodes: ArenaModel<MNode>,
    /// Chunks allocated for edges and for nodes.
    edge_chunks: u32,
    node_chunks: u32,
}

/// The remap of a model compaction: `(old, new)` by ascending old slot.
#[derive(Debug)]
pub struct ModelRemap(Vec<(NodeId, NodeId)>);

#[expect(missing_docs, reason = "each is the `Remap` method of the same name")]
impl ModelRemap {
    pub fn get(&self, old: NodeId) -> Option<NodeId> {
        self.0.iter().find(|(o, _)| *o == old).map(|&(_, new)| new)
    }

    pub fn map(&self, id: NodeId) -> NodeId {
        self.get(id).unwrap_or(id)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Walk<Item = (NodeId, NodeId)> {
        self.0.iter().copied()
    }
}

#[expect(missing_docs, reason = "each is the `ArenaGraph` method of the same name")]
impl GraphModel {
    fn node_key(&self, id: NodeId) -> Option<u32> {
        key(id.index(), id.generation()).filter(|&k| self.nodes.contains(k))
    }

    fn edge_key(&self, id: EdgeId) -> Option<u32> {
        key(id.index(), id.generation()).filter(|&k| self.edges.contains(k))
    }

    fn live(&self, id: NodeId) -> Result<u32, GraphError> {
        self.node_key(id).ok_or(GraphError::StaleNode(id))
    }

    fn node(&self, key: u32) -> &MNode {
        self.nodes.get(key).expect("a live node")
    }

    fn edge_ref(&self, key: u32) -> EdgeRef<'_, Elem> {
        let edge = self.edges.get(key).expect("a live edge");
        let (id, source, target) = (eid(key), nid(edge.source), nid(edge.target));
        EdgeRef { id, source, target, weight: &edge.weight }
    }

    /// Puts edge `e` at the end of `source`'s out list and `target`'s in list.
    fn attach(&mut self, e: u32, source: u32, target: u32) {
        let edge = self.edges.get_mut(e).expect("a live edge");
        (edge.source, edge.target) = (source, target);
        self.nodes.get_mut(source).expect("a live node").out.push(e);
        self.nodes.get_mut(target).expect("a live node").inc.push(e);
    }

    /// Takes edge `e` off its endpoints' lists.
    fn detach(&mut self, e: u32) {
        let edge = self.edges.get(e).expect("a live edge");
        let (source, target) = (edge.source, edge.target);
        self.nodes.get_mut(source).expect("a live node").out.retain(|&x| x != e);
        self.nodes.get_mut(target).expect("a live node").inc.retain(|&x| x != e);
    }

    fn unlink_edge(&mut self, e: u32) -> Elem {
        self.detach(e);
        self.edges.remove(e).expect("a live edge").weight
    }

    /// The targets of `node`'s out list, in order.
    fn successors(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        self.node(node).out.iter().map(|&e| self.edges.get(e).expect("a live edge").target)
    }

    pub fn with_capacity(nodes: usize, edges: usize) -> Self {
        let mut graph = Self::default();
        graph.try_reserve(nodes, edges).unwrap_or_else(|e| panic!("{e}"));
        graph
    }

    pub fn try_reserve(&mut self, nodes: usize, edges: usize) -> Result<(), GraphError> {
        reserve(&self.nodes, &mut self.node_chunks, nodes)?;
        reserve(&self.edges, &mut self.edge_chunks, edges)
    }

    pub fn add_node(&mut self, weight: Elem) -> NodeId {
        reserve(&self.nodes, &mut self.node_chunks, 1).expect("capacity overflow");
        nid(self.nodes.insert(MNode { weight, out: Vec::new(), inc: Vec::new() }))
    }

    pub fn remove_node(&mut self, id: NodeId) -> Option<Elem> {
        let key = self.node_key(id)?;
        // The graph's order: the out list, then what is left of the in list (not self-loops).
        let node = self.node(key);
        let is_loop = |e: &u32| self.edges.get(*e).is_some_and(|edge| edge.source == key);
        let doomed: Vec<u32> =
            node.out.iter().chain(node.inc.iter().filter(|e| !is_loop(e))).copied().collect();
        let weights: Vec<Elem> = doomed.into_iter().map(|e| self.unlink_edge(e)).collect();
        let node = self.nodes.remove(key).expect("a live node");
        // Like the graph's guard: if an edge weight's drop panics, the other edge weights are
        // still dropped, then the node's.
        drop(weights);
        Some(node.weight)
    }

    pub fn add_edge(
        &mut self,
        from: NodeId,
        to: NodeId,
        weight: Elem,
    ) -> Result<EdgeId, GraphError> {
        let (source, target) = (self.live(from)?, self.live(to)?);
        reserve(&self.edges, &mut self.edge_chunks, 1).expect("capacity overflow");
        let e = self.edges.insert(MEdge { weight, source, target });
        self.attach(e, source, target);
        Ok(eid(e))
    }

    pub fn remove_edge(&mut self, id: EdgeId) -> Option<Elem> {
        let e = self.edge_key(id)?;
        Some(self.unlink_edge(e))
    }

    pub fn reconnect_edge(
        &mut self,
        id: EdgeId,
        from: NodeId,
        to: NodeId,
    ) -> Result<(), GraphError> {
        let e = self.edge_key(id).ok_or(GraphError::StaleEdge(id))?;
        let (source, target) = (self.live(from)?, self.live(to)?);
        self.detach(e);
        self.attach(e, source, target);
        Ok(())
    }

    pub fn contains_node(&self, id: NodeId) -> bool {
        self.node_key(id).is_some()
    }

    pub fn contains_edge(&self, id: EdgeId) -> bool {
        self.edge_key(id).is_some()
    }

    pub fn node_weight(&self, id: NodeId) -> Option<&Elem> {
        self.node_key(id).map(|k| &self.node(k).weight)
    }

    pub fn node_weight_mut(&mut self, id: NodeId) -> Option<&mut Elem> {
        let k = self.node_key(id)?;
        self.nodes.get_mut(k).map(|n| &mut n.weight)
    }

    pub fn edge_weight(&self, id: EdgeId) -> Option<&Elem> {
        self.edge_key(id).map(|k| self.edge_ref(k).weight)
    }

    pub fn edge_weight_mut(&mut self, id: EdgeId) -> Option<&mut Elem> {
        let k = self.edge_key(id)?;
        self.edges.get_mut(k).map(|e| &mut e.weight)
    }

    pub fn edge_endpoints(&self, id: EdgeId) -> Option<(NodeId, NodeId)> {
        self.edge_key(id).map(|k| self.edge_ref(k)).map(|e| (e.source, e.target))
    }

    pub fn out_degree(&self, id: NodeId) -> Option<usize> {
        self.node_key(id).map(|k| self.node(k).out.len())
    }

    pub fn in_degree(&self, id: NodeId) -> Option<usize> {
        self.node_key(id).map(|k| self.node(k).inc.len())
    }

    fn adjacent(&self, id: NodeId, out: bool) -> impl Walk<Item = EdgeRef<'_, Elem>> {
        let node = self.node_key(id).map(|k| self.node(k));
        let list = node.map_or(&[][..], |n| if out { &n.out } else { &n.inc });
        list.iter().map(|&e| self.edge_ref(e))
    }

    pub fn edges_out(&self, id: NodeId) -> impl Walk<Item = EdgeRef<'_, Elem>> {
        self.adjacent(id, true)
    }

    pub fn edges_in(&self, id: NodeId) -> impl Walk<Item = EdgeRef<'_, Elem>> {
        self.adjacent(id, false)
    }

    pub fn neighbors_out(&self, id: NodeId) -> impl Walk<Item = NodeId> {
        self.edges_out(id).map(|e| e.target)
    }

    pub fn neighbors_in(&self, id: NodeId) -> impl Walk<Item = NodeId> {
        self.edges_in(id).map(|e| e.source)
    }

    pub fn nodes(&self) -> impl Walk<Item = (NodeId, &Elem)> {
        let nodes: Vec<_> = self.nodes.iter().map(|(k, n)| (nid(k), &n.weight)).collect();
        nodes.into_iter()
    }

    pub fn node_ids(&self) -> impl Walk<Item = NodeId> {
        self.nodes.keys().map(nid).collect::<Vec<_>>().into_iter()
    }

    pub fn edges(&self) -> impl Walk<Item = EdgeRef<'_, Elem>> {
        self.edges.keys().map(|e| self.edge_ref(e)).collect::<Vec<_>>().into_iter()
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node_capacity(&self) -> usize {
        capacity(self.node_chunks)
    }

    pub fn edge_capacity(&self) -> usize {
        capacity(self.edge_chunks)
    }

    /// Preorder, following out lists in order.
    pub fn dfs(&self, start: NodeId) -> impl Iterator<Item = NodeId> {
        let mut order = Vec::new();
        if let Some(start) = self.node_key(start) {
            let mut seen = BTreeSet::from([start]);
            order.push(start);
            // Per node on the path: its successors not yet looked at.
            let mut stack = vec![self.successors(start)];
            while let Some(next) = stack.last_mut().map(Iterator::next) {
                match next {
                    None => drop(stack.pop()),
                    Some(node) if seen.insert(node) => {
                        order.push(node);
                        stack.push(self.successors(node));
                    }
                    Some(_) => {}
                }
            }
        }
        order.into_iter().map(nid)
    }

    /// By distance; nodes at the same distance in the order their first in-edge is found.
    pub fn bfs(&self, start: NodeId) -> impl Iterator<Item = NodeId> {
        let mut order = Vec::new();
        if let Some(start) = self.node_key(start) {
            let mut seen = BTreeSet::from([start]);
            let mut queue = VecDeque::from([start]);
            while let Some(node) = queue.pop_front() {
                order.push(node);
                queue.extend(self.successors(node).filter(|&next| seen.insert(next)));
            }
        }
        order.into_iter().map(nid)
    }

    pub fn clear(&mut self) {
        let edges: Vec<u32> = self.edges.keys().collect();
        let edges: Vec<Elem> = edges.into_iter().map(|e| self.unlink_edge(e)).collect();
        let nodes: Vec<u32> = self.nodes.keys().collect();
        let nodes: Vec<MNode> = nodes.into_iter().filter_map(|n| self.nodes.remove(n)).collect();
        // Like the graph's guard: a panicking drop does not stop the others.
        drop((edges, nodes));
    }

    pub fn retain_nodes<F: FnMut(NodeId, &mut Elem) -> bool>(&mut self, mut keep: F) {
        for slot in 0..self.nodes.slots() {
            let Some(key) = self.nodes.key_at(slot) else {
                continue;
            };
            let node = self.nodes.get_mut(key).expect("a live node");
            if !keep(nid(key), &mut node.weight) {
                drop(self.remove_node(nid(key)));
            }
        }
    }

    /// `ArenaModel::compact` of the nodes, with their edges re-pointed; then both arenas trim.
    pub fn compact(&mut self) -> ModelRemap {
        let moved = self.nodes.compact();
        for &(_, new) in &moved {
            let node = self.nodes.get(new).expect("a moved node");
            node.out.iter().for_each(|&e| self.edges.get_mut(e).expect("an edge").source = new);
            node.inc.iter().for_each(|&e| self.edges.get_mut(e).expect("an edge").target = new);
        }
        self.edges.trim();
        self.node_chunks = chunks_for(self.nodes.slots());
        self.edge_chunks = chunks_for(self.edges.slots());
        ModelRemap(moved.into_iter().map(|(old, new)| (nid(old), nid(new))).collect())
    }
}

// ----- driving both sides ---------------------------------------------------------------------

/// A graph with the handles of its nodes and edges.
#[derive(Clone, Debug, Default)]
pub struct Instance<G> {
    graph: G,
    nodes: Handles<NodeId>,
    edges: Handles<EdgeId>,
}

/// One side: the graph the ops work on, and the backup that [`Op::Clone`] and [`Op::Swap`] use.
#[derive(Debug, Default)]
pub struct Side<G> {
    main: Instance<G>,
    backup: Option<Instance<G>>,
}

/// A count as compared.
fn n(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(UNKNOWN)
}

/// The same index, with `delta` added to the generation.
fn forge(index: usize, generation: u32, delta: u32) -> (u32, u32) {
    let index = u32::try_from(index).expect("indices fit in a u32");
    (index, generation.wrapping_add(delta))
}

/// `Unit`, or the error, named the same way on both sides: by which of the op's ids it names.
fn outcome(
    r: Result<(), GraphError>,
    edge: Option<EdgeId>,
    from: Option<NodeId>,
    to: Option<NodeId>,
) -> Out<u32> {
    let Err(err) = r else { return Out::Unit };
    Out::Error(match err {
        GraphError::StaleNode(id) if Some(id) == from => "stale node: from",
        GraphError::StaleNode(id) if Some(id) == to => "stale node: to",
        GraphError::StaleNode(_) => "stale node: another",
        GraphError::StaleEdge(id) if Some(id) == edge => "stale edge",
        GraphError::StaleEdge(_) => "stale edge: another",
        GraphError::CapacityOverflow => "capacity overflow",
        _ => "other",
    })
}

/// `(usize::MAX - shortfall)` nodes, or as many edges.
fn huge(nodes: bool, shortfall: u8) -> (usize, usize) {
    let n = usize::MAX - usize::from(shortfall);
    if nodes { (n, 0) } else { (0, n) }
}

/// What an op takes from `iter` (see [`Op`]): the items taken (with what `Exhaust` consumed
/// last), `len()` after the front and back were taken, and what a clone yielded then; each item
/// as `f` reports it.
fn take<I: Walk, V: IntoIterator<Item = u32>>(
    mut iter: I,
    (front, back): (u8, u8),
    finish: Finish,
    f: impl Fn(I::Item) -> V,
) -> Vec<Out<u32>> {
    let mut got = take_ends(&mut iter, front.into(), back.into());
    let (len, rest) = (iter.len(), Out::values(iter.clone().flat_map(&f)));
    finish.end(iter, &mut got, |item| item);
    vec![Out::values(got.into_iter().flat_map(&f)), len.into(), rest]
}

fn counts<G: Graph>(g: &G) -> [u32; 5] {
    let empty = usize::from(g.is_empty());
    [g.node_count(), g.edge_count(), empty, g.node_capacity(), g.edge_capacity()].map(n)
}

impl<G: Graph> Instance<G> {
    fn of(graph: G) -> Self {
        Instance { graph, nodes: Handles::new(), edges: Handles::new() }
    }

    fn node(&self, pick: Pick) -> Option<NodeId> {
        self.nodes.pick(pick, |id, delta| {
            let (index, generation) = forge(id.index(), id.generation(), delta);
            NodeId::from_raw_parts(index, generation)
        })
    }

    fn edge(&self, pick: Pick) -> Option<EdgeId> {
        self.edges.pick(pick, |id, delta| {
            let (index, generation) = forge(id.index(), id.generation(), delta);
            EdgeId::from_raw_parts(index, generation)
        })
    }

    fn node_pos(&self, id: NodeId) -> u32 {
        self.nodes.position(&id).map_or(UNKNOWN, n)
    }

    fn edge_pos(&self, id: EdgeId) -> u32 {
        self.edges.position(&id).map_or(UNKNOWN, n)
    }

    fn view(&self, e: EdgeRef<'_, Elem>) -> [u32; 4] {
        let at = |id| self.node_pos(id);
        [self.edge_pos(e.id), at(e.source), at(e.target), **e.weight]
    }

    /// Runs `f` on the graph, then moves the handles of what it no longer has to the removed
    /// lists, also when `f` raises an injected panic: the graph finishes a removal while
    /// unwinding, and the handles must follow. (After a real panic the graph may be corrupt:
    /// it is reported as it is.)
    fn removing<R>(&mut self, f: impl FnOnce(&mut G) -> R) -> R {
        let result = panic::catch_unwind(AssertUnwindSafe(|| f(&mut self.graph)));
        if result.as_ref().map_or_else(|p| p.is::<InjectedPanic>(), |_| true) {
            let graph = &self.graph;
            self.nodes.retain(|&id| graph.contains_node(id));
            self.edges.retain(|&id| graph.contains_edge(id));
        }
        result.unwrap_or_else(|payload| panic::resume_unwind(payload))
    }

    fn apply(&mut self, op: &Op) -> Vec<Out<u32>> {
        let g = &self.graph;
        let at = |id| self.node_pos(id);
        let unit = Out::Unit;
        let out = match *op {
            Op::AddNode(value) => {
                let id = self.graph.add_node(Tracked::new(value));
                self.nodes.push(id);
                unit
            }
            Op::RemoveNode(sel) => {
                self.node(sel).map_or(unit, |id| self.removing(|g| g.remove_node(id)).into())
            }
            Op::AddEdge { from, to, weight } => match (self.node(from), self.node(to)) {
                (Some(a), Some(b)) => match self.graph.add_edge(a, b, Tracked::new(weight)) {
                    Ok(id) => self.edges.push(id).into(),
                    Err(e) => outcome(Err(e), None, Some(a), Some(b)),
                },
                _ => unit,
            },
            Op::RemoveEdge(sel) => {
                self.edge(sel).map_or(unit, |id| self.removing(|g| g.remove_edge(id)).into())
            }
            Op::ReconnectEdge { edge, from, to } => {
                match (self.edge(edge), self.node(from), self.node(to)) {
                    (Some(e), Some(a), Some(b)) => {
                        outcome(self.graph.reconnect_edge(e, a, b), Some(e), Some(a), Some(b))
                    }
                    _ => unit,
                }
            }
            Op::ContainsNode(sel) => self.node(sel).map_or(unit, |id| g.contains_node(id).into()),
            Op::ContainsEdge(sel) => self.edge(sel).map_or(unit, |id| g.contains_edge(id).into()),
            Op::NodeWeight(sel) => self.node(sel).map_or(unit, |id| g.node_weight(id).into()),
            Op::EdgeWeight(sel) => self.edge(sel).map_or(unit, |id| g.edge_weight(id).into()),
            Op::SetNodeWeight { node, value } => self.node(node).map_or(unit, |id| {
                let slot = self.graph.node_weight_mut(id);
                slot.map(|w| *w = Tracked::new(value)).is_some().into()
            }),
            Op::SetEdgeWeight { edge, value } => self.edge(edge).map_or(unit, |id| {
                let slot = self.graph.edge_weight_mut(id);
                slot.map(|w| *w = Tracked::new(value)).is_some().into()
            }),
            Op::EdgeEndpoints(sel) => self.edge(sel).map_or(unit, |id| {
                Out::values(g.edge_endpoints(id).into_iter().flat_map(|(s, t)| [at(s), at(t)]))
            }),
            Op::Degrees(sel) => self.node(sel).map_or(unit, |id| {
                Out::values([g.out_degree(id), g.in_degree(id)].map(|d| d.map_or(UNKNOWN, n)))
            }),
            Op::Neighbors { node, dir, front, back, finish } => {
                let Some(id) = self.node(node) else {
                    return vec![unit];
                };
                return match dir {
                    Direction::Out => take(g.neighbors_out(id), (front, back), finish, |n| [at(n)]),
                    Direction::In => take(g.neighbors_in(id), (front, back), finish, |n| [at(n)]),
                };
            }
            Op::AdjacentEdges { node, dir, front, back, finish } => {
                let Some(id) = self.node(node) else {
                    return vec![unit];
                };
                let view = |e| self.view(e);
                return match dir {
                    Direction::Out => take(g.edges_out(id), (front, back), finish, view),
                    Direction::In => take(g.edges_in(id), (front, back), finish, view),
                };
            }
            // The model's `nodes`, `node_ids` and `edges` own a buffer: never forgotten.
            Op::Nodes { front, back } => {
                return take(g.nodes(), (front, back), Finish::Drop, |(id, w)| [at(id), **w]);
            }
            Op::NodeIds { front, back } => {
                return take(g.node_ids(), (front, back), Finish::Drop, |id| [at(id)]);
            }
            Op::Edges { front, back } => {
                return take(g.edges(), (front, back), Finish::Drop, |e| self.view(e));
            }
            Op::Counts => Out::values(counts(g)),
            Op::Dfs { start, take } => {
                self.node(start).map_or(unit, |id| Out::values(g.dfs(id).take(take.into()).map(at)))
            }
            Op::Bfs { start, take } => {
                self.node(start).map_or(unit, |id| Out::values(g.bfs(id).take(take.into()).map(at)))
            }
            Op::Clear => {
                // Every id is stale from now on, even if a weight's drop panics.
                self.nodes.remove_all();
                self.edges.remove_all();
                self.graph.clear().into()
            }
            Op::RetainNodes { add, pivot } => {
                let pivot = Tracked::new(pivot);
                let bump = |w: &mut Elem| (*w.get_mut() = w.wrapping_add(add), *w >= pivot).1;
                self.removing(|g| g.retain_nodes(|_, w| bump(w))).into()
            }
            Op::Compact => return self.compact(),
            Op::TryReserve { nodes, edges } => {
                outcome(self.graph.try_reserve(nodes.into(), edges.into()), None, None, None)
            }
            Op::TryReserveOverflow { nodes, shortfall } => {
                let (n, e) = huge(nodes, shortfall);
                outcome(self.graph.try_reserve(n, e), None, None, None)
            }
            _ => unreachable!("{op:?} is applied by `apply`"),
        };
        vec![out]
    }

    /// Compacts and remaps the node handles; reports the remap (each pair as positions before
    /// and after, each handle's `get`, `len`, `is_empty`, and whether it iterates backwards
    /// alike) and the moved nodes' lists.
    fn compact(&mut self) -> Vec<Out<u32>> {
        let before = self.nodes.live().to_vec();
        let remap = self.graph.compact();
        self.nodes.rename(|&id| remap.map(id));
        let pairs: Vec<_> = remap.iter().collect();
        let mut backwards: Vec<_> = remap.iter().rev().collect();
        backwards.reverse();
        let reversible = backwards == pairs && remap.iter().len() == pairs.len();
        let moved = pairs.iter().flat_map(|&(old, new)| {
            [before.iter().position(|&h| h == old).map_or(UNKNOWN, n), self.node_pos(new)]
        });
        let mut out = vec![Out::values(moved), remap.len().into(), remap.is_empty().into()];
        out.push(reversible.into());
        out.extend(before.iter().map(|&h| remap.get(h).map(|new| self.node_pos(new)).into()));
        for &(_, new) in &pairs {
            let g = &self.graph;
            out.push(Out::values(g.edges_out(new).flat_map(|e| self.view(e))));
            out.push(Out::values(g.edges_in(new).flat_map(|e| self.view(e))));
        }
        out
    }
}

/// Applies `op` to one side, the same way on both.
fn apply<G: Graph>(side: &mut Side<G>, op: &Op) -> Vec<Out<u32>> {
    let out = match *op {
        Op::WithCapacity { nodes, edges } => {
            let graph = G::with_capacity(nodes.into(), edges.into());
            drop(mem::replace(&mut side.main, Instance::of(graph))).into()
        }
        Op::WithCapacityOverflow { nodes, shortfall } => {
            let (n, e) = huge(nodes, shortfall);
            panics_if(true, || drop(G::with_capacity(n, e))).into()
        }
        Op::Clone => drop(side.backup.replace(side.main.clone())).into(),
        Op::Swap => match &mut side.backup {
            Some(backup) => mem::swap(&mut side.main, backup).into(),
            None => Out::Unit,
        },
        Op::Reset => drop(mem::take(&mut side.main)).into(),
        _ => return side.main.apply(op),
    };
    vec![out]
}

// ----- states ---------------------------------------------------------------------------------

/// Everything observable about one graph, each value tagged with what it is: the counts,
/// `nodes()`, `edges()`, then each live node handle's weight, degrees and lists, and each live
/// edge handle's endpoints and weight.
fn snapshot<G: Graph>(inst: &Instance<G>, items: &mut Vec<(&'static str, u32)>) {
    let (g, at) = (&inst.graph, |id| inst.node_pos(id));
    let weight = |w: Option<&Elem>| w.map_or(UNKNOWN, |w| **w);
    items.extend(counts(g).map(|c| ("count", c)));
    items.extend(g.nodes().flat_map(|(id, w)| [("node", at(id)), ("weight", **w)]));
    items.extend(g.edges().flat_map(|e| inst.view(e).map(|v| ("edge", v))));
    for &h in inst.nodes.live() {
        let degrees = [g.out_degree(h), g.in_degree(h)].map(|d| ("degree", d.map_or(UNKNOWN, n)));
        items.extend([("node weight", weight(g.node_weight(h)))].into_iter().chain(degrees));
        items.extend(g.edges_out(h).map(|e| ("out", inst.edge_pos(e.id))));
        items.extend(g.edges_in(h).map(|e| ("in", inst.edge_pos(e.id))));
    }
    for &h in inst.edges.live() {
        let (s, t) = g.edge_endpoints(h).map_or((UNKNOWN, UNKNOWN), |(s, t)| (at(s), at(t)));
        items.extend([("source", s), ("target", t), ("edge weight", weight(g.edge_weight(h)))]);
    }
}

/// Both graphs of a side.
fn state<G: Graph>(side: &Side<G>) -> impl Iterator<Item = (&'static str, u32)> {
    let mut items = Vec::new();
    snapshot(&side.main, &mut items);
    if let Some(backup) = &side.backup {
        items.push(("backup", 0));
        snapshot(backup, &mut items);
    }
    items.into_iter()
}

lockstep::spec! {
    /// The spec: `ArenaGraph<Tracked<u32>, Tracked<u32>>` against [`GraphModel`].
    pub struct GraphSpec {
        type Op = Op;
        type Model = Side<GraphModel>;
        type Subject = Side<ArenaGraph<Elem, Elem>>;
        type Output = Vec<Out<u32>>;
        type Item = (&'static str, u32);
        apply = apply;
        state = state;

        fn check_invariants(subject: &Self::Subject) {
            subject.main.graph.check_invariants();
            if let Some(backup) = &subject.backup {
                backup.graph.check_invariants();
            }
        }
    }
}
