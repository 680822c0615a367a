//! The chunked slot arena under both halves of an [`ArenaGraph`](super::ArenaGraph).
//!
//! An [`Arena<T>`] is a sequence of slots spread over chunks allocated with [`std::alloc`]. Chunk
//! `k` holds `BASE << k` slots, so chunk sizes double and slot `index` lives in chunk
//! `log2(index + BASE) - log2(BASE)`: found by arithmetic, no search. A chunk never moves once
//! allocated, so a slot's address is stable until [`Arena::trim`] frees its chunk.
//!
//! # Pointers
//!
//! Every slot pointer is computed from the pointer `alloc` returned for its chunk
//! (`base.add(offset)`); no reference to a slot or a chunk is ever created. Those pointers carry
//! the provenance of the whole chunk, so the graph can store them in other slots (its adjacency
//! links) and read and write through them later, under Stacked Borrows and Tree Borrows alike.
//! The only references into a chunk are the `&T` / `&mut T` to values that the graph hands out,
//! and those never outlive a borrow of the graph.
//!
//! # Versions
//!
//! Each slot has a `version`: odd while occupied, even while vacant. Occupying and vacating each
//! add one, so the versions of successive occupants of a slot strictly increase, and an id
//! (index + odd version) matches its slot only while its own occupant is there. When vacating
//! would wrap the version to 0, the slot is *retired* instead: it stays vacant, off the free
//! list, for the rest of the arena's life, so no version is ever handed out twice. (That takes
//! 2^31 occupants of one slot.)
//!
//! [`Arena::trim`] frees trailing chunks and with them the versions of their slots. So that ids
//! of those slots stay stale when their indices come back, the arena keeps a `floor`: at least
//! the version of every slot it ever discarded. A slot initialized later starts at `floor`, above
//! every version its index had before. Trimming never discards a retired slot, so `floor` is
//! always an even number below `u32::MAX` and a fresh slot can always be occupied.

use std::alloc::{self, Layout};
use std::cmp;
use std::mem::{self, MaybeUninit};
use std::ptr::{self, NonNull};

use super::GraphError;
use crate::seeded;

/// log2 of [`BASE`].
const BASE_LOG: u32 = 2;
/// Number of slots in chunk 0; chunk `k` holds `BASE << k`.
const BASE: u32 = 1 << BASE_LOG;
/// Maximum number of chunks. 29 chunks hold `BASE * (2^29 - 1) < 2^31` slots, so every index
/// and every index plus `BASE` fits in a `u32` with room left for the sentinels [`NIL`] and
/// [`RETIRED`].
const MAX_CHUNKS: u32 = 29;
/// Maximum number of slots in an arena (and so of nodes, or of edges, in a graph).
pub(super) const MAX_SLOTS: u32 = chunk_start(MAX_CHUNKS);
/// `next_free` of the last slot on the free list.
const NIL: u32 = u32::MAX;
/// `next_free` of a retired slot.
const RETIRED: u32 = u32::MAX - 1;

/// Number of slots in chunk `k`.
const fn chunk_len(k: u32) -> u32 {
    BASE << k
}

/// Index of the first slot of chunk `k`, which is also the number of slots in chunks `0..k`.
const fn chunk_start(k: u32) -> u32 {
    (BASE << k) - BASE
}

/// The chunk holding slot `index` and the slot's offset in it. Requires `index < MAX_SLOTS`.
const fn locate(index: u32) -> (u32, u32) {
    let shifted = index + BASE;
    let chunk = u32::BITS - 1 - shifted.leading_zeros() - BASE_LOG;
    (chunk, shifted - (BASE << chunk))
}

/// Layout of chunk `k`, or `None` if its size overflows `isize`.
fn chunk_layout<T>(k: u32) -> Option<Layout> {
    Layout::array::<Slot<T>>(chunk_len(k) as usize).ok()
}

/// One slot of an arena. Only ever accessed through raw pointers derived from its chunk's base.
pub(super) struct Slot<T> {
    /// Odd iff the slot is occupied. Incremented when the slot is occupied and when it is
    /// vacated; 0 for a retired slot.
    version: u32,
    /// This slot's own index; written when the slot is initialized, never changed.
    index: u32,
    /// While the slot is vacant: the next slot on the free list, [`NIL`] at the end of the list,
    /// or [`RETIRED`]. Meaningless while the slot is occupied.
    next_free: u32,
    /// Initialized iff `version` is odd.
    value: MaybeUninit<T>,
}

