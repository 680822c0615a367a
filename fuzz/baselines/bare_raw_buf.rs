//! A bare differential fuzz target for the raw_buf ops, written by hand without lockstep:
//! `scripts/bench` reports the raw_buf target against it besides its baseline (`raw_buf.rs`
//! here), to show what lockstep's elements, models and checks cost together. It decodes them as lockstep does, applies
//! each to a `RawBuf<u32>` pair and a `Vec<u32>` pair, compares what each returns, and compares
//! contents and checks invariants at the end. It does less than the lockstep target (no drop
//! accounting, no injected panics, no panics by contract, no state comparison along the way):
//! it is what a careful user writes in an afternoon.
#![cfg_attr(fuzzing, no_main)]

use std::mem;

use arbitrary::{Arbitrary, Unstructured};
use lockstep::select::{index, range, range_panics};
use lockstep_fuzz::raw_buf::Op;
use structures::raw_buf::RawBuf;

/// One side's pair of buffers, as the spec keeps them.
#[derive(Default)]
struct Pair<B> {
    main: B,
    side: B,
}

/// What an op returned, compared between the two sides.
#[derive(Debug, PartialEq)]
enum Ret {
    Unit,
    Value(Option<u32>),
    Values(Vec<u32>),
    Flag(bool),
}

/// `RawBuf` and `Vec` share these names; the macro is expanded once for each.
macro_rules! apply {
    ($pair:expr, $op:expr, $new:expr) => {{
        let Pair { main, side } = $pair;
        let len = main.len();
        match $op {
            Op::Push(v) | Op::TryPush(v) => main.push(*v),
            Op::Pop => return Ret::Value(main.pop()),
            Op::Insert { index: i, value } => {
                let i = index(*i, len, 2);
                if i <= len {
                    main.insert(i, *value);
                }
            }
            // Indices as the spec selects them, the invalid one skipped.
            Op::Remove(i) if index(*i, len, 1) < len => {
                return Ret::Value(Some(main.remove(index(*i, len, 1))));
            }
            Op::SwapRemove(i) if index(*i, len, 1) < len => {
                return Ret::Value(Some(main.swap_remove(index(*i, len, 1))));
            }
            Op::Truncate(n) => main.truncate(index(*n, len, 2)),
            Op::Clear => main.clear(),
            Op::Reserve(n) | Op::TryReserve(n) => main.reserve(usize::from(*n)),
            Op::ReserveExact(n) => main.reserve_exact(usize::from(*n)),
            Op::ShrinkToFit => main.shrink_to_fit(),
            Op::ExtendFromSlice(vs) => main.extend_from_slice(&vs[..vs.len().min(32)]),
            Op::Drain { kind, start, end, front, back, .. } => {
                let r = range(*kind, *start, *end, len);
                if !range_panics(r, len) {
                    let mut drain = main.drain(r);
                    let mut got: Vec<u32> = drain.by_ref().take(usize::from(*front)).collect();
                    got.extend(drain.rev().take(usize::from(*back)));
                    return Ret::Values(got);
                }
            }
            Op::Retain { pivot } => main.retain(|x| x >= pivot),
            Op::RetainMut { add, pivot } => main.retain_mut(|x| {
                *x = x.wrapping_add(*add);
                *x >= *pivot
            }),
            Op::SplitOff(i) => {
                let i = index(*i, len, 2);
                if i <= len {
                    *side = main.split_off(i);
                }
            }
            Op::Append => main.append(side),
            Op::CloneToSide => *side = main.clone(),
            Op::Swap => mem::swap(main, side),
            Op::IntoIter { front, back } => {
                let mut iter = mem::take(main).into_iter();
                let mut got: Vec<u32> = iter.by_ref().take(usize::from(*front)).collect();
                got.extend(iter.rev().take(usize::from(*back)));
                return Ret::Values(got);
            }
            Op::Get(i) => return Ret::Value(main.get(index(*i, len, 1)).copied()),
            Op::Set { index: i, value } => {
                return Ret::Flag(main.get_mut(index(*i, len, 1)).map(|s| *s = *value).is_some());
            }
            Op::IterBack(n) => {
                return Ret::Values(main.iter().rev().take(usize::from(*n)).copied().collect());
            }
            Op::IterMutAdd(add) => main.iter_mut().for_each(|x| *x = x.wrapping_add(*add)),
            Op::Equal => return Ret::Flag(*main == *side),
            Op::WithCapacity(n) => *main = $new(usize::from(*n)),
            _ => {}
        }
        Ret::Unit
    }};
}

fn apply_vec(pair: &mut Pair<Vec<u32>>, op: &Op) -> Ret {
    apply!(pair, op, Vec::with_capacity)
}

fn apply_raw(pair: &mut Pair<RawBuf<u32>>, op: &Op) -> Ret {
    apply!(pair, op, RawBuf::with_capacity)
}

/// Decodes `data` as lockstep does and runs it, panicking on the first difference.
fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let (mut model, mut subject) = (Pair::<Vec<u32>>::default(), Pair::<RawBuf<u32>>::default());
    let mut ops = 0;
    while !u.is_empty() && ops < 512 {
        let Ok(op) = Op::arbitrary(&mut u) else { break };
        ops += 1;
        assert_eq!(apply_vec(&mut model, &op), apply_raw(&mut subject, &op), "{op:?}");
    }
    for (m, s) in [(&model.main, &subject.main), (&model.side, &subject.side)] {
        s.check_invariants();
        assert_eq!(m.as_slice(), s.as_slice());
    }
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// Without a fuzzer: runs each file given.
#[cfg(not(fuzzing))]
fn main() {
    for file in std::env::args().skip(1) {
        run(&std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}")));
    }
}
