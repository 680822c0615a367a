//! Catching panics inside a run without letting a process-wide panic hook (libFuzzer's aborts)
//! see them, and capturing what a real panic said and where.

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

use crate::tracked::InjectedPanic;

/// A panic caught by [`catch`].
#[derive(Debug)]
pub(crate) enum Caught {
    /// A panic injected by a [`crate::PanicPlan`].
    Injected(InjectedPanic),
    /// Any other panic.
    Real(PanicReport),
}

/// What a real panic said, and where.
#[derive(Debug)]
pub(crate) struct PanicReport {
    pub(crate) message: String,
    pub(crate) location: Option<String>,
    /// Captured but not resolved: symbolizing is costly and only a reported failure needs it.
    pub(crate) backtrace: Option<Backtrace>,
}

impl PanicReport {
    /// The backtrace, resolved, if one was captured.
    pub(crate) fn backtrace_text(&self) -> Option<String> {
        self.backtrace.as_ref().map(Backtrace::to_string)
    }
}

thread_local! {
    /// Depth of nested `catch` calls on this thread: while non-zero, the hook records instead of
    /// printing (or aborting, under libFuzzer).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static LAST: RefCell<Option<PanicReport>> = const { RefCell::new(None) };
    /// Set while [`expect_panic`] runs: its panics are part of an API's contract, and need no
    /// backtrace.
    static BY_CONTRACT: Cell<bool> = const { Cell::new(false) };
}

static INSTALL: Once = Once::new();

/// Installs, once per process, a hook that records panics raised inside [`catch`] and hands every
/// other panic to the hook that was there before (the default one, or libFuzzer's).
pub(crate) fn install_hook() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) == 0 {
                previous(info);
            } else if info.payload().downcast_ref::<InjectedPanic>().is_none() {
                let report = report_of(info);
                if let Some(line) = non_unwinding_line(&report) {
                    // The process aborts as soon as this hook returns: say what and where now,
                    // or nobody will.
                    eprintln!("{line}");
                }
                LAST.with(|last| *last.borrow_mut() = Some(report));
            }
        }));
    });
}

/// How the messages of panics that cannot unwind begin: std's checks of `unsafe` preconditions
/// (`get_unchecked`, `copy_nonoverlapping`, ... in a build with debug assertions), and panics
/// in functions that cannot unwind or in destructors run during unwinding.
const NON_UNWINDING: &[&str] = &[
    "unsafe precondition(s) violated",
    "panic in a function that cannot unwind",
    "panic in a destructor during cleanup",
];

/// The prefix of the line printed for a panic that aborts the process.
pub const NON_UNWINDING_PREFIX: &str = "lockstep: non-unwinding panic at ";

/// The line to print for a panic that will abort the process instead of unwinding:
/// `lockstep: non-unwinding panic at FILE:LINE:COL: MESSAGE`, on one line.
fn non_unwinding_line(report: &PanicReport) -> Option<String> {
    let message = report.message.as_str();
    NON_UNWINDING
        .iter()
        .any(|p| message.starts_with(p))
        .then(|| {
            let first = message.lines().next().unwrap_or(message);
            format!(
                "{NON_UNWINDING_PREFIX}{}: {first}",
                report.location.as_deref().unwrap_or("an unknown place")
            )
        })
}

fn report_of(info: &PanicHookInfo<'_>) -> PanicReport {
    let message = payload_message(info.payload());
    let location = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
    // `capture` honours RUST_BACKTRACE / RUST_LIB_BACKTRACE; panics by contract never pay for it.
    let backtrace = (!BY_CONTRACT.with(Cell::get))
        .then(Backtrace::capture)
        .filter(|b| b.status() == BacktraceStatus::Captured);
    PanicReport {
        message,
        location,
        backtrace,
    }
}

fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(p) = payload.downcast_ref::<InjectedPanic>() {
        p.to_string()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}

/// Runs `f`, catching any panic it raises, with the hook recording it (where it was raised).
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    let _recording = Recording::enter();
    catch_in_run(f)
}

/// While it lives, the hook is installed and records panics instead of printing them (the
/// depth of catches is one more).
struct Recording(());

