//! Unit, model, panic-safety and leak tests for `RawBuf`, `Drain` and `IntoIter`.

use std::alloc::Layout;
use std::cell::Cell;
use std::collections::hash_map::DefaultHasher;
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ops::{Bound, RangeBounds};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::{self, NonNull};
use std::rc::Rc;

use super::raw::RawMem;
use super::{Drain, IntoIter, RawBuf, TryReserveError};
use crate::test_util::{Counted, Ledger, MODEL_OPS, Rng};

// ---------------------------------------------------------------------------------------------
// Element types and helpers

thread_local! {
    /// Drops of `DropZst` on this thread.
    static ZST_DROPS: Cell<usize> = const { Cell::new(0) };
}

/// A zero-sized element with a destructor that counts its drops (per thread).
#[derive(Clone, Debug, PartialEq)]
struct DropZst;

impl Drop for DropZst {
    fn drop(&mut self) {
        ZST_DROPS.with(|drops| drops.set(drops.get() + 1));
    }
}

fn zst_drops() -> usize {
    ZST_DROPS.with(Cell::get)
}

/// An over-aligned element: allocations must honour its 128-byte alignment.
#[repr(align(128))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Aligned(u32);

/// An element larger than 1 KiB, whose minimum non-zero capacity is 1.
#[derive(Clone, Copy)]
struct Big(#[expect(dead_code, reason = "only its size matters")] [u8; 1025]);

fn counted(ledger: &Rc<Ledger>, values: &[u32]) -> RawBuf<Counted> {
    values.iter().map(|&v| ledger.make(v)).collect()
}

fn values(elems: &[Counted]) -> Vec<u32> {
    elems.iter().map(|c| c.value).collect()
}

fn hash_of<H: Hash + ?Sized>(value: &H) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A `RawBuf` with arbitrary fields, for `check_invariants` tests; never dropped, since the
/// fields may describe memory that is not an allocation.
fn corrupt<T>(ptr: NonNull<T>, cap: usize, len: usize) -> ManuallyDrop<RawBuf<T>> {
    ManuallyDrop::new(RawBuf {
        mem: RawMem::corrupt(ptr, cap),
        len,
        _owns: PhantomData,
    })
}

/// A buffer of `usize::MAX` unit values: full, although it owns no memory.
fn full_of_units() -> RawBuf<()> {
    RawBuf {
        mem: RawMem::new(),
        len: usize::MAX,
        _owns: PhantomData,
    }
}

// ---------------------------------------------------------------------------------------------
// Construction and accessors

#[test]
fn new_is_const_empty_and_does_not_allocate() {
    const EMPTY: RawBuf<u32> = RawBuf::new();
    let buf = EMPTY;
    buf.check_invariants();
    assert_eq!((buf.len(), buf.capacity()), (0, 0));
    assert!(buf.is_empty());
    assert_eq!(buf.as_ptr(), NonNull::<u32>::dangling().as_ptr());

    let units = RawBuf::<()>::new();
    units.check_invariants();
    assert_eq!(units.capacity(), usize::MAX);

    let aligned = RawBuf::<Aligned>::new();
    aligned.check_invariants();
    assert!(aligned.as_ptr().is_aligned());
}

#[test]
fn default_is_empty() {
    let buf: RawBuf<String> = RawBuf::default();
    buf.check_invariants();
    assert!(buf.is_empty());
    assert_eq!(buf.capacity(), 0);
}

#[test]
fn with_capacity_allocates_exactly_the_capacity() {
    for cap in [0, 1, 7, 100] {
        let buf = RawBuf::<u32>::with_capacity(cap);
        buf.check_invariants();
        assert_eq!((buf.len(), buf.capacity()), (0, cap));
    }
    assert_eq!(
        RawBuf::<u32>::with_capacity(0).as_ptr(),
        NonNull::dangling().as_ptr()
    );
    let aligned = RawBuf::<Aligned>::with_capacity(3);
    aligned.check_invariants();
    assert_eq!(aligned.as_ptr().addr() % 128, 0);
    assert_eq!(RawBuf::<()>::with_capacity(5).capacity(), usize::MAX);
}

#[test]
#[should_panic(expected = "capacity overflow")]
fn with_capacity_over_isize_max_bytes_panics() {
    let _buf = RawBuf::<u32>::with_capacity(usize::MAX / 2);
}

#[test]
fn try_with_capacity_reports_capacity_overflow() {
    assert_eq!(
        RawBuf::<u32>::try_with_capacity(10).map(|buf| buf.capacity()),
        Ok(10)
    );
    assert_eq!(
        RawBuf::<u32>::try_with_capacity(usize::MAX).unwrap_err(),
        TryReserveError::CapacityOverflow
    );
    // Just over isize::MAX bytes of 4-byte elements.
    let too_many = isize::MAX as usize / 4 + 1;
    assert_eq!(
        RawBuf::<u32>::try_with_capacity(too_many).unwrap_err(),
        TryReserveError::CapacityOverflow
    );
    assert_eq!(
        RawBuf::<()>::try_with_capacity(usize::MAX).map(|buf| buf.capacity()),
        Ok(usize::MAX)
    );
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri halts with resource exhaustion instead of returning null for isize::MAX bytes"
)]
fn try_with_capacity_reports_allocation_failure() {
    // isize::MAX bytes is a valid layout that no allocator can provide.
    let layout = Layout::array::<u8>(isize::MAX as usize).unwrap();
    let err = RawBuf::<u8>::try_with_capacity(isize::MAX as usize).unwrap_err();
    assert_eq!(err, TryReserveError::AllocError { layout });
}

#[test]
fn len_capacity_and_is_empty_track_the_contents() {
    let mut buf = RawBuf::with_capacity(2);
    assert!(buf.is_empty());
    buf.push('a');
    assert_eq!((buf.len(), buf.capacity(), buf.is_empty()), (1, 2, false));
    buf.push('b');
    buf.push('c');
    assert_eq!((buf.len(), buf.capacity()), (3, 4));
    buf.clear();
    assert_eq!((buf.len(), buf.capacity(), buf.is_empty()), (0, 4, true));
}

#[test]
fn as_ptr_and_as_mut_ptr_agree_and_do_not_invalidate_each_other() {
    let mut buf = RawBuf::from([1u32, 2, 3]);
    let write = buf.as_mut_ptr();
    let read = buf.as_ptr();
    assert_eq!(read, write.cast_const());
    let write_again = buf.as_mut_ptr();
    // SAFETY: all three pointers address the 3 initialised elements of `buf`, which is not
    // touched otherwise meanwhile; neither method creates a reference to the elements, so none
    // of the pointers invalidates another (what this test checks under Miri).
    unsafe {
        write.add(1).write(20);
        assert_eq!(read.add(1).read(), 20);
        write_again.write(10);
        assert_eq!(read.read(), 10);
    }
    assert_eq!(buf, [10, 20, 3]);
}

#[test]
fn as_slice_and_as_mut_slice_cover_the_elements() {
    let mut buf = RawBuf::from([3, 1, 2]);
    assert_eq!(buf.as_slice(), &[3, 1, 2]);
    buf.as_mut_slice().sort_unstable();
    assert_eq!(buf.as_slice(), &[1, 2, 3]);
    assert_eq!(RawBuf::<u8>::new().as_slice(), &[] as &[u8]);
    assert_eq!(RawBuf::from([(), ()]).as_mut_slice().len(), 2);
}

#[test]
fn get_and_get_mut_check_bounds() {
    let mut buf = RawBuf::from([1, 2, 3]);
    assert_eq!(buf.get(1), Some(&2));
    assert_eq!(buf.get(3), None);
    assert_eq!(buf.get(1..), Some(&[2, 3][..]));
    assert_eq!(buf.get(2..5), None);
    *buf.get_mut(0).unwrap() = 9;
    assert_eq!(buf.get_mut(3), None);
    buf.get_mut(1..3).unwrap().reverse();
    assert_eq!(buf, [9, 3, 2]);
}

#[test]
fn deref_gives_the_slice_api() {
    let mut buf = RawBuf::from([5, 3, 4]);
    assert_eq!(buf[1], 3);
    assert!(buf.contains(&4));
    assert_eq!(buf.first(), Some(&5));
    buf[0] = 1;
    buf.sort_unstable();
    assert_eq!(&buf[..], &[1, 3, 4]);
}

