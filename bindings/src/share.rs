//! Scan and Share at the camp, as the tablet app sees it: the profiles people shared at the
//! counters (`sharedProfiles`), and marking one handled once it became a member
//! (`acceptSharedProfile`) or not (`dismissSharedProfile`). Thin shells over
//! `abha_core::sync::profiles`; the pre-fill is core's own mapping, made at the hub.

use abha_core::ids::MemberId;
use abha_core::sync::profiles::{self, SharedProfile};

use crate::error::FieldError;
use crate::store::FieldStore;
use crate::sync::{HubEndpoint, hub_transport, on_runtime};

/// A profile shared at a counter, waiting for a worker, with the member form it pre-fills
/// (the relation and the household's village are the worker's to choose).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct SharedProfileRecord {
    /// The hub's id of the share (pass it back to accept or dismiss).
    pub id: String,
    /// The person's queue token, as on the token board.
    pub token: String,
    /// The counter it was shared at.
    pub counter: String,
    /// When the hub received it (Unix ms).
    pub received_at: i64,
    /// When the token stops holding (Unix ms).
    pub expires_at: i64,
    /// Given name (the full name as shared, when it is not split).
    pub given_name: String,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// `M`/`F`/`O`.
    pub gender: String,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth_date: String,
    /// Mobile.
    pub mobile: Option<String>,
    /// ABHA number.
    pub abha_number: Option<String>,
    /// ABHA address.
    pub abha_address: Option<String>,
    /// Address line for a new household.
    pub address: String,
    /// PIN code for a new household.
    pub pincode: Option<String>,
    /// District name as shared (a hint for choosing the village).
    pub district: Option<String>,
}

impl std::fmt::Debug for SharedProfileRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SharedProfileRecord(id={}, counter={})",
            self.id, self.counter
        )
    }
}

impl From<SharedProfile> for SharedProfileRecord {
    fn from(p: SharedProfile) -> Self {
        let m = p.prefill.member;
        let h = p.prefill.household;
        Self {
            id: p.id,
            token: p.token,
            counter: p.counter,
            received_at: p.received_at,
            expires_at: p.expires_at,
            given_name: m.given_name,
            middle_name: m.middle_name,
            family_name: m.family_name,
            gender: m.gender,
            birth_date: m.birth_date,
            mobile: m.mobile,
            abha_number: m.abha_number,
            abha_address: m.abha_address,
            address: h.address,
            pincode: h.pincode,
            district: p.prefill.district,
        }
    }
}

/// Largest number of waiting profiles fetched at once.
const PROFILE_LIMIT: u32 = 200;

#[uniffi::export]
impl FieldStore {
    /// The profiles waiting at the camp hub, newest first; empty when the hub does not run
    /// Scan and Share. Needs the hub (a `Network` exception offline).
    pub async fn shared_profiles(
        &self,
        hub: HubEndpoint,
    ) -> Result<Vec<SharedProfileRecord>, FieldError> {
        let t = hub_transport(hub)?;
        let list = on_runtime(
            async move { Ok(profiles::pending_profiles(&t, PROFILE_LIMIT).await?) },
            None,
        )
        .await?;
        Ok(list
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Marks a profile accepted as the member `member_id` just saved from it. Idempotent.
    pub async fn accept_shared_profile(
        &self,
        hub: HubEndpoint,
        id: String,
        member_id: Option<String>,
    ) -> Result<(), FieldError> {
        let member = member_id
            .map(|m| m.parse::<MemberId>())
            .transpose()
            .map_err(|_| FieldError::invalid("member_id", "id.format"))?;
        let t = hub_transport(hub)?;
        on_runtime(
            async move { Ok(profiles::accept_profile(&t, &id, member).await?) },
            None,
        )
        .await
    }

    /// Marks a profile dismissed (not someone to register here). Idempotent.
    pub async fn dismiss_shared_profile(
        &self,
        hub: HubEndpoint,
        id: String,
    ) -> Result<(), FieldError> {
        let t = hub_transport(hub)?;
        on_runtime(
            async move { Ok(profiles::dismiss_profile(&t, &id).await?) },
            None,
        )
        .await
    }
}
