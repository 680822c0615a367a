//! The AFL++ side of a campaign: `afl-fuzz` on the target cargo-afl built, for the time budget,
//! its crash and hang files collected the moment they appear and sent to the same queue as
//! libFuzzer's, its failures the harness sees handled in-process exactly as under libFuzzer.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{FuzzRun, Queued, crash_input, now_ms};
use crate::engines::{self, Engine, Finding};
use crate::libfuzzer::{Collector, Naming, Status};
use crate::pipeline::Input;

/// The name of the AFL++ instance (`-M`), and so of its folder in the output directory.
pub(super) const INSTANCE: &str = "main";

/// What the AFL++ side needs beyond what libFuzzer's does.
pub(super) struct AflSide<'a> {
    /// The target built by cargo-afl.
    pub bin: &'a Path,
    /// `afl-fuzz`.
    pub afl_fuzz: &'a Path,
    /// This campaign's output directory (`fuzz/afl/<target>/campaign-<ms>`).
    pub out: PathBuf,
    /// Where crash and hang files are copied.
    pub findings: &'a Path,
    /// Whether this side reads the in-process records and shows progress (libFuzzer's side
    /// does when it runs too).
    pub alone: bool,
}

/// The output directories earlier campaigns left (killed before they cleaned up): their
/// findings are collected and their queues taken into the corpus before they are removed.
pub(super) fn recover(root: &Path, findings: &Path, corpus: &Path) -> Result<Vec<PathBuf>> {
    let mut recovered = Vec::new();
    for out in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let out = out.path();
        if !out.is_dir() {
            continue;
        }
        let instance = out.join(INSTANCE);
        for (dir, naming) in dirs(&instance) {
            if dir.is_dir() {
                recovered.extend(Collector::with_naming(&dir, findings, naming)?.1);
            }
        }
        keep_queue(&instance, corpus)?;
        std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
    }
    Ok(recovered)
}

fn dirs(instance: &Path) -> [(PathBuf, Naming); 2] {
    [
        (instance.join("crashes"), Naming::Afl("crash-afl-")),
        (instance.join("hangs"), Naming::Afl("timeout-afl-")),
    ]
}

