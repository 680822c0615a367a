//! The regression corpus under `corpora/`, embedded at build time (see `build.rs`): every stored
//! case, for the tests in `tests/`.
#![warn(missing_docs)]

/// A stored regression case.
#[derive(Clone, Copy, Debug)]
pub struct RegressionCase {
    /// The target it runs on.
    pub target: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its trace file.
    pub path: &'static str,
    /// The trace; `None` when the file is missing (the case's test says so).
    pub trace: Option<&'static str>,
    /// The metadata (TOML).
    pub meta: &'static str,
}

impl RegressionCase {
    /// The trace, or a panic that says which file is missing and what to do.
    pub fn trace(&self) -> &'static str {
        self.trace.unwrap_or_else(|| {
            panic!(
                "{}: missing: the case `{}` has metadata but no trace (restore it from git, or \
                 remove its .toml)",
                self.path, self.name
            )
        })
    }
}

include!(concat!(env!("OUT_DIR"), "/regressions.rs"));
