//! The ABDM bridge: turns queued demographic-authentication requests into ABHA numbers.
//!
//! ```text
//! tablet: request queued ─sync─► hub: job waiting ─sealed number handed in─► ready (request shows
//! `received`) ─► submitting ─ABDM─► created | linked | needs_correction | rejected
//!                                   └► retry_later (backoff) ─► submitting ...
//! ```
//!
//! Each job is independent: one record ABDM keeps refusing reaches `rejected` with its reason and
//! never blocks the others; a transient failure (ABDM down, rate limit, timeout) backs that job
//! off exponentially. Failures that are the hub's own (credentials, benefit name, clock) pause
//! every job instead of burning through the queue, and never retry credentials in a loop.
//! Once ABDM has answered, the sealed Aadhaar is wiped in the same transaction as the outcome
//! (NHA rule); the outcome reaches the tablet by sync, which then wipes its copy.

pub mod jobs;
pub mod outcome;

use std::sync::Arc;
use std::time::Duration;

use abha_core::abdm::{AbdmClient, DemoAuth};
use abha_core::store::{Store, StoreError};
use abha_core::sync::CancelToken;
use openssl::encrypt::Decrypter;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use rand::Rng as _;
use tokio::sync::Notify;
use zeroize::Zeroizing;

use jobs::Job;
use outcome::Verdict;

/// How the bridge paces itself.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// Jobs in flight at once (ABDM's own rate limit is the client's).
    pub concurrency: usize,
    /// First retry delay of a job; doubles per try, jittered.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// How often to look for work when nothing wakes the bridge.
    pub poll_every: Duration,
    /// Pause of every job after a failure that is the hub's (configuration, clock).
    pub systemic_pause: Duration,
    /// How often the LGD masters are fetched again (a failed fetch is retried sooner).
    pub lgd_every: Duration,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            poll_every: Duration::from_secs(5),
            systemic_pause: Duration::from_secs(60),
            lgd_every: Duration::from_secs(24 * 3600),
        }
    }
}

/// Errors of the bridge itself (not ABDM's answers, which become job outcomes).
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sealing private key is unusable.
    #[error("sealing private key unusable")]
    Key,
    /// A blocking task failed.
    #[error("bridge task failed")]
    Task,
    /// An ABDM call outside a job failed (reason code).
    #[error("ABDM call failed: {0}")]
    Abdm(String),
}

/// Opens sealed Aadhaar numbers with the hub's private key (RSA-OAEP-SHA1).
pub struct Opener(PKey<Private>);

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Opener(..)")
    }
}

impl Opener {
    /// From the PKCS#8 PEM the hub keeps.
    pub fn from_pem(pem: &str) -> Result<Self, BridgeError> {
        PKey::private_key_from_pem(pem.as_bytes())
            .map(Self)
            .map_err(|_| BridgeError::Key)
    }

    /// The 12 digits, or `None` when the ciphertext does not open to an Aadhaar number.
    pub fn open(&self, ciphertext: &[u8]) -> Option<Zeroizing<String>> {
        let mut d = Decrypter::new(&self.0).ok()?;
        d.set_rsa_padding(Padding::PKCS1_OAEP).ok()?;
        d.set_rsa_oaep_md(MessageDigest::sha1()).ok()?;
        d.set_rsa_mgf1_md(MessageDigest::sha1()).ok()?;
        let mut out = Zeroizing::new(vec![0; d.decrypt_len(ciphertext).ok()?]);
        let n = d.decrypt(ciphertext, &mut out).ok()?;
        let digits = out.get(..n)?;
        (n == 12 && digits.iter().all(u8::is_ascii_digit))
            .then(|| Zeroizing::new(String::from_utf8_lossy(digits).into_owned()))
    }
}

/// Counters for metrics and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BridgeStats {
    /// Calls made to ABDM.
    pub calls: u64,
    /// Jobs finished (any final state).
    pub finished: u64,
    /// Retries scheduled.
    pub retries: u64,
}

/// The bridge. One per hub with ABDM configured.
#[derive(Debug)]
pub struct Bridge {
    store: Arc<Store>,
    client: AbdmClient,
    opener: Opener,
    config: BridgeConfig,
    wake: Arc<Notify>,
    paused_until: std::sync::Mutex<Option<tokio::time::Instant>>,
    stats: std::sync::Mutex<BridgeStats>,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, BridgeError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| BridgeError::Task)?
        .map_err(BridgeError::from)
}

