//! Selectors: turning the numbers an op carries into indices and ranges that are mostly valid,
//! with the first invalid ones reached often enough to test that both sides reject them alike.

use std::ops::Bound;

use arbitrary::Arbitrary;
use serde::{Deserialize, Serialize};

use crate::panics::{PanicMessage, panics_if};

/// An index into a sequence of `len` elements: `raw` reduced modulo `len + slack`, so every
/// valid index is reached and so are the first `slack` invalid ones (`len`, `len + 1`, ...).
///
/// `slack` 1 reaches one past the end (`remove(len)` must panic); 2 reaches two past it
/// (`insert(len)` is valid, `insert(len + 1)` must panic).
pub fn index(raw: impl Into<usize>, len: usize, slack: usize) -> usize {
    raw.into() % (len + slack).max(1)
}

/// Calls `f` with an index among `valid` ones, reduced from `raw` modulo `valid + 1`, so every
/// valid index is reached and so is the first invalid one, `valid`, where the call must panic by
/// contract (see [`panics_if`]).
///
/// `valid` is `len` for a method that takes an existing element (`remove`, `swap_remove`) and
/// `len + 1` for one that takes a position (`insert`, `split_off`).
///
/// ```
/// # use lockstep::select::at;
/// let mut v = vec![1, 2, 3];
/// let len = v.len();
/// assert_eq!(at(1_u16, len, |i| v.remove(i)).ok(), Some(2));
/// assert!(at(2_u16, len - 1, |i| v.remove(i)).is_err());
/// ```
pub fn at<R>(
    raw: impl Into<usize>,
    valid: usize,
    f: impl FnOnce(usize) -> R,
) -> Result<R, PanicMessage> {
    let i = raw.into() % (valid + 1);
    panics_if(i >= valid, || f(i))
}

/// Calls `f` with a [`range`] over `len` elements, which must panic by contract exactly when
/// [`range_panics`] says so.
pub fn in_range<R>(
    (kind, start, end): (RangeKind, u16, u16),
    len: usize,
    f: impl FnOnce((Bound<usize>, Bound<usize>)) -> R,
) -> Result<R, PanicMessage> {
    let r = range(kind, start, end, len);
    panics_if(range_panics(r, len), || f(r))
}

/// The shape of a range argument: which Rust range syntax it stands for.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// A range over `len` elements, for `drain`, `splice`, `copy_within` and the like: mostly valid,
/// with a start one past the end and an end one past `len` (or before the start) reached often
/// enough to check that both sides panic.
pub fn range(kind: RangeKind, start: u16, end: u16, len: usize) -> (Bound<usize>, Bound<usize>) {
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

/// Whether slicing `len` elements by `range` panics (std's rule for `drain` and slicing): the
/// start after the end, or the end past `len`.
pub fn range_panics(range: (Bound<usize>, Bound<usize>), len: usize) -> bool {
    let start = match range.0 {
        Bound::Included(s) => Some(s),
        Bound::Excluded(s) => s.checked_add(1),
        Bound::Unbounded => Some(0),
    };
    let end = match range.1 {
        Bound::Included(e) => e.checked_add(1),
        Bound::Excluded(e) => Some(e),
        Bound::Unbounded => Some(len),
    };
    match (start, end) {
        (Some(start), Some(end)) => start > end || end > len,
        _ => true,
    }
}

/// How an iterator argument presents itself to a method that takes one (`extend`,
/// `from_iter`, `splice`): honestly, with a size hint that is wrong (safe code may return any
/// hint, so unsafe code must not trust it), or panicking part way through.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Shape {
    /// Its true, exact size hint.
    Exact,
    /// `(0, None)`: says nothing.
    Unknown,
    /// Claims this many items more than it yields.
    Overstated(u8),
    /// Claims this many items fewer than it yields (but at least none).
    Understated(u8),
    /// Panics when asked for item `n` (from 0), as an [injected panic](crate::InjectedPanic):
    /// both sides panic there, and what they leave behind is compared.
    PanicAt(u8),
}

