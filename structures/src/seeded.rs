//! Known bugs, each a small deviation in one structure, compiled in with the `seeded-bugs`
//! feature and switched on at run time.
//!
//! They prove that the harness finds what it claims, and measure how fast. Each bug names its
//! class and the detectors expected to catch it. Without the feature [`active`] is a constant
//! `false` and every bug is compiled out; with it, the bug named by the `LOCKSTEP_SEEDED_BUG`
//! environment variable (read once) is on, or the one a test selects with [`with_bug`].
//!
//! The audited code carries no deviation. A function a bug lives in starts with one line,
//!
//! ```ignore
//! seeded::hook!(RawBufPopUninit => seeded::pop_past_end(self));
//! ```
//!
//! which, while the bug is on, returns the deviation (written in the structure's own `seeded`
//! module, compiled only with the feature) instead of running the function; without the feature
//! the line expands to nothing. A deviation either is the function with the bug in it, or runs
//! the correct function through [`without`] and then puts back what the bug would have left
//! behind (a stale pointer, an old floor).

use std::fmt;

/// The environment variable that selects a seeded bug by its id.
pub const ENV_VAR: &str = "LOCKSTEP_SEEDED_BUG";

/// Whether this build carries the seeded bugs (the `seeded-bugs` feature).
pub const ENABLED: bool = cfg!(feature = "seeded-bugs");

/// Where a seeded bug enters the function it lives in: the first statement,
/// `seeded::hook!(Variant => deviation)`, returns `deviation` from the function while
/// `Bug::Variant` is on. Without the `seeded-bugs` feature it expands to nothing, and the
/// deviation is not compiled.
#[cfg(feature = "seeded-bugs")]
macro_rules! hook {
    ($bug:ident => $deviation:expr) => {
        if $crate::seeded::active($crate::seeded::Bug::$bug) {
            return $deviation;
        }
    };
}

/// Where a seeded bug enters the function it lives in; without the `seeded-bugs` feature,
/// nothing.
#[cfg(not(feature = "seeded-bugs"))]
macro_rules! hook {
    ($bug:ident => $deviation:expr) => {};
}

pub(crate) use hook;

/// Runs `f` with `bug` switched off on this thread, the other bugs as they were: a deviation
/// runs the correct code through this.
#[cfg(feature = "seeded-bugs")]
pub(crate) fn without<R>(bug: Bug, f: impl FnOnce() -> R) -> R {
    with_bugs(selected().without(bug), f)
}

/// How a seeded bug shows itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BugClass {
    /// Memory is read or written after it was freed.
    UseAfterFree,
    /// Memory outside an allocation is read or written.
    OutOfBounds,
    /// An allocation is freed twice.
    DoubleFree,
    /// Uninitialised memory is read as a value.
    UninitRead,
    /// A pointer is used without the permission the aliasing model grants it; the memory is
    /// live and in bounds, so only Miri sees it.
    Aliasing,
    /// A value is never dropped.
    Leak,
    /// A result is wrong, with no memory error.
    WrongResult,
    /// A panic in user code (`Clone`, `Drop`, a predicate) leaves the structure inconsistent.
    PanicSafety,
}

impl fmt::Display for BugClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BugClass::UseAfterFree => "use-after-free",
            BugClass::OutOfBounds => "out-of-bounds",
            BugClass::DoubleFree => "double-free",
            BugClass::UninitRead => "uninit-read",
            BugClass::Aliasing => "aliasing",
            BugClass::Leak => "leak",
            BugClass::WrongResult => "wrong-result",
            BugClass::PanicSafety => "panic-safety",
        })
    }
}

/// What is expected to catch a seeded bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Detector {
    /// AddressSanitizer, in the libFuzzer build.
    AddressSanitizer,
    /// Miri with Stacked Borrows.
    MiriStackedBorrows,
    /// Miri with Tree Borrows.
    MiriTreeBorrows,
    /// The model: an op's output or the whole state differs.
    Oracle,
    /// The tracked-value ledger: a leak, an early drop, a double drop.
    DropAccounting,
    /// The structure's own `check_invariants`.
    Invariants,
}

