//! The identity of a failure: which engine saw it, its class and severity, and its signature.
//!
//! Every engine (the harness natively, AddressSanitizer, Miri under each aliasing model) reports
//! a failure as a [`Finding`]: a [`Class`] and a frame, the first stack frame inside the crates
//! under test, or the op where the model and the subject disagreed. Its signature is what
//! de-duplicates it. These are the only definitions: the command line, the stored cases and the
//! generated tests all use them, and none parses them back from text it wrote.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Miri's aliasing model.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum AliasingModel {
    /// Stacked Borrows, Miri's default.
    StackedBorrows,
    /// Tree Borrows (`-Zmiri-tree-borrows`).
    TreeBorrows,
}

impl AliasingModel {
    /// Both models, Stacked Borrows first.
    pub const BOTH: [AliasingModel; 2] =
        [AliasingModel::StackedBorrows, AliasingModel::TreeBorrows];

    /// The short name used in reports: `sb` or `tb`.
    pub fn short(self) -> &'static str {
        match self {
            AliasingModel::StackedBorrows => "sb",
            AliasingModel::TreeBorrows => "tb",
        }
    }
}

/// How bad a failure is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Undefined behaviour (a sanitizer or Miri report), or a tracked value dropped twice or
    /// used after its drop.
    MemorySafety,
    /// A wrong result, state or invariant, a leak, or an unexpected panic or abort.
    Correctness,
    /// A leak or a difference from the model that appears only after an injected panic: the
    /// structure is memory-safe under the panic but does not behave as std does.
    PanicSafety,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 3] = [
        Severity::MemorySafety,
        Severity::Correctness,
        Severity::PanicSafety,
    ];

    /// The severity of a failure of `class`, seen after an injected panic or not.
    pub fn of(class: &Class, after_injected_panic: bool) -> Severity {
        match class.severity() {
            Severity::Correctness
                if after_injected_panic
                    && matches!(
                        class,
                        Class::Leak | Class::EarlyDrop | Class::Divergence | Class::StateMismatch
                    ) =>
            {
                Severity::PanicSafety
            }
            other => other,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::MemorySafety => "memory-safety",
            Severity::Correctness => "correctness",
            Severity::PanicSafety => "panic-safety",
        })
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.to_string() == s)
            .ok_or_else(|| {
                format!("unknown severity `{s}`: the severities are memory-safety, correctness, panic-safety")
            })
    }
}

/// A way to replay a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// The replay binary, natively: the model, the invariants and the drop accounting.
    Native,
    /// The replay binary with AddressSanitizer and LeakSanitizer.
    Asan,
    /// Miri with Stacked Borrows.
    MiriSb,
    /// Miri with Tree Borrows.
    MiriTb,
}

impl Engine {
    /// Every engine, in the order triage runs them.
    pub const ALL: [Engine; 4] = [Engine::Native, Engine::Asan, Engine::MiriSb, Engine::MiriTb];

    /// The aliasing model, for the Miri engines.
    pub fn model(self) -> Option<AliasingModel> {
        match self {
            Engine::MiriSb => Some(AliasingModel::StackedBorrows),
            Engine::MiriTb => Some(AliasingModel::TreeBorrows),
            Engine::Native | Engine::Asan => None,
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Native => "native",
            Engine::Asan => "asan",
            Engine::MiriSb => "miri-sb",
            Engine::MiriTb => "miri-tb",
        })
    }
}

/// What kind of failure a report shows. Written and read as its name (`out-of-bounds`,
/// `aliasing (tree borrows)`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Memory used after it was freed.
    UseAfterFree,
    /// Memory outside an allocation.
    OutOfBounds,
    /// An allocation freed twice.
    DoubleFree,
    /// A pointer freed that was never allocated (or with the wrong allocator).
    InvalidFree,
    /// Uninitialised memory read as a value.
    UninitRead,
    /// An aliasing-model violation, under the named model.
    Aliasing(AliasingModel),
    /// A wild access (a segmentation fault on an address no allocation owns).
    WildAccess,
    /// Other undefined behaviour Miri reports.
    OtherUb,
    /// Memory or values never freed.
    Leak,
    /// A tracked value dropped twice.
    DoubleDrop,
    /// A tracked value read after its drop.
    UseAfterDrop,
    /// A broken invariant.
    Invariant,
    /// A panic in the subject.
    Panic,
    /// A panic that could not unwind (a failed debug precondition of an `unsafe` std function,
    /// a panic in a destructor during unwinding): the process aborted.
    Abort,
    /// Tracked values dropped too early.
    EarlyDrop,
    /// An op's output differs from the model's.
    Divergence,
    /// The whole states differ.
    StateMismatch,
    /// The model panicked: a bug in the spec.
    ModelPanic,
    /// The process died (a signal) without a report.
    Crash,
}

impl Class {
    /// How telling the class is: when engines disagree, the most telling one names the
    /// finding. Memory errors first (they say what broke), then leaks, then what the harness
    /// sees as consequences.
    pub fn rank(&self) -> u8 {
        match self {
            Class::UseAfterFree | Class::OutOfBounds | Class::DoubleFree | Class::InvalidFree => 0,
            Class::UninitRead | Class::Aliasing(_) => 1,
            Class::WildAccess | Class::OtherUb => 2,
            Class::Leak => 3,
            Class::DoubleDrop | Class::UseAfterDrop => 4,
            Class::Invariant | Class::Panic | Class::Abort => 5,
            Class::EarlyDrop | Class::Divergence | Class::StateMismatch => 6,
            Class::ModelPanic => 7,
            Class::Crash => 8,
        }
    }