/// Pointer to the value of `slot`.
///
/// # Safety
///
/// `slot` points to a slot in a live chunk. (Reading or writing through the result further
/// requires the slot to be occupied, or, for a write of a whole value, to be about to be.)
pub(super) unsafe fn value_ptr<T>(slot: NonNull<Slot<T>>) -> *mut T {
    // SAFETY: precondition passed to the caller; the projection stays inside the slot.
    // `MaybeUninit<T>` is `repr(transparent)`, so the cast yields a pointer to the `T`.
    unsafe { (&raw mut (*slot.as_ptr()).value).cast::<T>() }
}

/// `(index, version)` of `slot`.
///
/// # Safety
///
/// `slot` points to an initialized slot in a live chunk, and no `&mut` to it is live.
pub(super) unsafe fn slot_id<T>(slot: NonNull<Slot<T>>) -> (u32, u32) {
    // SAFETY: precondition passed to the caller.
    unsafe { ((*slot.as_ptr()).index, (*slot.as_ptr()).version) }
}

/// A growable arena of generational slots in chunks that never move.
pub(super) struct Arena<T> {
    /// `chunks[k]` is the base of an allocation of `chunk_len(k)` slots made with
    /// `chunk_layout::<T>(k)` and owned by this arena. `chunks.len() <= MAX_CHUNKS`; once a
    /// chunk is allocated the vector has capacity for all `MAX_CHUNKS`, so pushing never
    /// reallocates.
    chunks: Vec<NonNull<Slot<T>>>,
    /// Slots `0..len` are initialized (their headers written); the others are raw memory.
    /// `len <= chunk_start(chunks.len())`.
    len: u32,
    /// First slot of the free list, or [`NIL`]. The free list, linked through `next_free`,
    /// holds exactly the vacant, non-retired slots below `len`, each once.
    free_head: u32,
    /// Number of slots on the free list.
    free_len: u32,
    /// Number of occupied slots below `len`.
    occupied: u32,
    /// Number of retired slots below `len`.
    retired: u32,
    /// Even, and at least the version of every slot that [`Arena::trim`] ever discarded: the
    /// version a slot starts with when it is initialized.
    pub(super) floor: u32,
}

impl<T> Arena<T> {
    /// An arena with no chunks.
    pub(super) const fn new() -> Self {
        Arena {
            chunks: Vec::new(),
            len: 0,
            free_head: NIL,
            free_len: 0,
            occupied: 0,
            retired: 0,
            floor: 0,
        }
    }

    /// Number of initialized slots: one past the highest index ever handed out since the last
    /// trim.
    pub(super) fn len(&self) -> u32 {
        self.len
    }

    /// Number of occupied slots.
    pub(super) fn occupied(&self) -> u32 {
        self.occupied
    }

    /// Number of slots in the allocated chunks.
    pub(super) fn capacity(&self) -> u32 {
        chunk_start(self.chunks.len() as u32)
    }

    /// Pointer to slot `index`, initialized or not.
    ///
    /// # Safety
    ///
    /// `index < self.capacity()`.
    pub(super) unsafe fn slot_unchecked(&self, index: u32) -> NonNull<Slot<T>> {
        debug_assert!(
            index < self.capacity(),
            "slot_unchecked index={index} capacity={}",
            self.capacity()
        );
        let (chunk, offset) = locate(index);
        // SAFETY: `index < capacity = chunk_start(chunks.len())` (caller), so the slot's chunk
        // `chunk` is allocated, and `offset < chunk_len(chunk)`: the result is in bounds of that
        // chunk's allocation.
        unsafe { self.chunks[chunk as usize].add(offset as usize) }
    }

    /// Slot `index` if it is initialized.
    pub(super) fn slot(&self, index: u32) -> Option<NonNull<Slot<T>>> {
        if index < self.len {
            // SAFETY: `index < len <= capacity`.
            Some(unsafe { self.slot_unchecked(index) })
        } else {
            None
        }
    }

