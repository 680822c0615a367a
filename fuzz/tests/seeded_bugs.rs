//! Every seeded bug is caught by the harness from its committed input in
//! `corpora/<target>/seeded/<bug-id>.trace`, and the same input passes without the bug.
//!
//! Bugs a native run can see (through the model, the drop accounting or the invariants) are
//! switched on in-process. Memory bugs are undefined behaviour natively, so they are replayed in
//! a child process under Miri, in each aliasing model the catalogue names for them.

use std::ffi::OsString;
use std::path::Path;

use lockstep::case::Case;
use lockstep::miri::{AliasingModel, MiriReplay, MiriVerdict};
use lockstep_fuzz::cases::{SEEDED_CASES, SeededCase};
use structures::seeded::{self, Bug, BugClass, CATALOGUE, Detector, SeededBug};

fn case_of(bug: &SeededBug) -> &'static SeededCase {
    SEEDED_CASES
        .iter()
        .find(|c| c.bug_id == bug.id)
        .unwrap_or_else(|| {
            panic!(
                "seeded bug {} has no committed input: add corpora/{}/seeded/{}.trace",
                bug.id, bug.target, bug.id
            )
        })
}

fn replay(case: &SeededCase, bug: Option<Bug>) -> lockstep::Report {
    let target = lockstep_fuzz::target(case.target)
        .unwrap_or_else(|| panic!("{}: no target named `{}`", case.path, case.target));
    seeded::with_bug(bug, || target.replay(&Case::Trace(case.trace.to_owned())))
        .unwrap_or_else(|e| panic!("{}: {e}", case.path))
}

#[test]
fn every_seeded_bug_has_one_committed_input_for_its_target() {
    for bug in CATALOGUE {
        assert_eq!(
            case_of(bug).target,
            bug.target,
            "{}: filed under the wrong target",
            bug.id
        );
    }
    for case in SEEDED_CASES {
        assert!(
            Bug::from_id(case.bug_id).is_some(),
            "{} names no seeded bug: rename it after one of the catalogue's ids",
            case.path
        );
    }
}

#[test]
fn seeded_inputs_pass_without_their_bug() {
    for case in SEEDED_CASES {
        let report = replay(case, None);
        assert!(
            report.passed(),
            "{} fails on the correct code:\n{}",
            case.path,
            report.render()
        );
    }
}

/// The failure classes a bug of `class` may show as in a native run.
fn native_classes(class: BugClass) -> &'static [&'static str] {
    match class {
        BugClass::WrongResult => &["divergence", "state-mismatch"],
        BugClass::Leak => &["leak"],
        _ => &[
            "divergence",
            "state-mismatch",
            "invariant",
            "panic",
            "leak",
            "early-drop",
            "double-drop",
            "use-after-drop",
        ],
    }
}

#[cfg_attr(
    miri,
    ignore = "switches bugs on in-process; Miri would stop at the first one"
)]
#[test]
fn natively_visible_seeded_bugs_are_caught() {
    for bug in CATALOGUE.iter().filter(|b| b.caught_natively()) {
        let case = case_of(bug);
        let report = replay(case, Some(bug.bug));
        let failure = report
            .failure
            .as_ref()
            .unwrap_or_else(|| panic!("seeded bug {} went unnoticed on {}", bug.id, case.path));
        let class = failure.kind.class();
        assert!(
            native_classes(bug.class).contains(&class),
            "seeded bug {} ({}) showed as {class}:\n{}",
            bug.id,
            bug.class,
            report.render()
        );
    }
}

#[cfg_attr(miri, ignore = "runs Miri in child processes")]
#[test]
fn memory_seeded_bugs_are_caught_by_miri_in_each_model_named() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Err(message) = lockstep::miri::check_available(&workspace) {
        panic!("{message}");
    }
    let replay = |bug: Option<&SeededBug>| MiriReplay {
        dir: workspace.clone(),
        package: "lockstep-fuzz".into(),
        bin: "replay".into(),
        features: vec!["seeded-bugs".into()],
        env: bug
            .map(|b| ("LOCKSTEP_SEEDED_BUG".to_owned(), b.id.to_owned()))
            .into_iter()
            .collect(),
        target_dir: None,
    };
    for bug in CATALOGUE
        .iter()
        .filter(|b| b.detectors.iter().any(|d| d.is_miri()))
    {
        let case = case_of(bug);
        let args = [OsString::from(bug.target), OsString::from(case.path)];
        for model in AliasingModel::BOTH {
            let named = match model {
                AliasingModel::StackedBorrows => Detector::MiriStackedBorrows,
                AliasingModel::TreeBorrows => Detector::MiriTreeBorrows,
            };
            if !bug.detectors.contains(&named) {
                continue;
            }
            let output = replay(Some(bug))
                .command(model, &args)
                .output()
                .expect("running cargo miri");
            let verdict = MiriVerdict::of(&output);
            assert!(
                matches!(
                    verdict,
                    MiriVerdict::UndefinedBehavior(_) | MiriVerdict::Leak(_)
                ),
                "seeded bug {} not reported by Miri ({}) on {}: {verdict:?}\n{}",
                bug.id,
                model.short(),
                case.path,
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}
