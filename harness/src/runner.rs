//! The runner: one decoding path and one loop, used by every engine and by replay.

use std::fmt;

use arbitrary::{Arbitrary, Unstructured};
use serde::{Deserialize, Serialize};

use crate::finding::{Class, Severity};
use crate::panics::{self, Caught, PanicReport};
use crate::spec::{Config, PanicPolicy, Spec};
use crate::tracked::{Event, Side, Violation, ledger};

/// Decodes fuzzer bytes into at most [`Config::max_ops`] ops of `S`.
///
/// Ops are read one after another until the bytes run out; an op that cannot be decoded from
/// what is left ends the sequence. Every engine, and replay, decodes through this function, so
/// a case found by one replays identically in all.
pub fn decode<S: Spec>(data: &[u8]) -> Vec<S::Op> {
    let max_ops = S::config().max_ops;
    let mut u = Unstructured::new(data);
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < max_ops {
        match S::Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    ops
}

/// Decodes `data` and runs it: the function every fuzz target calls.
pub fn run_bytes<S: Spec>(data: &[u8]) -> Outcome<S::Op> {
    run::<S>(&decode::<S>(data))
}

/// Runs `ops` with the spec's [`Config`].
pub fn run<S: Spec>(ops: &[S::Op]) -> Outcome<S::Op> {
    run_with::<S>(ops, &S::config())
}

/// Where in a run a failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Creating the structures or checking the initial state.
    Start,
    /// Applying the op with this index (from 0), or checking right after it.
    Step(usize),
    /// Dropping the structures after the last op, and the final accounting.
    End,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Start => f.write_str("start"),
            Phase::Step(i) => write!(f, "step {i}"),
            Phase::End => f.write_str("end (drop and final accounting)"),
        }
    }
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "class")]
#[non_exhaustive]
pub enum FailureKind {
    /// The op returned different values on the two sides.
    Divergence {
        /// The model's output.
        model: String,
        /// The subject's output.
        subject: String,
    },
    /// The whole states differ.
    StateMismatch {
        /// The model's state.
        model: String,
        /// The subject's state.
        subject: String,
    },
    /// `check_invariants` panicked.
    Invariant {
        /// Its message.
        message: String,
        /// Where it panicked.
        location: Option<String>,
    },
    /// The subject panicked (not an injected panic).
    Panic {
        /// The panic message.
        message: String,
        /// Where it panicked.
        location: Option<String>,
        /// The backtrace, when `RUST_BACKTRACE` asked for one.
        backtrace: Option<String>,
    },
    /// The model panicked: a bug in the spec, not in the subject.
    ModelPanic {
        /// The panic message.
        message: String,
        /// Where it panicked.
        location: Option<String>,
    },
    /// The subject keeps more tracked values alive than the model: a leak.
    Leak {
        /// Values the model keeps alive.
        model: usize,
        /// Values the subject keeps alive.
        subject: usize,
    },
    /// The subject keeps fewer tracked values alive than the model: values dropped too early.
    EarlyDrop {
        /// Values the model keeps alive.
        model: usize,
        /// Values the subject keeps alive.
        subject: usize,
    },
    /// A tracked value was dropped twice.
    DoubleDrop {
        /// What the ledger saw.
        detail: String,
    },
    /// A tracked value was read after its drop.
    UseAfterDrop {
        /// What the ledger saw.
        detail: String,
    },
}

impl FailureKind {
    /// The class of failure (`divergence`, `leak`, ...).
    pub fn class(&self) -> Class {
        match self {
            FailureKind::Divergence { .. } => Class::Divergence,
            FailureKind::StateMismatch { .. } => Class::StateMismatch,
            FailureKind::Invariant { .. } => Class::Invariant,
            FailureKind::Panic { .. } => Class::Panic,
            FailureKind::ModelPanic { .. } => Class::ModelPanic,
            FailureKind::Leak { .. } => Class::Leak,
            FailureKind::EarlyDrop { .. } => Class::EarlyDrop,
            FailureKind::DoubleDrop { .. } => Class::DoubleDrop,
            FailureKind::UseAfterDrop { .. } => Class::UseAfterDrop,
        }
    }