impl Recording {
    fn enter() -> Recording {
        install_hook();
        DEPTH.with(|d| d.set(d.get() + 1));
        Recording(())
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// A run in progress: while it lives panics are [recorded](Recording), so the catches of the
/// run's steps, [`catch_in_run`], need do nothing else. A panic that escapes the run (a bug of
/// the runner's own) is printed as the run unwinds, since the hook only recorded it.
pub(crate) struct InRun {
    _recording: Recording,
}

impl InRun {
    pub(crate) fn enter() -> InRun {
        InRun {
            _recording: Recording::enter(),
        }
    }
}

impl Drop for InRun {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(report) = LAST.with(|last| last.borrow_mut().take())
        {
            eprintln!(
                "lockstep: a panic escaped the run at {}: {}",
                report.location.as_deref().unwrap_or("an unknown place"),
                report.message
            );
        }
    }
}

/// [`catch`] for the steps of a run, inside its [`InRun`]: nothing to do but catch.
pub(crate) fn catch_in_run<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        match payload.downcast::<InjectedPanic>() {
            Ok(injected) => Caught::Injected(*injected),
            Err(payload) => {
                Caught::Real(LAST.with(|last| last.borrow_mut().take()).unwrap_or_else(
                    // The hook did not see it: a panic raised by `resume_unwind`, which skips hooks.
                    || PanicReport {
                        message: payload_message(&*payload),
                        location: None,
                        backtrace: None,
                    },
                ))
            }
        }
    })
}

/// The message of a panic raised by contract (see [`expect_panic`] and [`panics_if`]).
///
/// Any two compare equal: the contract is that both sides panic, not how they word it (std's
/// wording changes between releases). The text is kept for reports; a panic that [`panics_if`]
/// did not raise has none.
#[derive(Clone, Eq)]
pub struct PanicMessage(Option<String>);

impl PanicMessage {
    /// What the panic said, if it was raised.
    pub fn text(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl PartialEq for PanicMessage {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for PanicMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(text) => write!(f, "panic({text:?})"),
            None => f.write_str("panic(by contract, not raised)"),
        }
    }
}

/// Runs `f`, which may panic by contract (an out-of-range index, inserting an element that is
/// already linked), and returns the panic's message instead.
///
/// Use it on both sides for API paths that panic by design, so the two panics are compared like
/// any output. An [injected panic](crate::PanicPlan) is not caught: it goes on to the runner.
/// Every call that panics costs an unwind (tens of thousands of instructions); when the
/// condition for the panic is known, [`panics_if`] costs one only now and then.
pub fn expect_panic<R>(f: impl FnOnce() -> R) -> Result<R, PanicMessage> {
    let outer = BY_CONTRACT.with(|c| c.replace(true));
    let result = catch(f);
    BY_CONTRACT.with(|c| c.set(outer));
    match result {
        Ok(r) => Ok(r),
        Err(Caught::Real(report)) => Err(PanicMessage(Some(report.message))),
        Err(Caught::Injected(injected)) => panic::resume_unwind(Box::new(injected)),
    }
}

/// Calls `f`, whose API panics by contract exactly when `panics` holds (the precondition the
/// documentation states: `index > len` for `insert`), and returns its result or the panic.
///
/// When `panics` is false, `f` runs as is: if it panics anyway, that is a real panic, reported
/// against the side that raised it (a model that panics means the condition is wrong). When it
/// is true, `f` really runs, and must panic, for one op in [`REAL_PANICS_ONE_IN`], chosen by a
/// hash of the op itself; for the others the panic is taken as read and `f` is not called,
/// which saves an unwind (tens of thousands of instructions) per call. The choice depends on the
/// op alone, not on where it stands in a run, so a run, any prefix of it and any case shrunk
/// from it decide alike, and both sides of a step too, so their outputs stay comparable. A model
/// that does not panic where `panics` says it does is reported as a model panic: the condition
/// is wrong. Outside a run (a spec's own tests), `f` always runs.
///
/// ```
/// # use lockstep::panics_if;
/// let mut v = vec![1, 2];
/// let i = 5;
/// let removed = panics_if(i >= v.len(), || v.remove(i));
/// assert!(removed.is_err());
/// ```
pub fn panics_if<R>(panics: bool, f: impl FnOnce() -> R) -> Result<R, PanicMessage> {
    if !panics {
        return Ok(f());
    }
    if !contract::real_path() {
        return Err(PanicMessage(None));
    }
    let result = expect_panic(f);
    if result.is_ok() && crate::tracked::ledger::side() == Some(crate::Side::Model) {
        panic!(
            "`panics_if` was told this call panics by contract, but the model's returned: the \
             condition is wrong"
        );
    }
    result
}

/// One op in this many raises its contract panics for real (see [`panics_if`]); the others take
/// them as read.
pub const REAL_PANICS_ONE_IN: u64 = 128;

/// Which contract panics take the real path.
pub(crate) mod contract {
    use std::cell::Cell;
    use std::hash::Hash;

    use super::REAL_PANICS_ONE_IN;

    #[derive(Clone, Copy, Debug)]
    pub(crate) enum Step {
        /// Every contract panic is raised: outside a run, and in tests that call specs directly.
        Every,
        /// None is: the one-side runs that measure what a structure costs alone.
        Never,
        /// An op is being applied: where it is, and what hashes it. The hash is computed only
        /// when a contract panic asks for it, which few steps do.
        Op(*const (), fn(*const ()) -> u64),
        /// The op being applied has this hash, computed for its first contract panic.
        Hashed(u64),
    }

