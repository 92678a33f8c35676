//! Copy-on-write overlay over a read view, with nested checkpoints.
//!
//! One overlay holds a whole block's writes; each tx, its messages and (later) each
//! submessage open a checkpoint that is either committed into its parent or reverted.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::{StateRead, StateWrite};

type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Undo log of one checkpoint level: for each key touched since the checkpoint, the overlay
/// entry it had before (`None` = the key was not in the overlay).
type UndoLog = BTreeMap<Vec<u8>, Option<Option<Vec<u8>>>>;

#[derive(Debug)]
pub struct Overlay<B> {
    base: B,
    writes: Writes,
    undo: Vec<UndoLog>,
}

impl<B: StateRead> Overlay<B> {
    pub fn new(base: B) -> Self {
        Self {
            base,
            writes: BTreeMap::new(),
            undo: Vec::new(),
        }
    }

    pub fn base(&self) -> &B {
        &self.base
    }

    /// The writes of this overlay (`None` = deletion), in key order.
    pub fn writes(&self) -> &Writes {
        &self.writes
    }

    pub fn into_writes(self) -> Writes {
        self.writes
    }

    /// Replace the base view, keeping the writes (used when the base is committed underneath).
    pub fn rebase<C: StateRead>(self, base: C) -> Overlay<C> {
        Overlay {
            base,
            writes: self.writes,
            undo: self.undo,
        }
    }

    /// An independent copy of this view (same base, same writes, no open checkpoints).
    pub fn clone_view(&self) -> Self
    where
        B: Clone,
    {
        Self {
            base: self.base.clone(),
            writes: self.writes.clone(),
            undo: Vec::new(),
        }
    }

    /// Open a nested checkpoint.
    pub fn checkpoint(&mut self) {
        self.undo.push(UndoLog::new());
    }

    /// Keep the writes since the last checkpoint; they now belong to the enclosing level.
    pub fn commit_checkpoint(&mut self) {
        let Some(log) = self.undo.pop() else {
            return;
        };
        if let Some(parent) = self.undo.last_mut() {
            for (key, previous) in log {
                parent.entry(key).or_insert(previous);
            }
        }
    }

    /// Drop every write since the last checkpoint.
    pub fn revert_checkpoint(&mut self) {
        let Some(log) = self.undo.pop() else {
            return;
        };
        for (key, previous) in log {
            match previous {
                Some(entry) => {
                    self.writes.insert(key, entry);
                }
                None => {
                    self.writes.remove(&key);
                }
            }
        }
    }

    pub fn checkpoint_depth(&self) -> usize {
        self.undo.len()
    }

    fn record(&mut self, key: &[u8]) {
        if let Some(log) = self.undo.last_mut() {
            if !log.contains_key(key) {
                log.insert(key.to_vec(), self.writes.get(key).cloned());
            }
        }
    }
}

impl<B: StateRead> StateRead for Overlay<B> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.writes.get(key) {
            Some(entry) => entry.clone(),
            None => self.base.get(key),
        }
    }

    fn first_in_range(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        self.first_in_range_skipping(lower, upper, reverse).0
    }

    fn first_in_range_skipping(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> (Option<(Vec<u8>, Vec<u8>)>, u64) {
        // Merge the overlay and the base; overlay entries win, deletions hide base entries.
        // The base is sought once, then the overlay's entries up to the base's answer are
        // walked in memory; it is sought again only past a base entry a deletion hides, so a
        // run of deletions of absent keys costs no storage reads (it is counted instead).
        let mut lower: Bound<Vec<u8>> = bound_to_owned(lower);
        let mut upper: Bound<Vec<u8>> = bound_to_owned(upper);
        let mut skipped = 0u64;
        loop {
            let (lo, hi) = (bound_as_ref(&lower), bound_as_ref(&upper));
            let (base, base_skipped) = self.base.first_in_range_skipping(lo, hi, reverse);
            skipped += base_skipped;
            let mut writes = self.writes.range::<[u8], _>((lo, hi));
            loop {
                let write = if reverse {
                    writes.next_back()
                } else {
                    writes.next()
                };
                let Some((key, entry)) = write else {
                    return (base, skipped);
                };
                let not_past_base = match &base {
                    None => true,
                    Some((base_key, _)) if reverse => key >= base_key,
                    Some((base_key, _)) => key <= base_key,
                };
                if !not_past_base {
                    return (base, skipped);
                }
                match entry {
                    Some(value) => return (Some((key.clone(), value.clone())), skipped),
                    None => {
                        skipped += 1;
                        if base.as_ref().is_some_and(|(base_key, _)| base_key == key) {
                            // The base's answer is deleted here: seek the base again past it.
                            if reverse {
                                upper = Bound::Excluded(key.clone());
                            } else {
                                lower = Bound::Excluded(key.clone());
                            }
                            break;
                        }
                    }
                }
            }
        }
    }
}

impl<B: StateRead> StateWrite for Overlay<B> {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.record(&key);
        self.writes.insert(key, Some(value));
    }

    fn delete(&mut self, key: Vec<u8>) {
        self.record(&key);
        self.writes.insert(key, None);
    }
}

impl<B: StateRead> super::StateCheckpoint for Overlay<B> {
    fn checkpoint(&mut self) {
        Overlay::checkpoint(self);
    }
    fn commit_checkpoint(&mut self) {
        Overlay::commit_checkpoint(self);
    }
    fn revert_checkpoint(&mut self) {
        Overlay::revert_checkpoint(self);
    }
}

pub(crate) fn bound_to_owned(bound: Bound<&[u8]>) -> Bound<Vec<u8>> {
    match bound {
        Bound::Included(k) => Bound::Included(k.to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

pub(crate) fn bound_as_ref(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// An empty read view, for tests and for state built from nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Empty;

impl StateRead for Empty {
    fn get(&self, _key: &[u8]) -> Option<Vec<u8>> {
        None
    }
    fn first_in_range(
        &self,
        _lower: Bound<&[u8]>,
        _upper: Bound<&[u8]>,
        _reverse: bool,
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        None
    }
}
