//! Running a libFuzzer binary: its status lines, and the crash files it writes.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// What libFuzzer's latest status line said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Inputs executed, by every process of the campaign so far.
    pub execs: u64,
    /// Inputs executed by the processes that ended.
    earlier: u64,
    /// Coverage (edges).
    pub cov: u64,
    /// Inputs in the corpus.
    pub corpus: u64,
    /// Executions per second, as libFuzzer reports them.
    pub exec_per_sec: u64,
}

impl Status {
    /// Updates from one line of libFuzzer's output; returns whether it was a status line.
    ///
    /// Normal mode: `#131072 pulse  cov: 1601 ft: 4662 corp: 399/7828b lim: 38 exec/s: 6036 ...`
    /// Fork mode:   `#12345: cov: 1601 ft: 4662 corp: 399 exec/s: 6036 oom/timeout/crash: 0/0/1 ...`
    pub fn update(&mut self, line: &str) -> bool {
        let Some(rest) = line.strip_prefix('#') else {
            return false;
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Ok(execs) = digits.parse::<u64>() else {
            return false;
        };
        if !line.contains("cov:") {
            return false;
        }
        self.execs = self.earlier + execs;
        let mut words = line.split_whitespace().peekable();
        while let Some(word) = words.next() {
            let value = words
                .peek()
                .map(|w| w.split('/').next().unwrap_or(w))
                .and_then(|w| w.parse::<u64>().ok());
            match (word, value) {
                ("cov:", Some(v)) => self.cov = v,
                ("corp:", Some(v)) => self.corpus = v,
                ("exec/s:" | "exec/s", Some(v)) => self.exec_per_sec = v,
                _ => {}
            }
        }
        true
    }

    /// Starts counting a new libFuzzer process, whose status lines count from zero.
    pub fn next_process(&mut self) {
        self.earlier = self.execs;
    }
}

/// The SHA-1 of no bytes: how libFuzzer names the empty input's files (`crash-<sha1>`).
pub const EMPTY_SHA1: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

/// The longest duration accepted: a week. Longer campaigns are better run as several.
pub const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Parses durations like `90s`, `3m`, `1h30m`, `2h` (a bare number is seconds): more than zero
/// and at most [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let shape = || format!("`{text}`: durations look like 90s, 3m or 1h30m");
    let too_long = || format!("`{text}` is longer than a week, the longest duration accepted");
    let mut total = 0u64;
    let mut number = String::new();
    let mut units = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(shape()),
        };
        let n: u64 = match number.parse() {
            Ok(n) => n,
            Err(_) if number.is_empty() => {
                return Err(format!("`{text}`: a number must come before `{c}`"));
            }
            Err(_) => return Err(too_long()),
        };
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(too_long)?;
        number.clear();
        units += 1;
    }
    if !number.is_empty() {
        if units > 0 {
            return Err(shape());
        }
        // A bare number: seconds.
        total = number.parse().map_err(|_| too_long())?;
    }
    if text.is_empty() {
        return Err(shape());
    }
    if total == 0 {
        return Err(format!("`{text}`: a duration must be more than zero"));
    }
    let duration = Duration::from_secs(total);
    if duration > MAX_DURATION {
        return Err(too_long());
    }
    Ok(duration)
}

