//! abha-hub: the camp and state hub.
//!
//! The hub syncs tablets over the camp LAN without internet, forwards upstream hub to hub, and is
//! the only part of ABHA Field that will talk to ABDM. It reuses the core's store and sync engine;
//! this crate adds the HTTP API ([`server`]), TLS ([`tls`]), the device registry ([`registry`]),
//! upstream replication ([`upstream`]) and the demo camp ([`demo`]).
//!
//! [`run`] is the whole server: `run(listener, config, shutdown)`.

pub mod audit;
pub mod bridge;
pub mod camp;
pub mod card;
pub mod config;
pub mod demo;
pub mod export;
pub mod keys;
pub mod listen;
pub mod registry;
pub mod review;
pub mod server;
pub mod share;
pub mod slip;
pub mod storage;
pub mod tls;
pub mod upstream;
pub mod users;
pub mod web;

use std::future::Future;
use std::sync::Arc;

use abha_core::store::{Store, StoreError, StoreOptions};
use abha_core::sync::CancelToken;
use abha_core::sync::client::Pin;
use tokio::net::TcpListener;

pub use config::{HubConfig, TlsMode, UpstreamConfig};

/// Hub errors.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The store refused to open or write.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file in the data directory could not be read or written.
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// A demo record failed (a bug in the demo generator).
    #[error("demo data: {0}")]
    Demo(String),
    /// The device registry failed.
    #[error(transparent)]
    Registry(#[from] registry::RegistryError),
}

/// An opened hub: its storage, keys and certificate.
#[derive(Debug)]
pub struct Hub {
    /// Records and registry, on either database.
    pub storage: Arc<dyn storage::HubStorage>,
    /// The encrypted SQLite store (`None` on PostgreSQL).
    pub store: Option<Arc<Store>>,
    /// Keys.
    pub keys: keys::HubKeys,
    /// Configuration.
    pub config: HubConfig,
    /// Certificate (none when TLS is off).
    pub tls: Option<tls::Tls>,
}

impl Hub {
    /// Opens (creating on first run) the store, keys and certificate in the data directory.
    pub fn open(config: HubConfig) -> Result<Self, HubError> {
        std::fs::create_dir_all(&config.data_dir)?;
        let keys = keys::HubKeys::load_or_create(&config.data_dir, config.demo_keys)?;
        // Sealed numbers handed in must be sealed to this key (tablets got it at enrolment).
        let sealing = abha_core::seal::SealingKey::parse(&keys.sealing_public_pem)
            .map_err(|e| HubError::Config(format!("sealing key: {e}")))?;
        let tls = match &config.tls {
            TlsMode::SelfSigned => Some(tls::self_signed(&config.data_dir)?),
            TlsMode::Files { cert, key } => Some(tls::from_files(cert, key)?),
            TlsMode::Off => None,
        };
        if let storage::Database::Postgres(url) = &config.database {
            if config.abdm.is_some() || config.upstream.is_some() {
                return Err(HubError::Config(
                    "the ABDM bridge and upstream replication run on the SQLite store only; \
                     a PostgreSQL hub is a state hub that camps replicate to"
                        .into(),
                ));
            }
            return Ok(Self {
                storage: storage::open_postgres(url, sealing.id())?,
                store: None,
                keys,
                config,
                tls,
            });
        }
        let store = Store::open_with(
            config.data_dir.join("hub.db"),
            &keys.store,
            StoreOptions {
                extensions: vec![registry::EXTENSION],
                ..Default::default()
            },
        )?;
        store.set_sealing_key_id(sealing.id())?;
        let store = Arc::new(store);
        Ok(Self {
            storage: store.clone(),
            store: Some(store),
            keys,
            config,
            tls,
        })
    }

    /// The SQLite store, for the duties only it supports.
    pub fn sqlite(&self) -> Result<&Arc<Store>, HubError> {
        self.store.as_ref().ok_or_else(|| {
            HubError::Config("this needs the SQLite store; the hub runs on PostgreSQL".into())
        })
    }

    /// The certificate fingerprint tablets pin.
    pub fn pin(&self) -> Option<Pin> {
        self.tls.as_ref().map(|t| t.pin)
    }

    /// Serves until `shutdown` completes, then drains and returns.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), HubError> {
        let addr = listener.local_addr()?;
        if self.tls.is_none() && !addr.ip().is_loopback() {
            return Err(HubError::Config(
                "plain HTTP is allowed only on a loopback address; enable TLS".into(),
            ));
        }
        let stop = CancelToken::new();
        let upstream = match (&self.store, self.config.upstream.clone()) {
            (Some(store), Some(u)) => Some((store.clone(), u)),
            _ => None,
        }
        .map(|(store, u)| {
            let up = Arc::new(upstream::Upstream::new(store, u));
            up.clone()
                .spawn_periodic(self.config.upstream_every, stop.clone());
            up
        });
        let mut state = server::AppState::new(
            self.storage.clone(),
            self.store.clone(),
            self.config.clone(),
            self.keys.token.to_hex().to_string(),
            self.keys.sealing_public_pem.clone(),
            upstream,
            self.pin().map(|p| p.to_hex()),
        );
        state.slip_key = Some(self.keys.slip.clone());
        if let (Some(abdm), Some(store)) = (&self.config.abdm, &self.store) {
            let client = abha_core::abdm::AbdmClient::new(abdm.clone())
                .map_err(|e| HubError::Config(e.to_string()))?;
            state.share = share::Share::new(store.clone(), client.clone(), &abdm.share)
                .map_err(|e| HubError::Config(e.to_string()))?
                .map(Arc::new);
            if let Some(s) = &state.share {
                tracing::info!(hip = %s.hip_id, "Scan and Share ready");
            }
            let opener = bridge::Opener::from_pem(&self.keys.sealing_private_pem)
                .map_err(|e| HubError::Config(e.to_string()))?;
            let b = Arc::new(bridge::Bridge::new(
                store.clone(),
                client,
                opener,
                self.config.bridge.clone(),
                state.bridge_wake.clone(),
            ));
            b.clone().spawn(stop.clone());
            state.bridge = Some(b);
            tracing::info!("ABDM bridge running");
        }
        let state = Arc::new(state);
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let backend = self.storage.backend();
        tracing::info!(%addr, scheme, backend, replica = %self.storage.replica_id(), "hub serving");
        let result = listen::serve(
            listener,
            server::router(state),
            self.tls.map(|t| t.config),
            shutdown,
        )
        .await;
        stop.cancel();
        result?;
        Ok(())
    }
}

/// Runs the hub on `listener` with `config` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    config: HubConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), HubError> {
    Hub::open(config)?.serve(listener, shutdown).await
}
