//! The tablet's side of the camp's Scan and Share queue (the hub's `/v1/share/profiles`).
//!
//! Why here and not in the sync protocol: a profile a person shared at a counter is not yet
//! anyone's capture, so it is not replicated. A worker fetches the queue from the camp hub,
//! checks a profile with the person, saves an ordinary member form pre-filled from it (which
//! then syncs like any edit, with its author and merge rules), and marks the profile handled.
//! These calls are the three requests that takes, over the same pinned HTTPS transport as sync.
//!
//! Profile ids from the hub are checked to be UUIDs before they go into a URL path, so a hub
//! reply can never steer a request elsewhere.

use std::fmt;

use serde::Deserialize;

use super::client::HttpTransport;
use super::session::TransportError;
use crate::abdm::share::MemberPrefill;
use crate::ids::MemberId;

/// A profile shared at a counter and not yet handled, as the hub lists it.
#[derive(Clone, PartialEq, Deserialize)]
pub struct SharedProfile {
    /// The hub's id of the share.
    pub id: String,
    /// The queue token the person was given (as printed on the token board).
    pub token: String,
    /// The counter it was shared at.
    pub counter: String,
    /// `pending`, `accepted` or `dismissed`.
    pub status: String,
    /// When the hub received it (Unix ms).
    pub received_at: i64,
    /// When its token stops holding (Unix ms).
    pub expires_at: i64,
    /// The member it became, once accepted with one.
    #[serde(default)]
    pub member_id: Option<String>,
    /// The member form and household address it pre-fills (core's own mapping, made at the hub).
    pub prefill: MemberPrefill,
}

impl fmt::Debug for SharedProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedProfile")
            .field("id", &self.id)
            .field("counter", &self.counter)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ProfileList {
    configured: bool,
    profiles: Vec<SharedProfile>,
}

/// The profiles waiting at the hub, newest first; `None` when the hub does not run Scan and
/// Share (no HIP id configured).
pub async fn pending_profiles(
    hub: &HttpTransport,
    limit: u32,
) -> Result<Option<Vec<SharedProfile>>, TransportError> {
    let path = format!(
        "/v1/share/profiles?status=pending&limit={}",
        limit.clamp(1, 500)
    );
    let list: ProfileList = hub.get_json(&path).await?;
    Ok(list.configured.then_some(list.profiles))
}

/// Marks a profile accepted, naming the member saved from it. Idempotent.
pub async fn accept_profile(
    hub: &HttpTransport,
    id: &str,
    member: Option<MemberId>,
) -> Result<(), TransportError> {
    let body = serde_json::json!({"member_id": member.map(|m| m.to_string())});
    handle(hub, id, "accept", &body).await
}

/// Marks a profile dismissed (not a person to register here). Idempotent.
pub async fn dismiss_profile(hub: &HttpTransport, id: &str) -> Result<(), TransportError> {
    handle(hub, id, "dismiss", &serde_json::json!({})).await
}

async fn handle(
    hub: &HttpTransport,
    id: &str,
    action: &str,
    body: &serde_json::Value,
) -> Result<(), TransportError> {
    let id = uuid::Uuid::try_parse(id.trim()).map_err(|_| TransportError::Refused {
        status: 0,
        code: "share.bad_id".into(),
        message: "a shared profile id is a UUID".into(),
    })?;
    let _: serde_json::Value = hub
        .json(&format!("/v1/share/profiles/{id}/{action}"), body)
        .await?;
    Ok(())
}
