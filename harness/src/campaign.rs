//! The in-process side of a campaign that keeps going.
//!
//! A fuzz target that finds a failure used to abort, so libFuzzer stopped (or restarted, losing
//! its pace) at the first finding, which is usually the shallowest one. When `lockstep fuzz`
//! starts a target it sets [`FINDINGS_ENV`] to a directory; the target then handles each failure
//! the harness sees in-process:
//!
//! * its native signature (class, and the place it was raised or the op that diverged) is
//!   computed;
//! * a signature accepted by the user ([`Known`], read from the file [`KNOWN_ENV`] names) or
//!   already found by this campaign costs nothing more than the execution: the target returns
//!   normally and libFuzzer goes on at full speed;
//! * a new one is written to the directory at once, atomically: the input as
//!   `<hash>.bin` and a [`Found`] record as `<hash>.ron`, where `<hash>` is the signature's.
//!   The record is created only if it does not exist yet, so several fuzzing processes sharing
//!   the directory (libFuzzer's fork mode) keep one record per signature;
//! * every process counts the hits of each signature and rewrites `hits-<pid>.ron` now and
//!   then, so the campaign can say how often each failure was seen.
//!
//! With [`STOP_ENV`] set as well, a new signature ends the process the way a plain fuzz target
//! does (the report on stderr, then an abort), while accepted ones still pass.
//!
//! Failures that end the process (a sanitizer report, a stack overflow) cannot be handled here:
//! the command line runs libFuzzer in fork mode so that they end one job, not the campaign.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::case::checksum;
use crate::driver::{from_record, to_record};
use crate::finding::Severity;
use crate::runner::{Failure, Phase};

/// The directory a keep-going campaign collects new findings in.
pub const FINDINGS_ENV: &str = "LOCKSTEP_FINDINGS";
/// A file of [`Known`] signatures (a [record](crate::driver::to_record)) and classes that pass without being recorded.
pub const KNOWN_ENV: &str = "LOCKSTEP_KNOWN";
/// A comma-separated list of severities (`memory-safety,correctness`): a new failure of one
/// of them ends the process instead of being recorded.
pub const STOP_ENV: &str = "LOCKSTEP_STOP_ON_NEW";

/// What a campaign already knows and lets pass: accepted signatures and classes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Known {
    /// Native signatures (`leak at op Clear`).
    #[serde(default)]
    pub signatures: Vec<String>,
    /// Whole classes (`leak`, `divergence`).
    #[serde(default)]
    pub classes: Vec<String>,
}

impl Known {
    /// Known signatures and classes.
    pub fn new(signatures: Vec<String>, classes: Vec<String>) -> Known {
        Known {
            signatures,
            classes,
        }
    }
}

/// A failure a fuzz target recorded, `<hash>.ron` beside its input `<hash>.bin`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// The target.
    pub target: String,
    /// The native signature: class and frame (`divergence at op Drain`).
    pub signature: String,
    /// The class alone (`divergence`).
    pub class: String,
    /// When in the run it failed.
    pub phase: Phase,
    /// How bad it is.
    pub severity: Severity,
    /// The failure in one line.
    pub summary: String,
    /// The input's file name, beside this record.
    pub input: String,
    /// Milliseconds since the Unix epoch when it was found.
    pub found_at_ms: u64,
}

/// The file names of a signature's record and input in a findings directory.
pub fn file_names(signature: &str) -> (String, String) {
    let hash = &checksum(signature.as_bytes())["fnv1a64:".len()..];
    (format!("{hash}.ron"), format!("{hash}.bin"))
}

/// Reads the records of a findings directory (records being written are skipped; they are
/// complete on a later call). A missing directory has none.
pub fn read_found(dir: &Path) -> Vec<(PathBuf, Found)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, Found)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron") && !is_hits_file(p))
        .filter_map(|p| {
            let record = from_record(&std::fs::read_to_string(&p).ok()?)?;
            Some((p, record))
        })
        .collect();
    found.sort_by_key(|(_, f)| f.found_at_ms);
    found
}

