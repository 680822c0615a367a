//! Bad input and missing tools: every one gets a one-line error with the fix and a non-zero exit,
//! never a panic. These run the real `lockstep` binary on this repository's workspace.

mod common;

use common::workspace;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
fn missing_huge_and_corrupt_case_files_are_refused_and_an_empty_one_is_the_empty_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    refused(
        lockstep(&["triage", "raw_buf"])
            .arg(&missing)
            .output()
            .unwrap(),
        "no such case file",
    );
    // No ops, which pass: nothing to shrink.
    let empty = case_file(dir.path(), "empty", b"");
    refused(
        lockstep(&["shrink", "raw_buf"])
            .arg(&empty)
            .output()
            .unwrap(),
        "the case passes under every engine",
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

/// A directory with a `cargo` that runs the shell `line` first (to refuse some invocations),
/// then the real one.
fn fake_cargo(line: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let real =
        String::from_utf8(Command::new("which").arg("cargo").output().unwrap().stdout).unwrap();
    let script = format!("#!/bin/sh\n{line}\nexec {} \"$@\"\n", real.trim());
    let fake = dir.path().join("cargo");
    std::fs::write(&fake, script).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// A `cargo` that fails for `+nightly` and runs the real one otherwise.
fn without_nightly() -> tempfile::TempDir {
    fake_cargo(
        "if [ \"$1\" = +nightly ]; then echo \"error: toolchain 'nightly' is not installed\" >&2; exit 1; fi",
    )
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

/// A `cargo` that has no `afl` subcommand and runs the real one otherwise.
fn without_cargo_afl() -> tempfile::TempDir {
    fake_cargo(
        "for a in \"$@\"; do [ \"$a\" = afl ] && { echo \"error: no such command: `afl`\" >&2; exit 101; }; done",
    )
}

#[test]
fn a_missing_or_misused_afl_says_what_to_do() {
    let fake = without_cargo_afl();
    let error = refused(
        lockstep(&["fuzz", "raw_buf", "--engine", "afl", "--time", "5s"])
            .env("PATH", path_with(fake.path()))
            .output()
            .unwrap(),
        "cargo-afl is not installed",
    );
    assert!(
        error.contains("cargo install --locked cargo-afl") && error.contains("afl config --build"),
        "{error}"
    );
    refused(
        lockstep(&["fuzz", "raw_buf", "--engine", "afl", "--jobs", "2"])
            .output()
            .unwrap(),
        "AFL++ runs one instance",
    );
    refused(
        lockstep(&["fuzz", "raw_buf", "--engine", "honggfuzz"])
            .output()
            .unwrap(),
        "invalid value",
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

/// Relative case paths were resolved against the workspace root, not the current directory:
/// from a subdirectory, `replay` silently ran a different file (or none).
#[test]
fn relative_case_paths_are_read_from_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    case_file(
        dir.path(),
        "here.trace",
        b"# lockstep trace\nPush(1)\nPop\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(dir.path())
        .arg("--manifest-path")
        .arg(workspace().join("Cargo.toml"))
        .args(["replay", "raw_buf", "here.trace"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("pass: 2 ops"), "{stdout}");
}

/// `replay /dev/zero` grew to gigabytes and a named pipe blocked forever: a case is a regular
/// file, and nothing else is opened.
#[test]
fn devices_and_pipes_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for (path, kind) in [(Path::new("/dev/zero"), "device"), (&*fifo, "named pipe")] {
        let mut child = lockstep(&["replay", "raw_buf"])
            .arg(path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > std::time::Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("{} blocked the replay", path.display());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        refused(child.wait_with_output().unwrap(), kind);
    }
}

/// A 35 KB line came back whole in the error, and a child's `error:` came out as
/// `error: error: ...`.
#[test]
fn errors_quote_a_long_line_briefly_and_say_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"# lockstep trace\n# target: raw_buf\nPush(".to_vec();
    text.extend(std::iter::repeat_n(b'9', 35_000));
    text.extend(b")\n");
    let case = case_file(dir.path(), "long.trace", &text);
    for args in [
        &["triage", "raw_buf", "--engines", "native"][..],
        &["shrink", "raw_buf", "--engine", "native"][..],
    ] {
        let error = refused(lockstep(args).arg(&case).output().unwrap(), "line 3");
        assert!(error.len() < 400, "{} characters: {error}", error.len());
        assert_eq!(error.matches("error:").count(), 1, "{error}");
    }
}

#[test]
fn zero_and_endless_durations_are_refused() {
    for time in ["0", "0s", "18446744073709551615", "5124095576030432h"] {
        refused(
            lockstep(&["fuzz", "raw_buf", "--time", time])
                .output()
                .unwrap(),
            "--time",
        );
    }
}

/// After SIGKILL, `cargo build` children lived on and held the build lock. Every child now dies
/// with `lockstep`: here a stand-in `cargo` that hangs in its build.
#[test]
fn children_die_with_lockstep() {
    let fake = tempfile::tempdir().unwrap();
    let pid_file = fake.path().join("pid");
    let real =
        String::from_utf8(Command::new("which").arg("cargo").output().unwrap().stdout).unwrap();
    let script = format!(
        "#!/bin/sh\ncase \"$*\" in *build*) echo $$ > {}; exec sleep 120;; esac\nexec {} \"$@\"\n",
        pid_file.display(),
        real.trim()
    );
    let cargo = fake.path().join("cargo");
    std::fs::write(&cargo, script).unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let case = case_file(dir.path(), "c.trace", b"# lockstep trace\nPush(1)\n");
    let mut child = lockstep(&["replay", "raw_buf"])
        .arg(&case)
        .env("PATH", path_with(fake.path()))
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let pid = loop {
        if let Ok(pid) = std::fs::read_to_string(&pid_file) {
            if let Ok(pid) = pid.trim().parse::<u32>() {
                break pid;
            }
        }
        assert!(start.elapsed().as_secs() < 60, "the build never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let gone = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(20));
        // Gone, or a zombie waiting for init to reap it.
        std::fs::read_to_string(proc_dir.join("stat"))
            .map_or(true, |stat| stat.split_whitespace().nth(2) == Some("Z"))
    });
    assert!(gone, "the build (pid {pid}) outlived lockstep");
}
