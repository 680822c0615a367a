//! The spec of [`RawBuf`]: every public method, against `Vec`.
//!
//! The spec keeps two buffers, `main` and `side`, so that `split_off`, `append` and `clone` have
//! somewhere to put their results; most ops work on `main`, and `Swap` exchanges the two.
//! Both sides are driven through one generic function over the [`Buf`] trait, implemented for
//! `Vec` and for `RawBuf`, so the model and the subject always make the same calls.

use std::mem;
use std::ops::{Bound, Deref, DerefMut};

use arbitrary::Arbitrary;
use lockstep::{Finish, PanicMessage, PanicPlan, Spec, Tracked, expect_panic, take_ends};
use serde::{Deserialize, Serialize};
use structures::raw_buf::{RawBuf, TryReserveError};

/// The element type: a tracked `u32`, so every clone and drop is accounted for.
pub type Elem = Tracked<u32>;

/// The shape of a `drain` range.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the variants name the Rust range syntax they stand for"
)]
pub enum RangeKind {
    Full,
    From,
    To,
    ToInclusive,
    Range,
    RangeInclusive,
}

/// One operation. Indices are reduced modulo the length plus one or two, so both valid indices
/// and the first invalid ones (which must panic with std's message) are reached.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "each variant is the `RawBuf` method of the same name"
)]
pub enum Op {
    Push(u32),
    TryPush(u32),
    Pop,
    Insert {
        index: u16,
        value: u32,
    },
    Remove(u16),
    SwapRemove(u16),
    Truncate(u16),
    Clear,
    Reserve(u8),
    ReserveExact(u8),
    TryReserve(u8),
    /// `try_reserve(_exact)` of `usize::MAX - shortfall`: an error, never a panic.
    TryReserveOverflow {
        exact: bool,
        shortfall: u8,
    },
    ShrinkToFit,
    ExtendFromSlice(Vec<u32>),
    /// `drain`, then `front` elements from the front and `back` from the back, then `finish`.
    Drain {
        kind: RangeKind,
        start: u16,
        end: u16,
        front: u8,
        back: u8,
        finish: Finish,
    },
    /// `retain(|x| x >= pivot)`: comparisons of tracked values, so they can be made to panic.
    Retain {
        pivot: u32,
    },
    /// `retain_mut`, adding `add` to each element before comparing it with `pivot`.
    RetainMut {
        add: u32,
        pivot: u32,
    },
    /// `side = main.split_off(at)`.
    SplitOff(u16),
    /// `main.append(&mut side)`.
    Append,
    /// `side = main.clone()`.
    CloneToSide,
    /// Exchanges `main` and `side`.
    Swap,
    /// Consumes `main` with `into_iter`, takes `front` and `back` elements, drops the rest.
    IntoIter {
        front: u8,
        back: u8,
    },
    Get(u16),
    /// `*get_mut(index) = value`.
    Set {
        index: u16,
        value: u32,
    },
    /// `iter().rev().take(n)`.
    IterBack(u8),
    /// Adds to every element through `iter_mut`.
    IterMutAdd(u32),
    /// `main == side`.
    Equal,
    /// `main = RawBuf::with_capacity(n)`.
    WithCapacity(u8),
    /// Arms a panic in the next op's clones, drops or comparisons.
    Arm(PanicPlan),
}

/// What an op returns.
#[derive(Debug, PartialEq, Eq)]
pub enum Out {
    /// Nothing to compare.
    Unit,
    /// One value, or none.
    Value(Option<u32>),
    /// Values, in order.
    Values(Vec<u32>),
    /// A yes or no.
    Flag(bool),
    /// An error value.
    Failed(String),
    /// A panic by contract.
    Panicked(PanicMessage),
}

/// The operations both `Vec<Elem>` and `RawBuf<Elem>` offer, so one function drives both.
pub trait Buf:
    Default
    + Clone
    + PartialEq
    + Deref<Target = [Elem]>
    + DerefMut
    + IntoIterator<Item = Elem, IntoIter: DoubleEndedIterator>
{
    /// `with_capacity`.
    fn with_capacity(n: usize) -> Self;
    /// `push`, or through `try_reserve` for `Vec`.
    fn try_push(&mut self, value: Elem) -> Result<(), String>;
    /// `try_reserve` or `try_reserve_exact`, with the error's kind.
    fn try_reserve_kind(&mut self, n: usize, exact: bool) -> Result<(), String>;
    /// Dispatches to the inherent method of the same name.
    fn call(&mut self, op: &Op, other: &mut Self) -> Out;
}