    /// Where the failure was raised, for panics and invariant violations.
    pub fn location(&self) -> Option<&str> {
        match self {
            FailureKind::Invariant { location, .. }
            | FailureKind::Panic { location, .. }
            | FailureKind::ModelPanic { location, .. } => location.as_deref(),
            _ => None,
        }
    }

    /// Whether the subject may be left corrupt, so dropping it could be undefined behaviour.
    fn subject_may_be_corrupt(&self) -> bool {
        matches!(
            self,
            FailureKind::Invariant { .. }
                | FailureKind::Panic { .. }
                | FailureKind::DoubleDrop { .. }
                | FailureKind::UseAfterDrop { .. }
        )
    }

    fn from_violation(v: &Violation) -> Self {
        let detail = v.to_string();
        match v {
            Violation::DoubleDrop { .. } => FailureKind::DoubleDrop { detail },
            Violation::UseAfterDrop { .. } => FailureKind::UseAfterDrop { detail },
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Divergence { model, subject } => {
                write!(
                    f,
                    "divergence: the op returned\n  model:   {model}\n  subject: {subject}"
                )
            }
            FailureKind::StateMismatch { model, subject } => {
                write!(
                    f,
                    "state mismatch:\n  model:   {model}\n  subject: {subject}"
                )
            }
            FailureKind::Invariant { message, location } => {
                write!(f, "invariant violated: {message}{}", at(location))
            }
            FailureKind::Panic {
                message, location, ..
            } => {
                write!(f, "the subject panicked: {message}{}", at(location))
            }
            FailureKind::ModelPanic { message, location } => {
                write!(
                    f,
                    "the model panicked (a bug in the spec): {message}{}",
                    at(location)
                )
            }
            FailureKind::Leak { model, subject } => write!(
                f,
                "leak: the subject keeps {subject} tracked values alive, the model {model}"
            ),
            FailureKind::EarlyDrop { model, subject } => write!(
                f,
                "early drop: the subject keeps {subject} tracked values alive, the model {model}"
            ),
            FailureKind::DoubleDrop { detail } => write!(f, "double drop: {detail}"),
            FailureKind::UseAfterDrop { detail } => write!(f, "use after drop: {detail}"),
        }
    }
}

fn at(location: &Option<String>) -> String {
    location
        .as_ref()
        .map(|l| format!(" (at {l})"))
        .unwrap_or_default()
}

/// A failed run: what went wrong, when, and the ops up to and including the failing one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure<Op> {
    /// What went wrong.
    pub kind: FailureKind,
    /// When.
    pub phase: Phase,
    /// The ops applied, up to and including the failing one (all of them at [`Phase::End`]).
    pub ops: Vec<Op>,
    /// Whether an injected panic fired before it (or in the failing step).
    pub after_injected_panic: bool,
}

impl<Op> Failure<Op> {
    /// How bad it is: a leak or a difference from the model after an injected panic is a
    /// panic-safety finding.
    pub fn severity(&self) -> Severity {
        Severity::of(&self.kind.class(), self.after_injected_panic)
    }
}

impl<Op: fmt::Debug> Failure<Op> {
    /// The native signature: the class, and where the failure was raised (`file:line` of a
    /// panic or broken invariant), or else the failing op's variant, or else the phase.
    pub fn signature(&self) -> String {
        let variant = match self.phase {
            Phase::Step(_) => self.ops.last().map(|op| format!("{op:?}")),
            Phase::Start | Phase::End => None,
        };
        native_signature(
            &self.kind,
            self.phase,
            variant.as_deref().map(crate::trace::op_variant),
        )
    }
}

/// The signature of a failure natively: `class at frame`. The frame is the place a panic or
/// broken invariant was raised (without its column), else `op Variant` for the failing op, else
/// the phase.
pub(crate) fn native_signature(kind: &FailureKind, phase: Phase, op: Option<&str>) -> String {
    let class = kind.class();
    match (kind.location(), op) {
        (Some(location), _) => {
            let at = location.rsplit_once(':').map_or(location, |(at, _col)| at);
            format!("{class} at {at}")
        }
        (None, Some(variant)) => format!("{class} at op {variant}"),
        (None, None) => format!("{class} at {phase}"),
    }
}

