//! The runner against a toy stack whose bugs can be switched on one at a time: each failure class
//! must be reported at the step that causes it, and the correct stack must pass.

use std::cell::Cell;

use arbitrary::Arbitrary;
use lockstep::finding::Severity;
use lockstep::{
    Config, FailureKind, InvariantChecks, Outcome, PanicPlan, PanicPolicy, Phase, Spec, Step,
    Tracked,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    None,
    PopReturnsFirst,
    PopForgets,
    PushDropsFourth,
    DuplicateOnClear,
    ReadAfterDrop,
    LenOffByOne,
    /// The length field is one too many from two items on, for good.
    LenOffFromTwo,
    PanicOnZero,
    ReversedStorage,
    /// `Push` onto two or more items goes below the top: silent until a `Pop`.
    PushesBelowTop,
    /// `Clear` stops at a drop that panics, leaking the rest: memory-safe, unlike std.
    ClearLeaksOnPanic,
}

thread_local! {
    /// The bugs switched on (at most two).
    static BUGS: Cell<[Bug; 2]> = const { Cell::new([Bug::None; 2]) };
}

fn bug(b: Bug) -> bool {
    BUGS.with(Cell::get).contains(&b)
}

#[derive(Arbitrary, Clone, Debug, PartialEq, Hash, Serialize, Deserialize)]
enum Op {
    Push(u32),
    Pop,
    Clear,
    /// Pushes `n` clones of the top element.
    Repeat(u8),
}

#[derive(Default)]
struct ToyStack {
    items: Vec<Tracked<u32>>,
    len: usize,
}

struct StackSpec;

impl Spec for StackSpec {
    type Op = Op;
    type Subject = ToyStack;
    type Model = Vec<Tracked<u32>>;
    type Output = Option<u32>;
    type Item = u32;

    fn new_model() -> Self::Model {
        Vec::new()
    }

    fn new_subject() -> Self::Subject {
        ToyStack::default()
    }

    fn apply_model(model: &mut Self::Model, op: &Op) -> Option<u32> {
        match op {
            Op::Push(v) => model.push(Tracked::new(*v)),
            Op::Pop => return model.pop().map(Tracked::into_inner),
            Op::Clear => model.clear(),
            Op::Repeat(n) => {
                for _ in 0..*n % 8 {
                    let Some(top) = model.last() else { break };
                    let copy = top.clone();
                    model.push(copy);
                }
            }
        }
        None
    }

    fn apply_subject(s: &mut ToyStack, op: &Op) -> Option<u32> {
        match op {
            Op::Push(v) => {
                if *v == 0 && bug(Bug::PanicOnZero) {
                    panic!("zero is not welcome here");
                }
                if s.items.len() == 3 && bug(Bug::PushDropsFourth) {
                    return None;
                }
                if s.items.len() >= 2 && bug(Bug::PushesBelowTop) {
                    s.items.insert(s.items.len() - 1, Tracked::new(*v));
                    s.len += 1;
                    return None;
                }
                s.items.push(Tracked::new(*v));
                s.len += 1;
            }
            Op::Pop => {
                if s.items.is_empty() {
                    return None;
                }
                s.len -= 1;
                let item = if bug(Bug::PopReturnsFirst) {
                    s.items.remove(0)
                } else {
                    s.items.pop()?
                };
                if bug(Bug::PopForgets) {
                    let v = *item;
                    std::mem::forget(item);
                    return Some(v);
                }
                return Some(item.into_inner());
            }
            Op::Clear => {
                if bug(Bug::DuplicateOnClear) && !s.items.is_empty() {
                    // SAFETY: `Tracked<u32>` owns no memory, so a bitwise duplicate is harmless to
                    // memory; dropping it and the original is exactly the double drop under test.
                    drop(unsafe { std::ptr::read(&s.items[0]) });
                }
                if bug(Bug::ReadAfterDrop) && !s.items.is_empty() {
                    // SAFETY: as above: a bitwise duplicate of a value that owns no memory.
                    drop(unsafe { std::ptr::read(&s.items[0]) });
                    let _ = *s.items[0];
                    std::mem::forget(s.items.remove(0));
                }
                // Reset the count before element drops run: one of them may panic.
                s.len = 0;
                if bug(Bug::ClearLeaksOnPanic) {
                    let mut rest = std::mem::ManuallyDrop::new(std::mem::take(&mut s.items));
                    while let Some(item) = rest.pop() {
                        drop(item);
                    }
                    drop(std::mem::ManuallyDrop::into_inner(rest));
                } else {
                    s.items.clear();
                }
            }
            Op::Repeat(n) => {
                for _ in 0..*n % 8 {
                    let Some(top) = s.items.last() else { break };
                    let copy = top.clone();
                    s.items.push(copy);
                    s.len += 1;
                }
            }
        }
        None
    }

