//! The lockstep specs of the reference structures.
#![warn(missing_docs)]
