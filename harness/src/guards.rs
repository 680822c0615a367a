//! Half-consumed guards and iterators: a drain, a cursor, an iterator taken from both ends, then
//! dropped, leaked with `mem::forget`, or run to the end. Leaking must never cause undefined
//! behaviour, and dropping half way must leave the structure as its model says.

use arbitrary::Arbitrary;
use serde::{Deserialize, Serialize};

/// What happens to a guard or iterator after some of it was consumed.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Finish {
    /// Dropped half consumed.
    Drop,
    /// Leaked with `mem::forget`. Use it only on what owns no heap memory of its own: libFuzzer
    /// runs with LeakSanitizer.
    Forget,
    /// Consumed to the end.
    Exhaust,
}

impl Finish {
    /// Ends `iter` this way; what [`Finish::Exhaust`] consumes is mapped by `f` onto `got`.
    pub fn end<I: Iterator, T>(self, iter: I, got: &mut Vec<T>, f: impl FnMut(I::Item) -> T) {
        match self {
            Finish::Drop => drop(iter),
            Finish::Forget => std::mem::forget(iter),
            Finish::Exhaust => got.extend(iter.map(f)),
        }
    }
}

impl Finish {
    /// Takes up to `front` items from the front of `iter` and up to `back` from its back, then
    /// ends it this way; returns what was taken, with what [`Finish::Exhaust`] consumed last.
    pub fn take<I: DoubleEndedIterator>(
        self,
        mut iter: I,
        front: usize,
        back: usize,
    ) -> Vec<I::Item> {
        let mut got = take_ends(&mut iter, front, back);
        self.end(iter, &mut got, |item| item);
        got
    }
}

/// Takes up to `front` items from the front of `iter`, then up to `back` from its back.
pub fn take_ends<I: DoubleEndedIterator>(iter: &mut I, front: usize, back: usize) -> Vec<I::Item> {
    let mut got: Vec<I::Item> = iter.by_ref().take(front).collect();
    got.extend(iter.by_ref().rev().take(back));
    got
}
