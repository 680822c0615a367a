//! The spec of [`RawBuf`]: every public method, against `Vec` (as [`VecModel`]).
//!
//! Two buffers, `main` and `side`, give `split_off`, `append` and `clone` somewhere to put their
//! results; most ops work on `main`, and `Swap` exchanges the two. One generic function applies
//! an op to either side through the [`Buf`] trait, so the model and the subject make the same
//! calls.
#![allow(
    clippy::unit_arg,
    reason = "an op whose method returns nothing ends in `.into()`, like every other op"
)]

use std::{fmt::Debug, mem, ops::RangeBounds};

use lockstep::select::{RangeKind, at, in_range, index};
use lockstep::{Finish, Out, Tracked, models::VecModel};
use structures::raw_buf::RawBuf;

/// The element type: a tracked `u32`, so every clone and drop is accounted for.
pub type Elem = Tracked<u32>;

lockstep::ops! {
    /// One operation. Indices reach every valid value and the first invalid one, where both sides
    /// must panic.
    #[expect(missing_docs, reason = "each variant is the `RawBuf` method of the same name")]
    pub enum Op {
        Push(u32),
        TryPush(u32),
        Pop,
        Insert { index: u16, value: u32 },
        Remove(u16),
        SwapRemove(u16),
        Truncate(u16),
        Clear,
        Reserve(u8),
        ReserveExact(u8),
        TryReserve(u8),
        /// `try_reserve(_exact)` of `usize::MAX - shortfall`: an error, never a panic.
        TryReserveOverflow { exact: bool, shortfall: u8 },
        ShrinkToFit,
        ExtendFromSlice(Vec<u32>),
        /// `extend` with the values (at most 32), through an iterator.
        Extend(Vec<u32>),
        /// `drain`, then `front` elements from the front and `back` from the back, then `finish`.
        Drain { kind: RangeKind, start: u16, end: u16, front: u8, back: u8, finish: Finish },
        /// `retain(|x| x >= pivot)`: comparisons of tracked values, so they can be made to panic.
        Retain { pivot: u32 },
        /// `retain_mut`, adding `add` to each element before comparing it with `pivot`.
        RetainMut { add: u32, pivot: u32 },
        /// `side = main.split_off(at)`.
        SplitOff(u16),
        /// `main.append(&mut side)`, unless the two hold over 1,024 elements: then `side.clear()`.
        Append,
        /// `side = main.clone()`.
        CloneToSide,
        /// Exchanges `main` and `side`.
        Swap,
        /// Consumes `main` with `into_iter`, takes `front` and `back` elements, drops the rest.
        IntoIter { front: u8, back: u8 },
        Get(u16),
        /// `*get_mut(index) = value`.
        Set { index: u16, value: u32 },
        /// `iter().rev().take(n)`.
        IterBack(u8),
        /// Adds to every element through `iter_mut`.
        IterMutAdd(u32),
        /// `main == side`.
        Equal,
        /// `main = RawBuf::with_capacity(n)`.
        WithCapacity(u8),
    }
}

lockstep::same_api! {
    /// The methods `RawBuf` and `Vec` share.
    pub trait Buf: Default + Clone + PartialEq + Extend<Elem> + IntoIterator<Item = Elem, IntoIter: DoubleEndedIterator>
    for RawBuf<Elem>, VecModel<Elem> {
        fn with_capacity(capacity: usize) -> Self;
        fn len(&self) -> usize;
        fn push(&mut self, value: Elem);
        fn try_push(&mut self, value: Elem) -> Result<(), (Elem, impl Debug)>;
        fn pop(&mut self) -> Option<Elem>;
        fn insert(&mut self, index: usize, element: Elem);
        fn remove(&mut self, index: usize) -> Elem;
        fn swap_remove(&mut self, index: usize) -> Elem;
        fn truncate(&mut self, len: usize);
        fn clear(&mut self);
        fn reserve(&mut self, additional: usize);
        fn reserve_exact(&mut self, additional: usize);
        fn try_reserve(&mut self, additional: usize) -> Result<(), impl Debug>;
        fn try_reserve_exact(&mut self, additional: usize) -> Result<(), impl Debug>;
        fn shrink_to_fit(&mut self);
        fn extend_from_slice(&mut self, other: &[Elem]);
        fn drain<R: RangeBounds<usize>>(&mut self, range: R) -> impl DoubleEndedIterator<Item = Elem>;
        fn retain<F: FnMut(&Elem) -> bool>(&mut self, keep: F);
        fn retain_mut<F: FnMut(&mut Elem) -> bool>(&mut self, keep: F);
        fn split_off(&mut self, at: usize) -> Self;
        fn append(&mut self, other: &mut Self);
        fn get(&self, index: usize) -> Option<&Elem>;
        fn get_mut(&mut self, index: usize) -> Option<&mut Elem>;
        fn iter(&self) -> impl DoubleEndedIterator<Item = &Elem>;
        fn iter_mut(&mut self) -> impl Iterator<Item = &mut Elem>;
    }
}

