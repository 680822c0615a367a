//! The [`Spec`] trait: the one thing a user writes per structure.

use std::fmt::Debug;
use std::hash::Hash;

use arbitrary::Arbitrary;
use serde::Serialize;

use crate::HasEffect;
use serde::de::DeserializeOwned;

/// How to drive one structure and its model.
///
/// A spec names an operation type, a subject (the structure under test, plus whatever handles
/// the spec keeps for it), a model (std collections, plus the same handles), how to create both,
/// how to apply one operation to each and what it returns, and how to list a whole state as a
/// sequence of items. The runner does the rest: decode, apply, compare, check invariants,
/// account for every [`Tracked`](crate::Tracked) value. [`spec!`](crate::spec) writes this
/// implementation from one generic `apply` and one `state` when both sides share an API.
///
/// Operations that are invalid in the current state (an out-of-range index, a removed handle)
/// are applied all the same, never rejected: they are no-ops, return an error value, or panic by
/// contract ([`panics_if`](crate::panics_if)) on both sides. That is how the misuse paths of an
/// API are reached.
pub trait Spec {
    /// One operation. Decoded from fuzzer bytes by `arbitrary`; written to and read from traces by
    /// serde (so add variants freely, but renaming one breaks stored traces); hashed to choose
    /// which contract panics are raised for real (see [`panics_if`](crate::panics_if)).
    type Op: for<'a> Arbitrary<'a> + Clone + Debug + Hash + Serialize + DeserializeOwned;
    /// The structure under test, with any handles the spec keeps for it.
    type Subject;
    /// The safe model, with the same handles.
    type Model;
    /// What an operation returns; the model's and the subject's must be equal. Its
    /// [`HasEffect`] tells op coverage whether an op did anything ([`Out`](crate::Out), `Option`,
    /// `Vec`, `Result` and the primitives have it).
    type Output: PartialEq + Debug + HasEffect;
    /// One item of a whole state: the model's and the subject's states must be equal item by item.
    type Item: PartialEq + Debug;

    /// A fresh model.
    fn new_model() -> Self::Model;
    /// A fresh subject.
    fn new_subject() -> Self::Subject;
    /// Applies `op` to the model.
    fn apply_model(model: &mut Self::Model, op: &Self::Op) -> Self::Output;
    /// Applies `op` to the subject.
    fn apply_subject(subject: &mut Self::Subject, op: &Self::Op) -> Self::Output;
    /// Checks the subject's internal invariants, panicking on the first one broken.
    fn check_invariants(subject: &Self::Subject);
    /// The model's whole state, item by item. The runner compares it with the subject's as the
    /// two are listed, and collects them only to report a difference, so a state costs no
    /// allocation; a spec whose state is one value returns `std::iter::once(value)`.
    fn model_state(model: &Self::Model) -> impl Iterator<Item = Self::Item>;
    /// The subject's whole state, item by item.
    fn subject_state(subject: &Self::Subject) -> impl Iterator<Item = Self::Item>;

    /// Run settings for this spec.
    fn config() -> Config {
        Config::default()
    }
}

/// What a subject is held to after an [injected panic](crate::PanicPlan).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PanicPolicy {
    /// std's exact behaviour: after an injected panic, outputs, states and the drop accounting
    /// must still agree with the model (a std collection), so the subject clones and drops in
    /// std's order and leaks what std leaks. A difference is a *panic-safety* finding: reported
    /// and stored, but it fails a campaign only with `--fail-on panic-safety`.
    #[default]
    Exact,
    /// Memory safety only: after an injected panic the subject's invariants must hold, no
    /// tracked value may be dropped twice or used after its drop, and the subject must drop
    /// without undefined behaviour; it may leak, and it may differ from the model. The run ends
    /// after the step the panic fired in (the two sides may rightly differ from there on). For
    /// structures that document weaker guarantees than std's under a panic.
    MemorySafety,
}

/// When the runner checks the subject's invariants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvariantChecks {
    /// Whenever whole states are compared (see [`Config::state_every`]), after the last op, and
    /// after any op in which an injected panic fired. A broken invariant is still reported at
    /// the op that broke it: the runner runs the ops again to find the first one after which
    /// they fail, as it does for states. A `check_invariants` that walks the whole structure
    /// after every O(1) op would make a run quadratic, and even a cheap one costs a run as much
    /// as a tenth of its time. The price: ops go on after the one that broke an invariant until
    /// the next check, and a later op may crash on the corrupt structure first (still found,
    /// under a sanitizer, as that crash; shrinking then usually ends the case at the op that
    /// broke it).
    #[default]
    WithStates,
    /// After every op: a broken invariant is caught at the op that broke it, before any later op
    /// can turn it into a crash.
    EveryOp,
}

/// Run settings: how many ops to decode, how often to compare whole states and check
/// invariants, and what a panic in user code must leave behind.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// At most this many ops are decoded from fuzzer bytes; the rest of an input is ignored.
    /// Default 512.
    pub max_ops: usize,
    /// When whole states are compared, besides before the first op and after the last: after
    /// every `state_every`-th op, or, with 0 (the default), after ops 1, 2, 4, 8, ... A
    /// difference is reported at the step that made it either way: when a comparison finds one,
    /// the runner runs the ops again to find the first step after which the states differ. So
    /// the default costs a comparison per doubling of the run and loses nothing but the time to
    /// find that step; 1 compares after every op (the run stops at the first difference at
    /// once, and a subject is never driven on from a state that already differs).
    pub state_every: usize,
    /// When the subject's invariants are checked. Default [`InvariantChecks::WithStates`].
    pub invariants: InvariantChecks,
    /// What the subject is held to after an injected panic. Default [`PanicPolicy::Exact`].
    pub panic_policy: PanicPolicy,
    /// Whether the runner arms injected panics: when on (the default), about one step in
    /// [`ARMS_ONE_IN`](crate::ARMS_ONE_IN) decoded from fuzzer bytes is a
    /// [`Step::Arm`](crate::Step::Arm) instead of an op. Off for a structure that holds no
    /// [`Tracked`](crate::Tracked) values, whose arms would fire nowhere.
    pub injected_panics: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_ops: 512,
            state_every: 0,
            invariants: InvariantChecks::WithStates,
            injected_panics: true,
            panic_policy: PanicPolicy::Exact,
        }
    }
}

impl Config {
    /// Sets [`Config::max_ops`].
    pub fn with_max_ops(mut self, max_ops: usize) -> Self {
        self.max_ops = max_ops;
        self
    }

    /// Sets [`Config::panic_policy`].
    pub fn with_panic_policy(mut self, policy: PanicPolicy) -> Self {
        self.panic_policy = policy;
        self
    }

    /// Sets [`Config::state_every`] (0: after ops 1, 2, 4, 8, ...).
    pub fn with_state_every(mut self, state_every: usize) -> Self {
        self.state_every = state_every;
        self
    }

    /// Sets [`Config::injected_panics`].
    pub fn with_injected_panics(mut self, on: bool) -> Self {
        self.injected_panics = on;
        self
    }

    /// Sets [`Config::invariants`].
    pub fn with_invariants(mut self, invariants: InvariantChecks) -> Self {
        self.invariants = invariants;
        self
    }
}
