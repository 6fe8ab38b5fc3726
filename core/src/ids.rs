//! Identifiers generated on the device.
//!
//! Every record gets its id where it is created, on the tablet, so nothing waits for the network.
//! Ids are UUIDv7: 48 bits of Unix milliseconds followed by random bits. The time prefix keeps
//! new rows at the end of SQLite's B-trees (cheap appends), and 74 random bits make collisions
//! between thousands of offline tablets negligible. Each kind of record has its own newtype so a
//! member id cannot be passed where a household id is expected.
//!
//! A [`ReplicaId`] is different: it names one copy of the database (one SQLite file), not a
//! record. It is the "node" of the hybrid logical clock and the key of version vectors. It is
//! created with the file, so a store recreated after corruption can never reuse the sequence
//! numbers of the file it replaces.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An id string that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed id")]
pub struct MalformedId;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// Wraps an existing UUID (read back from storage or the wire).
            pub const fn from_uuid(u: Uuid) -> Self {
                Self(u)
            }
            /// The underlying UUID.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
            /// The 16 raw bytes, as stored in SQLite BLOB columns.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
            /// From 16 raw bytes.
            pub fn from_slice(b: &[u8]) -> Result<Self, MalformedId> {
                Uuid::from_slice(b).map(Self).map_err(|_| MalformedId)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = MalformedId;
            fn from_str(s: &str) -> Result<Self, MalformedId> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| MalformedId)
            }
        }
    };
}

uuid_id!(
    /// A village record (master data; derived from its LGD code, see [`VillageId::from_lgd`]).
    VillageId
);
uuid_id!(
    /// A household.
    HouseholdId
);
uuid_id!(
    /// A member of a household.
    MemberId
);
uuid_id!(
    /// A device operator (ASHA worker).
    WorkerId
);
uuid_id!(
    /// A health facility or enrolment camp.
    FacilityId
);
uuid_id!(
    /// A recorded consent.
    ConsentId
);
uuid_id!(
    /// A request to create or link an ABHA.
    EnrollmentId
);
uuid_id!(
    /// A supervisor's decision about a record.
    ReviewId
);

impl VillageId {
    /// Villages are master data that several hubs may create independently. Deriving the id from
    /// the LGD village code (a UUIDv5 in a fixed namespace) makes every replica agree on it.
    pub fn from_lgd(village_code: u32) -> Self {
        const NS: Uuid = Uuid::from_u128(0x6b1f_5a0e_8c2d_4f47_9a51_3d0e_7c44_a1b9);
        Self(Uuid::new_v5(
            &NS,
            format!("lgd-village:{village_code}").as_bytes(),
        ))
    }
}

/// One copy of the database: the author of ops and the node of the hybrid logical clock.
///
/// A random non-zero 63-bit integer, so it fits SQLite's signed INTEGER and sorts the same way
/// everywhere (HLC ties are broken by it).
///
/// Serialised as the plain integer; deserialising refuses zero and negative values like
/// [`ReplicaId::from_i64`], so a peer cannot introduce an origin whose merge state the store
/// could not read back.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct ReplicaId(i64);

impl TryFrom<i64> for ReplicaId {
    type Error = MalformedId;
    fn try_from(v: i64) -> Result<Self, MalformedId> {
        Self::from_i64(v)
    }
}

impl From<ReplicaId> for i64 {
    fn from(r: ReplicaId) -> i64 {
        r.0
    }
}

impl ReplicaId {
    /// A fresh random replica id.
    pub fn random() -> Self {
        loop {
            let v = (rand::random::<u64>() >> 1) as i64;
            if v != 0 {
                return Self(v);
            }
        }
    }
    /// From a stored value; zero and negative values are not replica ids.
    pub fn from_i64(v: i64) -> Result<Self, MalformedId> {
        if v > 0 { Ok(Self(v)) } else { Err(MalformedId) }
    }
    /// The stored value.
    pub const fn as_i64(&self) -> i64 {
        self.0
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplicaId({:016x})", self.0)
    }
}

impl FromStr for ReplicaId {
    type Err = MalformedId;
    fn from_str(s: &str) -> Result<Self, MalformedId> {
        i64::from_str_radix(s.trim(), 16)
            .map_err(|_| MalformedId)
            .and_then(Self::from_i64)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_ids_are_time_ordered_and_round_trip() {
        let a = HouseholdId::new();
        let b = HouseholdId::new();
        assert!(a < b, "UUIDv7 ids must sort by creation time");
        assert_eq!(a, a.to_string().parse().unwrap());
        assert_eq!(a, HouseholdId::from_slice(a.as_bytes()).unwrap());
        assert!("not-a-uuid".parse::<HouseholdId>().is_err());
    }

    #[test]
    fn test_village_id_is_deterministic() {
        assert_eq!(VillageId::from_lgd(123_456), VillageId::from_lgd(123_456));
        assert_ne!(VillageId::from_lgd(123_456), VillageId::from_lgd(123_457));
    }

    #[test]
    fn test_replica_id_is_positive_and_round_trips() {
        for _ in 0..1000 {
            let r = ReplicaId::random();
            assert!(r.as_i64() > 0);
            assert_eq!(r, r.to_string().parse().unwrap());
        }
        assert!(ReplicaId::from_i64(0).is_err());
        assert!(ReplicaId::from_i64(-5).is_err());
    }

    #[test]
    fn test_replica_id_deserialisation_refuses_non_positive() {
        // Found by the sync_decode fuzz target: a set with a negative origin was merged, and its
        // entity state could then not be decoded from the store.
        let r = ReplicaId::from_i64(0x1a_2b3c_4d5e).unwrap();
        let bytes = postcard::to_stdvec(&r).unwrap();
        assert_eq!(bytes, postcard::to_stdvec(&r.as_i64()).unwrap());
        assert_eq!(postcard::from_bytes::<ReplicaId>(&bytes).unwrap(), r);
        assert_eq!(serde_json::to_string(&r).unwrap(), r.as_i64().to_string());
        for bad in [0i64, -1, i64::MIN] {
            assert!(
                postcard::from_bytes::<ReplicaId>(&postcard::to_stdvec(&bad).unwrap()).is_err()
            );
            assert!(serde_json::from_str::<ReplicaId>(&bad.to_string()).is_err());
        }
    }
}
