//! Shared helpers: a real hub on 127.0.0.1 port 0, and tablets with real store files.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use abha_core::ids::{HouseholdId, VillageId};
use abha_core::model::{HouseholdDraft, HouseholdForm, MemberDraft};
use abha_core::store::{Store, StoreKey};
use abha_core::sync::client::{HttpTransport, Pin};
use abha_core::sync::protocol::{EnrolReply, EnrolRequest};
use abha_core::sync::{CancelToken, SyncError, SyncOptions, SyncProgress, SyncReport, sync};
use abha_hub::registry::Role;
use abha_hub::storage::HubStorage;
use abha_hub::{Hub, HubConfig, TlsMode, UpstreamConfig};
use tokio::sync::oneshot;

pub mod abdm;
pub mod pg;
pub mod share;

pub const V1: u32 = 900_101;
pub const V2: u32 = 900_202;

/// A hub running in this process.
pub struct RunningHub {
    pub addr: SocketAddr,
    pub url: String,
    pub pin: Option<Pin>,
    /// Records and registry, on the configured database.
    pub storage: Arc<dyn HubStorage>,
    /// The key id tablets must seal Aadhaar numbers to.
    pub sealing_key_id: String,
    sqlite: Option<Arc<Store>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningHub {
    pub async fn start(dir: &Path, tls: bool, upstream: Option<UpstreamConfig>) -> Self {
        Self::start_with(dir, tls, upstream, |_| {}).await
    }

    pub async fn start_with(
        dir: &Path,
        tls: bool,
        upstream: Option<UpstreamConfig>,
        tweak: impl FnOnce(&mut HubConfig),
    ) -> Self {
        let mut config = HubConfig {
            data_dir: dir.to_path_buf(),
            tls: if tls {
                TlsMode::SelfSigned
            } else {
                TlsMode::Off
            },
            upstream,
            upstream_every: Duration::from_secs(3600),
            demo_keys: true,
            ..HubConfig::default()
        };
        tweak(&mut config);
        let hub = Hub::open(config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let scheme = if tls { "https" } else { "http" };
        let (pin, sqlite, storage) = (hub.pin(), hub.store.clone(), hub.storage.clone());
        let sealing_key_id = abha_core::seal::SealingKey::parse(&hub.keys.sealing_public_pem)
            .unwrap()
            .id()
            .to_string();
        if let Some(store) = &sqlite {
            for v in abha_core::demo::villages() {
                let v = v.validate().unwrap();
                if [V1, V2].contains(&v.lgd.village) {
                    store.put_village(&v).unwrap();
                }
            }
        }
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            hub.serve(listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            url: format!("{scheme}://{addr}"),
            pin,
            storage,
            sealing_key_id,
            sqlite,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// The SQLite store (tests of the duties only it supports).
    pub fn store(&self) -> &Arc<Store> {
        self.sqlite.as_ref().expect("a hub on SQLite")
    }

    pub fn code(&self, role: Role, villages: &[u32]) -> String {
        let vs: Vec<VillageId> = villages.iter().map(|v| VillageId::from_lgd(*v)).collect();
        self.storage
            .create_code_for(role, &vs, None, 3_600_000, None)
            .unwrap()
            .0
    }

    pub fn token(&self, role: Role) -> String {
        self.storage.create_device(role, &[], None, None).unwrap().1
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }
}

/// A tablet: a store file and its enrolment at a hub.
pub struct Tablet {
    pub store: Store,
    pub token: String,
    pub url: String,
    pub pin: Option<Pin>,
}

impl Tablet {
    pub async fn enrol(dir: &Path, name: &str, hub: &RunningHub, villages: &[u32]) -> Self {
        let store = Store::open(dir.join(format!("{name}.db")), &StoreKey::random()).unwrap();
        let t = HttpTransport::new(&hub.url, None, hub.pin, Duration::from_secs(10)).unwrap();
        let reply: EnrolReply = t
            .json(
                "/v1/devices/enrol",
                &EnrolRequest {
                    code: hub.code(Role::Worker, villages),
                    replica: store.replica_id(),
                    app_version: "test".into(),
                    label: Some(name.into()),
                },
            )
            .await
            .unwrap();
        Self {
            store,
            token: reply.token,
            url: hub.url.clone(),
            pin: hub.pin,
        }
    }

    pub fn transport(&self) -> HttpTransport {
        HttpTransport::new(
            &self.url,
            Some(self.token.clone()),
            self.pin,
            Duration::from_secs(10),
        )
        .unwrap()
    }

    pub async fn sync_with(
        &self,
        t: &HttpTransport,
        opts: &SyncOptions,
    ) -> Result<SyncReport, SyncError> {
        sync(
            &self.store,
            &self.url,
            t,
            opts,
            &|_: &SyncProgress| {},
            &CancelToken::new(),
        )
        .await
    }

    pub async fn sync(&self) -> SyncReport {
        self.sync_with(&self.transport(), &fast()).await.unwrap()
    }

    pub fn household(&self, village: u32, names: &[&str]) -> HouseholdId {
        let form = HouseholdForm {
            household: HouseholdDraft {
                village_id: Some(VillageId::from_lgd(village)),
                address: "Mohalla 3".into(),
                ..Default::default()
            },
            members: names
                .iter()
                .enumerate()
                .map(|(i, n)| MemberDraft {
                    given_name: (*n).into(),
                    gender: "F".into(),
                    birth_date: "1990".into(),
                    relation: if i == 0 {
                        "head".into()
                    } else {
                        "daughter".into()
                    },
                    ..Default::default()
                })
                .collect(),
        };
        let today = time::OffsetDateTime::now_utc().date();
        let new = form.check(today).unwrap().value.seal(None, None).unwrap();
        self.store.create_household(&new).unwrap()
    }
}

/// A reqwest client with the tablets' TLS settings, not following redirects.
pub fn http_client() -> reqwest::Client {
    let cfg = abha_core::sync::client::tls_config(None).unwrap();
    reqwest::Client::builder()
        .tls_backend_preconfigured(cfg)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Sync options with quick retries.
pub fn fast() -> SyncOptions {
    SyncOptions {
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..SyncOptions::default()
    }
}

/// A reqwest client that trusts the hub's pin (or none for plain HTTP).
pub fn raw_client(pin: Option<Pin>) -> reqwest::Client {
    let cfg = abha_core::sync::client::tls_config(pin).unwrap();
    reqwest::Client::builder()
        .tls_backend_preconfigured(cfg)
        .build()
        .unwrap()
}
