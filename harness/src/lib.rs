//! lockstep: drive an unsafe data structure and a safe model with the same operations and
//! compare them after every step.
//!
//! A user writes one [`Spec`] per structure: an op enum that `arbitrary` decodes from fuzzer
//! bytes ([`ops!`]), how to apply an op to the structure (the subject) and to a model, and how to
//! list a whole state. With [`same_api!`] and [`spec!`] one generic function applies an op to
//! either side; [`models`], [`Out`] and [`select`] supply what most specs need. The [runner](run)
//! applies each op to both sides and checks, after every step, that the outputs agree, that the
//! subject's invariants hold and that every [`Tracked`] value is alive on one side exactly when
//! it is on the other; it compares the whole states as [`Config::state_every`] says, and reports
//! a difference at the step that made it.
//!
//! The same `fn(&[u8])` serves libFuzzer ([`fuzz_target!`]), replay ([`replay_main!`]) and
//! tests, so a case found by one replays identically in all. Cases are kept as readable
//! [traces](trace).
#![warn(missing_docs)]

mod api;
pub mod campaign;
pub mod case;
pub mod driver;
mod elements;
pub mod finding;
mod guards;
mod handles;
pub mod models;
pub mod op_coverage;
mod out;
mod panics;
#[cfg(feature = "proptest")]
pub mod proptest;
pub mod repro;
mod runner;
pub mod select;
pub mod shrink;
mod spec;
mod step;
pub mod trace;
mod tracked;

pub use driver::{Report, SeededBugInfo, Target};
pub use elements::{ALIGN, Aligned, Counted, Sealed};
pub use guards::{Finish, take_ends};
pub use handles::{Handles, Pick};
pub use op_coverage::{Effect, HasEffect};
pub use out::{IntoValue, Out};
pub use panics::{NON_UNWINDING_PREFIX, PanicMessage, REAL_PANICS_ONE_IN, expect_panic, panics_if};
pub use runner::{
    Failure, FailureKind, Outcome, Phase, baseline_loop, decode, run, run_alone, run_bytes,
    run_subject, run_with,
};
pub use spec::{Config, InvariantChecks, PanicPolicy, Spec};
pub use step::{ARMS_ONE_IN, Step, steps};
pub use tracked::{Event, InjectedPanic, PanicPlan, Side, Tracked, Violation};

/// Defines a fuzz target for a spec.
///
/// ```ignore
/// #![cfg_attr(fuzzing, no_main)]
/// lockstep::fuzz_target!(my_crate_fuzz::MySpec);
/// ```
///
/// Built by `cargo fuzz` (which sets `--cfg fuzzing`) it is a libFuzzer target; the crate needs
/// `libfuzzer-sys` as a `[target.'cfg(fuzzing)'.dependencies]` entry. Built by `lockstep fuzz
/// --engine afl` (`cargo afl build` with `AFL_NO_CFG_FUZZING=1` and `--cfg lockstep_afl`) it is
/// an AFL++ target in persistent mode; the crate needs `afl` as a
/// `[target.'cfg(lockstep_afl)'.dependencies]` entry. Built by plain `cargo` it is a replay
/// binary for this one target: `cargo run --bin NAME -- FILE...`.
#[macro_export]
macro_rules! fuzz_target {
    ($spec:ty) => {
        #[cfg(fuzzing)]
        libfuzzer_sys::fuzz_target!(|data: &[u8]| {
            $crate::driver::fuzz::<$spec>(env!("CARGO_BIN_NAME"), data)
        });

        // No panic hook of AFL's: the runner catches the panics it expects, and a failure it
        // finds aborts (or, in a campaign, is recorded) in `driver::fuzz`.
        #[cfg(all(lockstep_afl, not(fuzzing)))]
        fn main() {
            ::afl::fuzz(false, |data: &[u8]| {
                $crate::driver::fuzz::<$spec>(env!("CARGO_BIN_NAME"), data)
            });
        }

        /// AddressSanitizer's defaults for this target (`ASAN_OPTIONS` still overrides them):
        /// stack-use-after-return detection pays on every unwind, and the runner unwinds on every
        /// panic an op raises by contract; heap structures do not need it.
        #[cfg(any(fuzzing, lockstep_afl))]
        #[unsafe(no_mangle)]
        pub extern "C" fn __asan_default_options() -> *const ::std::ffi::c_char {
            c"detect_stack_use_after_return=0".as_ptr()
        }

        #[cfg(not(any(fuzzing, lockstep_afl)))]
        fn main() -> ::std::process::ExitCode {
            $crate::driver::single_target_main($crate::Target::of::<$spec>(env!("CARGO_BIN_NAME")))
        }
    };
}

/// Defines `#[test] fn $name()` that runs the spec `$spec` as a bolero target: `cargo bolero
/// test` fuzzes it with bolero's engines, and `cargo test` replays its corpus (bolero's
/// `__fuzz__/` folder beside the test file) and some random inputs. The crate needs `bolero`
/// as a dev-dependency. Each input is decoded and run exactly as a fuzz target's, and a failure
/// panics with the report, so bolero shrinks and stores it as it does any failure; the stored
/// bytes are a case (`lockstep triage TARGET FILE`).
///
/// ```ignore
/// lockstep::bolero_test!(raw_buf, my_fuzz::raw_buf::RawBufSpec);
/// ```
#[macro_export]
macro_rules! bolero_test {
    ($name:ident, $spec:ty) => {
        #[test]
        fn $name() {
            ::bolero::check!()
                .for_each(|data: &[u8]| $crate::driver::check::<$spec>(stringify!($name), data));
        }
    };
}

/// Defines the `main` of a replay binary for several targets.
///
/// ```ignore
/// lockstep::replay_main! {
///     raw_buf => my_fuzz::RawBufSpec,
///     intrusive_list => my_fuzz::ListSpec,
/// }
/// ```
///
/// `replay TARGET FILE...` runs each case (fuzzer bytes or a trace), prints the outcome and the
/// ops as a trace, and exits 0 when every case passed, 1 when one failed, 2 on bad input.
/// It runs under Miri too (`cargo miri run`, with `-Zmiri-disable-isolation` to read files).
#[macro_export]
macro_rules! replay_main {
    ($($name:ident => $spec:ty),+ $(,)?) => {
        fn main() -> ::std::process::ExitCode {
            $crate::driver::main(&[$($crate::Target::of::<$spec>(stringify!($name))),+])
        }
    };
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
