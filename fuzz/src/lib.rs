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

/// Defines a baseline of `scripts/bench`: the libFuzzer target of [`lockstep::baseline_loop`]
/// over a spec. Outside a fuzzing build it is a binary that runs the loop on each file given.
#[macro_export]
macro_rules! baseline_target {
    ($spec:ty) => {
        #[cfg(fuzzing)]
        libfuzzer_sys::fuzz_target!(|data: &[u8]| lockstep::baseline_loop::<$spec>(data));

        /// Runs the loop on each file given.
        #[cfg(not(fuzzing))]
        fn main() {
            for file in std::env::args().skip(1) {
                let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
                lockstep::baseline_loop::<$spec>(&data);
            }
        }
    };
}
