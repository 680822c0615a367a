//! The lockstep specs of `lockstep-fuzz` as bolero targets; the targets are in
//! `tests/bolero.rs`.
