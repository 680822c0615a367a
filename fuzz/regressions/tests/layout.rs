//! Storing a case used to recompile every replay binary and fuzz target: the fuzz package's
//! build script embedded the corpus, so any change under `corpora/` rebuilt the whole package.
//! The corpus now belongs to this crate alone.

use std::path::Path;
use std::process::Command;

#[test]
fn the_fuzz_package_does_not_build_from_the_corpus() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(&workspace)
        .output()
        .expect("running cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let build_scripts = |name: &str| -> Vec<String> {
        let package = packages
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no package {name}"));
        package["targets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "custom-build"))
            .map(|t| t["src_path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(build_scripts("lockstep-fuzz"), Vec::<String>::new());
    assert_eq!(build_scripts("lockstep-regressions").len(), 1);
}
