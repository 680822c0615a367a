//! The subcommands. Each returns the exit status: 0 when all is well, 1 when it found a failure
//! (or a check failed); errors become status 2 in `main`.

use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use lockstep::SeededBugInfo;

use crate::builds::Builds;
use crate::project::Project;

pub mod accept;
pub mod audit;
pub mod corpus;
pub mod coverage;
pub mod fuzz;
pub mod import;
pub mod info;
pub mod replay;
pub mod report;
pub mod repro;
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
        seeded_bugs(builds)
    }

    /// The seeded bugs `ids`, checked to exist (and to belong to `target`, when given), as the
    /// comma-separated list `LOCKSTEP_SEEDED_BUG` takes; `None` for no bug.
    pub fn seeded_list(
        &self,
        builds: &Builds<'_>,
        ids: &[String],
        target: Option<&str>,
    ) -> Result<Option<String>> {
        if ids.is_empty() {
            return Ok(None);
        }
        if !self.project.has_seeded_bugs {
            bail!(
                "the fuzz package `{}` has no `seeded-bugs` feature",
                self.project.fuzz_package
            );
        }
        let bugs = self.seeded_bugs(builds)?;
        let mut list: Vec<&str> = Vec::new();
        for id in ids {
            let bug = find_bug(&bugs, id)?;
            if let Some(target) = target.filter(|t| *t != bug.target) {
                bail!(
                    "seeded bug `{id}` lives in target `{}`, not `{target}`",
                    bug.target
                );
            }
            if !list.contains(&id.as_str()) {
                list.push(id);
            }
        }
        Ok(Some(list.join(",")))
    }
}

/// The project's seeded bugs, as its replay binary publishes them.
pub fn seeded_bugs(builds: &Builds<'_>) -> Result<Vec<SeededBugInfo>> {
    let bin = builds.native_replay()?;
    let out = Command::new(bin)
        .arg("bugs")
        .output()
        .context("listing the seeded bugs")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            lockstep::driver::from_record(l).context("reading the replay binary's seeded bugs")
        })
        .collect()
}

/// The seeded bug `id` among `bugs`, or an error listing them.
pub fn find_bug<'a>(bugs: &'a [SeededBugInfo], id: &str) -> Result<&'a SeededBugInfo> {
    bugs.iter().find(|b| b.id == id).with_context(|| {
        let ids: Vec<&str> = bugs.iter().map(|b| b.id.as_str()).collect();
        format!(
            "`{id}` is not a seeded bug; the seeded bugs are: {}",
            ids.join(", ")
        )
    })
}

/// The ids of a comma-separated list of seeded bugs.
pub fn bug_ids(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|id| !id.is_empty())
}

/// The exit status for "found something" (1) or not (0).
pub fn status(found: bool) -> ExitCode {
    if found {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