impl Detector {
    /// Whether this detector needs Miri.
    pub fn is_miri(self) -> bool {
        matches!(
            self,
            Detector::MiriStackedBorrows | Detector::MiriTreeBorrows
        )
    }

    /// Whether this detector works in a plain native run (no sanitizer, no Miri).
    pub fn is_native(self) -> bool {
        matches!(
            self,
            Detector::Oracle | Detector::DropAccounting | Detector::Invariants
        )
    }
}

impl fmt::Display for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Detector::AddressSanitizer => "asan",
            Detector::MiriStackedBorrows => "miri-sb",
            Detector::MiriTreeBorrows => "miri-tb",
            Detector::Oracle => "oracle",
            Detector::DropAccounting => "drop-accounting",
            Detector::Invariants => "invariants",
        })
    }
}

/// One entry of the [`CATALOGUE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeededBug {
    /// The bug.
    pub bug: Bug,
    /// Its id: the value of `LOCKSTEP_SEEDED_BUG` that switches it on.
    pub id: &'static str,
    /// The fuzz target of the structure it lives in.
    pub target: &'static str,
    /// What the deviation is, in one line.
    pub description: &'static str,
    /// How it shows.
    pub class: BugClass,
    /// What is expected to catch it.
    pub detectors: &'static [Detector],
}

impl SeededBug {
    /// Whether only Miri is expected to catch it.
    pub fn miri_only(&self) -> bool {
        self.detectors.iter().all(|d| d.is_miri())
    }

    /// Whether a plain native run is expected to catch it.
    pub fn caught_natively(&self) -> bool {
        self.detectors.iter().any(|d| d.is_native())
    }
}

macro_rules! seeded_bugs {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $id:literal in $target:literal, $class:ident, [$($detector:ident),+]:
            $description:literal;
    )+) => {
        /// A seeded bug.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Bug {
            $($(#[$doc])* $variant,)+
        }

        /// Every seeded bug, with its id, class and expected detectors.
        pub const CATALOGUE: &[SeededBug] = &[$(SeededBug {
            bug: Bug::$variant,
            id: $id,
            target: $target,
            description: $description,
            class: BugClass::$class,
            detectors: &[$(Detector::$detector),+],
        },)+];
    };
}