    fn check_invariants(s: &ToyStack) {
        let len = if bug(Bug::LenOffByOne) && s.len == 2 {
            3
        } else if bug(Bug::LenOffFromTwo) && s.len >= 2 {
            s.len + 1
        } else {
            s.len
        };
        assert!(
            len == s.items.len(),
            "len field {len} but {} items",
            s.items.len()
        );
    }

    fn model_state(model: &Self::Model) -> impl Iterator<Item = u32> {
        model.iter().map(|v| **v)
    }

    fn subject_state(s: &ToyStack) -> impl Iterator<Item = u32> {
        let mut state: Vec<u32> = s.items.iter().map(|v| **v).collect();
        if bug(Bug::ReversedStorage) {
            state.reverse();
        }
        state.into_iter()
    }
}

/// Ops, or ops and armed panics, as the steps of a run.
fn steps<T: Clone + Into<Step<Op>>>(ops: &[T]) -> Vec<Step<Op>> {
    ops.iter().cloned().map(Into::into).collect()
}

/// Runs `ops` with `b` switched on.
fn run_with_bug<T: Clone + Into<Step<Op>>>(b: Bug, ops: &[T]) -> Outcome<Step<Op>> {
    run_with_bugs([b, Bug::None], ops)
}

/// Runs `ops` with both `bugs` switched on.
fn run_with_bugs<T: Clone + Into<Step<Op>>>(bugs: [Bug; 2], ops: &[T]) -> Outcome<Step<Op>> {
    BUGS.with(|c| c.set(bugs));
    let outcome = lockstep::run::<StackSpec>(&steps(ops));
    BUGS.with(|c| c.set([Bug::None; 2]));
    outcome
}

/// The failure `ops` give with `b` on; also checks the same ops pass without it.
fn failure<T: Clone + Into<Step<Op>>>(b: Bug, ops: &[T]) -> (FailureKind, Phase) {
    assert_eq!(
        run_with_bug(Bug::None, ops),
        Outcome::Pass { steps: ops.len() }
    );
    match run_with_bug(b, ops) {
        Outcome::Fail(f) => {
            let expected = match f.phase {
                Phase::Start => 0,
                Phase::Step(i) => i + 1,
                Phase::End => ops.len(),
            };
            assert_eq!(
                f.ops.len(),
                expected,
                "the failure carries the ops up to its step"
            );
            (f.kind, f.phase)
        }
        pass => panic!("{b:?} went unnoticed: {pass:?}"),
    }
}

use Op::*;
use lockstep::Step::Arm;

#[test]
fn correct_stack_passes_with_injected_panics() {
    let ops = [
        Push(1).into(),
        Push(2).into(),
        Arm(PanicPlan::Clone { after: 2 }),
        Repeat(5).into(),
        Arm(PanicPlan::Drop { after: 1 }),
        Clear.into(),
        Push(3).into(),
        Pop.into(),
        Pop.into(),
    ];
    assert_eq!(
        run_with_bug(Bug::None, &ops),
        Outcome::Pass { steps: ops.len() }
    );
}

#[test]
fn divergence_is_reported_at_the_op() {
    let (kind, phase) = failure(Bug::PopReturnsFirst, &[Push(1), Push(2), Pop]);
    assert_eq!(phase, Phase::Step(2));
    assert_eq!(
        kind,
        FailureKind::Divergence {
            model: "Some(2)".into(),
            subject: "Some(1)".into()
        }
    );
}

