//! Targets behind a common face, and the replay binary built from them.
//!
//! A [`Target`] erases a [`Spec`]'s types so one binary can hold every target of a crate.
//! [`crate::replay_main!`] turns a list of them into a `main`; [`crate::fuzz_target!`] builds a
//! fuzz target that, outside a fuzzing build, is a replay binary for its one target.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::campaign::{self, Handled};
use crate::case::{self, Case};
use crate::op_coverage::{self, OpCoverage};
use crate::runner::{self, FailureKind, Outcome, Phase};
use crate::shrink::{self, Budget};
use crate::spec::Spec;
use crate::step::Step;
use crate::trace::{self, TraceError};

/// A spec with its types erased, under a target name.
#[derive(Clone, Copy)]
pub struct Target {
    name: &'static str,
    replay: fn(&'static str, &Case) -> Result<Report, TraceError>,
    replay_subject: fn(&'static str, &Case) -> Result<Report, TraceError>,
    to_trace: fn(&'static str, &Case, bool) -> Result<String, TraceError>,
    repro: fn(&'static str, &Case, &str) -> Result<String, String>,
    work: fn(Work, &[Vec<u8>]) -> WorkDone,
    op_coverage: fn(&'static str, &mut dyn Iterator<Item = Case>) -> OpCoverage,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn ops_of<S: Spec>(name: &str, case: &Case) -> Result<Vec<Step<S::Op>>, TraceError> {
    match case {
        Case::Bytes(bytes) => Ok(runner::decode::<S>(bytes)),
        Case::Trace(text) => trace::parse(name, text),
    }
}

fn replay<S: Spec>(name: &'static str, case: &Case) -> Result<Report, TraceError> {
    let ops = ops_of::<S>(name, case)?;
    let outcome = runner::run::<S>(&ops);
    Report::new(name, ops.len(), &outcome)
}

fn replay_subject<S: Spec>(name: &'static str, case: &Case) -> Result<Report, TraceError> {
    let ops = ops_of::<S>(name, case)?;
    let outcome = runner::run_subject::<S>(&ops);
    Report::new(name, ops.len(), &outcome)
}

fn to_trace<S: Spec>(name: &'static str, case: &Case, marked: bool) -> Result<String, TraceError> {
    let ops = ops_of::<S>(name, case)?;
    if !marked {
        return trace::write(name, &ops);
    }
    let mut fired = Vec::new();
    runner::run_subject_noting::<S>(&ops, &mut |i| fired.push(i));
    trace::write_marked(name, &ops, &fired)
}

fn repro<S: Spec>(name: &'static str, case: &Case, test: &str) -> Result<String, String> {
    let ops = ops_of::<S>(name, case).map_err(|e| e.to_string())?;
    crate::repro::test_source::<S>(test, &ops, None)
}

fn op_coverage<S: Spec>(name: &'static str, cases: &mut dyn Iterator<Item = Case>) -> OpCoverage {
    // A trace that does not parse (a fuzzer's edit of one) ran as nothing in the campaign.
    op_coverage::count::<S>(cases.filter_map(|case| ops_of::<S>(name, &case).ok()))
}

/// What `replay overhead` does with each of its inputs, so that the instructions of each can be
/// counted apart (`scripts/overhead`): the runner's overhead is what `Run` costs beyond `Model`
/// and `Subject` together, each net of `Decode`, which all of them do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Decode the ops, nothing more.
    Decode,
    /// Decode, then apply the ops to the model alone ([`runner::run_alone`]).
    Model,
    /// Decode, then apply the ops to the subject alone.
    Subject,
    /// Decode, then run the ops the way every engine does ([`runner::run`]).
    Run,
}

/// What a [`Work`] went through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkDone {
    /// Ops decoded.
    pub ops: usize,
    /// Runs that failed (a correct structure has none).
    pub failed: usize,
}

fn work<S: Spec>(work: Work, inputs: &[Vec<u8>]) -> WorkDone {
    let mut done = WorkDone::default();
    for data in inputs {
        let ops = runner::decode::<S>(data);
        done.ops += ops.len();
        match work {
            Work::Decode => drop(std::hint::black_box(ops)),
            Work::Model => runner::run_alone::<S>(crate::Side::Model, &ops),
            Work::Subject => runner::run_alone::<S>(crate::Side::Subject, &ops),
            Work::Run => done.failed += usize::from(!runner::run::<S>(&ops).is_pass()),
        }
    }
    done
}

/// `count` inputs of 64 to 4096 bytes, the same on every machine and in every build: a fixed
/// workload for measuring the runner.
pub fn fixed_inputs(count: usize) -> Vec<Vec<u8>> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    (0..count)
        .map(|_| {
            let len = 64 + (next() % (4096 - 64 + 1)) as usize;
            (0..len).map(|_| (next() >> 56) as u8).collect()
        })
        .collect()
}

impl Target {
    /// The target `name`, driven by `S`.
    pub const fn of<S: Spec>(name: &'static str) -> Target {
        Target {
            name,
            replay: replay::<S>,
            replay_subject: replay_subject::<S>,
            to_trace: to_trace::<S>,
            repro: repro::<S>,
            work: work::<S>,
            op_coverage: op_coverage::<S>,
        }
    }

    /// The target's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs a case and reports the outcome.
    pub fn replay(&self, case: &Case) -> Result<Report, TraceError> {
        (self.replay)(self.name, case)
    }

    /// Runs a case on the subject alone (see [`runner::run_subject`]): for Miri.
    pub fn replay_subject(&self, case: &Case) -> Result<Report, TraceError> {
        (self.replay_subject)(self.name, case)
    }

    /// Does `work` on each of `inputs` (see [`Work`]).
    pub fn work(&self, work: Work, inputs: &[Vec<u8>]) -> WorkDone {
        (self.work)(work, inputs)
    }

    /// The op coverage of `cases` (see [`op_coverage`](crate::op_coverage)).
    pub fn op_coverage(&self, cases: &mut dyn Iterator<Item = Case>) -> OpCoverage {
        (self.op_coverage)(self.name, cases)
    }

    /// The case as a trace (bytes are decoded; a trace is checked and rewritten).
    pub fn to_trace(&self, case: &Case) -> Result<String, TraceError> {
        (self.to_trace)(self.name, case, false)
    }

    /// The case as a `#[test]` called `test` that fails the way the case does (see
    /// [`crate::repro`]).
    pub fn repro(&self, case: &Case, test: &str) -> Result<String, String> {
        (self.repro)(self.name, case, test)
    }

    /// The case as a trace in which each op that an injected panic fired in is followed by the
    /// line [`trace::FIRED`]: the case is run on the subject alone to see where they fire.
    pub fn to_marked_trace(&self, case: &Case) -> Result<String, TraceError> {
        (self.to_trace)(self.name, case, true)
    }
}

/// A known bug a project seeds into its structures (see `structures::seeded` in this
/// repository), as the replay binary publishes it to the `lockstep` command line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededBugInfo {
    /// The id that `LOCKSTEP_SEEDED_BUG` takes.
    pub id: String,
    /// The target whose structure carries it.
    pub target: String,
    /// How it shows: `use-after-free`, `leak`, `wrong-result`, ...
    pub class: String,
    /// What should catch it: `asan`, `miri-sb`, `miri-tb`, `oracle`, `drop-accounting`,
    /// `invariants`.
    pub detectors: Vec<String>,
    /// What the deviation is.
    pub description: String,
}

/// The outcome of one case, with its types erased: what replay prints and `--records` emits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The target's name.
    pub target: String,
    /// How many ops the case holds.
    pub ops: usize,
    /// How many ran (all of them on a pass; up to the failing one otherwise).
    pub steps: usize,
    /// The failure, or `None` on a pass.
    pub failure: Option<FailureReport>,
    /// The ops that ran, as a trace.
    pub trace: String,
}