/// Copies AFL++'s queue into the corpus, so the next campaign (of either fuzzer) starts from
/// what it found.
fn keep_queue(instance: &Path, corpus: &Path) -> Result<()> {
    for entry in std::fs::read_dir(instance.join("queue"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("id:") {
            continue;
        }
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        let sum = lockstep::case::checksum(&bytes);
        let dest = corpus.join(format!("afl-{}", sum.rsplit(':').next().unwrap_or(&sum)));
        if !dest.exists() {
            std::fs::write(&dest, &bytes).with_context(|| format!("writing {}", dest.display()))?;
        }
    }
    Ok(())
}

/// The inputs AFL++ starts from: the corpus and the seeds (unless --no-seeds), linked or copied
/// into one directory, or a single byte when there are none (AFL++ needs one input).
fn inputs(run: &FuzzRun<'_>, dir: &Path) -> Result<()> {
    let mut sources = vec![run.corpus];
    if run.seeds.is_dir() && !run.args.no_seeds {
        sources.push(run.seeds);
    }
    let mut any = false;
    for (i, source) in sources.iter().enumerate() {
        for entry in std::fs::read_dir(source).into_iter().flatten().flatten() {
            let path = entry.path();
            if !path.is_file() || std::fs::metadata(&path).map_or(0, |m| m.len()) == 0 {
                continue;
            }
            let dest = dir.join(format!("{i}-{}", entry.file_name().to_string_lossy()));
            if std::fs::hard_link(&path, &dest).is_err() {
                std::fs::copy(&path, &dest)
                    .with_context(|| format!("copying {}", path.display()))?;
            }
            any = true;
        }
    }
    if !any {
        std::fs::write(dir.join("empty"), b"\0").context("writing AFL++'s first input")?;
    }
    Ok(())
}

/// Runs AFL++ until the time is up (or the campaign stops), sending each crash and hang to the
/// queue the moment it appears.
pub(super) fn fuzz(
    run: &FuzzRun<'_>,
    afl: &AflSide<'_>,
    bar: &indicatif::ProgressBar,
    start: Instant,
    status: &std::sync::Mutex<Status>,
    crash_times: &std::sync::Mutex<std::collections::BTreeMap<PathBuf, u64>>,
    tx: &std::sync::mpsc::Sender<Queued>,
) -> Result<()> {
    let deadline = start + run.args.time;
    let input = afl.out.with_extension("in");
    for dir in [&input, &afl.out] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    inputs(run, &input)?;
    let log_path = afl.out.join("afl-fuzz.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let mut cmd = Command::new(afl.afl_fuzz);
    cmd.current_dir(&run.project.root)
        .arg("-i")
        .arg(&input)
        .arg("-o")
        .arg(&afl.out)
        .args(["-M", INSTANCE, "-m", "none"])
        // As libFuzzer's -timeout=30: an input that runs this long is a hang.
        .args(["-t", "30000"])
        .arg("-G")
        .arg(run.args.max_len.to_string())
        .arg("-V")
        .arg(run.args.time.as_secs().max(1).to_string());
    if !afl.alone {
        // libFuzzer's new inputs, as AFL++ imports another fuzzer's queue.
        cmd.arg("-F").arg(run.corpus);
    }
    cmd.arg("--").arg(afl.bin);
    cmd.env("AFL_NO_UI", "1")
        .env("AFL_SKIP_CPUFREQ", "1")
        .env("AFL_NO_AFFINITY", "1")
        .env("AFL_FAST_CAL", "1")
        // An input of the corpus that crashes (a known bug) must not stop AFL++ from starting.
        .env("AFL_SKIP_CRASHES", "1")
        // Findings are collected from the output directory, not from core dumps.
        .env("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1")
        // AFL++ requires these two; leaks of tracked values are the harness's to find, as
        // under libFuzzer (see `fuzzer`).
        .env(
            "ASAN_OPTIONS",
            "abort_on_error=1:symbolize=0:detect_leaks=0:detect_stack_use_after_return=0:\
             detect_odr_violation=0",
        )
        .env(lockstep::campaign::FINDINGS_ENV, run.found_dir)
        .env(lockstep::campaign::KNOWN_ENV, run.known_file);
    if run.args.stop_on_first {
        let stop_on: Vec<String> = run.args.fail_on.iter().map(ToString::to_string).collect();
        cmd.env(lockstep::campaign::STOP_ENV, stop_on.join(","));
    } else {
        cmd.env_remove(lockstep::campaign::STOP_ENV);
    }
    match run.seeded {
        Some(id) => cmd.env("LOCKSTEP_SEEDED_BUG", id),
        None => cmd.env_remove("LOCKSTEP_SEEDED_BUG"),
    };
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone().context("the AFL++ log")?)
        .stderr(log);
    crate::process::die_with_parent(&mut cmd);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", afl.afl_fuzz.display()))?;
    let instance = afl.out.join(INSTANCE);
    let mut collectors: Vec<(PathBuf, Naming, Option<Collector>, usize)> = dirs(&instance)
        .into_iter()
        .map(|(dir, naming)| (dir, naming, None, 0))
        .collect();
    let mut seen_records = std::collections::HashSet::new();
    let mut found_any = false;
    let mut last_plain = Instant::now();
    let mut stopped_at: Option<Instant> = None;
    let exit = loop {
        let exited = child.try_wait().context("waiting for afl-fuzz")?;
        let stopping = run.stop.load(Ordering::Relaxed)
            || Instant::now() >= deadline
            || (found_any && run.args.stop_on_first);
        if exited.is_none() && stopping {
            match stopped_at {
                // Asked to stop, AFL++ writes its final stats (its -V counts fuzzing time
                // only, so it may still be calibrating when the budget is spent).
                None => {
                    if let Ok(pid) = i32::try_from(child.id()) {
                        // SAFETY: `kill` takes plain integers; `pid` is our child's, not yet
                        // reaped (try_wait above found it running), so it names no other process.
                        unsafe { libc::kill(pid, libc::SIGTERM) };
                    }
                    stopped_at = Some(Instant::now());
                }
                Some(at) if at.elapsed() > Duration::from_secs(5) => {
                    let _ = child.kill();
                }
                Some(_) => {}
            }
        }
        for (dir, naming, collector, taken) in &mut collectors {
            if collector.is_none() && dir.is_dir() {
                *collector = Some(Collector::with_naming(dir, afl.findings, *naming)?.0);
            }
            let Some(collector) = collector else { continue };
            collector.poll()?;
            for file in collector.collected[*taken..].iter().cloned() {
                found_any = true;
                crash_times
                    .lock()
                    .expect("no panic holds the lock")
                    .insert(file.clone(), now_ms());
                let finding = classify(run, afl, &file);
                let input = match &finding {
                    Some(f) => {
                        run.announcer.failure(
                            start.elapsed(),
                            &f.signature(),
                            "AddressSanitizer, in AFL++",
                        );
                        Input::seen(file, Engine::Asan, f)
                    }
                    None => {
                        run.announcer.failure(
                            start.elapsed(),
                            &super::short_name(&file),
                            "AFL++; no report to classify it by, replaying it beside the campaign",
                        );
                        crash_input(&file)
                    }
                };
                let _ = tx.send(Queued {
                    input,
                    found_at_ms: Some(now_ms()),
                });
            }
            *taken = collector.collected.len();
        }
        if let Some(stats) = crate::afl::read_stats(&instance) {
            *status.lock().expect("no panic holds the lock") = stats;
        }
        if afl.alone {
            found_any |= super::in_process(run, start, &mut seen_records, tx);
            let status = status.lock().expect("no panic holds the lock").clone();
            super::progress(run, bar, &status, start, &mut last_plain);
        }
        if let Some(exit) = exited {
            break exit;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    keep_queue(&instance, run.corpus)?;
    if !exit.success() && stopped_at.is_none() && !found_any {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "afl-fuzz for {} stopped with {exit}; its last words ({}):\n{}",
            run.target,
            log_path.display(),
            tail.join("\n")
        );
    }
    let _ = std::fs::remove_dir_all(&input);
    let _ = std::fs::remove_dir_all(&afl.out);
    Ok(())
}

/// What the AFL++ target says of a crash file, run on it alone (it reads the input from
/// standard input outside afl-fuzz): the report AddressSanitizer or the harness printed.
fn classify(run: &FuzzRun<'_>, afl: &AflSide<'_>, file: &Path) -> Option<Finding> {
    let input = std::fs::File::open(file).ok()?;
    let mut cmd = Command::new(afl.bin);
    cmd.current_dir(&run.project.root)
        .stdin(input)
        .env(
            "ASAN_OPTIONS",
            "detect_leaks=0:detect_stack_use_after_return=0",
        )
        .env_remove(lockstep::campaign::FINDINGS_ENV)
        .env_remove(lockstep::campaign::STOP_ENV);
    match run.seeded {
        Some(id) => cmd.env("LOCKSTEP_SEEDED_BUG", id),
        None => cmd.env_remove("LOCKSTEP_SEEDED_BUG"),
    };
    let done = crate::process::run_with_stdin(&mut cmd, Duration::from_secs(30)).ok()?;
    engines::fuzzer_report(run.project, &done.stderr)
}
