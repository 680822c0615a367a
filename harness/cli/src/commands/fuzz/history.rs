//! A campaign's history: what it had done at each moment, appended to a small file of its own as
//! it goes (`fuzz/history/<target>/[seeded-<bug>/]campaign-<ms>.jsonl`), so a campaign that is
//! killed keeps everything up to its last second. One JSON object per line: the first says what
//! the campaign is, each after it is a sample, and a campaign that ended normally ends with a
//! sample marked `"last": true`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::libfuzzer::Status;

/// How often a sample is written while the campaign runs.
const EVERY: Duration = Duration::from_secs(1);

/// What a history file's first line says.
#[derive(Debug, Serialize)]
pub struct Header<'a> {
    /// The target.
    pub target: &'a str,
    /// The seeded bugs switched on, if any.
    pub seeded_bug: Option<&'a str>,
    /// The fuzzers that run.
    pub fuzzers: &'a [super::Fuzzer],
    /// Fuzzing processes.
    pub jobs: usize,
    /// The time budget, in seconds.
    pub budget_secs: u64,
    /// When the campaign started, in milliseconds since the Unix epoch.
    pub started_ms: u64,
}

/// One sample.
#[derive(Debug, Serialize)]
struct Sample {
    /// Seconds since fuzzing started.
    t: f64,
    execs: u64,
    /// Executions per second since fuzzing started.
    exec_per_sec: u64,
    coverage: u64,
    corpus: u64,
    /// Distinct failures so far.
    failures: usize,
    /// The campaign's last sample.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    last: bool,
}

/// The history file of one campaign.
#[derive(Debug)]
pub struct History {
    path: PathBuf,
    file: Mutex<(std::fs::File, Option<Instant>)>,
}

impl History {
    /// Creates `dir/campaign-<started_ms>.jsonl` and writes its first line.
    pub fn create(dir: &Path, header: &Header<'_>) -> Result<History> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("campaign-{}.jsonl", header.started_ms));
        let mut file = std::fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        append(&path, &mut file, header)?;
        Ok(History {
            path,
            file: Mutex::new((file, None)),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `status` at `elapsed` into fuzzing, unless a sample was written less than a
    /// second ago. A failure to write loses this sample, never the campaign.
    pub fn sample(&self, elapsed: Duration, status: &Status, failures: usize) {
        let mut guard = self.file.lock().expect("no panic holds the lock");
        if guard.1.is_none_or(|at| at.elapsed() >= EVERY) {
            guard.1 = Some(Instant::now());
            let _ = append(
                &self.path,
                &mut guard.0,
                &sample(elapsed, status, failures, false),
            );
        }
    }

    /// Records the campaign's last sample.
    pub fn last(&self, elapsed: Duration, status: &Status, failures: usize) -> Result<()> {
        let mut guard = self.file.lock().expect("no panic holds the lock");
        append(
            &self.path,
            &mut guard.0,
            &sample(elapsed, status, failures, true),
        )
    }
}

/// Appends `line` to `file` (at `path`) in one write, so a killed campaign leaves whole lines.
fn append(path: &Path, file: &mut std::fs::File, line: &impl Serialize) -> Result<()> {
    let line = format!("{}\n", serde_json::to_string(line)?);
    file.write_all(line.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn sample(elapsed: Duration, status: &Status, failures: usize, last: bool) -> Sample {
    Sample {
        t: (elapsed.as_secs_f64() * 10.0).round() / 10.0,
        execs: status.execs,
        exec_per_sec: super::per_second(status.execs, elapsed),
        coverage: status.cov,
        corpus: status.corpus,
        failures,
        last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_is_whole_lines_a_header_then_samples() {
        let dir = tempfile::tempdir().unwrap();
        let header = Header {
            target: "raw_buf",
            seeded_bug: None,
            fuzzers: &[super::super::Fuzzer::Libfuzzer],
            jobs: 1,
            budget_secs: 60,
            started_ms: 1,
        };
        let history = History::create(dir.path(), &header).unwrap();
        let mut status = Status::default();
        assert!(status.update("#1000\tpulse  cov: 10 ft: 20 corp: 5/80b exec/s: 500 rss: 30Mb"));
        history.sample(Duration::from_secs(2), &status, 0);
        // Within a second of the last: not written.
        history.sample(Duration::from_secs(2), &status, 1);
        history.last(Duration::from_secs(4), &status, 1).unwrap();
        let text = std::fs::read_to_string(history.path()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0]["target"], "raw_buf");
        assert_eq!(lines[1]["execs"], 1000);
        assert_eq!(lines[1]["exec_per_sec"], 500);
        assert_eq!(lines[1]["coverage"], 10);
        assert_eq!(lines[1].get("last"), None);
        assert_eq!(lines[2]["failures"], 1);
        assert_eq!(lines[2]["last"], true);
        assert!(text.ends_with('\n'));
        // A second campaign of the same millisecond never overwrites the first.
        assert!(History::create(dir.path(), &header).is_err());
    }
}
