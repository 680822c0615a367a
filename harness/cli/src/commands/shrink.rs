//! `lockstep shrink`: shrink a failing case at the level of ops, keeping its signature.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use lockstep::driver::ShrinkReport;
use lockstep::shrink::Budget;
use serde::Serialize;

use super::Ctx;
use super::triage::EngineArgs;
use crate::builds::Builds;
use crate::engines::{self, Engine, Finding, Limits, Verdict};
use crate::process;
use crate::project::Project;
use crate::triage;

/// Shrink a failing case.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The target.
    target: String,
    /// The failing case: fuzzer bytes or a trace.
    #[arg(value_parser = crate::ui::absolute)]
    file: PathBuf,
    /// The engine whose failure to keep: `auto` triages first and keeps the most telling one.
    #[arg(long, default_value = "auto", value_name = "ENGINE")]
    engine: String,
    /// Where to write the shrunk trace (default: FILE.shrunk.trace). Never overwritten.
    #[arg(long, short, value_name = "PATH", value_parser = crate::ui::absolute)]
    out: Option<PathBuf>,
    /// The most candidates to try (default: 5000 native, 2000 ASan, 400 Miri).
    #[arg(long, value_name = "N")]
    max_attempts: Option<usize>,
    #[command(flatten)]
    engines: EngineArgs,
}

/// A shrunk case, and the engine whose failure every step kept.
#[derive(Debug, Clone, Serialize)]
pub struct Shrunk {
    /// The engine whose failure was kept.
    pub engine: Engine,
    /// That engine's signature, on the case and on the shrunk case alike.
    #[serde(rename = "engine_signature")]
    pub signature: String,
    /// The shrink itself.
    #[serde(flatten)]
    pub report: ShrinkReport,
}

