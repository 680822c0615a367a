//! `lockstep sweep`.

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Ctx;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `lockstep sweep`.
pub fn run(_ctx: &Ctx, _args: Args) -> Result<ExitCode> {
    bail!("`lockstep sweep` is being written")
}
