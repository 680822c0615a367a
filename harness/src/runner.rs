//! The runner: one decoding path and one loop, used by every engine and by replay.

use std::cell::Cell;
use std::fmt;
use std::mem::ManuallyDrop;

use arbitrary::{Arbitrary, Unstructured};
use serde::{Deserialize, Serialize};

use crate::finding::{Class, Severity};
use crate::panics::contract::{self, Step as Contract};
use crate::panics::{self, Caught, PanicReport};
use crate::spec::{Config, InvariantChecks, PanicPolicy, Spec};
use crate::step::Step;
use crate::tracked::{Event, Side, Violation, ledger};

/// Decodes fuzzer bytes into at most [`Config::max_ops`] steps of `S`: its ops, and the panics
/// the runner arms between them ([`Step`]).
///
/// Steps are read one after another until the bytes run out; a step that cannot be decoded from
/// what is left ends the sequence. Every engine, and replay, decodes through this function, so
/// a case found by one replays identically in all.
pub fn decode<S: Spec>(data: &[u8]) -> Vec<Step<S::Op>> {
    Decoder::<S>::new(data).collect()
}

/// Decodes steps one at a time, as [`decode`] does.
struct Decoder<'a, S: Spec> {
    u: Unstructured<'a>,
    /// How many more steps may be decoded.
    left: usize,
    /// Whether some steps are arms ([`Config::injected_panics`]).
    arms: bool,
    spec: std::marker::PhantomData<S>,
}

impl<'a, S: Spec> Decoder<'a, S> {
    fn new(data: &'a [u8]) -> Self {
        let config = S::config();
        Decoder {
            u: Unstructured::new(data),
            left: config.max_ops,
            arms: config.injected_panics,
            spec: std::marker::PhantomData,
        }
    }
}

impl<S: Spec> Iterator for Decoder<'_, S> {
    type Item = Step<S::Op>;

    // Inlined into the run's loop, where the `Option` it returns is tested once, not twice.
    #[inline(always)]
    fn next(&mut self) -> Option<Step<S::Op>> {
        if self.left == 0 || self.u.is_empty() {
            return None;
        }
        let step = match self.arms {
            true => Step::decode(&mut self.u),
            false => S::Op::arbitrary(&mut self.u).map(Step::Op),
        };
        match step {
            Ok(op) => {
                // Above zero (tested above); not a checked subtraction, which is a test too.
                self.left = self.left.wrapping_sub(1);
                Some(op)
            }
            Err(_) => {
                self.left = 0;
                None
            }
        }
    }
}

/// Decodes `data` and runs it: the function every fuzz target calls.
///
/// The ops are decoded as the run goes, never collected: a run that passes, nearly every run a
/// fuzzer makes, allocates nothing for them. A run that fails is run again from the decoded ops,
/// which is what reports the failure with its ops (and finds the step it began at).
pub fn run_bytes<S: Spec>(data: &[u8]) -> Outcome<Step<S::Op>> {
    let config = S::config();
    match run_scheduled::<S>(Ops::Bytes(data), &config, States::Scheduled) {
        Ok(outcome) => outcome,
        Err(streamed) => {
            let ops = decode::<S>(data);
            match run_with::<S>(&ops, &config) {
                Outcome::Pass { .. } => {
                    // The same ops passed the second time: the spec or the subject is not
                    // deterministic. The first failure is the one to report.
                    failed(
                        &ops,
                        streamed.phase,
                        streamed.kind,
                        streamed.after_injected_panic,
                    )
                }
                fail => fail,
            }
        }
    }
}