    /// `(version, next_free)` of slot `index` if it is initialized.
    pub(super) fn header(&self, index: u32) -> Option<(u32, u32)> {
        let slot = self.slot(index)?.as_ptr();
        // SAFETY: slots below `len` are initialized and live in allocated chunks; headers are
        // only written through `&mut self` and never referenced.
        Some(unsafe { ((*slot).version, (*slot).next_free) })
    }

    /// The slot named by `(index, version)` if its occupant is the one the pair names.
    pub(super) fn get(&self, index: u32, version: u32) -> Option<NonNull<Slot<T>>> {
        // Even versions belong to vacant slots and are never in an id the arena handed out; a
        // forged one must not make a vacant slot look occupied.
        if version % 2 == 0 {
            return None;
        }
        let slot = self.slot(index)?;
        // SAFETY: slots below `len` are initialized; headers are only written through `&mut
        // self` and never referenced.
        (unsafe { (*slot.as_ptr()).version } == version).then_some(slot)
    }

    /// Slot `index` if it is occupied.
    pub(super) fn occupied_slot(&self, index: u32) -> Option<NonNull<Slot<T>>> {
        let slot = self.slot(index)?;
        // SAFETY: as in `get`.
        (unsafe { (*slot.as_ptr()).version } % 2 == 1).then_some(slot)
    }

    /// Calls `f(index, slot)` for every initialized slot, in index order, stepping through each
    /// chunk by pointer (cheaper than locating every index).
    pub(super) fn for_each_slot(&self, mut f: impl FnMut(u32, NonNull<Slot<T>>)) {
        let mut start = 0;
        for (k, &base) in self.chunks.iter().enumerate() {
            if start == self.len {
                break;
            }
            let count = cmp::min(chunk_len(k as u32), self.len - start);
            for offset in 0..count {
                // SAFETY: `offset < chunk_len(k)`: in bounds of chunk `k`'s allocation.
                f(start + offset, unsafe { base.add(offset as usize) });
            }
            start += count;
        }
    }

    /// Calls `f(index, slot)` for every occupied slot, in index order.
    pub(super) fn for_each_occupied(&self, mut f: impl FnMut(u32, NonNull<Slot<T>>)) {
        self.for_each_slot(|index, slot| {
            // SAFETY: `for_each_slot` passes initialized slots; headers are only written
            // through `&mut self` and never referenced.
            if unsafe { (*slot.as_ptr()).version } % 2 == 1 {
                f(index, slot);
            }
        });
    }

    /// Whether slot `index` is initialized, vacant and not retired.
    fn is_free(&self, index: u32) -> bool {
        matches!(self.header(index), Some((version, next)) if version % 2 == 0 && next != RETIRED)
    }

    /// Makes sure `additional` more values can be inserted without allocating.
    ///
    /// On error the arena is unchanged apart from possibly some extra chunks.
    pub(super) fn try_reserve(&mut self, additional: usize) -> Result<(), GraphError> {
        let spare = self.free_len as usize + (self.capacity() - self.len) as usize;
        let Some(missing) = additional.checked_sub(spare).filter(|&m| m > 0) else {
            return Ok(());
        };
        let needed = (self.capacity() as usize)
            .checked_add(missing)
            .filter(|&n| n <= MAX_SLOTS as usize)
            .ok_or(GraphError::CapacityOverflow)?;
        while (self.capacity() as usize) < needed {
            self.grow()?;
        }
        Ok(())
    }

    /// Allocates the next chunk.
    fn grow(&mut self) -> Result<(), GraphError> {
        let k = self.chunks.len() as u32;
        if k == MAX_CHUNKS {
            return Err(GraphError::CapacityOverflow);
        }
        let layout = chunk_layout::<T>(k).ok_or(GraphError::CapacityOverflow)?;
        if self.chunks.capacity() == 0 {
            // One allocation for the whole chunk table, so that `push` below never reallocates
            // and cannot fail.
            self.chunks
                .try_reserve_exact(MAX_CHUNKS as usize)
                .map_err(|_| {
                    GraphError::AllocFailed(Layout::new::<
                        [NonNull<Slot<T>>; MAX_CHUNKS as usize],
                    >())
                })?;
        }
        // SAFETY: the layout has a non-zero size: `chunk_len(k) >= BASE > 0` slots, and a slot
        // is at least 12 bytes (its header).
        let base = unsafe { alloc::alloc(layout) };
        let base = NonNull::new(base.cast::<Slot<T>>()).ok_or(GraphError::AllocFailed(layout))?;
        debug_assert!(
            self.chunks.len() < self.chunks.capacity(),
            "chunk table len={} cap={}",
            self.chunks.len(),
            self.chunks.capacity()
        );
        self.chunks.push(base);
        Ok(())
    }

