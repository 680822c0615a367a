//! The report parsers, on real reports (trimmed; the workspace path replaced by `/ws`).

use super::*;
use lockstep_store::miri::AliasingModel;

fn project() -> Project {
    Project::fixture()
}

fn judged(engine: Engine, stderr: &str, code: i32) -> Verdict {
    use std::os::unix::process::ExitStatusExt;
    let done = Finished {
        status: Some(std::process::ExitStatus::from_raw(code << 8)),
        stdout: String::new(),
        stderr: stderr.to_owned(),
    };
    judge(&project(), engine, &done, Limits::default())
}

fn finding(engine: Engine, stderr: &str) -> Finding {
    match judged(engine, stderr, 1) {
        Verdict::Fail(f) => f,
        other => panic!("not a failure: {other:?}"),
    }
}

#[test]
fn asan_heap_buffer_overflow_names_the_subject_frame() {
    let f = finding(
        Engine::Asan,
        include_str!("fixtures/asan-heap-buffer-overflow.txt"),
    );
    assert_eq!(f.class, Class::OutOfBounds);
    assert_eq!(f.frame, "structures/src/raw_buf/drain.rs:150");
    assert_eq!(f.summary, "heap-buffer-overflow");
    assert_eq!(
        f.signature(),
        "out-of-bounds at structures/src/raw_buf/drain.rs:150"
    );
}

#[test]
fn asan_heap_use_after_free() {
    let f = finding(
        Engine::Asan,
        include_str!("fixtures/asan-heap-use-after-free.txt"),
    );
    assert_eq!(f.class, Class::UseAfterFree);
    assert!(
        f.frame.starts_with("structures/src/raw_buf/"),
        "{}",
        f.frame
    );
}

#[test]
fn miri_double_free_is_told_from_use_after_free() {
    let f = finding(
        Engine::MiriSb,
        include_str!("fixtures/miri-double-free.txt"),
    );
    assert_eq!(f.class, Class::DoubleFree);
    assert_eq!(f.frame, "structures/src/raw_buf/mod.rs:928");
}

#[test]
fn miri_out_of_bounds_and_uninit() {
    let f = finding(
        Engine::MiriTb,
        include_str!("fixtures/miri-out-of-bounds.txt"),
    );
    assert_eq!(
        (f.class, f.frame.as_str()),
        (Class::OutOfBounds, "structures/src/raw_buf/drain.rs:150")
    );
    let f = finding(Engine::MiriSb, include_str!("fixtures/miri-uninit.txt"));
    assert_eq!(f.class, Class::UninitRead);
    assert!(
        f.frame.starts_with("structures/src/raw_buf/mod.rs:"),
        "{}",
        f.frame
    );
}

#[test]
fn miri_aliasing_names_the_model() {
    let sb = finding(
        Engine::MiriSb,
        include_str!("fixtures/miri-stacked-borrows.txt"),
    );
    assert_eq!(sb.class, Class::Aliasing(AliasingModel::StackedBorrows));
    assert_eq!(sb.frame, "structures/src/lib.rs:8");
    let tb = finding(
        Engine::MiriTb,
        include_str!("fixtures/miri-tree-borrows.txt"),
    );
    assert_eq!(tb.class, Class::Aliasing(AliasingModel::TreeBorrows));
    assert_eq!(
        sb.signature(),
        tb.signature(),
        "one violation, one finding, whichever model"
    );
}

#[test]
fn miri_leak() {
    let f = finding(Engine::MiriSb, include_str!("fixtures/miri-leak.txt"));
    assert_eq!(
        (f.class, f.frame.as_str()),
        (Class::Leak, "structures/src/lib.rs:11")
    );
}

#[test]
fn a_passing_replay_passes_and_a_mute_crash_is_a_crash() {
    use std::os::unix::process::ExitStatusExt;
    let report = r#"(target:"raw_buf",ops:2,steps:2,failure:None,trace:"")"#;
    let done = Finished {
        status: Some(std::process::ExitStatus::from_raw(0)),
        stdout: format!("{report}\n"),
        stderr: String::new(),
    };
    assert_eq!(
        judge(&project(), Engine::Native, &done, Limits::default()),
        Verdict::Pass
    );
    let killed = Finished {
        status: Some(std::process::ExitStatus::from_raw(11)),
        ..done
    };
    assert_eq!(
        judge(&project(), Engine::Native, &killed, Limits::default()).cell(),
        "crash"
    );
}

#[test]
fn a_timeout_says_which_flag_raises_the_limit() {
    let done = Finished {
        status: None,
        stdout: String::new(),
        stderr: String::new(),
    };
    let Verdict::Error { message } = judge(&project(), Engine::MiriTb, &done, Limits::default())
    else {
        panic!("a timeout is an error")
    };
    assert!(message.contains("--miri-timeout"), "{message}");
}

/// A debug precondition check of `get_unchecked` panics without unwinding: the process
/// aborts. The harness's one line before the abort names the finding, not "died of a signal".
#[test]
fn a_non_unwinding_panic_is_an_abort_where_it_was_raised() {
    use std::os::unix::process::ExitStatusExt;
    let done = Finished {
        status: Some(std::process::ExitStatus::from_raw(libc::SIGABRT)),
        stdout: String::new(),
        stderr:
            "lockstep: non-unwinding panic at /ws/structures/src/raw_buf/mod.rs:276:24: unsafe \
                 precondition(s) violated: slice::get_unchecked requires that the index is within \
                 the slice\nthread caused non-unwinding panic. aborting.\n"
                .to_owned(),
    };
    let Verdict::Fail(f) = judge(&project(), Engine::Native, &done, Limits::default()) else {
        panic!("not a failure");
    };
    assert_eq!(f.class, Class::Abort);
    assert_eq!(f.signature(), "abort at structures/src/raw_buf/mod.rs:276");
    assert!(
        f.summary.starts_with("unsafe precondition(s) violated"),
        "{}",
        f.summary
    );
}

/// std's backtraces write workspace files as `./structures/...`; a signature names the file the
/// same way whoever wrote it.
#[test]
fn dot_slash_paths_are_the_same_file() {
    let p = project();
    assert_eq!(
        p.relative("./structures/src/a.rs:5"),
        "structures/src/a.rs:5"
    );
    assert_eq!(
        p.relative("/ws/structures/src/a.rs:5"),
        "structures/src/a.rs:5"
    );
    assert!(p.is_subject_file("./structures/src/a.rs"));
}
