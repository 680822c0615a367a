//! `lockstep fuzz`: libFuzzer campaigns that keep going. Failures the harness sees are handled
//! inside the fuzz target (a known one costs an execution, a new one is recorded at once);
//! sanitizer reports end one libFuzzer process, not the campaign: the next one starts from the
//! corpus the last one grew (with `--jobs N`, libFuzzer's fork mode does the same per job). Every
//! new distinct failure is shrunk, triaged and stored by a queue that runs beside the campaign.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use lockstep::SeededBugInfo;
use lockstep::campaign::{self as found, Known};
use lockstep::finding::Severity;
use lockstep_store::corpus::Accepted;
use serde::Serialize;

use super::triage::{EngineArgs, short_name};
use super::{Ctx, bug_ids, find_bug, status};
use crate::builds::Builds;
use crate::commands::corpus::Stored;
use crate::engines::{self, Engine, Finding};
use crate::libfuzzer::{self, Collector, Status};
use crate::miri_sweep;
use crate::pipeline::{self, CorpusIndex, Input, Processed, Settings};
use crate::project::Project;
use crate::triage;

mod afl;
mod history;

/// Run fuzzing campaigns.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Targets to fuzz (with --seeded-bug, the targets of the bugs by default).
    targets: Vec<String>,
    /// Fuzz every target.
    #[arg(long, conflicts_with = "targets")]
    all: bool,
    /// Time budget per target: 90s, 3m, 1h30m.
    #[arg(long, value_parser = libfuzzer::parse_duration, default_value = "1m", value_name = "DURATION")]
    time: Duration,
    /// Fuzzing processes per target (libFuzzer's fork mode with N > 1): a number, or `auto`
    /// for one per core, less the core Miri beside the campaign takes.
    #[arg(long, default_value = "1", value_parser = parse_jobs, value_name = "N|auto")]
    jobs: Jobs,
    /// Stop at the first new failure (of a severity --fail-on names) instead of going on to
    /// find every distinct one.
    #[arg(long)]
    stop_on_first: bool,
    /// The severities whose new failures fail the campaign (exit 1): memory-safety,
    /// correctness, panic-safety. Others are reported and stored all the same.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "memory-safety,correctness",
        value_name = "LIST"
    )]
    fail_on: Vec<Severity>,
    /// Longest input libFuzzer generates, in bytes.
    #[arg(long, default_value_t = 4096, value_name = "BYTES")]
    max_len: usize,
    /// Do not replay new corpus entries under Miri beside the campaign (it takes one core, and
    /// finds the aliasing violations and uninitialised reads that never crash natively).
    #[arg(long)]
    no_miri: bool,
    /// Do not store new findings in the regression corpus (they stay in fuzz/findings/).
    #[arg(long)]
    no_store: bool,
    /// Start from the committed seeds alone, in a scratch corpus, instead of the corpus earlier
    /// campaigns built up in fuzz/corpus/ (for measuring how fast a bug is found).
    #[arg(long)]
    fresh: bool,
    /// With --fresh: leave out the committed seeds too, so libFuzzer starts from nothing (the
    /// hardest test of how fast a bug is found, since seeds often reach the code it lives in).
    #[arg(long, requires = "fresh")]
    no_seeds: bool,
    /// The fuzzers to run, comma-separated: `libfuzzer`, `afl` (AFL++ through cargo-afl), or
    /// both (one process each, on the same corpus).
    #[arg(
        long = "engine",
        value_enum,
        value_delimiter = ',',
        default_value = "libfuzzer",
        value_name = "LIST"
    )]
    fuzzers: Vec<Fuzzer>,
    #[command(flatten)]
    engines: EngineArgs,
}

/// How many fuzzing processes a campaign runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Jobs {
    /// One per core.
    Auto,
    /// This many.
    N(usize),
}

impl Jobs {
    /// The number of processes: for `auto`, the cores less the one Miri beside takes.
    fn count(self, miri_beside: bool) -> usize {
        match self {
            Jobs::N(n) => n,
            Jobs::Auto => {
                let cores = std::thread::available_parallelism().map_or(1, usize::from);
                cores.saturating_sub(usize::from(miri_beside)).max(1)
            }
        }
    }
}

fn parse_jobs(arg: &str) -> Result<Jobs, String> {
    if arg == "auto" {
        return Ok(Jobs::Auto);
    }
    match arg.parse::<usize>() {
        Ok(0) => Err("--jobs must be at least 1 (or auto, for one per core)".to_owned()),
        Ok(n) => Ok(Jobs::N(n)),
        Err(_) => Err(format!("`{arg}` is not a number of jobs, or auto")),
    }
}

/// A coverage-guided fuzzer a campaign runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fuzzer {
    /// libFuzzer, through cargo-fuzz.
    Libfuzzer,
    /// AFL++, through cargo-afl.
    Afl,
}

/// One distinct failure of a campaign: every input whose first signature is the same.
#[derive(Debug, Serialize)]
struct Distinct {
    /// The engine that first saw it and its signature there.
    first: (Engine, String),
    /// Seconds from the start of the campaign to its first input (`None`: found by an earlier
    /// campaign, seen again in this one).
    first_found_secs: Option<f64>,
    /// Executions that hit it (in-process failures), or inputs that showed it (crashes).
    hits: u64,
    /// What processing its first input gave.
    processed: Option<Processed>,
    /// Why it could not be processed.
    error: Option<String>,
    /// The acceptance that covers it.
    accepted: Option<String>,
    /// The shrunk case, as a trace.
    shrunk_trace: Option<String>,
}

/// One target's campaign.
#[derive(Debug, Serialize)]
struct Campaign {
    target: String,
    seeded_bug: Option<String>,
    /// The fuzzers that ran.
    fuzzers: Vec<Fuzzer>,
    /// Seconds fuzzing.
    seconds: f64,
    /// Seconds from the start to the summary: fuzzing, then processing what was left.
    wall_seconds: f64,
    execs: u64,
    exec_per_sec: u64,
    coverage: u64,
    corpus: u64,
    /// Seconds from the start of the campaign to its first new failure.
    first_failure_secs: Option<f64>,
    /// Findings an earlier, interrupted campaign left unprocessed, processed by this one.
    recovered: usize,
    failures: Vec<Distinct>,
    /// What Miri did beside the campaign (`None` with --no-miri).
    miri: Option<MiriStats>,
    /// The file the campaign recorded its progress in.
    history: PathBuf,
    /// Which op variants the inputs the campaign kept made do real work.
    op_coverage: crate::op_coverage::Checked,
}

impl Campaign {
    /// Distinct failures the corpus did not have.
    fn new_failures(&self) -> impl Iterator<Item = &Distinct> {
        self.failures
            .iter()
            .filter(|d| d.accepted.is_none() && d.processed.as_ref().is_some_and(Processed::is_new))
    }

    /// New failures of a severity in `fail_on`.
    fn failing(&self, fail_on: &[Severity]) -> impl Iterator<Item = &Distinct> {
        self.new_failures().filter(move |d| {
            d.processed
                .as_ref()
                .is_some_and(|p| fail_on.contains(&p.severity))
        })
    }

    /// Stored cases that must pass and failed again.
    fn regressions(&self) -> impl Iterator<Item = &str> {
        self.failures
            .iter()
            .filter_map(|d| d.processed.as_ref()?.regression.as_deref())
    }
}

