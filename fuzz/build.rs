//! Embeds the regression corpus (`corpora/<target>/regressions/`) into the crate and generates a
//! test per case, so the cases run under `cargo test` and `cargo miri test` (whose isolation
//! forbids reading files), and a new case becomes a test without editing code.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let corpora = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora");
    println!("cargo::rerun-if-changed={}", corpora.display());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    let mut table = String::from("/// Every stored regression case.\n");
    table.push_str("pub const REGRESSIONS: &[RegressionCase] = &[\n");
    // A module per target and a test per case: `raw_buf::raw_buf_drain_overread_42928ecf`.
    let mut tests = String::new();
    let mut module: Option<&str> = None;
    let cases = regressions(&corpora);
    for (i, (target, name, meta, trace)) in cases.iter().enumerate() {
        let (meta, trace) = (meta.display().to_string(), trace.display().to_string());
        let entry = format!(
            "    RegressionCase {{ target: {target:?}, name: {name:?}, path: {trace:?}, \
             trace: include_str!({trace:?}), meta: include_str!({meta:?}) }},\n"
        );
        table.push_str(&entry);
        if module != Some(target.as_str()) {
            if module.is_some() {
                tests.push_str("}\n\n");
            }
            let _ = writeln!(tests, "mod {} {{\n    use super::*;\n", identifier(target));
            module = Some(target);
        }
        let test = identifier(name);
        let _ = writeln!(
            tests,
            "    #[test]\n    fn {test}() {{\n        check(&REGRESSIONS[{i}]);\n    }}\n"
        );
    }
    if module.is_some() {
        tests.push_str("}\n");
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("regressions.rs"), table).expect("writing the corpus table");
    std::fs::write(out_dir.join("regression_tests.rs"), tests).expect("writing the corpus tests");
}

/// `name` as a Rust identifier.
fn identifier(name: &str) -> String {
    name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
}

/// `(target, name, metadata file, trace file)` of every case, sorted.
fn regressions(corpora: &Path) -> Vec<(String, String, PathBuf, PathBuf)> {
    let mut found = Vec::new();
    let Ok(targets) = std::fs::read_dir(corpora) else {
        return found;
    };
    for target in targets.flatten() {
        let Ok(files) = std::fs::read_dir(target.path().join("regressions")) else {
            continue;
        };
        let target_name = target.file_name().to_string_lossy().into_owned();
        for file in files.flatten() {
            let meta = file.path();
            if meta.extension().is_some_and(|e| e == "toml") {
                let name = meta
                    .file_stem()
                    .expect("a file name")
                    .to_string_lossy()
                    .into_owned();
                let meta = meta.canonicalize().expect("a committed case file");
                found.push((
                    target_name.clone(),
                    name,
                    meta.clone(),
                    meta.with_extension("trace"),
                ));
            }
        }
    }
    found.sort();
    found
}
