//! `lockstep repro`: a case, from any engine, as a `#[test]` to paste into a test file.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Result, bail};

use super::Ctx;
use crate::builds::Builds;

/// Print a case as a self-contained `#[test]`: its ops as Rust, run by the spec's runner.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The target.
    target: String,
    /// The case: fuzzer bytes (from libFuzzer, AFL++ or bolero) or a trace.
    #[arg(value_parser = crate::ui::absolute)]
    case: PathBuf,
    /// Switch this seeded bug on while finding the failure the test is named after; repeat it
    /// (or give a comma-separated list) for several.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    seeded_bug: Vec<String>,
}

/// Runs `lockstep repro`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    ctx.project.check_target(&args.target)?;
    lockstep::case::read(&args.case)?;
    let builds = Builds::new(&ctx.project);
    let seeded = ctx.seeded_list(&builds, &args.seeded_bug, Some(&args.target))?;
    let mut cmd = Command::new(builds.native_replay()?);
    cmd.arg("repro").arg(&args.target).arg(&args.case);
    match &seeded {
        Some(id) => cmd.env("LOCKSTEP_SEEDED_BUG", id),
        None => cmd.env_remove("LOCKSTEP_SEEDED_BUG"),
    };
    let out = crate::process::run(&mut cmd, std::time::Duration::from_secs(60))?;
    if out.code() != Some(0) {
        bail!(
            "writing the test: {}",
            crate::process::last_words(&out.stderr)
        );
    }
    print!("{}", out.stdout);
    Ok(ExitCode::SUCCESS)
}
