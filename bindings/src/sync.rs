//! Enrolment with a hub and sync, as `suspend` functions for Kotlin.
//!
//! The network work runs on one tokio runtime owned by the library (reqwest needs it); the
//! Kotlin coroutine awaits its result, so no Kotlin thread blocks. A sync reports progress
//! through a `SyncListener` after every request and stops at the next request boundary when
//! its `SyncCancel` is cancelled, or when the awaiting coroutine is cancelled (the task is told
//! to stop when its handle is dropped). Whatever was stored or acknowledged before stays so.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use abha_core::qr::SlipPublicKey;
use abha_core::store::HubLink;
use abha_core::sync::client::{HttpTransport, Pin};
use abha_core::sync::protocol::{EnrolReply, EnrolRequest};
use abha_core::sync::{CancelToken, Phase, SyncOptions, SyncProgress};
use serde::Deserialize;

use crate::error::FieldError;
use crate::records::PendingWork;
use crate::status::DeviceReport;
use crate::store::FieldStore;

type Result<T> = std::result::Result<T, FieldError>;

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("abha-ffi")
            .enable_all()
            .build()
            .ok()
    })
    .as_ref()
    .ok_or_else(|| FieldError::failed("runtime.start"))
}

/// Runs `fut` on the library's runtime and awaits it from any executor.
pub(crate) async fn on_runtime<T: Send + 'static>(
    fut: impl Future<Output = Result<T>> + Send + 'static,
    cancel: Option<CancelToken>,
) -> Result<T> {
    /// Cancels the session if the awaiting side goes away (a cancelled coroutine).
    struct OnDrop(Option<CancelToken>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            if let Some(c) = &self.0 {
                c.cancel();
            }
        }
    }
    let mut guard = OnDrop(cancel);
    let out = runtime()?
        .spawn(fut)
        .await
        .map_err(|_| FieldError::failed("runtime.task"));
    guard.0 = None;
    out?
}

/// A hub to sync with.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct HubEndpoint {
    /// Base URL, e.g. `https://192.168.1.10:8443`.
    pub url: String,
    /// Bearer token from enrolment.
    pub token: String,
    /// SHA-256 fingerprint of a self-signed hub certificate (hex).
    #[uniffi(default = None)]
    pub pin: Option<String>,
}

impl std::fmt::Debug for HubEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HubEndpoint({})", self.url)
    }
}

/// What enrolment returned.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Enrolment {
    /// This device's id at the hub.
    pub device_id: String,
    /// Its role.
    pub role: String,
    /// How many villages it may see (0 for a hub peer: all).
    pub villages: u32,
    /// The hub, with the token to sync.
    pub hub: HubEndpoint,
}

/// Where a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncPhase {
    /// Connecting.
    Hello,
    /// Sending this device's work.
    Push,
    /// Receiving the villages' updates.
    Pull,
    /// Finished.
    Done,
}

/// Progress of a sync, after every request.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncProgressRecord {
    /// Phase.
    pub phase: SyncPhase,
    /// Batch within the phase (1-based).
    pub batch: u32,
    /// Batches expected in the phase, when known.
    pub batches_total: Option<u32>,
    /// Ops sent so far.
    pub ops_sent: u64,
    /// Ops received so far.
    pub ops_received: u64,
    /// Bytes sent so far (compressed).
    pub bytes_sent: u64,
    /// Bytes received so far (compressed).
    pub bytes_received: u64,
}