seeded_bugs! {
    /// `Drain`'s drop moves one element too many when it closes the gap.
    RawBufDrainOverread = "raw_buf-drain-overread" in "raw_buf", OutOfBounds,
        [AddressSanitizer, MiriStackedBorrows, MiriTreeBorrows]:
        "a dropped `Drain` moves the tail with one element too many, reading past the end of a \
         full buffer";
    /// `shrink_to_fit` frees an empty buffer's memory but keeps the pointer.
    RawBufShrinkDoubleFree = "raw_buf-shrink-double-free" in "raw_buf", DoubleFree,
        [AddressSanitizer, MiriStackedBorrows, MiriTreeBorrows]:
        "`shrink_to_fit` on an empty buffer frees the allocation but keeps pointer and capacity, \
         so it is freed again";
    /// `pop` reads the slot after the last element.
    RawBufPopUninit = "raw_buf-pop-uninit" in "raw_buf", UninitRead,
        [MiriStackedBorrows, MiriTreeBorrows, Oracle]:
        "`pop` reads the slot past the last element (uninitialised, or out of bounds when full)";
    /// `extend_from_slice` counts the new elements before cloning them.
    RawBufExtendLenFirst = "raw_buf-extend-len-first" in "raw_buf", PanicSafety,
        [MiriStackedBorrows, MiriTreeBorrows, Oracle]:
        "`extend_from_slice` sets the length before cloning, so a panicking `Clone` leaves \
         uninitialised slots counted as elements";
    /// `drain(a..=b)` drains `a..b`.
    RawBufDrainInclusive = "raw_buf-drain-inclusive" in "raw_buf", WrongResult,
        [Oracle]:
        "`drain` treats an inclusive range end as exclusive and drains one element too few";
    /// `split_after` leaves the list's tail on the old back, which moved to the new list. The
    /// list's `check_invariants` also flags the stale tail after the op that split, so a run
    /// shows the use-after-free itself only when the same cursor program frees and reaches it.
    ListSplitAfterStaleTail = "list-split-after-stale-tail" in "intrusive_list", UseAfterFree,
        [AddressSanitizer, MiriStackedBorrows, MiriTreeBorrows]:
        "`split_after` does not move the tail back to the cursor's element, so once the split-off \
         list is dropped, inserting at the back writes into a freed element";
    /// `replace_with` leaves the cursor on the element it hands back. The model sees it too when
    /// the old element is still alive (kept, or an `Rc` shared elsewhere): the cursor is off.
    ListReplaceStaleCursor = "list-replace-stale-cursor" in "intrusive_list", UseAfterFree,
        [AddressSanitizer, MiriStackedBorrows, MiriTreeBorrows]:
        "`CursorMut::replace_with` does not move the cursor to the new element, so it dangles on \
         the old one, which the caller may free";
    /// `cursor_mut_from_ptr` keeps the caller's pointer instead of the list's own.
    ListCursorKeepsCallersPtr = "list-cursor-keeps-callers-ptr" in "intrusive_list", Aliasing,
        [MiriStackedBorrows, MiriTreeBorrows]:
        "`cursor_(mut_)from_ptr` keeps the caller's read-only pointer, so `remove` rebuilds the \
         owning pointer (and frees the element) through a pointer without write permission";
    /// `clear` detaches the elements without releasing them.
    ListClearForgets = "list-clear-forgets" in "intrusive_list", Leak,
        [DropAccounting]:
        "`clear` empties the list by detaching its chain, but never drops the elements' pointers";
    /// The list's `Drop` has no drop guard.
    ListDropUnguarded = "list-drop-unguarded" in "intrusive_list", PanicSafety,
        [DropAccounting]:
        "dropping (or clearing) a list stops at the first element whose drop panics, leaking the \
         rest";
    /// `compact` does not re-point the incoming edges of the nodes it moves.
    GraphCompactStaleTarget = "graph-compact-stale-target" in "arena_graph", UseAfterFree,
        [AddressSanitizer, MiriStackedBorrows, MiriTreeBorrows]:
        "`compact` moves a node but leaves its incoming edges pointing at the old slot, whose \
         chunk it then frees";
    /// Trimming the node arena forgets the versions of the slots it discards.
    GraphTrimNoFloor = "graph-trim-no-floor" in "arena_graph", WrongResult,
        [Oracle]:
        "`compact` trims vacant slots without raising the generation floor, so a node added \
         later at a trimmed index gets an old generation and a stale id names it again";
    /// `clear` forgets the edge weights instead of dropping them.
    GraphClearLeaksEdges = "graph-clear-leaks-edges" in "arena_graph", Leak,
        [DropAccounting]:
        "`clear` (and so `Drop`) removes the edges but never drops their weights";
    /// `remove_node`'s drop guard does nothing.
    GraphRemoveNodeUnguarded = "graph-remove-node-unguarded" in "arena_graph", PanicSafety,
        [Oracle, DropAccounting]:
        "`remove_node` has no working drop guard: when an edge weight's `Drop` panics, the node \
         and its other edges stay in the graph";
    /// `Clone` claims a node slot before its weight is cloned.
    GraphCloneClaimsFirst = "graph-clone-claims-first" in "arena_graph", PanicSafety,
        [MiriStackedBorrows, MiriTreeBorrows]:
        "`clone` marks a slot occupied before cloning its weight, so a panicking `clone` \
         leaves the half-built copy to drop an uninitialized weight";
}

