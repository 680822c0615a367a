//! Handles, and reading case files: every bad file is a clear error.

use lockstep::Handles;
use lockstep::case::{self, Case, CaseError, MAX_CASE_BYTES};

#[test]
fn handles_wrap_indices_and_keep_removed_ones() {
    let mut h = Handles::new();
    assert_eq!(h.get(3u8), None);
    assert_eq!(h.remove(0u8), None);
    assert_eq!(h.removed(0u8), None);
    for id in [10, 11, 12] {
        h.push(id);
    }
    assert_eq!(h.get(4u8), Some(&11));
    assert_eq!(h.index(5u8), Some(2));
    assert_eq!(h.remove(4u8), Some(&11));
    assert_eq!(h.live(), &[10, 12]);
    assert_eq!(h.removed(7u8), Some(&11));
    assert_eq!(h.take(1u8), Some(12));
    h.push(13);
    h.retain(|&id| id != 10);
    assert_eq!(h.live(), &[13]);
    h.live_mut()[0] = 14;
    h.push(20);
    assert_eq!(h.pick(lockstep::Pick::Live(1), |h, d| h + d), Some(20));
    assert_eq!(
        h.pick(lockstep::Pick::Forged { live: 0, delta: 3 }, |h, d| h + d),
        Some(17)
    );
    assert_eq!(h.pick(lockstep::Pick::Stale(0), |h, d| h + d), Some(11));
    assert_eq!(h.position(&20), Some(1));
    h.rename(|&id| if id == 20 { 21 } else { id });
    assert_eq!((h.live(), h.removed(2u8)), (&[14, 21][..], Some(&20)));
    h.remove_all();
    assert!(h.is_empty());
    assert_eq!(h.len(), 0);
    assert_eq!(h.removed(1u8), Some(&10));
    assert_eq!(h.position(&14), None);
}

#[cfg_attr(miri, ignore = "reads and writes files")]
#[test]
fn case_files_are_read_or_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };

    let bytes = write("crash-1", &[1, 2, 3]);
    assert_eq!(case::read(&bytes).unwrap(), Case::Bytes(vec![1, 2, 3]));
    let trace = write("a.trace", b"# lockstep trace\nPop\n");
    assert_eq!(
        case::read(&trace).unwrap(),
        Case::Trace("# lockstep trace\nPop\n".into())
    );

    let missing = dir.path().join("nope");
    let err = case::read(&missing).unwrap_err();
    assert!(matches!(err, CaseError::Missing { .. }), "{err:?}");
    assert!(
        err.to_string().ends_with("nope: no such case file"),
        "{err}"
    );

    // The empty input, which fails when a fresh structure does.
    assert_eq!(
        case::read(&write("empty", b"")).unwrap(),
        Case::Bytes(Vec::new())
    );

    let huge = write("huge", &vec![0; MAX_CASE_BYTES as usize + 1]);
    let err = case::read(&huge).unwrap_err();
    assert!(matches!(err, CaseError::TooLarge { len, .. } if len == MAX_CASE_BYTES + 1));

    let err = case::read(&write("bad.trace", b"# lockstep trace\nPush(\xff)\n")).unwrap_err();
    assert!(
        matches!(err, CaseError::NotUtf8 { offset: 22, .. }),
        "{err:?}"
    );

    let err = case::read(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            CaseError::NotAFile {
                kind: "directory",
                ..
            }
        ),
        "{err:?}"
    );
}