/// Runs `lockstep fuzz`.
pub fn run(ctx: &Ctx, mut args: Args) -> Result<ExitCode> {
    let project = &ctx.project;
    let builds = Builds::new(project);
    args.jobs = Jobs::N(args.jobs.count(!args.no_miri));
    if args.fuzzers.contains(&Fuzzer::Afl) {
        if args.jobs != Jobs::N(1) {
            bail!(
                "--jobs N runs libFuzzer's fork mode, and AFL++ runs one instance: drop --jobs \
                 with --engine afl"
            );
        }
        crate::afl::afl_fuzz(&project.root)?;
    }
    let engines = triage::parse_engines(&args.engines.engines)?;
    if !args.engines.seeded_bug.is_empty() && (args.all || !args.targets.is_empty()) {
        // Listing the seeded bugs takes a build of its own: the fuzz targets build meanwhile.
        let named = if args.all {
            project.targets.clone()
        } else {
            args.targets.clone()
        };
        if named.iter().all(|t| project.check_target(t).is_ok()) {
            Builds::start_fuzz_targets(project, &named);
        }
    }
    let seeded = ctx.seeded_list(&builds, &args.engines.seeded_bug, None)?;
    let bugs: Vec<SeededBugInfo> = match &seeded {
        Some(list) => {
            let all = ctx.seeded_bugs(&builds)?;
            bug_ids(list)
                .map(|id| find_bug(&all, id).cloned())
                .collect::<Result<_>>()?
        }
        None => Vec::new(),
    };
    let targets: Vec<String> = if args.all {
        project.targets.clone()
    } else if !args.targets.is_empty() {
        args.targets.clone()
    } else if !bugs.is_empty() {
        let mut targets: Vec<String> = bugs.iter().map(|b| b.target.clone()).collect();
        targets.dedup();
        targets
    } else {
        bail!(
            "name the targets to fuzz, or --all; the targets are {}",
            project.targets.join(", ")
        );
    };
    for t in &targets {
        project.check_target(t)?;
    }
    if let Some(bug) = bugs.iter().find(|b| !targets.contains(&b.target)) {
        bail!(
            "seeded bug `{}` lives in target `{}`, which this campaign does not fuzz",
            bug.id,
            bug.target
        );
    }
    crate::builds::check_nightly(&project.root)?;
    if !args.no_miri {
        lockstep_store::miri::check_available(&project.root).map_err(|e| {
            anyhow::anyhow!("{e}; or pass --no-miri to fuzz without Miri beside the campaign")
        })?;
    }
    let mut campaigns = Vec::new();
    for target in &targets {
        let ids: Vec<&str> = bugs
            .iter()
            .filter(|b| b.target == *target)
            .map(|b| b.id.as_str())
            .collect();
        let seeded = (!ids.is_empty()).then(|| ids.join(","));
        campaigns.push(campaign(
            ctx,
            &builds,
            &args,
            &engines,
            target,
            seeded.as_deref(),
        )?);
    }
    let failed = campaigns
        .iter()
        .any(|c| c.failing(&args.fail_on).next().is_some() || c.regressions().next().is_some());
    if ctx.json {
        println!("{}", serde_json::to_string(&campaigns)?);
    } else {
        print!("{}", summary(&campaigns));
        for c in &campaigns {
            match &c.miri {
                Some(MiriStats { error: Some(e), .. }) => {
                    println!("\n{}: Miri beside the campaign stopped: {e}", c.target);
                }
                Some(m) => println!(
                    "\n{}: Miri beside the campaign replayed {} corpus entries under Stacked \
                     Borrows and {} under Tree Borrows ({:.1} per second)",
                    c.target,
                    m.stacked_borrows,
                    m.tree_borrows,
                    m.per_second()
                ),
                None => {}
            }
            for name in c.regressions() {
                println!(
                    "\nREGRESSION: {}/{name} must pass, and failed again in this campaign",
                    c.target
                );
            }
            print!("{}", op_coverage_lines(project, c));
        }
        let miri_only: Vec<&SeededBugInfo> = bugs
            .iter()
            .filter(|b| args.no_miri && miri_only(b))
            .collect();
        for bug in miri_only {
            println!(
                "\nseeded bug {} ({}) is detected only by Miri, and --no-miri kept Miri from running beside the campaign: run `lockstep sweep {} --miri --seeded-bug {}` over the corpus it grew",
                bug.id, bug.class, bug.target, bug.id
            );
        }
    }
    Ok(status(failed))
}

/// What the summary says of a campaign's op coverage: the variants that never did real work.
fn op_coverage_lines(project: &Project, c: &Campaign) -> String {
    let ops = &c.op_coverage;
    let mut out = String::new();
    if let Some(e) = &ops.error {
        return format!("\n{}: op coverage was not counted: {e}\n", c.target);
    }
    if !ops.warnings.is_empty() {
        out += &format!(
            "\n{}: op coverage over the {} inputs the campaign kept: {} variant(s) did no real \
             work, so the campaign tested nothing there\n",
            c.target,
            ops.cases,
            ops.warnings.len()
        );
        for w in &ops.warnings {
            out += &format!("  warning: {w}\n");
        }
        let table = ops.file.as_ref().map_or(String::new(), |f| {
            format!(
                "the table is in {}; ",
                project.relative(&f.to_string_lossy())
            )
        });
        out += &format!(
            "  ({table}make the spec reach them, or, when that cannot be, `lockstep accept {} \
             --op VARIANT --reason WHY`)\n",
            c.target
        );
    }
    for op in &ops.unknown {
        out += &format!(
            "\n{}: accepted.toml accepts op {op}, which the spec does not have: remove the entry\n",
            c.target
        );
    }
    out
}