/// A seeded bug in a type's API rather than in its code: what a well-typed program may do with
/// the type is wrong, so no op sequence shows it, and only `lockstep audit` (which reads the
/// API's types and compiles small programs against them) can. Each is compiled in by
/// `--cfg lockstep_type_bug --cfg lockstep_type_bug="ID"` (the first lets an unknown id fail to
/// compile; nightly, since the drop-check escape needs `#[may_dangle]`), never switched on at
/// run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeBug {
    /// Its id: the value of the `lockstep_type_bug` cfg that compiles it in.
    pub id: &'static str,
    /// The fuzz target of the structure it lives in.
    pub target: &'static str,
    /// The audit check that reports it (`lockstep audit`'s class of the finding).
    pub class: &'static str,
    /// What the deviation is, in one line.
    pub description: &'static str,
}

/// Every type-level seeded bug.
pub const TYPE_BUGS: &[TypeBug] = &[
    TypeBug {
        id: "raw_buf-iter-unbounded",
        target: "raw_buf",
        class: "unbounded-lifetime",
        description: "`RawBuf::iter` is `fn iter<'a>(&self) -> Iter<'a, T>`: the iterator's \
                      lifetime is the caller's choice, so it outlives the buffer",
    },
    TypeBug {
        id: "graph-send-unbounded",
        target: "arena_graph",
        class: "send-sync",
        description: "`unsafe impl<N, E> Send for ArenaGraph<N, E>`: a graph of `Rc`s can be sent \
                      to another thread",
    },
    TypeBug {
        id: "raw_buf-drain-contravariant",
        target: "raw_buf",
        class: "variance",
        description: "`Drain<'a, T>` marks its borrow with `fn(&'a ())`, so it is contravariant \
                      in `'a` and safe code can stretch a drain past the buffer's borrow",
    },
    TypeBug {
        id: "raw_buf-dropck-escape",
        target: "raw_buf",
        class: "drop-check",
        description: "`RawBuf`'s `Drop` is `#[may_dangle]` over `T` without `PhantomData<T>`, so \
                      drop check accepts elements whose `Drop` reads borrows that died first",
    },
];

// A `lockstep_type_bug` value that names no bug would build the correct code and pass.
#[cfg(all(
    lockstep_type_bug,
    not(any(
        lockstep_type_bug = "raw_buf-iter-unbounded",
        lockstep_type_bug = "graph-send-unbounded",
        lockstep_type_bug = "raw_buf-drain-contravariant",
        lockstep_type_bug = "raw_buf-dropck-escape",
    ))
))]
compile_error!(
    "--cfg lockstep_type_bug names no type-level seeded bug of `structures`; they are: \
     raw_buf-iter-unbounded, graph-send-unbounded, raw_buf-drain-contravariant, \
     raw_buf-dropck-escape"
);

impl Bug {
    /// The bug's catalogue entry.
    pub fn info(self) -> &'static SeededBug {
        CATALOGUE
            .iter()
            .find(|b| b.bug == self)
            .expect("every bug is in the catalogue")
    }

    /// The bug with this id.
    pub fn from_id(id: &str) -> Option<Bug> {
        CATALOGUE.iter().find(|b| b.id == id).map(|b| b.bug)
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().id)
    }
}

/// A set of seeded bugs: the ones switched on together.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BugSet(u64);

impl BugSet {
    /// No bug.
    pub const NONE: BugSet = BugSet(0);

    /// The bug's bit: its position in the catalogue, which is the order the macro declares the
    /// variants in, so the discriminant is the index (checked by a test). Called by every bug
    /// site, so no search.
    #[inline]
    fn bit(bug: Bug) -> u64 {
        1 << (bug as u32)
    }

    /// The set holding just `bug`.
    pub fn one(bug: Bug) -> BugSet {
        BugSet(Self::bit(bug))
    }

    /// The set with `bug` added.
    #[must_use]
    pub fn with(self, bug: Bug) -> BugSet {
        BugSet(self.0 | Self::bit(bug))
    }

