//! `lockstep triage`: classify cases with every engine and group them by signature.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use serde::Serialize;

use super::{Ctx, status};
use crate::builds::Builds;
use crate::engines::{Engine, Limits};
use crate::triage::{self, Triaged};
use crate::ui;

/// Triage options shared by the commands that triage.
#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// The engines to replay with, comma-separated.
    #[arg(
        long,
        default_value = "native,asan,miri-sb,miri-tb",
        value_name = "LIST"
    )]
    pub engines: String,
    /// Time limit for one native or ASan replay, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,
    /// Time limit for one Miri replay, in seconds.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub miri_timeout: u64,
    /// Time limit for shrinking one case, in seconds: a shrink under ASan or Miri runs a
    /// process per candidate, and what it reached by then is kept.
    #[arg(long, default_value_t = 180, value_name = "SECONDS")]
    pub shrink_timeout: u64,
    /// Switch this seeded bug on; repeat it (or give a comma-separated list) to switch on
    /// several at once.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub seeded_bug: Vec<String>,
}

impl EngineArgs {
    /// The time limits.
    pub fn limits(&self) -> Limits {
        Limits {
            native: Duration::from_secs(self.timeout),
            miri: Duration::from_secs(self.miri_timeout),
            shrink: Duration::from_secs(self.shrink_timeout),
        }
    }
}

/// Replay cases with every engine; classify and de-duplicate them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The target.
    target: String,
    /// Case files: fuzzer bytes or traces.
    #[arg(required = true, value_parser = crate::ui::absolute)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    engines: EngineArgs,
}

#[derive(Serialize)]
struct Json<'a> {
    cases: &'a [Triaged],
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    signature: &'a str,
    classes: Vec<String>,
    cases: Vec<&'a std::path::Path>,
}

/// Runs `lockstep triage`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    ctx.project.check_target(&args.target)?;
    let engines = triage::parse_engines(&args.engines.engines)?;
    for file in &args.files {
        lockstep::case::read(file)?;
    }
    let builds = Builds::new(&ctx.project);
    let seeded = ctx.seeded_list(&builds, &args.engines.seeded_bug, Some(&args.target))?;
    let mut triaged = Vec::new();
    for file in &args.files {
        let spinner = ui::spinner(format!("triaging {}", file.display()));
        let t = triage::triage(
            &ctx.project,
            &builds,
            &args.target,
            file,
            &engines,
            seeded.as_deref(),
            args.engines.limits(),
        );
        spinner.finish_and_clear();
        triaged.push(t?);
    }
    let groups = triage::group(&triaged);
    let errors: Vec<String> = triaged
        .iter()
        .flat_map(|t| {
            t.verdicts.iter().filter_map(move |(engine, v)| match v {
                crate::engines::Verdict::Error { message } => {
                    Some(format!("{}: {engine}: {message}", short_name(&t.case)))
                }
                _ => None,
            })
        })
        .collect();
    if ctx.json {
        let findings = groups
            .iter()
            .map(|(signature, cases)| JsonFinding {
                signature,
                classes: cases[0].classes_seen(),
                cases: cases.iter().map(|t| t.case.as_path()).collect(),
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string(&Json {
                cases: &triaged,
                findings
            })?
        );
    } else {
        print!("{}", render(&engines, &triaged, &groups));
    }
    if let Some(first) = errors.first() {
        // An engine that could not judge a case leaves the triage incomplete.
        bail!(
            "{first}{}",
            if errors.len() > 1 {
                format!(" (and {} more)", errors.len() - 1)
            } else {
                String::new()
            }
        );
    }
    Ok(status(!groups.is_empty()))
}

/// The triage table: a row per case, then a row per finding.
pub fn render(
    engines: &[Engine],
    triaged: &[Triaged],
    groups: &[(String, Vec<&Triaged>)],
) -> String {
    let mut header = vec!["case"];
    let names: Vec<String> = engines.iter().map(ToString::to_string).collect();
    header.extend(names.iter().map(String::as_str));
    header.push("finding");
    let rows: Vec<Vec<String>> = triaged
        .iter()
        .map(|t| {
            let mut row = vec![short_name(&t.case)];
            for e in engines {
                row.push(ui::verdict_cell(
                    &t.verdicts.get(e).map_or("-".to_owned(), |v| v.cell()),
                ));
            }
            let n = t
                .signature()
                .and_then(|s| groups.iter().position(|(g, _)| *g == s));
            row.push(n.map_or("-".to_owned(), |n| format!("#{}", n + 1)));
            row
        })
        .collect();
    let mut out = ui::table(&header, &rows);
    if groups.is_empty() {
        out.push_str("\nno failures: every engine passed every case\n");
        return out;
    }
    out.push('\n');
    let finding_rows: Vec<Vec<String>> = groups
        .iter()
        .enumerate()
        .map(|(i, (signature, cases))| {
            vec![
                format!("#{}", i + 1),
                signature.clone(),
                cases.len().to_string(),
                cases[0].classes_seen().join("; "),
            ]
        })
        .collect();
    out.push_str(&ui::table(
        &["finding", "signature", "cases", "seen as"],
        &finding_rows,
    ));
    out
}

/// A case's file name, for tables.
pub fn short_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