impl<Op: fmt::Debug> fmt::Display for Failure<Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed at {}", self.phase)?;
        if let (Phase::Step(i), Some(op)) = (self.phase, self.ops.last()) {
            debug_assert_eq!(i + 1, self.ops.len());
            write!(f, ", op {op:?}")?;
        }
        write!(f, ": {}", self.kind)
    }
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<Op> {
    /// Every check held.
    Pass {
        /// How many ops ran.
        steps: usize,
    },
    /// A check failed.
    Fail(Failure<Op>),
}

impl<Op> Outcome<Op> {
    /// Whether the run passed.
    pub fn is_pass(&self) -> bool {
        matches!(self, Outcome::Pass { .. })
    }

    /// The failure, if any.
    pub fn failure(&self) -> Option<&Failure<Op>> {
        match self {
            Outcome::Pass { .. } => None,
            Outcome::Fail(failure) => Some(failure),
        }
    }
}

/// What one side's step produced.
enum Applied<R> {
    Returned(R),
    Injected(Event),
}

impl<R: fmt::Debug> Applied<R> {
    fn describe(&self) -> String {
        match self {
            Applied::Returned(r) => format!("{r:?}"),
            Applied::Injected(event) => format!("panicked (injected panic in {event})"),
        }
    }
}

impl<R: PartialEq> PartialEq for Applied<R> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Applied::Returned(a), Applied::Returned(b)) => a == b,
            (Applied::Injected(a), Applied::Injected(b)) => a == b,
            _ => false,
        }
    }
}

/// Runs `f` as `side`'s step with `plan` counting down; a real panic comes back as `Err`.
/// Whether the plan fired is left in `fired`.
fn on_side<R>(
    side: Side,
    plan: Option<crate::PanicPlan>,
    fired: &mut bool,
    f: impl FnOnce() -> R,
) -> Result<Applied<R>, PanicReport> {
    ledger::begin_side(side, plan);
    let result = panics::catch(f);
    *fired |= ledger::end_side();
    match result {
        Ok(r) => Ok(Applied::Returned(r)),
        Err(Caught::Injected(p)) => Ok(Applied::Injected(p.event)),
        Err(Caught::Real(report)) => Err(report),
    }
}

fn model_panic(report: PanicReport) -> FailureKind {
    FailureKind::ModelPanic {
        message: report.message,
        location: report.location,
    }
}

fn subject_panic(report: PanicReport) -> FailureKind {
    FailureKind::Panic {
        backtrace: report.backtrace_text(),
        message: report.message,
        location: report.location,
    }
}

/// Checks the ledger after a step: double drops and uses after drop first, then whether both
/// sides keep the same number of values alive, give or take the `leaked` values a leak earlier
/// in the run already accounts for.
fn accounting(leaked: usize) -> Option<FailureKind> {
    if let Some(v) = ledger::take_violations().first() {
        return Some(FailureKind::from_violation(v));
    }
    let (model, subject) = ledger::live();
    if subject < model {
        Some(FailureKind::EarlyDrop { model, subject })
    } else if subject - model > leaked {
        Some(FailureKind::Leak { model, subject })
    } else {
        None
    }
}

/// The first leak of a run that went on past it.
struct FirstLeak {
    step: usize,
    kind: FailureKind,
    after_injected_panic: bool,
}

/// One run in progress.
struct Run<'a, S: Spec> {
    ops: &'a [S::Op],
    model: S::Model,
    subject: S::Subject,
    /// Whether an injected panic has fired so far.
    injected: bool,
}

