//! Embeds the regression corpus (`corpora/<target>/regressions/`) and generates a test per case,
//! so the cases run under `cargo test` and `cargo miri test` (whose isolation forbids reading
//! files), and a new case becomes a test without editing code.

use std::path::{Path, PathBuf};

fn main() {
    let corpora = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora");
    println!("cargo::rerun-if-changed={}", corpora.display());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let (table, tests) = lockstep_store::corpus::regression_tests(&corpora);
    std::fs::write(out_dir.join("regressions.rs"), table).expect("writing the corpus table");
    std::fs::write(out_dir.join("regression_tests.rs"), tests).expect("writing the corpus tests");
}