/// Whether only Miri detects `bug`: a fuzzing campaign will not see it, a sweep will.
fn miri_only(bug: &SeededBugInfo) -> bool {
    bug.detectors.iter().all(|d| d.starts_with("miri"))
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// An input for the queue, with when it was found.
struct Queued {
    input: Input,
    /// Milliseconds since the Unix epoch; `None` for one recovered from an earlier campaign.
    found_at_ms: Option<u64>,
}

fn campaign(
    ctx: &Ctx,
    builds: &Builds<'_>,
    args: &Args,
    engines: &[Engine],
    target: &str,
    seeded: Option<&str>,
) -> Result<Campaign> {
    let project = &ctx.project;
    let scratch = if args.fresh {
        Some(tempfile::tempdir().context("creating a scratch corpus")?)
    } else {
        None
    };
    let corpus = match &scratch {
        Some(dir) => dir.path().to_path_buf(),
        None => project.fuzz_dir.join("corpus").join(target),
    };
    let seeds = project.corpus_dir(target, "seeds");
    let artifacts = project.campaign_dir("artifacts", target, seeded);
    let findings_dir = project.campaign_dir("findings", target, seeded);
    // Each campaign records its in-process findings in a directory of its own, so it reports
    // every failure it hits, also one an earlier campaign recorded.
    let found_root = findings_dir.join("found");
    let found_dir = found_root.join(format!("campaign-{}", now_ms()));
    libfuzzer::check_corpus_dir(&corpus)?;
    for dir in [&corpus, &found_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let accepted_path = project.corpora.join(target).join("accepted.toml");
    let accepted = lockstep_store::corpus::read_accepted(&accepted_path)?;
    let known_file = write_known(&findings_dir, &accepted.known())?;
    let (mut collector, recovered) = Collector::new(&artifacts, &findings_dir)?;
    // Whatever an earlier campaign found but did not get to process is processed now.
    let mut backlog: Vec<Input> = recovered
        .iter()
        .chain(&unprocessed_files(&findings_dir)?)
        .filter(|f| !pipeline::is_processed(f))
        .map(|f| crash_input(f))
        .collect();
    backlog.dedup_by(|a, b| a.case() == b.case());
    for earlier in earlier_campaigns(&found_root, &found_dir)? {
        for (_, record) in found::read_found(&earlier) {
            let input = earlier.join(&record.input);
            if !pipeline::is_processed(&input) {
                backlog.push(Input::Recorded {
                    case: input,
                    engine: Engine::Native,
                    signature: record.signature,
                    severity: record.severity,
                });
            }
        }
    }
    let libfuzzer = args.fuzzers.contains(&Fuzzer::Libfuzzer);
    // AFL++ writes to a directory of its own per campaign; what a killed one left is taken in.
    let afl_out = if args.fuzzers.contains(&Fuzzer::Afl) {
        let root = project.campaign_dir("afl", target, seeded);
        let left = afl::recover(&root, &findings_dir, &corpus)?;
        backlog.extend(
            left.iter()
                .filter(|f| !pipeline::is_processed(f))
                .map(|f| crash_input(f)),
        );
        Some(root.join(format!("campaign-{}", now_ms())))
    } else {
        None
    };
    let mut seen_records: HashSet<PathBuf> = HashSet::new();
    let recovered_count = backlog.len();
    if recovered_count > 0 && !ctx.json {
        eprintln!(
            "{target}: processing {recovered_count} finding(s) an interrupted campaign left in {}",
            findings_dir.display()
        );
    }

    let afl_status = std::sync::Mutex::new(Status::default());
    let settings = Settings {
        target,
        seeded_bug: seeded,
        engines,
        limits: args.engines.limits(),
        store: !args.no_store,
        found_by: "lockstep fuzz",
        accepted: &accepted,
    };
    let history = history::History::create(
        &project.campaign_dir("history", target, seeded),
        &history::Header {
            target,
            seeded_bug: seeded,
            fuzzers: &args.fuzzers,
            jobs: args.jobs.count(false),
            budget_secs: args.time.as_secs(),
            started_ms: now_ms(),
        },
    )?;
    let bar = progress_bar(target, args.time);
    let mut status = Status::default();
    let stop = std::sync::atomic::AtomicBool::new(false);
    // When fuzzing starts: the workers start before the fuzz target is built, so the builds
    // they need (Miri's above all) overlap its build instead of the campaign.
    let started: std::sync::OnceLock<(Instant, u64)> = std::sync::OnceLock::new();
    let announcer = Announcer {
        seen: std::sync::Mutex::default(),
        bar: bar.clone(),
        json: ctx.json,
        target: target.to_owned(),
    };
    let (results, crash_times, miri, fuzzed) = std::thread::scope(|scope| -> Result<_> {
        let (tx, rx) = mpsc::channel::<Queued>();
        let worker_bar = bar.clone();
        let worker = scope.spawn(|| queue(ctx, &settings, rx, worker_bar, ctx.json));
        let miri_worker = (!args.no_miri).then(|| {
            let beside = MiriBeside {
                ctx,
                target,
                seeded,
                // The corpus, AFL++'s queue (which it keeps apart until the end), the seeds.
                dirs: [corpus.clone()]
                    .into_iter()
                    .chain(
                        afl_out
                            .as_ref()
                            .map(|out| out.join(afl::INSTANCE).join("queue")),
                    )
                    .chain((!args.no_seeds).then(|| seeds.clone()))
                    .collect(),
                seeds: (!args.no_seeds).then(|| seeds.clone()),
                findings: findings_dir.clone(),
                budget: args.time,
                stop: &stop,
                tx: tx.clone(),
                announcer: &announcer,
                started: &started,
            };
            scope.spawn(move || beside.run())
        });
        for input in backlog {
            let _ = tx.send(Queued {
                input,
                found_at_ms: None,
            });
        }
        let crash_times = std::sync::Mutex::new(BTreeMap::new());
        let fuzzing = (|| -> Result<()> {
            let libfuzzer_bin = libfuzzer.then(|| builds.fuzz_target(target)).transpose()?;
            let afl_bin = afl_out
                .is_some()
                .then(|| builds.afl_target(target))
                .transpose()?;
            let afl_fuzz = afl_out
                .is_some()
                .then(|| crate::afl::afl_fuzz(&project.root))
                .transpose()?;
            let (start, _) = *started.get_or_init(|| (Instant::now(), now_ms()));
            let run = FuzzRun {
                project,
                bin: libfuzzer_bin
                    .as_deref()
                    .or(afl_bin.as_deref())
                    .expect("a fuzzer"),
                args,
                seeded,
                corpus: &corpus,
                seeds: &seeds,
                artifacts: &artifacts,
                found_dir: &found_dir,
                known_file: known_file.path(),
                target,
                announcer: &announcer,
                stop: &stop,
                afl_status: &afl_status,
                history: &history,
            };
            std::thread::scope(|fuzzers| {
                let afl_side = afl_bin
                    .as_deref()
                    .zip(afl_fuzz.as_deref())
                    .zip(afl_out.clone());
                let afl_thread = afl_side.map(|((bin, afl_fuzz), out)| {
                    let side = afl::AflSide {
                        bin,
                        afl_fuzz,
                        out,
                        findings: &findings_dir,
                        alone: !libfuzzer,
                    };
                    let (run, bar, tx, crash_times, afl_status) =
                        (&run, &bar, &tx, &crash_times, &afl_status);
                    fuzzers.spawn(move || {
                        let done = afl::fuzz(run, &side, bar, start, afl_status, crash_times, tx);
                        // With --stop-on-first, or when AFL++ failed, libFuzzer stops too.
                        if args.stop_on_first || done.is_err() {
                            run.stop.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        done
                    })
                });
                let libfuzzer_done = match libfuzzer_bin.as_deref() {
                    Some(bin) => {
                        let mut times = BTreeMap::new();
                        let done = fuzz_loop(
                            FuzzRun { bin, ..run },
                            &bar,
                            start,
                            &mut status,
                            &mut collector,
                            &mut seen_records,
                            &mut times,
                            &tx,
                        );
                        crash_times
                            .lock()
                            .expect("no panic holds the lock")
                            .extend(times);
                        if args.stop_on_first || done.is_err() {
                            stop.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        done
                    }
                    None => Ok(()),
                };
                let afl_done =
                    afl_thread.map_or(Ok(()), |t| t.join().expect("AFL++'s side does not panic"));
                // What one fuzzer recorded after the other, which reads the records, last looked.
                in_process(&run, start, &mut seen_records, &tx);
                libfuzzer_done.and(afl_done)
            })
        })();
        let fuzzed = started.get().map(|(start, _)| start.elapsed());
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let miri = miri_worker.map(|w| w.join().expect("the Miri worker does not panic"));
        drop(tx);
        bar.finish_and_clear();
        let results = worker.join().expect("the queue does not panic");
        fuzzing?;
        Ok((
            results,
            crash_times.into_inner().expect("no panic held the lock"),
            miri,
            fuzzed,
        ))
    })?;
    let status = combined(
        &status,
        &afl_status.into_inner().expect("no panic held the lock"),
    );
    let (start, start_ms) = *started.get().expect("fuzzing started");
    let wall = start.elapsed();
    let elapsed = fuzzed.unwrap_or(wall);
    let hits = found::read_hits(&found_dir);
    let failures = distinct(results, &hits, &crash_times, start_ms, &accepted);
    if let Err(e) = history.last(elapsed, &status, failures.len()) {
        eprintln!("{target}: the campaign's last sample was not recorded: {e:#}");
    }
    if !ctx.json {
        eprintln!(
            "{}",
            plain_progress(target, &status, failures.len(), start, args.time)
        );
    }
    // The inputs the campaign kept (AFL++'s queue is merged into the corpus by now), and the
    // seeds it started from.
    let mut inputs = vec![corpus.as_path()];
    if !args.no_seeds && seeds.is_dir() {
        inputs.push(&seeds);
    }
    let op_coverage = op_coverage(project, builds, target, &inputs, &accepted, history.path());
    let mut fuzzers = args.fuzzers.clone();
    fuzzers.dedup();
    let campaign = Campaign {
        target: target.to_owned(),
        seeded_bug: seeded.map(str::to_owned),
        fuzzers,
        seconds: elapsed.as_secs_f64(),
        wall_seconds: wall.as_secs_f64(),
        execs: status.execs,
        exec_per_sec: per_second(status.execs, elapsed),
        coverage: status.cov,
        corpus: status.corpus,
        first_failure_secs: failures
            .iter()
            .filter_map(|d| d.first_found_secs)
            .min_by(f64::total_cmp),
        recovered: recovered_count,
        failures,
        miri,
        history: history.path().to_path_buf(),
        op_coverage,
    };
    // What `--json` prints, kept beside the history for `lockstep report`.
    let file = history.path().with_extension("summary.json");
    if let Err(e) = serde_json::to_string_pretty(&campaign)
        .map_err(anyhow::Error::from)
        .and_then(|text| Ok(std::fs::write(&file, text)?))
    {
        eprintln!(
            "{target}: the campaign's summary was not kept in {}: {e:#}",
            file.display()
        );
    }
    Ok(campaign)
}

/// Counts the op coverage of `inputs`, keeps the table beside the campaign's history, and says
/// which variants never did real work.
fn op_coverage(
    project: &Project,
    builds: &Builds<'_>,
    target: &str,
    inputs: &[&Path],
    accepted: &lockstep_store::corpus::Accepted,
    history: &Path,
) -> crate::op_coverage::Checked {
    let counted = crate::op_coverage::count(project, builds, target, inputs).and_then(|coverage| {
        let file = history.with_extension("ops.json");
        std::fs::write(&file, serde_json::to_string_pretty(&coverage)?)
            .with_context(|| format!("writing {}", file.display()))?;
        Ok((coverage, file))
    });
    match counted {
        Ok((coverage, file)) => crate::op_coverage::Checked {
            file: Some(file),
            ..crate::op_coverage::check(&coverage, accepted)
        },
        Err(e) => crate::op_coverage::Checked {
            error: Some(format!("{e:#}")),
            ..Default::default()
        },
    }
}

/// What Miri did beside a campaign.
#[derive(Debug, Default, Serialize)]
struct MiriStats {
    /// Corpus entries replayed to the end under Stacked Borrows.
    stacked_borrows: usize,
    /// Under Tree Borrows.
    tree_borrows: usize,
    /// Seconds spent replaying (building excluded).
    seconds: f64,
    /// Why Miri stopped early, if it did.
    error: Option<String>,
}

impl MiriStats {
    fn per_second(&self) -> f64 {
        (self.stacked_borrows + self.tree_borrows) as f64 / self.seconds.max(0.001)
    }
}

/// Corpus entries replayed under Miri at a time: small enough to follow libFuzzer's new entries
/// closely, large enough to pay one Miri start-up for several.
const MIRI_BATCH: usize = 8;

/// Miri beside a campaign: replays the corpus entries libFuzzer adds (and the seeds), under
/// both aliasing models, those bringing op pairs not replayed yet first, until the campaign
/// ends. Aliasing violations never crash natively: this is how a campaign finds them.
struct MiriBeside<'a> {
    ctx: &'a Ctx,
    target: &'a str,
    seeded: Option<&'a str>,
    /// The directories whose inputs it replays.
    dirs: Vec<PathBuf>,
    /// The one of them that holds the seeds, which Miri replays first.
    seeds: Option<PathBuf>,
    findings: PathBuf,
    /// How long fuzzing runs, from when it starts.
    budget: Duration,
    stop: &'a std::sync::atomic::AtomicBool,
    tx: mpsc::Sender<Queued>,
    announcer: &'a Announcer,
    /// When fuzzing started, once it has.
    started: &'a std::sync::OnceLock<(Instant, u64)>,
}

impl MiriBeside<'_> {
    fn run(self) -> MiriStats {
        crate::process::yield_to_the_fuzzer();
        let mut stats = MiriStats::default();
        if let Err(e) = self.sweep(&mut stats) {
            let message = format!("{e:#}");
            self.announcer
                .say(&format!("{}: Miri stopped: {message}", self.target));
            stats.error = Some(message);
        }
        stats
    }

    fn stopped(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Relaxed)
            || self
                .started
                .get()
                .is_some_and(|(start, _)| start.elapsed() >= self.budget)
    }

    /// When fuzzing ends (a while from now, before it starts).
    fn deadline(&self) -> Instant {
        self.started.get().map_or_else(
            || Instant::now() + self.budget,
            |(start, _)| *start + self.budget,
        )
    }

    fn sweep(&self, stats: &mut MiriStats) -> Result<()> {
        let project = &self.ctx.project;
        let builds = Builds::new(project);
        builds.miri()?;
        // The corpus is only read once libFuzzer runs on it.
        while self.started.get().is_none() {
            if self.stopped() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut seen: HashSet<PathBuf> = HashSet::new();
        let mut pending: Vec<miri_sweep::Decoded> = Vec::new();
        let mut novelty = miri_sweep::Novelty::default();
        while !self.stopped() {
            let new: Vec<PathBuf> = self
                .dirs
                .iter()
                .filter_map(|d| std::fs::read_dir(d).ok())
                .flat_map(|entries| entries.flatten().map(|e| e.path()))
                .filter(|p| p.is_file() && !seen.contains(p))
                .collect();
            seen.extend(new.iter().cloned());
            pending.extend(
                miri_sweep::decode(&builds, self.target, &new)?
                    .into_iter()
                    .map(|mut d| {
                        d.first = self.seeds.as_ref().is_some_and(|s| d.path.starts_with(s));
                        d
                    }),
            );
            let picked = novelty.pick(&mut pending, MIRI_BATCH);
            if picked.is_empty() {
                std::thread::sleep(Duration::from_millis(500));
                continue;
            }
            // libFuzzer replaces corpus entries with smaller ones as it goes, deleting the old
            // file: replay copies, so a failing input is still there to keep.
            let copies = tempfile::Builder::new()
                .prefix(".miri-batch-")
                .tempdir_in(&self.findings)
                .with_context(|| format!("creating a directory in {}", self.findings.display()))?;
            let batch: Vec<PathBuf> = picked
                .iter()
                .filter_map(|p| {
                    let copy = copies.path().join(p.file_name()?);
                    std::fs::copy(p, &copy).ok().map(|_| copy)
                })
                .collect();
            for engine in [Engine::MiriSb, Engine::MiriTb] {
                if self.stopped() {
                    break;
                }
                let began = Instant::now();
                let swept = miri_sweep::replay(
                    project,
                    &builds,
                    engine,
                    self.target,
                    &batch,
                    self.seeded,
                    self.deadline(),
                )?;
                stats.seconds += began.elapsed().as_secs_f64();
                match engine {
                    Engine::MiriSb => stats.stacked_borrows += swept.replayed(),
                    _ => stats.tree_borrows += swept.replayed(),
                }
                for (input, finding) in swept.failed {
                    let name = format!("miri-{engine}-{}", short_name(&input));
                    let dest = self.findings.join(name);
                    if !dest.exists() {
                        std::fs::copy(&input, &dest)
                            .with_context(|| format!("storing {}", dest.display()))?;
                    }
                    let at = self
                        .started
                        .get()
                        .map_or(Duration::ZERO, |(s, _)| s.elapsed());
                    self.announcer.failure(
                        at,
                        &finding.signature(),
                        &format!("{engine}, beside the campaign"),
                    );
                    let _ = self.tx.send(Queued {
                        input: Input::seen(dest, engine, &finding),
                        found_at_ms: Some(now_ms()),
                    });
                }
            }
        }
        Ok(())
    }
}

/// What the fuzzing loop needs to start libFuzzer.
struct FuzzRun<'a> {
    project: &'a Project,
    bin: &'a Path,
    args: &'a Args,
    seeded: Option<&'a str>,
    corpus: &'a Path,
    seeds: &'a Path,
    artifacts: &'a Path,
    found_dir: &'a Path,
    known_file: &'a Path,
    target: &'a str,
    announcer: &'a Announcer,
    /// Set when the campaign stops early (--stop-on-first): every fuzzer ends.
    stop: &'a std::sync::atomic::AtomicBool,
    /// AFL++'s latest status, when it runs beside libFuzzer (the default when it does not).
    afl_status: &'a std::sync::Mutex<Status>,
    /// Where the campaign records its progress.
    history: &'a history::History,
}

/// Runs libFuzzer until the time is up (or, with --stop-on-first, until the first new failure),
/// sending each new failure to the queue the moment it appears.
#[expect(
    clippy::too_many_arguments,
    reason = "the loop's state, owned by the caller"
)]
fn fuzz_loop(
    run: FuzzRun<'_>,
    bar: &ProgressBar,
    start: Instant,
    status: &mut Status,
    collector: &mut Collector,
    seen_records: &mut HashSet<PathBuf>,
    crash_times: &mut BTreeMap<PathBuf, u64>,
    tx: &mpsc::Sender<Queued>,
) -> Result<()> {
    let budget = run.args.time;
    let deadline = start + budget;
    let mut last_plain = Instant::now();
    let mut found_any = false;
    let mut crash_lives: Vec<Duration> = Vec::new();
    let mut crashes = Crashes::default();
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining < Duration::from_secs(1) {
            return Ok(());
        }
        // With one job, fork mode ran at two thirds of the exec/s and found deep bugs later (its
        // jobs restart every few seconds on a sample of the corpus), so a single process runs
        // and the next one starts when it ends; unless crashes come so often that loading the
        // whole corpus at each restart costs more.
        let jobs = run.args.jobs.count(false);
        let fork = if jobs > 1 || crashes_often(&crash_lives) {
            jobs
        } else {
            0
        };
        let began = Instant::now();
        let mut child = spawn(&run, remaining, fork)?;
        let lines = read_lines(&mut child);
        let mut tail: Vec<String> = Vec::new();
        let crashes_before = collector.collected.len();
        crashes.reading = None;
        let exit = loop {
            let ended = match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    status.update(&line);
                    crashes.read(run.project, &line);
                    if let Some(unit) = libfuzzer::written_unit(&line) {
                        collector.adopt(&unit)?;
                    }
                    tail.push(line);
                    if tail.len() > 30 {
                        tail.remove(0);
                    }
                    None
                }
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    Some(child.wait().context("waiting for the fuzzer")?)
                }
            };
            collector.poll()?;
            crashes.take(collector);
            let none_coming = fork > 0 || ended.is_some();
            for (file, finding) in crashes.ready(none_coming, |f| classify_crash(&run, f)) {
                crash_times.insert(file.clone(), now_ms());
                found_any = true;
                let input = match &finding {
                    Some(f) => {
                        run.announcer.failure(
                            start.elapsed(),
                            &f.signature(),
                            "AddressSanitizer, in the fuzzer",
                        );
                        Input::seen(file, Engine::Asan, f)
                    }
                    None => {
                        run.announcer.failure(
                            start.elapsed(),
                            &short_name(&file),
                            "no report to classify it by; replaying it beside the campaign",
                        );
                        crash_input(&file)
                    }
                };
                let _ = tx.send(Queued {
                    input,
                    found_at_ms: Some(now_ms()),
                });
            }
            found_any |= in_process(&run, start, seen_records, tx);
            if run.stop.load(std::sync::atomic::Ordering::Relaxed) && ended.is_none() {
                let _ = child.kill();
            }
            let shown = combined(
                status,
                &run.afl_status.lock().expect("no panic holds the lock"),
            );
            progress(&run, bar, &shown, start, &mut last_plain);
            if let Some(exit) = ended {
                break exit;
            }
        };
        if (found_any && run.args.stop_on_first)
            || run.stop.load(std::sync::atomic::Ordering::Relaxed)
        {
            return Ok(());
        }
        if !exit.success() && collector.collected.len() == crashes_before && !found_any {
            bail!(
                "the fuzzer for {} stopped with {exit} and no finding; its last words:\n{}",
                run.target,
                tail.join("\n")
            );
        }
        // Out of time, or the process ended at a crash: go on while time is left, from the corpus
        // it grew.
        if !exit.success() && fork == 0 {
            crash_lives.push(began.elapsed());
        }
        status.next_process();
    }
}

