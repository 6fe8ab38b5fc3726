//! The client side of a sync session: hello, push what the hub lacks, pull what we lack.
//!
//! ```text
//! hello ─► hub says how far it holds our change sets, its time and our scope
//! push  ─► batches of our own change sets after that point; each acknowledged batch deletes its
//!          outbox rows (a lost ack is repaired by the next hello, never by resending blindly)
//! pull  ─► batches of what we lack in our scope; each batch and the coverage it brings are
//!          stored in one transaction, so a dropped connection resumes after the last stored batch
//! ```
//!
//! The transport is a trait: HTTP in [`super::client`], direct calls in tests. Transient failures
//! (network, 5xx, 429) are retried with jittered exponential backoff; refusals (4xx) are not. A
//! [`CancelToken`] stops the session between and during requests; what was stored stays stored.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::VersionVector;
use super::protocol::{
    HandSealed, HandSealedReply, Hello, HelloReply, MAX_SEALED_ITEMS, PROTOCOL_VERSION, Pull,
    PullReply, Push, PushReply, WireSet, codes,
};
use crate::oplog::ChangeSet;
use crate::store::{Store, StoreError};

/// A reply with the bytes that crossed the wire (compressed).
#[derive(Debug, Clone)]
pub struct Exchange<T> {
    /// The reply.
    pub reply: T,
    /// Request bytes sent.
    pub sent: u64,
    /// Reply bytes received.
    pub received: u64,
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The network failed (timeout, reset, unreachable). Transient.
    #[error("network error: {0}")]
    Network(String),
    /// The hub failed or is overloaded (5xx, 429). Transient.
    #[error("hub unavailable (status {status})")]
    Unavailable {
        /// HTTP status.
        status: u16,
    },
    /// The hub refused the request (4xx); retrying the same request will not help.
    #[error("hub refused the request: {code}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Machine code from the hub.
        code: String,
        /// The hub's message.
        message: String,
    },
    /// The reply could not be decoded. Transient (a truncated body).
    #[error("reply could not be decoded")]
    BadReply,
}

impl TransportError {
    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Refused { .. })
    }
    /// The hub's machine code, if it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// How requests reach a hub.
pub trait Transport: Sync {
    /// Opens a session.
    fn hello(
        &self,
        h: &Hello,
    ) -> impl Future<Output = Result<Exchange<HelloReply>, TransportError>> + Send;
    /// Pushes a batch.
    fn push(
        &self,
        p: &Push,
    ) -> impl Future<Output = Result<Exchange<PushReply>, TransportError>> + Send;
    /// Pulls a batch.
    fn pull(
        &self,
        p: &Pull,
    ) -> impl Future<Output = Result<Exchange<PullReply>, TransportError>> + Send;
    /// Hands sealed Aadhaar numbers to the hub. A transport without it (a test double) refuses,
    /// and the session carries on without handing any.
    fn hand_sealed(
        &self,
        m: &HandSealed,
    ) -> impl Future<Output = Result<Exchange<HandSealedReply>, TransportError>> + Send {
        let _ = m;
        async {
            Err(TransportError::Refused {
                status: 404,
                code: "sync.unsupported".into(),
                message: "this transport does not carry sealed numbers".into(),
            })
        }
    }
}

/// Session limits and retry policy.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Ops per batch (both directions).
    pub max_ops: u32,
    /// Bytes per batch before compression (both directions).
    pub max_bytes: u32,
    /// Attempts per request for transient failures.
    pub attempts: u32,
    /// First backoff.
    pub base_backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// Relay every origin the peer lacks, not only our own change sets (hub to hub).
    pub relay: bool,
    /// Also receive what we lack (off: send only, e.g. to hand work in quickly).
    pub pull: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            max_ops: 5_000,
            max_bytes: 512 * 1024,
            attempts: 5,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            relay: false,
            pull: true,
        }
    }
}

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Opening.
    Hello,
    /// Sending our change sets.
    Push,
    /// Receiving what we lack.
    Pull,
    /// Finished.
    Done,
}

/// Progress of a session, reported after every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    /// Phase.
    pub phase: Phase,
    /// Batch number within the phase (1-based).
    pub batch: u32,
    /// Batches expected in the phase, when known (push).
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

