//! `lockstep import` on testcases laid out as ClusterFuzzLite and OSS-Fuzz hand them out, run
//! for real with the seeded bug `raw_buf-drain-inclusive` on, against a copy of the raw_buf
//! corpus without that bug's cases (`--corpora`): the crash is mapped to its target, stored as
//! new, and refused as known when it comes back; a file no target can be found for stops the
//! import before anything is stored. The repository's corpus is never touched.

mod common;

use common::{report, workspace};

use std::path::Path;
use std::process::Output;

const BUG: &str = "raw_buf-drain-inclusive";
/// A stored case of the bug: its trace is what a fuzzer elsewhere would have found (a fuzz
/// target runs a trace as its ops, and the seed corpus OSS-Fuzz gets holds every case's trace).
/// Not its fuzzer bytes: those decode to other ops once the op enum gains a variant.
const CASE: &str = "raw_buf-drain-inclusive-f519b1e8";

fn import(corpora: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(workspace())
        .args(["--color", "never", "--corpora"])
        .arg(corpora)
        .args(["import", "--seeded-bug", BUG, "--engines", "native,asan"])
        .args(args)
        .output()
        .unwrap()
}

/// The raw_buf corpus without the bug's cases.
fn corpora_without_the_bug() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("raw_buf/regressions");
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(workspace().join("corpora/raw_buf/regressions")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.starts_with(BUG) {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
    dir
}

fn stored(corpora: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpora.join("raw_buf/regressions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(BUG) && n.ends_with(".toml"))
        .collect();
    names.sort();
    names
}

#[test]
fn imports_store_new_crashes_and_refuse_known_ones() {
    let corpora = corpora_without_the_bug();
    let bytes =
        std::fs::read(workspace().join(format!("corpora/raw_buf/regressions/{CASE}.trace")))
            .unwrap();

    // A file no name or folder maps to a target: nothing runs, nothing is stored.
    let downloads = tempfile::tempdir().unwrap();
    std::fs::write(downloads.path().join("crash-from-somewhere"), &bytes).unwrap();
    let output = import(corpora.path(), &[downloads.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", report(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot tell which target") && stderr.contains("pass --target"),
        "{}",
        report(&output)
    );
    assert!(stored(corpora.path()).is_empty());

    // ClusterFuzzLite's crash artifact: `crashes-<target>/<sanitizer>/crash-<sha1>`
    // with its stack trace beside it, which is no testcase.
    let artifacts = tempfile::tempdir().unwrap();
    let dir = artifacts.path().join("crashes-raw_buf/address");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("crash-4f1e0c3b"), &bytes).unwrap();
    std::fs::write(dir.join("crash-4f1e0c3b.summary"), "==1==ERROR: ...\n").unwrap();
    let output = import(corpora.path(), &[artifacts.path().to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a new failure exits 1\n{}",
        report(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("crash-4f1e0c3b") && stdout.contains("stored as"),
        "{}",
        report(&output)
    );
    assert!(!stdout.contains(".summary"), "{}", report(&output));
    let new = stored(corpora.path());
    assert_eq!(new.len(), 1, "{new:?}\n{}", report(&output));
    let meta =
        std::fs::read_to_string(corpora.path().join("raw_buf/regressions").join(&new[0])).unwrap();
    assert!(meta.contains("found_by = \"lockstep import\""), "{meta}");
    assert!(meta.contains(&format!("seeded_bug = \"{BUG}\"")), "{meta}");

    // The same crash from OSS-Fuzz, named as ClusterFuzz names its downloads: known, refused.
    let name = "clusterfuzz-testcase-minimized-raw_buf-5712345678901234";
    std::fs::write(downloads.path().join(name), &bytes).unwrap();
    let output = import(
        corpora.path(),
        &[downloads.path().join(name).to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", report(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("refused, known: already stored as"),
        "{}",
        report(&output)
    );
    assert_eq!(
        stored(corpora.path()),
        new,
        "a known crash was stored again"
    );
}