/// The names of error kinds that both sides report the same way.
fn reserve_error(capacity_overflow: bool) -> String {
    if capacity_overflow {
        "capacity overflow"
    } else {
        "allocation failed"
    }
    .to_owned()
}

impl Buf for Vec<Elem> {
    fn with_capacity(n: usize) -> Self {
        Vec::with_capacity(n)
    }

    fn try_push(&mut self, value: Elem) -> Result<(), String> {
        self.try_reserve(1)
            .map_err(|e| reserve_error(e.to_string().contains("capacity")))?;
        self.push(value);
        Ok(())
    }

    fn try_reserve_kind(&mut self, n: usize, exact: bool) -> Result<(), String> {
        let result = if exact {
            self.try_reserve_exact(n)
        } else {
            self.try_reserve(n)
        };
        result.map_err(|e| reserve_error(e.to_string().contains("capacity")))
    }

    fn call(&mut self, op: &Op, other: &mut Self) -> Out {
        apply_inherent!(self, op, other)
    }
}

impl Buf for RawBuf<Elem> {
    fn with_capacity(n: usize) -> Self {
        RawBuf::with_capacity(n)
    }

    fn try_push(&mut self, value: Elem) -> Result<(), String> {
        RawBuf::try_push(self, value)
            .map_err(|(_, e)| reserve_error(matches!(e, TryReserveError::CapacityOverflow)))
    }

    fn try_reserve_kind(&mut self, n: usize, exact: bool) -> Result<(), String> {
        let result = if exact {
            self.try_reserve_exact(n)
        } else {
            self.try_reserve(n)
        };
        result.map_err(|e| reserve_error(matches!(e, TryReserveError::CapacityOverflow)))
    }

    fn call(&mut self, op: &Op, other: &mut Self) -> Out {
        apply_inherent!(self, op, other)
    }
}

fn values<'a>(elems: impl IntoIterator<Item = &'a Elem>) -> Vec<u32> {
    elems.into_iter().map(|e| **e).collect()
}

fn owned(elems: impl IntoIterator<Item = Elem>) -> Vec<u32> {
    elems.into_iter().map(Tracked::into_inner).collect()
}

/// A `drain` range over `len` elements: mostly valid, with the first invalid values (a start one
/// past the end, an end one past `len`) reached often enough to check that both sides panic.
fn range(kind: RangeKind, start: u16, end: u16, len: usize) -> (Bound<usize>, Bound<usize>) {
    use Bound::{Excluded, Included, Unbounded};
    let start = usize::from(start) % (len + 1);
    let end = (start + usize::from(end) % (len - start + 3)).saturating_sub(1);
    match kind {
        RangeKind::Full => (Unbounded, Unbounded),
        RangeKind::From => (Included(start), Unbounded),
        RangeKind::To => (Unbounded, Excluded(end)),
        RangeKind::ToInclusive => (Unbounded, Included(end)),
        RangeKind::Range => (Included(start), Excluded(end)),
        RangeKind::RangeInclusive => (Included(start), Included(end)),
    }
}