/// Whether a file name is one libFuzzer writes for a finding.
pub fn is_finding(name: &str) -> bool {
    ["crash-", "leak-", "timeout-", "oom-", "slow-unit-"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Copies a fuzzer's finding files out of the directory it writes them to into a findings
/// directory the moment they appear, so a campaign killed at any point loses nothing it found.
#[derive(Debug)]
pub struct Collector {
    artifacts: PathBuf,
    findings: PathBuf,
    naming: Naming,
    seen: BTreeSet<String>,
    /// The findings copied, in the order they appeared.
    pub collected: Vec<PathBuf>,
    /// When the first of `collected` was taken in.
    pub first_at: Option<Instant>,
}

/// Which files of a directory are findings, and what their copies are called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// libFuzzer's artifacts (`crash-<sha1>`, `timeout-...`): copied under their own names.
    LibFuzzer,
    /// AFL++'s `crashes/` or `hangs/` (`id:000000,sig:06,...`): every file but its README,
    /// copied as `<prefix><checksum>` (`crash-afl-...`), so the same input is one finding.
    Afl(&'static str),
}

impl Naming {
    fn copy_name(self, name: &str, bytes: &[u8]) -> String {
        match self {
            Naming::LibFuzzer => name.to_owned(),
            Naming::Afl(prefix) => {
                let sum = lockstep::case::checksum(bytes);
                format!("{prefix}{}", sum.rsplit(':').next().unwrap_or(&sum))
            }
        }
    }

    fn is_finding(self, name: &str) -> bool {
        match self {
            Naming::LibFuzzer => is_finding(name),
            Naming::Afl(_) => name.starts_with("id:"),
        }
    }
}

impl Collector {
    /// Watches libFuzzer's `artifacts`, copying into `findings`. Findings already in the
    /// artifact directory (from a campaign that was killed before it could copy them) are
    /// recovered now.
    pub fn new(artifacts: &Path, findings: &Path) -> Result<(Collector, Vec<PathBuf>)> {
        Self::with_naming(artifacts, findings, Naming::LibFuzzer)
    }

    /// Watches `dir`, whose findings are named as `naming` says, copying into `findings`;
    /// what is there already is recovered now.
    pub fn with_naming(
        dir: &Path,
        findings: &Path,
        naming: Naming,
    ) -> Result<(Collector, Vec<PathBuf>)> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::create_dir_all(findings)
            .with_context(|| format!("creating {}", findings.display()))?;
        let mut collector = Collector {
            artifacts: dir.to_path_buf(),
            findings: findings.to_path_buf(),
            naming,
            seen: BTreeSet::new(),
            collected: Vec::new(),
            first_at: None,
        };
        collector.poll()?;
        let recovered = std::mem::take(&mut collector.collected);
        collector.first_at = None;
        Ok((collector, recovered))
    }

    /// Copies any new finding; returns how many there were.
    pub fn poll(&mut self) -> Result<usize> {
        let naming = self.naming;
        let mut names: Vec<String> = std::fs::read_dir(&self.artifacts)
            .with_context(|| format!("reading {}", self.artifacts.display()))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| naming.is_finding(n) && !self.seen.contains(n))
            .collect();
        names.sort();
        let mut new = 0;
        for name in names {
            let bytes = std::fs::read(self.artifacts.join(&name))
                .with_context(|| format!("reading {name}"))?;
            // The fuzzer may still be writing it: an empty read is retried on the next poll,
            // unless the file is named for the empty input (libFuzzer names a file by the SHA-1
            // of its bytes), a finding of its own.
            if bytes.is_empty() && !name.ends_with(EMPTY_SHA1) {
                continue;
            }
            let dest = self.findings.join(naming.copy_name(&name, &bytes));
            if !dest.exists() {
                copy_durably(&bytes, &dest)?;
                self.record(dest);
                new += 1;
            }
            self.seen.insert(name);
        }
        Ok(new)
    }

    /// Takes in a finding libFuzzer says it wrote (see [`written_unit`]), even one found before
    /// whose copy already exists: it is a finding of this campaign all the same.
    pub fn adopt(&mut self, artifact: &Path) -> Result<()> {
        self.poll()?;
        let Some(name) = artifact.file_name() else {
            return Ok(());
        };
        let dest = self.findings.join(name);
        if !dest.exists() {
            copy_durably(
                &std::fs::read(artifact)
                    .with_context(|| format!("reading {}", artifact.display()))?,
                &dest,
            )?;
        }
        self.record(dest);
        Ok(())
    }

    /// Counts `dest` as a finding of this campaign, once.
    fn record(&mut self, dest: PathBuf) {
        if !self.collected.contains(&dest) {
            self.first_at.get_or_insert_with(Instant::now);
            self.collected.push(dest);
        }
    }
}

/// The file named by libFuzzer's `... Test unit written to PATH` line, if `line` is one.
pub fn written_unit(line: &str) -> Option<PathBuf> {
    let path = line.split("Test unit written to ").nth(1)?.trim();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// Writes `bytes` to `dest` through a temporary file, synced and renamed into place, so the copy
/// is whole or absent whenever the process dies.
fn copy_durably(bytes: &[u8], dest: &Path) -> Result<()> {
    let dir = dest.parent().context("a findings file has a directory")?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    tmp.write_all(bytes).context("writing a finding")?;
    tmp.as_file().sync_all().context("syncing a finding")?;
    tmp.persist(dest)
        .with_context(|| format!("storing {}", dest.display()))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))?;
    Ok(())
}

