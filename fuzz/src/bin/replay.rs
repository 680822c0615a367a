//! Replays cases of every target: `cargo run -p lockstep-fuzz --bin replay -- TARGET FILE...`.

fn main() -> std::process::ExitCode {
    lockstep::driver::main(lockstep_fuzz::TARGETS)
}
