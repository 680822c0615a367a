//! Running AFL++ through cargo-afl: where its `afl-fuzz` is, and what its stats file says.
//!
//! The target is built by `cargo afl build` (see [`crate::builds::Builds::afl_target`]) with
//! AddressSanitizer, `--cfg lockstep_afl` (so `lockstep::fuzz_target!` defines an AFL++ main in
//! persistent mode) and `AFL_NO_CFG_FUZZING=1` (so the libFuzzer side of the macro stays out).
//! `afl-fuzz` is run directly, not through `cargo afl fuzz`, so that killing it at the end of
//! the time budget leaves no process behind.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use crate::libfuzzer::Status;

/// The fix for a missing AFL++, in every error that needs it.
const INSTALL: &str = "install it with `cargo install --locked cargo-afl` and `cargo +nightly afl \
                       config --build` (or run scripts/setup)";

/// Fails with the fix when cargo-afl is missing.
pub fn check_cargo_afl() -> Result<()> {
    if !crate::builds::has_cargo_subcommand("afl") {
        bail!("cargo-afl is not installed: {INSTALL}");
    }
    Ok(())
}

/// The `afl-fuzz` cargo-afl built for the nightly toolchain (the one the targets are built
/// with): `<data dir>/afl.rs/rustc-<version>-<short commit>/afl.rs-<cargo-afl version>/afl/bin`.
pub fn afl_fuzz(root: &Path) -> Result<PathBuf> {
    check_cargo_afl()?;
    let out = Command::new("rustc")
        .current_dir(root)
        .args(["+nightly", "--version"])
        .output();
    let version = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => bail!("the nightly toolchain is missing: `rustup toolchain install nightly`"),
    };
    let dir_name = rustc_dir_name(&version)
        .ok_or_else(|| anyhow::anyhow!("cannot read the nightly version from `{version}`"))?;
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .ok_or_else(|| anyhow::anyhow!("neither XDG_DATA_HOME nor HOME is set"))?;
    let rustc_dir = data.join("afl.rs").join(&dir_name);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&rustc_dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join("afl/bin/afl-fuzz"))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    match found.pop() {
        Some(path) => Ok(path),
        None => bail!(
            "AFL++ is not built for this nightly toolchain (no afl-fuzz under {}): {INSTALL}",
            rustc_dir.display()
        ),
    }
}

/// `rustc 1.97.0-nightly (e50aa6fd9 2026-05-18)` -> `rustc-1.97.0-nightly-e50aa6f`, the
/// directory cargo-afl keeps a toolchain's AFL++ in.
fn rustc_dir_name(version: &str) -> Option<String> {
    let mut words = version.split_whitespace();
    let (_, number) = (words.next()?, words.next()?);
    let commit = words.next()?.trim_start_matches('(');
    Some(format!("rustc-{number}-{}", commit.get(..7)?))
}

/// What AFL++'s `fuzzer_stats` file in `instance` (its output directory's instance folder)
/// says, as a [`Status`]: executions, coverage (edges found), corpus size, exec/s.
pub fn read_stats(instance: &Path) -> Option<Status> {
    let text = std::fs::read_to_string(instance.join("fuzzer_stats")).ok()?;
    Some(parse_stats(&text))
}

fn parse_stats(text: &str) -> Status {
    let mut status = Status::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let number = || value.parse::<f64>().map_or(0, |v| v as u64);
        match key.trim() {
            "execs_done" => status.execs = number(),
            "execs_per_sec" => status.exec_per_sec = number(),
            "corpus_count" => status.corpus = number(),
            "edges_found" => status.cov = number(),
            _ => {}
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nightly_directory_is_named_as_cargo_afl_names_it() {
        assert_eq!(
            rustc_dir_name("rustc 1.97.0-nightly (e50aa6fd9 2026-05-18)\n").as_deref(),
            Some("rustc-1.97.0-nightly-e50aa6f")
        );
        assert_eq!(rustc_dir_name("rustc"), None);
    }

    #[test]
    fn stats_are_read_from_fuzzer_stats() {
        let status = parse_stats(
            "start_time        : 1796589501\nexecs_done        : 211450\n\
             execs_per_sec     : 7045.98\ncorpus_count      : 680\nedges_found       : 4823\n",
        );
        assert_eq!(
            (status.execs, status.exec_per_sec, status.corpus, status.cov),
            (211_450, 7045, 680, 4823)
        );
    }
}
