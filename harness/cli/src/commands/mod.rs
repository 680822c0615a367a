//! The subcommands. Each returns the exit status: 0 when all is well, 1 when it found a failure
//! (or a check failed); errors become status 2 in `main`.

use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use lockstep::SeededBugInfo;

use crate::builds::Builds;
use crate::project::Project;

pub mod corpus;
pub mod fuzz;
pub mod info;
pub mod replay;
pub mod shrink;
pub mod sweep;
pub mod triage;

/// What every command needs.
#[derive(Debug)]
pub struct Ctx {
    /// The workspace.
    pub project: Project,
    /// Print JSON instead of tables.
    pub json: bool,
}

impl Ctx {
    /// The project's seeded bugs, as its replay binary publishes them.
    pub fn seeded_bugs(&self, builds: &Builds<'_>) -> Result<Vec<SeededBugInfo>> {
        let bin = builds.native_replay()?;
        let out = Command::new(bin)
            .arg("bugs")
            .output()
            .context("listing the seeded bugs")?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).context("reading the replay binary's seeded bugs"))
            .collect()
    }

    /// The seeded bug `id`, checked to exist (and to belong to `target`, when given).
    pub fn seeded_bug(
        &self,
        builds: &Builds<'_>,
        id: &str,
        target: Option<&str>,
    ) -> Result<SeededBugInfo> {
        if !self.project.has_seeded_bugs {
            bail!(
                "the fuzz package `{}` has no `seeded-bugs` feature",
                self.project.fuzz_package
            );
        }
        let bugs = self.seeded_bugs(builds)?;
        let Some(bug) = bugs.iter().find(|b| b.id == id) else {
            let ids: Vec<&str> = bugs.iter().map(|b| b.id.as_str()).collect();
            bail!(
                "`{id}` is not a seeded bug; the seeded bugs are: {}",
                ids.join(", ")
            );
        };
        if let Some(target) = target.filter(|t| *t != bug.target) {
            bail!(
                "seeded bug `{id}` lives in target `{}`, not `{target}`",
                bug.target
            );
        }
        Ok(bug.clone())
    }
}

/// The exit status for "found something" (1) or not (0).
pub fn status(found: bool) -> ExitCode {
    if found {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
