//! A stored case's verdict is checked, never assumed: `lockstep corpus check` passes on a case
//! as committed and fails once what the case expects is changed. Runs the real binary on a copy
//! of one committed case (`--corpora`), so the repository's corpus is never touched.

mod common;

use common::{report, workspace};

use std::path::Path;
use std::process::Output;

const CASE: &str = "raw_buf-drain-inclusive-7531903d";

/// `corpora/raw_buf/regressions/CASE.*` copied into a fresh corpora directory.
fn corpora_with_the_case() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = workspace().join("corpora/raw_buf/regressions");
    let to = dir.path().join("raw_buf/regressions");
    std::fs::create_dir_all(&to).unwrap();
    for ext in ["toml", "trace"] {
        let name = format!("{CASE}.{ext}");
        std::fs::copy(from.join(&name), to.join(&name)).unwrap();
    }
    dir
}

fn check(corpora: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(workspace())
        .args([
            "corpus",
            "check",
            "raw_buf",
            "--color",
            "never",
            "--corpora",
        ])
        .arg(corpora)
        .output()
        .unwrap()
}

fn edit_meta(corpora: &Path, from: &str, to: &str) {
    let meta = corpora.join(format!("raw_buf/regressions/{CASE}.toml"));
    let text = std::fs::read_to_string(&meta).unwrap();
    assert!(
        text.contains(from),
        "{from} not in {}:\n{text}",
        meta.display()
    );
    std::fs::write(&meta, text.replace(from, to)).unwrap();
}

#[test]
fn the_committed_verdict_holds() {
    let corpora = corpora_with_the_case();
    let output = check(corpora.path());
    assert_eq!(output.status.code(), Some(0), "{}", report(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 case: 1 gives its verdict"),
        "{}",
        report(&output)
    );
}

#[test]
fn a_case_that_fails_stored_as_passing_fails_the_check() {
    let corpora = corpora_with_the_case();
    edit_meta(corpora.path(), "expect = \"fail\"", "expect = \"pass\"");
    let output = check(corpora.path());
    assert_eq!(output.status.code(), Some(1), "{}", report(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("raw_buf/{CASE}:")) && stdout.contains("1 does not"),
        "{}",
        report(&output)
    );
}

#[test]
fn a_case_credited_with_the_wrong_seeded_bug_fails_the_check() {
    let corpora = corpora_with_the_case();
    // The case drains with an inclusive range and never shrinks an empty buffer, so it cannot
    // catch `raw_buf-shrink-double-free`.
    edit_meta(
        corpora.path(),
        "seeded_bug = \"raw_buf-drain-inclusive\"",
        "seeded_bug = \"raw_buf-shrink-double-free\"",
    );
    let output = check(corpora.path());
    assert_eq!(output.status.code(), Some(1), "{}", report(&output));
}

/// A case's `seeded_bug` used to reach MIRIFLAGS unchecked, so a crafted `.toml` made
/// `corpus check --miri` load a native library. Nothing read from a case becomes a flag: an id
/// the catalogue does not list is refused before anything runs.
#[test]
fn a_seeded_bug_that_is_not_a_seeded_bug_is_refused_before_anything_runs() {
    let corpora = corpora_with_the_case();
    edit_meta(
        corpora.path(),
        "seeded_bug = \"raw_buf-drain-inclusive\"",
        "seeded_bug = \"raw_buf-drain-inclusive -Zmiri-native-lib=/nonexistent/lib.so\"",
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(workspace())
        .args(["corpus", "check", "raw_buf", "--miri", "--color", "never"])
        .arg("--corpora")
        .arg(corpora.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", report(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is not a list of seeded bugs") && stderr.contains("not a seeded bug"),
        "{}",
        report(&output)
    );
    assert!(
        !stderr.contains("native-lib") || stderr.lines().count() == 1,
        "{stderr}"
    );
}
