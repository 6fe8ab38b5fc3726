//! Scope: which part of the data a peer receives.
//!
//! A tablet receives only the villages assigned to it; the hub computes this from its own records,
//! never from what the client claims. A full replica (the state hub, a camp hub's upstream view)
//! has scope `All`. The scope's hash travels with a pull so that when an organiser assigns a new
//! village, the tablet's coverage is reset and the hub sends the new village's history.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::VillageId;

/// What a peer may receive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Everything (hub to hub).
    All,
    /// These villages, plus records that belong to no village (workers, facilities).
    Villages(BTreeSet<VillageId>),
}

impl Scope {
    /// Whether a record in `village` is in scope.
    pub fn contains(&self, village: &VillageId) -> bool {
        match self {
            Self::All => true,
            Self::Villages(vs) => vs.contains(village),
        }
    }
    /// Whether a change set touching `villages` (`None`: touches no village, i.e. global master
    /// data) is in scope.
    pub fn admits(&self, villages: Option<&BTreeSet<VillageId>>) -> bool {
        match (self, villages) {
            (Self::All, _) | (_, None) => true,
            (Self::Villages(mine), Some(theirs)) => theirs.iter().any(|v| mine.contains(v)),
        }
    }
    /// A stable fingerprint of the scope.
    pub fn hash(&self) -> [u8; 16] {
        let mut h = Sha256::new();
        match self {
            Self::All => h.update(b"all"),
            Self::Villages(vs) => {
                h.update(b"villages");
                for v in vs {
                    h.update(v.as_bytes());
                }
            }
        }
        let d = h.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&d[..16]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_scope_admits_global_and_overlapping_sets() {
        let a = VillageId::from_lgd(1);
        let b = VillageId::from_lgd(2);
        let s = Scope::Villages([a].into_iter().collect());
        assert!(s.admits(None));
        assert!(s.admits(Some(&[a, b].into_iter().collect())));
        assert!(!s.admits(Some(&[b].into_iter().collect())));
        assert!(Scope::All.admits(Some(&[b].into_iter().collect())));
        assert_ne!(s.hash(), Scope::All.hash());
        assert_ne!(s.hash(), Scope::Villages([b].into_iter().collect()).hash());
    }
}