#[test]
fn forgotten_value_is_a_leak() {
    let (kind, phase) = failure(Bug::PopForgets, &[Push(1), Push(2), Pop, Push(3)]);
    assert_eq!(phase, Phase::Step(2));
    assert_eq!(
        kind,
        FailureKind::Leak {
            model: 1,
            subject: 2
        }
    );
}

#[test]
fn a_leak_does_not_hide_a_later_failure() {
    let bugs = [Bug::PopForgets, Bug::PanicOnZero];
    // The leak at step 2 is reported when nothing worse follows: at its own step, with the ops
    // up to it, however many values leak after it.
    let ops = [Push(1), Push(2), Pop, Push(3), Pop, Pop];
    let Outcome::Fail(f) = run_with_bugs(bugs, &ops) else {
        panic!("the leak went unnoticed")
    };
    assert_eq!((f.phase, f.ops.len()), (Phase::Step(2), 3));
    assert_eq!(
        f.kind,
        FailureKind::Leak {
            model: 1,
            subject: 2
        }
    );
    // A failure after the leak is the run's failure: a shallow leak does not end every run.
    let ops = [Push(1), Pop, Push(0), Push(4)];
    let Outcome::Fail(f) = run_with_bugs(bugs, &ops) else {
        panic!("the panic went unnoticed")
    };
    assert_eq!((f.phase, f.ops.len()), (Phase::Step(2), 3));
    assert!(
        matches!(&f.kind, FailureKind::Panic { message, .. } if message == "zero is not welcome here"),
        "{:?}",
        f.kind
    );
    // A value lost after a leak still fails the run at its step (the counts balance, as many
    // leaked as were lost, so the state comparison says it).
    let bugs = [Bug::PopForgets, Bug::PushDropsFourth];
    let ops = [Push(1), Push(2), Pop, Push(3), Push(4), Push(5)];
    let Outcome::Fail(f) = run_with_bugs(bugs, &ops) else {
        panic!("the lost value went unnoticed")
    };
    assert_eq!(f.phase, Phase::Step(5));
    assert!(
        matches!(f.kind, FailureKind::StateMismatch { .. }),
        "{:?}",
        f.kind
    );
}

#[test]
fn dropped_value_is_an_early_drop() {
    let (kind, phase) = failure(Bug::PushDropsFourth, &[Push(1), Push(2), Push(3), Push(4)]);
    assert_eq!(phase, Phase::Step(3));
    assert_eq!(
        kind,
        FailureKind::EarlyDrop {
            model: 4,
            subject: 3
        }
    );
}

#[test]
fn double_drop_is_reported() {
    let (kind, phase) = failure(Bug::DuplicateOnClear, &[Push(5), Clear]);
    assert_eq!(phase, Phase::Step(1));
    assert!(matches!(kind, FailureKind::DoubleDrop { .. }), "{kind:?}");
}

#[test]
fn use_after_drop_is_reported() {
    let (kind, _) = failure(Bug::ReadAfterDrop, &[Push(5), Push(6), Clear]);
    assert!(matches!(kind, FailureKind::UseAfterDrop { .. }), "{kind:?}");
}

#[test]
fn broken_invariant_is_reported_with_its_message() {
    let (kind, phase) = failure(Bug::LenOffByOne, &[Push(1), Push(2), Push(3)]);
    assert_eq!(phase, Phase::Step(1));
    let FailureKind::Invariant { message, location } = kind else {
        panic!("{kind:?}")
    };
    assert_eq!(message, "len field 3 but 2 items");
    assert!(location.unwrap().contains("runner.rs"));
}