/// Fails when `dir` is not a directory libFuzzer can read inputs from.
pub fn check_corpus_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_of_both_modes() {
        let mut s = Status::default();
        assert!(s.update(
            "#131072\tpulse  cov: 1601 ft: 4662 corp: 399/7828b lim: 38 exec/s: 6036 rss: 529Mb"
        ));
        assert_eq!(
            s,
            Status {
                execs: 131_072,
                earlier: 0,
                cov: 1601,
                corpus: 399,
                exec_per_sec: 6036
            }
        );
        assert!(s.update("#245: cov: 1700 ft: 5000 corp: 420 exec/s: 7000 oom/timeout/crash: 0/0/1 time: 12s job: 3"));
        assert_eq!(
            s,
            Status {
                execs: 245,
                earlier: 0,
                cov: 1700,
                corpus: 420,
                exec_per_sec: 7000
            }
        );
        assert!(!s.update("INFO: Seed: 12345"));
        assert!(!s.update("#1 but no coverage"));
        // The next process counts from zero; the campaign's count goes on.
        s.next_process();
        assert!(s.update("#10	pulse  cov: 1700 ft: 5000 corp: 420/9000b exec/s: 10 rss: 30Mb"));
        assert_eq!(s.execs, 255);
    }

    #[test]
    fn written_units_are_read_from_libfuzzer_output() {
        let line = "artifact_prefix='/a/'; Test unit written to /a/crash-052f4b35";
        assert_eq!(written_unit(line), Some(PathBuf::from("/a/crash-052f4b35")));
        assert_eq!(written_unit("#12 NEW cov: 3"), None);
    }

    /// A scratch directory whose `artifacts/` holds `crash-1`, and a `findings/` path beside it.
    fn one_crash_in_artifacts() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (artifacts, findings) = (dir.path().join("artifacts"), dir.path().join("findings"));
        std::fs::create_dir_all(&artifacts).unwrap();
        std::fs::write(artifacts.join("crash-1"), b"one").unwrap();
        (dir, artifacts, findings)
    }

    #[test]
    fn a_finding_found_again_is_adopted() {
        let (_dir, artifacts, findings) = one_crash_in_artifacts();
        let (mut c, recovered) = Collector::new(&artifacts, &findings).unwrap();
        assert_eq!(recovered.len(), 1);
        // The same input crashes again: same name, nothing new in the directory.
        assert_eq!(c.poll().unwrap(), 0);
        c.adopt(&artifacts.join("crash-1")).unwrap();
        c.adopt(&artifacts.join("crash-1")).unwrap();
        assert_eq!(c.collected, [findings.join("crash-1")]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("3m"), Ok(Duration::from_secs(180)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("3x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5m3").is_err());
        assert!(parse_duration("").is_err());
    }

    /// `--time 0` fuzzed nothing and exited 0; `--time 18446744073709551615` panicked when the
    /// deadline overflowed; a huge hour count wrapped around to a short campaign.
    #[test]
    fn zero_and_overflowing_durations_are_refused() {
        assert!(parse_duration("0").unwrap_err().contains("more than zero"));
        assert!(
            parse_duration("18446744073709551615")
                .unwrap_err()
                .contains("longer than a week")
        );
        assert!(
            parse_duration("5124095576030432h")
                .unwrap_err()
                .contains("longer than a week")
        );
        assert!(
            parse_duration("99999999999999999999s")
                .unwrap_err()
                .contains("longer than a week")
        );
        assert!(parse_duration("169h").is_err());
        assert_eq!(parse_duration("168h"), Ok(MAX_DURATION));
    }

    #[test]
    fn the_empty_inputs_crash_file_is_copied_though_empty() {
        let (_dir, artifacts, findings) = one_crash_in_artifacts();
        let (mut c, _) = Collector::new(&artifacts, &findings).unwrap();
        std::fs::write(artifacts.join(format!("crash-{EMPTY_SHA1}")), b"").unwrap();
        assert_eq!(c.poll().unwrap(), 1);
        assert!(findings.join(format!("crash-{EMPTY_SHA1}")).exists());
    }

    #[test]
    fn findings_are_copied_once_and_recovered_after_a_kill() {
        let (_dir, artifacts, findings) = one_crash_in_artifacts();
        std::fs::write(artifacts.join("fuzz-0.log"), b"not a finding").unwrap();
        let (mut c, recovered) = Collector::new(&artifacts, &findings).unwrap();
        assert_eq!(recovered, [findings.join("crash-1")]);
        std::fs::write(artifacts.join("leak-2"), b"two").unwrap();
        std::fs::write(artifacts.join("crash-3"), b"").unwrap();
        assert_eq!(
            c.poll().unwrap(),
            1,
            "the empty file is still being written"
        );
        std::fs::write(artifacts.join("crash-3"), b"three").unwrap();
        assert_eq!(c.poll().unwrap(), 1);
        assert_eq!(c.poll().unwrap(), 0);
        assert_eq!(std::fs::read(findings.join("leak-2")).unwrap(), b"two");
        assert!(!findings.join("fuzz-0.log").exists());
        let (_, again) = Collector::new(&artifacts, &findings).unwrap();
        assert!(again.is_empty(), "already copied: nothing to recover");
    }

    #[test]
    fn afl_findings_are_named_by_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (crashes, findings) = (dir.path().join("crashes"), dir.path().join("findings"));
        std::fs::create_dir_all(&crashes).unwrap();
        std::fs::write(crashes.join("README.txt"), b"AFL's notes").unwrap();
        std::fs::write(crashes.join("id:000000,sig:06,src:000001,op:havoc"), b"one").unwrap();
        let naming = Naming::Afl("crash-afl-");
        let (mut c, recovered) = Collector::with_naming(&crashes, &findings, naming).unwrap();
        assert_eq!(recovered.len(), 1);
        let name = recovered[0]
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            name.starts_with("crash-afl-") && !name.contains([':', ',', '.']),
            "{name}"
        );
        assert!(
            is_finding(&name),
            "the campaign's recovery must see it: {name}"
        );
        // The same bytes again, under AFL's next id: the same finding, not copied twice.
        std::fs::write(crashes.join("id:000001,sig:06,src:000002,op:havoc"), b"one").unwrap();
        assert_eq!(c.poll().unwrap(), 0);
        std::fs::write(crashes.join("id:000002,sig:11,src:000002,op:havoc"), b"two").unwrap();
        assert_eq!(c.poll().unwrap(), 1);
    }
}
