//! The three specs as proptest tests: `cargo test -p lockstep-fuzz --test proptest`. With
//! `--features seeded-bugs` and `LOCKSTEP_SEEDED_BUG=<id>`, the test of that bug's target fails
//! with the shrunk trace and a `#[test]` that reproduces it.

lockstep::proptest_test!(raw_buf, lockstep_fuzz::raw_buf::RawBufSpec);
lockstep::proptest_test!(intrusive_list, lockstep_fuzz::intrusive_list::ListSpec);
lockstep::proptest_test!(arena_graph, lockstep_fuzz::arena_graph::GraphSpec);