/// A failure, with its types erased.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureReport {
    /// What went wrong.
    pub kind: FailureKind,
    /// When.
    pub phase: Phase,
    /// The failing op, as a trace line.
    pub op: Option<String>,
    /// Whether an injected panic fired before it.
    #[serde(default)]
    pub after_injected_panic: bool,
}

impl Report {
    fn new<Op: Serialize>(
        target: &str,
        ops: usize,
        outcome: &Outcome<Op>,
    ) -> Result<Report, TraceError> {
        Ok(match outcome {
            Outcome::Pass { steps } => Report {
                target: target.to_owned(),
                ops,
                steps: *steps,
                failure: None,
                trace: String::new(),
            },
            Outcome::Fail(failure) => Report {
                target: target.to_owned(),
                ops,
                steps: failure.ops.len(),
                failure: Some(FailureReport {
                    kind: failure.kind.clone(),
                    phase: failure.phase,
                    op: match failure.phase {
                        Phase::Step(_) => failure.ops.last().map(trace::op_line).transpose()?,
                        Phase::Start | Phase::End => None,
                    },
                    after_injected_panic: failure.after_injected_panic,
                }),
                trace: trace::write(target, &failure.ops)?,
            },
        })
    }

    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// What identifies the failure for de-duplication: its class, and where it was raised
    /// (`file:line` of a panic or broken invariant) or else the failing op's variant.
    pub fn signature(&self) -> Option<String> {
        let failure = self.failure.as_ref()?;
        let variant = failure.op.as_deref().map(trace::op_variant);
        Some(runner::native_signature(
            &failure.kind,
            failure.phase,
            variant,
        ))
    }

