//! `lockstep sweep`: replay the minimised fuzz corpus under Miri, to find undefined behaviour
//! that never crashes natively (aliasing violations above all), and process what it finds.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::triage::{EngineArgs, short_name};
use super::{Ctx, status};
use crate::builds::Builds;
use crate::commands::corpus::Stored;
use crate::engines::Engine;
use crate::libfuzzer;
use crate::miri_sweep;
use crate::pipeline::{self, CorpusIndex, Input, Processed, Settings};
use crate::process;
use crate::triage;
use crate::ui;

/// Replay the minimised fuzz corpus under Miri.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The target.
    target: String,
    /// Sweep under Miri (the engine a sweep is for: fuzzing already runs everything with ASan).
    #[arg(long, required = true)]
    miri: bool,
    /// The aliasing models to sweep with: sb, tb or both.
    #[arg(long, default_value = "sb,tb", value_name = "LIST")]
    models: String,
    /// Time budget for minimising and replaying, shared equally by the models (shrinking and
    /// triaging what was found come after): 90s, 10m, 1h.
    #[arg(long, value_parser = libfuzzer::parse_duration, default_value = "10m", value_name = "DURATION")]
    budget: Duration,
    /// Do not store new findings in the regression corpus.
    #[arg(long)]
    no_store: bool,
    #[command(flatten)]
    engines: EngineArgs,
}

#[derive(Debug, Serialize)]
struct Sweep {
    target: String,
    inputs: usize,
    /// Inputs replayed to the end, per engine.
    swept: Vec<(Engine, usize)>,
    /// Whether the budget ran out first.
    out_of_time: bool,
    /// Seconds from the start of the sweep to its first finding.
    first_finding_secs: Option<f64>,
    findings: Vec<Processed>,
}

/// Runs `lockstep sweep`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    debug_assert!(args.miri, "clap requires --miri");
    let project = &ctx.project;
    project.check_target(&args.target)?;
    let builds = Builds::new(project);
    let seeded = ctx.seeded_list(&builds, &args.engines.seeded_bug, Some(&args.target))?;
    let seeded = seeded.as_deref();
    let mut models = Vec::new();
    for name in args.models.split(',').map(str::trim) {
        models.push(match name {
            "sb" => Engine::MiriSb,
            "tb" => Engine::MiriTb,
            _ => bail!("unknown model `{name}`: the models are sb and tb"),
        });
    }
    let start = Instant::now();
    let deadline = start + args.budget;

    let minimised = tempfile::tempdir().context("creating a directory for the minimised corpus")?;
    let inputs = minimise(ctx, &builds, &args.target, minimised.path())?;
    let found_dir = project.campaign_dir("findings", &args.target, seeded);
    std::fs::create_dir_all(&found_dir)
        .with_context(|| format!("creating {}", found_dir.display()))?;

    let mut swept = Vec::new();
    let mut culprits: Vec<(Engine, PathBuf)> = Vec::new();
    let mut out_of_time = false;
    let mut first_finding = None;
    for (i, &engine) in models.iter().enumerate() {
        // Each model gets an equal share of what is left, so a slow first model cannot starve
        // the second; a model that finishes early leaves its time to the next.
        let left = deadline.saturating_duration_since(Instant::now());
        let share = left / u32::try_from(models.len() - i).unwrap_or(1);
        let model_deadline = Instant::now() + share;
        let spinner = ui::spinner(format!("sweeping {} inputs under {engine}", inputs.len()));
        let model_sweep = miri_sweep::replay(
            project,
            &builds,
            engine,
            &args.target,
            &inputs,
            seeded,
            model_deadline,
        )?;
        spinner.finish_and_clear();
        swept.push((engine, model_sweep.replayed()));
        if let (None, Some(at)) = (first_finding, model_sweep.first_failure) {
            first_finding = Some(at.duration_since(start).as_secs_f64());
        }
        for (input, _) in model_sweep.failed {
            // Copied out of the scratch directory before anything else can go wrong.
            let dest = found_dir.join(format!("sweep-{engine}-{}", short_name(&input)));
            if !dest.exists() {
                std::fs::copy(&input, &dest)
                    .with_context(|| format!("storing {}", dest.display()))?;
            }
            culprits.push((engine, dest));
        }
        out_of_time |= model_sweep.timed_out;
    }

    let engines = triage::parse_engines(&args.engines.engines)?;
    let accepted = lockstep_store::corpus::read_accepted(
        &project.corpora.join(&args.target).join("accepted.toml"),
    )?;
    let settings = Settings {
        target: &args.target,
        seeded_bug: seeded,
        engines: &engines,
        limits: args.engines.limits(),
        store: !args.no_store,
        found_by: "lockstep sweep",
        accepted: &accepted,
    };
    let mut index = if culprits.is_empty() {
        CorpusIndex::default()
    } else {
        CorpusIndex::load(project, &builds, &settings)?
    };
    let mut earlier = Vec::new();
    let mut findings = Vec::new();
    for (engine, input) in &culprits {
        let spinner = ui::spinner(format!("shrinking and triaging {}", short_name(input)));
        let queued = Input::File {
            case: input.clone(),
            quick: vec![*engine],
        };
        let result = pipeline::process(
            project,
            &builds,
            &settings,
            &mut index,
            &queued,
            &mut earlier,
        );
        spinner.finish_and_clear();
        findings.push(result.with_context(|| format!("processing {}", input.display()))?);
    }
    let report = Sweep {
        target: args.target.clone(),
        inputs: inputs.len(),
        swept,
        out_of_time,
        first_finding_secs: first_finding,
        findings,
    };
    let new = report
        .findings
        .iter()
        .any(|p| p.is_new() || p.regression.is_some());
    if ctx.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", render(&report, start.elapsed()));
    }
    Ok(status(new))
}