#[test]
fn invariants_checked_with_the_states_are_reported_at_the_op_that_broke_them() {
    BUGS.with(|c| c.set([Bug::LenOffFromTwo, Bug::None]));
    let ops = [Push(1), Push(2), Push(3), Push(4), Push(5)];
    let with_states = Config::default().with_invariants(InvariantChecks::WithStates);
    let mut found = Vec::new();
    // Checked after every op; after ops 1, 2, 4 and the last; after op 4 and the last only.
    for config in [
        Config::default().with_invariants(InvariantChecks::EveryOp),
        with_states.clone(),
        with_states.with_state_every(4),
    ] {
        let outcome = lockstep::run_with::<StackSpec>(&steps(&ops), &config);
        found.push(
            outcome
                .failure()
                .map(|f| (f.phase, f.ops.len(), f.kind.clone())),
        );
    }
    BUGS.with(|c| c.set([Bug::None; 2]));
    let broken = FailureKind::Invariant {
        message: "len field 3 but 2 items".into(),
        location: None,
    };
    for f in &mut found {
        if let Some((_, _, FailureKind::Invariant { location, .. })) = f {
            *location = None;
        }
    }
    // The second push breaks it, wherever it is seen.
    assert_eq!(found, vec![Some((Phase::Step(1), 2, broken)); 3]);
}

#[test]
fn subject_panic_is_caught_with_location() {
    let (kind, phase) = failure(Bug::PanicOnZero, &[Push(1), Push(0)]);
    assert_eq!(phase, Phase::Step(1));
    let FailureKind::Panic {
        message, location, ..
    } = kind
    else {
        panic!("{kind:?}")
    };
    assert_eq!(message, "zero is not welcome here");
    assert!(location.unwrap().contains("runner.rs"));
}

#[test]
fn state_mismatch_is_reported() {
    let (kind, phase) = failure(Bug::ReversedStorage, &[Push(1), Push(1), Push(2)]);
    assert_eq!(phase, Phase::Step(2));
    assert_eq!(
        kind,
        FailureKind::StateMismatch {
            model: "[1, 1, 2]".into(),
            subject: "[2, 1, 1]".into()
        }
    );
}

#[test]
fn sampled_state_comparison_reports_the_step_that_made_the_difference() {
    BUGS.with(|c| c.set([Bug::ReversedStorage, Bug::None]));
    // Reversed, one element looks right; the second push makes the states differ.
    let ops = [Push(1), Push(1), Push(2), Push(3), Push(4), Push(5)];
    let mut phases = Vec::new();
    for every in [0, 1, 10] {
        let config = Config::default().with_state_every(every);
        let outcome = lockstep::run_with::<StackSpec>(&steps(&ops), &config);
        phases.push(outcome.failure().map(|f| (f.phase, f.ops.len())));
    }
    BUGS.with(|c| c.set([Bug::None; 2]));
    // [1, 1] reversed is [1, 1]: the first difference is after `Push(2)`, at step 2, whether it
    // is seen there (every step) or later (after step 4, or after the last) and found again.
    assert_eq!(phases, [Some((Phase::Step(2), 3)); 3]);
}

#[test]
fn a_failure_that_follows_a_state_difference_is_reported_where_the_states_began_to_differ() {
    // After `Push(3)` the states differ ([1, 2, 3] against [1, 3, 2]), unseen: the default
    // schedule compares after steps 1, 2 and 4. The `Pop` after it returns different values; the
    // runner reports the step that made the states differ, as comparing every step would.
    let ops = [Push(1), Push(2), Push(3), Pop];
    let Outcome::Fail(f) = run_with_bug(Bug::PushesBelowTop, &ops) else {
        panic!("the misplaced push went unnoticed")
    };
    assert_eq!((f.phase, f.ops.len()), (Phase::Step(2), 3));
    assert!(
        matches!(f.kind, FailureKind::StateMismatch { .. }),
        "{:?}",
        f.kind
    );
    // With more pushes the difference is seen at step 4, and found again at step 2.
    let ops = [Push(1), Push(2), Push(3), Push(4), Push(5)];
    let Outcome::Fail(f) = run_with_bug(Bug::PushesBelowTop, &ops) else {
        panic!("the misplaced push went unnoticed")
    };
    assert_eq!((f.phase, f.ops.len()), (Phase::Step(2), 3));
}

/// A subject that is not panic safe: its `Repeat` loses what it cloned when a clone panics,
/// where std's `Vec::extend` keeps it.
#[derive(Default)]
struct LossyStack(Vec<Tracked<u32>>);

