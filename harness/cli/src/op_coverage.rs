//! Op coverage of a target's inputs (see `lockstep::op_coverage`), counted by the project's
//! replay binary, and checked against the variants `accepted.toml` expects to do no real work.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, bail};
use lockstep::op_coverage::OpCoverage;
use lockstep_store::corpus::Accepted;
use serde::Serialize;

use crate::builds::Builds;
use crate::process;
use crate::project::Project;

/// Counting a large corpus in a debug build takes seconds; this is far beyond it.
const LIMIT: Duration = Duration::from_secs(600);

/// The op coverage of the inputs in `paths` (files, or directories of them).
pub fn count(
    project: &Project,
    builds: &Builds<'_>,
    target: &str,
    paths: &[&Path],
) -> Result<OpCoverage> {
    let mut cmd = Command::new(builds.native_replay()?);
    cmd.args(["ops", "--records", target])
        .args(paths)
        .current_dir(&project.root)
        // The model has no seeded bugs; the subject does not run.
        .env_remove("LOCKSTEP_SEEDED_BUG");
    let done = process::run(&mut cmd, LIMIT)?;
    if done.timed_out() {
        bail!("counting op coverage took more than {} s", LIMIT.as_secs());
    }
    if done.code() != Some(0) {
        bail!(
            "counting op coverage failed: {}",
            process::last_words(&done.stderr)
        );
    }
    done.stdout
        .lines()
        .find_map(lockstep::driver::from_record)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the replay binary printed no op coverage: is it built from this version of \
                 lockstep?"
            )
        })
}

/// Every op variant of `target`, as op coverage names them.
pub fn declared(project: &Project, builds: &Builds<'_>, target: &str) -> Result<Vec<String>> {
    let coverage = count(project, builds, target, &[])?;
    Ok(coverage.variants.into_iter().map(|v| v.name).collect())
}

/// What a campaign's op coverage says: the variants that did no real work, except those
/// accepted.
#[derive(Debug, Default, Serialize)]
pub struct Checked {
    /// The whole table, as JSON.
    pub file: Option<PathBuf>,
    /// Inputs counted.
    pub cases: u64,
    /// Variants that never did real work (or only on an empty structure), one line each.
    pub warnings: Vec<String>,
    /// Variants `accepted.toml` expects to do no real work, with the reason.
    pub accepted: Vec<String>,
    /// Variants `accepted.toml` names that the spec does not have.
    pub unknown: Vec<String>,
    /// Why op coverage could not be counted.
    pub error: Option<String>,
}

/// Sorts `coverage`'s warnings into those to show and those `accepted` expects.
pub fn check(coverage: &OpCoverage, accepted: &Accepted) -> Checked {
    let mut checked = Checked {
        cases: coverage.cases,
        ..Checked::default()
    };
    for v in &coverage.variants {
        let Some(warning) = v.warning() else { continue };
        match accepted.idle_op(&v.name) {
            Some(a) => checked.accepted.push(format!("{}: {}", v.name, a.reason)),
            None => checked.warnings.push(warning),
        }
    }
    checked.unknown = accepted
        .accept
        .iter()
        .filter_map(|a| a.op.clone())
        .filter(|op| !coverage.variants.iter().any(|v| v.name == *op))
        .collect();
    checked
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep::op_coverage::VariantCoverage;
    use lockstep_store::corpus::Acceptance;

    fn variant(name: &str, runs: u64, no_ops: u64) -> VariantCoverage {
        VariantCoverage {
            name: name.into(),
            runs,
            no_ops,
            non_empty: runs,
            ..VariantCoverage::default()
        }
    }

    #[test]
    fn idle_variants_warn_unless_accepted() {
        let coverage = OpCoverage {
            cases: 3,
            variants: vec![
                variant("Op::Push", 5, 0),
                variant("Op::Reserve", 5, 5),
                variant("Op::ShrinkToFit", 4, 4),
                variant("Op::Never", 0, 0),
            ],
            ..OpCoverage::default()
        };
        let accepted = Accepted {
            accept: vec![
                Acceptance {
                    signature: None,
                    class: None,
                    op: Some("Op::ShrinkToFit".into()),
                    reason: "capacity only".into(),
                },
                Acceptance {
                    signature: None,
                    class: None,
                    op: Some("Op::Gone".into()),
                    reason: "renamed since".into(),
                },
            ],
        };
        let checked = check(&coverage, &accepted);
        assert_eq!(
            checked.warnings,
            [
                "Op::Reserve never did real work: 5 runs: 5 no-ops",
                "Op::Never never ran"
            ]
        );
        assert_eq!(checked.accepted, ["Op::ShrinkToFit: capacity only"]);
        assert_eq!(checked.unknown, ["Op::Gone"]);
    }
}