/// The ops a run applies.
#[derive(Clone, Copy)]
enum Ops<'a, Op> {
    /// Decoded already.
    Slice(&'a [Op]),
    /// Fuzzer bytes, decoded op by op as the run goes.
    Bytes(&'a [u8]),
}

/// What a run of [`Ops::Bytes`] found, to be found again from the decoded ops.
struct Streamed {
    phase: Phase,
    kind: FailureKind,
    after_injected_panic: bool,
}

/// Runs `ops` with the spec's [`Config`].
pub fn run<S: Spec>(ops: &[Step<S::Op>]) -> Outcome<Step<S::Op>> {
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

/// Runs `f` as `side`'s part of a step, with the step's plan ([`ledger::begin_step`]) counting
/// down; a real panic comes back as `Err`. Whether the plan fired is left in `fired`.
fn on_side<R>(
    side: Side,
    fired: &mut bool,
    f: impl FnOnce() -> R,
) -> Result<Applied<R>, PanicReport> {
    ledger::begin_side(side);
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
#[inline(always)]
fn accounting(leaked: isize) -> Option<FailureKind> {
    if accounting_holds(leaked) {
        return None;
    }
    accounting_failed(leaked)
}

/// Whether [`accounting`] finds nothing.
#[inline(always)]
fn accounting_holds(leaked: isize) -> bool {
    let (violated, model, subject) = ledger::tally();
    !violated & (subject - model == leaked)
}

/// [`accounting`] once [`accounting_holds`] has found something off.
#[cold]
fn accounting_failed(leaked: isize) -> Option<FailureKind> {
    let (_, model, subject) = ledger::tally();
    if let Some(v) = ledger::take_violation() {
        return Some(FailureKind::from_violation(&v));
    }
    if subject < model {
        Some(FailureKind::EarlyDrop { model, subject })
    } else if subject - model > leaked {
        Some(FailureKind::Leak { model, subject })
    } else {
        None
    }
}

/// Applies `ops` to one side alone, the way a program using it would: no comparison, no
/// invariant checks, no accounting, no injected panic, and no panic by contract that
/// [`panics_if`](crate::panics_if) can tell is due. What one side costs without the runner: the
/// denominator of the runner's overhead (`scripts/overhead`). A panic ends it, caught.
pub fn run_alone<S: Spec>(side: Side, ops: &[Step<S::Op>]) {
    ledger::begin_run();
    contract::set_step(Contract::Never);
    let _ = panics::catch(|| match side {
        Side::Model => {
            let mut model = S::new_model();
            for op in ops.iter().filter_map(Step::op) {
                std::hint::black_box(S::apply_model(&mut model, op));
            }
        }
        Side::Subject => {
            let mut subject = S::new_subject();
            for op in ops.iter().filter_map(Step::op) {
                std::hint::black_box(S::apply_subject(&mut subject, op));
            }
        }
    });
    contract::set_step(Contract::Every);
}

/// The differential loop a user writes by hand without lockstep, over a spec's own ops and both
/// sides: decodes op by op, applies each to the model and to the subject, panics when their
/// outputs differ, and at the end checks the subject's invariants once, compares the whole
/// states, drops both sides and requires both to have left as many tracked values alive (the
/// two counts of a drop-counting element). No per-op invariants or accounting, no
/// `catch_unwind`, no injected panics (the steps that arm one are skipped), and no panic by
/// contract that [`panics_if`](crate::panics_if) can tell is due.
///
/// What `scripts/bench` times each lockstep target against: same ops, same elements, same
/// models, so the difference is what the runner adds.
pub fn baseline_loop<S: Spec>(data: &[u8]) {
    ledger::begin_run();
    contract::set_step(Contract::Never);
    let (mut model, mut subject) = (S::new_model(), S::new_subject());
    for step in Decoder::<S>::new(data) {
        let Step::Op(op) = step else {
            continue;
        };
        ledger::begin_side(Side::Model);
        let out = S::apply_model(&mut model, &op);
        ledger::begin_side(Side::Subject);
        let same = out == S::apply_subject(&mut subject, &op);
        ledger::end_side();
        assert!(same, "the outputs of {op:?} differ");
    }
    S::check_invariants(&subject);
    let same = S::model_state(&model).eq(S::subject_state(&subject));
    assert!(same, "the states differ");
    drop((model, subject));
    let (_, model, subject) = ledger::tally();
    assert_eq!(
        model, subject,
        "the subject keeps a different number of tracked values alive"
    );
    contract::set_step(Contract::Every);
}

/// The model's output while the subject's part of a step runs: if that part panics, unwinding
/// moves it to `slot`, where the slow path finds it; else [`release`](Self::release) gives it
/// back. Neither path tests anything.
struct KeepOnUnwind<'a, T> {
    out: ManuallyDrop<T>,
    slot: &'a mut ManuallyDrop<Option<T>>,
}

impl<'a, T> KeepOnUnwind<'a, T> {
    fn new(out: T, slot: &'a mut ManuallyDrop<Option<T>>) -> Self {
        KeepOnUnwind {
            out: ManuallyDrop::new(out),
            slot,
        }
    }

    fn release(self) -> T {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `out` is taken once: here, with the guard forgotten so its `drop` never runs.
        unsafe { ManuallyDrop::take(&mut this.out) }
    }
}

impl<T> Drop for KeepOnUnwind<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `out` is taken once: here, as `release` (the only other taker) forgets the
        // guard instead of dropping it.
        **self.slot = Some(unsafe { ManuallyDrop::take(&mut self.out) });
    }
}

