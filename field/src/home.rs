//! A device home: what a tablet keeps, in one directory.
//!
//! ```text
//! HOME/device.json      settings: sealing public key, current operator
//! HOME/keys/store.key   the database key (64 hex digits, mode 0600)
//! HOME/keys/token.key   the deployment key for Aadhaar tokens
//! HOME/field.db         the encrypted store (+ -wal, .keycheck); its device settings hold the
//!                       hubs' public keys for household slips, as on the tablet
//! ```
//!
//! On Android the two keys live in the Keystore; here key files with owner-only permissions
//! stand in for it. `ABHA_FIELD_STORE_KEY` (64 hex digits) overrides the store key file, so a
//! test can prove a wrong key is refused.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use abha_core::ids::WorkerId;
use abha_core::seal::{AadhaarSealer, SealingKey, TokenKey};
pub use abha_core::store::HubLink;
use abha_core::store::{Store, StoreKey};
use serde::{Deserialize, Serialize};

use crate::output::CliError;

/// The bundled demo key: sealing works out of the box, and the hub's `--demo` mode holds the
/// private half. Real deployments pass `--sealing-key`.
const DEMO_SEALING_PUBLIC: &str = include_str!("../../fixtures/demo-sealing/public.pem");

/// `device.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceConfig {
    /// Format version of this file.
    pub version: u32,
    /// PEM of the public key Aadhaar numbers are sealed to.
    pub sealing_key_pem: String,
    /// `demo` or `configured`.
    pub sealing_key_source: String,
    /// The operator new records are attributed to.
    #[serde(default)]
    pub worker_id: Option<WorkerId>,
}

/// An initialised device home.
#[derive(Debug)]
pub struct Home {
    dir: PathBuf,
    /// Its settings.
    pub config: DeviceConfig,
}

fn write_private(path: &Path, contents: &str) -> Result<(), CliError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(CliError::io)?;
    f.write_all(contents.as_bytes()).map_err(CliError::io)?;
    f.sync_all().map_err(CliError::io)?;
    Ok(())
}

fn replace_private(path: &Path, contents: &str) -> Result<(), CliError> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    write_private(&tmp, contents)?;
    fs::rename(&tmp, path).map_err(CliError::io)
}

impl Home {
    fn config_path(dir: &Path) -> PathBuf {
        dir.join("device.json")
    }

    /// Creates a new home. Refuses a directory that already holds one (never overwrite keys:
    /// that would make the store unreadable).
    pub fn init(
        dir: &Path,
        sealing_key: Option<&Path>,
        token_key: Option<&Path>,
    ) -> Result<Home, CliError> {
        if Self::config_path(dir).exists() || dir.join("keys").exists() {
            return Err(CliError::new(
                "home.exists",
                "this directory already holds a device home",
            ));
        }
        let (pem, source) = match sealing_key {
            Some(p) => (
                fs::read_to_string(p).map_err(CliError::io)?,
                "configured".to_owned(),
            ),
            None => (DEMO_SEALING_PUBLIC.to_owned(), "demo".to_owned()),
        };
        SealingKey::parse(&pem).map_err(|e| CliError::new("seal.bad_key", &e.to_string()))?;
        let token = match token_key {
            Some(p) => TokenKey::from_hex(&fs::read_to_string(p).map_err(CliError::io)?)
                .map_err(|e| CliError::new("seal.bad_token_key", &e.to_string()))?,
            None => TokenKey::random(),
        };
        fs::create_dir_all(dir.join("keys")).map_err(CliError::io)?;
        write_private(&dir.join("keys/store.key"), &StoreKey::random().to_hex())?;
        write_private(&dir.join("keys/token.key"), &token.to_hex())?;
        let config = DeviceConfig {
            version: 1,
            sealing_key_pem: pem,
            sealing_key_source: source,
            worker_id: None,
        };
        let home = Home {
            dir: dir.to_path_buf(),
            config,
        };
        home.save()?;
        Ok(home)
    }

    /// Loads an existing home.
    pub fn load(dir: &Path) -> Result<Home, CliError> {
        let text = fs::read_to_string(Self::config_path(dir)).map_err(|_| {
            CliError::new(
                "home.missing",
                "no device home here; run `abha-field --home DIR init`",
            )
        })?;
        let config = serde_json::from_str(&text)
            .map_err(|_| CliError::new("home.invalid", "device.json is not valid"))?;
        Ok(Home {
            dir: dir.to_path_buf(),
            config,
        })
    }

    /// Saves `device.json` atomically.
    pub fn save(&self) -> Result<(), CliError> {
        let tmp = self.dir.join("device.json.tmp");
        let body = serde_json::to_string_pretty(&self.config)
            .map_err(|_| CliError::new("home.invalid", "cannot encode settings"))?;
        fs::write(&tmp, body).map_err(CliError::io)?;
        fs::rename(&tmp, Self::config_path(&self.dir)).map_err(CliError::io)?;
        Ok(())
    }

    /// The store key: `ABHA_FIELD_STORE_KEY` if set, else the key file.
    fn store_key(&self) -> Result<StoreKey, CliError> {
        let hex = match std::env::var("ABHA_FIELD_STORE_KEY") {
            Ok(v) => zeroize::Zeroizing::new(v),
            Err(_) => zeroize::Zeroizing::new(
                fs::read_to_string(self.dir.join("keys/store.key")).map_err(CliError::io)?,
            ),
        };
        StoreKey::from_hex(&hex).map_err(CliError::from)
    }

    /// Opens the store.
    pub fn open_store(&self) -> Result<Store, CliError> {
        Store::open(self.dir.join("field.db"), &self.store_key()?).map_err(CliError::from)
    }

    /// The hub this device is enrolled with, if any.
    pub fn hub(&self) -> Result<Option<HubLink>, CliError> {
        match fs::read_to_string(self.dir.join("keys/hub.json")) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|_| CliError::new("home.invalid", "keys/hub.json is not valid")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CliError::io(e)),
        }
    }

    /// Saves the enrolment: the hub link (with its token, owner-only), the hub's sealing key and
    /// the deployment token key.
    pub fn save_enrolment(
        &mut self,
        link: &HubLink,
        sealing_key_pem: &str,
        token_key_hex: &str,
    ) -> Result<(), CliError> {
        SealingKey::parse(sealing_key_pem)
            .map_err(|e| CliError::new("seal.bad_key", &e.to_string()))?;
        TokenKey::from_hex(token_key_hex)
            .map_err(|e| CliError::new("seal.bad_token_key", &e.to_string()))?;
        let body = serde_json::to_string_pretty(link)
            .map_err(|_| CliError::new("home.invalid", "cannot encode hub link"))?;
        replace_private(&self.dir.join("keys/hub.json"), &body)?;
        replace_private(&self.dir.join("keys/token.key"), token_key_hex)?;
        self.config.sealing_key_pem = sealing_key_pem.to_owned();
        self.config.sealing_key_source = "hub".to_owned();
        self.save()
    }

    /// The Aadhaar sealer of this device.
    pub fn sealer(&self) -> Result<AadhaarSealer, CliError> {
        let key = SealingKey::parse(&self.config.sealing_key_pem)
            .map_err(|e| CliError::new("seal.bad_key", &e.to_string()))?;
        let hex = zeroize::Zeroizing::new(
            fs::read_to_string(self.dir.join("keys/token.key")).map_err(CliError::io)?,
        );
        let token = TokenKey::from_hex(&hex)
            .map_err(|e| CliError::new("seal.bad_token_key", &e.to_string()))?;
        Ok(AadhaarSealer::new(key, token))
    }
}