    /// Moves `value` into a vacant slot and returns the slot: the first on the free list, else
    /// the next uninitialized one.
    ///
    /// # Panics
    ///
    /// If the arena already has [`MAX_SLOTS`] slots in use.
    ///
    /// # Aborts
    ///
    /// If allocating a chunk fails (through [`alloc::handle_alloc_error`]).
    pub(super) fn insert(&mut self, value: T) -> NonNull<Slot<T>> {
        if let Err(err) = self.try_reserve(1) {
            err.fail();
        }
        let slot = if self.free_head != NIL {
            // SAFETY: the free list holds initialized slots below `len <= capacity`.
            let slot = unsafe { self.slot_unchecked(self.free_head) };
            // SAFETY: `slot` is initialized and not referenced.
            self.free_head = unsafe { (*slot.as_ptr()).next_free };
            self.free_len -= 1;
            slot
        } else {
            let index = self.len;
            // SAFETY: the free list is empty, so `try_reserve(1)` made `len < capacity`.
            let slot = unsafe { self.slot_unchecked(index) };
            // SAFETY: `slot` is in bounds of its chunk and, being past `len`, referenced by
            // nothing; writing the header fields initializes them (they are plain `u32`s).
            unsafe {
                let raw = slot.as_ptr();
                (&raw mut (*raw).version).write(self.floor);
                (&raw mut (*raw).index).write(index);
                (&raw mut (*raw).next_free).write(NIL);
            }
            self.len += 1;
            slot
        };
        // SAFETY: 1. `slot` is initialized, vacant and not retired, so its value is free to be
        // overwritten and its version is even and at most `u32::MAX - 1`: adding one cannot
        // overflow and makes it odd (occupied). 2. Nothing references the slot.
        unsafe {
            value_ptr(slot).write(value);
            (*slot.as_ptr()).version += 1;
        }
        self.occupied += 1;
        slot
    }

    /// Moves the value out of `slot` and makes the slot vacant: pushed on the free list, or
    /// retired if its version is exhausted.
    ///
    /// # Safety
    ///
    /// `slot` is an occupied slot of this arena, and nothing references its value (pointers to
    /// it, which the caller must not use for the value any more, are fine).
    pub(super) unsafe fn vacate(&mut self, slot: NonNull<Slot<T>>) -> T {
        let raw = slot.as_ptr();
        // SAFETY: 1. `slot` is an occupied slot of this arena (caller), so its header is
        // initialized and its value is initialized and unreferenced: we may read it out, after
        // which the even version marks it uninitialized. 2. Header writes go through the chunk
        // pointer; nothing references the header.
        unsafe {
            debug_assert!(
                (*raw).version % 2 == 1,
                "vacate of vacant slot index={} version={}",
                (*raw).index,
                (*raw).version
            );
            let value = value_ptr(slot).read();
            let version = (*raw).version.wrapping_add(1);
            (*raw).version = version;
            if version == 0 {
                (*raw).next_free = RETIRED;
                self.retired += 1;
            } else {
                (*raw).next_free = self.free_head;
                self.free_head = (*raw).index;
                self.free_len += 1;
            }
            self.occupied -= 1;
            value
        }
    }

