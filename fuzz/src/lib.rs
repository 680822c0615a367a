//! The lockstep specs of the reference structures in `structures`.
//!
//! Each module drives one structure through every public method, against a model made of std
//! collections. The fuzz targets in `fuzz_targets/` and the replay binary are thin wrappers
//! around these specs.
#![warn(missing_docs)]

pub mod raw_buf;
