//! Reference unsafe collections: the subjects that lockstep fuzzes and checks against models.
//!
//! * [`intrusive_list`]: a doubly linked list whose links live inside the elements, in the
//!   style of the `intrusive-collections` crate, with cursors.
//! * [`raw_buf`]: [`RawBuf<T>`](raw_buf::RawBuf), a growable contiguous buffer written
//!   directly over `std::alloc`.
//! * [`arena_graph`]: [`ArenaGraph<N, E>`](arena_graph::ArenaGraph), a directed multigraph whose
//!   nodes live in a chunked arena and whose edges form raw-pointer adjacency lists.
//!
//! Each structure has a `check_invariants(&self)` that walks its raw links and panics with a
//! precise message on the first inconsistency.
//!
//! With the `seeded-bugs` feature the crate also carries known bugs, listed in [`seeded`], each
//! switched on at run time. They exist to prove that the harness finds what it claims. Its
//! type-level bugs ([`seeded::TYPE_BUGS`]), which only `lockstep audit` can see, are compiled in
//! with `--cfg lockstep_type_bug --cfg lockstep_type_bug="ID"` instead.
#![warn(missing_docs)]
// The drop-check escape needs `#[may_dangle]`, which only nightly has (`lockstep audit` builds
// with nightly).
#![cfg_attr(
    lockstep_type_bug = "raw_buf-dropck-escape",
    feature(dropck_eyepatch),
    allow(internal_features, reason = "the seeded drop-check escape")
)]

pub mod arena_graph;
pub mod intrusive_list;
pub mod raw_buf;
pub mod seeded;

#[cfg(test)]
mod test_util;