/// The fuzz corpus and the seeds, minimised by coverage with libFuzzer's merge, into `into`.
fn minimise(ctx: &Ctx, builds: &Builds<'_>, target: &str, into: &Path) -> Result<Vec<PathBuf>> {
    let project = &ctx.project;
    let sources: Vec<PathBuf> = [
        project.fuzz_dir.join("corpus").join(target),
        project.corpus_dir(target, "seeds"),
    ]
    .into_iter()
    .filter(|d| d.is_dir() && d.read_dir().is_ok_and(|mut e| e.next().is_some()))
    .collect();
    if sources.is_empty() {
        bail!(
            "nothing to sweep for {target}: its fuzz corpus is empty and it has no seeds (run `lockstep fuzz {target}` first)"
        );
    }
    let bin = builds.fuzz_target(target)?;
    let spinner = ui::spinner(format!("minimising the {target} corpus"));
    let mut cmd = Command::new(&bin);
    cmd.current_dir(&project.root)
        .arg("-merge=1")
        .arg(into)
        .args(&sources);
    let done = process::run(&mut cmd, Duration::from_secs(1800))?;
    spinner.finish_and_clear();
    if done.code() != Some(0) {
        let last = done.stderr.lines().rev().take(5).collect::<Vec<_>>();
        bail!(
            "minimising the corpus failed:\n{}",
            last.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(into)?
        .flatten()
        .map(|e| e.path())
        .collect();
    inputs.sort();
    // The inputs that bring op pairs not yet replayed first, shorter ones first among equals:
    // a budget too small for all of them covers the most kinds of interaction.
    let decoded = miri_sweep::decode(builds, target, &inputs)?;
    Ok(miri_sweep::Novelty::default().order(decoded))
}

fn render(sweep: &Sweep, elapsed: Duration) -> String {
    let swept: Vec<String> = sweep
        .swept
        .iter()
        .map(|(e, n)| format!("{e}: {n}/{}", sweep.inputs))
        .collect();
    let mut out = format!(
        "{}: swept {} minimised inputs in {:.0}s ({}){}\n",
        sweep.target,
        sweep.inputs,
        elapsed.as_secs_f64(),
        swept.join(", "),
        if sweep.out_of_time {
            "; the budget ran out: raise --budget to sweep the rest"
        } else {
            ""
        }
    );
    let rows: Vec<Vec<String>> = sweep
        .findings
        .iter()
        .filter(|p| !p.repeat)
        .map(|p| {
            vec![
                short_name(&p.case),
                p.signature.clone(),
                p.ops.map_or("-".to_owned(), |(a, b)| format!("{a} -> {b}")),
                match &p.stored {
                    Some(Stored::New { name }) => format!("stored as {name}"),
                    Some(Stored::Duplicate { name }) => format!("already stored as {name}"),
                    None => "not stored".to_owned(),
                },
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("no undefined behaviour found\n");
    } else {
        out.push('\n');
        out.push_str(&ui::table(&["input", "failure", "ops", "corpus"], &rows));
    }
    out
}