/// Sends the failures the fuzz targets recorded in-process since last time to the queue;
/// returns whether there were any.
fn in_process(
    run: &FuzzRun<'_>,
    start: Instant,
    seen_records: &mut HashSet<PathBuf>,
    tx: &mpsc::Sender<Queued>,
) -> bool {
    let mut any = false;
    for (json, record) in found::read_found(run.found_dir) {
        if seen_records.insert(json) {
            any = true;
            run.announcer
                .failure(start.elapsed(), &record.signature, "in-process");
            let _ = tx.send(Queued {
                input: Input::Recorded {
                    case: run.found_dir.join(&record.input),
                    engine: Engine::Native,
                    signature: record.signature,
                    severity: record.severity,
                },
                found_at_ms: Some(record.found_at_ms),
            });
        }
    }
    any
}

/// What libFuzzer and AFL++ did together: their executions added up; coverage and corpus are
/// libFuzzer's while it runs (the two count coverage differently), AFL++'s otherwise.
fn combined(libfuzzer: &Status, afl: &Status) -> Status {
    let mut both = if libfuzzer.execs == 0 && libfuzzer.cov == 0 {
        afl.clone()
    } else {
        libfuzzer.clone()
    };
    both.execs = libfuzzer.execs + afl.execs;
    both
}