#[test]
fn iter_and_iter_mut_visit_in_order() {
    let mut buf = RawBuf::from([1, 2, 3]);
    assert_eq!(buf.iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(buf.iter().rev().copied().collect::<Vec<_>>(), [3, 2, 1]);
    for x in buf.iter_mut() {
        *x *= 10;
    }
    assert_eq!(buf, [10, 20, 30]);
}

#[test]
fn into_iterator_for_references() {
    let mut buf = RawBuf::from([1, 2, 3]);
    let mut sum = 0;
    for x in &buf {
        sum += x;
    }
    assert_eq!(sum, 6);
    for x in &mut buf {
        *x += 1;
    }
    assert_eq!(buf, [2, 3, 4]);
}

// ---------------------------------------------------------------------------------------------
// Growth

#[test]
fn push_grows_by_doubling_from_the_minimum_capacity() {
    fn capacities<T: Copy>(value: T, pushes: usize) -> Vec<usize> {
        let mut buf = RawBuf::new();
        let mut seen = Vec::new();
        for _ in 0..pushes {
            buf.push(value);
            buf.check_invariants();
            if seen.last() != Some(&buf.capacity()) {
                seen.push(buf.capacity());
            }
        }
        seen
    }
    assert_eq!(capacities(1u8, 20), [8, 16, 32]);
    assert_eq!(capacities(1u32, 20), [4, 8, 16, 32]);
    assert_eq!(capacities(Aligned(1), 5), [4, 8]);
    assert_eq!(capacities(Big([7; 1025]), 5), [1, 2, 4, 8]);
}

#[test]
fn push_into_exactly_full_capacity_reallocates_and_keeps_the_elements() {
    let mut buf = RawBuf::with_capacity(2);
    buf.push(Aligned(1));
    let ptr = buf.as_ptr();
    buf.push(Aligned(2));
    assert_eq!((buf.len(), buf.capacity(), buf.as_ptr()), (2, 2, ptr));
    buf.push(Aligned(3));
    buf.check_invariants();
    assert_eq!(buf.capacity(), 4);
    assert_eq!(buf, [Aligned(1), Aligned(2), Aligned(3)]);
}

#[test]
fn try_push_succeeds_while_memory_lasts() {
    let mut buf = RawBuf::new();
    for i in 0..10 {
        assert_eq!(buf.try_push(i), Ok(()));
    }
    buf.check_invariants();
    assert_eq!(buf, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

#[test]
fn try_push_past_usize_max_elements_gives_the_value_back() {
    let mut buf = full_of_units();
    assert_eq!(
        buf.try_push(()),
        Err(((), TryReserveError::CapacityOverflow))
    );
    buf.check_invariants();
    assert_eq!(buf.len(), usize::MAX);
}

#[test]
#[should_panic(expected = "capacity overflow")]
fn push_past_usize_max_elements_panics() {
    full_of_units().push(());
}

#[test]
fn reserve_grows_amortised_and_only_when_needed() {
    let mut buf = RawBuf::<u32>::new();
    buf.reserve(0);
    assert_eq!(buf.capacity(), 0);
    buf.reserve(1);
    assert_eq!(buf.capacity(), 4, "the minimum non-zero capacity");
    buf.extend_from_slice(&[1, 2, 3]);
    let ptr = buf.as_ptr();
    buf.reserve(1);
    assert_eq!(
        (buf.capacity(), buf.as_ptr()),
        (4, ptr),
        "fits: no reallocation"
    );
    buf.reserve(2);
    assert_eq!(buf.capacity(), 8, "doubling beats len + 2");
    buf.reserve(20);
    assert_eq!(buf.capacity(), 23, "len + 20 beats doubling");
    buf.check_invariants();
    assert_eq!(buf, [1, 2, 3]);
}

#[test]
#[should_panic(expected = "capacity overflow")]
fn reserve_overflowing_usize_panics() {
    RawBuf::from([1u32]).reserve(usize::MAX);
}

#[test]
#[should_panic(expected = "capacity overflow")]
fn reserve_over_isize_max_bytes_panics() {
    RawBuf::<u32>::new().reserve(isize::MAX as usize / 4 + 1);
}

#[test]
fn reserve_exact_grows_to_exactly_len_plus_additional() {
    let mut buf = RawBuf::<u8>::new();
    buf.reserve_exact(3);
    assert_eq!(buf.capacity(), 3);
    buf.extend_from_slice(b"abc");
    buf.reserve_exact(0);
    assert_eq!(buf.capacity(), 3);
    buf.reserve_exact(1);
    assert_eq!(buf.capacity(), 4);
    buf.check_invariants();
    assert_eq!(buf, *b"abc");
}

#[test]
#[should_panic(expected = "capacity overflow")]
fn reserve_exact_overflowing_usize_panics() {
    RawBuf::from([1u8]).reserve_exact(usize::MAX);
}

#[test]
fn try_reserve_reports_capacity_overflow_without_panicking() {
    let mut buf = RawBuf::from([1u32, 2]);
    let cap = buf.capacity();
    assert_eq!(
        buf.try_reserve(usize::MAX),
        Err(TryReserveError::CapacityOverflow)
    );
    assert_eq!(
        buf.try_reserve(isize::MAX as usize / 4),
        Err(TryReserveError::CapacityOverflow)
    );
    assert_eq!(
        buf.try_reserve_exact(usize::MAX - 1),
        Err(TryReserveError::CapacityOverflow)
    );
    assert_eq!(
        buf.try_reserve_exact(isize::MAX as usize / 4),
        Err(TryReserveError::CapacityOverflow)
    );
    buf.check_invariants();
    assert_eq!(
        (buf.as_slice(), buf.capacity()),
        (&[1, 2][..], cap),
        "unchanged after errors"
    );

    assert_eq!(buf.try_reserve(5), Ok(()));
    assert_eq!(buf.capacity(), 7, "len + 5 beats doubling");
    assert_eq!(buf.try_reserve_exact(10), Ok(()));
    assert_eq!(buf.capacity(), 12);
    assert_eq!(buf, [1, 2]);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri halts with resource exhaustion instead of returning null for isize::MAX bytes"
)]
fn try_reserve_reports_allocation_failure_and_keeps_the_old_allocation() {
    let mut buf = RawBuf::from(*b"abcd");
    let additional = isize::MAX as usize - 4;
    let layout = Layout::array::<u8>(isize::MAX as usize).unwrap();
    assert_eq!(
        buf.try_reserve_exact(additional),
        Err(TryReserveError::AllocError { layout })
    );
    assert_eq!(
        buf.try_reserve(additional),
        Err(TryReserveError::AllocError { layout })
    );
    buf.check_invariants();
    assert_eq!((buf.as_slice(), buf.capacity()), (&b"abcd"[..], 4));
}

#[test]
fn zero_sized_buffers_overflow_only_past_usize_max_elements() {
    let mut buf = RawBuf::new();
    assert_eq!(buf.try_reserve(usize::MAX), Ok(()));
    buf.push(());
    assert_eq!(buf.try_reserve(usize::MAX - 1), Ok(()));
    assert_eq!(
        buf.try_reserve(usize::MAX),
        Err(TryReserveError::CapacityOverflow)
    );
    assert_eq!(
        buf.try_reserve_exact(usize::MAX),
        Err(TryReserveError::CapacityOverflow)
    );
    buf.reserve(1000);
    buf.shrink_to_fit();
    buf.check_invariants();
    assert_eq!((buf.len(), buf.capacity()), (1, usize::MAX));
}

#[test]
fn shrink_to_fit_reallocates_to_len_and_frees_at_zero() {
    let mut buf = RawBuf::<Aligned>::with_capacity(10);
    buf.extend_from_slice(&[Aligned(1), Aligned(2), Aligned(3)]);
    buf.shrink_to_fit();
    buf.check_invariants();
    assert_eq!(buf.capacity(), 3);
    assert_eq!(buf.as_ptr().addr() % 128, 0);
    assert_eq!(buf, [Aligned(1), Aligned(2), Aligned(3)]);

    let ptr = buf.as_ptr();
    buf.shrink_to_fit();
    assert_eq!(
        (buf.capacity(), buf.as_ptr()),
        (3, ptr),
        "already fits: no reallocation"
    );

    buf.clear();
    buf.shrink_to_fit();
    buf.check_invariants();
    assert_eq!(buf.capacity(), 0);
    assert_eq!(buf.as_ptr(), NonNull::dangling().as_ptr());
    buf.push(Aligned(4));
    assert_eq!(buf, [Aligned(4)]);

    let mut empty = RawBuf::<u32>::new();
    empty.shrink_to_fit();
    empty.check_invariants();
    assert_eq!(empty.capacity(), 0);
}

// ---------------------------------------------------------------------------------------------
// Element operations

#[test]
fn pop_takes_from_the_back() {
    let mut buf = RawBuf::from([1, 2]);
    assert_eq!(buf.pop(), Some(2));
    assert_eq!(buf.pop(), Some(1));
    assert_eq!(buf.pop(), None);
    buf.check_invariants();
    assert_eq!(buf.capacity(), 2);
}

#[test]
fn insert_at_front_middle_and_len() {
    let mut buf = RawBuf::new();
    buf.insert(0, 2);
    buf.insert(0, 0);
    buf.insert(1, 1);
    buf.insert(3, 3);
    buf.check_invariants();
    assert_eq!(buf, [0, 1, 2, 3]);
    assert_eq!(buf.capacity(), 4);
    buf.insert(2, 9); // full: grows
    buf.check_invariants();
    assert_eq!(buf, [0, 1, 9, 2, 3]);
}

#[test]
#[should_panic(expected = "insertion index (is 4) should be <= len (is 3)")]
fn insert_past_len_panics() {
    RawBuf::from([1, 2, 3]).insert(4, 0);
}

#[test]
fn remove_shifts_the_rest_forward() {
    let mut buf = RawBuf::from([0, 1, 2, 3, 4]);
    assert_eq!(buf.remove(0), 0);
    assert_eq!(buf.remove(3), 4);
    assert_eq!(buf.remove(1), 2);
    buf.check_invariants();
    assert_eq!(buf, [1, 3]);
}

#[test]
#[should_panic(expected = "removal index (is 2) should be < len (is 2)")]
fn remove_at_len_panics() {
    RawBuf::from([1, 2]).remove(2);
}

#[test]
fn swap_remove_moves_the_last_element_into_the_hole() {
    let mut buf = RawBuf::from([0, 1, 2, 3]);
    assert_eq!(buf.swap_remove(1), 1);
    assert_eq!(buf, [0, 3, 2]);
    assert_eq!(buf.swap_remove(2), 2);
    assert_eq!(buf.swap_remove(0), 0);
    assert_eq!(buf.swap_remove(0), 3);
    buf.check_invariants();
    assert!(buf.is_empty());
}

#[test]
#[should_panic(expected = "swap_remove index (is 0) should be < len (is 0)")]
fn swap_remove_on_empty_panics() {
    RawBuf::<u32>::new().swap_remove(0);
}

#[test]
fn truncate_drops_the_tail_and_keeps_the_capacity() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[0, 1, 2, 3, 4]);
    let cap = buf.capacity();
    buf.truncate(5);
    buf.truncate(9);
    assert_eq!(ledger.live(), 5, "truncating to len or more drops nothing");
    buf.truncate(2);
    buf.check_invariants();
    assert_eq!(values(&buf), [0, 1]);
    assert_eq!((ledger.live(), buf.capacity()), (2, cap));
    buf.truncate(0);
    assert!(buf.is_empty());
    drop(buf);
    ledger.assert_all_dropped_once();
}

