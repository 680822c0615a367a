//! Bad input and missing tools: every one gets a one-line error with the fix and a non-zero exit,
//! never a panic. These run the real `lockstep` binary on this repository's workspace.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn lockstep(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lockstep"));
    cmd.current_dir(workspace()).args(args).env("NO_COLOR", "1");
    cmd
}

/// Runs and checks the shape of a refusal: exit 2, a single `error:` line on stderr containing
/// `needle`, no panic.
fn refused(output: Output, needle: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(2),
        "exit status; stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "a panic:\n{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line:\n{stderr}"));
    assert!(error.contains(needle), "`{needle}` not in: {error}");
    error.to_owned()
}

fn case_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn unknown_target_names_the_targets() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_file(dir.path(), "c", b"\x01\x02");
    let error = refused(
        lockstep(&["replay", "no_such_target"])
            .arg(&case)
            .output()
            .unwrap(),
        "unknown target",
    );
    assert!(error.contains("raw_buf"), "{error}");
}

#[test]
fn missing_empty_huge_and_corrupt_case_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    refused(
        lockstep(&["triage", "raw_buf"])
            .arg(&missing)
            .output()
            .unwrap(),
        "no such case file",
    );
    let empty = case_file(dir.path(), "empty", b"");
    refused(
        lockstep(&["shrink", "raw_buf"])
            .arg(&empty)
            .output()
            .unwrap(),
        "empty",
    );
    let huge = case_file(
        dir.path(),
        "huge",
        &vec![7; (lockstep::case::MAX_CASE_BYTES + 1) as usize],
    );
    refused(
        lockstep(&["replay", "raw_buf"])
            .arg(&huge)
            .output()
            .unwrap(),
        "is not a case",
    );
    let corrupt = case_file(dir.path(), "corrupt", b"# lockstep trace\nPush(\xff\xfe)\n");
    refused(
        lockstep(&["corpus", "add", "raw_buf"])
            .arg(&corrupt)
            .output()
            .unwrap(),
        "not UTF-8",
    );
}

#[test]
fn a_trace_from_an_older_op_enum_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let old = case_file(
        dir.path(),
        "old.trace",
        b"# lockstep trace\n# target: raw_buf\nPush(1)\nPushTwice(2)\n",
    );
    let error = refused(
        lockstep(&["triage", "raw_buf", "--engines", "native"])
            .arg(&old)
            .output()
            .unwrap(),
        "line 4",
    );
    assert!(error.contains("op enum changed"), "{error}");
    let other = case_file(
        dir.path(),
        "other.trace",
        b"# lockstep trace\n# target: arena_graph\n",
    );
    refused(
        lockstep(&["shrink", "raw_buf", "--engine", "native"])
            .arg(&other)
            .output()
            .unwrap(),
        "arena_graph",
    );
}

#[test]
fn a_shrink_never_overwrites_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_file(dir.path(), "c.trace", b"# lockstep trace\nPush(1)\n");
    let out = case_file(dir.path(), "taken", b"precious");
    refused(
        lockstep(&["shrink", "raw_buf"])
            .arg(&case)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
        "already exists",
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
}

/// A directory with a `cargo` that fails for `+nightly` and runs the real one otherwise.
fn without_nightly() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let real =
        String::from_utf8(Command::new("which").arg("cargo").output().unwrap().stdout).unwrap();
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = +nightly ]; then echo \"error: toolchain 'nightly' is not installed\" >&2; exit 1; fi\nexec {} \"$@\"\n",
        real.trim()
    );
    let fake = dir.path().join("cargo");
    std::fs::write(&fake, script).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn path_with(dir: &Path) -> String {
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap())
}

#[test]
fn missing_nightly_or_miri_says_how_to_install_it() {
    let fake = without_nightly();
    let dir = tempfile::tempdir().unwrap();
    let case = case_file(dir.path(), "c.trace", b"# lockstep trace\nPush(1)\n");
    let error = refused(
        lockstep(&["replay", "raw_buf", "--miri"])
            .arg(&case)
            .env("PATH", path_with(fake.path()))
            .output()
            .unwrap(),
        "Miri is not available",
    );
    assert!(
        error.contains("rustup component add --toolchain nightly miri"),
        "{error}"
    );
    let error = refused(
        lockstep(&["fuzz", "raw_buf", "--time", "5s"])
            .env("PATH", path_with(fake.path()))
            .output()
            .unwrap(),
        "nightly toolchain is missing",
    );
    assert!(
        error.contains("rustup toolchain install nightly"),
        "{error}"
    );
}

#[test]
fn bad_options_are_refused_before_anything_runs() {
    refused(
        lockstep(&["fuzz", "raw_buf", "--time", "3 fortnights"])
            .output()
            .unwrap(),
        "durations look like",
    );
    refused(
        lockstep(&["fuzz", "--seeded-bug", "no-such-bug"])
            .output()
            .unwrap(),
        "not a seeded bug",
    );
    refused(
        lockstep(&[
            "fuzz",
            "intrusive_list",
            "--seeded-bug",
            "raw_buf-pop-uninit",
        ])
        .output()
        .unwrap(),
        "lives in target",
    );
    refused(
        lockstep(&["triage", "raw_buf", "x", "--engines", "valgrind"])
            .output()
            .unwrap(),
        "unknown engine",
    );
}

#[test]
fn a_miri_run_past_its_limit_is_an_error_with_the_flag_to_raise() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_file(dir.path(), "c.trace", b"# lockstep trace\nPush(1)\nPop\n");
    refused(
        lockstep(&[
            "triage",
            "raw_buf",
            "--engines",
            "miri-sb",
            "--miri-timeout",
            "0",
        ])
        .arg(&case)
        .output()
        .unwrap(),
        "--miri-timeout",
    );
}

#[test]
fn outside_a_workspace_says_where_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(dir.path())
        .arg("targets")
        .output()
        .unwrap();
    refused(output, "Cargo workspace");
}
