//! Killing `lockstep fuzz` with SIGKILL right after a crash is found loses no crash file: the
//! file is in `fuzz/findings/` already, or the next campaign recovers it from where libFuzzer
//! wrote it. Nor does it lose the campaign's history: whole lines up to the kill.

mod common;

use common::workspace;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn fuzz(time: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lockstep"));
    cmd.current_dir(workspace())
        .args([
            "fuzz",
            "raw_buf",
            "--seeded-bug",
            "raw_buf-drain-overread",
            "--fresh",
            "--no-store",
        ])
        .args(["--time", time, "--engines", "native,asan"]);
    cmd
}

#[test]
fn sigkill_right_after_a_crash_loses_no_crash_file() {
    let artifacts = workspace().join("fuzz/artifacts/raw_buf/seeded-raw_buf-drain-overread");
    let findings = workspace().join("fuzz/findings/raw_buf/seeded-raw_buf-drain-overread");
    let history = workspace().join("fuzz/history/raw_buf/seeded-raw_buf-drain-overread");
    let (artifacts_before, findings_before) = (names(&artifacts), names(&findings));
    let history_before = names(&history);

    let mut campaign = fuzz("5m")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Builds come first (minutes on a cold cache); the seeded bug falls in seconds after.
    let deadline = Instant::now() + Duration::from_secs(900);
    let crash = loop {
        let new: Vec<String> = names(&artifacts)
            .difference(&artifacts_before)
            .filter(|n| n.starts_with("crash-"))
            .cloned()
            .collect();
        if let Some(name) = new.into_iter().next() {
            break name;
        }
        assert!(Instant::now() < deadline, "no crash within 15 minutes");
        assert!(
            campaign.try_wait().unwrap().is_none(),
            "the campaign ended without a crash"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    campaign.kill().unwrap(); // SIGKILL
    campaign.wait().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let written =
        std::fs::read(artifacts.join(&crash)).expect("libFuzzer's crash file is still there");
    assert!(!written.is_empty());
    let killed: Vec<String> = names(&history)
        .difference(&history_before)
        .cloned()
        .collect();
    assert_eq!(
        killed.len(),
        1,
        "one history file for the killed campaign: {killed:?}"
    );
    let text = std::fs::read_to_string(history.join(&killed[0])).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{text}")))
        .collect();
    assert_eq!(lines[0]["target"], "raw_buf", "{text}");
    assert!(lines.iter().all(|l| l.get("last").is_none()), "{text}");

    // The next campaign copies anything the killed one had not.
    let next = fuzz("2s").output().unwrap();
    let stderr = String::from_utf8_lossy(&next.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let kept = std::fs::read(findings.join(&crash))
        .unwrap_or_else(|e| panic!("{crash} lost: {e}\n{stderr}"));
    assert_eq!(kept, written, "the copy is whole");

    // Leave the shared directories as they were.
    for name in names(&findings).difference(&findings_before) {
        let _ = std::fs::remove_file(findings.join(name));
    }
    for name in names(&artifacts).difference(&artifacts_before) {
        let _ = std::fs::remove_file(artifacts.join(name));
    }
    for name in names(&history).difference(&history_before) {
        let _ = std::fs::remove_file(history.join(name));
    }
}
