#![cfg_attr(fuzzing, no_main)]
lockstep::fuzz_target!(lockstep_fuzz::arena_graph::GraphSpec);
