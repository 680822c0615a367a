//! `lockstep import`: testcases found by OSS-Fuzz or ClusterFuzzLite, brought into the corpus.
//! Each file is mapped to its target by what those services name it (OSS-Fuzz's
//! `clusterfuzz-testcase[-minimized]-<target>-<id>`, ClusterFuzzLite's `<target>/<sanitizer>/`
//! artifact folders and `crashes-<target>` artifacts), copied under `fuzz/imported/`, and
//! then shrunk, triaged and stored by the pipeline a campaign's findings go through: a failure
//! the corpus holds is refused as known, one stored as fixed that fails again is a regression.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::fuzz::corpus_cell;
use super::triage::{EngineArgs, short_name};
use super::{Ctx, status};
use crate::builds::Builds;
use crate::engines::Engine;
use crate::pipeline::{self, CorpusIndex, Input, Processed, Settings};
use crate::triage;
use crate::ui;

/// Import testcases downloaded from OSS-Fuzz (ClusterFuzz) or ClusterFuzzLite.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Testcase files, or folders to search for them (an unpacked ClusterFuzzLite artifact, a
    /// folder of ClusterFuzz downloads).
    #[arg(required = true, value_parser = crate::ui::absolute)]
    paths: Vec<PathBuf>,
    /// The target of testcases whose name and folder do not tell it.
    #[arg(long, value_name = "TARGET")]
    target: Option<String>,
    /// Triage and report, but store nothing (the shrunk traces stay in fuzz/imported/).
    #[arg(long)]
    no_store: bool,
    #[command(flatten)]
    engines: EngineArgs,
}

/// One imported file and what became of it.
#[derive(Debug, Serialize)]
struct Imported {
    /// The file given.
    file: PathBuf,
    /// Its target.
    target: String,
    /// What the pipeline made of it (its `case` is the copy under fuzz/imported/).
    processed: Option<Processed>,
    /// Why it could not be processed.
    error: Option<String>,
}

