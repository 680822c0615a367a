//! The three specs as bolero targets: `cargo bolero test -p lockstep-bolero raw_buf` fuzzes one
//! with bolero's engines; `cargo test -p lockstep-bolero` replays their corpora.

lockstep::bolero_test!(raw_buf, lockstep_fuzz::raw_buf::RawBufSpec);
lockstep::bolero_test!(intrusive_list, lockstep_fuzz::intrusive_list::ListSpec);
lockstep::bolero_test!(arena_graph, lockstep_fuzz::arena_graph::GraphSpec);