/// The lines a report may begin with: a sanitizer's, libFuzzer's own (a deadly signal), or the
/// harness's word on a panic that could not unwind (followed by libFuzzer's deadly signal).
fn starts_report(line: &str) -> bool {
    line.starts_with(lockstep::NON_UNWINDING_PREFIX)
        || [
            "ERROR: AddressSanitizer",
            "ERROR: LeakSanitizer",
            "ERROR: libFuzzer",
        ]
        .iter()
        .any(|m| line.contains(m))
}

/// The most of one report kept (a report is a few kilobytes; a stack overflow's is long).
const MAX_REPORT: usize = 256 * 1024;

/// The crash files of one campaign, each classified by the report the fuzzer printed before it
/// wrote the file: the same signature an ASan replay gives, known before any replay binary is
/// built, so a campaign names what it found the moment it finds it, and counts a crash it found
/// before instead of announcing it again.
#[derive(Debug, Default)]
struct Crashes {
    /// The report being read, from its first line to the line naming the file written.
    reading: Option<String>,
    /// What each file's report said, by file name: `None` for one no engine reads (a timeout,
    /// running out of memory), which a replay classifies instead.
    reports: HashMap<OsString, Option<Finding>>,
    /// The collected files not yet handed on.
    pending: Vec<PathBuf>,
    /// How many of the collector's files are in `pending` or handed on.
    taken: usize,
}