#[test]
fn clear_drops_everything_and_keeps_the_capacity() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[0, 1, 2]);
    let cap = buf.capacity();
    buf.clear();
    buf.check_invariants();
    assert_eq!((buf.len(), buf.capacity(), ledger.live()), (0, cap, 0));
    buf.clear();
    ledger.assert_all_dropped_once();
}

#[test]
fn extend_from_slice_clones_each_element_once() {
    let ledger = Ledger::new();
    let src = counted(&ledger, &[1, 2, 3]);
    let mut buf = RawBuf::with_capacity(4);
    buf.extend_from_slice(&[]);
    assert_eq!((buf.len(), buf.capacity()), (0, 4));
    buf.push(ledger.make(0));
    let ptr = buf.as_ptr();
    buf.extend_from_slice(&src);
    assert_eq!(
        buf.as_ptr(),
        ptr,
        "exactly fills the capacity: no reallocation"
    );
    assert_eq!(
        (values(&buf), buf.capacity(), ledger.clones()),
        (vec![0, 1, 2, 3], 4, 3)
    );
    buf.extend_from_slice(&src[..1]);
    buf.check_invariants();
    assert_eq!(values(&buf), [0, 1, 2, 3, 1]);
    drop((buf, src));
    ledger.assert_all_dropped_once();
}

#[test]
fn extend_from_slice_on_zero_sized_elements() {
    let mut buf = RawBuf::new();
    buf.extend_from_slice(&[(), (), ()]);
    buf.check_invariants();
    assert_eq!(buf.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Drain

/// Drains `range` from `0..6` in a `RawBuf` and in a `Vec` and compares the results.
fn check_drain<R: RangeBounds<usize> + Clone + Debug>(range: R) {
    let mut buf: RawBuf<u32> = (0..6).collect();
    let mut model: Vec<u32> = (0..6).collect();
    let drained: Vec<u32> = buf.drain(range.clone()).collect();
    assert_eq!(
        drained,
        model.drain(range.clone()).collect::<Vec<_>>(),
        "range {range:?}"
    );
    buf.check_invariants();
    assert_eq!(buf, model, "range {range:?}");
}

#[test]
fn drain_accepts_every_kind_of_range() {
    check_drain(..);
    check_drain(0..6);
    check_drain(2..4);
    check_drain(2..);
    check_drain(..3);
    check_drain(..=3);
    check_drain(1..=4);
    check_drain(0..=5);
    check_drain(2..2);
    check_drain(0..0);
    check_drain(6..6);
    check_drain(6..);
    check_drain((Bound::Excluded(1), Bound::Included(3)));
    check_drain((Bound::Excluded(1), Bound::Excluded(2)));
    check_drain((Bound::Excluded(4), Bound::Unbounded));
    check_drain((Bound::Unbounded, Bound::Included(0)));

    let mut empty = RawBuf::<String>::new();
    assert_eq!(empty.drain(..).count(), 0);
    empty.check_invariants();
}

#[test]
fn drain_dropped_half_consumed_drops_the_rest_and_closes_the_gap() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[0, 1, 2, 3, 4, 5, 6, 7]);
    let mut drain = buf.drain(2..6);
    assert_eq!(drain.len(), 4);
    assert_eq!(drain.next().map(|c| c.value), Some(2));
    assert_eq!(drain.next_back().map(|c| c.value), Some(5));
    assert_eq!(drain.len(), 2);
    assert_eq!(values(drain.as_slice()), [3, 4]);
    drop(drain);
    buf.check_invariants();
    assert_eq!(values(&buf), [0, 1, 6, 7]);
    assert_eq!(ledger.live(), 4);
    drop(buf);
    ledger.assert_all_dropped_once();
}

#[test]
fn drain_is_double_ended_exact_size_and_fused() {
    let mut buf: RawBuf<u32> = (0..10).collect();
    let mut drain = buf.drain(1..9);
    assert_eq!(drain.size_hint(), (8, Some(8)));
    assert_eq!(drain.next_back(), Some(8));
    assert_eq!(drain.next(), Some(1));
    assert_eq!(drain.by_ref().rev().take(2).collect::<Vec<_>>(), [7, 6]);
    assert_eq!(drain.len(), 4);
    assert_eq!(drain.by_ref().collect::<Vec<_>>(), [2, 3, 4, 5]);
    assert_eq!(drain.next(), None);
    assert_eq!(drain.next_back(), None);
    assert_eq!(drain.len(), 0);
    drop(drain);
    buf.check_invariants();
    assert_eq!(buf, [0, 9]);
}

#[test]
fn drain_on_zero_sized_elements_drops_exactly_the_range() {
    let mut buf: RawBuf<DropZst> = (0..6).map(|_| DropZst).collect();
    let before = zst_drops();
    let mut drain = buf.drain(1..5);
    drop(drain.next());
    assert_eq!(zst_drops() - before, 1);
    drop(drain);
    assert_eq!(zst_drops() - before, 4);
    buf.check_invariants();
    assert_eq!(buf.len(), 2);
    drop(buf);
    assert_eq!(zst_drops() - before, 6);
}

