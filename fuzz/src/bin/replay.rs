//! Replays cases of every target: `cargo run -p lockstep-fuzz --bin replay -- TARGET FILE...`.

fn main() -> std::process::ExitCode {
    lockstep::driver::main_with_bugs(lockstep_fuzz::TARGETS, &lockstep_fuzz::seeded_bugs())
}
