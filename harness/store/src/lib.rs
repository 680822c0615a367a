//! lockstep's regression corpus and its Miri replays: storing cases, checking them, and running
//! a replay binary under Miri. The command line and the corpus tests use this crate; a fuzz
//! target links only `lockstep`, which keeps to what a spec author uses.
#![warn(missing_docs)]

pub mod corpus;
pub mod miri;