#[test]
fn drain_debug_shows_the_remaining_elements() {
    let mut buf = RawBuf::from([1, 2, 3, 4]);
    let mut drain = buf.drain(1..);
    drain.next();
    assert_eq!(format!("{drain:?}"), "Drain([3, 4])");
}

#[test]
#[should_panic(expected = "slice index starts at 3 but ends at 2")]
fn drain_with_start_after_end_panics() {
    RawBuf::from([1, 2, 3]).drain((Bound::Included(3), Bound::Excluded(2)));
}

#[test]
#[should_panic(expected = "slice index starts at 4 but ends at 3")]
fn drain_with_start_after_len_panics() {
    RawBuf::from([1, 2, 3]).drain(4..);
}

#[test]
#[should_panic(expected = "range end index 5 out of range for slice of length 3")]
fn drain_with_end_after_len_panics() {
    RawBuf::from([1, 2, 3]).drain(1..5);
}

#[test]
#[should_panic(expected = "attempted to index slice up to maximum usize")]
fn drain_up_to_and_including_usize_max_panics() {
    RawBuf::from([1, 2, 3]).drain(..=usize::MAX);
}

#[test]
#[should_panic(expected = "attempted to index slice from after maximum usize")]
fn drain_from_after_usize_max_panics() {
    RawBuf::from([1, 2, 3]).drain((Bound::Excluded(usize::MAX), Bound::Unbounded));
}

#[test]
fn drain_with_an_invalid_range_leaves_the_buffer_untouched() {
    let mut buf = RawBuf::from([1, 2, 3]);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(buf.drain(2..9)))).is_err());
    buf.check_invariants();
    assert_eq!(buf, [1, 2, 3]);
}

// ---------------------------------------------------------------------------------------------
// Retain, split, append

#[test]
fn retain_visits_each_element_once_in_order_and_keeps_the_order() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[0, 1, 2, 3, 4, 5, 6]);
    let mut seen = Vec::new();
    buf.retain(|c| {
        seen.push(c.value);
        c.value % 3 != 0
    });
    buf.check_invariants();
    assert_eq!(seen, [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(values(&buf), [1, 2, 4, 5]);
    assert_eq!(ledger.live(), 4);

    buf.retain(|_| true);
    assert_eq!(values(&buf), [1, 2, 4, 5]);
    buf.retain(|_| false);
    buf.check_invariants();
    assert!(buf.is_empty());
    buf.retain(|_| panic!("never called on an empty buffer"));
    ledger.assert_all_dropped_once();
}

#[test]
fn retain_mut_may_change_the_kept_elements() {
    let mut buf = RawBuf::from([1, 2, 3, 4, 5, 6]);
    buf.retain_mut(|x| {
        *x *= 10;
        *x % 20 != 0
    });
    buf.check_invariants();
    assert_eq!(buf, [10, 30, 50]);
    let mut units = RawBuf::from([(), (), ()]);
    let mut calls = 0;
    units.retain_mut(|_| {
        calls += 1;
        calls != 2
    });
    assert_eq!(units.len(), 2);
}

#[test]
fn split_off_at_zero_middle_and_len() {
    let mut buf = RawBuf::from([0, 1, 2, 3, 4]);
    let cap = buf.capacity();
    let tail = buf.split_off(3);
    tail.check_invariants();
    assert_eq!((tail.as_slice(), tail.capacity()), (&[3, 4][..], 2));
    assert_eq!((buf.as_slice(), buf.capacity()), (&[0, 1, 2][..], cap));

    let nothing = buf.split_off(3);
    assert_eq!((nothing.len(), nothing.capacity()), (0, 0));
    let all = buf.split_off(0);
    buf.check_invariants();
    all.check_invariants();
    assert!(buf.is_empty());
    assert_eq!(all, [0, 1, 2]);
}

#[test]
#[should_panic(expected = "`at` split index (is 3) should be <= len (is 2)")]
fn split_off_past_len_panics() {
    let _tail = RawBuf::from([1, 2]).split_off(3);
}

#[test]
fn append_moves_everything_and_leaves_other_empty() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[0, 1]);
    let mut other = counted(&ledger, &[2, 3, 4]);
    let other_cap = other.capacity();
    buf.append(&mut other);
    buf.check_invariants();
    other.check_invariants();
    assert_eq!(values(&buf), [0, 1, 2, 3, 4]);
    assert_eq!((other.len(), other.capacity()), (0, other_cap));

    buf.append(&mut other);
    assert_eq!(buf.len(), 5);
    let mut empty = RawBuf::new();
    empty.append(&mut buf);
    assert_eq!((values(&empty), buf.len()), (vec![0, 1, 2, 3, 4], 0));
    assert_eq!(ledger.clones(), 0);

    let mut units = RawBuf::from([(), ()]);
    units.append(&mut RawBuf::from([(), (), ()]));
    assert_eq!(units.len(), 5);
    drop((buf, other, empty));
    ledger.assert_all_dropped_once();
}

// ---------------------------------------------------------------------------------------------
// IntoIter

#[test]
fn into_iter_yields_from_both_ends_and_knows_its_length() {
    let mut iter = RawBuf::from([1, 2, 3, 4, 5]).into_iter();
    assert_eq!(iter.size_hint(), (5, Some(5)));
    assert_eq!(iter.next(), Some(1));
    assert_eq!(iter.next_back(), Some(5));
    assert_eq!(iter.len(), 3);
    assert_eq!(iter.as_slice(), &[2, 3, 4]);
    iter.as_mut_slice()[0] = 20;
    assert_eq!(format!("{iter:?}"), "IntoIter([20, 3, 4])");
    assert_eq!(iter.by_ref().collect::<Vec<_>>(), [20, 3, 4]);
    assert_eq!((iter.next(), iter.next_back(), iter.len()), (None, None, 0));

    assert_eq!(
        RawBuf::from([1, 2, 3])
            .into_iter()
            .rev()
            .collect::<Vec<_>>(),
        [3, 2, 1]
    );
    assert_eq!(RawBuf::<u32>::new().into_iter().next(), None);
}

#[test]
fn into_iter_dropped_half_consumed_drops_the_rest() {
    let ledger = Ledger::new();
    let mut iter = counted(&ledger, &[0, 1, 2, 3]).into_iter();
    assert_eq!(iter.next().map(|c| c.value), Some(0));
    assert_eq!(iter.next_back().map(|c| c.value), Some(3));
    assert_eq!(ledger.live(), 2);
    drop(iter);
    ledger.assert_all_dropped_once();
}

#[test]
fn into_iter_over_zero_sized_elements() {
    let before = zst_drops();
    let mut iter = RawBuf::from([DropZst, DropZst, DropZst, DropZst]).into_iter();
    assert_eq!(zst_drops() - before, 0);
    assert!(iter.next().is_some());
    assert_eq!(zst_drops() - before, 1);
    assert_eq!(iter.len(), 3);
    drop(iter);
    assert_eq!(zst_drops() - before, 4);
}

#[test]
fn into_iter_over_aligned_elements() {
    let buf: RawBuf<Aligned> = (0..9).map(Aligned).collect();
    let collected: Vec<Aligned> = buf.into_iter().rev().collect();
    assert_eq!(collected, (0..9).rev().map(Aligned).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------------
// Traits

#[test]
fn clone_copies_with_capacity_equal_to_len() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[1, 2, 3]);
    buf.reserve(10);
    let copy = buf.clone();
    copy.check_invariants();
    assert_eq!(
        (values(&copy), copy.capacity(), ledger.clones()),
        (vec![1, 2, 3], 3, 3)
    );
    buf[0].value = 9;
    assert_eq!(values(&copy), [1, 2, 3], "the copy is independent");
    let empty = RawBuf::<Counted>::new().clone();
    assert_eq!((empty.len(), empty.capacity()), (0, 0));
    drop((buf, copy));
    ledger.assert_all_dropped_once();
}

#[test]
fn clone_from_reuses_the_allocation() {
    let ledger = Ledger::new();
    let long = counted(&ledger, &[1, 2, 3, 4]);
    let short = counted(&ledger, &[5]);
    let mut target = counted(&ledger, &[7, 8]);
    target.reserve(10);
    let (ptr, cap) = (target.as_ptr(), target.capacity());
    target.clone_from(&long);
    target.check_invariants();
    assert_eq!(
        (values(&target), target.as_ptr(), target.capacity()),
        (vec![1, 2, 3, 4], ptr, cap)
    );
    target.clone_from(&short);
    target.check_invariants();
    assert_eq!(values(&target), [5]);
    drop((long, short, target));
    ledger.assert_all_dropped_once();
}

