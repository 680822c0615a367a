//! Every seeded bug is caught by the harness from a committed input: a case of the regression
//! corpus that stores it with `expect = "fail"`.
//!
//! `regressions.rs` checks each such case passes without its bug, and catches in-process the
//! bugs the harness sees natively. Here: each bug has such a case, and the cases stored as
//! undefined behaviour under a Miri model the catalogue names are replayed in a child process
//! under that model (natively a memory bug is undefined behaviour, and under Miri the first one
//! would end the test binary).

use std::ffi::OsString;
use std::path::Path;

use lockstep_regressions::{REGRESSIONS, RegressionCase};
use lockstep_store::corpus::{self, CaseMeta, Expect};
use lockstep_store::miri::{AliasingModel, MiriReplay};
use structures::seeded::{CATALOGUE, Detector, SeededBug};

/// The stored cases that still detect `bug`, with their metadata.
fn cases_of(bug: &SeededBug) -> Vec<(&'static RegressionCase, CaseMeta)> {
    let cases: Vec<_> = REGRESSIONS
        .iter()
        .filter_map(|c| corpus::parse_meta(c.meta).ok().map(|m| (c, m)))
        .filter(|(_, m)| m.seeded_bug.as_deref() == Some(bug.id) && m.expect == Expect::Fail)
        .collect();
    assert!(
        !cases.is_empty(),
        "seeded bug {} has no regression case that detects it: find one with `lockstep fuzz {} \
         --seeded-bug {}`, or write a trace and `lockstep corpus add {} FILE --seeded-bug {}`",
        bug.id,
        bug.target,
        bug.id,
        bug.target,
        bug.id
    );
    cases
}

#[test]
fn every_seeded_bug_has_a_case_that_detects_it_on_its_target() {
    for bug in CATALOGUE {
        for (case, _) in cases_of(bug) {
            assert_eq!(case.target, bug.target, "{}: stored under the wrong target", case.path);
        }
    }
}

#[cfg_attr(miri, ignore = "runs Miri in child processes")]
#[test]
fn seeded_bugs_miri_catches_are_caught_under_miri_in_each_model_named() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if let Err(message) = lockstep_store::miri::check_available(&workspace) {
        panic!("{message}");
    }
    let models = [
        (AliasingModel::StackedBorrows, Detector::MiriStackedBorrows),
        (AliasingModel::TreeBorrows, Detector::MiriTreeBorrows),
    ];
    for bug in CATALOGUE.iter().filter(|b| b.detectors.iter().any(|d| d.is_miri())) {
        let replay = MiriReplay {
            dir: workspace.clone(),
            package: "lockstep-fuzz".into(),
            bin: "replay".into(),
            features: vec!["seeded-bugs".into()],
            env: vec![("LOCKSTEP_SEEDED_BUG".into(), bug.id.into())],
            target_dir: None,
        };
        for (model, detector) in models {
            if !bug.detectors.contains(&detector) {
                continue;
            }
            // The triage engine named after the detector: "miri-sb", "miri-tb".
            let engine: lockstep::finding::Engine =
                detector.to_string().parse().expect("a Miri detector names an engine");
            // The cases stored as undefined behaviour under this model (others show the bug
            // another way: a broken invariant, say).
            let ub_cases: Vec<_> = cases_of(bug)
                .into_iter()
                .filter(|(_, m)| m.class_seen_by(engine).is_some_and(|c| !c.is_harness()))
                .collect();
            assert!(
                !ub_cases.is_empty(),
                "seeded bug {} is said to be caught by {engine}, but no stored case shows it so",
                bug.id
            );
            for (case, _) in ub_cases {
                let args = [OsString::from(bug.target), OsString::from(case.path)];
                let output = replay
                    .command(model, &args)
                    .expect("bug ids have no white space")
                    .output()
                    .expect("running cargo miri");
                let stderr = String::from_utf8_lossy(&output.stderr);
                let verdict =
                    lockstep_store::miri::classify(&stderr, model, |f| f.into_iter().next());
                assert!(
                    verdict
                        .as_ref()
                        .is_some_and(|f| !f.class.is_harness() || f.class.to_string() == "leak"),
                    "seeded bug {} not reported by Miri ({engine}) on {}: {verdict:?}\n{}",
                    bug.id,
                    case.path,
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
    }
}