struct LossySpec;

impl Spec for LossySpec {
    type Op = Op;
    type Subject = LossyStack;
    type Model = Vec<Tracked<u32>>;
    type Output = Option<u32>;
    type Item = u32;

    fn new_model() -> Self::Model {
        Vec::new()
    }
    fn new_subject() -> LossyStack {
        LossyStack::default()
    }
    fn apply_model(model: &mut Self::Model, op: &Op) -> Option<u32> {
        StackSpec::apply_model(model, op)
    }
    fn apply_subject(s: &mut LossyStack, op: &Op) -> Option<u32> {
        match op {
            Repeat(n) => {
                if let Some(top) = s.0.last() {
                    // Clones into a scratch vector that a panic throws away.
                    let copies: Vec<_> = (0..*n % 8).map(|_| top.clone()).collect();
                    s.0.extend(copies);
                }
                None
            }
            other => StackSpec::apply_model(&mut s.0, other),
        }
    }
    fn check_invariants(_: &LossyStack) {}
    fn model_state(model: &Self::Model) -> impl Iterator<Item = u32> {
        model.iter().map(|v| **v)
    }
    fn subject_state(s: &LossyStack) -> impl Iterator<Item = u32> {
        Self::model_state(&s.0)
    }
}

#[test]
fn panic_unsafe_subject_is_caught_by_injected_panic() {
    let ops = steps(&[Push(7), Repeat(3)]);
    assert!(
        lockstep::run::<LossySpec>(&ops).is_pass(),
        "no panic armed: no difference"
    );
    let ops = [
        Push(7).into(),
        Arm(PanicPlan::Clone { after: 2 }),
        Repeat(3).into(),
    ];
    let outcome = lockstep::run::<LossySpec>(&ops);
    let f = outcome.failure().expect("the lost clones are noticed");
    assert_eq!(f.phase, Phase::Step(2));
    // The clones the subject threw away were dropped: the accounting sees it before the states.
    assert_eq!(
        f.kind,
        FailureKind::EarlyDrop {
            model: 3,
            subject: 1
        }
    );
}

#[test]
fn decode_is_deterministic_and_bounded() {
    let data: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let a = lockstep::decode::<StackSpec>(&data);
    let b = lockstep::decode::<StackSpec>(&data);
    assert_eq!(a, b);
    assert!(!a.is_empty());
    assert!(a.len() <= StackSpec::config().max_ops);
    assert_eq!(lockstep::decode::<StackSpec>(&[]), Vec::<Step<Op>>::new());
    assert_eq!(
        lockstep::run_bytes::<StackSpec>(&data),
        lockstep::run::<StackSpec>(&a)
    );
}

#[test]
fn bytes_decoded_as_the_run_goes_fail_as_their_decoded_ops_do() {
    // Each bug on its own, over inputs of many lengths: `run_bytes` decodes as it runs and
    // must report what a run of the decoded ops reports, step and ops included.
    let bugs = [
        Bug::None,
        Bug::PopReturnsFirst,
        Bug::PopForgets,
        Bug::LenOffFromTwo,
        Bug::ReversedStorage,
        Bug::PushesBelowTop,
        Bug::DuplicateOnClear,
    ];
    let mut failures = 0;
    for (n, b) in bugs.into_iter().enumerate() {
        for len in [0_u64, 1, 7, 64, 300, 1000, 4000] {
            let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ (n as u64) << 32 ^ len;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    // xorshift64*
                    state ^= state >> 12;
                    state ^= state << 25;
                    state ^= state >> 27;
                    (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
                })
                .collect();
            BUGS.with(|c| c.set([b, Bug::None]));
            let streamed = lockstep::run_bytes::<StackSpec>(&data);
            let decoded = lockstep::run::<StackSpec>(&lockstep::decode::<StackSpec>(&data));
            BUGS.with(|c| c.set([Bug::None; 2]));
            assert_eq!(streamed, decoded, "{b:?}, {len} bytes");
            failures += usize::from(!streamed.is_pass());
        }
    }
    assert!(
        failures >= 12,
        "only {failures} of the runs failed: the test checks too little"
    );
}