#[test]
fn debug_formats_like_a_slice() {
    let buf = RawBuf::from([1, 2]);
    assert_eq!(format!("{buf:?}"), "[1, 2]");
    assert_eq!(format!("{buf:#?}"), format!("{:#?}", [1, 2]));
    assert_eq!(format!("{:?}", RawBuf::<u8>::new()), "[]");
}

#[test]
fn equality_with_buffers_slices_arrays_and_vecs() {
    let buf = RawBuf::from([1, 2, 3]);
    let mut array = [1, 2, 3];
    assert_eq!(buf, RawBuf::from([1, 2, 3]));
    assert_ne!(buf, RawBuf::from([1, 2]));
    assert_eq!(buf, array);
    assert_eq!(buf, &array);
    assert_eq!(buf, array[..]);
    assert_eq!(buf, &array[..]);
    assert_eq!(buf, &mut array[..]);
    assert_eq!(buf, vec![1, 2, 3]);
    assert_eq!(array[..], buf);
    assert_eq!(&array[..], buf);
    assert_eq!(vec![1, 2, 3], buf);
    assert_ne!(buf, [1, 2, 4]);
    fn is_eq<T: Eq>(_: &T) -> bool {
        true
    }
    assert!(is_eq(&buf));
}

#[test]
fn hash_and_order_agree_with_slices() {
    let buf = RawBuf::from([1, 2, 3]);
    assert_eq!(hash_of(&buf), hash_of(&[1, 2, 3][..]));
    let (bigger, smaller) = (RawBuf::from([1, 3]), RawBuf::from([1, 2]));
    assert!(buf < bigger && buf > smaller);
    assert_eq!(buf.cmp(&RawBuf::from([1, 2, 3])), std::cmp::Ordering::Equal);
    assert_eq!(
        RawBuf::from([f64::NAN]).partial_cmp(&RawBuf::from([0.0])),
        None
    );
}

#[test]
fn conversions_and_borrows() {
    let from_slice = RawBuf::from(&[1, 2][..]);
    assert_eq!(
        (from_slice.as_slice(), from_slice.capacity()),
        (&[1, 2][..], 2)
    );
    let mut from_array = RawBuf::from([String::from("a"), String::from("b")]);
    from_array.check_invariants();
    assert_eq!(from_array.capacity(), 2);
    from_array.as_mut()[0].push('!');
    let borrowed: &[String] = std::borrow::Borrow::borrow(&from_array);
    assert_eq!(borrowed, ["a!", "b"]);
    std::borrow::BorrowMut::<[String]>::borrow_mut(&mut from_array).swap(0, 1);
    assert_eq!(from_array.as_ref(), ["b", "a!"]);
    let empty = RawBuf::<u32>::from([]);
    assert_eq!(empty.capacity(), 0);
}

#[test]
fn from_iterator_and_extend() {
    let mut buf: RawBuf<u32> = (0..5).collect();
    buf.check_invariants();
    assert_eq!(buf, [0, 1, 2, 3, 4]);
    buf.extend(5..7);
    buf.extend(&[7, 8]);
    buf.extend(Vec::<u32>::new());
    buf.check_invariants();
    assert_eq!(buf, [0, 1, 2, 3, 4, 5, 6, 7, 8]);

    // An iterator that under-reports its length still ends up fully collected.
    let filtered: RawBuf<u32> = (0..40).filter(|x| x % 2 == 0).collect();
    filtered.check_invariants();
    assert_eq!(filtered.len(), 20);
    let units: RawBuf<()> = std::iter::repeat_n((), 1000).collect();
    assert_eq!(units.len(), 1000);
}

#[test]
fn drop_drops_each_element_once_and_frees_the_memory() {
    let ledger = Ledger::new();
    let buf = counted(&ledger, &[0, 1, 2, 3, 4]);
    assert_eq!(ledger.live(), 5);
    drop(buf);
    ledger.assert_all_dropped_once();

    let before = zst_drops();
    drop(RawBuf::from([DropZst, DropZst, DropZst]));
    assert_eq!(zst_drops() - before, 3);
}

#[test]
fn error_display_and_source() {
    let overflow = TryReserveError::CapacityOverflow;
    assert!(
        overflow.to_string().starts_with("capacity overflow"),
        "{overflow}"
    );
    let layout = Layout::from_size_align(64, 16).unwrap();
    let failed = TryReserveError::AllocError { layout };
    assert_eq!(
        failed.to_string(),
        "memory allocation of 64 bytes (align 16) failed"
    );
    let dyn_err: &dyn std::error::Error = &failed;
    assert!(dyn_err.source().is_none());
    assert_eq!(failed.clone(), failed);
    assert_ne!(failed, overflow);
}

#[test]
fn send_sync_and_covariance_follow_vec() {
    fn send_sync<T: Send + Sync>(_: PhantomData<T>) -> bool {
        true
    }
    assert!(send_sync(PhantomData::<RawBuf<u32>>));
    assert!(send_sync(PhantomData::<IntoIter<u32>>));
    assert!(send_sync(PhantomData::<Drain<'static, u32>>));
    assert!(send_sync(PhantomData::<TryReserveError>));

    // Each compiles only if the type is covariant in `T`, as `Vec`, `vec::IntoIter` and
    // `vec::Drain` are.
    fn shorten_buf<'a>(buf: RawBuf<&'static str>) -> RawBuf<&'a str> {
        buf
    }
    fn shorten_iter<'a>(iter: IntoIter<&'static str>) -> IntoIter<&'a str> {
        iter
    }
    fn shorten_drain<'d, 'a>(drain: Drain<'d, &'static str>) -> Drain<'d, &'a str> {
        drain
    }
    let mut buf = shorten_buf(RawBuf::from(["a", "b", "c"]));
    assert_eq!(shorten_drain(buf.drain(..1)).collect::<Vec<_>>(), ["a"]);
    assert_eq!(
        shorten_iter(buf.into_iter()).collect::<Vec<_>>(),
        ["b", "c"]
    );
}

#[test]
fn buffers_move_between_threads() {
    let buf: RawBuf<String> = (0..10).map(|i| i.to_string()).collect();
    let joined = std::thread::spawn(move || buf.iter().map(String::as_str).collect::<String>())
        .join()
        .unwrap();
    assert_eq!(joined, "0123456789");
}

// ---------------------------------------------------------------------------------------------
// check_invariants

#[test]
#[should_panic(expected = "RawBuf invariant: len 5 > cap 4")]
fn check_invariants_catches_len_over_cap() {
    corrupt::<u32>(NonNull::dangling(), 4, 5).check_invariants();
}

#[test]
#[should_panic(expected = "RawBuf invariant: zero-sized T but 7 slots stored")]
fn check_invariants_catches_zero_sized_capacity() {
    corrupt::<()>(NonNull::dangling(), 7, 0).check_invariants();
}

#[test]
#[should_panic(expected = "is not the dangling pointer")]
fn check_invariants_catches_a_pointer_without_allocation() {
    let ptr = NonNull::new(ptr::without_provenance_mut::<u32>(64)).unwrap();
    corrupt(ptr, 0, 0).check_invariants();
}

#[test]
#[should_panic(expected = "RawBuf invariant: ptr 0x42 is not aligned to 4 (cap 4)")]
fn check_invariants_catches_a_misaligned_pointer() {
    let ptr = NonNull::new(ptr::without_provenance_mut::<u32>(0x42)).unwrap();
    corrupt(ptr, 4, 0).check_invariants();
}

#[test]
#[should_panic(expected = "exceeds isize::MAX")]
fn check_invariants_catches_an_oversized_capacity() {
    let ptr = NonNull::new(ptr::without_provenance_mut::<u32>(64)).unwrap();
    corrupt(ptr, isize::MAX as usize / 4 + 1, 0).check_invariants();
}

// ---------------------------------------------------------------------------------------------
// Panic safety: each scenario also runs on std's `Vec`, whose final state `RawBuf` must match.

