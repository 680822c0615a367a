//! The engines a case is replayed with, and what their reports mean.
//!
//! Each engine runs the replay binary on one case and says pass or fail; a failure gets a
//! [`Class`] and the first stack frame inside the crates under test (std, the harness and the
//! spec stripped), which together make its signature.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Result;
use lockstep::Report;
pub use lockstep::finding::{Class, Engine, Finding};
use lockstep_store::miri::strip_column;
use serde::{Deserialize, Serialize};

use crate::builds::Builds;
use crate::process::{self, Finished};
use crate::project::Project;

/// What one engine said about one case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum Verdict {
    /// Every check held.
    Pass,
    /// A failure.
    Fail(Finding),
    /// The engine could not judge (a build failed, the case was rejected, time ran out).
    Error {
        /// Why.
        message: String,
    },
}

impl Verdict {
    /// The finding, if it failed.
    pub fn finding(&self) -> Option<&Finding> {
        match self {
            Verdict::Fail(f) => Some(f),
            _ => None,
        }
    }

    /// A short cell for tables: `pass`, the class, or `error`.
    pub fn cell(&self) -> String {
        match self {
            Verdict::Pass => "pass".to_owned(),
            Verdict::Fail(f) => f.class.to_string(),
            Verdict::Error { .. } => "error".to_owned(),
        }
    }
}

/// Time limits per engine.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// For a native or ASan replay.
    pub native: Duration,
    /// For one Miri replay.
    pub miri: Duration,
    /// For shrinking one case with replays in child processes (ASan, Miri): what it reached by
    /// then is the result.
    pub shrink: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            native: Duration::from_secs(60),
            miri: Duration::from_secs(600),
            shrink: Duration::from_secs(180),
        }
    }
}

/// Replays `case` of `target` with `engine`, with `seeded_bug` switched on if given.
pub fn replay(
    project: &Project,
    builds: &Builds<'_>,
    engine: Engine,
    target: &str,
    case: &Path,
    seeded_bug: Option<&str>,
    limits: Limits,
) -> Result<Verdict> {
    let args = [
        "--records".into(),
        target.into(),
        case.as_os_str().to_owned(),
    ];
    let done = match engine {
        Engine::Native | Engine::Asan => {
            let bin = match engine {
                Engine::Native => builds.native_replay()?,
                _ => builds.asan_replay()?,
            };
            let mut cmd = Command::new(bin);
            cmd.args(&args)
                .current_dir(&project.root)
                .env("RUST_BACKTRACE", "1");
            match seeded_bug {
                Some(id) => cmd.env("LOCKSTEP_SEEDED_BUG", id),
                None => cmd.env_remove("LOCKSTEP_SEEDED_BUG"),
            };
            if engine == Engine::Asan {
                // exitcode: tell a sanitizer report from a harness failure (exit 1).
                // detect_stack_use_after_return=0: as in the fuzz targets (see lockstep's
                // fuzz_target!), unwinding would pay for it on every contract panic.
                cmd.env(
                    "ASAN_OPTIONS",
                    "exitcode=86:detect_leaks=1:detect_stack_use_after_return=0:abort_on_error=0",
                );
            }
            process::run(&mut cmd, limits.native)?
        }
        Engine::MiriSb | Engine::MiriTb => {
            let mut replay = builds.miri()?.clone();
            if let Some(id) = seeded_bug {
                replay.env.push(("LOCKSTEP_SEEDED_BUG".into(), id.into()));
            }
            let model = engine.model().expect("a Miri engine has a model");
            let mut cmd = replay.command(model, &args).map_err(anyhow::Error::msg)?;
            process::run(&mut cmd, limits.miri)?
        }
    };
    Ok(judge(project, engine, &done, limits))
}

/// Reads what a replay printed.
pub fn judge(project: &Project, engine: Engine, done: &Finished, limits: Limits) -> Verdict {
    if done.timed_out() {
        let (limit, flag) = match engine {
            Engine::MiriSb | Engine::MiriTb => (limits.miri, "--miri-timeout"),
            _ => (limits.native, "--timeout"),
        };
        return Verdict::Error {
            message: format!(
                "{engine} replay ran past its limit of {}s: raise it with {flag}, or shrink the case",
                limit.as_secs()
            ),
        };
    }
    if let Some(finding) = sanitizer_report(project, &done.stderr) {
        return Verdict::Fail(finding);
    }
    if let Some(finding) = miri_report(project, engine, &done.stderr) {
        return Verdict::Fail(finding);
    }
    if let Some(finding) = abort_report(project, &done.stderr) {
        return Verdict::Fail(finding);
    }
    let report = done
        .stdout
        .lines()
        .find_map(lockstep::driver::from_record::<Report>);
    match (done.code(), report) {
        (Some(0), Some(_)) => Verdict::Pass,
        (Some(1), Some(report)) if !report.passed() => {
            Verdict::Fail(harness_finding(project, &report))
        }
        (_, _) if done.signal().is_some() => Verdict::Fail(Finding {
            class: Class::Crash,
            frame: "unknown".to_owned(),
            summary: process::died_of(done.signal().unwrap_or_default()),
            after_injected_panic: false,
        }),
        _ => Verdict::Error {
            message: process::last_words(&done.stderr),
        },
    }
}

