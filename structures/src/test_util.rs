//! Helpers shared by the structures' unit tests: a seeded random number generator and an element
//! type that counts its clones and drops and can be armed to panic.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Operation counts for randomized model tests: large natively, small under Miri.
pub const MODEL_OPS: usize = if cfg!(miri) { 300 } else { 30_000 };

/// SplitMix64: a tiny, fixed-seed, dependency-free generator for reproducible random tests.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n`; `n` must be non-zero.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below(0)");
        (self.next_u64() % n as u64) as usize
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }
}

/// Shared book-keeping for [`Counted`] elements: which ids are alive, how often each was
/// dropped, and an optional armed panic.
#[derive(Debug, Default)]
pub struct Ledger {
    next_id: Cell<u64>,
    /// `drops[id]` is how many times the element with that id was dropped.
    drops: RefCell<Vec<u32>>,
    clones: Cell<u64>,
    /// Panic in the n-th next clone (1 = the very next one); 0 = disarmed.
    clone_panic_in: Cell<u32>,
    /// Panic in the n-th next drop (1 = the very next one); 0 = disarmed.
    drop_panic_in: Cell<u32>,
}

impl Ledger {
    pub fn new() -> Rc<Self> {
        Rc::new(Ledger::default())
    }

    /// A fresh element carrying `value`.
    pub fn make(self: &Rc<Self>, value: u32) -> Counted {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        self.drops.borrow_mut().push(0);
        Counted {
            id,
            value,
            ledger: Rc::clone(self),
        }
    }

    /// Number of elements made or cloned and not yet dropped.
    pub fn live(&self) -> usize {
        self.drops.borrow().iter().filter(|&&d| d == 0).count()
    }

    pub fn clones(&self) -> u64 {
        self.clones.get()
    }

    /// Panics unless every element ever made was dropped exactly once.
    pub fn assert_all_dropped_once(&self) {
        for (id, &d) in self.drops.borrow().iter().enumerate() {
            assert_eq!(
                d, 1,
                "element {id} was dropped {d} times, expected exactly once"
            );
        }
    }

    /// Panics if any element was dropped more than once.
    pub fn assert_no_double_drop(&self) {
        for (id, &d) in self.drops.borrow().iter().enumerate() {
            assert!(d <= 1, "element {id} was dropped {d} times");
        }
    }

    /// The `n`-th next clone (counting from 1) panics.
    pub fn arm_clone_panic(&self, n: u32) {
        self.clone_panic_in.set(n);
    }

    /// The `n`-th next drop (counting from 1) panics, after being counted as a drop.
    pub fn arm_drop_panic(&self, n: u32) {
        self.drop_panic_in.set(n);
    }

    fn fire(counter: &Cell<u32>) -> bool {
        match counter.get() {
            0 => false,
            1 => {
                counter.set(0);
                true
            }
            n => {
                counter.set(n - 1);
                false
            }
        }
    }
}

/// An element that records its clones and drops in a [`Ledger`].
#[derive(Debug)]
pub struct Counted {
    pub id: u64,
    pub value: u32,
    ledger: Rc<Ledger>,
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        if Ledger::fire(&self.ledger.clone_panic_in) {
            panic!("injected panic in clone of element {}", self.id);
        }
        self.ledger.clones.set(self.ledger.clones.get() + 1);
        let mut copy = self.ledger.make(self.value);
        copy.value = self.value;
        copy
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.ledger.drops.borrow_mut()[self.id as usize] += 1;
        if Ledger::fire(&self.ledger.drop_panic_in) {
            panic!("injected panic in drop of element {}", self.id);
        }
    }
}

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
