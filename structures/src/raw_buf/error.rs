//! The error of [`RawBuf`](super::RawBuf)'s fallible growth methods.

use std::alloc::Layout;
use std::error::Error;
use std::fmt;

/// Why a `try_*` growth method of [`RawBuf`](super::RawBuf) could not make room. The buffer is
/// unchanged when one is returned.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryReserveError {
    /// The requested capacity overflows `usize`, or its size in bytes exceeds `isize::MAX`
    /// (for zero-sized elements: the length would exceed `usize::MAX`).
    CapacityOverflow,
    /// The global allocator returned null for an allocation or reallocation of this layout.
    AllocError {
        /// The layout that could not be allocated.
        layout: Layout,
    },
}

impl fmt::Display for TryReserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryReserveError::CapacityOverflow => {
                f.write_str("capacity overflow: more than isize::MAX bytes or usize::MAX elements")
            }
            TryReserveError::AllocError { layout } => write!(
                f,
                "memory allocation of {} bytes (align {}) failed",
                layout.size(),
                layout.align()
            ),
        }
    }
}

impl Error for TryReserveError {}
