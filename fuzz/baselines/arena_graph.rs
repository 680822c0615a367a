//! The baseline `scripts/bench` measures the arena_graph target against: the spec's own ops, elements
//! and models in the differential loop a user writes by hand ([`lockstep::baseline_loop`]).
#![cfg_attr(fuzzing, no_main)]
lockstep_fuzz::baseline_target!(lockstep_fuzz::arena_graph::GraphSpec);
