//! Every seeded bug is caught by the harness from a committed input: a case of the regression
//! corpus that stores it with `expect = "fail"`.
//!
//! `regressions.rs` checks each such case passes without its bug, and catches in-process the
//! bugs the harness sees natively. Here: each bug has such a case, and the bugs the catalogue says
//! Miri catches are replayed in a child process under Miri, in each aliasing model it names
//! (natively a memory bug is undefined behaviour, and under Miri the first one would end the
//! test binary).

use std::ffi::OsString;
use std::path::Path;

use lockstep::corpus::{self, Expect};
use lockstep::miri::{AliasingModel, MiriReplay, MiriVerdict};
use lockstep_fuzz::cases::{REGRESSIONS, RegressionCase};
use structures::seeded::{CATALOGUE, Detector, SeededBug};

/// The stored case that still detects `bug`.
fn case_of(bug: &SeededBug) -> &'static RegressionCase {
    REGRESSIONS
        .iter()
        .find(|c| {
            corpus::parse_meta(c.meta)
                .is_ok_and(|m| m.seeded_bug.as_deref() == Some(bug.id) && m.expect == Expect::Fail)
        })
        .unwrap_or_else(|| {
            panic!(
                "seeded bug {} has no regression case that detects it: find one with \
                 `lockstep fuzz {} --seeded-bug {}`, or write a trace and `lockstep corpus add \
                 {} FILE --seeded-bug {}`",
                bug.id, bug.target, bug.id, bug.target, bug.id
            )
        })
}

#[test]
fn every_seeded_bug_has_a_case_that_detects_it_on_its_target() {
    for bug in CATALOGUE {
        assert_eq!(
            case_of(bug).target,
            bug.target,
            "{}: stored under the wrong target",
            bug.id
        );
    }
}

#[cfg_attr(miri, ignore = "runs Miri in child processes")]
#[test]
fn seeded_bugs_miri_catches_are_caught_under_miri_in_each_model_named() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Err(message) = lockstep::miri::check_available(&workspace) {
        panic!("{message}");
    }
    for bug in CATALOGUE
        .iter()
        .filter(|b| b.detectors.iter().any(|d| d.is_miri()))
    {
        let case = case_of(bug);
        let args = [OsString::from(bug.target), OsString::from(case.path)];
        for (model, detector) in [
            (AliasingModel::StackedBorrows, Detector::MiriStackedBorrows),
            (AliasingModel::TreeBorrows, Detector::MiriTreeBorrows),
        ] {
            if !bug.detectors.contains(&detector) {
                continue;
            }
            let replay = MiriReplay {
                dir: workspace.clone(),
                package: "lockstep-fuzz".into(),
                bin: "replay".into(),
                features: vec!["seeded-bugs".into()],
                env: vec![("LOCKSTEP_SEEDED_BUG".into(), bug.id.into())],
                target_dir: None,
            };
            let output = replay
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