impl Crashes {
    /// Reads one line of the fuzzer's output.
    fn read(&mut self, project: &Project, line: &str) {
        if self.reading.is_none() && starts_report(line) {
            self.reading = Some(String::new());
        }
        if let Some(report) = &mut self.reading {
            if report.len() < MAX_REPORT {
                report.push_str(line);
                report.push('\n');
            }
        }
        if let Some(name) =
            libfuzzer::written_unit(line).and_then(|u| u.file_name().map(Into::into))
        {
            let finding = self
                .reading
                .take()
                .and_then(|r| engines::fuzzer_report(project, &r));
            self.reports.insert(name, finding);
        }
    }

    /// Takes in the files the collector copied since last time.
    fn take(&mut self, collector: &Collector) {
        self.pending
            .extend(collector.collected[self.taken..].iter().cloned());
        self.taken = collector.collected.len();
    }

    /// The files whose report has been read, with what it said. Once `none_coming` (fork mode
    /// prints none; a process that ended prints no more), crash files without a report are
    /// run through `classify`, and other files without one (timeouts, out-of-memory) have none.
    fn ready(
        &mut self,
        none_coming: bool,
        classify: impl Fn(&Path) -> Option<Finding>,
    ) -> Vec<(PathBuf, Option<Finding>)> {
        let mut ready = Vec::new();
        for file in std::mem::take(&mut self.pending) {
            let name = file.file_name().map(OsString::from).unwrap_or_default();
            let finding = match self.reports.get(&name) {
                Some(finding) => finding.clone(),
                None if !none_coming => {
                    self.pending.push(file);
                    continue;
                }
                None if name.to_string_lossy().starts_with("crash-") => classify(&file),
                None => None,
            };
            self.reports.insert(name, finding.clone());
            ready.push((file, finding));
        }
        ready
    }
}

/// A finding file: a crash file is replayed with AddressSanitizer, then natively (a crash means
/// the sanitizer fired before any check of the harness failed: a native replay may run on past
/// the bad access and fail later, another way); one Miri found beside a campaign
/// (`miri-miri-sb-...`) under that Miri.
fn crash_input(file: &Path) -> Input {
    let name = short_name(file);
    let quick = [Engine::MiriSb, Engine::MiriTb]
        .into_iter()
        .find(|e| name.starts_with(&format!("miri-{e}-")))
        .map_or_else(|| vec![Engine::Asan, Engine::Native], |e| vec![e]);
    Input::File {
        case: file.to_path_buf(),
        quick,
    }
}

/// The distinct failures of one campaign as they appear (signatures; a file with no report
/// to name it by counts alone), said the moment each first appears, by whichever of the fuzzer
/// and Miri beside it finds it.
struct Announcer {
    seen: std::sync::Mutex<HashSet<String>>,
    bar: ProgressBar,
    json: bool,
    target: String,
}

impl Announcer {
    /// Counts `failure`, seen by `how`, at `at` into the campaign, and says so if it is new.
    fn failure(&self, at: Duration, failure: &str, how: &str) {
        let new = self
            .seen
            .lock()
            .expect("no panic holds the lock")
            .insert(failure.to_owned());
        if new {
            self.say(&format!(
                "{}: {} new failure ({how}): {failure}",
                self.target,
                clock(at)
            ));
        }
    }

    /// Prints a line above the progress bar (nothing with `--json`).
    fn say(&self, line: &str) {
        if self.json {
            return;
        }
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// How many distinct failures there were.
    fn count(&self) -> usize {
        self.seen.lock().expect("no panic holds the lock").len()
    }
}

/// The queue beside the campaign: processes every input it is sent, one at a time, and says
/// what became of each distinct failure as soon as it knows.
fn queue(
    ctx: &Ctx,
    settings: &Settings<'_>,
    rx: mpsc::Receiver<Queued>,
    bar: ProgressBar,
    json: bool,
) -> Vec<(Queued, Result<Processed, String>)> {
    crate::process::yield_to_the_fuzzer();
    let builds = Builds::new(&ctx.project);
    let mut index: Option<CorpusIndex> = None;
    let mut earlier = Vec::new();
    let mut results = Vec::new();
    for queued in rx {
        let case = queued.input.case().to_path_buf();
        let result = (|| -> Result<Processed> {
            let index = match &mut index {
                Some(index) => index,
                None => index.insert(CorpusIndex::load(&ctx.project, &builds, settings)?),
            };
            let p = pipeline::process(
                &ctx.project,
                &builds,
                settings,
                index,
                &queued.input,
                &mut earlier,
            )?;
            pipeline::mark_processed(&case, &p)?;
            Ok(p)
        })()
        .map_err(|e| format!("{e:#}"));
        if result.is_err() {
            // A file that is no case never becomes one: it is reported by this campaign, and
            // not retried by every campaign after it, as a failure to process would be.
            if let Err(refused) = lockstep::case::read(&case) {
                if refused.is_in_the_file() {
                    let _ = pipeline::mark_refused(&case, &refused.to_string());
                }
            }
        }
        if !json {
            if let Some(line) = processed_line(settings.target, &case, &result) {
                if bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    bar.println(line);
                }
            }
        }
        results.push((queued, result));
    }
    results
}

/// What the queue says about a processed input; nothing for a repeat.
fn processed_line(target: &str, case: &Path, result: &Result<Processed, String>) -> Option<String> {
    let p = match result {
        Err(e) => {
            return Some(format!(
                "{target}: could not process {}: {e}",
                short_name(case)
            ));
        }
        Ok(p) if p.repeat => return None,
        Ok(p) if !p.reproduced => {
            return Some(format!("{target}: {} does not reproduce", short_name(case)));
        }
        Ok(p) => p,
    };
    let ops = p
        .ops
        .map_or(String::new(), |(a, b)| format!(", {a} -> {b} ops"));
    Some(format!(
        "{target}: {}{ops}: {}",
        p.signature,
        corpus_cell(p)
    ))
}