impl From<&SyncProgress> for SyncProgressRecord {
    fn from(p: &SyncProgress) -> Self {
        Self {
            phase: match p.phase {
                Phase::Hello => SyncPhase::Hello,
                Phase::Push => SyncPhase::Push,
                Phase::Pull => SyncPhase::Pull,
                Phase::Done => SyncPhase::Done,
            },
            batch: p.batch,
            batches_total: p.batches_total,
            ops_sent: p.ops_sent,
            ops_received: p.ops_received,
            bytes_sent: p.bytes_sent,
            bytes_received: p.bytes_received,
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncSummary {
    /// Own ops the hub newly stored.
    pub pushed_ops: u64,
    /// Ops received and stored.
    pub pulled_ops: u64,
    /// Requests made (retries included).
    pub requests: u32,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Work still pending afterwards.
    pub pending: PendingWork,
}

/// Receives sync progress (called on a library thread: hand it to your own dispatcher).
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    /// After every request.
    fn on_progress(&self, progress: SyncProgressRecord);
}

/// Stops a sync at its next request boundary.
#[derive(Debug, Default, uniffi::Object)]
pub struct SyncCancel(CancelToken);

#[uniffi::export]
impl SyncCancel {
    /// A handle not yet cancelled.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Asks the sync to stop.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// A transport for one administrative request to the enrolled hub (30 s limit).
pub(crate) fn hub_transport(hub: HubEndpoint) -> Result<HttpTransport> {
    Ok(HttpTransport::new(
        &hub.url,
        Some(hub.token),
        pin(hub.pin.as_deref())?,
        Duration::from_secs(30),
    )?)
}

fn pin(p: Option<&str>) -> Result<Option<Pin>> {
    match p.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Pin::parse(s)
            .map(Some)
            .ok_or_else(|| FieldError::invalid("pin", "sync.bad_pin")),
    }
}

/// A code as typed, or the JSON of an enrolment QR code (`{"hub","pin","code"}`).
fn parse_code(input: &str) -> (String, Option<String>, Option<String>) {
    match serde_json::from_str::<serde_json::Value>(input) {
        Ok(v) if v.is_object() => {
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
            (s("code").unwrap_or_default(), s("hub"), s("pin"))
        }
        _ => (input.trim().to_owned(), None, None),
    }
}

#[derive(Deserialize)]
struct DeviceRow {
    id: String,
    label: Option<String>,
    role: String,
    revoked_at: Option<i64>,
    last_seen_at: Option<i64>,
    pending: Option<abha_core::store::PendingCounts>,
}

#[uniffi::export]
impl FieldStore {
    /// Enrols this device with a hub using a one-time code (or the scanned QR payload, which
    /// carries the hub's URL and pin). Keeps the token and the hub's keys in the store.
    pub async fn enrol_device(
        &self,
        code: String,
        hub_url: Option<String>,
        pin_hex: Option<String>,
    ) -> Result<Enrolment> {
        let (code, qr_hub, qr_pin) = parse_code(&code);
        let url = hub_url
            .or(qr_hub)
            .ok_or_else(|| FieldError::invalid("hub_url", "sync.no_hub"))?;
        let pin_text = pin_hex.or(qr_pin);
        let transport = HttpTransport::new(
            &url,
            None,
            pin(pin_text.as_deref())?,
            Duration::from_secs(30),
        )?;
        let request = EnrolRequest {
            code,
            replica: self.store.replica_id(),
            app_version: abha_core::VERSION.to_owned(),
            label: None,
        };
        let reply: EnrolReply = on_runtime(
            async move { Ok(transport.json("/v1/devices/enrol", &request).await?) },
            None,
        )
        .await?;
        let link = HubLink {
            url: url.clone(),
            pin: pin_text.clone(),
            device_id: reply.device_id.clone(),
            token: reply.token.clone(),
            role: reply.role.clone(),
        };
        self.store.update_device_settings(|s| {
            s.hub = Some(link);
            s.sealing_key_pem = Some(reply.sealing_key_pem.clone());
            s.token_key_hex = Some(reply.token_key.clone());
            // A hub from before slips sends no key; a malformed one is skipped, not fatal.
            let slip_key = reply.slip_key.as_deref().map(SlipPublicKey::from_hex);
            if let Some(Ok(k)) = slip_key {
                s.trust_slip_key(&k);
            }
        })?;
        Ok(Enrolment {
            device_id: reply.device_id,
            role: reply.role,
            villages: reply.villages.len() as u32,
            hub: HubEndpoint {
                url,
                token: reply.token,
                pin: pin_text,
            },
        })
    }

    /// The hub this device is enrolled with, ready for `sync`.
    pub fn enrolled_hub(&self) -> Result<Option<HubEndpoint>> {
        Ok(self.store.device_settings()?.hub.map(|h| HubEndpoint {
            url: h.url,
            token: h.token,
            pin: h.pin,
        }))
    }

    /// One sync session with `hub`: send this device's work, hand over sealed numbers the
    /// hub's ABDM bridge needs, receive the villages' updates. Progress goes to `listener`;
    /// `cancel` stops it. Safe to repeat at any time: every step is idempotent.
    pub async fn sync(
        &self,
        hub: HubEndpoint,
        listener: Arc<dyn SyncListener>,
        cancel: Arc<SyncCancel>,
    ) -> Result<SyncSummary> {
        let transport = HttpTransport::new(
            &hub.url,
            Some(hub.token.clone()),
            pin(hub.pin.as_deref())?,
            Duration::from_secs(60),
        )?;
        let store = self.store.clone();
        let token = cancel.0.clone();
        let url = hub.url.clone();
        let work = async move {
            let progress = move |p: &SyncProgress| listener.on_progress(p.into());
            let report = abha_core::sync::sync(
                &store,
                &url,
                &transport,
                &SyncOptions::default(),
                &progress,
                &token,
            )
            .await?;
            let pending = PendingWork::new(store.pending()?, store.conflict_count()?);
            Ok(SyncSummary {
                pushed_ops: report.pushed_ops,
                pulled_ops: report.pulled_ops,
                requests: report.requests,
                bytes_sent: report.bytes_sent,
                bytes_received: report.bytes_received,
                pending,
            })
        };
        on_runtime(work, Some(cancel.0.clone())).await
    }

    /// Devices the hub knows, with the work each reported holding unsynced (supervisor and
    /// organiser devices only; others get `Refused`).
    pub async fn hub_devices(&self, hub: HubEndpoint) -> Result<Vec<DeviceReport>> {
        let transport = hub_transport(hub)?;
        let rows: Vec<DeviceRow> = on_runtime(
            async move { Ok(transport.get_json("/v1/admin/devices").await?) },
            None,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|d| DeviceReport {
                device_id: d.id,
                label: d.label,
                role: d.role,
                last_seen_at: d.last_seen_at,
                pending_changes: d.pending.map_or(0, |p| p.changes),
                wedged: d.pending.map_or(0, |p| p.wedged),
                oldest_pending_at: d.pending.and_then(|p| p.oldest_at),
                revoked: d.revoked_at.is_some(),
            })
            .collect())
    }
}