/// Runs `lockstep import`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    let project = &ctx.project;
    if let Some(target) = &args.target {
        project.check_target(target)?;
    }
    let engines = triage::parse_engines(&args.engines.engines)?;
    let mut files = Vec::new();
    for path in &args.paths {
        testcases(path, &mut files)?;
    }
    if files.is_empty() {
        bail!(
            "no testcases in {}: ClusterFuzz names them clusterfuzz-testcase-*, libFuzzer and \
             ClusterFuzzLite crash-*, leak-*, timeout-* or oom-* (give a file itself to import \
             it whatever its name)",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // Every file's target first, so a file no target is found for stops the import before
    // anything is stored.
    let mut by_target: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for (root, file) in files {
        let target = target_of(&root, &file, &project.targets)
            .or_else(|| args.target.clone())
            .with_context(|| {
                format!(
                    "cannot tell which target {} is for (its name and folders name none of {}): \
                     pass --target",
                    file.display(),
                    project.targets.join(", ")
                )
            })?;
        by_target.entry(target).or_default().push(file);
    }

    let builds = Builds::new(project);
    let mut imported = Vec::new();
    for (target, files) in &by_target {
        let seeded = ctx.seeded_list(&builds, &args.engines.seeded_bug, Some(target))?;
        let accepted = lockstep_store::corpus::read_accepted(
            &project.corpora.join(target).join("accepted.toml"),
        )?;
        let settings = Settings {
            target,
            seeded_bug: seeded.as_deref(),
            engines: &engines,
            limits: args.engines.limits(),
            store: !args.no_store,
            found_by: "lockstep import",
            accepted: &accepted,
        };
        let dir = project.campaign_dir("imported", target, seeded.as_deref());
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut index = CorpusIndex::load(project, &builds, &settings)?;
        let mut earlier = Vec::new();
        for file in files {
            let spinner = ui::spinner(format!("importing {}", file.display()));
            let result = import_one(
                project,
                &builds,
                &settings,
                &mut index,
                &mut earlier,
                &dir,
                file,
            )
            .map_err(|e| format!("{e:#}"));
            spinner.finish_and_clear();
            if !ctx.json {
                eprintln!("{}", line(target, file, &result));
            }
            let (processed, error) = match result {
                Ok(p) => (Some(p), None),
                Err(e) => (None, Some(e)),
            };
            imported.push(Imported {
                file: file.clone(),
                target: target.clone(),
                processed,
                error,
            });
        }
    }

    if ctx.json {
        println!("{}", serde_json::to_string(&imported)?);
    } else {
        print!("{}", render(&imported));
    }
    let errors = imported.iter().filter(|i| i.error.is_some()).count();
    if errors > 0 {
        bail!(
            "{errors} of {} {} could not be imported (see above); the others were",
            imported.len(),
            ui::plural(imported.len(), "testcase", "testcases")
        );
    }
    // Like a campaign: 1 when there is something to look at, a new failure or a regression.
    Ok(status(imported.iter().any(|i| {
        i.processed
            .as_ref()
            .is_some_and(|p| p.is_new() || p.regression.is_some())
    })))
}

/// Copies `file` under `dir` and sends the copy through the pipeline.
fn import_one(
    project: &crate::project::Project,
    builds: &Builds<'_>,
    settings: &Settings<'_>,
    index: &mut CorpusIndex,
    earlier: &mut Vec<Processed>,
    dir: &Path,
    file: &Path,
) -> Result<Processed> {
    let bytes = match lockstep::case::read(file)? {
        lockstep::case::Case::Bytes(bytes) => bytes,
        lockstep::case::Case::Trace(text) => text.into_bytes(),
    };
    let copy = dir.join(copy_name(file, &bytes));
    // Imported again: processed again (the corpus may have changed since), from a fresh copy.
    for suffix in [".processed.json", ".shrunk.trace"] {
        let _ = std::fs::remove_file(pipeline::sibling(&copy, suffix));
    }
    std::fs::write(&copy, &bytes).with_context(|| format!("writing {}", copy.display()))?;
    let input = Input::File {
        case: copy.clone(),
        // ClusterFuzz fuzzes with AddressSanitizer; the native replay names what it sees alone.
        quick: vec![Engine::Asan, Engine::Native],
    };
    let p = pipeline::process(project, builds, settings, index, &input, earlier)?;
    pipeline::mark_processed(&copy, &p)?;
    Ok(p)
}

/// A name for the copy of `file`: its own name, kept to safe characters, after a hash of its
/// bytes (so two downloads of the same name stay apart, and the same testcase is one file).
fn copy_name(file: &Path, bytes: &[u8]) -> String {
    let name: String = short_name(file)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let checksum = lockstep::case::checksum(bytes);
    let hash = checksum.rsplit(':').next().unwrap_or_default();
    format!("{}-{}", &hash[..8], name.trim_start_matches('.'))
}

/// Whether a file found in a folder is a testcase: what ClusterFuzz and libFuzzer name them.
fn is_testcase_name(name: &str) -> bool {
    const PREFIXES: [&str; 6] = [
        "clusterfuzz-testcase-",
        "crash-",
        "leak-",
        "timeout-",
        "oom-",
        "slow-unit-",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p))
        && !name.ends_with(".summary")
        && !name.ends_with(".json")
        && !name.ends_with(".trace")
        && !name.ends_with(".txt")
}

/// The testcases under `path` (a file is one whatever its name), each with the folder it was
/// found from.
fn testcases(path: &Path, out: &mut Vec<(PathBuf, PathBuf)>) -> Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.is_file() {
        let root = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        out.push((root, path.to_path_buf()));
        return Ok(());
    }
    if !meta.is_dir() {
        bail!("{} is neither a file nor a folder", path.display());
    }
    let mut stack = vec![path.to_path_buf()];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
            // Symbolic links are not followed: nothing outside the folder given is read.
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() && is_testcase_name(&entry.file_name().to_string_lossy()) {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    out.extend(found.into_iter().map(|f| (path.to_path_buf(), f)));
    Ok(())
}

/// The target `file` (found under `root`) is for, from its name or its folders: OSS-Fuzz's
/// `clusterfuzz-testcase[-minimized]-<target>-<id>`, or a folder named `<target>` (ClusterFuzzLite
/// keeps crashes in `<target>/<sanitizer>/`) or `[cifuzz-]crashes-<target>` (its artifacts).
fn target_of(root: &Path, file: &Path, targets: &[String]) -> Option<String> {
    let name = short_name(file);
    if let Some(rest) = name
        .strip_prefix("clusterfuzz-testcase-minimized-")
        .or_else(|| name.strip_prefix("clusterfuzz-testcase-"))
    {
        // `<target>-<id>`: the target is what is left of the last dash, and must be one.
        if let Some((target, id)) = rest.rsplit_once('-') {
            if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
                if let Some(t) = targets.iter().find(|t| *t == target) {
                    return Some(t.clone());
                }
            }
        }
    }
    let relative = file.strip_prefix(root).unwrap_or(file);
    let mut folders: Vec<String> = relative
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    // The folder given counts too: `lockstep import crashes-raw_buf/`.
    if let Some(last) = root.file_name() {
        folders.insert(0, last.to_string_lossy().into_owned());
    }
    // The innermost folder that names a target.
    folders.iter().rev().find_map(|folder| {
        let bare = folder.strip_prefix("cifuzz-").unwrap_or(folder);
        let bare = bare.strip_prefix("crashes-").unwrap_or(bare);
        targets.iter().find(|t| *t == bare).cloned()
    })
}

