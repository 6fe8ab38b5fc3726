//! abha-hub: the camp and state hub.
//!
//! The hub syncs tablets over the camp LAN, forwards upstream hub to hub, and is the only part of
//! ABHA Field that talks to ABDM. Today it holds the hub's encrypted store and seeds a demo camp;
//! the sync server (HTTP, device enrolment, upstream replication) builds on this store.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use abha_core::demo::{self, DemoRng};
use abha_core::seal::{AadhaarSealer, SealingKey, TokenKey};
use abha_core::store::{PendingCounts, Store, StoreError, StoreKey};
use serde::Serialize;

/// The demo sealing key (public half); the hub's demo mode holds the private half.
const DEMO_SEALING_PUBLIC: &str = include_str!("../../fixtures/demo-sealing/public.pem");

/// Hub errors.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The store refused to open or write.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file in the data directory could not be read or written.
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    /// A demo record failed validation (a bug in the demo generator).
    #[error("demo data invalid: {0}")]
    Demo(String),
}

/// Where the hub keeps its data.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Data directory (default `./abha-hub-data`).
    pub data_dir: PathBuf,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("abha-hub-data"),
        }
    }
}

fn read_or_create_key(path: &Path) -> Result<StoreKey, HubError> {
    if let Ok(hex) = std::env::var("ABHA_HUB_STORE_KEY") {
        return Ok(StoreKey::from_hex(&hex)?);
    }
    match fs::read_to_string(path) {
        Ok(hex) => Ok(StoreKey::from_hex(&hex)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = StoreKey::random();
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)?;
            }
            let mut opts = fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(path)?;
            f.write_all(key.to_hex().as_bytes())?;
            f.sync_all()?;
            Ok(key)
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens (creating on first use) the hub's encrypted store in the data directory.
pub fn open_store(config: &HubConfig) -> Result<Store, HubError> {
    fs::create_dir_all(&config.data_dir)?;
    let key = read_or_create_key(&config.data_dir.join("keys/store.key"))?;
    Ok(Store::open(config.data_dir.join("hub.db"), &key)?)
}

/// What the demo camp holds.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    /// Villages.
    pub villages: usize,
    /// Households in the store.
    pub households: usize,
    /// Members in the store.
    pub members: usize,
    /// Local changes not yet forwarded upstream.
    pub pending: PendingCounts,
}

/// Seeds a demo camp of `households` households (idempotent: villages are upserted, households
/// are only added up to the requested count) and summarises the store.
pub fn seed_demo(store: &Store, households: usize) -> Result<DemoSummary, HubError> {
    let villages: Vec<_> = demo::villages()
        .iter()
        .map(|v| v.validate().map_err(|e| HubError::Demo(e.to_string())))
        .collect::<Result<_, _>>()?;
    for v in &villages {
        store.put_village(v)?;
    }
    let sealer = AadhaarSealer::new(
        SealingKey::from_pem(DEMO_SEALING_PUBLIC).map_err(|e| HubError::Demo(e.to_string()))?,
        TokenKey::from_bytes([0x5a; 32]),
    );
    let existing = store.list_households(None, u32::MAX, 0)?.len();
    let today = time::OffsetDateTime::now_utc().date();
    let mut rng = DemoRng::new(2026);
    for n in 0..households as u64 {
        let village = villages[(n % villages.len() as u64) as usize].id;
        let form = demo::household(&mut rng, village, n);
        if (n as usize) < existing {
            continue;
        }
        let valid = form
            .check(today)
            .map_err(|e| HubError::Demo(e.to_string()))?
            .value;
        let new = valid
            .seal(Some(&sealer), None)
            .map_err(|e| HubError::Demo(e.to_string()))?;
        store.create_household(&new)?;
    }
    summarize(store)
}

/// Counts what the store holds.
pub fn summarize(store: &Store) -> Result<DemoSummary, HubError> {
    let households = store.list_households(None, u32::MAX, 0)?;
    Ok(DemoSummary {
        villages: store.villages()?.len(),
        households: households.len(),
        members: households.iter().map(|h| h.member_count as usize).sum(),
        pending: store.pending()?,
    })
}
