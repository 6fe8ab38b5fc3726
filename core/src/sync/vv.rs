//! Version vectors: per origin replica, how far a replica's knowledge reaches.
//!
//! `vv[r] = n` means "I hold every change set authored by replica `r` up to sequence number `n`
//! that falls within my scope". Comparing two vectors tells each side what the other lacks, with
//! any peer, in any order: a tablet can sync with the camp hub today and the state hub tomorrow.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::ReplicaId;

/// A version vector. Absent origins are at 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionVector(BTreeMap<ReplicaId, u64>);

impl VersionVector {
    /// An empty vector.
    pub fn new() -> Self {
        Self::default()
    }
    /// How far `origin` is covered.
    pub fn get(&self, origin: ReplicaId) -> u64 {
        self.0.get(&origin).copied().unwrap_or(0)
    }
    /// Raises `origin` to at least `seq`.
    pub fn raise(&mut self, origin: ReplicaId, seq: u64) {
        let e = self.0.entry(origin).or_insert(0);
        *e = (*e).max(seq);
    }
    /// Sets `origin` exactly.
    pub fn set(&mut self, origin: ReplicaId, seq: u64) {
        if seq == 0 {
            self.0.remove(&origin);
        } else {
            self.0.insert(origin, seq);
        }
    }
    /// The entries, by origin.
    pub fn iter(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.0.iter().map(|(r, s)| (*r, *s))
    }
    /// Number of origins.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether no origin is covered.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Whether `self` covers everything `other` does.
    pub fn dominates(&self, other: &Self) -> bool {
        other.iter().all(|(r, s)| self.get(r) >= s)
    }
    /// The pointwise maximum.
    pub fn merge(&mut self, other: &Self) {
        for (r, s) in other.iter() {
            self.raise(r, s);
        }
    }
}

impl FromIterator<(ReplicaId, u64)> for VersionVector {
    fn from_iter<I: IntoIterator<Item = (ReplicaId, u64)>>(iter: I) -> Self {
        let mut v = Self::new();
        for (r, s) in iter {
            v.raise(r, s);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn r(n: i64) -> ReplicaId {
        ReplicaId::from_i64(n).unwrap()
    }

    #[test]
    fn test_merge_is_pointwise_max_and_dominates() {
        let a: VersionVector = [(r(1), 5), (r(2), 1)].into_iter().collect();
        let b: VersionVector = [(r(1), 3), (r(3), 7)].into_iter().collect();
        let mut m = a.clone();
        m.merge(&b);
        assert_eq!(m.get(r(1)), 5);
        assert_eq!(m.get(r(3)), 7);
        assert!(m.dominates(&a) && m.dominates(&b));
        assert!(!a.dominates(&b));
        let mut z = a.clone();
        z.set(r(2), 0);
        assert_eq!(z.len(), 1);
    }
}
