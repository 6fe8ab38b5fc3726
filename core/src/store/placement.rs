//! Placement: which villages a stored change set belongs to, and what a scoped peer may see of it.
//!
//! A tablet receives only its villages' records, and the hub decides that from its own read
//! tables, never from the request. Records are placed where they are *now* (a member by her
//! current household), so a member who moved in brings her history along (see migration 003 for
//! how the move makes the hub resend it). A set can span villages, most often a household's
//! enrolment whose member later moved away: a peer then gets the set with the ops of records
//! outside its villages withheld ([`crate::oplog::withheld`]), never the whole set.

use std::collections::{BTreeSet, HashMap};

use super::backend::ReplicaDb;
use super::error::Result;
use crate::ids::VillageId;
use crate::oplog::schema::MEMBER_HOUSEHOLD;
use crate::oplog::{Action, ChangeOp, ChangeSet, EntityKind, Value};
use crate::sync::Scope;

/// Finds the villages records belong to, from this replica's read tables (memoised per pull).
pub(crate) struct VillageResolver<'c, D: ReplicaDb + ?Sized> {
    db: &'c D,
    household: HashMap<Vec<u8>, Option<VillageId>>,
    member: HashMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'c, D: ReplicaDb + ?Sized> VillageResolver<'c, D> {
    pub(crate) fn new(db: &'c D) -> Self {
        Self {
            db,
            household: HashMap::new(),
            member: HashMap::new(),
        }
    }

    fn household_village(&mut self, h: &[u8]) -> Result<Option<VillageId>> {
        if let Some(v) = self.household.get(h) {
            return Ok(*v);
        }
        let v = self
            .db
            .household_village(h)?
            .and_then(|b| VillageId::from_slice(&b).ok());
        self.household.insert(h.to_vec(), v);
        Ok(v)
    }

    fn member_household(&mut self, m: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(v) = self.member.get(m) {
            return Ok(v.clone());
        }
        let v = self.db.member_household(m)?;
        self.member.insert(m.to_vec(), v.clone());
        Ok(v)
    }

    /// The villages one op touches; `None` for global records (workers, facilities, regions), an empty
    /// set if the record cannot be placed yet (an edit that arrived before the record).
    fn op_villages(&mut self, op: &ChangeOp) -> Result<Option<BTreeSet<VillageId>>> {
        let id = op.entity.as_bytes();
        let value_bytes = match &op.value {
            Value::Bytes(b) => Some(b.as_slice()),
            _ => None,
        };
        let mut here = BTreeSet::new();
        match op.kind {
            EntityKind::Worker | EntityKind::Facility | EntityKind::Region => return Ok(None),
            EntityKind::Village => {
                here.insert(VillageId::from_uuid(op.entity));
            }
            EntityKind::Household => {
                if op.field == "village_id" {
                    here.extend(value_bytes.and_then(|b| VillageId::from_slice(b).ok()));
                }
                here.extend(self.household_village(id)?);
            }
            EntityKind::Member => {
                if op.field == MEMBER_HOUSEHOLD && matches!(op.action, Action::Add | Action::Remove)
                {
                    if let Some(h) = value_bytes {
                        here.extend(self.household_village(h)?);
                    }
                }
                if let Some(h) = self.member_household(id)? {
                    here.extend(self.household_village(&h)?);
                }
            }
            EntityKind::Consent | EntityKind::Enrollment | EntityKind::Review => {
                let member = if op.field == "member_id" {
                    value_bytes.map(<[u8]>::to_vec)
                } else {
                    self.db.record_member(op.kind, id)?
                };
                if let Some(m) = member {
                    if let Some(h) = self.member_household(&m)? {
                        here.extend(self.household_village(&h)?);
                    }
                }
            }
        }
        Ok(Some(here))
    }

    /// Where a set belongs: the villages of the records it touches, whether it touches only
    /// global records, and whether some record could not be placed yet.
    pub(crate) fn placement(&mut self, set: &ChangeSet) -> Result<Placement> {
        let mut p = Placement {
            villages: BTreeSet::new(),
            global_only: true,
            unknown: false,
        };
        for op in &set.ops {
            let Some(here) = self.op_villages(op)? else {
                continue;
            };
            p.global_only = false;
            p.unknown |= here.is_empty();
            p.villages.extend(here);
        }
        Ok(p)
    }

    /// What a peer with `scope` may see of an admitted set that spans villages outside it
    /// ([`Placement::spans_outside`]): a copy withholding the ops of records placed only outside
    /// the scope (global and not-yet-placed records and membership changes stay shown).
    pub(crate) fn shown_to(&mut self, scope: &Scope, set: ChangeSet) -> Result<ChangeSet> {
        let Scope::Villages(mine) = scope else {
            return Ok(set);
        };
        let mut keep = Vec::with_capacity(set.ops.len());
        for op in &set.ops {
            // Membership changes hold two opaque ids and nothing personal, and a move out of
            // the scope is an add elsewhere superseding the add the peer saw: always shown, so
            // the peer learns that a member left.
            if op.kind == EntityKind::Member && op.field == MEMBER_HOUSEHOLD {
                keep.push(true);
                continue;
            }
            keep.push(match self.op_villages(op)? {
                None => true,
                Some(here) => here.is_empty() || here.iter().any(|v| mine.contains(v)),
            });
        }
        let mut k = keep.into_iter();
        // An admitted set shows at least one op in scope, so something is always kept.
        Ok(set.withhold(|_| k.next().unwrap_or(true)).unwrap_or(set))
    }
}

/// Where a change set belongs (see [`VillageResolver::placement`]).
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    villages: BTreeSet<VillageId>,
    global_only: bool,
    /// Some record in it could not be placed: never cache this answer.
    pub(crate) unknown: bool,
}

impl Placement {
    /// Whether the set touches a village outside `scope` (so a peer may see only part of it).
    pub(crate) fn spans_outside(&self, scope: &Scope) -> bool {
        match scope {
            Scope::All => false,
            Scope::Villages(mine) => self.villages.iter().any(|v| !mine.contains(v)),
        }
    }
}

/// What to do with a stored set for a peer.
pub(crate) enum Verdict {
    /// In scope (wholly or partly): send what the peer may see.
    Send,
    /// Out of scope: skip it and vouch for it.
    Skip,
    /// Some record in it cannot be placed yet: neither send nor vouch for it; ask again later.
    Hold,
}

pub(crate) fn verdict(scope: &Scope, p: &Placement) -> Verdict {
    let admitted = p.global_only
        || match scope {
            Scope::All => true,
            Scope::Villages(mine) => p.villages.iter().any(|v| mine.contains(v)),
        };
    if admitted {
        Verdict::Send
    } else if p.unknown {
        Verdict::Hold
    } else {
        Verdict::Skip
    }
}
