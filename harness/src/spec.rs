//! The [`Spec`] trait: the one thing a user writes per structure.

use std::fmt::Debug;

use arbitrary::Arbitrary;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How to drive one structure and its model.
///
/// A spec names an operation type, a subject (the structure under test, plus whatever handles
/// the spec keeps for it), a model (std collections, plus the same handles), how to create both,
/// how to apply one operation to each and what it returns, and how to snapshot a whole state.
/// The runner does the rest: decode, apply, compare, check invariants, account for every
/// [`Tracked`](crate::Tracked) value.
///
/// Operations that are invalid in the current state (an out-of-range index, a removed handle)
/// should be no-ops or return an error value on both sides, never be rejected: that is how the
/// misuse paths of an API are reached.
pub trait Spec {
    /// One operation. Decoded from fuzzer bytes by `arbitrary`; written to and read from traces by
    /// serde (so add variants freely, but renaming one breaks stored traces).
    type Op: for<'a> Arbitrary<'a> + Clone + Debug + Serialize + DeserializeOwned;
    /// The structure under test, with any handles the spec keeps for it.
    type Subject;
    /// The safe model, with the same handles.
    type Model;
    /// What an operation returns; the model's and the subject's must be equal.
    type Output: PartialEq + Debug;
    /// A whole-state snapshot; the model's and the subject's must be equal.
    type State: PartialEq + Debug;

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
    /// The model's whole state.
    fn model_state(model: &Self::Model) -> Self::State;
    /// The subject's whole state.
    fn subject_state(subject: &Self::Subject) -> Self::State;

    /// Run settings for this spec.
    fn config() -> Config {
        Config::default()
    }
}

/// Run settings: how many ops to decode and how often to compare whole states.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// At most this many ops are decoded from fuzzer bytes; the rest of an input is ignored.
    /// Default 512.
    pub max_ops: usize,
    /// Whole states are compared before the first op, after every `state_every`-th op and after
    /// the last one. Default 1 (every step); raise it when snapshots are large compared to an op.
    pub state_every: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_ops: 512,
            state_every: 1,
        }
    }
}

impl Config {
    /// Sets [`Config::max_ops`].
    pub fn with_max_ops(mut self, max_ops: usize) -> Self {
        self.max_ops = max_ops;
        self
    }

    /// Sets [`Config::state_every`] (0 is taken as 1).
    pub fn with_state_every(mut self, state_every: usize) -> Self {
        self.state_every = state_every.max(1);
        self
    }
}