/// Receives progress reports.
pub trait ProgressListener: Send + Sync {
    /// Called after every request.
    fn on_progress(&self, p: &SyncProgress);
}

impl<F: Fn(&SyncProgress) + Send + Sync> ProgressListener for F {
    fn on_progress(&self, p: &SyncProgress) {
        self(p)
    }
}

/// Stops a session. Cheap to clone; all clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<(AtomicBool, tokio::sync::Notify)>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }
    /// Requests cancellation.
    pub fn cancel(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }
    /// Whether cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }
    /// Completes once cancellation is requested.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.1.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// What a session did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Own change sets the hub newly stored.
    pub pushed_sets: u64,
    /// Ops in them.
    pub pushed_ops: u64,
    /// Change sets received and stored.
    pub pulled_sets: u64,
    /// Ops in them.
    pub pulled_ops: u64,
    /// Requests made (retries included).
    pub requests: u32,
    /// Bytes sent (compressed).
    pub bytes_sent: u64,
    /// Bytes received (compressed).
    pub bytes_received: u64,
    /// Hub clock minus ours, in ms.
    pub clock_offset_ms: i64,
}

/// Why a session failed. What was stored before the failure stays stored.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The hub could not be reached or refused.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Cancelled by the caller.
    #[error("sync cancelled")]
    Cancelled,
}

impl SyncError {
    /// A stable machine code.
    pub fn code(&self) -> String {
        match self {
            Self::Transport(TransportError::Refused { code, .. }) => code.clone(),
            Self::Transport(TransportError::Network(_)) => "sync.network".into(),
            Self::Transport(TransportError::Unavailable { .. }) => "sync.unavailable".into(),
            Self::Transport(TransportError::BadReply) => "sync.bad_reply".into(),
            Self::Store(e) => e.code().into(),
            Self::Cancelled => "sync.cancelled".into(),
        }
    }
}

fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

struct Session<'a, T: Transport> {
    store: &'a Store,
    transport: &'a T,
    opts: &'a SyncOptions,
    progress: &'a dyn ProgressListener,
    cancel: &'a CancelToken,
    report: SyncReport,
    state: SyncProgress,
}