/// Both outputs of a step whose quick path returned without settling it, and whether an
/// injected panic fired in it.
type Unsettled<S> = (<S as Spec>::Output, <S as Spec>::Output, bool);

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
struct Run<S: Spec> {
    model: S::Model,
    subject: S::Subject,
    /// Whether an injected panic has fired so far.
    injected: bool,
}

impl<S: Spec> Run<S> {
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

    /// What the checks after a step that did not go through [`step`](Self::step) find: the
    /// invariants, if `invariants` says so, then the accounting.
    fn checks(&self, invariants: bool, leaked: isize) -> Option<FailureKind> {
        let broken = invariants.then(|| self.check_invariants()).flatten();
        broken.or_else(|| accounting(leaked))
    }

    /// Applies `op` to both sides and checks them, the invariants only if `check` says so or an
    /// injected panic fired. Returns `true` when the quick path settled the step: nothing failed
    /// and no injected panic fired. Otherwise writes to `outcome` what the step found (`None`:
    /// nothing); there only, so a settled step neither writes nor drops one. An injected panic
    /// that fired in this step is recorded in `injected`; under [`PanicPolicy::MemorySafety`]
    /// only the tracked values' memory safety and the invariants are checked after one.
    fn step(
        &mut self,
        op: &S::Op,
        policy: PanicPolicy,
        leaked: isize,
        check: bool,
        outcome: &mut Option<FailureKind>,
    ) -> bool {
        // The model's output, put here if the subject's part panics, and whether a plan fired
        // in the model's part; both outputs, when the quick path leaves them to compare below.
        // Written only on those paths, so not dropped: `apply_rest` takes them out, and on the
        // quick path they stay `None`.
        let mut kept: ManuallyDrop<Option<S::Output>> = ManuallyDrop::new(None);
        let mut model_fired = false;
        let mut left: ManuallyDrop<Option<Unsettled<S>>> = ManuallyDrop::new(None);
        // The path of nearly every step, with as few tests as it can do with (under libFuzzer
        // each one costs a call): applies `op` to the model, then to the subject, compares the
        // outputs, checks the invariants if `check` asks, and says whether all that settled the
        // step. Where a panic stopped it is told by the ledger.
        let quick = contract::with_op(op, || {
            panics::catch_in_run(|| {
                ledger::begin_step(Side::Model);
                let model = S::apply_model(&mut self.model, op);
                model_fired = ledger::switch_to_subject();
                let model = KeepOnUnwind::new(model, &mut kept);
                let subject = S::apply_subject(&mut self.subject, op);
                let model = model.release();
                let fired = model_fired | ledger::end_side();
                if fired || model != subject {
                    *left = Some((model, subject, fired));
                    return false;
                }
                drop((model, subject));
                if check {
                    S::check_invariants(&self.subject);
                }
                true
            })
        });
        if let Ok(true) = quick {
            if accounting_holds(leaked) {
                return true;
            }
            *outcome = accounting_failed(leaked);
            return false;
        }
        let (kept, left) = (
            ManuallyDrop::into_inner(kept),
            ManuallyDrop::into_inner(left),
        );
        *outcome = self.finish_step(op, policy, leaked, check, quick, kept, left, model_fired);
        false
    }

    /// The rest of a step that the quick path did not settle: what it found.
    #[allow(clippy::too_many_arguments)]
    fn finish_step(
        &mut self,
        op: &S::Op,
        policy: PanicPolicy,
        leaked: isize,
        check: bool,
        quick: Result<bool, Caught>,
        kept: Option<S::Output>,
        left: Option<Unsettled<S>>,
        model_fired: bool,
    ) -> Option<FailureKind> {
        let applied = contract::with_op(op, || {
            self.apply_rest(op, check, quick, kept, left, model_fired)
        });
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
        let broken = match invariants {
            Some(broken) => broken,
            None if check || fired => self.check_invariants(),
            None => None,
        };
        broken.or_else(|| accounting(leaked))
    }

