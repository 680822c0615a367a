//! The project lockstep works on: found through `cargo metadata`, laid out as the README says
//! (a cargo-fuzz package with a `replay` binary, `corpora/<target>/` at the workspace root).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A workspace with a lockstep fuzz package.
#[derive(Debug, Clone)]
pub struct Project {
    /// The workspace root.
    pub root: PathBuf,
    /// Cargo's target directory.
    pub target_dir: PathBuf,
    /// The cargo-fuzz package (`[package.metadata] cargo-fuzz = true`).
    pub fuzz_package: String,
    /// Its directory.
    pub fuzz_dir: PathBuf,
    /// Its fuzz targets (the binaries under `fuzz_targets/`), sorted.
    pub targets: Vec<String>,
    /// Whether it has a `seeded-bugs` feature.
    pub has_seeded_bugs: bool,
    /// The directories of the crates under test: every other workspace member except lockstep's
    /// own crates. Stack frames in them are what signatures are made of.
    pub subject_dirs: Vec<PathBuf>,
    /// The host triple (cargo-fuzz builds for it).
    pub host: String,
    /// The corpora: `<target>/seeds/` and `<target>/regressions/` (`corpora/` at the root).
    pub corpora: PathBuf,
}

/// The replay binary every fuzz package has.
pub const REPLAY_BIN: &str = "replay";

impl Project {
    /// A project rooted at `/ws` with the reference layout, for tests that read fixtures.
    #[cfg(test)]
    pub fn fixture() -> Project {
        Project {
            root: PathBuf::from("/ws"),
            target_dir: PathBuf::from("/ws/target"),
            fuzz_package: "lockstep-fuzz".into(),
            fuzz_dir: PathBuf::from("/ws/fuzz"),
            targets: vec!["raw_buf".into()],
            has_seeded_bugs: true,
            subject_dirs: vec![PathBuf::from("/ws/structures")],
            host: "x86_64-unknown-linux-gnu".into(),
            corpora: PathBuf::from("/ws/corpora"),
        }
    }

