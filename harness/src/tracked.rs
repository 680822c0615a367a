//! [`Tracked`] values: elements that account for their own clones and drops, and can be armed to
//! panic.
//!
//! Every `Tracked` value is registered in a thread-local ledger under the side (model or subject)
//! that created it. After each step the runner asks the ledger whether the two sides agree on how
//! many values are alive (a leak or an early drop otherwise), and whether any value was dropped
//! twice or used after its drop. This works natively and under Miri, without a sanitizer.
//!
//! The runner arms a [`PanicPlan`] now and then (a [`Step::Arm`](crate::Step::Arm)): during the
//! *next* operation, on each side, the `after + 1`-th clone, drop or comparison of a tracked value
//! panics with an [`InjectedPanic`].
//! The model (a std collection holding `Tracked` values) panics at the same event as the subject,
//! so std's behaviour under a panic is the reference the subject is held to.

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use arbitrary::Arbitrary;
use serde::{Deserialize, Serialize};

/// Which side of the comparison runs, or owns a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The safe model (std collections).
    Model,
    /// The structure under test.
    Subject,
}

/// The kind of event a [`PanicPlan`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// `Clone::clone` of a tracked value.
    Clone,
    /// `Drop::drop` of a tracked value (the value counts as dropped before the panic).
    Drop,
    /// `PartialEq`, `PartialOrd` or `Ord` between tracked values.
    Compare,
    /// `next` of an argument iterator shaped to panic ([`Shape::PanicAt`](crate::select::Shape)).
    Next,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Event::Clone => "clone",
            Event::Drop => "drop",
            Event::Compare => "comparison",
            Event::Next => "next",
        })
    }
}

/// A panic to inject during the next operation: the `after + 1`-th event of the given kind
/// panics, once, on each side.
///
/// The runner arms one now and then, as a [`Step::Arm`](crate::Step::Arm) between two ops.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PanicPlan {
    /// Panic in a `Clone`.
    Clone {
        /// How many clones succeed before the one that panics.
        after: u8,
    },
    /// Panic in a `Drop`, after the value is counted as dropped.
    Drop {
        /// How many drops succeed before the one that panics.
        after: u8,
    },
    /// Panic in a comparison.
    Compare {
        /// How many comparisons succeed before the one that panics.
        after: u8,
    },
}

impl PanicPlan {
    fn event(self) -> Event {
        match self {
            PanicPlan::Clone { .. } => Event::Clone,
            PanicPlan::Drop { .. } => Event::Drop,
            PanicPlan::Compare { .. } => Event::Compare,
        }
    }

    pub(crate) fn after(self) -> u8 {
        match self {
            PanicPlan::Clone { after }
            | PanicPlan::Drop { after }
            | PanicPlan::Compare { after } => after,
        }
    }

    /// The same plan with `after` changed by `f`.
    pub(crate) fn map_after(self, f: impl FnOnce(u8) -> u8) -> Self {
        match self {
            PanicPlan::Clone { after } => PanicPlan::Clone { after: f(after) },
            PanicPlan::Drop { after } => PanicPlan::Drop { after: f(after) },
            PanicPlan::Compare { after } => PanicPlan::Compare { after: f(after) },
        }
    }
}

/// The payload of a panic injected by a [`PanicPlan`]. The runner tells it apart from a real
/// panic by this type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InjectedPanic {
    /// The event that panicked.
    pub event: Event,
    /// The id of the tracked value whose event panicked.
    pub id: u32,
}

impl fmt::Display for InjectedPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "injected panic in {} of tracked value #{}",
            self.event, self.id
        )
    }
}