    /// Fills this arena, which must be new, with a copy of `src`: the same chunks, slot indices,
    /// versions, free list, retired slots and floor. The value of each occupied slot is made by
    /// `clone_value` from a pointer to the matching slot of `src`, which is occupied and valid
    /// for reads during the call.
    ///
    /// If `clone_value` panics, this arena holds the slots copied so far: a prefix of `src`'s,
    /// with its occupied count up to date but no free list. The owner must then drop the values
    /// of the occupied slots, as for any arena.
    ///
    /// # Aborts
    ///
    /// If allocating the chunks fails.
    pub(super) fn clone_slots(
        &mut self,
        src: &Arena<T>,
        mut clone_value: impl FnMut(NonNull<Slot<T>>) -> T,
    ) {
        debug_assert!(self.chunks.is_empty(), "clone_slots into a used arena");
        if let Err(err) = self.try_reserve(src.capacity() as usize) {
            err.fail();
        }
        debug_assert!(
            self.capacity() == src.capacity(),
            "clone capacity={} src capacity={}",
            self.capacity(),
            src.capacity()
        );
        for index in 0..src.len {
            self.clone_slot(src, index, &mut clone_value);
        }
        self.free_head = src.free_head;
        self.free_len = src.free_len;
        self.floor = src.floor;
    }

    /// Appends a copy of slot `index` of `src`, which is `self.len`, with its value made by
    /// `clone_value` if it is occupied; see [`clone_slots`](Arena::clone_slots).
    fn clone_slot(
        &mut self,
        src: &Arena<T>,
        index: u32,
        clone_value: &mut impl FnMut(NonNull<Slot<T>>) -> T,
    ) {
        seeded::hook!(GraphCloneClaimsFirst =>
            super::deviations::claim_then_clone(self, src, index, clone_value));
        let (Some(from), Some((version, next_free))) = (src.slot(index), src.header(index)) else {
            unreachable!("index {index} < len")
        };
        let value = (version % 2 == 1).then(|| clone_value(from));
        // SAFETY: `index` is `self.len` and below `src.len <= src.capacity == self.capacity`;
        // `value` is there exactly when the version is odd.
        unsafe { self.push_slot(index, version, next_free, value) };
    }

    /// Initializes slot `index` with the header `version`, `next_free` and, if given, `value`,
    /// then counts it: `len` grows to cover it, and the occupied or retired count with it.
    ///
    /// # Safety
    ///
    /// `index` is `self.len` and below the capacity; `value` is `Some` if `version` is odd (an
    /// occupied slot holds a value).
    pub(super) unsafe fn push_slot(
        &mut self,
        index: u32,
        version: u32,
        next_free: u32,
        value: Option<T>,
    ) {
        // SAFETY: `index` is below the capacity (caller).
        let slot = unsafe { self.slot_unchecked(index) };
        // SAFETY: `slot` is in bounds of its chunk and past `self.len`, so nothing refers to
        // it; the header is written before `len` covers it, and the value, if any, before the
        // odd version claims it.
        unsafe {
            let raw = slot.as_ptr();
            (&raw mut (*raw).index).write(index);
            (&raw mut (*raw).next_free).write(next_free);
            if let Some(value) = value {
                value_ptr(slot).write(value);
            }
            (&raw mut (*raw).version).write(version);
        }
        self.len = index + 1;
        if version % 2 == 1 {
            self.occupied += 1;
        } else if next_free == RETIRED {
            self.retired += 1;
        }
    }

    /// Upper bound on the number of moves [`Arena::compact`] makes.
    pub(super) fn max_moves(&self) -> usize {
        cmp::min(self.free_len, self.occupied) as usize
    }