/// Runs `lockstep shrink`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    ctx.project.check_target(&args.target)?;
    lockstep::case::read(&args.file)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let mut name = args.file.clone().into_os_string();
        name.push(".shrunk.trace");
        PathBuf::from(name)
    });
    if out.exists() {
        bail!(
            "{} already exists: choose another path with --out, or move it away",
            out.display()
        );
    }
    let builds = Builds::new(&ctx.project);
    let seeded = ctx.seeded_list(&builds, &args.engines.seeded_bug, Some(&args.target))?;
    let seeded = seeded.as_deref();
    let engine = match args.engine.as_str() {
        "auto" => None,
        name => Some(triage::parse_engines(name)?[0]),
    };
    let shrunk = shrink(
        &ctx.project,
        &builds,
        &args.target,
        &args.file,
        engine,
        seeded,
        args.engines.limits(),
        args.max_attempts,
    )?;
    write_new(&out, &shrunk.report.trace)?;
    if ctx.json {
        println!("{}", serde_json::to_string(&shrunk)?);
    } else {
        println!(
            "{}: {} ops -> {} ops ({} candidates{}), {} kept by {}\nwritten to {}",
            args.file.display(),
            shrunk.report.ops_before,
            shrunk.report.ops_after,
            shrunk.report.attempts,
            if shrunk.report.exhausted {
                ", budget exhausted"
            } else {
                ""
            },
            shrunk.signature,
            shrunk.engine,
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to a new file at `path`, refusing to replace an existing one.
pub fn write_new(path: &Path, text: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Shrinks `case`, keeping the failure `engine` sees (or, with `None`, the most telling one).
#[expect(
    clippy::too_many_arguments,
    reason = "the shrink's whole configuration, spelled out"
)]
pub fn shrink(
    project: &Project,
    builds: &Builds<'_>,
    target: &str,
    case: &Path,
    engine: Option<Engine>,
    seeded_bug: Option<&str>,
    limits: Limits,
    max_attempts: Option<usize>,
) -> Result<Shrunk> {
    let (engine, signature) = match engine {
        Some(engine) => {
            match engines::replay(project, builds, engine, target, case, seeded_bug, limits)? {
                Verdict::Fail(f) => (engine, f.signature()),
                Verdict::Pass => {
                    bail!("the case passes under {engine}: there is nothing to shrink")
                }
                Verdict::Error { message } => bail!("{engine}: {message}"),
            }
        }
        None => {
            let t = triage::triage(
                project,
                builds,
                target,
                case,
                &Engine::ALL,
                seeded_bug,
                limits,
            )?;
            match t.primary {
                Some((engine, finding)) => (engine, finding.signature()),
                None => bail!("the case passes under every engine: there is nothing to shrink"),
            }
        }
    };
    let default_attempts = match engine {
        Engine::Native => 5_000,
        Engine::Asan => 2_000,
        Engine::MiriSb | Engine::MiriTb => 400,
    };
    let budget = Budget {
        max_attempts: max_attempts.unwrap_or(default_attempts),
        deadline: Some(std::time::Instant::now() + limits.shrink),
    };
    let in_process = if engine == Engine::Native {
        shrink_in_process(builds, target, case, seeded_bug, budget, limits)?
    } else {
        None
    };
    let report = match in_process {
        Some(report) => report,
        None => shrink_by_process(
            project, builds, engine, &signature, target, case, seeded_bug, budget, limits,
        )?,
    };
    // Whatever shrank it, the result must fail as the case did, under the engine that saw it:
    // a shrink never ends on a trace that passes, or that fails some other way.
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let check = scratch.path().join("shrunk.trace");
    std::fs::write(&check, &report.trace).context("writing the shrunk trace")?;
    match engines::replay(project, builds, engine, target, &check, seeded_bug, limits)? {
        Verdict::Fail(f) if f.signature() == signature => {}
        other => bail!(
            "shrinking lost the failure: the shrunk trace shows {} under {engine}, not \
             {signature} (the case is kept as it was found)",
            other
                .finding()
                .map_or_else(|| other.cell(), Finding::signature)
        ),
    }
    Ok(Shrunk {
        engine,
        signature,
        report,
    })
}

/// The replay binary's own shrink, in one process; `None` if that process died (a candidate
/// hit undefined behaviour natively), so the caller falls back to a process per candidate.
fn shrink_in_process(
    builds: &Builds<'_>,
    target: &str,
    case: &Path,
    seeded_bug: Option<&str>,
    budget: Budget,
    limits: Limits,
) -> Result<Option<ShrinkReport>> {
    let mut cmd = Command::new(builds.native_replay()?);
    cmd.args([
        "shrink",
        "--records",
        "--max-attempts",
        &budget.max_attempts.to_string(),
        target,
    ])
    .arg(case);
    match seeded_bug {
        Some(id) => cmd.env("LOCKSTEP_SEEDED_BUG", id),
        None => cmd.env_remove("LOCKSTEP_SEEDED_BUG"),
    };
    // The whole shrink may take as long as its candidates together.
    let done = process::run(&mut cmd, limits.native * 20)?;
    if done.code() != Some(0) {
        return Ok(None);
    }
    let line = done.stdout.lines().next().unwrap_or_default();
    Ok(Some(
        lockstep::driver::from_record(line).context("reading the replay binary's shrink report")?,
    ))
}

#[expect(
    clippy::too_many_arguments,
    reason = "the shrink's whole configuration, spelled out"
)]
fn shrink_by_process(
    project: &Project,
    builds: &Builds<'_>,
    engine: Engine,
    signature: &str,
    target: &str,
    case: &Path,
    seeded_bug: Option<&str>,
    budget: Budget,
    limits: Limits,
) -> Result<ShrinkReport> {
    let trace = to_trace(builds, target, case)?;
    let lines = lockstep::trace::op_lines(&trace);
    let ops_before = lines.len();
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let candidate_path = scratch.path().join("candidate.trace");
    let mut failure = None;
    let shrunk = lockstep::shrink::shrink(
        lines,
        |candidate| {
            let text = lockstep::trace::from_lines(target, candidate);
            if let Err(e) = std::fs::write(&candidate_path, text) {
                failure.get_or_insert(anyhow::Error::new(e).context("writing a candidate"));
                return false;
            }
            match engines::replay(
                project,
                builds,
                engine,
                target,
                &candidate_path,
                seeded_bug,
                limits,
            ) {
                Ok(Verdict::Fail(f)) => f.signature() == signature,
                Ok(_) => false,
                Err(e) => {
                    failure.get_or_insert(e);
                    false
                }
            }
        },
        budget,
    );
    if let Some(e) = failure {
        return Err(e.context("replaying a shrink candidate"));
    }
    Ok(ShrinkReport {
        signature: signature.to_owned(),
        ops_before,
        ops_after: shrunk.lines.len(),
        attempts: shrunk.attempts,
        exhausted: shrunk.exhausted,
        trace: lockstep::trace::from_lines(target, &shrunk.lines),
    })
}

/// A case as a trace (fuzzer bytes decoded by the replay binary).
pub fn to_trace(builds: &Builds<'_>, target: &str, case: &Path) -> Result<String> {
    let out = Command::new(builds.native_replay()?)
        .args(["trace", target])
        .arg(case)
        .output()
        .context("running the replay binary")?;
    if !out.status.success() {
        bail!(
            "{}",
            crate::process::last_words(&String::from_utf8_lossy(&out.stderr))
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