/// A harness failure, with the first subject frame of its backtrace when it has one.
pub fn harness_finding(project: &Project, report: &Report) -> Finding {
    let failure = report.failure.as_ref().expect("a failing report");
    let kind = &failure.kind;
    let class = kind.class();
    let from_backtrace = match kind {
        lockstep::FailureKind::Panic {
            backtrace: Some(bt),
            ..
        } => rust_backtrace_frame(project, bt),
        _ => None,
    };
    let frame = from_backtrace.or_else(|| {
        report.signature().and_then(|s| {
            s.split_once(" at ")
                .map(|(_, frame)| project.relative(frame).to_owned())
        })
    });
    let summary = kind
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    Finding {
        class,
        frame: frame.unwrap_or_else(|| failure.phase.to_string()),
        summary,
        after_injected_panic: failure.after_injected_panic,
    }
}

/// The first frame of a std backtrace inside the crates under test.
fn rust_backtrace_frame(project: &Project, backtrace: &str) -> Option<String> {
    project.signature_frame(
        backtrace
            .lines()
            .filter_map(|l| l.trim().strip_prefix("at "))
            .map(|at| strip_column(project.relative(at.trim()))),
    )
}

/// What a fuzz target (built with AddressSanitizer) printed when it died on an input: a
/// sanitizer report, or a panic that could not unwind. The same finding an ASan replay of the
/// input gives, read without building or running anything; `None` for anything else (a
/// timeout, running out of memory, a signal), which only a replay can tell.
pub fn fuzzer_report(project: &Project, output: &str) -> Option<Finding> {
    sanitizer_report(project, output).or_else(|| abort_report(project, output))
}

/// An AddressSanitizer or LeakSanitizer report in `stderr`.
fn sanitizer_report(project: &Project, stderr: &str) -> Option<Finding> {
    let line = stderr
        .lines()
        .find(|l| l.contains("ERROR: AddressSanitizer:") || l.contains("ERROR: LeakSanitizer:"))?;
    let what = line
        .split_once("Sanitizer: ")
        .map_or(line, |(_, w)| w)
        .trim();
    let class = if what.starts_with("detected memory leaks") {
        Class::Leak
    } else if what.starts_with("heap-use-after-free") || what.starts_with("use-after-poison") {
        Class::UseAfterFree
    } else if what.contains("buffer-overflow")
        || what.contains("buffer-underflow")
        || what.starts_with("container-overflow")
    {
        Class::OutOfBounds
    } else if what.starts_with("attempting double-free") {
        Class::DoubleFree
    } else if what.starts_with("attempting free")
        || what.starts_with("alloc-dealloc-mismatch")
        || what.starts_with("bad-free")
    {
        Class::InvalidFree
    } else if what.starts_with("SEGV") {
        Class::WildAccess
    } else {
        Class::OtherUb
    };
    // `    #3 0x55d3 in structures::raw_buf::Foo::bar /abs/structures/src/raw_buf/mod.rs:150:25`
    let start = stderr.find(line).unwrap_or(0);
    let frame = project.signature_frame(
        stderr[start..]
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .filter_map(|l| l.rsplit(' ').next())
            .map(|at| strip_column(project.relative(at))),
    );
    let summary = what.split(" on address").next().unwrap_or(what).to_owned();
    Some(Finding {
        class,
        frame: frame.unwrap_or_else(|| "unknown".to_owned()),
        summary,
        after_injected_panic: false,
    })
}

/// A Miri report (undefined behaviour, a leak, an abort) in `stderr`.
fn miri_report(project: &Project, engine: Engine, stderr: &str) -> Option<Finding> {
    let model = engine.model()?;
    lockstep_store::miri::classify(stderr, model, |frames| {
        project.signature_frame(frames.into_iter().map(|f| project.relative(&f).to_owned()))
    })
}

/// A panic that could not unwind, as the harness said it before the process aborted.
fn abort_report(project: &Project, stderr: &str) -> Option<Finding> {
    let said = stderr
        .lines()
        .find_map(|l| l.strip_prefix(lockstep::NON_UNWINDING_PREFIX))?;
    let (at, what) = said.split_once(": ").unwrap_or((said, ""));
    Some(Finding {
        class: Class::Abort,
        frame: strip_column(project.relative(at)),
        summary: what.to_owned(),
        after_injected_panic: false,
    })
}

#[cfg(test)]
mod tests;