    thread_local! {
        static STEP: Cell<Step> = const { Cell::new(Step::Every) };
    }

    /// Sets what the contract panics of the coming steps do. Inlined: every step sets it twice.
    #[inline]
    pub(crate) fn set_step(step: Step) {
        STEP.with(|s| s.set(step));
    }

    /// Runs `f`, the step that applies `op`: a contract panic due in it is raised for real or
    /// not by `op`'s hash.
    pub(crate) fn with_op<Op: Hash, R>(op: &Op, f: impl FnOnce() -> R) -> R {
        fn hash_at<Op: Hash>(op: *const ()) -> u64 {
            // SAFETY: the pointer is `with_op`'s `op`, cast back to its type; it is in `STEP`
            // only while `with_op` runs (the guard below takes it out when `with_op` returns or
            // unwinds), so the borrow it came from is alive, and nothing writes through it.
            op_hash(unsafe { &*op.cast::<Op>() })
        }
        /// Puts `Step::Every` back, whichever way the step ends.
        struct Restore;
        impl Drop for Restore {
            fn drop(&mut self) {
                set_step(Step::Every);
            }
        }
        set_step(Step::Op(std::ptr::from_ref(op).cast(), hash_at::<Op>));
        let _restore = Restore;
        f()
    }

    /// Whether a contract panic due now is raised for real.
    pub(super) fn real_path() -> bool {
        let hash = match STEP.with(Cell::get) {
            Step::Every => return true,
            Step::Never => return false,
            Step::Op(op, hash) => {
                let hash = hash(op);
                set_step(Step::Hashed(hash));
                hash
            }
            Step::Hashed(hash) => hash,
        };
        hash % REAL_PANICS_ONE_IN == 0
    }

    /// A hash of `op`, the same in every run and every build: which of its contract panics are
    /// raised for real is decided by it (see [`crate::panics_if`]). One multiply per value
    /// hashed, since every contract panic pays for it.
    fn op_hash<Op: std::hash::Hash>(op: &Op) -> u64 {
        /// FxHash's step, with a final fold of the high bits into the low ones that `%` reads.
        struct Fx(u64);
        impl Fx {
            fn add(&mut self, n: u64) {
                self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
            }
        }
        impl std::hash::Hasher for Fx {
            fn finish(&self) -> u64 {
                self.0 ^ (self.0 >> 32)
            }
            fn write(&mut self, bytes: &[u8]) {
                for chunk in bytes.chunks(8) {
                    let mut word = [0; 8];
                    word[..chunk.len()].copy_from_slice(chunk);
                    self.add(u64::from_le_bytes(word));
                }
            }
            fn write_u8(&mut self, n: u8) {
                self.add(n.into());
            }
            fn write_u16(&mut self, n: u16) {
                self.add(n.into());
            }
            fn write_u32(&mut self, n: u32) {
                self.add(n.into());
            }
            fn write_u64(&mut self, n: u64) {
                self.add(n);
            }
            fn write_usize(&mut self, n: usize) {
                self.add(n as u64);
            }
            fn write_isize(&mut self, n: isize) {
                self.add(n as u64);
            }
        }
        let mut hasher = Fx(0);
        op.hash(&mut hasher);
        std::hash::Hasher::finish(&hasher)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outside a run too (a replay of the subject alone, `expect_panic` in a spec's own test),
    /// a caught panic is recorded by the hook with its location, not printed by the default hook.
    #[test]
    fn a_panic_caught_outside_a_run_keeps_its_location() {
        let line = line!() + 1;
        let caught = catch(|| panic!("out of range"));
        let Err(Caught::Real(report)) = caught else {
            panic!("the panic was not caught as a real one");
        };
        assert_eq!(report.message, "out of range");
        let location = report
            .location
            .expect("the hook recorded where it was raised");
        assert!(
            location.ends_with(&format!("panics.rs:{line}:31")),
            "{location}"
        );
        assert_eq!(DEPTH.with(Cell::get), 0, "the depth is put back");
    }

    #[test]
    fn panics_that_cannot_unwind_are_told_in_one_line() {
        let report = |message: &str| PanicReport {
            message: message.to_owned(),
            location: Some("structures/src/raw_buf/mod.rs:12:5".to_owned()),
            backtrace: None,
        };
        assert_eq!(
            non_unwinding_line(&report(
                "unsafe precondition(s) violated: slice::get_unchecked requires that the index \
                 is within the slice\n\nThis indicates a bug in the program."
            ))
            .as_deref(),
            Some(
                "lockstep: non-unwinding panic at structures/src/raw_buf/mod.rs:12:5: unsafe \
                 precondition(s) violated: slice::get_unchecked requires that the index is \
                 within the slice"
            )
        );
        assert_eq!(non_unwinding_line(&report("index out of bounds")), None);
    }
}
