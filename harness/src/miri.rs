//! Replaying cases under Miri: building the command, and reading what Miri said.
//!
//! Two facts shape this module. Miri's default isolation hides the environment and the file
//! system, so the replay runs with `-Zmiri-disable-isolation` to read case files. And cargo-miri
//! records the environment of a binary's first build and replays it on later runs, so run-time
//! settings (a seeded bug, say) are passed with `-Zmiri-env-set`, never exported, and removed
//! from the environment the command inherits.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Miri's aliasing model.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum AliasingModel {
    /// Stacked Borrows, Miri's default.
    StackedBorrows,
    /// Tree Borrows (`-Zmiri-tree-borrows`).
    TreeBorrows,
}

impl AliasingModel {
    /// Both models, Stacked Borrows first.
    pub const BOTH: [AliasingModel; 2] =
        [AliasingModel::StackedBorrows, AliasingModel::TreeBorrows];

    /// The short name used in reports: `sb` or `tb`.
    pub fn short(self) -> &'static str {
        match self {
            AliasingModel::StackedBorrows => "sb",
            AliasingModel::TreeBorrows => "tb",
        }
    }
}

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
                    crate::trace::excerpt(key),
                    crate::trace::excerpt(value)
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

/// What a Miri run reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MiriVerdict {
    /// The replay ran to the end and every case passed.
    Pass,
    /// Miri stopped on undefined behaviour; the first line of its report.
    UndefinedBehavior(String),
    /// The program ended but leaked memory.
    Leak(String),
    /// The replay reported a failure the harness saw (exit status 1) without undefined behaviour.
    HarnessFailure,
    /// Anything else: the build failed, the binary rejected its input (exit status 2), ...
    Error(String),
}

impl MiriVerdict {
    /// Reads the output of a [`MiriReplay::command`].
    pub fn of(output: &Output) -> MiriVerdict {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = |prefix: &str| {
            stderr
                .lines()
                .find(|l| l.starts_with(prefix))
                .map(|l| l.trim().to_owned())
        };
        if let Some(line) = first("error: Undefined Behavior") {
            return MiriVerdict::UndefinedBehavior(line);
        }
        if let Some(line) = first("error: memory leaked") {
            return MiriVerdict::Leak(line);
        }
        match output.status.code() {
            Some(0) => MiriVerdict::Pass,
            Some(1) => MiriVerdict::HarnessFailure,
            _ => MiriVerdict::Error(
                stderr
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("no output")
                    .to_owned(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(flags.ends_with("-Zmiri-tree-borrows -Zmiri-env-set=LOCKSTEP_SEEDED_BUG=a,b"));
        replay.env[0].1 = "raw_buf-pop-uninit -Zmiri-native-lib=/tmp/l.so".into();
        let err = replay
            .command(AliasingModel::StackedBorrows, &[])
            .unwrap_err();
        assert!(err.contains("no white space"), "{err}");
    }
}