    /// Moves values from the highest occupied slots into the lowest free ones until no free slot
    /// is below an occupied one, then [`trim`](Arena::trim)s.
    ///
    /// Values move bitwise. After each move, `relocated(new_slot, (old_index, old_version))` is
    /// called; the new version is in `new_slot`. The old slot becomes vacant (or retired), so any
    /// pointer the caller keeps to it must be redirected by `relocated`. Makes at most
    /// [`max_moves`](Arena::max_moves) moves.
    pub(super) fn compact(&mut self, mut relocated: impl FnMut(NonNull<Slot<T>>, (u32, u32))) {
        let (mut lo, mut hi) = (0, self.len);
        loop {
            while lo < hi && !self.is_free(lo) {
                lo += 1;
            }
            while hi > lo && self.occupied_slot(hi - 1).is_none() {
                hi -= 1;
            }
            if lo >= hi {
                break;
            }
            // `lo` is free and `hi - 1` occupied, so they differ: `lo < hi - 1`.
            debug_assert!(lo + 1 < hi, "compact lo={lo} hi={hi}");
            // SAFETY: `lo < hi - 1 < len <= capacity`.
            let (dst, src) = unsafe { (self.slot_unchecked(lo), self.slot_unchecked(hi - 1)) };
            let (d, s) = (dst.as_ptr(), src.as_ptr());
            // SAFETY: 1. `src` is occupied and `dst` is free (vacant, not retired), and they are
            // distinct slots: the copy moves the initialized value into uninitialized memory
            // without overlap, after which `src`'s even version marks its copy dead. 2. `dst`'s
            // version is even and at most `u32::MAX - 1`, so adding one cannot overflow. 3. Both
            // headers are initialized (below `len`) and unreferenced.
            let (old, retired) = unsafe {
                ptr::copy_nonoverlapping(value_ptr(src), value_ptr(dst), 1);
                (*d).version += 1;
                let old = ((*s).index, (*s).version);
                (*s).version = (*s).version.wrapping_add(1);
                let retired = (*s).version == 0;
                // `trim` rebuilds the free list; until then `free_head`/`free_len` are stale.
                (*s).next_free = if retired { RETIRED } else { NIL };
                (old, retired)
            };
            if retired {
                self.retired += 1;
            }
            relocated(dst, old);
            lo += 1;
            hi -= 1;
        }
        self.trim();
    }

    /// Discards the free slots at the end of the arena, raising `floor` to their versions,
    /// frees every chunk past the last slot in use, and rebuilds the free list in ascending
    /// index order. Stops at the last occupied or retired slot.
    pub(super) fn trim(&mut self) {
        seeded::hook!(GraphTrimNoFloor => super::deviations::trim_keeps_floor(self));
        let mut len = self.len;
        while len > 0 && self.is_free(len - 1) {
            len -= 1;
            if let Some((version, _)) = self.header(len) {
                self.floor = cmp::max(self.floor, version);
            }
        }
        let keep = if len == 0 { 0 } else { locate(len - 1).0 + 1 };
        self.free_chunks_from(keep as usize);
        self.len = len;
        self.free_head = NIL;
        self.free_len = 0;
        for index in (0..len).rev() {
            if self.is_free(index) {
                // SAFETY: `index < len <= capacity`.
                let slot = unsafe { self.slot_unchecked(index) };
                // SAFETY: the slot is initialized and unreferenced.
                unsafe { (*slot.as_ptr()).next_free = self.free_head };
                self.free_head = index;
                self.free_len += 1;
            }
        }
    }

    /// Frees chunks `keep..`.
    fn free_chunks_from(&mut self, keep: usize) {
        while self.chunks.len() > keep {
            let k = self.chunks.len() - 1;
            let Some(base) = self.chunks.pop() else { break };
            let Some(layout) = chunk_layout::<T>(k as u32) else {
                unreachable!("chunk {k} was allocated with this layout")
            };
            // SAFETY: `base` was returned by `alloc::alloc(layout)` for chunk `k` with this
            // layout, is owned by this arena, and after the `pop` nothing refers to it any more
            // (callers only free chunks past every slot in use).
            unsafe { alloc::dealloc(base.as_ptr().cast::<u8>(), layout) };
        }
    }

    /// The index of the initialized slot whose address is exactly `ptr`, if any, with a
    /// pointer to it derived from its chunk. Lets a checker validate a pointer read from memory,
    /// and then use its own pointer instead: never dereferences `ptr`.
    pub(super) fn resolve(&self, ptr: NonNull<Slot<T>>) -> Option<(u32, NonNull<Slot<T>>)> {
        let size = mem::size_of::<Slot<T>>();
        let addr = ptr.as_ptr().addr();
        for (k, &base) in self.chunks.iter().enumerate() {
            let offset = addr.wrapping_sub(base.as_ptr().addr());
            let k = k as u32;
            if offset < chunk_len(k) as usize * size {
                if offset % size != 0 {
                    return None;
                }
                let index = chunk_start(k) + (offset / size) as u32;
                // SAFETY: `offset / size < chunk_len(k)`: in bounds of chunk `k`.
                return (index < self.len).then(|| (index, unsafe { base.add(offset / size) }));
            }
        }
        None
    }