/// What became of a processed failure in the corpus.
pub fn corpus_cell(p: &Processed) -> String {
    if let Some(name) = &p.regression {
        return format!("REGRESSION of {name}");
    }
    if !p.reproduced {
        return "does not reproduce".to_owned();
    }
    match &p.stored {
        Some(Stored::New { name }) => format!("stored as {name}"),
        Some(Stored::Duplicate { name }) => format!("already stored as {name}"),
        None if p.known => "accepted".to_owned(),
        None => p.shrunk.as_ref().map_or_else(
            || "not stored".to_owned(),
            |s| format!("not stored: {}", s.display()),
        ),
    }
}

/// The processed inputs grouped into distinct failures, oldest first.
fn distinct(
    results: Vec<(Queued, Result<Processed, String>)>,
    hits: &std::collections::HashMap<String, u64>,
    crash_times: &BTreeMap<PathBuf, u64>,
    start_ms: u64,
    accepted: &Accepted,
) -> Vec<Distinct> {
    let mut out: Vec<Distinct> = Vec::new();
    for (queued, result) in results {
        let first = match (&result, &queued.input) {
            (Ok(p), _) if p.first.is_some() => p.first.clone().expect("checked"),
            (
                _,
                Input::Recorded {
                    engine, signature, ..
                },
            ) => (*engine, signature.clone()),
            (_, Input::File { case, .. }) => {
                (Engine::Native, format!("unprocessed {}", short_name(case)))
            }
        };
        let found_at = queued
            .found_at_ms
            .or_else(|| crash_times.get(queued.input.case()).copied());
        let secs = found_at.map(|at| at.saturating_sub(start_ms) as f64 / 1000.0);
        let hit_count = match (&queued.input, queued.found_at_ms) {
            // A record an earlier campaign left: its hits were that campaign's.
            (Input::Recorded { .. }, None) => 0,
            (Input::Recorded { signature, .. }, Some(_)) => {
                hits.get(signature).copied().unwrap_or(1)
            }
            (Input::File { .. }, _) => 1,
        };
        if let Some(d) = out.iter_mut().find(|d| d.first == first) {
            d.hits += hit_count;
            d.first_found_secs = match (d.first_found_secs, secs) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            continue;
        }
        let (processed, error) = match result {
            Ok(p) if !p.reproduced => (Some(p), None),
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e)),
        };
        let shrunk_trace = processed
            .as_ref()
            .and_then(|p| p.shrunk.as_ref())
            .and_then(|f| std::fs::read_to_string(f).ok());
        out.push(Distinct {
            accepted: accepted.covering(&first.1).map(|a| a.reason.clone()),
            shrunk_trace,
            first,
            first_found_secs: secs,
            hits: hit_count,
            processed,
            error,
        });
    }
    out.sort_by(|a, b| {
        let key = |d: &Distinct| d.first_found_secs.unwrap_or(-1.0);
        key(a).total_cmp(&key(b))
    });
    out
}

/// The record directories of earlier campaigns, oldest first.
fn earlier_campaigns(found_root: &Path, this: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(found_root)
        .with_context(|| format!("reading {}", found_root.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p != this)
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The accepted signatures and classes, in a file the fuzz target reads.
fn write_known(dir: &Path, known: &Known) -> Result<tempfile::NamedTempFile> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = tempfile::Builder::new()
        .prefix(".known-")
        .suffix(".ron")
        .tempfile_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    let record = lockstep::driver::to_record(known).map_err(anyhow::Error::msg)?;
    std::fs::write(file.path(), record)
        .with_context(|| format!("writing {}", file.path().display()))?;
    Ok(file)
}

/// Crash files in the findings directory that no campaign has processed.
fn unprocessed_files(findings_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(findings_dir)
        .with_context(|| format!("reading {}", findings_dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    (libfuzzer::is_finding(n) || n.starts_with("miri-")) && !n.contains('.')
                })
        })
        .collect();
    files.sort();
    Ok(files)
}

/// A campaign whose fuzzing processes end at crashes this often turns to fork mode: each restart
/// of a single process loads the whole corpus again, while fork mode's jobs start on a sample.
const CRASHES_FOR_FORK_MODE: usize = 3;
/// ... when they ran for less than this, on average.
const SHORT_LIFE: Duration = Duration::from_secs(20);

/// Whether fuzzing processes that ended after `lives` (crashes, timeouts, out-of-memory) come
/// so often that fork mode costs less than starting a process on the whole corpus each time.
fn crashes_often(lives: &[Duration]) -> bool {
    lives.len() >= CRASHES_FOR_FORK_MODE
        && lives.iter().sum::<Duration>() / u32::try_from(lives.len()).unwrap_or(u32::MAX)
            < SHORT_LIFE
}

/// The fuzz target, in the environment every run of it has.
fn fuzzer(run: &FuzzRun<'_>) -> Command {
    let mut cmd = Command::new(run.bin);
    cmd.current_dir(&run.project.root);
    // -detect_leaks=0 (below): libFuzzer's leak check after each input would end the process on
    // every input that leaks, when the harness already caught (and recorded, or knows) the leak
    // of the tracked values; a leaking bug in front would then keep the campaign from everything
    // behind it. Leaks of other memory are still found: Miri beside the campaign checks for
    // leaks, and LeakSanitizer does when a finding is triaged.
    // The same for LeakSanitizer's check at exit, which libFuzzer would report as a crash of
    // the empty input (later options win).
    cmd.env(
        "ASAN_OPTIONS",
        match std::env::var("ASAN_OPTIONS") {
            Ok(user) if !user.is_empty() => format!("{user}:detect_leaks=0"),
            _ => "detect_leaks=0".to_owned(),
        },
    );
    match run.seeded {
        Some(id) => cmd.env("LOCKSTEP_SEEDED_BUG", id),
        None => cmd.env_remove("LOCKSTEP_SEEDED_BUG"),
    };
    cmd
}

/// What the fuzz target says of a crash file it wrote, run on that file alone: fork mode prints
/// no more of a job's report than its first line.
fn classify_crash(run: &FuzzRun<'_>, file: &Path) -> Option<Finding> {
    let mut cmd = fuzzer(run);
    cmd.arg(file)
        .env_remove(found::FINDINGS_ENV)
        .env_remove(found::STOP_ENV);
    let done = crate::process::run(&mut cmd, Duration::from_secs(30)).ok()?;
    engines::fuzzer_report(run.project, &done.stderr)
}

