//! [`Handles`]: how ops name live elements without ever being rejected.

use arbitrary::Arbitrary;
use serde::{Deserialize, Serialize};

/// How an op names an element through the [`Handles`] a spec keeps: a live one, a removed one
/// (whose id is stale), or a live one's id altered (a forged id, stale unless `delta` is 0).
/// Each index is taken modulo the number of handles of its kind.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pick {
    /// A live handle.
    Live(u8),
    /// A removed handle.
    Stale(u8),
    /// A live handle, altered by `delta` (see [`Handles::pick`]).
    Forged {
        /// The live handle.
        live: u8,
        /// What to alter it by: 0 leaves it as it is.
        delta: u32,
    },
}

/// The handles (ids, keys, pointers) a spec keeps for the elements it created, in creation order.
///
/// Ops carry a small integer and name the element `live[i % live.len()]`, so any integer names a
/// live element while there is one: no input is wasted on an out-of-range index. Removed
/// handles are kept in a second list, so ops can deliberately use a removed (stale) handle and
/// reach the misuse paths of an API.
///
/// The model and the subject each keep their own `Handles`, updated by the same ops in the same
/// order, so index `i` names corresponding elements on both sides.
#[derive(Clone, Debug)]
pub struct Handles<H> {
    live: Vec<H>,
    removed: Vec<H>,
}

impl<H> Default for Handles<H> {
    fn default() -> Self {
        Handles {
            live: Vec::new(),
            removed: Vec::new(),
        }
    }
}

impl<H> Handles<H> {
    /// No handles.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the handle of a new element.
    pub fn push(&mut self, handle: H) {
        self.live.push(handle);
    }

    /// Number of live handles.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether there are no live handles.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// The position in the live list that `i` names (`i` modulo the number of live handles).
    pub fn index(&self, i: impl Into<usize>) -> Option<usize> {
        let n = self.live.len();
        (n > 0).then(|| i.into() % n)
    }

    /// The live handle `i` names.
    pub fn get(&self, i: impl Into<usize>) -> Option<&H> {
        self.index(i).map(|at| &self.live[at])
    }

    /// The live handle `i` names, mutably.
    pub fn get_mut(&mut self, i: impl Into<usize>) -> Option<&mut H> {
        self.index(i).map(|at| &mut self.live[at])
    }

    /// Moves the live handle `i` names to the removed list and returns a reference to it there.
    pub fn remove(&mut self, i: impl Into<usize>) -> Option<&H> {
        let at = self.index(i)?;
        self.removed.push(self.live.remove(at));
        self.removed.last()
    }

    /// Takes the live handle `i` names out for good (for handles that own their element).
    pub fn take(&mut self, i: impl Into<usize>) -> Option<H> {
        let at = self.index(i)?;
        Some(self.live.remove(at))
    }

    /// The removed handle `i` names (modulo the number of removed handles).
    pub fn removed(&self, i: impl Into<usize>) -> Option<&H> {
        let n = self.removed.len();
        (n > 0).then(|| &self.removed[i.into() % n])
    }

    /// The handle `pick` names, if there is one of its kind; a forged one is
    /// `forge(live, delta)` (for ids with a generation: the same index, the generation plus
    /// `delta`).
    pub fn pick(&self, pick: Pick, forge: impl FnOnce(H, u32) -> H) -> Option<H>
    where
        H: Clone,
    {
        match pick {
            Pick::Live(i) => self.get(i).cloned(),
            Pick::Stale(i) => self.removed(i).cloned(),
            Pick::Forged { live, delta } => self.get(live).cloned().map(|h| forge(h, delta)),
        }
    }

    /// The position of `handle` among the live handles: how a spec reports an id the same way
    /// on both sides, whose ids differ.
    pub fn position(&self, handle: &H) -> Option<usize>
    where
        H: PartialEq,
    {
        self.live.iter().position(|h| h == handle)
    }

    /// Renames the live handles as `rename` says (after a compaction moved their elements),
    /// keeping their order; the old name of each renamed one goes to the removed list, stale.
    pub fn rename(&mut self, mut rename: impl FnMut(&H) -> H)
    where
        H: PartialEq,
    {
        for handle in &mut self.live {
            let new = rename(handle);
            if new != *handle {
                self.removed.push(std::mem::replace(handle, new));
            }
        }
    }

    /// Moves every live handle for which `keep` is false to the removed list.
    pub fn retain(&mut self, mut keep: impl FnMut(&H) -> bool) {
        let (kept, gone): (Vec<H>, Vec<H>) = self.live.drain(..).partition(|h| keep(h));
        self.live = kept;
        self.removed.extend(gone);
    }

    /// Moves every live handle to the removed list.
    pub fn remove_all(&mut self) {
        self.removed.append(&mut self.live);
    }

    /// The live handles, in creation order.
    pub fn live(&self) -> &[H] {
        &self.live
    }

    /// The live handles, mutably (to remap ids after a compaction, say).
    pub fn live_mut(&mut self) -> &mut [H] {
        &mut self.live
    }
}
