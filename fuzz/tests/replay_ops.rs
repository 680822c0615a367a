//! `replay ops`: the op coverage of a directory of inputs as a fuzzer left it.

use std::process::Command;

fn replay(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_replay")).args(args).output().unwrap()
}

#[test]
fn a_corpus_is_counted_as_its_fuzz_target_ran_it() {
    let dir = std::env::temp_dir().join(format!("lockstep-replay-ops-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let trace = "# lockstep trace\n# target: raw_buf\nPush(1)\nPop\n";
    std::fs::write(dir.join("trace"), trace).unwrap();
    std::fs::write(dir.join("bytes"), [0u8, 7, 0, 0, 0, 2]).unwrap();
    // The empty input, a run of no ops; and what the fuzz target runs as nothing: a fuzzer's
    // edit of a trace that is no longer text, and libFuzzer's own hidden files.
    std::fs::write(dir.join("empty"), b"").unwrap();
    std::fs::write(dir.join("edited"), b"# lockstep trace\n\xff\xfe").unwrap();
    std::fs::write(dir.join(".state"), b"x").unwrap();
    let dir_arg = dir.to_str().unwrap().to_owned();
    let out = replay(&["ops", "--records", "raw_buf", &dir_arg]);
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let coverage: lockstep::op_coverage::OpCoverage =
        lockstep::driver::from_record(&stdout).unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!((coverage.cases, coverage.ops), (3, 3), "{}", coverage.render());
    let pop = coverage.variants.iter().find(|v| v.name == "Op::Pop").unwrap();
    assert_eq!((pop.runs, pop.real()), (1, 1), "{}", coverage.render());

    // With no inputs, every variant is listed with nothing counted.
    let out = replay(&["ops", "raw_buf"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(table.contains("Op::WithCapacity") && table.contains("0 cases, 0 ops"), "{table}");

    // A path that is not there is an error, with the path.
    let out = replay(&["ops", "raw_buf", "/nonexistent/input"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/input"));
}