    /// The set with `bug` taken out.
    #[must_use]
    pub fn without(self, bug: Bug) -> BugSet {
        BugSet(self.0 & !Self::bit(bug))
    }

    /// Whether `bug` is in the set.
    #[inline]
    pub fn contains(self, bug: Bug) -> bool {
        self.0 & Self::bit(bug) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The bugs in the set, in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = Bug> {
        CATALOGUE
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, b)| b.bug)
    }

    /// Parses a comma-separated list of ids (`a,b`); empty is the empty set. The error names
    /// the known ids.
    pub fn parse(list: &str) -> Result<BugSet, String> {
        let mut set = BugSet::NONE;
        for id in list.split(',').map(str::trim).filter(|id| !id.is_empty()) {
            let Some(bug) = Bug::from_id(id) else {
                let ids: Vec<_> = CATALOGUE.iter().map(|b| b.id).collect();
                return Err(format!(
                    "`{id}` is not a seeded bug; the seeded bugs are: {}",
                    ids.join(", ")
                ));
            };
            set = set.with(bug);
        }
        Ok(set)
    }
}

impl From<Option<Bug>> for BugSet {
    fn from(bug: Option<Bug>) -> BugSet {
        bug.map_or(BugSet::NONE, BugSet::one)
    }
}

impl fmt::Display for BugSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.iter().map(|b| b.info().id).collect();
        f.write_str(&ids.join(","))
    }
}

impl fmt::Debug for BugSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BugSet({self})")
    }
}

/// Whether `bug` is switched on.
#[cfg(not(feature = "seeded-bugs"))]
#[inline(always)]
pub const fn active(_bug: Bug) -> bool {
    false
}

/// Whether `bug` is switched on: selected by [`with_bugs`] on this thread, or else by
/// `LOCKSTEP_SEEDED_BUG`.
#[cfg(feature = "seeded-bugs")]
#[inline]
pub fn active(bug: Bug) -> bool {
    selected().contains(bug)
}

/// The bugs switched on for this thread.
pub fn selected() -> BugSet {
    #[cfg(feature = "seeded-bugs")]
    {
        imp::OVERRIDE
            .with(std::cell::Cell::get)
            .unwrap_or_else(imp::from_env)
    }
    #[cfg(not(feature = "seeded-bugs"))]
    {
        BugSet::NONE
    }
}

/// Runs `f` with `bug` switched on (or every bug off, for `None`) on this thread; see
/// [`with_bugs`].
///
/// # Panics
/// As [`with_bugs`].
pub fn with_bug<R>(bug: Option<Bug>, f: impl FnOnce() -> R) -> R {
    with_bugs(bug.into(), f)
}

/// Runs `f` with the bugs of `set` switched on (and no other) on this thread, whatever
/// `LOCKSTEP_SEEDED_BUG` says; restores the previous selection afterwards, also on a panic.
///
/// # Panics
/// Panics if `set` is not empty in a build without the `seeded-bugs` feature: the bugs could not
/// be switched on, and a test relying on them would pass for the wrong reason.
pub fn with_bugs<R>(set: BugSet, f: impl FnOnce() -> R) -> R {
    #[cfg(feature = "seeded-bugs")]
    {
        struct Restore(Option<BugSet>);
        impl Drop for Restore {
            fn drop(&mut self) {
                imp::OVERRIDE.with(|o| o.set(self.0));
            }
        }
        let _restore = Restore(imp::OVERRIDE.with(|o| o.replace(Some(set))));
        f()
    }
    #[cfg(not(feature = "seeded-bugs"))]
    {
        assert!(
            set.is_empty(),
            "seeded bugs {set} requested, but `structures` was built without the `seeded-bugs` \
             feature"
        );
        f()
    }
}