fn spawn(run: &FuzzRun<'_>, remaining: Duration, fork: usize) -> Result<Child> {
    let args = run.args;
    let mut cmd = fuzzer(run);
    cmd.arg(format!("-max_total_time={}", remaining.as_secs().max(1)))
        .arg(format!("-artifact_prefix={}/", run.artifacts.display()))
        .arg(format!("-max_len={}", args.max_len))
        // An input that runs this long is a hang: libFuzzer stores it as a timeout finding.
        .arg("-timeout=30")
        .arg("-rss_limit_mb=4096")
        .arg("-print_final_stats=1")
        .arg("-detect_leaks=0");
    if fork > 0 {
        // Fork mode: a sanitizer report, a timeout or an out-of-memory ends one job, and the
        // others go on (with --stop-on-first, the first one ends the campaign).
        cmd.arg(format!("-fork={fork}"));
        if !args.stop_on_first {
            cmd.args(["-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1"]);
        }
    }
    cmd.env(found::FINDINGS_ENV, run.found_dir)
        .env(found::KNOWN_ENV, run.known_file);
    if args.stop_on_first {
        let stop_on: Vec<String> = args.fail_on.iter().map(ToString::to_string).collect();
        cmd.env(found::STOP_ENV, stop_on.join(","));
    } else {
        cmd.env_remove(found::STOP_ENV);
    }
    cmd.arg(run.corpus);
    if run.seeds.is_dir() && !args.no_seeds {
        // Read-only: libFuzzer writes new inputs to the first directory only.
        cmd.arg(run.seeds);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    crate::process::die_with_parent(&mut cmd);
    cmd.spawn()
        .with_context(|| format!("starting {}", run.bin.display()))
}

/// The fuzzer's stderr, a line at a time, through a channel that closes when it exits.
fn read_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr is piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn progress_bar(target: &str, budget: Duration) -> ProgressBar {
    let bar = ProgressBar::new(budget.as_secs().max(1));
    bar.set_style(
        ProgressStyle::with_template("{prefix:>14} {elapsed_precise} [{bar:24}] {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(target.to_owned());
    bar
}

/// Shows `status` on the progress bar or, without one, as a plain line every 30 seconds.
fn progress(
    run: &FuzzRun<'_>,
    bar: &ProgressBar,
    status: &Status,
    start: Instant,
    last_plain: &mut Instant,
) {
    let failures = run.announcer.count();
    run.history.sample(start.elapsed(), status, failures);
    show(bar, status, failures, start, run.args.time);
    if bar.is_hidden() && !run.announcer.json && last_plain.elapsed() >= Duration::from_secs(30) {
        eprintln!(
            "{}",
            plain_progress(run.target, status, failures, start, run.args.time)
        );
        *last_plain = Instant::now();
    }
}

fn show(bar: &ProgressBar, status: &Status, failures: usize, start: Instant, budget: Duration) {
    bar.set_position(start.elapsed().as_secs().min(budget.as_secs()));
    bar.set_message(format!(
        "/{} {} exec/s, cov {}, corpus {}, failures {failures}",
        clock(budget),
        human(rate(status, start)),
        status.cov,
        status.corpus
    ));
}

fn plain_progress(
    target: &str,
    status: &Status,
    failures: usize,
    start: Instant,
    budget: Duration,
) -> String {
    format!(
        "{target}: {}/{} {} execs ({} exec/s), cov {}, corpus {}, failures {failures}",
        clock(start.elapsed().min(budget)),
        clock(budget),
        human(status.execs),
        human(rate(status, start)),
        status.cov,
        status.corpus
    )
}

/// `execs` over `elapsed`, in executions per second.
fn per_second(execs: u64, elapsed: Duration) -> u64 {
    (execs as f64 / elapsed.as_secs_f64().max(0.001)) as u64
}

/// Executions per second since `start`: what libFuzzer reports is its current process's rate,
/// 0 right after a crash restarted it.
fn rate(status: &Status, start: Instant) -> u64 {
    (status.execs as f64 / start.elapsed().as_secs_f64().max(1.0)) as u64
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

fn human(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

fn summary(campaigns: &[Campaign]) -> String {
    let seen = |c: &Campaign, figure: String| {
        // libFuzzer reports nothing before its first status line.
        if c.execs == 0 && c.coverage == 0 {
            "-".to_owned()
        } else {
            figure
        }
    };
    let rows: Vec<Vec<String>> = campaigns
        .iter()
        .map(|c| {
            vec![
                c.target.clone(),
                format!("{:.0}s", c.seconds),
                seen(c, human(c.execs)),
                seen(c, human(c.exec_per_sec)),
                seen(c, c.coverage.to_string()),
                c.failures.len().to_string(),
                c.first_failure_secs
                    .map_or("-".to_owned(), |s| format!("{s:.1}s")),
                c.new_failures().count().to_string(),
            ]
        })
        .collect();
    let mut out = crate::ui::table(
        &[
            "target", "time", "execs", "exec/s", "coverage", "failures", "first", "new",
        ],
        &rows,
    );
    let details: Vec<Vec<String>> = campaigns
        .iter()
        .flat_map(|c| c.failures.iter().map(move |d| (c, d)))
        .map(|(c, d)| {
            let p = d.processed.as_ref();
            vec![
                c.target.clone(),
                p.map_or_else(|| d.first.1.clone(), |p| p.signature.clone()),
                p.map_or("-".to_owned(), |p| p.severity.to_string()),
                d.first_found_secs
                    .map_or("earlier".to_owned(), |s| format!("{s:.1}s")),
                human(d.hits),
                d.first.0.to_string(),
                p.and_then(|p| p.ops)
                    .map_or("-".to_owned(), |(a, b)| format!("{a} -> {b}")),
                match (&d.accepted, p, &d.error) {
                    (Some(reason), _, _) => format!("accepted: {reason}"),
                    (_, _, Some(e)) => format!("error: {e}"),
                    (_, Some(p), _) => corpus_cell(p),
                    (_, None, None) => "-".to_owned(),
                },
            ]
        })
        .collect();
    if !details.is_empty() {
        out.push('\n');
        out.push_str(&crate::ui::table(
            &[
                "target",
                "failure",
                "severity",
                "first found",
                "hits",
                "seen by",
                "ops",
                "corpus",
            ],
            &details,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRASH: &str = "crash-eae751f498a5978bf1b81882799859398f7d2ae1";

    #[test]
    fn a_crash_is_named_by_the_report_the_fuzzer_printed_before_it() {
        let project = Project::fixture();
        let mut crashes = Crashes::default();
        let file = PathBuf::from("/ws/fuzz/findings/raw_buf").join(CRASH);
        // The collector may copy the file before the line naming it is read.
        crashes.pending.push(file.clone());
        assert!(
            crashes.ready(false, |_| unreachable!()).is_empty(),
            "no report yet: it waits"
        );
        for line in include_str!("fixtures/libfuzzer-asan-crash.txt").lines() {
            crashes.read(&project, line);
        }
        assert!(crashes.reading.is_none(), "the report ends at the file");
        let ready = crashes.ready(false, |_| unreachable!());
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].0, file);
        let finding = ready[0].1.as_ref().expect("classified");
        assert_eq!(
            finding.signature(),
            "out-of-bounds at structures/src/raw_buf/drain.rs:150"
        );
        assert!(crashes.pending.is_empty());
    }

    #[test]
    fn without_a_report_only_crash_files_are_run_again() {
        let mut crashes = Crashes::default();
        let dir = PathBuf::from("/ws/fuzz/findings/raw_buf");
        crashes.pending.push(dir.join(CRASH));
        crashes.pending.push(dir.join("timeout-0123"));
        let ran = std::cell::RefCell::new(Vec::new());
        let ready = crashes.ready(true, |f| {
            ran.borrow_mut().push(f.to_path_buf());
            None
        });
        assert_eq!(
            ready.len(),
            2,
            "once none is coming, every file is handed on"
        );
        assert_eq!(*ran.borrow(), vec![dir.join(CRASH)]);
    }

    #[test]
    fn frequent_crashes_turn_to_fork_mode() {
        let secs = Duration::from_secs;
        assert!(!crashes_often(&[secs(1), secs(1)]), "two are not often");
        assert!(crashes_often(&[secs(1), secs(5), secs(9)]));
        assert!(
            !crashes_often(&[secs(1), secs(5), secs(90)]),
            "90 s lives are long"
        );
    }
}