/// The kinds of `try_reserve` errors, which the two error types spell differently.
const KINDS: &[&str] = &["CapacityOverflow", "AllocError"];

/// Applies `op` to a pair of buffers, the same way on both sides.
fn apply<B: Buf>([main, side]: &mut [B; 2], op: &Op) -> Out<u32> {
    let len = main.len();
    let new = |v: &u32| Tracked::new(*v);
    let add = |x: &mut Elem, n: u32| *x.get_mut() = x.wrapping_add(n);
    match op {
        Op::Push(v) => main.push(new(v)).into(),
        Op::TryPush(v) => Out::result(main.try_push(new(v)).map_err(|(_, e)| e), KINDS),
        Op::Pop => main.pop().into(),
        Op::Insert { index, value } => at(*index, len + 1, |i| main.insert(i, new(value))).into(),
        Op::Remove(i) => at(*i, len, |i| main.remove(i)).map(Some).into(),
        Op::SwapRemove(i) => at(*i, len, |i| main.swap_remove(i)).map(Some).into(),
        Op::Truncate(n) => main.truncate(index(*n, len, 2)).into(),
        Op::Clear => main.clear().into(),
        Op::Reserve(n) => main.reserve((*n).into()).into(),
        Op::ReserveExact(n) => main.reserve_exact((*n).into()).into(),
        Op::TryReserve(n) => Out::result(main.try_reserve((*n).into()), KINDS),
        Op::TryReserveOverflow { exact, shortfall } => {
            let n = usize::MAX - usize::from(*shortfall);
            match exact {
                true => Out::result(main.try_reserve_exact(n), KINDS),
                false => Out::result(main.try_reserve(n), KINDS),
            }
        }
        Op::ShrinkToFit => main.shrink_to_fit().into(),
        Op::ExtendFromSlice(vs) => {
            main.extend_from_slice(&vs.iter().take(32).map(new).collect::<Vec<_>>()).into()
        }
        Op::Extend(vs) => main.extend(vs.iter().take(32).map(new)).into(),
        Op::Drain { kind, start, end, front, back, finish } => {
            in_range((*kind, *start, *end), len, |r| main.drain(r))
                .map(|drain| finish.take(drain, (*front).into(), (*back).into()))
                .into()
        }
        Op::Retain { pivot } => {
            let pivot = new(pivot);
            main.retain(|x| *x >= pivot).into()
        }
        Op::RetainMut { add: n, pivot } => {
            let pivot = new(pivot);
            main.retain_mut(|x| (add(x, *n), *x >= pivot).1).into()
        }
        Op::SplitOff(i) => at(*i, len + 1, |i| *side = main.split_off(i)).into(),
        // `CloneToSide` and `Append` double `main`: beyond 1,024 elements `side` is dropped
        // instead, or a few hundred bytes of input would grow it past any memory.
        Op::Append if len + side.len() > 1024 => side.clear().into(),
        Op::Append => main.append(side).into(),
        Op::CloneToSide => (*side = main.clone()).into(),
        Op::Swap => mem::swap(main, side).into(),
        Op::IntoIter { front, back } => {
            Finish::Drop.take(mem::take(main).into_iter(), (*front).into(), (*back).into()).into()
        }
        Op::Get(i) => main.get(index(*i, len, 1)).into(),
        Op::Set { index: i, value } => {
            main.get_mut(index(*i, len, 1)).map(|slot| *slot = new(value)).is_some().into()
        }
        Op::IterBack(n) => Out::values(main.iter().rev().take((*n).into())),
        Op::IterMutAdd(n) => main.iter_mut().for_each(|x| add(x, *n)).into(),
        Op::Equal => (*main == *side).into(),
        Op::WithCapacity(n) => (*main = B::with_capacity((*n).into())).into(),
    }
}

/// Both buffers' values, `main`'s first, each followed by a `None`.
fn state<B: Buf>(bufs: &[B; 2]) -> impl Iterator<Item = Option<u32>> {
    bufs.iter().flat_map(|b| b.iter().map(|v| Some(**v)).chain([None]))
}

lockstep::spec! {
    /// The spec: `RawBuf<Tracked<u32>>` against `Vec<Tracked<u32>>`.
    pub struct RawBufSpec {
        type Op = Op;
        type Model = [VecModel<Elem>; 2];
        type Subject = [RawBuf<Elem>; 2];
        type Output = Out<u32>;
        type Item = Option<u32>;
        apply = apply;
        state = state;

        fn check_invariants(subject: &Self::Subject) {
            subject.iter().for_each(RawBuf::check_invariants);
        }
    }
}