    /// What is left of a step whose quick path did not settle it: the outputs to compare, or,
    /// after a panic, the parts not yet run, each under a `catch_unwind` of its own. An injected
    /// panic ends that side's part and the next one goes on; a real panic is the failure of the
    /// side that raised it. The invariants are checked here only when `check` asks for them and
    /// no injected panic fired.
    fn apply_rest(
        &mut self,
        op: &S::Op,
        check: bool,
        quick: Result<bool, Caught>,
        mut kept: Option<S::Output>,
        left: Option<Unsettled<S>>,
        model_fired: bool,
    ) -> Result<BothSides<S::Output>, FailureKind> {
        let mut model: Option<Applied<S::Output>> = None;
        let mut subject: Option<Applied<S::Output>> = None;
        let mut invariants: Option<Option<FailureKind>> = None;
        let mut fired = false;
        let caught = match quick {
            Ok(_) => {
                let (model, subject, fired) =
                    left.expect("the quick path leaves the outputs it did not settle");
                return Ok(BothSides {
                    model: Applied::Returned(model),
                    subject: Applied::Returned(subject),
                    fired,
                    invariants: None,
                });
            }
            Err(caught) => {
                // Which part panicked: the model's, the subject's (the model's output kept), or
                // the invariants (both sides returned equal outputs, and nothing fired).
                match ledger::side() {
                    Some(Side::Model) => {}
                    Some(Side::Subject) => {
                        model = kept.take().map(Applied::Returned);
                        fired = model_fired;
                    }
                    None => {
                        let violation = ledger::take_violation();
                        return Err(violation.map_or_else(
                            || invariant_broken(caught),
                            |v| FailureKind::from_violation(&v),
                        ));
                    }
                }
                caught
            }
        };
        let mut caught = Some(caught);
        // After a panic, the parts left, each under a `catch_unwind` of its own.
        while let Some(panic) = caught.take() {
            let running = if model.is_none() {
                Some(&mut model)
            } else if subject.is_none() {
                Some(&mut subject)
            } else {
                None
            };
            match (panic, running) {
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
                (panic, None) => {
                    invariants = Some(Some(invariant_broken(panic)));
                    break;
                }
            }
            caught = panics::catch_in_run(|| {
                if subject.is_none() {
                    ledger::begin_side(Side::Subject);
                    subject = Some(Applied::Returned(S::apply_subject(&mut self.subject, op)));
                    fired |= ledger::end_side();
                }
                if check && !fired {
                    S::check_invariants(&self.subject);
                    invariants = Some(None);
                }
            })
            .err();
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

/// Whether whole states are compared after `step` ops (from 1), step by step: the definition
/// that [`next_state_comparison`] computes ahead.
#[cfg(test)]
fn compares_state(step: usize, every: usize) -> bool {
    if every == 0 {
        return step.is_power_of_two();
    }
    step % stride(step, every) == 0
}

/// The distance between comparisons around `step`, for `every` > 0.
fn stride(step: usize, every: usize) -> usize {
    let full = FULL_RATE_STEPS * every;
    if step < full {
        every
    } else {
        every << (step / full).ilog2().saturating_add(1)
    }
}

/// The first step count after `step` (from 0) at which whole states are compared: after steps
/// 1, 2, 4, 8, ... with `every` 0, else every `every`-th step for the first
/// [`FULL_RATE_STEPS`] comparisons, then, each time the run doubles in length, half as often.
/// A snapshot costs time in proportion to the structure, which grows with the run, so
/// comparing after every step makes a long trace quadratic (a 100k-op trace took minutes); this
/// schedule keeps the total linear while short runs compare as often as asked. It depends on
/// the step alone, so every engine compares at the same steps. Computed one comparison ahead,
/// so a step pays one test for it.
fn next_state_comparison(step: usize, every: usize) -> usize {
    if every == 0 {
        return (step + 1).next_power_of_two();
    }
    let mut s = step + 1;
    loop {
        // The stride only grows: a multiple of the stride at `s` that keeps it is the next one.
        let candidate = s.next_multiple_of(stride(s, every));
        if candidate % stride(candidate, every) == 0 {
            return candidate;
        }
        s = candidate + 1;
    }
}

/// A run of the first `n` of `ops` that compares states (and, under
/// [`InvariantChecks::WithStates`], checks invariants) only after the last, and whether the
/// states differed or the invariants failed there.
fn probe<S: Spec>(ops: &[Step<S::Op>], config: &Config, n: usize) -> (Outcome<Step<S::Op>>, bool) {
    let differ = Cell::new(false);
    let outcome = run_scheduled::<S>(Ops::Slice(&ops[..n]), config, States::AtEnd(&differ));
    (
        outcome.unwrap_or_else(|_| unreachable!("decoded ops")),
        differ.get(),
    )
}

/// The first step after which the states differ or the invariants fail, between `good` (a step
/// count after which states were equal and invariants held, or 0) and `bad` (one after which
/// they differ or fail, where the run gave `at_bad`): by bisection. Returns the probe of that
/// step, which reports what checking after every step would have (a state mismatch, a broken
/// invariant, or the leak that the mismatch belongs to), or `at_bad` when no earlier step fails.
fn first_difference<S: Spec>(
    ops: &[Step<S::Op>],
    config: &Config,
    mut good: usize,
    mut bad: usize,
    at_bad: Outcome<Step<S::Op>>,
) -> Outcome<Step<S::Op>> {
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
    /// After the last step only, setting the flag if they differ or the invariants fail there:
    /// the probes of [`first_difference`].
    AtEnd(&'a Cell<bool>),
}

/// Runs `ops` with `config`, checking after every step. The order is: invariants and states on
/// the fresh structures; then for each op: apply to the model, apply to the subject, compare
/// outputs, check invariants, check the accounting of tracked values, compare whole states
/// (every [`Config::state_every`] steps and after the last); at the end, drop both sides and
/// require every tracked value to be dropped exactly once. After the last op, unless it was
/// checked on schedule, the invariants are checked once the ops are found to have run out, so
/// after its accounting.
///
/// A leak does not end the run: the subject's state is still the model's, only values are
/// missing from the accounting, so the run goes on with them counted as leaked and reports the
/// leak at the end, unless something worse happens later (a failure in a later step is reported
/// instead). A shallow leak that nearly every input hits would otherwise hide every bug behind
/// it. A state difference in the step that leaked is the leak's own and ends the run with it.
pub fn run_with<S: Spec>(ops: &[Step<S::Op>], config: &Config) -> Outcome<Step<S::Op>> {
    run_scheduled::<S>(Ops::Slice(ops), config, States::Scheduled)
        .unwrap_or_else(|_| unreachable!("decoded ops"))
}

/// The run of [`run_with`]; of [`Ops::Bytes`], a failure comes back as `Err`, without its ops.
fn run_scheduled<S: Spec>(
    ops: Ops<'_, Step<S::Op>>,
    config: &Config,
    states: States<'_>,
) -> Result<Outcome<Step<S::Op>>, Streamed> {
    // One loop for each kind of ops, so that neither tests which it has at every step.
    match ops {
        Ops::Slice(slice) => run_ops::<S, _>(ops, slice.iter(), config, states),
        Ops::Bytes(data) => run_ops::<S, _>(ops, Decoder::<S>::new(data), config, states),
    }
}

/// The run of [`run_scheduled`], applying the ops that `iter` yields (those of `ops`).
fn run_ops<S: Spec, B: std::borrow::Borrow<Step<S::Op>>>(
    ops: Ops<'_, Step<S::Op>>,
    mut iter: impl Iterator<Item = B>,
    config: &Config,
    states: States<'_>,
) -> Result<Outcome<Step<S::Op>>, Streamed> {
    // The steps' catches rely on it.
    let _in_run = panics::InRun::enter();
    ledger::begin_run();
    let fail = |phase, kind, after_injected_panic| match ops {
        Ops::Slice(ops) => Ok(failed(ops, phase, kind, after_injected_panic)),
        Ops::Bytes(_) => Err(Streamed {
            phase,
            kind,
            after_injected_panic,
        }),
    };
    let leaked_at = |l: FirstLeak| fail(Phase::Step(l.step), l.kind, l.after_injected_panic);

    let model = match on_side(Side::Model, &mut false, S::new_model) {
        Ok(Applied::Returned(model)) => model,
        Ok(Applied::Injected(_)) => unreachable!("no plan is armed at the start"),
        Err(report) => return fail(Phase::Start, model_panic(report), false),
    };
    let subject = match on_side(Side::Subject, &mut false, S::new_subject) {
        Ok(Applied::Returned(subject)) => subject,
        Ok(Applied::Injected(_)) => unreachable!("no plan is armed at the start"),
        Err(report) => return fail(Phase::Start, subject_panic(report), false),
    };
    let mut run = Run::<S> {
        model,
        subject,
        injected: false,
    };
    if let Some(kind) = run.check_invariants().or_else(|| run.compare_states()) {
        run.abandon(&kind);
        return fail(Phase::Start, kind, false);
    }

    let every = config.state_every;
    // The next step count after which whole states are compared (besides after the last).
    let mut next_due = next_state_comparison(0, every);
    let lenient = config.panic_policy == PanicPolicy::MemorySafety;
    let mut steps: usize = 0;
    let mut leak: Option<FirstLeak> = None;
    // The last step that leaked.
    let mut leaked_in: Option<usize> = None;
    let mut leaked: isize = 0;
    // The last step count after which the states were compared and found equal (and the
    // invariants checked and found holding).
    let mut equal_after = 0;
    // Whether a failure is one that the scheduled checks find: a state difference, or under
    // `WithStates` a broken invariant. It may have begun at any step since the last check.
    let checked_out = |kind: &FailureKind| {
        matches!(kind, FailureKind::StateMismatch { .. })
            || (matches!(kind, FailureKind::Invariant { .. })
                && config.invariants == InvariantChecks::WithStates)
    };
    // A probe's end check found `kind`.
    let flag_end = |kind: &FailureKind| {
        if let States::AtEnd(flag) = states {
            flag.set(checked_out(kind));
        }
    };
    let on_schedule = matches!(states, States::Scheduled);
    let every_op = config.invariants == InvariantChecks::EveryOp;
    // What a step that the quick path did not settle found; written by those steps only.
    let mut found: Option<FailureKind> = None;
    // Each op is applied as it comes; when there are no more, the last step gets the checks
    // due after it (the invariants and the states), unless a scheduled check did them already.
    // Not one op ahead, which would cost every step a test of which one is the last.
    loop {
        let (i, outcome, due, last) = match iter.next() {
            Some(op) => {
                let op = op.borrow();
                let i = steps;
                // Wrapping: fuzz builds check overflow, and a check is a test (no run has
                // `usize::MAX` steps).
                steps = steps.wrapping_add(1);
                let scheduled = steps == next_due;
                if scheduled {
                    next_due = next_state_comparison(next_due, every);
                }
                let due = scheduled & on_schedule;
                let check = due | every_op;
                // Matched here, where the decoder has just made the step, rather than in
                // `Run::step`: there it would cost a test.
                let settled = match op {
                    Step::Op(op) => run.step(op, config.panic_policy, leaked, check, &mut found),
                    Step::Arm(plan) => {
                        // Nothing runs: a plan armed by the step before is replaced, unfired.
                        ledger::arm(*plan);
                        found = run.checks(check, leaked);
                        false
                    }
                };
                if settled & !due {
                    // The quick path settled the step (so no injected panic fired in it, and
                    // `injected` is as it was when the step before went on), and nothing is due.
                    continue;
                }
                let outcome = found.take();
                if outcome.is_none() & !due {
                    // Nothing failed and nothing is due: the step is done.
                    if lenient & run.injected {
                        break;
                    }
                    continue;
                }
                (i, outcome, due, false)
            }
            // No op at all, or the last one checked on schedule: the checks are done.
            None if equal_after == steps => break,
            None => {
                let outcome = run.checks(true, leaked);
                (steps - 1, outcome, true, true)
            }
        };
        let compare = |run: &Run<S>| {
            (due && !(lenient && run.injected))
                .then(|| run.compare_states())
                .flatten()
        };
        let failed = match outcome {
            Some(FailureKind::Leak { model, subject }) => {
                leaked = subject - model;
                leaked_in = Some(i);
                leak.get_or_insert(FirstLeak {
                    step: i,
                    kind: FailureKind::Leak { model, subject },
                    after_injected_panic: run.injected,
                });
                None
            }
            other => other,
        };
        let failed = match failed {
            None => match compare(&run) {
                // A state difference in a step that leaked is the leak's own.
                Some(kind) if leaked_in == Some(i) => {
                    flag_end(&kind);
                    run.abandon(&kind);
                    return leaked_at(leak.take().expect("a leak is kept from its step on"));
                }
                other => other,
            },
            failed => failed,
        };
        if let (Some(kind), true) = (&failed, last) {
            flag_end(kind);
        }
        if let Some(kind) = failed {
            let after = run.injected;
            run.abandon(&kind);
            // The states were last seen equal, and the invariants holding, after `equal_after`
            // steps. If they differ or fail by now, or already did before this op, the failure
            // began at the step that made them: report that step, as checking after every step
            // would have. A probe reports what it sees: it is the search, not the searched.
            let mismatch = checked_out(&kind);
            let failure = fail(Phase::Step(i), kind, after)?;
            if let (States::Scheduled, Ops::Slice(ops), true) = (states, ops, i > equal_after) {
                if mismatch {
                    return Ok(first_difference::<S>(
                        ops,
                        config,
                        equal_after,
                        i + 1,
                        failure,
                    ));
                }
                if let (earlier, true) = probe::<S>(ops, config, i) {
                    return Ok(first_difference::<S>(ops, config, equal_after, i, earlier));
                }
            }
            return Ok(failure);
        }
        if due {
            equal_after = i + 1;
        }
        if last | (lenient && run.injected) {
            // After the last step; or, after an injected panic under `MemorySafety`: from here
            // on the two sides may rightly differ, and what is left to check is that the subject
            // drops without undefined behaviour or a double drop.
            break;
        }
    }

    // A plan armed by the last op has nothing left to fire in, and the last op's is spent.
    ledger::disarm();
    let injected = run.injected;
    let Run { model, subject, .. } = run;
    if let Err(report) = on_side(Side::Model, &mut false, || drop(model)) {
        return fail(Phase::End, model_panic(report), injected);
    }
    if let Err(report) = on_side(Side::Subject, &mut false, || drop(subject)) {
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
        (None, None) => Ok(Outcome::Pass { steps }),
    }
}

/// Runs `ops` on the subject alone: no model, no comparison, the invariants checked once at the
/// end, then the subject dropped. For Miri, where what matters is the subject's undefined
/// behaviour (which the model and the comparisons, already run natively, cannot show) and every
/// instruction is interpreted. Injected panics and panics by contract happen as in a full run;
/// what a full run would report natively is left to it: a failure here is a real panic or a
/// broken invariant.
pub fn run_subject<S: Spec>(ops: &[Step<S::Op>]) -> Outcome<Step<S::Op>> {
    run_subject_noting::<S>(ops, &mut |_| {})
}

/// [`run_subject`], telling `fired` the index of each step in which an injected panic fired:
/// what says, of an input that arms a panic, whether the panic happened and in which op.
pub fn run_subject_noting<S: Spec>(
    ops: &[Step<S::Op>],
    fired: &mut dyn FnMut(usize),
) -> Outcome<Step<S::Op>> {
    ledger::begin_run();
    let fail = |phase, kind| failed(ops, phase, kind, false);
    let mut subject = match on_side(Side::Subject, &mut false, S::new_subject) {
        Ok(Applied::Returned(subject)) => subject,
        Ok(Applied::Injected(_)) => unreachable!("no plan is armed at the start"),
        Err(report) => return fail(Phase::Start, subject_panic(report)),
    };
    for (i, step) in ops.iter().enumerate() {
        let op = match step {
            Step::Op(op) => op,
            Step::Arm(plan) => {
                ledger::arm(*plan);
                continue;
            }
        };
        // The plan armed by the op before comes to this step (`on_side` begins the side again).
        ledger::begin_step(Side::Subject);
        let mut injected = false;
        let applied = contract::with_op(op, || {
            on_side(Side::Subject, &mut injected, || {
                S::apply_subject(&mut subject, op)
            })
        });
        if injected {
            fired(i);
        }
        if let Err(report) = applied {
            graveyard::keep(Box::new(subject));
            return fail(Phase::Step(i), subject_panic(report));
        }
    }
    ledger::disarm();
    if let Err(caught) = panics::catch(|| S::check_invariants(&subject)) {
        let (message, location) = match caught {
            Caught::Real(r) => (r.message, r.location),
            Caught::Injected(p) => (p.to_string(), None),
        };
        graveyard::keep(Box::new(subject));
        return fail(Phase::End, FailureKind::Invariant { message, location });
    }
    if let Err(report) = on_side(Side::Subject, &mut false, || drop(subject)) {
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
    fn the_schedule_computed_ahead_is_the_schedule() {
        for every in [0, 1, 3, 10] {
            let mut next = next_state_comparison(0, every);
            for step in 1..200_000 {
                assert_eq!(
                    step == next,
                    compares_state(step, every),
                    "step {step}, every {every}"
                );
                if step == next {
                    next = next_state_comparison(step, every);
                }
            }
        }
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