#[test]
fn extend_from_slice_keeps_the_clones_made_before_a_panicking_clone() {
    let ledger = Ledger::new();
    let src = counted(&ledger, &[2, 3, 4, 5]);
    let mut buf = counted(&ledger, &[0, 1]);
    let mut model: Vec<Counted> = buf.iter().cloned().collect();
    ledger.arm_clone_panic(3);
    assert!(catch_unwind(AssertUnwindSafe(|| buf.extend_from_slice(&src))).is_err());
    ledger.arm_clone_panic(3);
    assert!(catch_unwind(AssertUnwindSafe(|| model.extend_from_slice(&src))).is_err());
    buf.check_invariants();
    ledger.assert_no_double_drop();
    assert_eq!(values(&buf), [0, 1, 2, 3]);
    assert_eq!(values(&buf), values(&model));
    drop((buf, model, src));
    ledger.assert_all_dropped_once();
}

#[test]
fn clone_frees_the_partial_copy_when_an_element_clone_panics() {
    let ledger = Ledger::new();
    let buf = counted(&ledger, &[0, 1, 2, 3]);
    ledger.arm_clone_panic(3);
    assert!(catch_unwind(AssertUnwindSafe(|| buf.clone())).is_err());
    buf.check_invariants();
    ledger.assert_no_double_drop();
    assert_eq!(
        (values(&buf), ledger.live(), ledger.clones()),
        (vec![0, 1, 2, 3], 4, 2)
    );

    // `clone_from` keeps what it assigned and appended before the panic, as `Vec`'s does.
    let mut target = counted(&ledger, &[9]);
    let mut model: Vec<Counted> = vec![ledger.make(9)];
    ledger.arm_clone_panic(2);
    assert!(catch_unwind(AssertUnwindSafe(|| target.clone_from(&buf))).is_err());
    ledger.arm_clone_panic(2);
    assert!(
        catch_unwind(AssertUnwindSafe(
            || model.clone_from(&buf.as_slice().to_vec())
        ))
        .is_err()
    );
    target.check_invariants();
    assert_eq!(values(&target), [0]);
    drop((buf, target, model));
    ledger.assert_all_dropped_once();
}

#[test]
fn truncate_drops_the_whole_tail_when_a_destructor_panics() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[0, 1, 2, 3, 4]);
    let mut model: Vec<Counted> = counted(&ledger, &[0, 1, 2, 3, 4]).into_iter().collect();
    ledger.arm_drop_panic(2);
    assert!(catch_unwind(AssertUnwindSafe(|| buf.truncate(1))).is_err());
    ledger.arm_drop_panic(2);
    assert!(catch_unwind(AssertUnwindSafe(|| model.truncate(1))).is_err());
    buf.check_invariants();
    ledger.assert_no_double_drop();
    assert_eq!(values(&buf), [0]);
    assert_eq!(values(&buf), values(&model));
    assert_eq!(ledger.live(), 2);
    drop((buf, model));
    ledger.assert_all_dropped_once();
}

#[test]
fn clear_drops_everything_when_a_destructor_panics() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[0, 1, 2, 3]);
    let cap = buf.capacity();
    ledger.arm_drop_panic(1);
    assert!(catch_unwind(AssertUnwindSafe(|| buf.clear())).is_err());
    buf.check_invariants();
    assert_eq!((buf.len(), buf.capacity(), ledger.live()), (0, cap, 0));
    drop(buf);
    ledger.assert_all_dropped_once();
}

#[test]
fn drop_frees_the_memory_when_a_destructor_panics() {
    let ledger = Ledger::new();
    let buf = counted(&ledger, &[0, 1, 2, 3]);
    ledger.arm_drop_panic(2);
    // Under Miri, the leak checker verifies that the allocation was freed.
    assert!(catch_unwind(AssertUnwindSafe(move || drop(buf))).is_err());
    ledger.assert_all_dropped_once();
}

#[test]
fn drain_drop_closes_the_gap_when_a_destructor_panics() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[0, 1, 2, 3, 4, 5, 6, 7]);
    let mut model: Vec<Counted> = counted(&ledger, &[0, 1, 2, 3, 4, 5, 6, 7])
        .into_iter()
        .collect();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut drain = buf.drain(2..6);
        assert_eq!(drain.next().map(|c| c.value), Some(2));
        ledger.arm_drop_panic(2); // 3 drops, 4 panics, 5 still drops
        drop(drain);
    }));
    assert!(result.is_err());
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut drain = model.drain(2..6);
        assert_eq!(drain.next().map(|c| c.value), Some(2));
        ledger.arm_drop_panic(2);
        drop(drain);
    }));
    assert!(result.is_err());
    buf.check_invariants();
    ledger.assert_no_double_drop();
    assert_eq!(values(&buf), [0, 1, 6, 7]);
    assert_eq!(values(&buf), values(&model));
    drop((buf, model));
    ledger.assert_all_dropped_once();
}

#[test]
fn into_iter_drop_frees_the_memory_when_a_destructor_panics() {
    let ledger = Ledger::new();
    let mut iter = counted(&ledger, &[0, 1, 2, 3, 4]).into_iter();
    assert_eq!(iter.next().map(|c| c.value), Some(0));
    ledger.arm_drop_panic(2);
    // Under Miri, the leak checker verifies that the allocation was freed.
    assert!(catch_unwind(AssertUnwindSafe(move || drop(iter))).is_err());
    ledger.assert_all_dropped_once();
}

#[test]
fn retain_keeps_the_unvisited_suffix_when_a_destructor_panics() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[0, 1, 2, 3, 4, 5, 6, 7]);
    let mut model: Vec<Counted> = counted(&ledger, &[0, 1, 2, 3, 4, 5, 6, 7])
        .into_iter()
        .collect();
    // Rejects the odd values; dropping 1 succeeds, dropping 3 panics.
    ledger.arm_drop_panic(2);
    assert!(catch_unwind(AssertUnwindSafe(|| buf.retain(|c| c.value % 2 == 0))).is_err());
    ledger.arm_drop_panic(2);
    assert!(catch_unwind(AssertUnwindSafe(|| model.retain(|c| c.value % 2 == 0))).is_err());
    buf.check_invariants();
    ledger.assert_no_double_drop();
    assert_eq!(values(&buf), [0, 2, 4, 5, 6, 7]);
    assert_eq!(values(&buf), values(&model));
    drop((buf, model));
    ledger.assert_all_dropped_once();
}

#[test]
fn retain_keeps_the_unvisited_suffix_when_the_predicate_panics() {
    let ledger = Ledger::new();
    let mut buf = counted(&ledger, &[0, 1, 2, 3, 4, 5, 6, 7]);
    let mut model: Vec<Counted> = counted(&ledger, &[0, 1, 2, 3, 4, 5, 6, 7])
        .into_iter()
        .collect();
    let keep_even_until_4 = |c: &Counted| {
        assert!(c.value != 4, "predicate panics on 4");
        c.value % 2 == 0
    };
    assert!(catch_unwind(AssertUnwindSafe(|| buf.retain(keep_even_until_4))).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| model.retain(keep_even_until_4))).is_err());
    buf.check_invariants();
    ledger.assert_no_double_drop();
    assert_eq!(values(&buf), [0, 2, 4, 5, 6, 7]);
    assert_eq!(values(&buf), values(&model));
    drop((buf, model));
    ledger.assert_all_dropped_once();
}

#[test]
fn retain_mut_keeps_the_changes_made_before_the_predicate_panics() {
    let mut buf = RawBuf::from([1, 2, 3, 4, 5]);
    let mut model = vec![1, 2, 3, 4, 5];
    let bump_and_drop_even = |x: &mut i32| {
        assert!(*x != 4, "predicate panics on 4");
        *x += 10;
        *x % 2 != 0
    };
    assert!(catch_unwind(AssertUnwindSafe(|| buf.retain_mut(bump_and_drop_even))).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| model.retain_mut(bump_and_drop_even))).is_err());
    buf.check_invariants();
    assert_eq!(buf, [11, 13, 4, 5]);
    assert_eq!(buf, model);
}

#[test]
fn extend_keeps_the_items_pushed_before_the_iterator_panics() {
    let ledger = Ledger::new();
    let mut buf = RawBuf::new();
    let items = (0..5).map(|v| {
        assert!(v != 3, "iterator panics on 3");
        ledger.make(v)
    });
    assert!(catch_unwind(AssertUnwindSafe(|| buf.extend(items))).is_err());
    buf.check_invariants();
    assert_eq!(values(&buf), [0, 1, 2]);
    drop(buf);
    ledger.assert_all_dropped_once();
}

