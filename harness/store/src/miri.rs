//! Replaying cases under Miri: building the command, and reading what Miri said.
//!
//! Two facts shape this module. Miri's default isolation hides the environment and the file
//! system, so the replay runs with `-Zmiri-disable-isolation` to read case files. And cargo-miri
//! records the environment of a binary's first build and replays it on later runs, so run-time
//! settings (a seeded bug, say) are passed with `-Zmiri-env-set`, never exported, and removed
//! from the environment the command inherits.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use lockstep::finding::AliasingModel;
use lockstep::finding::{Class, Finding};

/// A replay binary to run under Miri.
#[derive(Clone, Debug)]
pub struct MiriReplay {
    /// The workspace (or package) directory cargo runs in.
    pub dir: PathBuf,
    /// The package holding the replay binary.
    pub package: String,
    /// The binary.
    pub bin: String,
    /// Cargo features to enable.
    pub features: Vec<String>,
    /// Environment variables the replayed program sees (through `-Zmiri-env-set`).
    pub env: Vec<(String, String)>,
    /// Where cargo builds; `None` for its default.
    pub target_dir: Option<PathBuf>,
}

/// Variables that must reach the program only through `-Zmiri-env-set`.
const RUN_TIME_VARS: &[&str] = &["LOCKSTEP_SEEDED_BUG"];

impl MiriReplay {
    /// The command that replays `args` (a target name and case files) under `model`.
    ///
    /// # Errors
    /// If a variable of [`MiriReplay::env`] has white space or `=` in its name, or white space
    /// in its value: `MIRIFLAGS` is split at white space, so such a value would smuggle in
    /// flags of its own (`-Zmiri-native-lib=...`).
    pub fn command(&self, model: AliasingModel, args: &[OsString]) -> Result<Command, String> {
        for (key, value) in &self.env {
            let bad = |c: char| c.is_whitespace();
            if key.is_empty() || key.contains(bad) || key.contains('=') || value.contains(bad) {
                return Err(format!(
                    "refusing to pass `{}={}` to Miri: names and values of run-time settings \
                     have no white space",
                    lockstep::trace::excerpt(key),
                    lockstep::trace::excerpt(value)
                ));
            }
        }
        // -Zmiri-disable-isolation: the replay binary reads case files.
        // -Zmiri-strict-provenance: integer-to-pointer casts are errors, as in the structures'
        // own Miri tests.
        let mut flags = vec![
            "-Zmiri-disable-isolation".to_owned(),
            "-Zmiri-strict-provenance".to_owned(),
        ];
        if model == AliasingModel::TreeBorrows {
            flags.push("-Zmiri-tree-borrows".to_owned());
        }
        // No backtraces: a Miri run's own report is all that is read, and the harness capturing
        // one for a panic costs the interpreter 20 s to minutes. Set, not removed: without
        // isolation the program sees the environment, and cargo-miri restores the one the
        // binary was first built in (a RUST_BACKTRACE=1 there made every later replay slow).
        flags.push("-Zmiri-env-set=RUST_BACKTRACE=0".to_owned());
        flags.push("-Zmiri-env-set=RUST_LIB_BACKTRACE=0".to_owned());
        for (key, value) in &self.env {
            flags.push(format!("-Zmiri-env-set={key}={value}"));
        }
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&self.dir).args([
            "+nightly",
            "miri",
            "run",
            "--quiet",
            "-p",
            &self.package,
            "--bin",
            &self.bin,
        ]);
        if !self.features.is_empty() {
            cmd.arg("--features").arg(self.features.join(","));
        }
        if let Some(dir) = &self.target_dir {
            cmd.arg("--target-dir").arg(dir);
        }
        cmd.arg("--").args(args).env("MIRIFLAGS", flags.join(" "));
        for var in RUN_TIME_VARS {
            cmd.env_remove(var);
        }
        Ok(cmd)
    }
}

/// Checks that `cargo +nightly miri` runs in `dir`; the error says how to install it.
pub fn check_available(dir: &Path) -> Result<(), String> {
    let fix = "install it with `rustup component add --toolchain nightly miri rust-src` (or run \
               scripts/setup)";
    match Command::new("cargo")
        .current_dir(dir)
        .args(["+nightly", "miri", "--version"])
        .output()
    {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "Miri is not available ({}): {fix}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("no output")
                .trim()
        )),
        Err(e) => Err(format!(
            "cannot run cargo ({e}): install Rust with rustup, then {fix}"
        )),
    }
}

