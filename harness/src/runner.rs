//! The runner: one decoding path and one loop, used by every engine and by replay.

use std::cell::Cell;
use std::fmt;

use arbitrary::{Arbitrary, Unstructured};
use serde::{Deserialize, Serialize};

use crate::finding::{Class, Severity};
use crate::panics::contract::{self, Step};
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
        model: isize,
        /// Values the subject keeps alive.
        subject: isize,
    },
    /// The subject keeps fewer tracked values alive than the model: values dropped too early
    /// (a count below zero: more drops than values, as a double drop of values without identity,
    /// [`Counted`](crate::Counted), shows).
    EarlyDrop {
        /// Values the model keeps alive.
        model: isize,
        /// Values the subject keeps alive.
        subject: isize,
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
fn accounting(leaked: isize) -> Option<FailureKind> {
    if let Some(v) = ledger::take_violation() {
        return Some(FailureKind::from_violation(&v));
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

/// A hash of `op`, the same in every run and every build: which of its contract panics are
/// raised for real is decided by it (see [`crate::panics_if`]). One multiply per value hashed,
/// since every step pays for it.
fn op_hash<Op: std::hash::Hash>(op: &Op) -> u64 {
    /// FxHash's step, with a final fold of the high bits into the low ones that `%` reads.
    struct Fx(u64);
    impl Fx {
        fn add(&mut self, n: u64) {
            self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    impl std::hash::Hasher for Fx {
        fn finish(&self) -> u64 {
            self.0 ^ (self.0 >> 32)
        }
        fn write(&mut self, bytes: &[u8]) {
            for chunk in bytes.chunks(8) {
                let mut word = [0; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                self.add(u64::from_le_bytes(word));
            }
        }
        fn write_u8(&mut self, n: u8) {
            self.add(n.into());
        }
        fn write_u16(&mut self, n: u16) {
            self.add(n.into());
        }
        fn write_u32(&mut self, n: u32) {
            self.add(n.into());
        }
        fn write_u64(&mut self, n: u64) {
            self.add(n);
        }
        fn write_usize(&mut self, n: usize) {
            self.add(n as u64);
        }
        fn write_isize(&mut self, n: isize) {
            self.add(n as u64);
        }
    }
    let mut hasher = Fx(0);
    op.hash(&mut hasher);
    std::hash::Hasher::finish(&hasher)
}

/// Applies `ops` to one side alone, the way a program using it would: no comparison, no
/// invariant checks, no accounting, no injected panic, and no panic by contract that
/// [`panics_if`](crate::panics_if) can tell is due. What one side costs without the runner: the
/// denominator of the runner's overhead (`scripts/overhead`). A panic ends it, caught.
pub fn run_alone<S: Spec>(side: Side, ops: &[S::Op]) {
    ledger::begin_run();
    contract::set_step(Step::Never);
    let _ = panics::catch(|| match side {
        Side::Model => {
            let mut model = S::new_model();
            for op in ops {
                std::hint::black_box(S::apply_model(&mut model, op));
                ledger::take_pending();
            }
        }
        Side::Subject => {
            let mut subject = S::new_subject();
            for op in ops {
                std::hint::black_box(S::apply_subject(&mut subject, op));
                ledger::take_pending();
            }
        }
    });
    contract::set_step(Step::Every);
}

/// The first leak of a run that went on past it.
struct FirstLeak {
    step: usize,
    kind: FailureKind,
    after_injected_panic: bool,
}

/// The invariants' failure, from the panic `check_invariants` raised.
fn invariant_broken(caught: Caught) -> FailureKind {
    match caught {
        Caught::Real(r) => FailureKind::Invariant {
            message: r.message,
            location: r.location,
        },
        Caught::Injected(p) => FailureKind::Invariant {
            message: format!("check_invariants raised an {p}"),
            location: None,
        },
    }
}

/// Both sides' step: what each produced, whether an injected panic fired, and the invariants'
/// verdict when they were checked with the step.
struct BothSides<R> {
    model: Applied<R>,
    subject: Applied<R>,
    fired: bool,
    /// `Some(None)`: they hold; `Some(Some(_))`: broken; `None`: not checked yet.
    invariants: Option<Option<FailureKind>>,
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
        panics::catch(|| S::check_invariants(&self.subject))
            .err()
            .map(invariant_broken)
    }

    /// Compares the two whole states item by item as they are listed; only a difference is
    /// collected and formatted. A panic while listing is the model's or the subject's, by whose
    /// item was being listed.
    fn compare_states(&self) -> Option<FailureKind> {
        let in_subject = Cell::new(false);
        let equal = panics::catch(|| {
            let mut model = S::model_state(&self.model);
            in_subject.set(true);
            let mut subject = S::subject_state(&self.subject);
            loop {
                in_subject.set(false);
                let m = model.next();
                in_subject.set(true);
                let s = subject.next();
                match (m, s) {
                    (None, None) => return true,
                    (m, s) if m == s => {}
                    _ => return false,
                }
            }
        });
        match equal {
            Ok(true) => None,
            Ok(false) => Some(self.state_mismatch()),
            Err(caught) => {
                let report = match caught {
                    Caught::Real(report) => report,
                    Caught::Injected(_) => unreachable!("no plan is armed while listing states"),
                };
                Some(if in_subject.get() {
                    subject_panic(report)
                } else {
                    model_panic(report)
                })
            }
        }
    }

    /// The two states, collected and formatted, once they are known to differ.
    fn state_mismatch(&self) -> FailureKind {
        let listed = |items: Result<Vec<S::Item>, Caught>| match items {
            Ok(items) => format!("{items:?}"),
            Err(_) => "(panicked while listed again)".to_owned(),
        };
        FailureKind::StateMismatch {
            model: listed(panics::catch(|| S::model_state(&self.model).collect())),
            subject: listed(panics::catch(|| S::subject_state(&self.subject).collect())),
        }
    }

    /// Applies `op` to both sides and checks them. An injected panic that fired in this step
    /// is recorded in `injected`; under [`PanicPolicy::MemorySafety`] only the tracked values'
    /// memory safety and the invariants are checked after one.
    fn step(&mut self, op: &S::Op, policy: PanicPolicy, leaked: isize) -> Option<FailureKind> {
        let plan = ledger::take_pending();
        contract::set_step(Step::Op(op_hash(op)));
        let applied = self.apply(op, plan);
        contract::set_step(Step::Every);
        let BothSides {
            model,
            subject,
            fired,
            invariants,
        } = match applied {
            Ok(applied) => applied,
            Err(kind) => return Some(kind),
        };
        self.injected |= fired;
        if let Some(v) = ledger::take_violation() {
            return Some(FailureKind::from_violation(&v));
        }
        if fired && policy == PanicPolicy::MemorySafety {
            drop((model, subject));
            return invariants.unwrap_or_else(|| self.check_invariants());
        }
        if model != subject {
            return Some(FailureKind::Divergence {
                model: model.describe(),
                subject: subject.describe(),
            });
        }
        drop((model, subject));
        invariants
            .unwrap_or_else(|| self.check_invariants())
            .or_else(|| accounting(leaked))
    }

    /// Applies `op` to the model, then to the subject, then checks the subject's invariants, all
    /// under one `catch_unwind` unless a panic interrupts them: an injected panic ends that
    /// side's step and the next part goes on under a new one; a real panic is the failure of the
    /// side that raised it. The invariants are checked here only when no injected panic fired.
    fn apply(
        &mut self,
        op: &S::Op,
        plan: Option<crate::PanicPlan>,
    ) -> Result<BothSides<S::Output>, FailureKind> {
        let mut model: Option<Applied<S::Output>> = None;
        let mut subject: Option<Applied<S::Output>> = None;
        let mut invariants: Option<Option<FailureKind>> = None;
        let mut fired = false;
        loop {
            let caught = panics::catch(|| {
                if model.is_none() {
                    ledger::begin_side(Side::Model, plan);
                    let out = S::apply_model(&mut self.model, op);
                    fired |= ledger::end_side();
                    model = Some(Applied::Returned(out));
                }
                if subject.is_none() {
                    ledger::begin_side(Side::Subject, plan);
                    let out = S::apply_subject(&mut self.subject, op);
                    fired |= ledger::end_side();
                    subject = Some(Applied::Returned(out));
                    if !fired {
                        S::check_invariants(&self.subject);
                        invariants = Some(None);
                    }
                }
            });
            let caught = match caught {
                Ok(()) => break,
                Err(caught) => caught,
            };
            let running = if model.is_none() {
                Some(&mut model)
            } else if subject.is_none() {
                Some(&mut subject)
            } else {
                None
            };
            match (caught, running) {
                (Caught::Injected(p), Some(out)) => {
                    fired |= ledger::end_side();
                    *out = Some(Applied::Injected(p.event));
                }
                (Caught::Real(report), Some(_)) => {
                    ledger::end_side();
                    return Err(if model.is_none() {
                        model_panic(report)
                    } else {
                        subject_panic(report)
                    });
                }
                (caught, None) => {
                    invariants = Some(Some(invariant_broken(caught)));
                    break;
                }
            }
        }
        match (model, subject) {
            (Some(model), Some(subject)) => Ok(BothSides {
                model,
                subject,
                fired,
                invariants,
            }),
            _ => unreachable!("both sides ran or one panicked for real"),
        }
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

/// Whether whole states are compared after `step` ops (from 1). With `every` 0, after steps 1,
/// 2, 4, 8, ... Otherwise every `every`-th step for the first [`FULL_RATE_STEPS`] comparisons;
/// then, each time the run doubles in length, half as often. A snapshot costs time in
/// proportion to the structure, which grows with the run, so comparing after every step makes a
/// long trace quadratic (a 100k-op trace took minutes); this schedule keeps the total linear
/// while short runs compare as often as asked. It depends on the step alone, so every engine
/// compares at the same steps.
fn compares_state(step: usize, every: usize) -> bool {
    if every == 0 {
        return step.is_power_of_two();
    }
    let full = FULL_RATE_STEPS * every;
    let stride = if step < full {
        every
    } else {
        every << (step / full).ilog2().saturating_add(1)
    };
    step % stride == 0
}

/// A run of the first `n` of `ops` that compares states only after the last, and whether they
/// differed there.
fn probe<S: Spec>(ops: &[S::Op], config: &Config, n: usize) -> (Outcome<S::Op>, bool) {
    let differ = Cell::new(false);
    let outcome = run_scheduled::<S>(&ops[..n], config, States::AtEnd(&differ));
    (outcome, differ.get())
}

/// The first step after which the states differ, between `good` (a step count after which they
/// were equal, or 0) and `bad` (one after which they differ, where the run gave `at_bad`): by
/// bisection. Returns the probe of that step, which reports what comparing after every step
/// would have (a state mismatch, or the leak that the mismatch belongs to), or `at_bad` when no
/// earlier step differs.
fn first_difference<S: Spec>(
    ops: &[S::Op],
    config: &Config,
    mut good: usize,
    mut bad: usize,
    at_bad: Outcome<S::Op>,
) -> Outcome<S::Op> {
    let mut found = at_bad;
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        match probe::<S>(ops, config, mid) {
            (outcome, true) => {
                bad = mid;
                found = outcome;
            }
            (_, false) => good = mid,
        }
    }
    found
}

/// Which steps compare whole states.
#[derive(Clone, Copy)]
enum States<'a> {
    /// As [`Config::state_every`] says, and after the last step.
    Scheduled,
    /// After the last step only, setting the flag if they differ: the probes of
    /// [`first_difference`].
    AtEnd(&'a Cell<bool>),
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
    run_scheduled::<S>(ops, config, States::Scheduled)
}

fn run_scheduled<S: Spec>(ops: &[S::Op], config: &Config, states: States<'_>) -> Outcome<S::Op> {
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

    let every = config.state_every;
    let lenient = config.panic_policy == PanicPolicy::MemorySafety;
    let mut steps = ops.len();
    let mut leak: Option<FirstLeak> = None;
    let mut leaked: isize = 0;
    // The last step count after which the states were compared and found equal.
    let mut equal_after = 0;
    for (i, op) in run.ops.iter().enumerate() {
        let last = i + 1 == run.ops.len();
        let due = last
            || match states {
                States::Scheduled => compares_state(i + 1, every),
                States::AtEnd(_) => false,
            };
        let compare = |run: &Run<S>| {
            let differ = (due && !(lenient && run.injected))
                .then(|| run.compare_states())
                .flatten();
            if let (Some(FailureKind::StateMismatch { .. }), States::AtEnd(flag)) =
                (&differ, states)
            {
                flag.set(true);
            }
            differ
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
            // The states were last seen equal after `equal_after` steps. If they differ by now,
            // or already differed before this op, the failure began at the step that made them
            // differ: report that step, as comparing after every step would have. A probe
            // reports what it sees: it is the search, not the searched.
            let mismatch = matches!(kind, FailureKind::StateMismatch { .. });
            let failure = fail(Phase::Step(i), kind, after);
            if matches!(states, States::Scheduled) && i > equal_after {
                if mismatch {
                    return first_difference::<S>(ops, config, equal_after, i + 1, failure);
                }
                if let (earlier, true) = probe::<S>(ops, config, i) {
                    return first_difference::<S>(ops, config, equal_after, i, earlier);
                }
            }
            return failure;
        }
        if due {
            equal_after = i + 1;
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
        ledger::take_violation()
            .as_ref()
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
        contract::set_step(Step::Op(op_hash(op)));
        let applied = on_side(Side::Subject, plan, &mut false, || {
            S::apply_subject(&mut subject, op)
        });
        contract::set_step(Step::Every);
        if let Err(report) = applied {
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
