//! `lockstep corpus`.

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Ctx;

/// Corpus subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check every case.
    Check,
}

/// Runs `lockstep corpus`.
pub fn run(_ctx: &Ctx, _cmd: Command) -> Result<ExitCode> {
    bail!("`lockstep corpus` is being written")
}
