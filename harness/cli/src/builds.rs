//! Building what the engines run: the replay binary natively, the replay binary with
//! AddressSanitizer, the libFuzzer targets, and the replay binary under Miri.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Result, bail};
use lockstep_store::miri::MiriReplay;

use crate::process;
use crate::project::{Project, REPLAY_BIN};
use crate::ui;

/// A build may take this long (a cold build of the fuzz targets with ASan takes minutes).
const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);

/// The builds of one `lockstep` invocation, each made at most once.
#[derive(Debug)]
pub struct Builds<'p> {
    project: &'p Project,
    native: OnceLock<PathBuf>,
    asan: OnceLock<PathBuf>,
    miri: OnceLock<MiriReplay>,
}

impl<'p> Builds<'p> {
    /// Nothing built yet.
    pub fn new(project: &'p Project) -> Self {
        Builds {
            project,
            native: OnceLock::new(),
            asan: OnceLock::new(),
            miri: OnceLock::new(),
        }
    }

    /// Cargo features for the replay builds: the seeded bugs are compiled in when the fuzz
    /// package has them, so one build replays every case (a bug is only on when selected).
    fn replay_features(&self) -> Vec<String> {
        if self.project.has_seeded_bugs {
            vec!["seeded-bugs".into()]
        } else {
            Vec::new()
        }
    }

    /// The replay binary, built natively (debug, with debug assertions).
    pub fn native_replay(&self) -> Result<&Path> {
        if let Some(path) = self.native.get() {
            return Ok(path);
        }
        let mut cmd = self.cargo(None);
        cmd.args([
            "build",
            "-p",
            &self.project.fuzz_package,
            "--bin",
            REPLAY_BIN,
        ]);
        features(&mut cmd, &self.replay_features());
        run_build("the replay binary", &mut cmd)?;
        Ok(self
            .native
            .get_or_init(|| self.project.target_dir.join("debug").join(REPLAY_BIN)))
    }

    /// The replay binary built with AddressSanitizer (and LeakSanitizer), in a target directory
    /// of its own so it never replaces the native build.
    pub fn asan_replay(&self) -> Result<&Path> {
        if let Some(path) = self.asan.get() {
            return Ok(path);
        }
        check_nightly(&self.project.root)?;
        let dir = self.project.target_dir.join("lockstep-asan");
        let mut cmd = self.cargo(Some("nightly"));
        cmd.args([
            "build",
            "--release",
            "-p",
            &self.project.fuzz_package,
            "--bin",
            REPLAY_BIN,
        ])
        .arg("--target")
        .arg(&self.project.host)
        .arg("--target-dir")
        .arg(&dir)
        // The flags cargo-fuzz builds with, but for coverage instrumentation: ASan, and the
        // debug assertions and overflow checks a fuzz build keeps.
        .env(
            "RUSTFLAGS",
            "-Zsanitizer=address -Cdebug-assertions -Coverflow-checks",
        );
        features(&mut cmd, &self.replay_features());
        run_build("the replay binary with AddressSanitizer", &mut cmd)?;
        let path = dir
            .join(&self.project.host)
            .join("release")
            .join(REPLAY_BIN);
        Ok(self.asan.get_or_init(|| path))
    }

    /// The libFuzzer binary of `target`, built by cargo-fuzz (with ASan). Like the replay
    /// builds it carries the seeded bugs when the package has them (each off unless selected),
    /// so campaigns with and without a seeded bug share one build instead of rebuilding.
    pub fn fuzz_target(&self, target: &str) -> Result<PathBuf> {
        check_nightly(&self.project.root)?;
        check_cargo_fuzz()?;
        run_build(
            &format!("fuzz target {target}"),
            &mut self.fuzz_build(target),
        )?;
        Ok(self
            .project
            .target_dir
            .join(&self.project.host)
            .join("release")
            .join(target))
    }

    /// The AFL++ binary of `target`, built by cargo-afl with AddressSanitizer (and the seeded
    /// bugs, as for libFuzzer) in a target directory of its own.
    pub fn afl_target(&self, target: &str) -> Result<PathBuf> {
        check_nightly(&self.project.root)?;
        crate::afl::check_cargo_afl()?;
        let dir = self.project.target_dir.join("lockstep-afl");
        let mut cmd = self.cargo(Some("nightly"));
        cmd.args([
            "afl",
            "build",
            "--release",
            "-p",
            &self.project.fuzz_package,
        ])
        .args(["--bin", target])
        .arg("--target")
        .arg(&self.project.host)
        .arg("--target-dir")
        .arg(&dir)
        // cargo-afl adds its own flags (coverage, debug assertions, overflow checks) to
        // these; without `--cfg fuzzing` the libFuzzer side of `fuzz_target!` stays out.
        .env("AFL_NO_CFG_FUZZING", "1")
        .env("RUSTFLAGS", "--cfg lockstep_afl -Zsanitizer=address");
        features(&mut cmd, &self.replay_features());
        run_build(&format!("AFL++ target {target}"), &mut cmd)?;
        Ok(dir.join(&self.project.host).join("release").join(target))
    }

    fn fuzz_build(&self, target: &str) -> Command {
        let mut cmd = self.cargo(Some("nightly"));
        cmd.args(["fuzz", "build", target])
            .arg("--fuzz-dir")
            .arg(&self.project.fuzz_dir);
        // The flags OSS-Fuzz's Rust image builds with (cargo-fuzz adds its own after them), so
        // a testcase from OSS-Fuzz runs here in the binary it crashed there, and the OSS-Fuzz
        // emulation (scripts/oss-fuzz-check) finds its build done. The user's RUSTFLAGS last.
        let user = std::env::var("RUSTFLAGS").unwrap_or_default();
        cmd.env(
            "RUSTFLAGS",
            format!("{OSS_FUZZ_RUSTFLAGS} {user}").trim_end(),
        );
        features(&mut cmd, &self.replay_features());
        cmd
    }

