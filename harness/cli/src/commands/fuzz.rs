//! `lockstep fuzz`: libFuzzer campaigns with a live progress line; what they find is copied out
//! at once, then shrunk, triaged and stored.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use lockstep::SeededBugInfo;
use serde::Serialize;

use super::triage::{EngineArgs, short_name};
use super::{Ctx, status};
use crate::builds::Builds;
use crate::commands::corpus::Stored;
use crate::engines::Engine;
use crate::libfuzzer::{self, Collector, Status};
use crate::pipeline::{self, Processed, Settings};
use crate::project::Project;
use crate::triage;
use crate::ui;

/// Run fuzzing campaigns.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Targets to fuzz (with --seeded-bug, its target by default).
    targets: Vec<String>,
    /// Fuzz every target.
    #[arg(long, conflicts_with = "targets")]
    all: bool,
    /// Time budget per target: 90s, 3m, 1h30m.
    #[arg(long, value_parser = libfuzzer::parse_duration, default_value = "1m", value_name = "DURATION")]
    time: Duration,
    /// Fuzzing processes per target (libFuzzer's -fork); more than one keeps going after a crash.
    #[arg(long, default_value_t = 1, value_name = "N")]
    jobs: usize,
    /// With one job: after a crash, start again until the time is up, to find more.
    #[arg(long)]
    keep_going: bool,
    /// Longest input libFuzzer generates, in bytes.
    #[arg(long, default_value_t = 4096, value_name = "BYTES")]
    max_len: usize,
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
    #[command(flatten)]
    engines: EngineArgs,
}

/// One target's campaign.
#[derive(Debug, Serialize)]
struct Campaign {
    target: String,
    seconds: f64,
    execs: u64,
    exec_per_sec: u64,
    coverage: u64,
    corpus: u64,
    /// Seconds from the start of the campaign to its first crash file.
    first_crash_secs: Option<f64>,
    /// Findings recovered from an earlier, interrupted campaign.
    recovered: usize,
    findings: Vec<Processed>,
}

impl Campaign {
    fn unique(&self) -> Vec<&Processed> {
        self.findings
            .iter()
            .filter(|p| !p.repeat && p.reproduced)
            .collect()
    }

    fn new_findings(&self) -> Vec<&Processed> {
        self.unique().into_iter().filter(|p| !p.known).collect()
    }
}

/// Runs `lockstep fuzz`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    let project = &ctx.project;
    let builds = Builds::new(project);
    let seeded = match &args.engines.seeded_bug {
        Some(id) => Some(ctx.seeded_bug(&builds, id, None)?),
        None => None,
    };
    let targets: Vec<String> = if args.all {
        project.targets.clone()
    } else if !args.targets.is_empty() {
        args.targets.clone()
    } else if let Some(bug) = &seeded {
        vec![bug.target.clone()]
    } else {
        bail!(
            "name the targets to fuzz, or --all; the targets are {}",
            project.targets.join(", ")
        );
    };
    for t in &targets {
        project.check_target(t)?;
        if let Some(bug) = seeded.as_ref().filter(|b| b.target != *t) {
            bail!(
                "seeded bug `{}` lives in target `{}`, not `{t}`",
                bug.id,
                bug.target
            );
        }
    }
    if args.jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    let engines = triage::parse_engines(&args.engines.engines)?;
    let mut campaigns = Vec::new();
    for target in &targets {
        campaigns.push(campaign(
            ctx,
            &builds,
            &args,
            &engines,
            target,
            seeded.as_ref().map(|b| b.id.as_str()),
        )?);
    }
    let found_new = campaigns.iter().any(|c| !c.new_findings().is_empty());
    if ctx.json {
        println!("{}", serde_json::to_string(&campaigns)?);
    } else {
        print!("{}", summary(&campaigns));
        if let Some(bug) = seeded.as_ref().filter(|b| miri_only(b)) {
            if campaigns.iter().all(|c| c.findings.is_empty()) {
                println!(
                    "\nseeded bug {} ({}) is detected only by Miri: this campaign grew the fuzz corpus; now run `lockstep sweep {} --miri --seeded-bug {}`",
                    bug.id, bug.class, bug.target, bug.id
                );
            }
        }
    }
    Ok(status(found_new))
}