/// Reads `LOCKSTEP_SEEDED_BUG`, a comma-separated list of ids: the empty set when unset or
/// empty, an error naming the known ids when an id names no bug, or when this build cannot
/// switch bugs on.
pub fn from_env() -> Result<BugSet, String> {
    let Some(value) = std::env::var_os(ENV_VAR) else {
        return Ok(BugSet::NONE);
    };
    let value = value.to_string_lossy();
    let set = BugSet::parse(&value).map_err(|e| format!("{ENV_VAR}={value}: {e}"))?;
    if !set.is_empty() && !ENABLED {
        return Err(format!(
            "{ENV_VAR}={value}, but `structures` was built without the `seeded-bugs` feature, so \
             the bug cannot be switched on: build with `--features seeded-bugs`"
        ));
    }
    Ok(set)
}

#[cfg(feature = "seeded-bugs")]
mod imp {
    use std::cell::Cell;
    use std::sync::OnceLock;

    use super::BugSet;

    thread_local! {
        /// `Some(selection)` while [`super::with_bugs`] runs on this thread.
        pub(super) static OVERRIDE: Cell<Option<BugSet>> = const { Cell::new(None) };
    }

    /// The selection from the environment, read once. A value that names no bug ends the
    /// process with the list of ids: running with no bug switched on would look like a pass.
    pub(super) fn from_env() -> BugSet {
        static FROM_ENV: OnceLock<BugSet> = OnceLock::new();
        *FROM_ENV.get_or_init(|| {
            super::from_env().unwrap_or_else(|message| {
                eprintln!("error: {message}");
                std::process::exit(2)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bug_sets_parse_print_and_hold_several_bugs() {
        let set = BugSet::parse("list-clear-forgets, raw_buf-pop-uninit").unwrap();
        assert!(set.contains(Bug::ListClearForgets));
        assert!(set.contains(Bug::RawBufPopUninit));
        assert!(!set.contains(Bug::RawBufDrainInclusive));
        // Catalogue order, whatever order they were given in.
        assert_eq!(set.to_string(), "raw_buf-pop-uninit,list-clear-forgets");
        assert_eq!(BugSet::parse("").unwrap(), BugSet::NONE);
        let err = BugSet::parse("raw_buf-pop-uninit,nope").unwrap_err();
        assert!(err.contains("`nope` is not a seeded bug"), "{err}");
        assert!(CATALOGUE.len() <= 64, "a BugSet holds at most 64 bugs");
        for (i, entry) in CATALOGUE.iter().enumerate() {
            assert_eq!(
                entry.bug as usize, i,
                "{} is not at its discriminant",
                entry.id
            );
        }
    }

    #[test]
    fn type_bugs_are_the_ones_the_cfg_check_knows() {
        let source = include_str!("seeded.rs");
        for bug in TYPE_BUGS {
            let cfg = format!("lockstep_type_bug = \"{}\"", bug.id);
            assert!(source.contains(&cfg), "{} is not in the cfg check", bug.id);
            assert!(TARGETS.contains(&bug.target), "{}", bug.target);
            assert!(
                Bug::from_id(bug.id).is_none(),
                "{} is also a run-time bug",
                bug.id
            );
        }
        assert_eq!(
            source.matches("        lockstep_type_bug = \"").count(),
            TYPE_BUGS.len()
        );
    }

    /// The fuzz targets of the structures.
    const TARGETS: &[&str] = &["raw_buf", "intrusive_list", "arena_graph"];

    #[cfg(feature = "seeded-bugs")]
    #[test]
    fn with_bugs_switches_on_exactly_the_set() {
        let set = BugSet::one(Bug::GraphTrimNoFloor).with(Bug::ListClearForgets);
        with_bugs(set, || {
            assert!(active(Bug::GraphTrimNoFloor) && active(Bug::ListClearForgets));
            assert!(!active(Bug::RawBufPopUninit));
            with_bug(None, || assert!(!active(Bug::GraphTrimNoFloor)));
            without(Bug::GraphTrimNoFloor, || {
                assert!(!active(Bug::GraphTrimNoFloor) && active(Bug::ListClearForgets));
            });
            assert!(active(Bug::GraphTrimNoFloor));
        });
    }
}
