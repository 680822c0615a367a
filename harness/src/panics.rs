//! Catching panics inside a run without letting a process-wide panic hook (libFuzzer's aborts)
//! see them, and capturing what a real panic said and where.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

use crate::tracked::InjectedPanic;

/// A panic caught by [`catch`].
#[derive(Debug, Clone)]
pub(crate) enum Caught {
    /// A panic injected by a [`crate::PanicPlan`].
    Injected(InjectedPanic),
    /// Any other panic.
    Real(PanicReport),
}

/// What a real panic said, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PanicReport {
    pub(crate) message: String,
    pub(crate) location: Option<String>,
    pub(crate) backtrace: Option<String>,
}

thread_local! {
    /// Depth of nested `catch` calls on this thread: while non-zero, the hook records instead of
    /// printing (or aborting, under libFuzzer).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static LAST: RefCell<Option<PanicReport>> = const { RefCell::new(None) };
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
                LAST.with(|last| *last.borrow_mut() = Some(report));
            }
        }));
    });
}

fn report_of(info: &PanicHookInfo<'_>) -> PanicReport {
    let message = payload_message(info.payload());
    let location = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
    // `capture` honours RUST_BACKTRACE / RUST_LIB_BACKTRACE, so fuzzing pays nothing for it and
    // triage turns it on.
    let backtrace = std::backtrace::Backtrace::capture();
    let backtrace = match backtrace.status() {
        std::backtrace::BacktraceStatus::Captured => Some(backtrace.to_string()),
        _ => None,
    };
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

/// Runs `f`, catching any panic it raises.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    install_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    result.map_err(|payload| match payload.downcast::<InjectedPanic>() {
        Ok(injected) => Caught::Injected(*injected),
        Err(payload) => Caught::Real(LAST.with(|last| last.borrow_mut().take()).unwrap_or_else(
            // The hook did not see it: a panic raised by `resume_unwind`, which skips hooks.
            || PanicReport {
                message: payload_message(&*payload),
                location: None,
                backtrace: None,
            },
        )),
    })
}