/// `figure`, or `-` when libFuzzer reported no status at all.
fn seen(c: &Campaign, figure: String) -> String {
    if c.execs == 0 && c.coverage == 0 {
        "-".to_owned()
    } else {
        figure
    }
}

/// Whether only Miri detects `bug`: a fuzzing campaign will not see it, a sweep will.
fn miri_only(bug: &SeededBugInfo) -> bool {
    bug.detectors.iter().all(|d| d.starts_with("miri"))
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
    let bin = builds.fuzz_target(target, seeded.is_some())?;
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
    libfuzzer::check_corpus_dir(&corpus)?;
    std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
    let (mut collector, recovered) = Collector::new(&artifacts, &findings_dir)?;
    if !recovered.is_empty() && !ctx.json {
        eprintln!(
            "{target}: recovered {} finding(s) an interrupted campaign left in {}",
            recovered.len(),
            artifacts.display()
        );
    }

    let bar = progress_bar(target, args.time);
    let start = Instant::now();
    let deadline = start + args.time;
    let mut status = Status::default();
    let mut last_plain = Instant::now();
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining < Duration::from_secs(1) {
            break;
        }
        let before = collector.collected.len();
        let mut child = spawn(
            project, &bin, args, seeded, &corpus, &seeds, &artifacts, remaining,
        )?;
        let lines = read_lines(&mut child);
        let mut tail: Vec<String> = Vec::new();
        let exit = loop {
            match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    status.update(&line);
                    if let Some(unit) = libfuzzer::written_unit(&line) {
                        collector.adopt(&unit)?;
                    }
                    tail.push(line);
                    if tail.len() > 30 {
                        tail.remove(0);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    break child.wait().context("waiting for the fuzzer")?;
                }
            }
            collector.poll()?;
            show(&bar, &status, collector.collected.len(), start, args.time);
            if bar.is_hidden() && last_plain.elapsed() >= Duration::from_secs(30) {
                eprintln!(
                    "{}",
                    plain_progress(target, &status, collector.collected.len(), start, args.time)
                );
                last_plain = Instant::now();
            }
        };
        collector.poll()?;
        let crashed = collector.collected.len() > before;
        if !crashed && !exit.success() {
            bar.finish_and_clear();
            bail!(
                "the fuzzer for {target} stopped with {exit} and no finding; its last words:\n{}",
                tail.join("\n")
            );
        }
        if !crashed || (args.jobs == 1 && !args.keep_going) {
            break;
        }
    }
    bar.finish_and_clear();
    let elapsed = start.elapsed();
    if !ctx.json {
        eprintln!(
            "{}",
            plain_progress(target, &status, collector.collected.len(), start, args.time)
        );
    }

    let settings = Settings {
        target,
        seeded_bug: seeded,
        quick_engines: &[Engine::Native, Engine::Asan],
        engines,
        limits: args.engines.limits(),
        store: !args.no_store,
        found_by: "lockstep fuzz",
    };
    let mut earlier = Vec::new();
    let mut processed = Vec::new();
    for finding in recovered.iter().chain(&collector.collected) {
        let spinner = ui::spinner(format!("shrinking and triaging {}", short_name(finding)));
        let result = pipeline::process(project, builds, &settings, finding, &mut earlier);
        spinner.finish_and_clear();
        processed.push(result.with_context(|| format!("processing {}", finding.display()))?);
    }
    Ok(Campaign {
        target: target.to_owned(),
        seconds: elapsed.as_secs_f64(),
        execs: status.execs,
        exec_per_sec: (status.execs as f64 / elapsed.as_secs_f64().max(0.001)) as u64,
        coverage: status.cov,
        corpus: status.corpus,
        first_crash_secs: collector
            .first_at
            .map(|at| at.duration_since(start).as_secs_f64()),
        recovered: recovered.len(),
        findings: processed,
    })
}