/// The ops whose methods exist under the same name on `Vec` and `RawBuf` but are not part of a
/// trait: expanded once per type, so each side calls its own inherent method.
macro_rules! apply_inherent {
    ($buf:ident, $op:ident, $other:ident) => {{
        let len = $buf.len();
        let at = |i: &u16, slack: usize| usize::from(*i) % (len + slack);
        match $op {
            Op::Push(v) => $buf.push(Tracked::new(*v)),
            Op::Pop => return Out::Value($buf.pop().map(Tracked::into_inner)),
            Op::Insert { index, value } => {
                let (i, v) = (at(index, 2), Tracked::new(*value));
                if let Err(e) = expect_panic(|| $buf.insert(i, v)) {
                    return Out::Panicked(e);
                }
            }
            Op::Remove(i) => {
                return expect_panic(|| $buf.remove(at(i, 1)))
                    .map_or_else(Out::Panicked, |v| Out::Value(Some(v.into_inner())));
            }
            Op::SwapRemove(i) => {
                return expect_panic(|| $buf.swap_remove(at(i, 1)))
                    .map_or_else(Out::Panicked, |v| Out::Value(Some(v.into_inner())));
            }
            Op::Truncate(n) => $buf.truncate(at(n, 2)),
            Op::Clear => $buf.clear(),
            Op::Reserve(n) => $buf.reserve(usize::from(*n)),
            Op::ReserveExact(n) => $buf.reserve_exact(usize::from(*n)),
            Op::ShrinkToFit => $buf.shrink_to_fit(),
            Op::ExtendFromSlice(vs) => {
                let items: Vec<Elem> = vs.iter().take(32).map(|v| Tracked::new(*v)).collect();
                $buf.extend_from_slice(&items);
            }
            Op::Drain {
                kind,
                start,
                end,
                front,
                back,
                finish,
            } => {
                let bounds = range(*kind, *start, *end, len);
                let mut drain = match expect_panic(|| $buf.drain(bounds)) {
                    Ok(drain) => drain,
                    Err(e) => return Out::Panicked(e),
                };
                let mut got = owned(take_ends(&mut drain, (*front).into(), (*back).into()));
                // Forgetting a drain leaks only its elements, which own no heap memory.
                finish.end(drain, &mut got, Tracked::into_inner);
                return Out::Values(got);
            }
            Op::Retain { pivot } => {
                let pivot = Tracked::new(*pivot);
                $buf.retain(|x| *x >= pivot);
            }
            Op::RetainMut { add, pivot } => {
                let pivot = Tracked::new(*pivot);
                $buf.retain_mut(|x| {
                    let v = x.get_mut();
                    *v = v.wrapping_add(*add);
                    *x >= pivot
                });
            }
            Op::SplitOff(i) => match expect_panic(|| $buf.split_off(at(i, 2))) {
                Ok(tail) => *$other = tail,
                Err(e) => return Out::Panicked(e),
            },
            Op::Append => $buf.append($other),
            Op::Get(i) => return Out::Value($buf.get(at(i, 1)).map(|v| **v)),
            Op::Set { index, value } => {
                if let Some(slot) = $buf.get_mut(at(index, 1)) {
                    *slot = Tracked::new(*value);
                }
            }
            Op::IterBack(n) => return Out::Values(values($buf.iter().rev().take(usize::from(*n)))),
            Op::IterMutAdd(add) => {
                for x in $buf.iter_mut() {
                    let v = x.get_mut();
                    *v = v.wrapping_add(*add);
                }
            }
            _ => unreachable!("{:?} is applied by `apply`", $op),
        }
        Out::Unit
    }};
}
use apply_inherent;

/// Two buffers of the same kind: the model's pair of `Vec`s or the subject's pair of `RawBuf`s.
#[derive(Debug, Default)]
pub struct Pair<B> {
    main: B,
    side: B,
}

/// Applies `op` to a pair of buffers, the same way on both sides.
fn apply<B: Buf>(pair: &mut Pair<B>, op: &Op) -> Out {
    let Pair { main, side } = pair;
    match op {
        Op::TryPush(v) => {
            return main
                .try_push(Tracked::new(*v))
                .map_or_else(Out::Failed, |()| Out::Unit);
        }
        Op::TryReserve(n) => {
            return main
                .try_reserve_kind(usize::from(*n), false)
                .map_or_else(Out::Failed, |()| Out::Unit);
        }
        Op::TryReserveOverflow { exact, shortfall } => {
            let n = usize::MAX - usize::from(*shortfall);
            return main
                .try_reserve_kind(n, *exact)
                .map_or_else(Out::Failed, |()| Out::Unit);
        }
        Op::CloneToSide => *side = main.clone(),
        Op::Swap => mem::swap(main, side),
        Op::IntoIter { front, back } => {
            let mut iter = mem::take(main).into_iter();
            return Out::Values(owned(take_ends(&mut iter, (*front).into(), (*back).into())));
        }
        Op::Equal => return Out::Flag(*main == *side),
        Op::WithCapacity(n) => *main = B::with_capacity(usize::from(*n)),
        Op::Arm(plan) => lockstep::arm(*plan),
        other => return main.call(other, side),
    }
    Out::Unit
}

/// The spec: `RawBuf<Tracked<u32>>` against `Vec<Tracked<u32>>`.
#[derive(Debug)]
pub struct RawBufSpec;

impl Spec for RawBufSpec {
    type Op = Op;
    type Subject = Pair<RawBuf<Elem>>;
    type Model = Pair<Vec<Elem>>;
    type Output = Out;
    type State = [Vec<u32>; 2];

    fn new_model() -> Self::Model {
        Pair::default()
    }

    fn new_subject() -> Self::Subject {
        Pair::default()
    }

    fn apply_model(model: &mut Self::Model, op: &Op) -> Out {
        apply(model, op)
    }

    fn apply_subject(subject: &mut Self::Subject, op: &Op) -> Out {
        apply(subject, op)
    }

    fn check_invariants(subject: &Self::Subject) {
        subject.main.check_invariants();
        subject.side.check_invariants();
    }

    fn model_state(model: &Self::Model) -> Self::State {
        [values(model.main.iter()), values(model.side.iter())]
    }

    fn subject_state(subject: &Self::Subject) -> Self::State {
        [values(subject.main.iter()), values(subject.side.iter())]
    }
}