    /// The report as people read it.
    pub fn render(&self) -> String {
        let Some(failure) = &self.failure else {
            return format!("pass: {} ops, every check held", self.ops);
        };
        let mut out = format!("FAIL at {}", failure.phase);
        if let Some(op) = &failure.op {
            let _ = write!(out, ", op `{op}`");
        }
        let _ = writeln!(out, "\n{}", indent(&failure.kind.to_string()));
        if let FailureKind::Panic {
            backtrace: Some(bt),
            ..
        } = &failure.kind
        {
            let _ = writeln!(out, "  backtrace:\n{}", indent(&indent(bt)));
        }
        let _ = write!(
            out,
            "  ops up to the failure ({} of {}):\n{}",
            self.steps,
            self.ops,
            indent(&indent(&self.trace))
        );
        out
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}\n"))
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// The result of shrinking a case in-process ([`shrink_case`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShrinkReport {
    /// The failure's signature, kept by every step of the shrink.
    pub signature: String,
    /// Ops in the case before shrinking.
    pub ops_before: usize,
    /// Ops after.
    pub ops_after: usize,
    /// Candidates tried.
    pub attempts: usize,
    /// Whether the budget ran out before the shrink converged.
    pub exhausted: bool,
    /// The shrunk case.
    pub trace: String,
}

/// Shrinks a failing case at the level of ops, in this process, keeping its native signature.
///
/// # Errors
/// If the case is not a trace of this target, or passes (there is nothing to shrink).
pub fn shrink_case(target: &Target, case: &Case, budget: Budget) -> Result<ShrinkReport, String> {
    let report = target.replay(case).map_err(|e| e.to_string())?;
    let signature = report
        .signature()
        .ok_or("the case passes: there is nothing to shrink")?;
    // Ops after the failing one never ran: drop them before shrinking.
    let lines = trace::op_lines(&report.trace);
    let ops_before = report.ops;
    let name = target.name();
    let shrunk = shrink::shrink(
        lines,
        |candidate| {
            let case = Case::Trace(trace::from_lines(name, candidate));
            target
                .replay(&case)
                .is_ok_and(|r| r.signature().as_deref() == Some(&signature))
        },
        budget,
    );
    Ok(ShrinkReport {
        signature,
        ops_before,
        ops_after: shrunk.lines.len(),
        attempts: shrunk.attempts,
        exhausted: shrunk.exhausted,
        trace: trace::from_lines(name, &shrunk.lines),
    })
}

/// Runs a fuzzer's input: a trace as its ops, other bytes decoded; `None` for bytes with a
/// trace header that are no trace (a fuzzer's edit of one), which are skipped.
fn run_input<S: Spec>(name: &'static str, data: &[u8]) -> Option<Outcome<Step<S::Op>>> {
    if trace::is_trace(data) {
        let text = std::str::from_utf8(data).ok()?;
        let ops = trace::parse::<S::Op>(name, text).ok()?;
        Some(runner::run::<S>(&ops))
    } else {
        Some(runner::run_bytes::<S>(data))
    }
}

/// The report of a failing input, run again: the failing path is the rare one, and this keeps
/// the passing path free of any formatting.
fn failure_report<S: Spec>(name: &'static str, data: &[u8]) -> String {
    // A trace runs as its ops (see `run_input`), so it is reported as one.
    let case = Case::from_bytes(data.to_vec()).unwrap_or_else(|_| Case::Bytes(data.to_vec()));
    match replay::<S>(name, &case) {
        Ok(report) => report.render(),
        Err(e) => format!("(the failing case cannot be written as a trace: {e})"),
    }
}

