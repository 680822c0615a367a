//! Op coverage: what a set of cases made each op variant do, counted on the model.
#![allow(
    clippy::unit_arg,
    reason = "an op whose method returns nothing ends in `.into()`, like every other op"
)]

use lockstep::op_coverage::{self, OpCoverage, VariantCoverage};
use lockstep::select::at;
use lockstep::{Out, PanicPlan, Step};

lockstep::ops! {
    enum Kind { Front, Back }
}

lockstep::ops! {
    enum Op {
        Push(u32),
        /// `pop_front` or `pop_back`.
        Pop(Kind),
        /// `remove(i)`: a panic by contract out of range.
        Remove(u8),
        /// `truncate(len + n)`: written wrong, it can never shorten the list.
        TruncatePastEnd(u8),
        Len,
        /// Never in the cases below.
        Clear,
        /// `Some(kind)` or nothing: the probe finds the enum inside the option.
        Maybe(Option<Kind>),
    }
}

fn apply(v: &mut std::collections::VecDeque<u32>, op: &Op) -> Out<u32> {
    let len = v.len();
    match op {
        Op::Push(x) => v.push_back(*x).into(),
        Op::Pop(Kind::Front) => v.pop_front().into(),
        Op::Pop(Kind::Back) => v.pop_back().into(),
        Op::Remove(i) => at(*i, len, |i| v.remove(i)).into(),
        Op::TruncatePastEnd(n) => v.truncate(len + usize::from(*n)).into(),
        Op::Len => len.into(),
        Op::Clear => v.clear().into(),
        Op::Maybe(_) => Out::Unit,
    }
}

fn state(v: &std::collections::VecDeque<u32>) -> impl Iterator<Item = u32> + '_ {
    v.iter().copied()
}

lockstep::spec! {
    struct DequeSpec {
        type Op = Op;
        type Model = std::collections::VecDeque<u32>;
        type Subject = std::collections::VecDeque<u32>;
        type Output = Out<u32>;
        type Item = u32;
        apply = apply;
        state = state;

        fn check_invariants(_: &std::collections::VecDeque<u32>) {}
    }
}

fn row<'a>(coverage: &'a OpCoverage, name: &str) -> &'a VariantCoverage {
    coverage
        .variants
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no row {name} in\n{}", coverage.render()))
}

#[test]
fn every_declared_variant_is_listed_the_op_enum_first() {
    let declared = op_coverage::declared::<Op>();
    let names: Vec<(&str, Vec<&str>)> = declared.iter().map(|(e, v)| (*e, v.to_vec())).collect();
    assert_eq!(
        names,
        [
            (
                "Op",
                vec![
                    "Push",
                    "Pop",
                    "Remove",
                    "TruncatePastEnd",
                    "Len",
                    "Clear",
                    "Maybe"
                ]
            ),
            ("Kind", vec!["Front", "Back"]),
        ]
    );
    let mut seen = Vec::new();
    op_coverage::variants(&Op::Pop(Kind::Back), &mut seen);
    assert_eq!(seen, [("Op", "Pop"), ("Kind", "Back")]);
}

#[test]
fn runs_are_sorted_into_real_work_no_ops_and_contract_panics() {
    use Op::*;
    let cases = vec![
        vec![
            Push(1),
            Push(2),
            TruncatePastEnd(0),
            Remove(1),
            Remove(5),
            Len,
        ],
        vec![
            Pop(Kind::Front),
            Push(3),
            Pop(Kind::Back),
            Len,
            TruncatePastEnd(4),
        ],
        vec![Maybe(Some(Kind::Front)), Push(4), Maybe(None)],
    ];
    let coverage = op_coverage::count::<DequeSpec>(cases.into_iter().map(lockstep::steps));
    assert_eq!((coverage.cases, coverage.ops), (3, 14));

    let push = row(&coverage, "Op::Push");
    assert_eq!(
        (push.runs, push.real(), push.non_empty, push.largest),
        (4, 4, 1, 1)
    );
    // The first pop finds nothing: a no-op; the second pops 3.
    let pop = row(&coverage, "Op::Pop");
    assert_eq!(
        (pop.runs, pop.no_ops, pop.real(), pop.non_empty),
        (2, 1, 1, 1)
    );
    let remove = row(&coverage, "Op::Remove");
    assert_eq!((remove.runs, remove.panicked, remove.real()), (2, 1, 1));
    assert_eq!(remove.largest, 2);
    // A nested variant takes its op's effect.
    let front = row(&coverage, "Kind::Front");
    assert!(front.nested);
    assert_eq!((front.runs, front.no_ops), (2, 2));
    // `Len` returns a value, on an empty structure too.
    assert_eq!(row(&coverage, "Op::Len").real(), 2);

    let warnings = coverage.warnings();
    assert_eq!(
        warnings,
        [
            "Op::TruncatePastEnd never did real work: 2 runs: 2 no-ops",
            "Op::Clear never ran",
            "Op::Maybe never did real work: 2 runs: 2 no-ops",
            "Kind::Front never did real work: 2 runs: 2 no-ops",
        ],
        "{}",
        coverage.render()
    );
}

#[test]
fn a_variant_that_worked_only_on_an_empty_structure_is_flagged() {
    let coverage = op_coverage::count::<DequeSpec>([lockstep::steps(vec![Op::Len, Op::Push(1)])]);
    assert!(
        coverage
            .warnings()
            .contains(&"Op::Len ran only on an empty structure (1 runs)".to_owned()),
        "{}",
        coverage.render()
    );
}

#[test]
fn counts_of_two_sets_add_up() {
    let one = op_coverage::count::<DequeSpec>([lockstep::steps(vec![Op::Push(1), Op::Len])]);
    let mut two = one.clone();
    two.merge(&one);
    assert_eq!((two.cases, two.ops), (2, 4));
    assert_eq!(row(&two, "Op::Len").largest, 1);
    assert_eq!(row(&two, "Op::Push").runs, 2);
    // Arms are the runner's, not the spec's: they are not counted as ops.
    let armed = vec![
        Step::Arm(PanicPlan::Clone { after: 0 }),
        Step::Op(Op::Push(1)),
    ];
    assert_eq!(op_coverage::count::<DequeSpec>([armed]).ops, 1);
}