impl<S: Spec> Run<'_, S> {
    fn check_invariants(&self) -> Option<FailureKind> {
        match panics::catch(|| S::check_invariants(&self.subject)) {
            Ok(()) => None,
            Err(Caught::Real(r)) => Some(FailureKind::Invariant {
                message: r.message,
                location: r.location,
            }),
            Err(Caught::Injected(p)) => Some(FailureKind::Invariant {
                message: format!("check_invariants raised an {p}"),
                location: None,
            }),
        }
    }

    fn compare_states(&self) -> Option<FailureKind> {
        let model = match on_side(Side::Model, None, &mut false, || {
            S::model_state(&self.model)
        }) {
            Ok(Applied::Returned(state)) => state,
            Ok(Applied::Injected(_)) => unreachable!("no plan is armed while taking states"),
            Err(report) => return Some(model_panic(report)),
        };
        let subject = match on_side(Side::Subject, None, &mut false, || {
            S::subject_state(&self.subject)
        }) {
            Ok(Applied::Returned(state)) => state,
            Ok(Applied::Injected(_)) => unreachable!("no plan is armed while taking states"),
            Err(report) => return Some(subject_panic(report)),
        };
        (model != subject).then(|| FailureKind::StateMismatch {
            model: format!("{model:?}"),
            subject: format!("{subject:?}"),
        })
    }

    /// Applies `op` to both sides and checks them. An injected panic that fired in this step
    /// is recorded in `injected`; under [`PanicPolicy::MemorySafety`] only the tracked values'
    /// memory safety and the invariants are checked after one.
    fn step(&mut self, op: &S::Op, policy: PanicPolicy, leaked: usize) -> Option<FailureKind> {
        let plan = ledger::take_pending();
        let mut fired = false;
        let model = match on_side(Side::Model, plan, &mut fired, || {
            S::apply_model(&mut self.model, op)
        }) {
            Ok(out) => out,
            Err(report) => return Some(model_panic(report)),
        };
        let subject = match on_side(Side::Subject, plan, &mut fired, || {
            S::apply_subject(&mut self.subject, op)
        }) {
            Ok(out) => out,
            Err(report) => return Some(subject_panic(report)),
        };
        self.injected |= fired;
        if let Some(v) = ledger::take_violations().first() {
            return Some(FailureKind::from_violation(v));
        }
        if fired && policy == PanicPolicy::MemorySafety {
            drop((model, subject));
            return self.check_invariants();
        }
        if model != subject {
            return Some(FailureKind::Divergence {
                model: model.describe(),
                subject: subject.describe(),
            });
        }
        drop((model, subject));
        self.check_invariants().or_else(|| accounting(leaked))
    }

    /// Disposes of both sides after a failure. A subject that may be corrupt is not dropped:
    /// dropping it could be undefined behaviour that crashes the process before the failure is
    /// reported. It goes to the [`graveyard`] instead.
    fn abandon(self, kind: &FailureKind) {
        let _ = panics::catch(|| drop(self.model));
        if kind.subject_may_be_corrupt() {
            graveyard::keep(Box::new(self.subject));
        } else {
            let _ = panics::catch(|| drop(self.subject));
        }
    }
}

/// The outcome of a run of `ops` that failed at `phase`: the ops up to and including the
/// failing one.
fn failed<Op: Clone>(
    ops: &[Op],
    phase: Phase,
    kind: FailureKind,
    after_injected_panic: bool,
) -> Outcome<Op> {
    let upto = match phase {
        Phase::Start => 0,
        Phase::Step(i) => i + 1,
        Phase::End => ops.len(),
    };
    Outcome::Fail(Failure {
        kind,
        phase,
        ops: ops[..upto].to_vec(),
        after_injected_panic,
    })
}

/// Steps compared at full frequency before the comparisons thin out.
const FULL_RATE_STEPS: usize = 256;

/// Whether whole states are compared after `step` ops (from 1). Every `every`-th step for the
/// first [`FULL_RATE_STEPS`] comparisons; then, each time the run doubles in length, half as
/// often. A snapshot costs time in proportion to the structure, which grows with the run, so
/// comparing after every step makes a long trace quadratic (a 100k-op trace took minutes); this
/// schedule keeps the total linear while short runs, the fuzzer's, compare as often as asked.
/// It depends on the step alone, so every engine compares at the same steps.
fn compares_state(step: usize, every: usize) -> bool {
    let full = FULL_RATE_STEPS * every;
    let stride = if step < full {
        every
    } else {
        every << (step / full).ilog2().saturating_add(1)
    };
    step % stride == 0
}

