//! The lockstep specs of the reference structures in `structures`.
//!
//! Each module drives one structure through every public method, against a model made of std
//! collections. The fuzz targets in `fuzz_targets/` and the replay binary are thin wrappers
//! around these specs.
#![warn(missing_docs)]

use lockstep::Target;

pub mod arena_graph;
pub mod intrusive_list;
pub mod raw_buf;

/// Every target of this crate, by the name of its fuzz target.
pub static TARGETS: &[Target] = &[
    Target::of::<raw_buf::RawBufSpec>("raw_buf"),
    Target::of::<intrusive_list::ListSpec>("intrusive_list"),
    Target::of::<arena_graph::GraphSpec>("arena_graph"),
];

/// The seeded bugs of `structures`, as the `lockstep` command line reads them.
pub fn seeded_bugs() -> Vec<lockstep::SeededBugInfo> {
    structures::seeded::CATALOGUE
        .iter()
        .map(|b| lockstep::SeededBugInfo {
            id: b.id.to_owned(),
            target: b.target.to_owned(),
            class: b.class.to_string(),
            detectors: b.detectors.iter().map(ToString::to_string).collect(),
            description: b.description.to_owned(),
        })
        .collect()
}

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().copied().find(|t| t.name() == name)
}
