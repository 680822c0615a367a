//! The seeded bugs of [`RawBuf`], each entered by the `seeded::hook!` line of the function it
//! replaces. Compiled only with the `seeded-bugs` feature; every one is unsound on purpose.
//! None is inlined, so a report names the deviation's own line.

use std::ops::{Bound, Range, RangeBounds};
use std::ptr;

use super::RawBuf;
use super::drain::slice_range;
use super::raw::RawMem;
use crate::seeded::{self, Bug};

/// `raw_buf-drain-overread`: `Drain`'s drop moves one element too many when it closes the gap.
#[inline(never)]
pub(super) fn move_tail_overread<T>(base: *mut T, start: usize, tail_start: usize, len: usize) {
    // SAFETY: none: the copy reads one slot past the tail, which is uninitialised, or out of
    // bounds when the buffer is full (the bug).
    unsafe { ptr::copy(base.add(tail_start), base.add(start), len + 1) };
    // Something after the copy, so it is not a tail call: a report names this frame, in every
    // build, rather than the hook's where the optimiser turned the call into a jump.
    std::hint::black_box(());
}

/// `raw_buf-drain-inclusive`: an inclusive range end is taken as exclusive.
#[inline(never)]
pub(super) fn slice_range_exclusive_end<R: RangeBounds<usize>>(
    range: R,
    len: usize,
) -> Range<usize> {
    let end = match range.end_bound() {
        Bound::Included(&end) => Bound::Excluded(end),
        end => end.cloned(),
    };
    let range = (range.start_bound().cloned(), end);
    seeded::without(Bug::RawBufDrainInclusive, || slice_range(range, len))
}

/// `raw_buf-pop-uninit`: `pop` reads the slot after the last element.
#[inline(never)]
pub(super) fn pop_past_end<T>(buf: &mut RawBuf<T>) -> Option<T> {
    if buf.len == 0 {
        return None;
    }
    buf.len -= 1;
    // SAFETY: none: slot `len + 1` is uninitialised, or out of bounds when the buffer was full
    // (the bug).
    Some(unsafe { buf.mem.ptr().add(buf.len + 1).read() })
}

/// `raw_buf-extend-len-first`: the new slots are counted before they are written, so a
/// panicking `clone` leaves uninitialised slots inside the length.
#[inline(never)]
pub(super) fn extend_len_first<T: Clone>(buf: &mut RawBuf<T>, other: &[T]) {
    buf.reserve(other.len());
    let (start, dst) = (buf.len, buf.mem.ptr());
    buf.len += other.len();
    for (i, item) in other.iter().enumerate() {
        let value = item.clone();
        // SAFETY: `start + i < start + other.len() <= capacity` (reserved above): the slot is in
        // bounds and uninitialised. (The unsoundness is the length set above.)
        unsafe { dst.add(start + i).write(value) };
    }
}

/// `raw_buf-shrink-double-free`: shrinking an empty buffer frees its memory but keeps the
/// pointer and capacity, so the memory is freed again.
#[inline(never)]
pub(super) fn shrink_keeps_pointer<T>(mem: &mut RawMem<T>, len: usize) {
    // SAFETY: none: the copy is the old pointer and capacity, written back over the reset
    // `shrink_to` leaves after freeing them (the bug).
    let stale = unsafe { ptr::read(mem) };
    seeded::without(Bug::RawBufShrinkDoubleFree, || mem.shrink_to(len));
    if len == 0 {
        // SAFETY: none (the bug, as above); the reset value written over has nothing to free.
        unsafe { ptr::write(mem, stale) };
    } else {
        std::mem::forget(stale);
    }
}