/// What Miri reported in `stderr`, run under `model`: undefined behaviour, a leak, or an abort
/// (a panic that could not unwind, for one), as a [`Finding`]; `None` when it reported none of
/// these. `frame` picks the signature's frame from the report's stack, innermost first
/// (`file:line`, as Miri wrote them): the first inside the crates under test, say.
pub fn classify(
    stderr: &str,
    model: AliasingModel,
    frame: impl FnOnce(Vec<String>) -> Option<String>,
) -> Option<Finding> {
    let (index, line) = stderr.lines().enumerate().find(|(_, l)| {
        l.starts_with("error: Undefined Behavior")
            || l.starts_with("error: memory leaked")
            || l.starts_with("error: abnormal termination")
    })?;
    let message = line.trim_start_matches("error: ").trim();
    let rest: Vec<&str> = stderr.lines().skip(index).collect();
    let mentions = |needle: &str| rest.iter().take(40).any(|l| l.contains(needle));
    // Frames: `--> file:line:col` right under the message, then the backtrace's `at` lines.
    let mut frames: Vec<String> = rest
        .iter()
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("--> ")
                .or_else(|| l.strip_prefix("at "))
                .map(|at| strip_column(at.split(": ").next().unwrap_or(at).trim()))
        })
        .collect();
    let deallocating = rest
        .iter()
        .take(12)
        .any(|l| l.contains("dealloc") || l.contains("free_buffer"));
    let (class, summary) = if message.starts_with("abnormal termination") {
        // The harness said what could not unwind, and where, before the abort.
        match stderr
            .lines()
            .find_map(|l| l.strip_prefix(lockstep::NON_UNWINDING_PREFIX))
        {
            Some(said) => {
                let (at, what) = said.split_once(": ").unwrap_or((said, ""));
                frames.insert(0, strip_column(at));
                (Class::Abort, what.to_owned())
            }
            None => (Class::Abort, message.to_owned()),
        }
    } else if message.starts_with("memory leaked") {
        (Class::Leak, message.to_owned())
    } else if mentions("Stacked Borrows")
        || message.contains("borrow stack")
        || mentions("Tree Borrows")
        || message.contains("is forbidden")
    {
        // The engine knows the model it ran under, whatever words the message used.
        (Class::Aliasing(model), message.to_owned())
    } else if message.contains("has been freed") || message.contains("use-after-free") {
        let class = if deallocating {
            Class::DoubleFree
        } else {
            Class::UseAfterFree
        };
        (class, message.to_owned())
    } else if message.contains("out-of-bounds")
        || message.contains("out of bounds")
        || message.contains("from the end of the allocation")
    {
        (Class::OutOfBounds, message.to_owned())
    } else if message.contains("uninitialized") {
        (Class::UninitRead, message.to_owned())
    } else {
        (Class::OtherUb, message.to_owned())
    };
    Some(Finding {
        class,
        frame: frame(frames).unwrap_or_else(|| "unknown".to_owned()),
        summary,
        after_injected_panic: false,
    })
}

/// `file:line:col` to `file:line`.
pub fn strip_column(location: &str) -> String {
    let mut parts = location.rsplitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_col), Some(line), Some(file)) if line.chars().all(|c| c.is_ascii_digit()) => {
            format!("{file}:{line}")
        }
        _ => location.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic that cannot unwind ends Miri's run as an "abnormal termination": a finding
    /// named after what the harness said before the abort, not an engine error.
    #[test]
    fn an_abort_is_a_finding_where_the_harness_said() {
        let stderr = "lockstep: non-unwinding panic at structures/src/a.rs:7:9: unsafe \
                      precondition(s) violated: ptr::copy requires aligned pointers\n\
                      error: abnormal termination: the program aborted execution\n \
                      --> /rustc/x/library/std/src/sys/pal/unix/mod.rs:300:9\n";
        let f = classify(stderr, AliasingModel::TreeBorrows, |frames| {
            frames.into_iter().next()
        })
        .unwrap();
        assert_eq!(f.class, Class::Abort);
        assert_eq!(f.frame, "structures/src/a.rs:7");
        assert!(
            f.summary.starts_with("unsafe precondition(s) violated"),
            "{}",
            f.summary
        );
        assert_eq!(strip_column("a/b.rs:10:5"), "a/b.rs:10");
        assert_eq!(strip_column("raw_buf.f07-cgu.0"), "raw_buf.f07-cgu.0");
    }

    /// A case's `seeded_bug` reached MIRIFLAGS as it was, so `x -Zmiri-native-lib=/tmp/l.so`
    /// loaded a native library into the replay.
    #[test]
    fn settings_with_white_space_never_become_flags() {
        let mut replay = MiriReplay {
            dir: PathBuf::from("."),
            package: "p".into(),
            bin: "replay".into(),
            features: Vec::new(),
            env: vec![("LOCKSTEP_SEEDED_BUG".into(), "a,b".into())],
            target_dir: None,
        };
        let cmd = replay.command(AliasingModel::TreeBorrows, &[]).unwrap();
        let flags = cmd
            .get_envs()
            .find(|(k, _)| *k == "MIRIFLAGS")
            .and_then(|(_, v)| v)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(flags.contains("-Zmiri-tree-borrows "), "{flags}");
        assert!(
            flags.contains("-Zmiri-env-set=RUST_BACKTRACE=0 "),
            "{flags}"
        );
        assert!(
            flags.ends_with(" -Zmiri-env-set=LOCKSTEP_SEEDED_BUG=a,b"),
            "{flags}"
        );
        replay.env[0].1 = "raw_buf-pop-uninit -Zmiri-native-lib=/tmp/l.so".into();
        let err = replay
            .command(AliasingModel::StackedBorrows, &[])
            .unwrap_err();
        assert!(err.contains("no white space"), "{err}");
    }
}