// ---------------------------------------------------------------------------------------------
// Leaking guards and iterators with `mem::forget`: never undefined behaviour. The elements here
// own no heap memory, so what the forgotten value leaks is invisible to Miri's leak checker; the
// buffer's own allocation is still freed when the buffer drops.

#[test]
fn drain_forgotten_before_consumption_leaves_the_prefix() {
    let mut buf = RawBuf::from([0u32, 1, 2, 3, 4, 5]);
    mem::forget(buf.drain(2..4));
    buf.check_invariants();
    assert_eq!(buf, [0, 1], "the range and the tail are leaked");
    buf.push(9);
    assert_eq!(buf, [0, 1, 9]);
}

#[test]
fn drain_forgotten_during_consumption_leaves_the_prefix() {
    let mut buf = RawBuf::from([0u32, 1, 2, 3, 4, 5]);
    let mut drain = buf.drain(1..5);
    assert_eq!((drain.next(), drain.next_back()), (Some(1), Some(4)));
    mem::forget(drain);
    buf.check_invariants();
    assert_eq!(buf, [0]);
    buf.extend_from_slice(&[7, 8]);
    assert_eq!(buf, [0, 7, 8]);
}

#[test]
fn drain_forgotten_after_consumption_leaves_the_prefix() {
    let mut buf = RawBuf::from([0u32, 1, 2, 3, 4, 5]);
    let mut drain = buf.drain(2..4);
    assert_eq!(drain.by_ref().collect::<Vec<_>>(), [2, 3]);
    mem::forget(drain);
    buf.check_invariants();
    assert_eq!(buf, [0, 1], "the tail is leaked");
}

#[test]
fn drain_forgotten_never_drops_twice() {
    let mut buf: RawBuf<DropZst> = (0..6).map(|_| DropZst).collect();
    let before = zst_drops();
    let mut drain = buf.drain(1..4);
    drop(drain.next());
    mem::forget(drain);
    buf.check_invariants();
    assert_eq!((buf.len(), zst_drops() - before), (1, 1));
    drop(buf);
    // One yielded, one left in the buffer; the 2 unyielded and the 2 tail elements leaked.
    assert_eq!(zst_drops() - before, 2);
}

#[test]
fn into_iter_forgotten_leaks_without_dropping() {
    // A forgotten `IntoIter` leaks its allocation by design, which Miri's leak checker would
    // report; so the buffers here own none: zero-sized elements never allocate, and an empty
    // buffer of `u32` has capacity 0.
    let before = zst_drops();
    let mut iter = RawBuf::from([DropZst, DropZst, DropZst, DropZst]).into_iter();
    drop(iter.next());
    drop(iter.next_back());
    mem::forget(iter);
    assert_eq!(
        zst_drops() - before,
        2,
        "the two unyielded elements are leaked, not dropped"
    );

    let mut empty = RawBuf::<u32>::new().into_iter();
    assert_eq!(empty.next(), None);
    mem::forget(empty);
}

// ---------------------------------------------------------------------------------------------
// Randomized model tests against `Vec`

/// An element for the model tests.
trait Elem: Clone + PartialEq + Debug {
    /// Changes the element in place (a no-op for zero-sized types).
    fn bump(&mut self);
}

impl Elem for u32 {
    fn bump(&mut self) {
        *self = self.wrapping_add(1);
    }
}

impl Elem for DropZst {
    fn bump(&mut self) {}
}

impl Elem for Aligned {
    fn bump(&mut self) {
        self.0 = self.0.wrapping_add(1);
    }
}

impl Elem for Counted {
    fn bump(&mut self) {
        self.value = self.value.wrapping_add(1);
    }
}

/// A random range of `0..=len`, of any kind: each bound is unbounded, included or excluded.
/// Mostly short, so that drains do not keep the buffer nearly empty; sometimes of any length.
fn random_range(rng: &mut Rng, len: usize) -> (Bound<usize>, Bound<usize>) {
    let (lo_kind, hi_kind) = (rng.below(4), rng.below(4));
    let start = if lo_kind == 0 { 0 } else { rng.range(0, len) };
    let longest = if rng.chance(1, 4) {
        len
    } else {
        len.min(start + 4)
    };
    let end = if hi_kind == 0 {
        len
    } else {
        rng.range(start, longest)
    };
    let lo = match lo_kind {
        0 => Bound::Unbounded,
        3 if start > 0 => Bound::Excluded(start - 1),
        _ => Bound::Included(start),
    };
    let hi = match hi_kind {
        0 => Bound::Unbounded,
        3 if end > 0 => Bound::Included(end - 1),
        _ => Bound::Excluded(end),
    };
    (lo, hi)
}

/// Growing operations stop at this length: long enough to cross several capacities, short
/// enough to keep each step cheap under Miri.
const MODEL_LEN: usize = 48;