/// Runs `ops` with `config`, checking after every step. The order is: invariants and states on
/// the fresh structures; then for each op: apply to the model, apply to the subject, compare
/// outputs, check invariants, check the accounting of tracked values, compare whole states
/// (every [`Config::state_every`] steps and after the last); at the end, drop both sides and
/// require every tracked value to be dropped exactly once.
///
/// A leak does not end the run: the subject's state is still the model's, only values are
/// missing from the accounting, so the run goes on with them counted as leaked and reports the
/// leak at the end, unless something worse happens later (a failure in a later step is reported
/// instead). A shallow leak that nearly every input hits would otherwise hide every bug behind
/// it. A state difference in the step that leaked is the leak's own and ends the run with it.
pub fn run_with<S: Spec>(ops: &[S::Op], config: &Config) -> Outcome<S::Op> {
    ledger::begin_run();
    let fail = |phase, kind, after_injected_panic| failed(ops, phase, kind, after_injected_panic);
    let leaked_at = |l: FirstLeak| failed(ops, Phase::Step(l.step), l.kind, l.after_injected_panic);

    let model = match on_side(Side::Model, None, &mut false, S::new_model) {
        Ok(Applied::Returned(model)) => model,
        Ok(Applied::Injected(_)) => unreachable!("no plan is armed at the start"),
        Err(report) => return fail(Phase::Start, model_panic(report), false),
    };
    let subject = match on_side(Side::Subject, None, &mut false, S::new_subject) {
        Ok(Applied::Returned(subject)) => subject,
        Ok(Applied::Injected(_)) => unreachable!("no plan is armed at the start"),
        Err(report) => return fail(Phase::Start, subject_panic(report), false),
    };
    let mut run = Run::<S> {
        ops,
        model,
        subject,
        injected: false,
    };
    if let Some(kind) = run.check_invariants().or_else(|| run.compare_states()) {
        run.abandon(&kind);
        return fail(Phase::Start, kind, false);
    }

    let every = config.state_every.max(1);
    let lenient = config.panic_policy == PanicPolicy::MemorySafety;
    let mut steps = ops.len();
    let mut leak: Option<FirstLeak> = None;
    let mut leaked = 0;
    for (i, op) in run.ops.iter().enumerate() {
        let last = i + 1 == run.ops.len();
        let compare = |run: &Run<S>| {
            (!(lenient && run.injected) && (compares_state(i + 1, every) || last))
                .then(|| run.compare_states())
                .flatten()
        };
        let failed = match run.step(op, config.panic_policy, leaked) {
            Some(FailureKind::Leak { model, subject }) => {
                leaked = subject - model;
                let first = leak.take().unwrap_or(FirstLeak {
                    step: i,
                    kind: FailureKind::Leak { model, subject },
                    after_injected_panic: run.injected,
                });
                if let Some(kind) = compare(&run) {
                    run.abandon(&kind);
                    return leaked_at(first);
                }
                leak = Some(first);
                None
            }
            other => other.or_else(|| compare(&run)),
        };
        if let Some(kind) = failed {
            let after = run.injected;
            run.abandon(&kind);
            return fail(Phase::Step(i), kind, after);
        }
        if lenient && run.injected {
            // From here on the two sides may rightly differ: what is left to check is that the
            // subject drops without undefined behaviour or a double drop.
            steps = i + 1;
            break;
        }
    }

    // A plan armed by the last op has nothing left to fire in.
    ledger::take_pending();
    let injected = run.injected;
    let Run { model, subject, .. } = run;
    if let Err(report) = on_side(Side::Model, None, &mut false, || drop(model)) {
        return fail(Phase::End, model_panic(report), injected);
    }
    if let Err(report) = on_side(Side::Subject, None, &mut false, || drop(subject)) {
        return fail(Phase::End, subject_panic(report), injected);
    }
    let end = if lenient && injected {
        ledger::take_violations()
            .first()
            .map(FailureKind::from_violation)
    } else {
        accounting(leaked)
    };
    match (end, leak) {
        // More values leaked when the structures were dropped: the run's first leak says it.
        (Some(FailureKind::Leak { .. }) | None, Some(l)) => leaked_at(l),
        (Some(kind), _) => fail(Phase::End, kind, injected),
        (None, None) => Outcome::Pass { steps },
    }
}