fn is_hits_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("hits-"))
}

/// The hit counts of every process of a campaign, per signature, summed.
pub fn read_hits(dir: &Path) -> HashMap<String, u64> {
    let mut total = HashMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return total;
    };
    for path in entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| is_hits_file(p))
    {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let hits: HashMap<String, u64> = from_record(&text).unwrap_or_default();
        for (signature, n) in hits {
            *total.entry(signature).or_insert(0) += n;
        }
    }
    total
}

/// How often the hit counts are written out.
const FLUSH_EVERY: Duration = Duration::from_millis(500);

struct Sink {
    dir: PathBuf,
    /// The severities whose new failures end the process.
    stop_on: Vec<Severity>,
    /// Accepted and already recorded signatures.
    known: HashSet<String>,
    accepted_classes: HashSet<String>,
    hits: HashMap<String, u64>,
    last_flush: Instant,
    dirty: bool,
}

static SINK: OnceLock<Option<Mutex<Sink>>> = OnceLock::new();

fn sink() -> Option<&'static Mutex<Sink>> {
    SINK.get_or_init(|| {
        let dir = PathBuf::from(std::env::var_os(FINDINGS_ENV)?);
        let known: Known = match std::env::var_os(KNOWN_ENV) {
            Some(path) => std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| from_record(&text))
                .unwrap_or_else(|| {
                    // The command line wrote it a moment ago: a missing or corrupt file means
                    // accepted failures would be reported as new. Say so and stop.
                    eprintln!(
                        "error: {KNOWN_ENV}={}: not a readable list of known signatures",
                        Path::new(&path).display()
                    );
                    std::process::exit(2)
                }),
            None => Known::default(),
        };
        Some(Mutex::new(Sink {
            dir,
            stop_on: std::env::var(STOP_ENV)
                .unwrap_or_default()
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect(),
            known: known.signatures.into_iter().collect(),
            accepted_classes: known.classes.into_iter().collect(),
            hits: HashMap::new(),
            last_flush: Instant::now(),
            dirty: false,
        }))
    })
    .as_ref()
}

/// What the fuzz target does with a failure.
pub(crate) enum Handled {
    /// Return normally: the campaign goes on.
    Continue,
    /// Abort, as a plain fuzz target does.
    Abort,
}

/// Handles a failure the harness saw on `data`, when a keep-going campaign runs this process;
/// `None` when none does (a plain `cargo fuzz run`).
pub(crate) fn handle<Op: std::fmt::Debug>(
    target: &str,
    data: &[u8],
    failure: &Failure<Op>,
) -> Option<Handled> {
    let mut sink = sink()?.lock().unwrap_or_else(PoisonError::into_inner);
    let signature = failure.signature();
    let class = failure.kind.class().to_string();
    *sink.hits.entry(signature.clone()).or_insert(0) += 1;
    sink.dirty = true;
    let handled = if sink.known.contains(&signature) || sink.accepted_classes.contains(&class) {
        Handled::Continue
    } else if sink.stop_on.contains(&failure.severity()) {
        Handled::Abort
    } else {
        let found = Found {
            target: target.to_owned(),
            class,
            phase: failure.phase,
            severity: failure.severity(),
            summary: failure
                .kind
                .to_string()
                .lines()
                .next()
                .unwrap_or("")
                .to_owned(),
            input: String::new(),
            found_at_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            signature: signature.clone(),
        };
        match record(&sink.dir, data, found) {
            Ok(true) => eprintln!(
                "lockstep: {target}: new failure: {signature} (recorded; the campaign goes on)"
            ),
            Ok(false) => {}
            Err(e) => {
                // A finding that cannot be kept must not be lost: end the process, so libFuzzer
                // writes the input as a crash file instead.
                eprintln!(
                    "lockstep: {target}: cannot record a new failure in {}: {e}",
                    sink.dir.display()
                );
                return Some(Handled::Abort);
            }
        }
        sink.known.insert(signature);
        // Write the counts out now, with the new record.
        sink.last_flush = Instant::now()
            .checked_sub(FLUSH_EVERY)
            .unwrap_or_else(Instant::now);
        Handled::Continue
    };
    if sink.last_flush.elapsed() >= FLUSH_EVERY {
        sink.flush_hits();
    }
    Some(handled)
}

