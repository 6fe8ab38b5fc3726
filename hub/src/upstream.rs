//! Replicating to the upstream hub (camp laptop to state server) with the same protocol tablets
//! use: this hub relays every origin the upstream lacks and pulls what it lacks in its own scope.
//! Runs periodically and on demand; never two sessions at once.

use std::sync::Arc;
use std::time::Duration;

use abha_core::store::Store;
use abha_core::sync::client::{HttpTransport, Pin};
use abha_core::sync::{CancelToken, SyncOptions, SyncProgress, SyncReport, sync};

use crate::config::UpstreamConfig;

/// The upstream link.
#[derive(Debug)]
pub struct Upstream {
    store: Arc<Store>,
    config: UpstreamConfig,
    running: tokio::sync::Mutex<()>,
}

impl Upstream {
    /// A link for `store`.
    pub fn new(store: Arc<Store>, config: UpstreamConfig) -> Self {
        Self {
            store,
            config,
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// Runs one session now (waits for a running one to finish first). Errors are machine codes.
    pub async fn sync_now(&self) -> Result<SyncReport, String> {
        let _guard = self.running.lock().await;
        let pin = match &self.config.pin {
            Some(p) => Some(Pin::parse(p).ok_or_else(|| "upstream.bad_pin".to_owned())?),
            None => None,
        };
        let transport = HttpTransport::new(
            &self.config.url,
            Some(self.config.token.clone()),
            pin,
            Duration::from_secs(60),
        )
        .map_err(|e| e.code().unwrap_or("sync.network").to_owned())?;
        let opts = SyncOptions {
            relay: true,
            ..SyncOptions::default()
        };
        let report = sync(
            &self.store,
            &self.config.url,
            &transport,
            &opts,
            &|_: &SyncProgress| {},
            &CancelToken::new(),
        )
        .await
        .map_err(|e| e.code())?;
        tracing::info!(
            pushed = report.pushed_ops,
            pulled = report.pulled_ops,
            "upstream sync done"
        );
        Ok(report)
    }

    /// Replicates every `every` until `shutdown` is cancelled.
    pub fn spawn_periodic(self: Arc<Self>, every: Duration, shutdown: CancelToken) {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    () = async { while !shutdown.is_cancelled() { tokio::time::sleep(Duration::from_millis(200)).await } } => return,
                }
                if let Err(code) = self.sync_now().await {
                    tracing::warn!(%code, "periodic upstream sync failed");
                }
            }
        });
    }
}