/// The fuzz-target body: runs the bytes and, on a failure, prints the report and aborts so the
/// fuzzer records a crash.
///
/// The bytes are read the way a replay reads a case file: a trace (a committed seed, or the
/// fuzzer's edit of one) runs as its ops, and what has a trace header but is not a valid trace
/// is skipped, so every input the fuzzer records replays as the fuzzer ran it.
pub fn fuzz<S: Spec>(name: &'static str, data: &[u8]) {
    let Some(outcome) = run_input::<S>(name, data) else {
        return;
    };
    if let Outcome::Fail(failure) = &outcome {
        // In a campaign that keeps going, a failure is recorded (or, known, counted) and the
        // fuzzer goes on.
        if let Some(Handled::Continue) = campaign::handle(name, data, failure) {
            return;
        }
        let text = failure_report::<S>(name, data);
        eprintln!("lockstep: {name}: {text}");
        std::process::abort();
    }
}

/// Runs the bytes as [`fuzz`] does and panics with the failure report if a check fails: the body
/// of a test that another engine drives with bytes (`bolero::check!().for_each(...)`; see
/// [`bolero_test!`](crate::bolero_test)). A trace runs as its ops; bytes with a trace header that
/// are no trace pass.
#[track_caller]
pub fn check<S: Spec>(name: &'static str, data: &[u8]) {
    let Some(outcome) = run_input::<S>(name, data) else {
        return;
    };
    if outcome.is_pass() {
        return;
    }
    let text = failure_report::<S>(name, data);
    panic!("lockstep: {name}: {text}");
}

const USAGE: &str = "\
usage: replay [--records] [--quiet] [--subject-only] TARGET FILE...
                                                 run cases (fuzzer bytes or traces); with
                                                 --subject-only, on the subject alone (for Miri)
       replay trace [--fired] TARGET FILE...     print cases as traces; with --fired, run
                                                 them on the subject alone and mark each op
                                                 that an injected panic fired in
       replay repro TARGET FILE...               print each case as a #[test] that fails the
                                                 way it does
       replay shrink [--records] [--max-attempts N] TARGET FILE
                                                 shrink a failing case, print the result
       replay ops [--records] TARGET [PATH...]   count, per op variant, the runs of the cases
                                                 in PATHs (files, or directories of them) that
                                                 did real work (see lockstep::op_coverage)
       replay overhead TARGET decode|model|subject|run [INPUTS]
                                                 do one kind of work on INPUTS (default 2000)
                                                 fixed inputs, for counting its instructions
       replay fixed-inputs DIR [INPUTS]          write those inputs to DIR, one file each
       replay list                               list the targets
       replay bugs                               list the seeded bugs (JSON lines)
exit status: 0 every case passed (or was shrunk), 1 a case failed, 2 bad input";

enum Mode {
    Run {
        records: bool,
        quiet: bool,
        subject_only: bool,
    },
    Trace {
        fired: bool,
    },
    Repro,
    Shrink {
        records: bool,
        budget: Budget,
    },
}

/// The `main` of a replay binary holding `targets`. Reads `std::env::args`.
pub fn main(targets: &[Target]) -> ExitCode {
    main_with_bugs(targets, &[])
}

/// [`main`] for a project that seeds known bugs: `replay bugs` lists them for the command line.
pub fn main_with_bugs(targets: &[Target], bugs: &[SeededBugInfo]) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("bugs") {
        let lines: String = bugs
            .iter()
            .filter_map(|b| to_record(b).ok())
            .map(|l| l + "\n")
            .collect();
        let _ = std::io::stdout().write_all(lines.as_bytes());
        return ExitCode::SUCCESS;
    }
    match dispatch(targets, &args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The `main` of a fuzz target built without a fuzzer: `BIN [--records] [--quiet] FILE...`.
pub fn single_target_main(target: Target) -> ExitCode {
    let mut args: Vec<String> = vec![target.name().to_owned()];
    args.extend(std::env::args().skip(1));
    match dispatch(&[target], &args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            eprintln!(
                "(this is the fuzz target `{}` built without a fuzzer: it replays case files; \
                 to fuzz, run `cargo +nightly fuzz run {}`)",
                target.name(),
                target.name()
            );
            ExitCode::from(2)
        }
    }
}