/// Applies `MODEL_OPS` random operations to a `RawBuf` and to a `Vec` model, comparing the
/// results and contents and checking the invariants after every step. A second pair receives
/// `split_off` halves and feeds `append` and `clone_from`. `may_leak`: the elements own no heap
/// memory, so drains may be forgotten. `live`: the number of live elements, if tracked.
fn model_test<T: Elem>(
    seed: u64,
    mut make: impl FnMut(u32) -> T,
    may_leak: bool,
    live: Option<&dyn Fn() -> usize>,
) {
    let mut rng = Rng::new(seed);
    let mut buf: RawBuf<T> = RawBuf::new();
    let mut model: Vec<T> = Vec::new();
    let mut other: RawBuf<T> = RawBuf::new();
    let mut other_model: Vec<T> = Vec::new();
    let zst = size_of::<T>() == 0;
    let min_cap = RawMem::<T>::MIN_NON_ZERO_CAP;

    for step in 0..MODEL_OPS {
        let len = model.len();
        let short = len < MODEL_LEN;
        // Most operations shrink the buffer; topping it up now and then keeps lengths spread
        // over several capacities instead of hugging zero.
        let roll = if len < MODEL_LEN / 2 && rng.chance(1, 4) {
            13 + rng.below(2)
        } else {
            rng.below(26)
        };
        let op = match roll {
            0 | 1 if short => {
                let v = rng.next_u64() as u32;
                buf.push(make(v));
                model.push(make(v));
                "push"
            }
            2 if short => {
                let v = rng.next_u64() as u32;
                assert!(buf.try_push(make(v)).is_ok(), "step {step}: try_push");
                model.push(make(v));
                "try_push"
            }
            3 if short => {
                let (index, v) = (rng.range(0, len), rng.next_u64() as u32);
                buf.insert(index, make(v));
                model.insert(index, make(v));
                "insert"
            }
            4 if len > 0 => {
                let index = rng.below(len);
                assert_eq!(
                    buf.remove(index),
                    model.remove(index),
                    "step {step}: remove {index}"
                );
                "remove"
            }
            5 if len > 0 => {
                let index = rng.below(len);
                assert_eq!(
                    buf.swap_remove(index),
                    model.swap_remove(index),
                    "step {step}: swap_remove {index}"
                );
                "swap_remove"
            }
            6 => {
                let new_len = if rng.chance(3, 4) {
                    rng.range(len.saturating_sub(4), len + 2)
                } else {
                    rng.range(0, len)
                };
                buf.truncate(new_len);
                model.truncate(new_len);
                "truncate"
            }
            7 if rng.chance(1, 8) => {
                buf.clear();
                model.clear();
                "clear"
            }
            8 | 9 => {
                let (additional, old_cap) = (rng.below(2 * MODEL_LEN), buf.capacity());
                let exact = rng.chance(1, 2);
                if exact {
                    buf.reserve_exact(additional);
                    model.reserve_exact(additional);
                } else {
                    buf.reserve(additional);
                    model.reserve(additional);
                }
                let expected = if zst || old_cap >= len + additional {
                    old_cap
                } else if exact {
                    len + additional
                } else {
                    (2 * old_cap).max(len + additional).max(min_cap)
                };
                assert_eq!(
                    buf.capacity(),
                    expected,
                    "step {step}: reserve(exact: {exact}) {additional}"
                );
                if exact { "reserve_exact" } else { "reserve" }
            }
            10 | 11 => {
                let exact = rng.chance(1, 2);
                let try_reserve = |buf: &mut RawBuf<T>, n| {
                    if exact {
                        buf.try_reserve_exact(n)
                    } else {
                        buf.try_reserve(n)
                    }
                };
                let old_cap = buf.capacity();
                // A zero-sized buffer holding nothing can reserve `usize::MAX`.
                if rng.chance(1, 4) && (len > 0 || !zst) {
                    let huge = if len > 0 && rng.chance(1, 2) {
                        usize::MAX - len + 1
                    } else {
                        usize::MAX
                    };
                    assert_eq!(
                        try_reserve(&mut buf, huge),
                        Err(TryReserveError::CapacityOverflow),
                        "step {step}"
                    );
                    assert_eq!(
                        buf.capacity(),
                        old_cap,
                        "step {step}: failed try_reserve changed the capacity"
                    );
                } else {
                    let additional = rng.below(2 * MODEL_LEN);
                    assert_eq!(try_reserve(&mut buf, additional), Ok(()), "step {step}");
                    assert!(
                        buf.capacity() >= len + additional,
                        "step {step}: try_reserve {additional}"
                    );
                }
                if exact {
                    "try_reserve_exact"
                } else {
                    "try_reserve"
                }
            }
            12 => {
                buf.shrink_to_fit();
                model.shrink_to_fit();
                let expected = if zst { usize::MAX } else { len };
                assert_eq!(buf.capacity(), expected, "step {step}: shrink_to_fit");
                "shrink_to_fit"
            }
            13 if short => {
                let src: Vec<T> = (0..rng.below(12))
                    .map(|_| make(rng.next_u64() as u32))
                    .collect();
                buf.extend_from_slice(&src);
                model.extend_from_slice(&src);
                "extend_from_slice"
            }
            14 if short => {
                let vals: Vec<u32> = (0..rng.below(12)).map(|_| rng.next_u64() as u32).collect();
                buf.extend(vals.iter().map(|&v| make(v)));
                model.extend(vals.iter().map(|&v| make(v)));
                "extend"
            }
            15..=17 => {
                let range = random_range(&mut rng, len);
                let mut drain = buf.drain(range);
                let mut model_drain = model.drain(range);
                let n = model_drain.len();
                assert_eq!(drain.len(), n, "step {step}: drain {range:?}");
                let front = rng.range(0, n);
                let back = rng.range(0, n - front);
                for _ in 0..front {
                    assert_eq!(
                        drain.next(),
                        model_drain.next(),
                        "step {step}: drain {range:?}"
                    );
                }
                for _ in 0..back {
                    assert_eq!(
                        drain.next_back(),
                        model_drain.next_back(),
                        "step {step}: drain {range:?}"
                    );
                }
                assert_eq!(
                    drain.as_slice(),
                    model_drain.as_slice(),
                    "step {step}: drain {range:?}"
                );
                if may_leak && rng.chance(1, 8) {
                    mem::forget(drain);
                    mem::forget(model_drain);
                    "drain, forgotten"
                } else {
                    drop(drain);
                    drop(model_drain);
                    "drain"
                }
            }
            18 | 19 => {
                let keep: Vec<bool> = (0..len).map(|_| rng.chance(3, 4)).collect();
                let mutate = rng.chance(1, 2);
                let mut calls = 0;
                let mut model_calls = 0;
                if mutate {
                    buf.retain_mut(|x| {
                        calls += 1;
                        x.bump();
                        keep[calls - 1]
                    });
                    model.retain_mut(|x| {
                        model_calls += 1;
                        x.bump();
                        keep[model_calls - 1]
                    });
                } else {
                    buf.retain(|_| {
                        calls += 1;
                        keep[calls - 1]
                    });
                    model.retain(|_| {
                        model_calls += 1;
                        keep[model_calls - 1]
                    });
                }
                assert_eq!(calls, len, "step {step}: retain visits each element once");
                if mutate { "retain_mut" } else { "retain" }
            }
            20 => {
                let at = rng.range(0, len);
                other = buf.split_off(at);
                other_model = model.split_off(at);
                if !zst {
                    assert_eq!(other.capacity(), other.len(), "step {step}: split_off {at}");
                }
                "split_off"
            }
            21 if short => {
                buf.append(&mut other);
                model.append(&mut other_model);
                assert!(other.is_empty(), "step {step}: append");
                "append"
            }
            22 => {
                if rng.chance(1, 2) {
                    let copy = buf.clone();
                    copy.check_invariants();
                    if !zst {
                        assert_eq!(copy.capacity(), len, "step {step}: clone");
                    }
                    buf = copy;
                    "clone"
                } else {
                    other.clone_from(&buf);
                    other_model.clone_from(&model);
                    "clone_from"
                }
            }
            23 => {
                let mut iter = mem::take(&mut buf).into_iter();
                let mut model_iter = mem::take(&mut model).into_iter();
                let front = rng.range(0, len);
                let back = rng.range(0, len - front);
                for _ in 0..front {
                    assert_eq!(iter.next(), model_iter.next(), "step {step}: into_iter");
                }
                for _ in 0..back {
                    assert_eq!(
                        iter.next_back(),
                        model_iter.next_back(),
                        "step {step}: into_iter"
                    );
                }
                assert_eq!(iter.len(), model_iter.len(), "step {step}: into_iter");
                assert_eq!(
                    iter.as_slice(),
                    model_iter.as_slice(),
                    "step {step}: into_iter"
                );
                if rng.chance(3, 4) {
                    buf = iter.collect();
                    model = model_iter.collect();
                    "into_iter, collected"
                } else {
                    drop(iter);
                    drop(model_iter);
                    "into_iter, dropped"
                }
            }
            24 => {
                for (x, y) in buf.iter_mut().zip(model.iter_mut()).step_by(2) {
                    x.bump();
                    y.bump();
                }
                if len > 0 {
                    let index = rng.below(len);
                    buf.get_mut(index).unwrap().bump();
                    model.get_mut(index).unwrap().bump();
                    buf.as_mut_slice().reverse();
                    model.reverse();
                }
                "iter_mut, get_mut, as_mut_slice"
            }
            _ => {
                assert_eq!(buf.pop(), model.pop(), "step {step}: pop");
                "pop"
            }
        };
        buf.check_invariants();
        other.check_invariants();
        assert_eq!(buf, model, "step {step}: after {op}");
        assert_eq!(other, other_model, "step {step}: after {op} (second pair)");
        if let Some(live) = live.filter(|_| step % 64 == 0) {
            let expected = buf.len() + model.len() + other.len() + other_model.len();
            assert_eq!(live(), expected, "step {step}: live elements after {op}");
        }
    }
}

#[test]
fn model_u32() {
    model_test(0x5EED_0001, |v| v, true, None);
}

#[test]
fn model_zero_sized() {
    let before = zst_drops();
    model_test(0x5EED_0002, |_| DropZst, true, None);
    assert!(zst_drops() > before, "the zero-sized elements were dropped");
}

#[test]
fn model_over_aligned() {
    model_test(0x5EED_0003, Aligned, true, None);
}

#[test]
fn model_counted_drops_every_element_exactly_once() {
    let ledger = Ledger::new();
    model_test(
        0x5EED_0004,
        |v| ledger.make(v),
        false,
        Some(&|| ledger.live()),
    );
    assert_eq!(ledger.live(), 0);
    ledger.assert_all_dropped_once();
}

// The largest case: a million elements take minutes under Miri, and the model tests cover the
// same code paths there at small sizes.
#[cfg(not(miri))]
#[test]
fn a_million_elements_agree_with_vec() {
    let mut buf: RawBuf<u64> = (0..1_000_000).collect();
    let mut model: Vec<u64> = (0..1_000_000).collect();
    buf.check_invariants();
    buf.retain(|x| x % 3 != 0);
    model.retain(|x| x % 3 != 0);
    let drained: u64 = buf.drain(1000..500_000).sum();
    assert_eq!(drained, model.drain(1000..500_000).sum::<u64>());
    let tail = buf.split_off(100_000);
    buf.extend_from_slice(&tail);
    let model_tail = model.split_off(100_000);
    model.extend_from_slice(&model_tail);
    buf.shrink_to_fit();
    buf.check_invariants();
    assert_eq!(buf.capacity(), buf.len());
    assert_eq!(buf, model);
}