/// What became of one imported file, as a line said when it is known.
fn line(target: &str, file: &Path, result: &Result<Processed, String>) -> String {
    match result {
        Err(e) => format!("{target}: {}: could not import: {e}", short_name(file)),
        Ok(p) => format!(
            "{target}: {}: {}: {}",
            short_name(file),
            p.signature,
            cell(p)
        ),
    }
}

/// The corpus cell, which says "refused" for what the corpus already holds.
fn cell(p: &Processed) -> String {
    if p.known && p.regression.is_none() {
        format!("refused, known: {}", corpus_cell(p))
    } else {
        corpus_cell(p)
    }
}

fn render(imported: &[Imported]) -> String {
    let rows: Vec<Vec<String>> = imported
        .iter()
        .map(|i| {
            let (signature, corpus) = match (&i.processed, &i.error) {
                (Some(p), _) => (p.signature.clone(), cell(p)),
                (None, Some(e)) => ("-".to_owned(), format!("error: {e}")),
                (None, None) => ("-".to_owned(), "-".to_owned()),
            };
            vec![short_name(&i.file), i.target.clone(), signature, corpus]
        })
        .collect();
    let new = imported
        .iter()
        .filter(|i| i.processed.as_ref().is_some_and(Processed::is_new))
        .count();
    let mut out = ui::table(&["testcase", "target", "signature", "corpus"], &rows);
    out.push_str(&format!(
        "\n{} imported: {new} new {}\n",
        imported.len(),
        ui::plural(new, "failure", "failures")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<String> {
        ["raw_buf", "intrusive_list", "arena_graph"]
            .map(str::to_owned)
            .to_vec()
    }

    #[test]
    fn targets_come_from_clusterfuzz_names_and_clusterfuzzlite_folders() {
        let t = targets();
        let root = Path::new("/dl");
        let of = |f: &str| target_of(root, &root.join(f), &t);
        assert_eq!(
            of("clusterfuzz-testcase-minimized-intrusive_list-5071234567890").as_deref(),
            Some("intrusive_list")
        );
        assert_eq!(
            of("clusterfuzz-testcase-arena_graph-12").as_deref(),
            Some("arena_graph")
        );
        assert_eq!(of("raw_buf/address/crash-0a1b").as_deref(), Some("raw_buf"));
        assert_eq!(
            of("cifuzz-crashes-arena_graph/address/crash-0a1b").as_deref(),
            Some("arena_graph")
        );
        assert_eq!(of("crashes-raw_buf/crash-1").as_deref(), Some("raw_buf"));
        let folder = Path::new("/dl/crashes-intrusive_list");
        assert_eq!(
            target_of(folder, &folder.join("address/crash-1"), &t).as_deref(),
            Some("intrusive_list")
        );
        // Not a target, or no id: nothing is guessed.
        assert_eq!(of("clusterfuzz-testcase-minimized-other-12"), None);
        assert_eq!(of("clusterfuzz-testcase-minimized-raw_buf-x1"), None);
        assert_eq!(of("address/crash-1"), None);
    }

    #[test]
    fn only_testcases_are_taken_from_folders() {
        assert!(is_testcase_name("crash-0a1b2c"));
        assert!(is_testcase_name("clusterfuzz-testcase-minimized-raw_buf-1"));
        assert!(is_testcase_name("timeout-99"));
        assert!(!is_testcase_name("crash-0a1b2c.summary"));
        assert!(!is_testcase_name("crash-0a1b2c.processed.json"));
        assert!(!is_testcase_name("results.sarif"));
        assert!(!is_testcase_name("README"));
    }

    #[test]
    fn copies_are_named_safely_and_by_content() {
        let a = copy_name(Path::new("/x/crash-1"), b"one");
        let b = copy_name(Path::new("/y/crash-1"), b"two");
        assert_ne!(a, b);
        assert_eq!(a, copy_name(Path::new("/z/crash-1"), b"one"));
        let odd = copy_name(Path::new("/x/..crash $(rm -rf)"), b"one");
        assert!(
            odd.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{odd}"
        );
        assert!(!odd.contains(".."), "{odd}");
    }
}