/// Runs `ops` on the subject alone: no model, no comparison, the invariants checked once at the
/// end, then the subject dropped. For Miri, where what matters is the subject's undefined
/// behaviour (which the model and the comparisons, already run natively, cannot show) and every
/// instruction is interpreted. Injected panics and panics by contract happen as in a full run;
/// what a full run would report natively is left to it: a failure here is a real panic or a
/// broken invariant.
pub fn run_subject<S: Spec>(ops: &[S::Op]) -> Outcome<S::Op> {
    ledger::begin_run();
    let fail = |phase, kind| failed(ops, phase, kind, false);
    let mut subject = match on_side(Side::Subject, None, &mut false, S::new_subject) {
        Ok(Applied::Returned(subject)) => subject,
        Ok(Applied::Injected(_)) => unreachable!("no plan is armed at the start"),
        Err(report) => return fail(Phase::Start, subject_panic(report)),
    };
    for (i, op) in ops.iter().enumerate() {
        let plan = ledger::take_pending();
        if let Err(report) = on_side(Side::Subject, plan, &mut false, || {
            S::apply_subject(&mut subject, op)
        }) {
            graveyard::keep(Box::new(subject));
            return fail(Phase::Step(i), subject_panic(report));
        }
    }
    ledger::take_pending();
    if let Err(caught) = panics::catch(|| S::check_invariants(&subject)) {
        let (message, location) = match caught {
            Caught::Real(r) => (r.message, r.location),
            Caught::Injected(p) => (p.to_string(), None),
        };
        graveyard::keep(Box::new(subject));
        return fail(Phase::End, FailureKind::Invariant { message, location });
    }
    if let Err(report) = on_side(Side::Subject, None, &mut false, || drop(subject)) {
        return fail(Phase::End, subject_panic(report));
    }
    Outcome::Pass { steps: ops.len() }
}

/// Where subjects that may be corrupt go instead of being dropped.
mod graveyard {
    use std::ptr::NonNull;
    use std::sync::Mutex;

    /// An abandoned subject, never touched again.
    struct Grave(
        #[expect(dead_code, reason = "kept only so the memory stays reachable")] NonNull<u8>,
    );

    // SAFETY: the pointer is never dereferenced, by any thread; it is only kept.
    unsafe impl Send for Grave {}

    /// Kept reachable from a static, so leak checkers (Miri's, LeakSanitizer's) do not report the
    /// memory of a failed run as a second, unrelated finding. Grows by one subject per failed run.
    static GRAVES: Mutex<Vec<Grave>> = Mutex::new(Vec::new());

    pub(super) fn keep<T>(subject: Box<T>) {
        let grave = Grave(NonNull::from(Box::leak(subject)).cast());
        GRAVES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(grave);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whole-state comparisons of a run of `n` steps.
    fn comparisons(n: usize, every: usize) -> usize {
        (1..=n).filter(|&s| compares_state(s, every)).count()
    }

    #[test]
    fn short_runs_compare_as_often_as_asked_and_long_ones_stay_linear() {
        assert_eq!(comparisons(256, 1), 256);
        assert_eq!(comparisons(512, 4), 128);
        // A snapshot costs up to `step`: the total work must grow linearly, not quadratically.
        let work = |n: usize| -> usize { (1..=n).filter(|&s| compares_state(s, 1)).sum() };
        let (small, big) = (work(10_000), work(100_000));
        assert!(
            big < small * 20,
            "snapshot work {small} -> {big} for 10x the steps"
        );
        assert!(
            comparisons(100_000, 1) < 2_000,
            "{}",
            comparisons(100_000, 1)
        );
    }
}