#[test]
fn traces_round_trip() {
    let ops = vec![
        Push(1).into(),
        Arm(PanicPlan::Drop { after: 3 }),
        Repeat(2).into(),
        Pop.into(),
        Clear.into(),
    ];
    let text = lockstep::trace::write("stack", &ops).unwrap();
    assert_eq!(
        text,
        "# lockstep trace\n# target: stack\nPush(1)\nArm(Drop(after: 3))\nRepeat(2)\nPop\nClear\n"
    );
    assert_eq!(lockstep::trace::parse::<Op>("stack", &text).unwrap(), ops);
    assert_eq!(lockstep::trace::target_of(&text), Some("stack"));
}

/// `replay trace --fired` marks the ops an injected panic fired in, and only those: an arm whose
/// count is never reached marks nothing.
#[test]
fn marked_traces_say_where_an_injected_panic_fired() {
    let target = lockstep::Target::of::<StackSpec>("stack");
    let case = |after: u8| {
        lockstep::case::Case::Trace(format!(
            "# lockstep trace\nPush(1)\nArm(Clone(after: {after}))\nRepeat(3)\nPop\n"
        ))
    };
    let fired = lockstep::trace::FIRED;
    assert_eq!(
        target.to_marked_trace(&case(1)).unwrap(),
        format!(
            "# lockstep trace\n# target: stack\nPush(1)\nArm(Clone(after: 1))\nRepeat(3)\n\
             {fired}\nPop\n"
        )
    );
    let quiet = target.to_marked_trace(&case(5)).unwrap();
    assert!(!quiet.contains(fired), "{quiet}");
    assert_eq!(quiet, target.to_trace(&case(5)).unwrap());
    // A marked trace reads back as the same ops.
    let marked = target.to_marked_trace(&case(1)).unwrap();
    assert_eq!(
        lockstep::trace::parse::<Op>("stack", &marked).unwrap(),
        lockstep::trace::parse::<Op>("stack", &target.to_trace(&case(1)).unwrap()).unwrap()
    );
}

