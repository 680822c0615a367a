//! `lockstep audit` on this repository's structures: stored type-level findings are checked like
//! the regression corpus, and bad input (a corrupt case, an id no declaration holds) is refused
//! with one line. Needs the nightly toolchain (rustdoc's JSON), as the test command installs.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::workspace;

fn audit(corpora: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(workspace())
        .arg("--corpora")
        .arg(corpora)
        .arg("audit")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// A copy of the committed corpora, to spoil.
fn corpora() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-r")
        .arg(workspace().join("corpora/."))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_stored_finding_the_audit_no_longer_reports_fails_the_check() {
    let dir = corpora();
    let case = dir
        .path()
        .join("raw_buf/audit/raw_buf-iter-unbounded-60680515.toml");
    let stored = std::fs::read_to_string(&case).unwrap();
    std::fs::write(
        &case,
        stored.replace("RawBuf<T>::iter", "RawBuf<T>::iter_mut"),
    )
    .unwrap();
    let out = audit(dir.path(), &["raw_buf", "--check"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("FAILED raw_buf-iter-unbounded-60680515: the audit with raw_buf-iter-unbounded built in no longer reports"),
        "{all}"
    );
    // The other cases still hold.
    assert!(
        all.contains("raw_buf-drain-contravariant-9ca9dd39: reported with"),
        "{all}"
    );
}

#[test]
fn bad_cases_and_unknown_ids_are_refused_with_one_line() {
    let refused = |out: Output, needle: &str| {
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(!all.contains("panicked"), "{all}");
        let error: Vec<&str> = all.lines().filter(|l| l.starts_with("error:")).collect();
        assert!(
            error.len() == 1 && error[0].contains(needle),
            "`{needle}` not in:\n{all}"
        );
    };
    let dir = corpora();
    let audit_dir = dir.path().join("raw_buf/audit");
    std::fs::write(audit_dir.join("corrupt.toml"), "target = [\n").unwrap();
    refused(
        audit(dir.path(), &["raw_buf", "--check"]),
        "corrupt.toml: not an audit case",
    );
    std::fs::remove_file(audit_dir.join("corrupt.toml")).unwrap();
    // A stored case's seeded bug becomes a build flag only when the declarations hold its id.
    let case = audit_dir.join("raw_buf-iter-unbounded-60680515.toml");
    let stored = std::fs::read_to_string(&case).unwrap();
    std::fs::write(
        &case,
        stored.replace(
            "seeded_bug = \"raw_buf-iter-unbounded\"",
            "seeded_bug = \"x\\\" --cfg evil\"",
        ),
    )
    .unwrap();
    refused(
        audit(dir.path(), &["raw_buf", "--check"]),
        "is not a type-level seeded bug of target `raw_buf`",
    );
    refused(
        audit(
            dir.path(),
            &["raw_buf", "--seeded-bug", "graph-send-unbounded"],
        ),
        "its `seeded_bugs`",
    );
    refused(audit(dir.path(), &["nope"]), "nope");
}
