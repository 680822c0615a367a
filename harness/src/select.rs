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

#[cfg(test)]
mod tests {
    use super::*;

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
