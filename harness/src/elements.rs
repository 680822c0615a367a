//! Elements of other layouts than [`Tracked`](crate::Tracked)'s, for the paths a structure takes
//! only for them: zero-sized ([`Counted`]), over-aligned ([`Aligned`]) and `Copy` ([`Sealed`]).

use std::fmt;
use std::ops::Deref;

use crate::tracked::{Event, InjectedPanic, ledger};

/// A zero-sized element, counted: how many exist on each side, as [`Tracked`](crate::Tracked)
/// values are, but with no identity (there is no room for one).
///
/// It is for the zero-sized paths of a structure (a buffer that never allocates for them, a
/// capacity of `usize::MAX`). A leak or an early drop shows as a count that differs from the
/// model's; a double drop shows as an early drop, since a value without identity cannot be told
/// from another. A value counts for the side whose step creates or drops it. Clones and drops
/// can be made to panic by a [`PanicPlan`](crate::PanicPlan) like tracked ones.
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Counted(());

impl Counted {
    /// A new value, counted for the side whose step is running.
    pub fn new() -> Self {
        ledger::add_anonymous(1);
        Counted(())
    }
}

impl Default for Counted {
    fn default() -> Self {
        Counted::new()
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        if ledger::count(Event::Clone) {
            std::panic::panic_any(InjectedPanic {
                event: Event::Clone,
                id: 0,
            });
        }
        Counted::new()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        ledger::add_anonymous(-1);
        if !std::thread::panicking() && ledger::count(Event::Drop) {
            std::panic::panic_any(InjectedPanic {
                event: Event::Drop,
                id: 0,
            });
        }
    }
}

impl fmt::Debug for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Counted")
    }
}

/// The alignment of [`Aligned`] values.
pub const ALIGN: usize = 64;

/// A tracked value aligned to [`ALIGN`] bytes, more than any allocator gives by default: for the
/// layout computations of a structure (an allocation's alignment, an offset rounded up to it).
/// Reading one that is not at a multiple of [`ALIGN`] panics, so a structure that misplaces it is
/// reported where it read it, natively; under Miri the misaligned reference is the finding.
#[repr(align(64))]
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Aligned<T>(crate::Tracked<T>);

impl<T> Aligned<T> {
    /// A new value, tracked.
    pub fn new(value: T) -> Self {
        Aligned(crate::Tracked::new(value))
    }

    /// The tracked value inside, once its address is checked.
    pub fn get(&self) -> &crate::Tracked<T> {
        let address = std::ptr::from_ref(self).addr();
        assert!(
            address % ALIGN == 0,
            "an Aligned value read at {address:#x}, which is not a multiple of {ALIGN}"
        );
        &self.0
    }

    /// Takes the value out; the tracked value counts as dropped.
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T> Deref for Aligned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T: fmt::Debug> fmt::Debug for Aligned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

/// A `Copy` value with a seal: for APIs that need `T: Copy` (`Extend<&T>`, `copy_from_slice`,
/// `fill`), where a [`Tracked`](crate::Tracked) value cannot go. A copy has no drop to count, so
/// what it checks is what it holds: reading one whose seal does not match its value (memory that
/// was never written, or written over) panics, natively, where a structure reads garbage as an
/// element.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sealed {
    value: u32,
    seal: u32,
}

impl Sealed {
    /// A sealed `value`.
    pub const fn new(value: u32) -> Self {
        Sealed {
            value,
            seal: seal_of(value),
        }
    }

    /// The value, once its seal is checked.
    pub fn get(self) -> u32 {
        assert!(
            self.seal == seal_of(self.value),
            "a Sealed element holds {:#x} under the seal {:#x}: it was never written, or was \
             written over",
            self.value,
            self.seal
        );
        self.value
    }
}

/// A seal no small value or all-zero memory carries by chance.
const fn seal_of(value: u32) -> u32 {
    (value ^ 0x5ea1_5ea1_u32)
        .rotate_left(13)
        .wrapping_mul(0x9e37_79b1)
        | 1
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_notice_memory_that_is_not_theirs() {
        let v = Sealed::new(7);
        assert_eq!(v.get(), 7);
        let zeroed = Sealed { value: 0, seal: 0 };
        assert!(std::panic::catch_unwind(|| zeroed.get()).is_err());
        let overwritten = Sealed { value: 8, ..v };
        assert!(std::panic::catch_unwind(|| overwritten.get()).is_err());
    }

    #[test]
    fn aligned_values_are_aligned() {
        assert_eq!(std::mem::align_of::<Aligned<u8>>(), ALIGN);
        // On the heap, where the allocator must honour the alignment.
        let v: Vec<_> = (1..=2_u8).map(Aligned::new).collect();
        assert_eq!(*v[1], 2);
    }

    #[test]
    fn counted_values_are_zero_sized() {
        assert_eq!(std::mem::size_of::<Counted>(), 0);
    }
}
