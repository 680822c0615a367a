//! The three specs as bolero targets: `cargo bolero test -p lockstep-fuzz bolero_targets::raw_buf`
//! fuzzes one (the module keeps the name apart from the proptest tests'); `cargo test -p
//! lockstep-fuzz --test bolero` replays their corpora.

mod bolero_targets {
    lockstep::bolero_test!(raw_buf, lockstep_fuzz::raw_buf::RawBufSpec);
    lockstep::bolero_test!(intrusive_list, lockstep_fuzz::intrusive_list::ListSpec);
    lockstep::bolero_test!(arena_graph, lockstep_fuzz::arena_graph::GraphSpec);
}