/// `items` as an iterator shaped by `shape` (see [`Shape`]).
///
/// ```
/// # use lockstep::select::{Shape, shaped};
/// let iter = shaped(vec![1, 2, 3], Shape::Overstated(2));
/// assert_eq!(iter.size_hint(), (5, Some(5)));
/// assert_eq!(iter.count(), 3);
/// ```
pub fn shaped<I: IntoIterator>(items: I, shape: Shape) -> Shaped<I::IntoIter>
where
    I::IntoIter: ExactSizeIterator,
{
    Shaped {
        inner: items.into_iter(),
        shape,
        yielded: 0,
    }
}

/// An iterator shaped by a [`Shape`]; see [`shaped`].
#[derive(Clone, Debug)]
pub struct Shaped<I> {
    inner: I,
    shape: Shape,
    yielded: usize,
}

impl<I: ExactSizeIterator> Iterator for Shaped<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        if matches!(self.shape, Shape::PanicAt(n) if usize::from(n) == self.yielded)
            && self.inner.len() > 0
        {
            crate::tracked::ledger::fire();
            std::panic::panic_any(crate::InjectedPanic {
                event: crate::Event::Next,
                id: u32::try_from(self.yielded).unwrap_or(u32::MAX),
            });
        }
        let item = self.inner.next()?;
        self.yielded += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.inner.len();
        match self.shape {
            Shape::Exact | Shape::PanicAt(_) => (left, Some(left)),
            Shape::Unknown => (0, None),
            Shape::Overstated(n) => (left + usize::from(n), Some(left + usize::from(n))),
            Shape::Understated(n) => {
                let claimed = left.saturating_sub(usize::from(n));
                (claimed, Some(claimed))
            }
        }
    }
}

/// `len` is the size hint's lower bound, as the trait's default is: a wrong hint makes a wrong
/// `len`, which safe code may return as well.
impl<I: ExactSizeIterator> ExactSizeIterator for Shaped<I> {
    fn len(&self) -> usize {
        self.size_hint().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shaped_iterators_yield_everything_and_say_what_they_are_told() {
        let hint = |shape| shaped(vec![1, 2, 3], shape).size_hint();
        assert_eq!(hint(Shape::Exact), (3, Some(3)));
        assert_eq!(hint(Shape::Unknown), (0, None));
        assert_eq!(hint(Shape::Understated(5)), (0, Some(0)));
        for shape in [
            Shape::Exact,
            Shape::Unknown,
            Shape::Overstated(1),
            Shape::Understated(1),
        ] {
            assert_eq!(shaped(vec![1, 2, 3], shape).collect::<Vec<_>>(), [1, 2, 3]);
        }
        let partial = std::panic::catch_unwind(|| {
            let mut got = Vec::new();
            got.extend(shaped(vec![1, 2, 3], Shape::PanicAt(2)));
        });
        let payload = partial.expect_err("PanicAt(2) panics at the third item");
        assert!(payload.downcast_ref::<crate::InjectedPanic>().is_some());
        // Past the end there is nothing to panic at.
        assert_eq!(shaped(vec![1], Shape::PanicAt(3)).count(), 1);
    }

    #[test]
    fn ranges_panic_exactly_when_slicing_does() {
        let kinds = [
            RangeKind::Full,
            RangeKind::From,
            RangeKind::To,
            RangeKind::ToInclusive,
            RangeKind::Range,
            RangeKind::RangeInclusive,
        ];
        for len in 0..5 {
            let v: Vec<u8> = (0..len as u8).collect();
            for kind in kinds {
                for start in 0..8 {
                    for end in 0..8 {
                        let r = range(kind, start, end, len);
                        let panicked = std::panic::catch_unwind(|| v[r].len()).is_err();
                        assert_eq!(range_panics(r, len), panicked, "{r:?} of {len}");
                    }
                }
            }
        }
    }
}