    /// The severity group of the class, for a failure seen without an injected panic (see
    /// [`Severity`]).
    pub fn severity(&self) -> Severity {
        match self {
            Class::UseAfterFree
            | Class::OutOfBounds
            | Class::DoubleFree
            | Class::InvalidFree
            | Class::UninitRead
            | Class::Aliasing(_)
            | Class::WildAccess
            | Class::OtherUb
            | Class::DoubleDrop
            | Class::UseAfterDrop
            | Class::Crash => Severity::MemorySafety,
            Class::Leak
            | Class::Invariant
            | Class::Panic
            | Class::Abort
            | Class::EarlyDrop
            | Class::Divergence
            | Class::StateMismatch
            | Class::ModelPanic => Severity::Correctness,
        }
    }

    /// Whether the harness reports it natively, without memory going wrong: a case made only
    /// of these can run in-process.
    pub fn is_harness(&self) -> bool {
        matches!(
            self,
            Class::Divergence
                | Class::StateMismatch
                | Class::Invariant
                | Class::Panic
                | Class::ModelPanic
                | Class::Leak
                | Class::EarlyDrop
                | Class::DoubleDrop
                | Class::UseAfterDrop
        )
    }

    /// Every class, for parsing.
    const ALL: [Class; 20] = [
        Class::UseAfterFree,
        Class::OutOfBounds,
        Class::DoubleFree,
        Class::InvalidFree,
        Class::UninitRead,
        Class::Aliasing(AliasingModel::StackedBorrows),
        Class::Aliasing(AliasingModel::TreeBorrows),
        Class::WildAccess,
        Class::OtherUb,
        Class::Leak,
        Class::DoubleDrop,
        Class::UseAfterDrop,
        Class::Invariant,
        Class::Panic,
        Class::Abort,
        Class::EarlyDrop,
        Class::Divergence,
        Class::StateMismatch,
        Class::ModelPanic,
        Class::Crash,
    ];
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::UseAfterFree => "use-after-free",
            Class::OutOfBounds => "out-of-bounds",
            Class::DoubleFree => "double-free",
            Class::InvalidFree => "invalid-free",
            Class::UninitRead => "uninit-read",
            Class::Aliasing(AliasingModel::StackedBorrows) => "aliasing (stacked borrows)",
            Class::Aliasing(AliasingModel::TreeBorrows) => "aliasing (tree borrows)",
            Class::WildAccess => "wild-access",
            Class::OtherUb => "undefined-behavior",
            Class::Leak => "leak",
            Class::DoubleDrop => "double-drop",
            Class::UseAfterDrop => "use-after-drop",
            Class::Invariant => "invariant",
            Class::Panic => "panic",
            Class::Abort => "abort",
            Class::EarlyDrop => "early-drop",
            Class::Divergence => "divergence",
            Class::StateMismatch => "state-mismatch",
            Class::ModelPanic => "model-panic",
            Class::Crash => "crash",
        })
    }
}

/// A failure one engine saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Its class.
    pub class: Class,
    /// The first frame inside the crates under test (`file:line`, relative to the root), or
    /// for harness failures without one, the failing op (`op Insert`).
    pub frame: String,
    /// One line saying what happened.
    pub summary: String,
    /// Whether an injected panic fired before it (the harness knows; sanitizers and Miri do not
    /// say).
    #[serde(default)]
    pub after_injected_panic: bool,
}

impl Finding {
    /// The signature: class and frame. Aliasing keeps only "aliasing", so a violation both
    /// models report is one finding.
    pub fn signature(&self) -> String {
        let class = match self.class {
            Class::Aliasing(_) => "aliasing".to_owned(),
            ref other => other.to_string(),
        };
        format!("{class} at {}", self.frame)
    }

    /// How bad it is.
    pub fn severity(&self) -> Severity {
        Severity::of(&self.class, self.after_injected_panic)
    }
}

impl FromStr for Class {
    type Err = String;

    /// Parses what `Display` writes.
    fn from_str(s: &str) -> Result<Self, String> {
        Class::ALL
            .into_iter()
            .find(|c| c.to_string() == s)
            .ok_or_else(|| format!("`{s}` is not a class of failure"))
    }
}

/// What engines saw, grouped by class for people: `out-of-bounds (asan, miri-sb)`.
pub fn grouped(seen: &std::collections::BTreeMap<Engine, Class>) -> Vec<String> {
    let mut by_class: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (engine, class) in seen {
        by_class
            .entry(class.to_string())
            .or_default()
            .push(engine.to_string());
    }
    by_class
        .into_iter()
        .map(|(class, engines)| format!("{class} ({})", engines.join(", ")))
        .collect()
}

impl Serialize for Class {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Class {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Engine::ALL
            .into_iter()
            .find(|e| e.to_string() == s)
            .ok_or_else(|| {
                format!("unknown engine `{s}`: the engines are native, asan, miri-sb, miri-tb")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_engines_parse_what_they_print() {
        for class in Class::ALL {
            assert_eq!(class.to_string().parse::<Class>(), Ok(class.clone()));
        }
        for engine in Engine::ALL {
            assert_eq!(engine.to_string().parse::<Engine>(), Ok(engine));
        }
        assert!("nope".parse::<Class>().is_err());
    }

    #[test]
    fn severities_group_the_classes() {
        assert_eq!(
            Severity::of(&Class::UseAfterFree, true),
            Severity::MemorySafety
        );
        assert_eq!(Severity::of(&Class::Leak, false), Severity::Correctness);
        assert_eq!(Severity::of(&Class::Leak, true), Severity::PanicSafety);
        assert_eq!(Severity::of(&Class::Invariant, true), Severity::Correctness);
        assert_eq!(
            Severity::of(&Class::DoubleDrop, true),
            Severity::MemorySafety
        );
        assert_eq!("panic-safety".parse(), Ok(Severity::PanicSafety));
    }
}
