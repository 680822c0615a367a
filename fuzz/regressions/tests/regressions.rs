//! Every case of the regression corpus, as a test named after it.
//!
//! A case must give its stored verdict: `pass`, it passes (with its seeded bug on, if it has
//! one); `fail`, it passes with its seeded bug off and, when every class it was seen as is one the
//! harness reports without memory going wrong, is caught with the bug on. Memory errors are not
//! provoked in-process (natively they are undefined behaviour, and under Miri the first one ends
//! the test binary): `lockstep corpus check --asan --miri` and `seeded_bugs.rs` replay those in
//! child processes.

use lockstep::case::Case;
use lockstep::corpus::{self, Expect};
use lockstep_regressions::{REGRESSIONS, RegressionCase};
use structures::seeded::{self, BugSet};

fn check(case: &RegressionCase) {
    let meta = corpus::parse_meta(case.meta)
        .unwrap_or_else(|e| panic!("{}: bad metadata: {e}", case.name));
    assert_eq!(
        corpus::checksum(case.trace().as_bytes()),
        meta.trace_checksum,
        "{}: the trace does not match its checksum (truncated? edited without `lockstep corpus rehash`?)",
        case.path
    );
    let target = lockstep_fuzz::target(case.target)
        .unwrap_or_else(|| panic!("{}: no target `{}`", case.path, case.target));
    let bug = meta.seeded_bug.as_deref().map_or(BugSet::NONE, |list| {
        BugSet::parse(list).unwrap_or_else(|e| panic!("{}: {e}", case.path))
    });
    let replay = |bugs: BugSet| {
        seeded::with_bugs(bugs, || {
            target.replay(&Case::Trace(case.trace().to_owned()))
        })
        .unwrap_or_else(|e| panic!("{}: {e}", case.path))
    };
    match meta.expect {
        Expect::Pass => {
            let report = replay(bug);
            assert!(
                report.passed(),
                "{}: expected to pass:\n{}",
                case.path,
                report.render()
            );
        }
        Expect::Fail => {
            if !bug.is_empty() {
                let report = replay(BugSet::NONE);
                assert!(
                    report.passed(),
                    "{}: must pass without its seeded bug:\n{}",
                    case.path,
                    report.render()
                );
            }
            let harness_only = meta
                .classes
                .iter()
                .all(|c| corpus::is_harness_class(c.split(" (").next().unwrap_or(c)));
            if harness_only && !cfg!(miri) {
                let report = replay(bug);
                let failure = report
                    .failure
                    .as_ref()
                    .unwrap_or_else(|| panic!("{}: no longer detected", case.path));
                let expected = meta.class_seen_by("native");
                assert_eq!(
                    Some(failure.kind.class()),
                    expected,
                    "{}: detected as another class:\n{}",
                    case.path,
                    report.render()
                );
            }
        }
    }
}

include!(concat!(env!("OUT_DIR"), "/regression_tests.rs"));
