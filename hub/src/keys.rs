//! The hub's secrets, in `DATA/keys/` (owner-only files): the store key, the deployment key for
//! Aadhaar tokens (handed to enrolled tablets), the RSA key pair Aadhaar numbers are sealed to
//! (the public half goes to tablets; the private half never leaves the hub), and the Ed25519 key
//! household slips are signed with (`slip.key`, its seed; tablets get the public half at
//! enrolment and verify slips offline). `ABHA_HUB_STORE_KEY` overrides the store key file.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use abha_core::qr::SlipSigningKey;
use abha_core::seal::TokenKey;
use abha_core::store::StoreKey;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use zeroize::Zeroizing;

use crate::HubError;

const DEMO_PRIVATE: &str = include_str!("../../fixtures/demo-sealing/private.pem");
const DEMO_PUBLIC: &str = include_str!("../../fixtures/demo-sealing/public.pem");
/// The token key of demo camps (fixed, so demo tablets and the demo hub agree).
const DEMO_TOKEN_KEY: [u8; 32] = [0x5a; 32];
/// The slip key seed of demo camps (fixed, so demo slips verify on every demo tablet).
const DEMO_SLIP_SEED: [u8; 32] = [0x51; 32];

/// The hub's keys.
#[derive(Debug, Clone)]
pub struct HubKeys {
    /// Store key.
    pub store: StoreKey,
    /// Aadhaar token key.
    pub token: TokenKey,
    /// Sealing private key (PKCS#8 PEM).
    pub sealing_private_pem: Zeroizing<String>,
    /// Sealing public key (SPKI PEM), given to tablets.
    pub sealing_public_pem: String,
    /// Household slip signing key (its public half is given to tablets).
    pub slip: SlipSigningKey,
}

fn write_private(path: &Path, contents: &[u8]) -> Result<(), HubError> {
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
    f.write_all(contents)?;
    f.sync_all()?;
    Ok(())
}

fn read_or_create(
    path: &Path,
    make: impl FnOnce() -> Result<Zeroizing<String>, HubError>,
) -> Result<Zeroizing<String>, HubError> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Zeroizing::new(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let v = make()?;
            write_private(path, v.as_bytes())?;
            Ok(v)
        }
        Err(e) => Err(e.into()),
    }
}

impl HubKeys {
    /// Loads the keys from `data_dir/keys`, creating any that are missing. With `demo`, the
    /// sealing pair and token key are the public demo ones.
    pub fn load_or_create(data_dir: &Path, demo: bool) -> Result<Self, HubError> {
        let dir = data_dir.join("keys");
        let store = match std::env::var("ABHA_HUB_STORE_KEY") {
            Ok(hex) => StoreKey::from_hex(&hex)?,
            Err(_) => StoreKey::from_hex(&read_or_create(&dir.join("store.key"), || {
                Ok(StoreKey::random().to_hex())
            })?)?,
        };
        if demo {
            return Ok(Self {
                store,
                token: TokenKey::from_bytes(DEMO_TOKEN_KEY),
                sealing_private_pem: Zeroizing::new(DEMO_PRIVATE.to_owned()),
                sealing_public_pem: DEMO_PUBLIC.to_owned(),
                slip: SlipSigningKey::from_seed(DEMO_SLIP_SEED),
            });
        }
        let slip_hex = read_or_create(&dir.join("slip.key"), || {
            Ok(SlipSigningKey::generate().to_hex())
        })?;
        let slip = SlipSigningKey::from_hex(&slip_hex)
            .map_err(|_| HubError::Config("keys/slip.key is not a slip key".into()))?;
        let token_hex = read_or_create(&dir.join("token.key"), || Ok(TokenKey::random().to_hex()))?;
        let token = TokenKey::from_hex(&token_hex).map_err(|e| HubError::Config(e.to_string()))?;
        let private = read_or_create(&dir.join("sealing.pem"), || {
            let rsa = Rsa::generate(2048)
                .map_err(|_| HubError::Config("RSA key generation failed".into()))?;
            let pkey = PKey::from_rsa(rsa).map_err(|_| HubError::Config("RSA key".into()))?;
            let pem = pkey
                .private_key_to_pem_pkcs8()
                .map_err(|_| HubError::Config("RSA key encoding".into()))?;
            Ok(Zeroizing::new(String::from_utf8_lossy(&pem).into_owned()))
        })?;
        let pkey = PKey::private_key_from_pem(private.as_bytes())
            .map_err(|_| HubError::Config("keys/sealing.pem is not a private key".into()))?;
        let public = pkey
            .public_key_to_pem()
            .map_err(|_| HubError::Config("RSA public key encoding".into()))?;
        Ok(Self {
            store,
            token,
            sealing_private_pem: private,
            sealing_public_pem: String::from_utf8_lossy(&public).into_owned(),
            slip,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_slip_key_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = HubKeys::load_or_create(dir.path(), false).unwrap();
        let again = HubKeys::load_or_create(dir.path(), false).unwrap();
        assert_eq!(first.slip.public(), again.slip.public());
        let other = tempfile::tempdir().unwrap();
        let fresh = HubKeys::load_or_create(other.path(), false).unwrap();
        assert_ne!(first.slip.public(), fresh.slip.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = fs::metadata(dir.path().join("keys/slip.key")).unwrap();
            assert_eq!(meta.permissions().mode() & 0o077, 0, "owner only");
        }
        // Demo camps share one key, so demo slips verify on every demo tablet.
        let demo = HubKeys::load_or_create(dir.path(), true).unwrap();
        let demo2 = HubKeys::load_or_create(other.path(), true).unwrap();
        assert_eq!(demo.slip.public(), demo2.slip.public());
        assert_ne!(demo.slip.public(), first.slip.public());
    }
}