    /// Finds the project from the current directory (or `manifest`).
    pub fn discover(manifest: Option<&Path>) -> Result<Project> {
        let mut cmd = Command::new("cargo");
        cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
        if let Some(manifest) = manifest {
            cmd.arg("--manifest-path").arg(manifest);
        }
        let out = cmd
            .output()
            .context("running `cargo metadata` (is cargo installed?)")?;
        if !out.status.success() {
            bail!(
                "`cargo metadata` failed: {} (run lockstep inside a Cargo workspace, or pass \
                 --manifest-path)",
                crate::process::last_words(&String::from_utf8_lossy(&out.stderr))
            );
        }
        let meta: Value =
            serde_json::from_slice(&out.stdout).context("reading `cargo metadata`")?;
        let root = PathBuf::from(str_at(&meta, "workspace_root")?);
        let target_dir = PathBuf::from(str_at(&meta, "target_directory")?);
        let packages = meta["packages"]
            .as_array()
            .context("`cargo metadata` lists no packages")?;
        let members: Vec<&Value> = packages.iter().collect();

        let fuzz = members
            .iter()
            .find(|p| p["metadata"]["cargo-fuzz"].as_bool() == Some(true))
            .with_context(|| {
                format!(
                    "no fuzz package in the workspace at {}: add a package with \
                     `[package.metadata] cargo-fuzz = true` (see the README)",
                    root.display()
                )
            })?;
        let fuzz_package = str_at(fuzz, "name")?.to_owned();
        let fuzz_dir = dir_of(fuzz)?;
        let bins = fuzz["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
            });
        let mut targets = Vec::new();
        let mut has_replay = false;
        for bin in bins {
            let name = str_at(bin, "name")?;
            has_replay |= name == REPLAY_BIN;
            if Path::new(str_at(bin, "src_path")?).starts_with(fuzz_dir.join("fuzz_targets")) {
                targets.push(name.to_owned());
            }
        }
        targets.sort();
        if !has_replay {
            bail!(
                "the fuzz package `{fuzz_package}` has no `{REPLAY_BIN}` binary: add \
                 src/bin/{REPLAY_BIN}.rs calling `lockstep::replay_main!` (see the README)"
            );
        }
        if targets.is_empty() {
            bail!("the fuzz package `{fuzz_package}` has no targets in fuzz_targets/");
        }
        let has_seeded_bugs = fuzz["features"].get("seeded-bugs").is_some();
        let subject_dirs = members
            .iter()
            .filter(|p| {
                let name = p["name"].as_str().unwrap_or_default();
                !["lockstep", "lockstep-store", "lockstep-cli"].contains(&name)
            })
            .map(|p| dir_of(p))
            // The fuzz package, and crates inside it (its regression tests), are the spec's.
            .filter(|dir| dir.as_ref().is_ok_and(|d| !d.starts_with(&fuzz_dir)) || dir.is_err())
            .collect::<Result<_>>()?;
        Ok(Project {
            host: host_triple()?,
            corpora: root.join("corpora"),
            root,
            target_dir,
            fuzz_package,
            fuzz_dir,
            targets,
            has_seeded_bugs,
            subject_dirs,
        })
    }

    /// Checks that `name` is a target, or says which ones there are.
    pub fn check_target(&self, name: &str) -> Result<()> {
        if self.targets.iter().any(|t| t == name) {
            Ok(())
        } else {
            bail!(
                "unknown target `{name}`: the targets are {}",
                self.targets.join(", ")
            )
        }
    }

    /// `corpora/<target>/<kind>/`.
    pub fn corpus_dir(&self, target: &str, kind: &str) -> PathBuf {
        self.corpora.join(target).join(kind)
    }

    /// `fuzz/<kind>/<target>/`, or `fuzz/<kind>/<target>/seeded-<id>/` for a campaign with a
    /// seeded bug switched on: its crashes are kept apart, since without the bug (or with
    /// another) they would not reproduce. `kind` is `artifacts` (libFuzzer's) or `findings`
    /// (lockstep's copies).
    pub fn campaign_dir(&self, kind: &str, target: &str, seeded: Option<&str>) -> PathBuf {
        let dir = self.fuzz_dir.join(kind).join(target);
        match seeded {
            Some(id) => dir.join(format!("seeded-{id}")),
            None => dir,
        }
    }

    /// `path` relative to the workspace root, when it is inside it (std's backtraces write
    /// workspace files as `./structures/src/...`: the same file as `structures/src/...`).
    pub fn relative<'a>(&self, path: &'a str) -> &'a str {
        let root = self.root.to_string_lossy();
        let path = path
            .strip_prefix(root.as_ref())
            .map_or(path, |p| p.trim_start_matches('/'));
        path.strip_prefix("./").unwrap_or(path)
    }

    /// Whether a source file (absolute or relative to the root) belongs to a crate under test.
    pub fn is_subject_file(&self, file: &str) -> bool {
        let path = self.root.join(self.relative(file));
        self.subject_dirs.iter().any(|d| path.starts_with(d))
    }

    /// The frame a signature names, from a stack's files (innermost first): the first in a crate
    /// under test, else the first in the spec (the fuzz package), else none.
    pub fn signature_frame(&self, files: impl IntoIterator<Item = String>) -> Option<String> {
        let mut in_spec = None;
        for file in files {
            if self.is_subject_file(&file) {
                return Some(file);
            }
            if in_spec.is_none()
                && self
                    .root
                    .join(self.relative(&file))
                    .starts_with(&self.fuzz_dir)
            {
                in_spec = Some(file);
            }
        }
        in_spec
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    v[key]
        .as_str()
        .with_context(|| format!("`cargo metadata` has no `{key}`"))
}

fn dir_of(package: &Value) -> Result<PathBuf> {
    let manifest = PathBuf::from(str_at(package, "manifest_path")?);
    Ok(manifest
        .parent()
        .context("a manifest path has a parent")?
        .to_path_buf())
}

fn host_triple() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("running `rustc -vV`")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` names no host triple")
}