    /// Checks the arena's own invariants; `kind` names it in messages.
    ///
    /// # Panics
    ///
    /// On the first violated invariant, with a message naming it.
    pub(super) fn check(&self, kind: &str) {
        assert!(
            self.chunks.len() <= MAX_CHUNKS as usize,
            "{kind} arena has {} chunks, max {MAX_CHUNKS}",
            self.chunks.len()
        );
        assert!(
            self.len <= self.capacity(),
            "{kind} arena len {} exceeds capacity {}",
            self.len,
            self.capacity()
        );
        assert!(
            self.floor % 2 == 0,
            "{kind} arena floor {} is odd",
            self.floor
        );
        let (mut occupied, mut free, mut retired) = (0, 0, 0);
        self.for_each_slot(|index, slot| {
            // SAFETY: `for_each_slot` passes initialized slots, which are unreferenced.
            let (own, version, next) = unsafe {
                let raw = slot.as_ptr();
                ((*raw).index, (*raw).version, (*raw).next_free)
            };
            assert_eq!(own, index, "{kind} slot {index} records index {own}");
            if version % 2 == 1 {
                occupied += 1;
            } else if next == RETIRED {
                assert_eq!(
                    version, 0,
                    "retired {kind} slot {index} has version {version}"
                );
                retired += 1;
            } else {
                assert!(
                    next == NIL || next < self.len,
                    "free {kind} slot {index} links to {next}, past len {}",
                    self.len
                );
                free += 1;
            }
        });
        assert_eq!(
            occupied, self.occupied,
            "{kind} arena: {occupied} occupied slots found, count says {}",
            self.occupied
        );
        assert_eq!(
            retired, self.retired,
            "{kind} arena: {retired} retired slots found, count says {}",
            self.retired
        );
        assert_eq!(
            free, self.free_len,
            "{kind} arena: {free} free slots found, free list length says {}",
            self.free_len
        );
        let mut on_list = vec![false; self.len as usize];
        let (mut cursor, mut steps) = (self.free_head, 0);
        while cursor != NIL {
            assert!(
                steps < free,
                "{kind} free list goes on past the {free} free slots (cycle?) at slot {cursor}"
            );
            let Some((version, next)) = self.header(cursor) else {
                panic!(
                    "{kind} free list reaches slot {cursor}, past len {}",
                    self.len
                )
            };
            assert!(
                version % 2 == 0,
                "{kind} free list reaches occupied slot {cursor} (version {version})"
            );
            assert!(
                next != RETIRED,
                "{kind} free list reaches retired slot {cursor}"
            );
            assert!(
                !on_list[cursor as usize],
                "{kind} free list visits slot {cursor} twice"
            );
            on_list[cursor as usize] = true;
            steps += 1;
            cursor = next;
        }
        assert_eq!(
            steps, free,
            "{kind} free list has {steps} entries, {free} slots are free"
        );
    }
}

impl<T> Drop for Arena<T> {
    /// Frees the chunks. The values are the owner's business: the graph removes (and drops)
    /// every one of them before its arenas are dropped.
    fn drop(&mut self) {
        self.free_chunks_from(0);
    }
}

#[cfg(test)]
impl<T> Arena<T> {
    /// Sets the version of the free slot `index`, as if it had had that many occupants.
    pub(super) fn set_free_version(&mut self, index: u32, version: u32) {
        assert!(self.is_free(index), "slot {index} is not free");
        assert!(version % 2 == 0, "vacant versions are even, got {version}");
        let Some(slot) = self.slot(index) else {
            unreachable!("free slots are below len")
        };
        // SAFETY: the slot is initialized and unreferenced.
        unsafe { (*slot.as_ptr()).version = version };
    }

    /// Overwrites the free-list link of vacant slot `index`, to corrupt or repair the list.
    pub(super) fn set_next_free(&mut self, index: u32, next: u32) {
        let Some((version, _)) = self.header(index) else {
            panic!("slot {index} past len")
        };
        assert!(version % 2 == 0, "slot {index} is occupied");
        let Some(slot) = self.slot(index) else {
            unreachable!("header succeeded")
        };
        // SAFETY: the slot is initialized and unreferenced.
        unsafe { (*slot.as_ptr()).next_free = next };
    }
}