#[expect(clippy::too_many_arguments, reason = "the fuzzer's whole command line")]
fn spawn(
    project: &Project,
    bin: &Path,
    args: &Args,
    seeded: Option<&str>,
    corpus: &Path,
    seeds: &Path,
    artifacts: &Path,
    remaining: Duration,
) -> Result<Child> {
    let mut cmd = Command::new(bin);
    cmd.current_dir(&project.root)
        .arg(format!("-max_total_time={}", remaining.as_secs().max(1)))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(format!("-max_len={}", args.max_len))
        // An input that runs this long is a hang: libFuzzer stores it as a timeout finding.
        .arg("-timeout=30")
        .arg("-rss_limit_mb=4096")
        .arg("-print_final_stats=1");
    if args.jobs > 1 {
        cmd.arg(format!("-fork={}", args.jobs)).args([
            "-ignore_crashes=1",
            "-ignore_timeouts=1",
            "-ignore_ooms=1",
        ]);
    }
    cmd.arg(corpus);
    if seeds.is_dir() && !args.no_seeds {
        // Read-only: libFuzzer writes new inputs to the first directory only.
        cmd.arg(seeds);
    }
    match seeded {
        Some(id) => cmd.env("LOCKSTEP_SEEDED_BUG", id),
        None => cmd.env_remove("LOCKSTEP_SEEDED_BUG"),
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    die_with_parent(&mut cmd);
    cmd.spawn()
        .with_context(|| format!("starting {}", bin.display()))
}

/// Has the fuzzer killed when `lockstep` dies, however it dies (even by SIGKILL), so no
/// orphaned fuzzer keeps running. What it found is already copied, or recovered next time.
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let hook = || {
        // SAFETY: PR_SET_PDEATHSIG takes a signal number and nothing else.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) } == -1 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the hook runs in the child between fork and exec, where only async-signal-safe
    // functions may be called: it calls only `prctl`, which is one, and allocates nothing.
    unsafe { cmd.pre_exec(hook) };
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

fn show(bar: &ProgressBar, status: &Status, crashes: usize, start: Instant, budget: Duration) {
    bar.set_position(start.elapsed().as_secs().min(budget.as_secs()));
    bar.set_message(format!(
        "/{} {} exec/s, cov {}, corpus {}, crashes {crashes}",
        clock(budget),
        human(status.exec_per_sec),
        status.cov,
        status.corpus
    ));
}

fn plain_progress(
    target: &str,
    status: &Status,
    crashes: usize,
    start: Instant,
    budget: Duration,
) -> String {
    format!(
        "{target}: {}/{} {} execs ({} exec/s), cov {}, corpus {}, crashes {crashes}",
        clock(start.elapsed().min(budget)),
        clock(budget),
        human(status.execs),
        human(status.exec_per_sec),
        status.cov,
        status.corpus
    )
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
    let rows: Vec<Vec<String>> = campaigns
        .iter()
        .map(|c| {
            let unique = c.unique();
            let classes: Vec<&str> = unique.iter().map(|p| p.class()).collect();
            vec![
                c.target.clone(),
                format!("{:.0}s", c.seconds),
                // libFuzzer reports nothing before its first status line: a crash while it
                // loads the corpus ends the campaign with no figures to show.
                seen(c, human(c.execs)),
                seen(c, human(c.exec_per_sec)),
                seen(c, c.coverage.to_string()),
                c.findings.len().to_string(),
                c.first_crash_secs
                    .map_or("-".to_owned(), |s| format!("{s:.1}s")),
                if unique.is_empty() {
                    "0".to_owned()
                } else {
                    format!("{} ({})", unique.len(), classes.join(", "))
                },
                c.new_findings().len().to_string(),
            ]
        })
        .collect();
    let mut out = ui::table(
        &[
            "target",
            "time",
            "execs",
            "exec/s",
            "coverage",
            "crashes",
            "first crash",
            "unique failures",
            "new",
        ],
        &rows,
    );
    let details: Vec<Vec<String>> = campaigns
        .iter()
        .flat_map(|c| c.unique().into_iter().map(move |p| (c, p)))
        .map(|(c, p)| {
            vec![
                c.target.clone(),
                p.signature.clone(),
                p.ops.map_or("-".to_owned(), |(a, b)| format!("{a} -> {b}")),
                match &p.stored {
                    Some(Stored::New { name }) => format!("stored as {name}"),
                    Some(Stored::Duplicate { name }) => format!("already stored as {name}"),
                    None => p
                        .shrunk
                        .as_ref()
                        .map_or_else(String::new, |s| format!("not stored: {}", s.display())),
                },
            ]
        })
        .collect();
    if !details.is_empty() {
        out.push('\n');
        out.push_str(&ui::table(
            &["target", "failure", "ops", "corpus"],
            &details,
        ));
    }
    out
}
