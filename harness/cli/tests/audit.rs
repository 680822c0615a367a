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

#[test]
fn a_fixed_finding_is_marked_fixed_and_reported_as_a_regression_if_it_comes_back() {
    let dir = corpora();
    let audit_dir = dir.path().join("raw_buf/audit");
    // A finding of the correct build, stored before its fix: the seeded case without its bug.
    let seeded =
        std::fs::read_to_string(audit_dir.join("raw_buf-iter-unbounded-60680515.toml")).unwrap();
    let unseeded: String = seeded
        .lines()
        .filter(|l| !l.starts_with("seeded_bug"))
        .map(|l| format!("{l}\n"))
        .collect();
    let case = audit_dir.join("raw_buf-unbounded-lifetime-1.toml");
    std::fs::write(&case, unseeded).unwrap();
    let out = audit(dir.path(), &["raw_buf", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("raw_buf-unbounded-lifetime-1: the audit no longer reports it"),
        "{}",
        text(&out)
    );
    let out = audit(dir.path(), &["raw_buf"]);
    assert!(
        out.status.success()
            && text(&out).contains(
                "no longer reported: raw_buf-unbounded-lifetime-1 (if fixed, `lockstep audit \
                 raw_buf --mark-fixed` marks them so)"
            ),
        "{}",
        text(&out)
    );
    let out = audit(dir.path(), &["raw_buf", "--mark-fixed"]);
    assert!(out.status.success(), "{}", text(&out));
    let marked = std::fs::read_to_string(&case).unwrap();
    assert!(marked.contains("expect = \"fixed\""), "{marked}");
    let out = audit(dir.path(), &["raw_buf", "--check"]);
    assert!(out.status.success(), "{}", text(&out));
    // The bug back in, with no case of the seeded bug to hold it: the fixed case is named as a
    // regression.
    std::fs::remove_file(audit_dir.join("raw_buf-iter-unbounded-60680515.toml")).unwrap();
    let out = audit(
        dir.path(),
        &[
            "raw_buf",
            "--seeded-bug",
            "raw_buf-iter-unbounded",
            "--no-store",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("regression: raw_buf-unbounded-lifetime-1 was marked fixed"),
        "{}",
        text(&out)
    );
}
