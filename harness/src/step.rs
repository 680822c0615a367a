//! [`Step`]: what a run applies, one of the spec's ops or a panic the runner arms.

use std::fmt;

use arbitrary::{Arbitrary, Unstructured};
use serde::{Deserialize, Serialize, Serializer};

use crate::tracked::PanicPlan;

/// One step of a run: an op of the spec's, or a [`PanicPlan`] the runner arms for the next op.
///
/// A spec has no variant for arming panics: when [`Config::injected_panics`] is on (the
/// default) the runner decodes about one step in [`ARMS_ONE_IN`] as an arm, and a trace writes
/// it as a line of its own, `Arm(Clone(after: 1))`. An op enum must not have a variant called
/// `Arm` of its own: a trace line of that name is read as the runner's.
///
/// [`Config::injected_panics`]: crate::Config::injected_panics
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Step<Op> {
    /// An op of the spec.
    Op(Op),
    /// Arms a panic in the next op: its `after + 1`-th clone, drop or comparison of a tracked
    /// value panics, once on each side (see [`PanicPlan`]).
    Arm(PanicPlan),
}

/// About one step in this many is decoded as an [`Step::Arm`].
pub const ARMS_ONE_IN: u8 = 32;

/// The events counted by a decoded plan: at most this many pass before the one that panics (an
/// op rarely has more, and a plan that never fires tests nothing).
const SOON: u8 = 16;

impl<Op> Step<Op> {
    /// Decodes one step: a selector byte, then the arm's plan or the op.
    pub(crate) fn decode<'a>(u: &mut Unstructured<'a>) -> arbitrary::Result<Self>
    where
        Op: Arbitrary<'a>,
    {
        // The top 256 / ARMS_ONE_IN selector values (248 to 255), so that
        // zero bytes (what `arbitrary` reads past the end) are ops.
        if u8::arbitrary(u)? >= u8::MAX - (u8::MAX / ARMS_ONE_IN) {
            let plan = PanicPlan::arbitrary(u)?.map_after(|n| n % SOON);
            return Ok(Step::Arm(plan));
        }
        Op::arbitrary(u).map(Step::Op)
    }

    /// The op, if this step is one.
    pub fn op(&self) -> Option<&Op> {
        match self {
            Step::Op(op) => Some(op),
            Step::Arm(_) => None,
        }
    }
}

impl<Op> From<Op> for Step<Op> {
    fn from(op: Op) -> Self {
        Step::Op(op)
    }
}

/// An op as itself, an arm as `Arm(plan)`: how traces and reports show steps.
impl<Op: fmt::Debug> fmt::Debug for Step<Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Op(op) => op.fmt(f),
            Step::Arm(plan) => write!(f, "Arm({plan:?})"),
        }
    }
}

/// An op as itself, an arm as the variant `Arm` of an enum: a trace line `Arm(Clone(after: 1))`.
impl<Op: Serialize> Serialize for Step<Op> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Step::Op(op) => op.serialize(serializer),
            Step::Arm(plan) => serializer.serialize_newtype_variant("Step", 1, "Arm", plan),
        }
    }
}

/// A trace line that arms a panic, as [`Step`]'s `Serialize` writes it.
#[derive(Deserialize)]
pub(crate) enum ArmLine {
    Arm(PanicPlan),
}

/// `ops` as the steps of a run, for calling [`run`](crate::run) from a test:
/// `run::<MySpec>(&steps([Op::Push(1), Op::Pop]))`.
pub fn steps<Op>(ops: impl IntoIterator<Item = Op>) -> Vec<Step<Op>> {
    ops.into_iter().map(Step::Op).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes steps of `u8` ops from `data` until it runs out.
    fn decode_all(data: &[u8]) -> Vec<Step<u8>> {
        let mut u = Unstructured::new(data);
        let mut steps = Vec::new();
        while !u.is_empty() {
            steps.push(Step::decode(&mut u).unwrap());
        }
        steps
    }

    #[test]
    fn about_one_step_in_32_arms_a_panic_that_comes_soon_and_zeros_never_do() {
        // Each selector byte, followed by what a plan or an op is decoded from.
        let arms: Vec<PanicPlan> = (0..=255_u8)
            .filter_map(|s| match decode_all(&[s, 9, 1, 2, 3, 250])[0] {
                Step::Arm(plan) => Some(plan),
                Step::Op(_) => None,
            })
            .collect();
        assert_eq!(arms.len(), 256 / usize::from(ARMS_ONE_IN));
        assert!(arms.iter().all(|p| p.after() < SOON), "{arms:?}");
        assert!(decode_all(&[0; 64]).iter().all(|s| s.op().is_some()));
    }
}