impl Bridge {
    /// A bridge over `store`, calling ABDM through `client`, opening sealed numbers with `opener`.
    pub fn new(
        store: Arc<Store>,
        client: AbdmClient,
        opener: Opener,
        config: BridgeConfig,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            client,
            opener,
            config,
            wake,
            paused_until: std::sync::Mutex::new(None),
            stats: std::sync::Mutex::new(BridgeStats::default()),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> BridgeStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Opens a sealed number (the camp OTP route hands its own in).
    pub fn open_sealed(&self, ciphertext: &[u8]) -> Option<Zeroizing<String>> {
        self.opener.open(ciphertext)
    }

    /// The ABDM client.
    pub fn client(&self) -> &AbdmClient {
        &self.client
    }

    fn count(&self, f: impl FnOnce(&mut BridgeStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    fn paused(&self) -> Option<tokio::time::Instant> {
        let p = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        p.filter(|t| *t > tokio::time::Instant::now())
    }

    /// Fetches the LGD masters from ABDM and stores what changed (they reach tablets by sync).
    pub async fn refresh_lgd(&self) -> Result<usize, BridgeError> {
        let states = self.client.lgd_states().await.map_err(|e| {
            tracing::warn!(reason = %e.reason_code(), "LGD masters not fetched");
            BridgeError::Abdm(e.reason_code())
        })?;
        let regions = abha_core::model::lgd::flatten(&states);
        let store = self.store.clone();
        let changed = blocking(move || store.put_regions(&regions)).await?;
        tracing::info!(changed, "LGD masters refreshed");
        Ok(changed)
    }

    /// Runs until `stop` is cancelled.
    pub fn spawn(self: Arc<Self>, stop: CancelToken) -> tokio::task::JoinHandle<()> {
        let lgd = self.clone();
        let lgd_stop = stop.clone();
        tokio::spawn(async move {
            while !lgd_stop.is_cancelled() {
                let wait = match lgd.refresh_lgd().await {
                    Ok(_) => lgd.config.lgd_every,
                    Err(_) => lgd.config.lgd_every.min(Duration::from_secs(600)),
                };
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = lgd_stop.cancelled() => {}
                }
            }
        });
        tokio::spawn(async move {
            let store = self.store.clone();
            let now = store.clock().now_ms() as i64;
            if let Err(e) = blocking(move || jobs::recover(&store, now)).await {
                tracing::error!(error = %e, "bridge recovery failed");
            }
            while !stop.is_cancelled() {
                let wait = match self.run_once().await {
                    Ok(0) => self.idle_wait().await,
                    Ok(_) => Duration::ZERO,
                    Err(e) => {
                        tracing::error!(error = %e, "bridge pass failed");
                        self.config.poll_every
                    }
                };
                if !wait.is_zero() {
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = self.wake.notified() => {}
                        () = stop.cancelled() => {}
                    }
                }
            }
        })
    }

    async fn idle_wait(&self) -> Duration {
        let store = self.store.clone();
        let next = blocking(move || jobs::next_due(&store))
            .await
            .ok()
            .flatten();
        let now = self.store.clock().now_ms() as i64;
        let until_due = next.map(|t| Duration::from_millis((t - now).max(0) as u64));
        let mut wait = until_due.map_or(self.config.poll_every, |d| d.min(self.config.poll_every));
        if let Some(p) = self.paused() {
            wait = wait.max(p - tokio::time::Instant::now());
        }
        wait.max(Duration::from_millis(20))
    }

    /// One pass: find new work, mark what became ready, run what is due. Returns the jobs run.
    pub async fn run_once(self: &Arc<Self>) -> Result<usize, BridgeError> {
        let store = self.store.clone();
        let now = store.clock().now_ms() as i64;
        let ready = blocking(move || {
            let mut ready = jobs::discover(&store, now)?;
            ready.extend(jobs::refresh(&store, now)?);
            outcome::record_received(&store, &ready)?;
            Ok(ready)
        })
        .await?;
        if !ready.is_empty() {
            tracing::info!(ready = ready.len(), "bridge: sealed numbers arrived");
        }
        if self.paused().is_some() {
            return Ok(0);
        }
        // Keep `concurrency` jobs in flight: a finished job's slot is refilled at once rather
        // than waiting for the slowest of a batch. A pass ends when nothing more is due (or a
        // hub-wide pause began), after at most `MAX_PER_PASS` jobs so discovery runs again.
        const MAX_PER_PASS: usize = 1000;
        let width = self.config.concurrency.max(1);
        let mut set = tokio::task::JoinSet::new();
        let mut started = 0usize;
        let mut drained = false;
        loop {
            while !drained && set.len() < width && started < MAX_PER_PASS && self.paused().is_none()
            {
                let store = self.store.clone();
                let now = store.clock().now_ms() as i64;
                let want = (width - set.len()) as u32;
                let due = blocking(move || jobs::take_due(&store, now, want)).await?;
                drained = due.len() < want as usize;
                for job in due {
                    started += 1;
                    let me = self.clone();
                    set.spawn(async move {
                        let id = job.enrollment;
                        if let Err(e) = me.process(job).await {
                            tracing::error!(enrollment = %id, error = %e, "bridge job failed");
                        }
                    });
                }
            }
            if set.join_next().await.is_none() {
                return Ok(started);
            }
            // A finished job may have made room; look again unless the queue was empty.
            if drained && set.is_empty() {
                return Ok(started);
            }
        }
    }

    /// Runs one job to its next state.
    async fn process(&self, job: Job) -> Result<(), BridgeError> {
        if job.link {
            return self.process_link(job).await;
        }
        let store = self.store.clone();
        let member = job.member;
        let (sealed, demo) = blocking(move || {
            Ok((
                store.sealed_aadhaar(member)?,
                jobs::demographics(&store, member)?,
            ))
        })
        .await?;
        let store = self.store.clone();
        let Some(sealed) = sealed else {
            // The number went away (a newer request consumed it): wait for another.
            return blocking(move || {
                store.extension_write(|tx| {
                    tx.execute(
                        "UPDATE abdm_jobs SET status = 'waiting' WHERE enrollment_id = ?1",
                        [job.enrollment.as_bytes()],
                    )?;
                    Ok(())
                })
            })
            .await;
        };
        let (Some(digits), Some(demo)) = (self.opener.open(&sealed.ciphertext), demo) else {
            let reason = "hub.record_unusable";
            tracing::warn!(enrollment = %job.enrollment, reason, "request cannot be sent");
            let at = sealed.sealed_at;
            blocking(move || {
                outcome::record_final(
                    &store,
                    &job,
                    Some(at),
                    abha_core::model::EnrollmentState::Rejected,
                    Some(reason),
                    None,
                )
            })
            .await?;
            self.count(|s| s.finished += 1);
            return Ok(());
        };
        let call = DemoAuth {
            aadhaar: &digits,
            name: &demo.name,
            gender: &demo.gender,
            birth: &demo.birth,
            state_code: demo.state_code,
            district_code: demo.district_code,
            mobile: demo.mobile.as_deref(),
            pin_code: demo.pincode.as_deref(),
            address: demo.address.as_deref(),
        };
        let result = self.client.enrol_with_demo_auth(&call).await;
        drop(digits);
        self.count(|s| s.calls += 1);
        let verdict = outcome::judge(
            &result,
            &job,
            self.client.config().credential_pause,
            self.config.systemic_pause,
        );
        self.settle(job, Some(sealed.sealed_at), verdict).await
    }

    /// Verifies an ABHA a worker scanned or typed: found and active → linked; unknown → back to
    /// the worker for correction; deactivated → rejected.
    async fn process_link(&self, job: Job) -> Result<(), BridgeError> {
        let store = self.store.clone();
        let member = job.member;
        let target = blocking(move || jobs::link_target(&store, member)).await?;
        let Some((number, target)) = target else {
            let store = self.store.clone();
            let state = abha_core::model::EnrollmentState::NeedsCorrection;
            blocking(move || {
                outcome::record_final(&store, &job, None, state, Some("link.no_abha"), None)
            })
            .await?;
            return Ok(());
        };
        let result = self.client.find_address(&target).await;
        self.count(|s| s.calls += 1);
        let verdict = outcome::judge_link(
            result,
            number,
            &job,
            self.client.config().credential_pause,
            self.config.systemic_pause,
        );
        self.settle(job, None, verdict).await
    }

    async fn settle(&self, job: Job, at: Option<i64>, verdict: Verdict) -> Result<(), BridgeError> {
        let store = self.store.clone();
        match verdict {
            Verdict::Final {
                state,
                reason,
                abha,
            } => {
                tracing::info!(enrollment = %job.enrollment, state = state.code(), "ABDM answered");
                blocking(move || {
                    outcome::record_final(&store, &job, at, state, reason.as_deref(), abha.as_ref())
                })
                .await?;
                self.count(|s| s.finished += 1);
            }
            Verdict::Retry {
                reason,
                ambiguous,
                pause_all,
            } => {
                let wait = match pause_all {
                    Some(p) => {
                        *self.paused_until.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(tokio::time::Instant::now() + p);
                        p
                    }
                    None => self.backoff(job.attempts),
                };
                tracing::info!(enrollment = %job.enrollment, reason, wait_s = wait.as_secs(), "ABDM call will be retried");
                let counted = pause_all.is_none();
                blocking(move || {
                    outcome::record_retry(&store, &job, &reason, ambiguous, wait, counted)
                })
                .await?;
                self.count(|s| s.retries += 1);
            }
        }
        Ok(())
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let exp = self
            .config
            .retry_base
            .saturating_mul(1 << attempts.min(16))
            .min(self.config.retry_max);
        exp.mul_f64(0.5 + rand::thread_rng().r#gen::<f64>() * 0.5)
    }
}
