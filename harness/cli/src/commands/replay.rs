//! `lockstep replay`: run cases and show what the replay binary (or Miri) says.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result};
use lockstep_store::miri::AliasingModel;

use super::Ctx;
use crate::builds::Builds;

/// Replay cases natively, with AddressSanitizer, or under Miri.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The target.
    target: String,
    /// Case files: fuzzer bytes or traces.
    #[arg(required = true, value_parser = crate::ui::absolute)]
    files: Vec<PathBuf>,
    /// Replay under Miri (Stacked Borrows unless --tree-borrows).
    #[arg(long, conflicts_with = "asan")]
    miri: bool,
    /// With --miri: use Tree Borrows.
    #[arg(long, requires = "miri")]
    tree_borrows: bool,
    /// Replay with AddressSanitizer.
    #[arg(long)]
    asan: bool,
    /// Switch this seeded bug on; repeat it (or give a comma-separated list) for several.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    seeded_bug: Vec<String>,
}

/// Runs `lockstep replay`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    ctx.project.check_target(&args.target)?;
    for file in &args.files {
        lockstep::case::read(file)?;
    }
    let builds = Builds::new(&ctx.project);
    let seeded = ctx.seeded_list(&builds, &args.seeded_bug, Some(&args.target))?;
    let mut replay_args: Vec<OsString> = Vec::new();
    if ctx.json {
        replay_args.push("--records".into());
    }
    replay_args.push(args.target.clone().into());
    replay_args.extend(args.files.iter().map(|f| f.clone().into_os_string()));

    let mut cmd = if args.miri {
        let mut replay = builds.miri()?.clone();
        if let Some(id) = &seeded {
            replay.env.push(("LOCKSTEP_SEEDED_BUG".into(), id.clone()));
        }
        let model = if args.tree_borrows {
            AliasingModel::TreeBorrows
        } else {
            AliasingModel::StackedBorrows
        };
        replay
            .command(model, &replay_args)
            .map_err(anyhow::Error::msg)?
    } else {
        let bin = if args.asan {
            builds.asan_replay()?
        } else {
            builds.native_replay()?
        };
        let mut cmd = Command::new(bin);
        cmd.args(&replay_args);
        match &seeded {
            Some(id) => cmd.env("LOCKSTEP_SEEDED_BUG", id),
            None => cmd.env_remove("LOCKSTEP_SEEDED_BUG"),
        };
        if args.asan {
            cmd.env(
                "ASAN_OPTIONS",
                "detect_leaks=1:detect_stack_use_after_return=0",
            );
        }
        cmd
    };
    cmd.current_dir(&ctx.project.root);
    if ctx.json {
        cmd.stdout(std::process::Stdio::piped());
    }
    let mut child = cmd.spawn().context("running the replay")?;
    if let Some(out) = child.stdout.take() {
        // The replay binary's records, one per case, as JSON lines.
        for line in std::io::BufRead::lines(std::io::BufReader::new(out)) {
            let line = line.context("reading the replay's output")?;
            match lockstep::driver::from_record::<lockstep::Report>(&line) {
                Some(report) => println!("{}", serde_json::to_string(&report)?),
                None => println!("{line}"),
            }
        }
    }
    let status = child.wait().context("running the replay")?;
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        eprintln!(
            "{} {}",
            console::style("error:").red().bold(),
            crate::process::died_of(signal)
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(2) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    })
}
