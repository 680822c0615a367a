//! `lockstep accept`: add a behaviour to `corpora/<target>/accepted.toml`, the target's
//! suppressions: what campaigns then let pass without stopping, failing or storing it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lockstep::finding::{Class, Engine};
use lockstep_store::corpus::{self, Acceptance};

use super::Ctx;
use crate::builds::Builds;
use crate::triage;

/// Accept a failure (by a case that shows it) or a whole class of failures.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The target.
    target: String,
    /// A case that fails the way to accept: its signature (natively, or under AddressSanitizer
    /// when it passes natively) is accepted.
    #[arg(value_parser = crate::ui::absolute, required_unless_present_any = ["class", "op"])]
    case: Option<PathBuf>,
    /// Accept every failure of this class instead (`leak`, `early-drop`, ...).
    #[arg(long, conflicts_with_all = ["case", "op"])]
    class: Option<String>,
    /// Accept that this op variant (`Op::ShrinkToFit`, as op coverage names it) never does real
    /// work, so campaigns stop warning about it: an op whose point is its error, or whose effect
    /// the model cannot see.
    #[arg(long, value_name = "VARIANT", conflicts_with = "case")]
    op: Option<String>,
    /// Why it is accepted: kept beside it, and shown whenever a campaign lets it pass.
    #[arg(long, required = true)]
    reason: String,
    /// Switch these seeded bugs on while finding the case's signature.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    seeded_bug: Vec<String>,
}

/// Runs `lockstep accept`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    let project = &ctx.project;
    project.check_target(&args.target)?;
    if args.reason.trim().is_empty() {
        bail!("--reason is empty: say why the behaviour is accepted");
    }
    let acceptance = match (&args.case, &args.class, &args.op) {
        (_, Some(class), _) => {
            let class: Class = class.parse().map_err(anyhow::Error::msg)?;
            Acceptance {
                signature: None,
                class: Some(class.to_string()),
                op: None,
                reason: args.reason.trim().to_owned(),
            }
        }
        (_, _, Some(op)) => {
            let declared =
                crate::op_coverage::declared(project, &Builds::new(project), &args.target)?;
            if !declared.iter().any(|v| v == op) {
                bail!(
                    "`{op}` is no op variant of `{}`: its variants are {}",
                    args.target,
                    declared.join(", ")
                );
            }
            Acceptance {
                signature: None,
                class: None,
                op: Some(op.clone()),
                reason: args.reason.trim().to_owned(),
            }
        }
        (Some(case), None, None) => {
            lockstep::case::read(case)?;
            let builds = Builds::new(project);
            let seeded = ctx.seeded_list(&builds, &args.seeded_bug, Some(&args.target))?;
            let triaged = triage::triage(
                project,
                &builds,
                &args.target,
                case,
                &[Engine::Native, Engine::Asan],
                seeded.as_deref(),
                crate::engines::Limits::default(),
            )?;
            // The cheapest engine that fails: the signature a campaign sees first.
            let Some(signature) = triaged
                .verdicts
                .values()
                .find_map(|v| v.finding().map(lockstep::finding::Finding::signature))
            else {
                bail!(
                    "{}: passes natively and under AddressSanitizer: there is nothing to accept",
                    case.display()
                );
            };
            Acceptance {
                signature: Some(signature),
                class: None,
                op: None,
                reason: args.reason.trim().to_owned(),
            }
        }
        (None, None, None) => bail!("name a case, a class with --class or an op with --op"),
    };
    let path = project.corpora.join(&args.target).join("accepted.toml");
    let mut accepted = corpus::read_accepted(&path)?;
    let what = acceptance
        .signature
        .clone()
        .or_else(|| acceptance.class.clone().map(|c| format!("every {c}")))
        .or_else(|| {
            acceptance
                .op
                .clone()
                .map(|o| format!("{o} never doing real work"))
        })
        .unwrap_or_default();
    if accepted.accept.iter().any(|a| {
        a.signature == acceptance.signature && a.class == acceptance.class && a.op == acceptance.op
    }) {
        println!("already accepted: {what}");
        return Ok(ExitCode::SUCCESS);
    }
    accepted.accept.push(acceptance);
    let text = accepted.text().map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(path.parent().context("a corpora path has a parent")?)
        .with_context(|| format!("creating {}", path.display()))?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "accepted in {}: {what}",
        project.relative(&path.to_string_lossy())
    );
    Ok(ExitCode::SUCCESS)
}
