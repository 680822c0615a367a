//! Campaigns that keep going, run for real on the seeded bug `raw_buf-drain-inclusive` (a
//! divergence every engine sees, stored in the corpus): a failure found again is "already
//! stored" and exits 0; one stored as fixed that fails again is a regression and exits 1; a
//! finding an interrupted campaign left unprocessed is processed by the next one; and
//! `--stop-on-first` stops at the first failure. One test, run in order: the steps share the
//! seeded campaign's directories.

mod common;

use common::{report, workspace};

use std::process::{Command, Output};

const BUG: &str = "raw_buf-drain-inclusive";
const CASE: &str = "raw_buf-drain-inclusive-7531903d";

fn fuzz(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(workspace())
        .args(["--color", "never", "fuzz", "raw_buf", "--seeded-bug", BUG])
        .args(["--fresh", "--no-store", "--no-miri", "--engines", "native"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn campaigns_keep_going_know_the_corpus_and_lose_nothing() {
    let findings = workspace().join(format!("fuzz/findings/raw_buf/seeded-{BUG}"));
    std::fs::create_dir_all(&findings).unwrap();

    // A crash file an interrupted campaign copied but never processed.
    let left = findings.join("crash-left-by-a-killed-campaign");
    let marker = findings.join("crash-left-by-a-killed-campaign.processed.json");
    let _ = std::fs::remove_file(&marker);
    std::fs::copy(
        workspace().join(format!("corpora/raw_buf/regressions/{CASE}.trace")),
        &left,
    )
    .unwrap();
    // And an empty one (the empty input, as libFuzzer names it): no ops, which pass here, so it
    // does not reproduce; processed once, then never retried.
    let empty = findings.join("crash-da39a3ee5e6b4b0d3255bfef95601890afd80709");
    let empty_marker =
        findings.join("crash-da39a3ee5e6b4b0d3255bfef95601890afd80709.processed.json");
    let _ = std::fs::remove_file(&empty_marker);
    std::fs::write(&empty, b"").unwrap();

    // Found again: already stored, exit 0 (a keep-going campaign used to exit 2 here).
    let output = fuzz(&["--time", "6s"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{}", report(&output));
    assert!(
        stdout.contains(&format!("already stored as {CASE}")),
        "{}",
        report(&output)
    );
    assert!(
        stderr.contains("processing 2 finding(s) an interrupted campaign left"),
        "{}",
        report(&output)
    );
    assert!(marker.exists(), "the recovered crash was not processed");
    assert!(
        stderr.contains("crash-da39a3ee5e6b4b0d3255bfef95601890afd80709 does not reproduce"),
        "{}",
        report(&output)
    );
    assert!(
        empty_marker.exists(),
        "the empty file is tried again next time"
    );
    let _ = std::fs::remove_file(&left);
    let _ = std::fs::remove_file(&marker);
    let _ = std::fs::remove_file(findings.join("crash-left-by-a-killed-campaign.shrunk.trace"));

    // Stored as passing, failing again: a regression, never "already stored".
    let corpora = tempfile::tempdir().unwrap();
    let to = corpora.path().join("raw_buf/regressions");
    std::fs::create_dir_all(&to).unwrap();
    for ext in ["toml", "trace"] {
        let from = workspace().join(format!("corpora/raw_buf/regressions/{CASE}.{ext}"));
        let text = std::fs::read_to_string(from).unwrap();
        let text = text.replace("expect = \"fail\"", "expect = \"pass\"");
        std::fs::write(to.join(format!("{CASE}.{ext}")), text).unwrap();
    }
    let corpora_arg = corpora.path().to_str().unwrap().to_owned();
    let output = fuzz(&["--time", "6s", "--corpora", &corpora_arg]);
    assert_eq!(output.status.code(), Some(1), "{}", report(&output));
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("crash-da39a3ee"),
        "the empty file was tried again\n{}",
        report(&output)
    );
    let _ = std::fs::remove_file(&empty);
    let _ = std::fs::remove_file(&empty_marker);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(&format!("REGRESSION: raw_buf/{CASE}")),
        "{}",
        report(&output)
    );

    // --stop-on-first ends the campaign at its first failure, long before its time is up.
    let output = fuzz(&["--time", "5m", "--stop-on-first", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", report(&output));
    let campaigns: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let seconds = campaigns[0]["seconds"].as_f64().unwrap();
    assert!(seconds < 120.0, "ran {seconds}s:\n{}", report(&output));
    assert_eq!(
        campaigns[0]["failures"].as_array().map(Vec::len),
        Some(1),
        "{}",
        report(&output)
    );

    // The campaign recorded its progress: a header, then samples, the last one marked.
    let history = campaigns[0]["history"].as_str().unwrap();
    let text = std::fs::read_to_string(history).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["target"], "raw_buf", "{text}");
    assert_eq!(lines[0]["seeded_bug"], BUG, "{text}");
    let last = lines.last().unwrap();
    assert_eq!(last["last"], true, "{text}");
    assert_eq!(last["failures"], 1, "{text}");
    assert!(last["execs"].as_u64().unwrap() > 0, "{text}");
    assert!(
        lines[1..]
            .windows(2)
            .all(|w| w[0]["t"].as_f64() <= w[1]["t"].as_f64()),
        "{text}"
    );
    let _ = std::fs::remove_file(history);

    // The table of op coverage is kept beside the history; the variants the corpora's
    // accepted.toml expects to do no real work are not warned about.
    let ops = &campaigns[0]["op_coverage"];
    let table = ops["file"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", report(&output)));
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(table).unwrap()).unwrap();
    assert!(table["cases"].as_u64().unwrap() > 0, "{table}");
    let accepted = ops["accepted"].to_string();
    assert!(
        accepted.contains("Op::TryReserveOverflow: an error by construction"),
        "{ops}"
    );
    assert!(
        !ops["warnings"].to_string().contains("TryReserveOverflow"),
        "{ops}"
    );
    let _ = std::fs::remove_file(ops["file"].as_str().unwrap());
}

/// Aliasing violations never crash natively, so no fuzzer sees them: Miri replays the corpus
/// beside the campaign. Here the only seed is the trace of a stored case of the Miri-only seeded
/// bug `list-cursor-keeps-callers-ptr` (a replay reads traces as well as fuzzer bytes); the
/// campaign must report its aliasing violation, found by Miri, as a new memory-safety failure
/// (new to the scratch corpora). A trace of two ops keeps the Miri shrink short.
///
/// The leaking bug `list-clear-forgets` is on too: every input that clears leaks real memory,
/// which LeakSanitizer must not turn into a crash of the empty input when a fuzzing process
/// exits (a campaign then reported an empty "crash" it could not process).
#[test]
fn miri_beside_the_campaign_finds_what_never_crashes() {
    let corpora = tempfile::tempdir().unwrap();
    let seeds = corpora.path().join("intrusive_list/seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    let stored = workspace().join("corpora/intrusive_list/regressions");
    let trace = std::fs::read_dir(&stored)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("list-cursor-keeps-callers-ptr-") && name.ends_with(".trace")
        })
        .min_by_key(|p| std::fs::read_to_string(p).unwrap().lines().count())
        .expect("a stored trace of list-cursor-keeps-callers-ptr");
    std::fs::copy(&trace, seeds.join("aliasing")).unwrap();
    // Build the Miri replay first (its first build takes minutes on a cold cache): this test is
    // about what Miri finds beside a campaign, not about how long its build takes.
    let built = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(workspace())
        .args(["replay", "intrusive_list", "--miri"])
        .arg(&trace)
        .output()
        .unwrap();
    assert_eq!(built.status.code(), Some(0), "{}", report(&built));
    let output = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(workspace())
        .arg("--corpora")
        .arg(corpora.path())
        .args(["--color", "never", "fuzz", "intrusive_list"])
        .args([
            "--seeded-bug",
            "list-cursor-keeps-callers-ptr,list-clear-forgets",
        ])
        .args(["--time", "30s", "--fresh", "--no-store", "--json"])
        // A shrink under Miri runs a Miri process per candidate: keep it short here.
        .args(["--engines", "native,miri-sb", "--shrink-timeout", "20"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", report(&output));
    let campaigns: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let failures = campaigns[0]["failures"].as_array().unwrap();
    let aliasing = failures.iter().find(|f| {
        f["first"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("miri"))
            && f["processed"]["signature"]
                .as_str()
                .is_some_and(|s| s.starts_with("aliasing at "))
    });
    let aliasing =
        aliasing.unwrap_or_else(|| panic!("no aliasing from Miri:\n{}", report(&output)));
    assert_eq!(aliasing["processed"]["severity"], "memory-safety");
    assert!(campaigns[0]["miri"]["stacked_borrows"].as_u64().unwrap() >= 1);
    assert!(
        campaigns[0]["miri"]["error"].is_null(),
        "{}",
        report(&output)
    );
    for failure in failures {
        assert!(
            failure["error"].is_null() && !failure["processed"].is_null(),
            "a failure was not processed: {failure}\n{}",
            report(&output)
        );
    }
}

/// A crash is named by the report AddressSanitizer printed in the fuzzer, the moment it happens,
/// with no replay binary built: a stored one is "already stored" at once, and the same crash hit
/// again is counted, not announced again. The seed is the stored trace of the deep seeded bug
/// `raw_buf-drain-overread`, so every fuzzing process that loads it dies on it (the campaign
/// must turn to fork mode rather than restart on it forever).
#[test]
fn a_crash_is_named_by_the_fuzzers_own_report_and_announced_once() {
    const OVERREAD: &str = "raw_buf-drain-overread-42928ecf";
    let corpora = tempfile::tempdir().unwrap();
    let stored = corpora.path().join("raw_buf/regressions");
    let seeds = corpora.path().join("raw_buf/seeds");
    std::fs::create_dir_all(&stored).unwrap();
    std::fs::create_dir_all(&seeds).unwrap();
    for ext in ["toml", "trace"] {
        let from = workspace().join(format!("corpora/raw_buf/regressions/{OVERREAD}.{ext}"));
        std::fs::copy(&from, stored.join(format!("{OVERREAD}.{ext}"))).unwrap();
    }
    std::fs::copy(
        workspace().join(format!("corpora/raw_buf/regressions/{OVERREAD}.trace")),
        seeds.join("overread"),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(workspace())
        .arg("--corpora")
        .arg(corpora.path())
        .args(["--color", "never", "fuzz", "raw_buf"])
        .args(["--seeded-bug", "raw_buf-drain-overread"])
        .args(["--time", "15s", "--fresh", "--no-store", "--no-miri"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", report(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The stored case's signature, whatever line of the seeded deviation it names today.
    let meta = std::fs::read_to_string(stored.join(format!("{OVERREAD}.toml"))).unwrap();
    let signature = meta
        .lines()
        .find_map(|l| l.strip_prefix("signature = \"")?.strip_suffix('"'))
        .expect("the stored case has a signature");
    assert!(signature.starts_with("out-of-bounds at structures/src/raw_buf/deviations.rs:"));
    assert_eq!(
        stderr
            .matches(&format!(
                "new failure (AddressSanitizer, in the fuzzer): {signature}"
            ))
            .count(),
        1,
        "{}",
        report(&output)
    );
    // The summary's row: target, failure, severity, first found, hits, seen by, ops, corpus.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .filter(|l| l.starts_with("raw_buf  out-of-bounds"))
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 1, "one distinct failure\n{}", report(&output));
    let row = &rows[0];
    assert_eq!(row[1], signature, "{}", report(&output));
    assert!(
        row[4].parse::<u64>().unwrap() >= 2,
        "hit again\n{}",
        report(&output)
    );
    assert_eq!(row[5], "asan", "{}", report(&output));
    assert_eq!(
        row[7],
        format!("already stored as {OVERREAD}"),
        "{}",
        report(&output)
    );
    // These corpora accept no idle op: `TryReserveOverflow`, an error by construction, can never
    // do real work, and the summary says so, with what to do about it.
    assert!(
        stdout.contains("raw_buf: op coverage over the ")
            && stdout.contains("  warning: Op::TryReserveOverflow never did real work: ")
            && stdout.contains("`lockstep accept raw_buf --op VARIANT --reason WHY`"),
        "{}",
        report(&output)
    );
}
