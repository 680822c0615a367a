//! `lockstep`: fuzzing campaigns, op-level shrinking, triage under AddressSanitizer and Miri,
//! and the regression corpus, for the lockstep specs of a workspace.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

mod afl;
mod builds;
mod commands;
mod engines;
mod libfuzzer;
mod miri_sweep;
mod op_coverage;
mod pipeline;
mod process;
mod project;
mod triage;
mod ui;

use commands::Ctx;

/// Differential fuzzing of unsafe data structures: find, shrink, triage, keep.
#[derive(Debug, Parser)]
#[command(name = "lockstep", version, propagate_version = true)]
struct Cli {
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// The workspace's Cargo.toml (found from the current directory by default).
    #[arg(long, global = true, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// The corpora directory, with `<target>/seeds/` and `<target>/regressions/` (default:
    /// `corpora/` at the workspace root).
    #[arg(long, global = true, value_name = "DIR")]
    corpora: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run fuzzing campaigns, then shrink, triage and store what they find.
    Fuzz(commands::fuzz::Args),
    /// Shrink a failing case at the level of ops, keeping its signature.
    Shrink(commands::shrink::Args),
    /// Replay cases natively, with AddressSanitizer and under Miri (both aliasing models);
    /// classify them and group them by signature.
    Triage(commands::triage::Args),
    /// Bring testcases found by OSS-Fuzz or ClusterFuzzLite into the corpus: each is mapped to
    /// its target, shrunk, triaged and stored like a campaign's finding (known ones refused).
    Import(commands::import::Args),
    /// Replay cases natively, with AddressSanitizer, or under Miri.
    Replay(commands::replay::Args),
    /// Print a case, from any engine, as a self-contained `#[test]` (its ops as Rust) to paste
    /// into a test file.
    Repro(commands::repro::Args),
    /// Accept a failure, or a class of failures, for a target: campaigns then let it pass
    /// without stopping, failing or storing it (`corpora/<target>/accepted.toml`).
    Accept(commands::accept::Args),
    /// The regression corpus: check it, add to it, list it.
    #[command(subcommand)]
    Corpus(commands::corpus::Command),
    /// Replay the minimised fuzz corpus under Miri, to find undefined behaviour that never
    /// crashes natively.
    Sweep(commands::sweep::Args),
    /// Source coverage of the crates under test: the lines and unsafe blocks the target's
    /// inputs never run (`cargo fuzz coverage`, then `llvm-cov`).
    Coverage(commands::coverage::Args),
    /// Audit the structures' types, where no fuzzer reaches: unbounded lifetimes, unbounded
    /// `unsafe impl Send`/`Sync`, safe functions taking raw pointers (from rustdoc's JSON), and
    /// variance, auto traits and drop check compared with each subject type's model.
    Audit(commands::audit::Args),
    /// Write one self-contained HTML page of what the campaigns did and never reached.
    Report(commands::report::Args),
    /// List the fuzz targets.
    Targets,
    /// List the seeded bugs.
    Bugs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.color {
        Color::Always => console::set_colors_enabled(true),
        Color::Never => console::set_colors_enabled(false),
        Color::Auto => {}
    }
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{} {err:#}", console::style("error:").red().bold());
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let mut project = project::Project::discover(cli.manifest_path.as_deref())?;
    if let Some(dir) = cli.corpora {
        if !dir.is_dir() {
            anyhow::bail!(
                "--corpora {}: no such directory (it holds <target>/regressions/ and <target>/seeds/)",
                dir.display()
            );
        }
        project.corpora = dir
            .canonicalize()
            .with_context(|| format!("resolving {}", dir.display()))?;
    }
    let ctx = Ctx {
        project,
        json: cli.json,
    };
    match cli.command {
        Command::Fuzz(args) => commands::fuzz::run(&ctx, args),
        Command::Shrink(args) => commands::shrink::run(&ctx, args),
        Command::Triage(args) => commands::triage::run(&ctx, args),
        Command::Import(args) => commands::import::run(&ctx, args),
        Command::Replay(args) => commands::replay::run(&ctx, args),
        Command::Repro(args) => commands::repro::run(&ctx, args),
        Command::Accept(args) => commands::accept::run(&ctx, args),
        Command::Corpus(cmd) => commands::corpus::run(&ctx, cmd),
        Command::Sweep(args) => commands::sweep::run(&ctx, args),
        Command::Coverage(args) => commands::coverage::run(&ctx, args),
        Command::Report(args) => commands::report::run(&ctx, args),
        Command::Audit(args) => commands::audit::run(&ctx, args),
        Command::Targets => commands::info::targets(&ctx),
        Command::Bugs => commands::info::bugs(&ctx),
    }
}