/// `replay overhead TARGET WORK [INPUTS]`.
fn overhead(targets: &[Target], args: &[String]) -> Result<ExitCode, String> {
    let [name, work, rest @ ..] = args else {
        return Err(format!(
            "overhead takes a target and a kind of work\n{USAGE}"
        ));
    };
    let target = find(targets, name)?;
    let work = match work.as_str() {
        "decode" => Work::Decode,
        "model" => Work::Model,
        "subject" => Work::Subject,
        "run" => Work::Run,
        other => {
            return Err(format!(
                "unknown work `{other}`: decode, model, subject or run"
            ));
        }
    };
    let count = match rest {
        [] => 2000,
        [n] => n
            .parse()
            .map_err(|_| format!("`{n}` is not a number of inputs"))?,
        _ => return Err(format!("overhead takes at most one number\n{USAGE}")),
    };
    let done = target.work(work, &fixed_inputs(count));
    println!(
        "{count} inputs, {} ops, {} failed runs",
        done.ops, done.failed
    );
    Ok(ExitCode::SUCCESS)
}

/// `replay ops [--records] TARGET [PATH...]`.
fn ops(targets: &[Target], args: &[String]) -> Result<ExitCode, String> {
    let (records, args) = match args.split_first() {
        Some((flag, rest)) if flag == "--records" => (true, rest),
        _ => (false, args),
    };
    let [name, paths @ ..] = args else {
        return Err(format!("ops takes a target\n{USAGE}"));
    };
    // With no paths, every variant is listed with nothing counted.
    let target = find(targets, name)?;
    let mut files = Vec::new();
    for path in paths.iter().map(Path::new) {
        if path.is_dir() {
            let found = case::input_files(path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.extend(found);
        } else {
            files.push(path.to_path_buf());
        }
    }
    let mut unreadable = Vec::new();
    let mut cases = files.iter().filter_map(|file| match case::read(file) {
        Ok(case) => Some(case),
        // What a fuzz target runs as nothing: a fuzzer's edit of a trace that is no longer text.
        Err(case::CaseError::NotUtf8 { .. }) => None,
        Err(e) => {
            unreadable.push(e.to_string());
            None
        }
    });
    let coverage = target.op_coverage(&mut cases);
    drop(cases);
    if let Some(first) = unreadable.first() {
        return Err(format!(
            "{} of the files could not be read: {first}",
            unreadable.len()
        ));
    }
    let text = if records {
        to_record(&coverage)?
    } else {
        coverage.render()
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `replay fixed-inputs DIR [INPUTS]`.
fn write_inputs(args: &[String]) -> Result<ExitCode, String> {
    let (dir, count) = match args {
        [dir] => (dir, 2000),
        [dir, n] => (
            dir,
            n.parse()
                .map_err(|_| format!("`{n}` is not a number of inputs"))?,
        ),
        _ => return Err(format!("fixed-inputs takes a directory\n{USAGE}")),
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    for (i, input) in fixed_inputs(count).iter().enumerate() {
        let path = Path::new(dir).join(format!("input-{i:05}"));
        std::fs::write(&path, input).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The target called `name`, or an error listing them.
fn find<'a>(targets: &'a [Target], name: &str) -> Result<&'a Target, String> {
    targets.iter().find(|t| t.name() == name).ok_or_else(|| {
        let names: Vec<_> = targets.iter().map(Target::name).collect();
        format!(
            "unknown target `{name}`: the targets are {}",
            names.join(", ")
        )
    })
}

fn dispatch(targets: &[Target], args: &[String]) -> Result<ExitCode, String> {
    let mut mode = Mode::Run {
        records: false,
        quiet: false,
        subject_only: false,
    };
    let mut rest = args;
    match rest.first().map(String::as_str) {
        Some("list") => {
            let names: String = targets.iter().map(|t| format!("{}\n", t.name())).collect();
            let _ = std::io::stdout().write_all(names.as_bytes());
            return Ok(ExitCode::SUCCESS);
        }
        Some("overhead") => return overhead(targets, &rest[1..]),
        Some("ops") => return ops(targets, &rest[1..]),
        Some("fixed-inputs") => return write_inputs(&rest[1..]),
        Some("trace") => {
            mode = Mode::Trace { fired: false };
            rest = &rest[1..];
        }
        Some("repro") => {
            mode = Mode::Repro;
            rest = &rest[1..];
        }
        Some("shrink") => {
            mode = Mode::Shrink {
                records: false,
                budget: Budget::default(),
            };
            rest = &rest[1..];
        }
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    while let Some(flag) = rest.first().filter(|a| a.starts_with("--")) {
        match (&mut mode, flag.as_str()) {
            (Mode::Run { records, .. } | Mode::Shrink { records, .. }, "--records") => {
                *records = true;
            }
            (Mode::Run { quiet, .. }, "--quiet") => *quiet = true,
            (Mode::Trace { fired }, "--fired") => *fired = true,
            (Mode::Run { subject_only, .. }, "--subject-only") => *subject_only = true,
            (Mode::Shrink { budget, .. }, "--max-attempts") => {
                let n = rest.get(1).and_then(|n| n.parse().ok());
                budget.max_attempts = n.ok_or("--max-attempts takes a number")?;
                rest = &rest[1..];
            }
            _ => return Err(format!("unknown option `{flag}`\n{USAGE}")),
        }
        rest = &rest[1..];
    }
    let (name, files) = rest
        .split_first()
        .ok_or_else(|| format!("no target given\n{USAGE}"))?;
    let target = find(targets, name)?;
    if files.is_empty() {
        return Err(format!("no case files given for `{name}`\n{USAGE}"));
    }

    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for file in files {
        let path = Path::new(file);
        let case = case::read(path).map_err(|e| e.to_string())?;
        let text = match mode {
            Mode::Trace { fired } => if fired {
                target.to_marked_trace(&case)
            } else {
                target.to_trace(&case)
            }
            .map_err(|e| format!("{file}: {e}"))?,
            Mode::Repro => {
                let report = target.replay(&case).map_err(|e| format!("{file}: {e}"))?;
                let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                let (what, words) = match report.signature() {
                    Some(signature) => (signature.clone(), signature),
                    None => (
                        "passes natively: if a sanitizer or Miri fails it, run this test \
                         under `cargo +nightly miri test` or with `-Zsanitizer=address`"
                            .to_owned(),
                        stem.unwrap_or_default(),
                    ),
                };
                let name = crate::repro::test_name(&format!("{} {words}", target.name()));
                let test = target
                    .repro(&case, &name)
                    .map_err(|e| format!("{file}: {e}"))?;
                format!("// {file}: {what}\n{test}")
            }
            Mode::Shrink { records, budget } => {
                let shrunk =
                    shrink_case(target, &case, budget).map_err(|e| format!("{file}: {e}"))?;
                if records {
                    to_record(&shrunk)? + "\n"
                } else {
                    eprintln!(
                        "{file}: {}: {} ops -> {} ops in {} attempts{}",
                        shrunk.signature,
                        shrunk.ops_before,
                        shrunk.ops_after,
                        shrunk.attempts,
                        if shrunk.exhausted {
                            " (budget exhausted)"
                        } else {
                            ""
                        }
                    );
                    shrunk.trace
                }
            }
            Mode::Run {
                records,
                quiet,
                subject_only,
            } => {
                let report = if subject_only {
                    target.replay_subject(&case)
                } else {
                    target.replay(&case)
                }
                .map_err(|e| format!("{file}: {e}"))?;
                failed |= !report.passed();
                if records {
                    to_record(&report)? + "\n"
                } else if quiet && report.passed() {
                    String::new()
                } else {
                    format!("{file}: {}\n", report.render())
                }
            }
        };
        // A reader that went away (`| head`) ends the output, not the verdict.
        if stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One record of the replay protocol, on one line: what `--records` prints (a [`Report`] per
/// case, a [`ShrinkReport`], the [`SeededBugInfo`]s), what a campaign's fuzz targets write
/// beside their inputs, and what the command line reads. RON, the case format's own, so a fuzz
/// target needs no second serialization format.
pub fn to_record<T: Serialize>(value: &T) -> Result<String, String> {
    ron::to_string(value).map_err(|e| e.to_string())
}

/// A record written by [`to_record`], or `None` for anything else (a line of other output, a
/// record from another version).
pub fn from_record<T: DeserializeOwned>(line: &str) -> Option<T> {
    ron::from_str(line.trim_end()).ok()
}
