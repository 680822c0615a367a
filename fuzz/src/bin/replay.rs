//! Replays cases of every target: `cargo run -p lockstep-fuzz --bin replay -- TARGET FILE...`.

lockstep::replay_main! {
    raw_buf => lockstep_fuzz::raw_buf::RawBufSpec,
}