/// Something the ledger saw that must never happen, whatever the structure does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Violation {
    /// A value was dropped a second time.
    DoubleDrop {
        /// The value's id.
        id: u32,
        /// Which side created it.
        owner: Option<Side>,
    },
    /// A value was read after it was dropped.
    UseAfterDrop {
        /// The value's id.
        id: u32,
        /// Which side created it.
        owner: Option<Side>,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |owner: &Option<Side>| match owner {
            Some(Side::Model) => " (a model value)",
            Some(Side::Subject) => "",
            None => " (created outside a step)",
        };
        match self {
            Violation::DoubleDrop { id, owner } => {
                write!(f, "tracked value #{id}{} was dropped twice", side(owner))
            }
            Violation::UseAfterDrop { id, owner } => {
                write!(
                    f,
                    "tracked value #{id}{} was used after it was dropped",
                    side(owner)
                )
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Alive(Option<Side>),
    Dropped(Option<Side>),
}

/// The per-thread book of tracked values of the current run, in two parts: what every step
/// reads and writes, in cells that need no destructor (so reaching them costs a load), and the
/// per-value statuses.
#[derive(Debug)]
struct Hot {
    /// Distinguishes runs, so a value left over from an earlier run (leaked, forgotten) is
    /// ignored instead of being mistaken for a value of this one.
    run: Cell<u32>,
    /// Live values per owner: model, subject, outside a step.
    live: [Cell<isize>; 3],
    /// The side whose step is running, if any.
    side: Cell<Option<Side>>,
    /// The plan armed for the next operation.
    pending: Cell<Option<PanicPlan>>,
    /// The plan of the operation being applied, as each side's countdown starts.
    step_plan: Cell<Option<PanicPlan>>,
    /// The plan being counted down during this side's part of the operation.
    active: Cell<Option<PanicPlan>>,
    /// Whether the active plan fired during this side's step.
    fired: Cell<bool>,
    /// Whether `Cold::violations` holds any.
    violated: Cell<bool>,
}

#[derive(Debug)]
struct Cold {
    /// `status[id]` for every value created in this run.
    status: Vec<Status>,
    violations: Vec<Violation>,
}

fn slot(owner: Option<Side>) -> usize {
    match owner {
        Some(Side::Model) => 0,
        Some(Side::Subject) => 1,
        None => 2,
    }
}

thread_local! {
    static HOT: Hot = const {
        Hot {
            run: Cell::new(0),
            live: [const { Cell::new(0) }; 3],
            side: Cell::new(None),
            pending: Cell::new(None),
            step_plan: Cell::new(None),
            active: Cell::new(None),
            fired: Cell::new(false),
            violated: Cell::new(false),
        }
    };
    static COLD: RefCell<Cold> = const {
        RefCell::new(Cold {
            status: Vec::new(),
            violations: Vec::new(),
        })
    };
}

fn hot<R>(f: impl FnOnce(&Hot) -> R) -> R {
    HOT.with(f)
}

impl Hot {
    /// Begins `side`'s part of the step, with the step's plan to count down.
    fn begin(&self, side: Side) {
        self.side.set(Some(side));
        self.active.set(self.step_plan.get());
        self.fired.set(false);
    }

    /// Counts one event; returns whether it must panic now.
    fn count(&self, event: Event) -> bool {
        let Some(plan) = self.active.get() else {
            return false;
        };
        if plan.event() != event {
            return false;
        }
        if plan.after() == 0 {
            self.active.set(None);
            self.fired.set(true);
            return true;
        }
        self.active.set(Some(plan.map_after(|n| n - 1)));
        false
    }

    fn add_live(&self, owner: Option<Side>, delta: isize) {
        let cell = &self.live[slot(owner)];
        cell.set(cell.get().wrapping_add(delta));
    }
}

impl Cold {
    fn lookup(&self, current: u32, run: u32, id: u32) -> Option<Status> {
        if run != current {
            return None;
        }
        self.status.get(id as usize).copied()
    }

    fn violate(&mut self, hot: &Hot, v: Violation) {
        self.violations.push(v);
        hot.violated.set(true);
    }
}

/// Ledger entry points for the runner.
pub(crate) mod ledger {
    use super::*;

    /// Starts a new run: forgets every value of earlier runs and any armed plan (keeping the
    /// memory of the statuses for the next run).
    pub(crate) fn begin_run() {
        hot(|h| {
            h.run.set(h.run.get().wrapping_add(1));
            h.live.iter().for_each(|l| l.set(0));
            h.side.set(None);
            h.pending.set(None);
            h.step_plan.set(None);
            h.active.set(None);
            h.fired.set(false);
            h.violated.set(false);
        });
        COLD.with(|c| {
            let mut c = c.borrow_mut();
            c.status.clear();
            c.violations.clear();
        });
    }

    /// Arms `plan` for the next operation.
    pub(crate) fn arm(plan: PanicPlan) {
        hot(|h| h.pending.set(Some(plan)));
    }

    /// Forgets the plans of the steps: the one armed for a next operation, which will not come,
    /// and the last operation's, which is spent.
    pub(crate) fn disarm() {
        hot(|h| {
            h.pending.set(None);
            h.step_plan.set(None);
        });
    }

    /// Marks the start of one side's step, with the step's plan to count down.
    pub(crate) fn begin_side(side: Side) {
        hot(|h| h.begin(side));
    }

    /// Ends the model's part of a step and begins the subject's ([`end_side`] then
    /// [`begin_side`] in one); returns whether the model's injected panic fired.
    pub(crate) fn switch_to_subject() -> bool {
        hot(|h| {
            h.side.set(Some(Side::Subject));
            h.active.set(h.step_plan.get());
            h.fired.replace(false)
        })
    }

    /// Begins a step with `side`'s part ([`begin_side`] in one): the plan armed by the previous
    /// operation moves to this step, which each side counts down.
    pub(crate) fn begin_step(side: Side) {
        hot(|h| {
            h.step_plan.set(h.pending.take());
            h.begin(side);
        });
    }

    /// Marks the end of a side's step; returns whether its injected panic fired.
    pub(crate) fn end_side() -> bool {
        hot(|h| {
            h.side.set(None);
            h.active.set(None);
            h.fired.take()
        })
    }

    /// Records that an injected panic fires now, in the running side's step, raised by
    /// something other than a plan (a shaped iterator).
    pub(crate) fn fire() {
        hot(|h| h.fired.set(true));
    }

    /// A value with no identity (a [`Counted`](crate::Counted)) was created (`+1`) or dropped
    /// (`-1`) in the running side's step.
    pub(crate) fn add_anonymous(delta: isize) {
        hot(|h| h.add_live(h.side.get(), delta));
    }

    /// Counts one `event`; returns whether the armed plan fires on it.
    pub(crate) fn count(event: Event) -> bool {
        hot(|h| h.count(event))
    }

    /// The side whose step is running, if any.
    pub(crate) fn side() -> Option<Side> {
        hot(|h| h.side.get())
    }

    /// Whether a violation is waiting to be taken, and the live values of the model and of the
    /// subject: what the runner checks after every step, in one read.
    pub(crate) fn tally() -> (bool, isize, isize) {
        hot(|h| (h.violated.get(), h.live[0].get(), h.live[1].get()))
    }

    /// The first violation recorded since the last call, forgetting the others.
    pub(crate) fn take_violation() -> Option<Violation> {
        if !hot(|h| h.violated.take()) {
            return None;
        }
        COLD.with(|c| {
            let mut c = c.borrow_mut();
            let first = c.violations.first().cloned();
            c.violations.clear();
            first
        })
    }
}

/// A value with an identity: counted when created, cloned and dropped, checked when read.
///
/// Use it as the element type in a spec, on both sides: the model holds `Tracked` values in std
/// collections, the subject holds them in the structure under test. Its comparisons and `Debug`
/// look at the value only, so states compare by value.
///
/// A `Tracked` owns no heap memory of its own, so a double drop by a buggy structure is
/// reported by the ledger rather than becoming a double free of the value itself.
pub struct Tracked<T> {
    value: T,
    id: u32,
    run: u32,
}

impl<T> Tracked<T> {
    /// A new tracked value, owned by the side whose step is running.
    pub fn new(value: T) -> Self {
        let (run, owner) = hot(|h| {
            let owner = h.side.get();
            h.add_live(owner, 1);
            (h.run.get(), owner)
        });
        let id = COLD.with(|c| {
            let mut c = c.borrow_mut();
            let id = u32::try_from(c.status.len()).expect("more than u32::MAX tracked values");
            c.status.push(Status::Alive(owner));
            id
        });
        Tracked { value, id, run }
    }

    /// The value's id in the current run.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The value, checked: reading a value that was already dropped is recorded as a violation.
    pub fn get(&self) -> &T {
        self.check_alive();
        &self.value
    }

    /// The value, mutably, checked like [`get`](Self::get).
    pub fn get_mut(&mut self) -> &mut T {
        self.check_alive();
        &mut self.value
    }

    /// Takes the value out; the tracked value counts as dropped.
    pub fn into_inner(self) -> T {
        let this = std::mem::ManuallyDrop::new(self);
        this.release();
        // SAFETY: `this` is never used or dropped again after the value is read out of it, so the
        // value is moved exactly once.
        unsafe { std::ptr::read(&this.value) }
    }

    fn check_alive(&self) {
        // `try_with`: a value read during thread teardown is not worth a panic.
        let _ = COLD.try_with(|c| {
            let current = hot(|h| h.run.get());
            let mut c = c.borrow_mut();
            if let Some(Status::Dropped(owner)) = c.lookup(current, self.run, self.id) {
                hot(|h| c.violate(h, Violation::UseAfterDrop { id: self.id, owner }));
            }
        });
    }

    /// Marks the value dropped, recording a double drop; returns whether a drop panic is due.
    fn release(&self) -> bool {
        COLD.try_with(|c| {
            hot(|h| {
                let mut c = c.borrow_mut();
                match c.lookup(h.run.get(), self.run, self.id) {
                    Some(Status::Alive(owner)) => {
                        c.status[self.id as usize] = Status::Dropped(owner);
                        h.add_live(owner, -1);
                    }
                    Some(Status::Dropped(owner)) => {
                        c.violate(h, Violation::DoubleDrop { id: self.id, owner });
                    }
                    None => {}
                }
                !std::thread::panicking() && h.count(Event::Drop)
            })
        })
        .unwrap_or(false)
    }

    fn compare_event(&self) {
        self.check_alive();
        if hot(|h| h.count(Event::Compare)) {
            std::panic::panic_any(InjectedPanic {
                event: Event::Compare,
                id: self.id,
            });
        }
    }
}

impl<T: Clone> Clone for Tracked<T> {
    fn clone(&self) -> Self {
        self.check_alive();
        if hot(|h| h.count(Event::Clone)) {
            std::panic::panic_any(InjectedPanic {
                event: Event::Clone,
                id: self.id,
            });
        }
        Tracked::new(self.value.clone())
    }
}

impl<T> Drop for Tracked<T> {
    fn drop(&mut self) {
        if self.release() {
            std::panic::panic_any(InjectedPanic {
                event: Event::Drop,
                id: self.id,
            });
        }
    }
}

impl<T> Deref for Tracked<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T: PartialEq> PartialEq for Tracked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.compare_event();
        self.value == other.value
    }
}

impl<T: Eq> Eq for Tracked<T> {}

impl<T: PartialOrd> PartialOrd for Tracked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.compare_event();
        self.value.partial_cmp(&other.value)
    }
}

impl<T: Ord> Ord for Tracked<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.compare_event();
        self.value.cmp(&other.value)
    }
}

impl<T: Hash> Hash for Tracked<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.get().hash(state);
    }
}

impl<T: fmt::Debug> fmt::Debug for Tracked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}