impl<T: Transport> Session<'_, T> {
    /// Runs one request with retries for transient failures and cancellation.
    async fn call<R, F, Fut>(&mut self, mut f: F) -> Result<R, SyncError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Exchange<R>, TransportError>>,
    {
        let mut attempt = 0;
        loop {
            if self.cancel.is_cancelled() {
                return Err(SyncError::Cancelled);
            }
            attempt += 1;
            self.report.requests += 1;
            let result = tokio::select! {
                r = f() => r,
                () = self.cancel.cancelled() => return Err(SyncError::Cancelled),
            };
            match result {
                Ok(x) => {
                    self.report.bytes_sent += x.sent;
                    self.report.bytes_received += x.received;
                    self.state.bytes_sent = self.report.bytes_sent;
                    self.state.bytes_received = self.report.bytes_received;
                    return Ok(x.reply);
                }
                Err(e) if e.is_transient() && attempt < self.opts.attempts => {
                    let exp = self
                        .opts
                        .base_backoff
                        .saturating_mul(1 << (attempt - 1).min(16));
                    let cap = exp.min(self.opts.max_backoff);
                    // Full jitter between half and all of the cap: tablets meeting a restarted
                    // hub do not retry in lockstep.
                    let wait = cap.mul_f64(0.5 + rand::random::<f64>() * 0.5);
                    tracing::info!(attempt, wait_ms = wait.as_millis() as u64, error = %e, "sync request failed; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = self.cancel.cancelled() => return Err(SyncError::Cancelled),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn report_progress(&self) {
        self.progress.on_progress(&self.state);
    }

    async fn hello(&mut self) -> Result<HelloReply, SyncError> {
        self.state.phase = Phase::Hello;
        let hello = Hello {
            protocol: PROTOCOL_VERSION,
            replica: self.store.replica_id(),
            app_version: crate::VERSION.to_owned(),
            sent_at_ms: self.store.clock().now_ms(),
            pending: self.store.pending()?,
        };
        let t0 = system_now_ms();
        let t = self.transport;
        let reply = self.call(|| t.hello(&hello)).await?;
        let t1 = system_now_ms();
        let offset = reply.hub_time_ms as i64 - (t0 + t1) / 2;
        self.report.clock_offset_ms = offset;
        Ok(reply)
    }

    async fn push_all(&mut self, mut have: u64) -> Result<(), SyncError> {
        self.state.phase = Phase::Push;
        self.state.batch = 0;
        let pending_ops = self.store.pending()?.ops;
        self.state.batches_total =
            Some(pending_ops.div_ceil(self.opts.max_ops.max(1) as u64) as u32);
        loop {
            let (sets, ops) =
                self.store
                    .own_sets_after(have, self.opts.max_ops, self.opts.max_bytes)?;
            if sets.is_empty() {
                return Ok(());
            }
            let push = Push {
                protocol: PROTOCOL_VERSION,
                replica: self.store.replica_id(),
                sets,
            };
            let t = self.transport;
            let reply = match self.call(|| t.push(&push)).await {
                Ok(r) => r,
                // The hub lacks an earlier set (it lost state, or another session raced us):
                // ask again where it stands and continue from there.
                Err(SyncError::Transport(e)) if e.code() == Some(codes::GAP) => {
                    have = self.hello().await?.have_yours;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let acked = reply.acked.get(self.store.replica_id());
            self.store.ack_outbox(acked)?;
            self.report.pushed_sets += u64::from(reply.applied);
            self.report.pushed_ops += ops;
            self.state.batch += 1;
            self.state.ops_sent += ops;
            self.report_progress();
            if acked <= have {
                // No progress: never loop on a hub that does not move.
                return Err(TransportError::BadReply.into());
            }
            have = acked;
        }
    }

    /// Hub to hub: pushes every origin the peer lacks, one origin per batch so that a gap in one
    /// origin (a range this hub never held) skips that origin and not the rest.
    async fn relay_all(&mut self, theirs: VersionVector) -> Result<(), SyncError> {
        self.state.phase = Phase::Push;
        self.state.batch = 0;
        let mine = self.store.coverage()?;
        let me = self.store.replica_id();
        for (origin, upto) in mine.iter() {
            let mut have = theirs.get(origin);
            while have < upto {
                let only: VersionVector = mine
                    .iter()
                    .map(|(o, _)| (o, if o == origin { have } else { u64::MAX >> 1 }))
                    .collect();
                let (sets, _, _) = self.store.sets_for_peer(
                    &only,
                    &super::Scope::All,
                    None,
                    self.opts.max_ops,
                    self.opts.max_bytes,
                )?;
                if sets.is_empty() {
                    break;
                }
                let push = Push {
                    protocol: PROTOCOL_VERSION,
                    replica: me,
                    sets,
                };
                let t = self.transport;
                let reply = match self.call(|| t.push(&push)).await {
                    Ok(r) => r,
                    Err(SyncError::Transport(e)) if e.code() == Some(codes::GAP) => {
                        tracing::warn!(%origin, "peer lacks an earlier range of this origin; skipped");
                        break;
                    }
                    Err(e) => return Err(e),
                };
                let acked = reply.acked.get(origin);
                let ops = acked.saturating_sub(have);
                if origin == me {
                    self.store.ack_outbox(acked)?;
                }
                self.report.pushed_sets += u64::from(reply.applied);
                self.report.pushed_ops += ops;
                self.state.batch += 1;
                self.state.ops_sent += ops;
                self.report_progress();
                if acked <= have {
                    return Err(TransportError::BadReply.into());
                }
                have = acked;
            }
        }
        Ok(())
    }

    /// Hands the hub the sealed Aadhaar numbers its demographic-auth requests need. A hub that
    /// does not take them (an older one) is not an error: the numbers stay for the next sync.
    async fn hand_sealed_all(&mut self) -> Result<(), SyncError> {
        let mut after = 0;
        loop {
            let (items, last) = self.store.sealed_to_hand(after, MAX_SEALED_ITEMS as u32)?;
            if items.is_empty() {
                return Ok(());
            }
            after = last;
            let msg = HandSealed {
                protocol: PROTOCOL_VERSION,
                replica: self.store.replica_id(),
                items,
            };
            let t = self.transport;
            let reply = match self.call(|| t.hand_sealed(&msg)).await {
                Ok(r) => r,
                Err(SyncError::Transport(TransportError::Refused { status: 404, .. })) => {
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let settled: Vec<_> = msg
                .items
                .iter()
                .zip(&reply.verdicts)
                .filter(|(_, v)| v.settles())
                .map(|(i, _)| (i.member, i.sealed_at))
                .collect();
            let unsettled = msg.items.len() - settled.len();
            self.store.mark_sealed_handed(&settled)?;
            if unsettled > 0 {
                // Not yet (the member's set has not arrived) or never (wrong key, outside the
                // device's villages): sent again next sync; the rest go on.
                tracing::info!(unsettled, "hub did not take some sealed numbers yet");
            }
        }
    }

    async fn pull_all(&mut self) -> Result<(), SyncError> {
        self.state.phase = Phase::Pull;
        self.state.batch = 0;
        self.state.batches_total = None;
        loop {
            let pull = Pull {
                protocol: PROTOCOL_VERSION,
                replica: self.store.replica_id(),
                coverage: self.store.coverage()?,
                scope_hash: self.store.coverage_scope()?.unwrap_or_default(),
                max_ops: self.opts.max_ops,
                max_bytes: self.opts.max_bytes,
            };
            let t = self.transport;
            let reply = self.call(|| t.pull(&pull)).await?;
            let sets = reply
                .sets
                .iter()
                .map(WireSet::decode)
                .collect::<Result<Vec<ChangeSet>, _>>()
                .map_err(|_| StoreError::BadChangeSet)?;
            let stats =
                self.store
                    .apply_pulled(&sets, &reply.coverage, reply.reset, &reply.scope_hash)?;
            self.report.pulled_sets += u64::from(stats.applied);
            self.report.pulled_ops += stats.ops;
            self.state.batch += 1;
            self.state.ops_received += stats.ops;
            self.report_progress();
            if !reply.more {
                return Ok(());
            }
            if reply.sets.is_empty() && !reply.reset && pull.coverage.dominates(&reply.coverage) {
                // "More" without progress: stop rather than spin.
                return Err(TransportError::BadReply.into());
            }
        }
    }
}

/// Runs one sync session with the hub named `peer` (its URL: the name under which the store
/// remembers it) over `transport`.
pub async fn sync<T: Transport>(
    store: &Store,
    peer: &str,
    transport: &T,
    opts: &SyncOptions,
    progress: &dyn ProgressListener,
    cancel: &CancelToken,
) -> Result<SyncReport, SyncError> {
    let mut s = Session {
        store,
        transport,
        opts,
        progress,
        cancel,
        report: SyncReport::default(),
        state: SyncProgress {
            phase: Phase::Hello,
            batch: 0,
            batches_total: None,
            ops_sent: 0,
            ops_received: 0,
            bytes_sent: 0,
            bytes_received: 0,
        },
    };
    let result = async {
        let hello = s.hello().await?;
        store.record_hello(
            peer,
            hello.hub_replica,
            &hello.scope_hash,
            s.report.clock_offset_ms,
        )?;
        // What the hub already holds is acknowledged, even if an earlier ack was lost.
        store.ack_outbox(hello.have_yours)?;
        match (&hello.coverage, opts.relay) {
            (Some(theirs), true) => s.relay_all(theirs.clone()).await?,
            _ => s.push_all(hello.have_yours).await?,
        }
        if !opts.relay {
            s.hand_sealed_all().await?;
        }
        if opts.pull {
            s.pull_all().await?;
            // Outcomes ABDM gave have arrived: discard the numbers they answered (NHA rule).
            let wiped = store.wipe_answered_aadhaar()?;
            if wiped > 0 {
                tracing::info!(
                    wiped,
                    "sealed Aadhaar numbers discarded after ABDM answered"
                );
            }
        }
        s.state.phase = Phase::Done;
        s.report_progress();
        Ok::<_, SyncError>(())
    }
    .await;
    let code = result.as_ref().err().map(SyncError::code);
    // Best effort: a failure to record the outcome must not hide the outcome.
    let _ = store.record_sync_end(peer, code.as_deref());
    match result {
        Ok(()) => {
            tracing::info!(
                pushed = s.report.pushed_ops,
                pulled = s.report.pulled_ops,
                requests = s.report.requests,
                "sync finished"
            );
            Ok(s.report)
        }
        Err(e) => {
            tracing::warn!(code = %e.code(), "sync failed");
            Err(e)
        }
    }
}