impl Sink {
    fn flush_hits(&mut self) {
        if !self.dirty {
            return;
        }
        let path = self.dir.join(format!("hits-{}.ron", std::process::id()));
        if let Ok(line) = to_record(&self.hits) {
            // Best effort: counts are figures for the summary, not findings.
            let _ = write_atomically(&self.dir, &path, line.as_bytes());
        }
        self.last_flush = Instant::now();
        self.dirty = false;
    }
}

/// Writes `data` and its record into `dir`, unless the signature's record exists already;
/// returns whether it was new. The input is in place before the record appears.
fn record(dir: &Path, data: &[u8], mut found: Found) -> std::io::Result<bool> {
    let (record_name, bin_name) = file_names(&found.signature);
    let record_path = dir.join(&record_name);
    if record_path.exists() {
        return Ok(false);
    }
    write_atomically(dir, &dir.join(&bin_name), data)?;
    found.input = bin_name;
    let line = to_record(&found).map_err(std::io::Error::other)?;
    let tmp = temp_file(dir, line.as_bytes())?;
    // A hard link creates the record only if it is absent, with its whole content at once.
    let linked = std::fs::hard_link(tmp.path(), &record_path);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// A temporary file in `dir` holding `data`, removed when dropped.
struct Temp(PathBuf);

impl Temp {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_file(dir: &Path, data: &[u8]) -> std::io::Result<Temp> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = Temp(dir.join(format!(".tmp-{}-{n}", std::process::id())));
    let mut file = std::fs::File::create(tmp.path())?;
    file.write_all(data)?;
    file.sync_all()?;
    Ok(tmp)
}

/// Writes `path` whole or not at all: a temporary file renamed into place.
fn write_atomically(dir: &Path, path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = temp_file(dir, data)?;
    std::fs::rename(tmp.path(), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(signature: &str, at: u64) -> Found {
        Found {
            target: "t".into(),
            signature: signature.into(),
            class: "leak".into(),
            phase: Phase::Step(3),
            severity: Severity::Correctness,
            summary: "leak".into(),
            input: String::new(),
            found_at_ms: at,
        }
    }

    #[cfg_attr(miri, ignore = "writes files")]
    #[test]
    fn a_signature_is_recorded_once_with_its_input() {
        let dir = tempfile::tempdir().unwrap();
        assert!(record(dir.path(), b"first", found("leak at op Clear", 2)).unwrap());
        assert!(!record(dir.path(), b"second", found("leak at op Clear", 3)).unwrap());
        assert!(record(dir.path(), b"other", found("divergence at op Pop", 1)).unwrap());
        let all = read_found(dir.path());
        let sigs: Vec<&str> = all.iter().map(|(_, f)| f.signature.as_str()).collect();
        assert_eq!(
            sigs,
            ["divergence at op Pop", "leak at op Clear"],
            "oldest first"
        );
        let (_, leak) = &all[1];
        assert_eq!(
            std::fs::read(dir.path().join(&leak.input)).unwrap(),
            b"first"
        );
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }

    #[cfg_attr(miri, ignore = "writes files")]
    #[test]
    fn hits_of_every_process_are_summed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hits-1.ron"), r#"{"a": 2, "b": 1}"#).unwrap();
        std::fs::write(dir.path().join("hits-2.ron"), r#"{"a": 5}"#).unwrap();
        let hits = read_hits(dir.path());
        assert_eq!(hits["a"], 7);
        assert_eq!(hits["b"], 1);
        assert!(
            read_found(dir.path()).is_empty(),
            "hit files are not records"
        );
    }
}
