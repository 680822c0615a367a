//! A spec as an ordinary `#[test]` that proptest drives (feature `proptest`).
//!
//! ```ignore
//! lockstep::proptest_test!(raw_buf, my_fuzz::raw_buf::RawBufSpec);
//! ```
//!
//! defines `#[test] fn raw_buf()`. Each proptest case is a byte string from proptest's own
//! strategy (`vec(any::<u8>(), 0..=4096)`), decoded into ops by `arbitrary` exactly as a fuzz
//! target decodes its input, and run by the same runner: a failure replays, shrinks and triages
//! like one libFuzzer found. proptest's shrinking of bytes is off: a failing case is shrunk at
//! the level of ops by lockstep's shrinker, which keeps the failure's signature. The test then
//! fails with the shrunk trace, the failure report, and a `#[test]` that reproduces it.
//!
//! Failures are kept in lockstep's case format, not in proptest's seed files (which stop
//! meaning anything when the op enum changes): the shrunk trace goes to
//! `proptest-regressions/<name>/<checksum>.trace` under the test's package
//! (`CARGO_MANIFEST_DIR`; `LOCKSTEP_PROPTEST_DIR` puts them elsewhere), and every run replays
//! those first. `lockstep triage <name> FILE`
//! takes one into the regression corpus. `PROPTEST_CASES` sets how many cases run (256 by
//! default), as for any proptest test.

use std::path::{Path, PathBuf};

use proptest::collection::vec;
use proptest::num::u8::ANY;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use crate::case::{self, Case};
use crate::driver::{ShrinkReport, Target, shrink_case};
use crate::repro::{test_name, test_source};
use crate::runner::{self, Outcome};
use crate::shrink::Budget;
use crate::spec::Spec;
use crate::trace;

/// Where failures are kept instead of `proptest-regressions/` (a directory per test name).
pub const DIR_ENV: &str = "LOCKSTEP_PROPTEST_DIR";

/// The longest byte string a case is made of: a campaign's longest input.
pub const MAX_LEN: usize = 4096;

/// Defines `#[test] fn $name()` that runs the spec `$spec` under proptest (see
/// [`crate::proptest`]); `$name` is also the target name its traces carry, so give it the
/// fuzz target's name to replay them with `lockstep replay`.
#[macro_export]
macro_rules! proptest_test {
    ($name:ident, $spec:ty) => {
        #[test]
        fn $name() {
            $crate::proptest::check::<$spec>(stringify!($name), module_path!());
        }
    };
}

/// Runs the spec `S` as target `name` under proptest and panics with a report of the first
/// failure, shrunk; `module` is the caller's `module_path!()` (it names the crate the printed
/// `#[test]` is for). What [`proptest_test!`](crate::proptest_test) calls.
#[track_caller]
pub fn check<S: Spec>(name: &'static str, module: &str) {
    let target = Target::of::<S>(name);
    let krate = module.split("::").next();
    let dir = match std::env::var_os(DIR_ENV) {
        Some(dir) => Some(PathBuf::from(dir).join(name)),
        None => std::env::var_os("CARGO_MANIFEST_DIR")
            .map(|root| Path::new(&root).join("proptest-regressions").join(name)),
    };
    // Failures found before, first.
    for file in dir.as_deref().map(stored).unwrap_or_default() {
        let case = match case::read(&file) {
            Ok(case) => case,
            Err(e) => panic!("{}: {e} (delete the file if it is stale)", file.display()),
        };
        let report = target
            .replay(&case)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if !report.passed() {
            let shrunk = shrink(&target, &case);
            let from = format!("kept in {}", file.display());
            fail::<S>(&target, krate, "a kept failure fails again", &shrunk, &from);
        }
    }
    let config = Config {
        failure_persistence: None,
        // Bytes are shrunk as ops, below; proptest's own shrinking of them would only cost.
        max_shrink_iters: 0,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let ran = std::cell::Cell::new(0_u64);
    let began = std::time::Instant::now();
    let result = runner.run(&vec(ANY, 0..=MAX_LEN), |bytes| {
        ran.set(ran.get() + 1);
        match runner::run_bytes::<S>(&bytes) {
            Outcome::Pass { .. } => Ok(()),
            Outcome::Fail(failure) => Err(TestCaseError::fail(failure.to_string())),
        }
    });
    let took = began.elapsed();
    match result {
        Ok(()) => {}
        Err(TestError::Fail(_, bytes)) => {
            let shrunk = shrink(&target, &Case::Bytes(bytes));
            let kept = match dir.as_deref().map(|dir| store(dir, &shrunk.trace)) {
                Some(Ok(file)) => format!(
                    "kept as {} (every run of this test replays it first; `lockstep triage \
                     {name} FILE` takes it into the regression corpus)",
                    file.display()
                ),
                Some(Err(e)) => format!("not kept: {e}"),
                None => "not kept: neither CARGO_MANIFEST_DIR nor LOCKSTEP_PROPTEST_DIR is set"
                    .to_owned(),
            };
            let found = format!(
                "proptest found a failure at case {} ({:.2} s)",
                ran.get(),
                took.as_secs_f64()
            );
            fail::<S>(&target, krate, &found, &shrunk, &kept);
        }
        Err(TestError::Abort(why)) => panic!("lockstep: {name}: proptest stopped: {why}"),
    }
}

/// The stored failures of a test, in name order.
fn stored(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "trace"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn store(dir: &Path, trace: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let sum = case::checksum(trace.as_bytes());
    let hex = sum.rsplit(':').next().unwrap_or(&sum);
    let file = dir.join(format!("{hex}.trace"));
    std::fs::write(&file, trace)?;
    Ok(file)
}

fn shrink(target: &Target, case: &Case) -> ShrinkReport {
    shrink_case(target, case, Budget::default())
        .unwrap_or_else(|e| panic!("lockstep: {}: shrinking a failure: {e}", target.name()))
}

/// Panics with the shrunk failure, its report and a `#[test]` that reproduces it.
#[track_caller]
fn fail<S: Spec>(
    target: &Target,
    krate: Option<&str>,
    found: &str,
    shrunk: &ShrinkReport,
    kept: &str,
) -> ! {
    let name = target.name();
    let case = Case::Trace(shrunk.trace.clone());
    let report = target
        .replay(&case)
        .map_or_else(|e| e.to_string(), |r| r.render());
    let steps = trace::parse::<S::Op>(name, &shrunk.trace).unwrap_or_default();
    let test = test_source::<S>(
        &test_name(&format!("{name} {}", shrunk.signature)),
        &steps,
        krate,
    )
    .unwrap_or_else(|e| format!("(no test: {e})"));
    panic!(
        "lockstep: {name}: {found}: {}\nshrunk from {} ops to {}; {kept}\n{report}\n\n\
         A test that reproduces it:\n\n{test}",
        shrunk.signature, shrunk.ops_before, shrunk.ops_after
    );
}
