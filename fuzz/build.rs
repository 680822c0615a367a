//! Embeds the committed cases under `corpora/` into the tests, so they run under Miri too (whose
//! isolation forbids reading files) and a new case file becomes a test without editing code.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let corpora = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora");
    println!("cargo::rerun-if-changed={}", corpora.display());
    let mut out = String::from("/// The seeded-bug inputs under `corpora/<target>/seeded/`.\n");
    out.push_str("pub const SEEDED_CASES: &[SeededCase] = &[\n");
    for (target, path) in traces(&corpora, "seeded") {
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 file name");
        let path = path
            .canonicalize()
            .expect("a committed case file")
            .display()
            .to_string();
        writeln!(
            out,
            "    SeededCase {{ target: {target:?}, bug_id: {id:?}, path: {path:?}, \
             trace: include_str!({path:?}) }},"
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("cases.rs");
    std::fs::write(dest, out).expect("writing the generated cases");
}

/// `(target, file)` for every `*.trace` in `corpora/<target>/<kind>/`, sorted.
fn traces(corpora: &Path, kind: &str) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let Ok(targets) = std::fs::read_dir(corpora) else {
        return found;
    };
    for target in targets.flatten() {
        let Ok(files) = std::fs::read_dir(target.path().join(kind)) else {
            continue;
        };
        let name = target.file_name().to_string_lossy().into_owned();
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "trace") {
                found.push((name.clone(), path));
            }
        }
    }
    found.sort();
    found
}
