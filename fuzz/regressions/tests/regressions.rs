//! Every case of the regression corpus, as a test named after it.
//!
//! A case must give its stored verdict: `pass`, it passes (with its seeded bug on, if it has
//! one); `fail`, it passes with its seeded bug off and, when every class it was seen as is one the
//! harness reports without memory going wrong, is caught with the bug on. Memory errors are not
//! provoked in-process (natively they are undefined behaviour, and under Miri the first one ends
//! the test binary): `lockstep corpus check --asan --miri` and `seeded_bugs.rs` replay those in
//! child processes.

use lockstep::case::Case;
use lockstep::finding::Engine;
use lockstep_regressions::{REGRESSIONS, RegressionCase};
use lockstep_store::corpus::{self, Expect};
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
        seeded::with_bugs(bugs, || target.replay(&Case::Trace(case.trace().to_owned())))
            .unwrap_or_else(|e| panic!("{}: {e}", case.path))
    };
    let class = |report: &lockstep::Report| report.failure.as_ref().map(|f| f.kind.class());
    // Memory errors are not provoked in-process (see the top of this file): with its bugs on,
    // a case runs here when it must pass, or when every engine saw what the harness reports.
    let with =
        (meta.expect == Expect::Pass || (meta.harness_only() && !cfg!(miri))).then(|| replay(bug));
    let without = (meta.expect == Expect::Fail && !bug.is_empty()).then(|| replay(BugSet::NONE));
    let with_class = with.as_ref().map(class);
    let without_class = without.as_ref().map(class);
    let problems = corpus::verdict_problems(
        &meta,
        Engine::Native,
        with_class.as_ref().map(Option::as_ref),
        without_class.as_ref().map(Option::as_ref),
    );
    let reports: Vec<String> = with.iter().chain(&without).map(|r| r.render()).collect();
    assert!(problems.is_empty(), "{}: {}\n{}", case.path, problems.join("; "), reports.join("\n"));
}

include!(concat!(env!("OUT_DIR"), "/regression_tests.rs"));