#[test]
fn trace_errors_name_the_line_and_the_fix() {
    use lockstep::trace::{TraceError, parse};
    let err = parse::<Op>("stack", "# lockstep trace\nPush(1)\nShove(2)\n").unwrap_err();
    let TraceError::BadOp { line, ref text, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!((line, text.as_str()), (3, "Shove(2)"));
    assert!(err.to_string().contains("op enum changed"), "{err}");

    let err = parse::<Op>("stack", "# lockstep trace\n# target: queue\nPop\n").unwrap_err();
    assert_eq!(
        err,
        TraceError::WrongTarget {
            expected: "stack".into(),
            found: "queue".into()
        }
    );
    assert_eq!(
        parse::<Op>("stack", "Push(1)\n").unwrap_err(),
        TraceError::MissingHeader
    );
    // A trace cut in the middle of a line.
    let err = parse::<Op>("stack", "# lockstep trace\nPush(1)\nArm(Drop(aft").unwrap_err();
    assert!(matches!(err, TraceError::BadOp { line: 3, .. }), "{err:?}");
}

#[test]
fn failure_report_renders_op_and_trace() {
    BUGS.with(|c| c.set([Bug::PopReturnsFirst, Bug::None]));
    let report = lockstep::Target::of::<StackSpec>("stack")
        .replay(&lockstep::case::Case::Trace(
            "# lockstep trace\nPush(1)\nPush(2)\nPop\nPush(9)\n".into(),
        ))
        .unwrap();
    BUGS.with(|c| c.set([Bug::None; 2]));
    assert_eq!((report.ops, report.steps), (4, 3));
    let text = report.render();
    assert!(text.starts_with("FAIL at step 2, op `Pop`"), "{text}");
    assert!(
        text.contains("model:   Some(2)") && text.contains("subject: Some(1)"),
        "{text}"
    );
    assert!(
        text.contains("# target: stack\n    Push(1)\n    Push(2)\n    Pop"),
        "{text}"
    );
    // The replay protocol: one record per line, read back as written.
    let line = lockstep::driver::to_record(&report).unwrap();
    assert!(!line.contains('\n'), "{line}");
    assert_eq!(
        lockstep::driver::from_record::<lockstep::Report>(&line),
        Some(report)
    );
}

/// A leak after an injected panic is a panic-safety finding under std's exact behaviour, and no
/// finding at all when the spec holds the subject to memory safety only; a double drop is a
/// finding under both.
#[test]
fn the_panic_policy_says_what_counts_after_an_injected_panic() {
    let ops = [
        Op::Push(1).into(),
        Op::Push(2).into(),
        Op::Push(3).into(),
        Arm(PanicPlan::Drop { after: 0 }),
        Op::Clear.into(),
        Op::Push(4).into(),
    ];
    let with = |b: Bug, policy: PanicPolicy| {
        BUGS.with(|c| c.set([b, Bug::None]));
        let outcome =
            lockstep::run_with::<StackSpec>(&ops, &Config::default().with_panic_policy(policy));
        BUGS.with(|c| c.set([Bug::None; 2]));
        outcome
    };
    assert!(with(Bug::None, PanicPolicy::Exact).is_pass());
    let exact = with(Bug::ClearLeaksOnPanic, PanicPolicy::Exact);
    let failure = exact.failure().expect("a leak after the panic");
    assert!(
        matches!(failure.kind, FailureKind::Leak { .. }),
        "{failure}"
    );
    assert_eq!(failure.phase, Phase::Step(4));
    assert!(failure.after_injected_panic);
    assert_eq!(failure.severity(), Severity::PanicSafety);

    let lenient = with(Bug::ClearLeaksOnPanic, PanicPolicy::MemorySafety);
    assert_eq!(
        lenient,
        Outcome::Pass { steps: 5 },
        "the run ends after the panic"
    );

    let double = with(Bug::DuplicateOnClear, PanicPolicy::MemorySafety);
    let failure = double.failure().expect("a double drop is memory safety");
    assert!(
        matches!(failure.kind, FailureKind::DoubleDrop { .. }),
        "{failure}"
    );
    assert_eq!(failure.severity(), Severity::MemorySafety);

    // Without an injected panic, a leak is a correctness finding.
    BUGS.with(|c| c.set([Bug::PopForgets, Bug::None]));
    let plain = lockstep::run::<StackSpec>(&steps(&[Op::Push(1), Op::Pop]));
    BUGS.with(|c| c.set([Bug::None; 2]));
    let failure = plain.failure().expect("a leak");
    assert!(
        matches!(failure.kind, FailureKind::Leak { .. }),
        "{failure}"
    );
    assert_eq!(failure.severity(), Severity::Correctness);
}

#[test]
fn the_fuzz_target_reads_traces_as_a_replay_does() {
    // A valid trace runs as its ops: with the bug on, this one fails, and a failing fuzz target
    // outside a campaign aborts, which would end this test binary; with it off, it passes.
    let trace = "# lockstep trace\n# target: toy\nPush(1)\nPush(2)\nPop\n";
    lockstep::driver::fuzz::<StackSpec>("toy", trace.as_bytes());
    // What has a trace header but is not a trace (the fuzzer's edit of a seed) is skipped, not
    // decoded as bytes: a replay would refuse it, so it must never be a finding.
    BUGS.with(|c| c.set([Bug::PanicOnZero, Bug::None]));
    for corrupt in [
        &b"# lockstep trace\n\xff\xfe"[..],
        b"# lockstep trace\n# target: toy\nPush(1\nPop",
    ] {
        // Decoded as bytes, these fail (so the test would abort if the target did that).
        let as_bytes = lockstep::run::<StackSpec>(&lockstep::decode::<StackSpec>(corrupt));
        assert!(!as_bytes.is_pass(), "{as_bytes:?}");
        lockstep::driver::fuzz::<StackSpec>("toy", corrupt);
    }
    BUGS.with(|c| c.set([Bug::None; 2]));
}