    /// `cargo fuzz coverage` of `target` over the inputs in `corpus`: the binary built with
    /// `-Cinstrument-coverage` (without the seeded bugs: the structures as they ship) and the
    /// profile of every input run in it.
    pub fn fuzz_coverage(&self, target: &str, corpus: &Path) -> Result<(PathBuf, PathBuf)> {
        check_nightly(&self.project.root)?;
        check_cargo_fuzz()?;
        let mut cmd = self.cargo(Some("nightly"));
        cmd.args(["fuzz", "coverage", target])
            .arg(corpus)
            .arg("--fuzz-dir")
            .arg(&self.project.fuzz_dir)
            .arg("--target")
            .arg(&self.project.host);
        run_build(&format!("the coverage of {target}"), &mut cmd)?;
        let host = &self.project.host;
        let bin = self
            .project
            .target_dir
            .join(host)
            .join("coverage")
            .join(host)
            .join("release")
            .join(target);
        let profile = self
            .project
            .fuzz_dir
            .join("coverage")
            .join(target)
            .join("coverage.profdata");
        for file in [&bin, &profile] {
            if !file.is_file() {
                bail!(
                    "`cargo fuzz coverage {target}` left no {}: is cargo-fuzz 0.11 or later?",
                    file.display()
                );
            }
        }
        Ok((bin, profile))
    }

    /// Starts building the libFuzzer binaries of `targets` in the background, quietly, while
    /// this invocation builds what it needs first (the replay binary that lists the seeded
    /// bugs): [`Builds::fuzz_target`] then waits for cargo's lock and finds them built. What
    /// fails here is left for `fuzz_target` to report.
    pub fn start_fuzz_targets(project: &Project, targets: &[String]) {
        let project = project.clone();
        let targets = targets.to_vec();
        std::thread::spawn(move || {
            let builds = Builds::new(&project);
            for target in &targets {
                let _ = process::run(&mut builds.fuzz_build(target), BUILD_LIMIT);
            }
        });
    }

    /// The replay binary under Miri, built once (the first Miri build takes a minute).
    pub fn miri(&self) -> Result<&MiriReplay> {
        if let Some(replay) = self.miri.get() {
            return Ok(replay);
        }
        lockstep_store::miri::check_available(&self.project.root).map_err(anyhow::Error::msg)?;
        let replay = MiriReplay {
            dir: self.project.root.clone(),
            package: self.project.fuzz_package.clone(),
            bin: REPLAY_BIN.to_owned(),
            features: self.replay_features(),
            env: Vec::new(),
            target_dir: None,
        };
        let mut cmd = replay
            .command(
                lockstep_store::miri::AliasingModel::StackedBorrows,
                &["list".into()],
            )
            .map_err(anyhow::Error::msg)?;
        run_build("the replay binary for Miri", &mut cmd)?;
        Ok(self.miri.get_or_init(|| replay))
    }

    fn cargo(&self, toolchain: Option<&str>) -> Command {
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&self.project.root);
        if let Some(toolchain) = toolchain {
            cmd.arg(format!("+{toolchain}"));
        }
        cmd
    }
}

/// What OSS-Fuzz's `compile` sets RUSTFLAGS to for an AddressSanitizer build of Rust
/// (infra/base-images/base-builder/compile); `scripts/oss-fuzz-check` sets the same.
const OSS_FUZZ_RUSTFLAGS: &str =
    "--cfg fuzzing -Zsanitizer=address -Cdebuginfo=1 -Cforce-frame-pointers";

fn features(cmd: &mut Command, features: &[String]) {
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
}

fn run_build(what: &str, cmd: &mut Command) -> Result<()> {
    let spinner = ui::spinner(format!("building {what}"));
    let done = process::run(cmd, BUILD_LIMIT)?;
    spinner.finish_and_clear();
    if done.timed_out() {
        bail!(
            "building {what} took over {} minutes: stopped",
            BUILD_LIMIT.as_secs() / 60
        );
    }
    if done.code() != Some(0) {
        let tail: Vec<&str> = done.stderr.lines().rev().take(25).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("building {what} failed:\n{}", tail.join("\n"));
    }
    Ok(())
}

/// Fails with the fix when the nightly toolchain is missing.
pub fn check_nightly(dir: &Path) -> Result<()> {
    let ok = Command::new("cargo")
        .current_dir(dir)
        .args(["+nightly", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        bail!(
            "the nightly toolchain is missing (fuzzing and Miri need it): install it with \
             `rustup toolchain install nightly` (or run scripts/setup)"
        );
    }
    Ok(())
}

/// Whether `cargo NAME --version` runs: the cargo subcommand is installed.
pub fn has_cargo_subcommand(name: &str) -> bool {
    Command::new("cargo")
        .args([name, "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Fails with the fix when cargo-fuzz is missing.
pub fn check_cargo_fuzz() -> Result<()> {
    if !has_cargo_subcommand("fuzz") {
        bail!(
            "cargo-fuzz is not installed: `cargo install --locked cargo-fuzz` (or run scripts/setup)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The scripts build fuzz targets with the flags `lockstep fuzz` uses, so they share its
    /// build: scripts/lib.sh must say the same.
    #[test]
    fn the_scripts_build_with_the_same_flags() {
        let lib = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/lib.sh"),
        )
        .unwrap();
        assert!(
            lib.contains(&format!(
                "OSS_FUZZ_RUSTFLAGS=\"{}\"",
                super::OSS_FUZZ_RUSTFLAGS
            )),
            "scripts/lib.sh's OSS_FUZZ_RUSTFLAGS differs from builds.rs's"
        );
    }
}
