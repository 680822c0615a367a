//! lockstep: drive an unsafe data structure and a safe model with the same operations and
//! compare them after every step.
#![warn(missing_docs)]
