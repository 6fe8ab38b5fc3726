//! Opening an encrypted store safely.
//!
//! The whole database is encrypted with SQLCipher under a 32-byte key the caller supplies (on
//! Android it comes from the Keystore). Opening follows one rule: never lose field data.
//!
//! - **Wrong key.** SQLCipher cannot tell a wrong key from a damaged file: both read as "file is
//!   not a database". So beside the database we keep a key check (`<db>.keycheck`: a random salt
//!   and an HMAC of it under the key, as Mozilla's logins "canary" does). A key that fails the
//!   check is refused with [`StoreError::WrongKey`] before SQLite reads a page, and nothing is
//!   touched.
//! - **Damage.** Only when the key is proven right and SQLite still reports damage do we move the
//!   file, its WAL and shared memory aside (`<db>.corrupt-<time>`), never delete them, and return
//!   [`StoreError::Corrupt`]. The next open starts a fresh file with a fresh replica id, so its ops
//!   can never be confused with the damaged file's. Support can recover the old one.
//! - **Newer file.** The schema version is read before anything is written (even switching to WAL
//!   writes the header), so a file from newer software is left exactly as it was.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::error::{Result, StoreError};

/// The 32-byte database key.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

impl StoreKey {
    /// From 32 raw bytes.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(Zeroizing::new(b))
    }
    /// From a slice that must be exactly 32 bytes.
    pub fn from_slice(b: &[u8]) -> Result<Self> {
        <[u8; 32]>::try_from(b)
            .map(Self::from_bytes)
            .map_err(|_| StoreError::BadKey)
    }
    /// From 64 hex digits.
    pub fn from_hex(h: &str) -> Result<Self> {
        let v = Zeroizing::new(hex::decode(h.trim()).map_err(|_| StoreError::BadKey)?);
        Self::from_slice(&v)
    }
    /// A fresh random key.
    pub fn random() -> Self {
        Self::from_bytes(rand::random())
    }
    /// As 64 hex digits.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(*self.0))
    }
    /// The statements that key a SQLCipher connection the way the store does. Every connection
    /// to a store file must run exactly these before touching it (tests and benchmarks that open
    /// the file directly use this too).
    ///
    /// HMAC-SHA256 instead of SQLCipher 4's default SHA-512: still a 256-bit MAC per page, and
    /// ARMv8 tablets compute SHA-256 in hardware (SHA-512 needs ARMv8.2), which makes every page
    /// write cheaper. See `docs/adr/0001-store-encryption.md`.
    pub fn sqlcipher_pragmas(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "PRAGMA key = \"x'{}'\"; PRAGMA cipher_page_size = 4096; \
             PRAGMA cipher_hmac_algorithm = HMAC_SHA256;",
            self.to_hex().as_str()
        ))
    }

    fn check_mac(&self, salt: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0[..])
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"abha-store-keycheck/v1\0");
        mac.update(salt);
        mac.finalize().into_bytes().to_vec()
    }
}

const KEYCHECK_MAGIC: &str = "abha-keycheck-v1";

pub(crate) fn keycheck_path(db: &Path) -> PathBuf {
    sibling(db, ".keycheck")
}

fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// What the key check says about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyCheck {
    /// The key matches the check file.
    Verified,
    /// The key does not match.
    Mismatch,
    /// There is no (readable) check file.
    Missing,
}

pub(crate) fn verify_key(db: &Path, key: &StoreKey) -> KeyCheck {
    let Ok(text) = fs::read_to_string(keycheck_path(db)) else {
        return KeyCheck::Missing;
    };
    let mut lines = text.lines();
    let (Some(KEYCHECK_MAGIC), Some(salt), Some(mac)) = (lines.next(), lines.next(), lines.next())
    else {
        return KeyCheck::Missing;
    };
    let (Ok(salt), Ok(mac)) = (hex::decode(salt), hex::decode(mac)) else {
        return KeyCheck::Missing;
    };
    // Constant-time comparison through the MAC API.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&key.0[..])
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(b"abha-store-keycheck/v1\0");
    m.update(&salt);
    if m.verify_slice(&mac).is_ok() {
        KeyCheck::Verified
    } else {
        KeyCheck::Mismatch
    }
}

pub(crate) fn write_keycheck(db: &Path, key: &StoreKey) -> Result<()> {
    let salt: [u8; 16] = rand::random();
    let body = format!(
        "{KEYCHECK_MAGIC}\n{}\n{}\n",
        hex::encode(salt),
        hex::encode(key.check_mac(&salt))
    );
    let path = keycheck_path(db);
    let tmp = sibling(db, ".keycheck.tmp");
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(body.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &path)?;
    sync_dir(db);
    Ok(())
}

fn sync_dir(db: &Path) {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Best effort: directory fsync is not supported everywhere.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Opens and keys a connection, proving the key can read the schema.
///
/// Returns the connection, or `WrongKey`/`Corrupt` as described in the module docs.
pub(crate) fn open_keyed(db: &Path, key: &StoreKey, read_only: bool) -> Result<Connection> {
    let existed = fs::metadata(db).map(|m| m.len() > 0).unwrap_or(false);
    let check = if existed {
        verify_key(db, key)
    } else {
        KeyCheck::Missing
    };
    if check == KeyCheck::Mismatch {
        return Err(StoreError::WrongKey);
    }
    let flags = if read_only {
        // Read-write flags so WAL shared memory can be set up; `query_only` forbids writes.
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    // SQLCipher's first keying of a connection sets up process-wide crypto state; concurrent
    // first keyings from several threads were seen to fail now and then ("error occurred with
    // PRAGMA key"). Opening is rare, so keying is serialised.
    static KEYING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = KEYING.lock().unwrap_or_else(|p| p.into_inner());
    let conn = Connection::open_with_flags(db, flags)?;
    // SQLCipher writes decryption failures to stderr itself; we report them as typed errors.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.execute_batch(&key.sqlcipher_pragmas())?;
    let probe: rusqlite::Result<i64> =
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0));
    drop(guard);
    match probe {
        Ok(_) => Ok(conn),
        Err(e) => {
            let code = e.sqlite_error_code();
            drop(conn);
            match code {
                // Decrypts but is structurally damaged: the key is right.
                Some(ErrorCode::DatabaseCorrupt) if !read_only => Err(move_aside(db)?),
                // Unreadable: damaged only if the key is proven right.
                Some(ErrorCode::NotADatabase)
                    if existed && check == KeyCheck::Verified && !read_only =>
                {
                    Err(move_aside(db)?)
                }
                Some(ErrorCode::NotADatabase) => Err(StoreError::WrongKey),
                _ => Err(e.into()),
            }
        }
    }
}

/// Moves a damaged database, its WAL, shared memory and key check aside. Never deletes.
pub(crate) fn move_aside(db: &Path) -> Result<StoreError> {
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut n = 0u32;
    let target = loop {
        let suffix = if n == 0 {
            format!(".corrupt-{stamp}")
        } else {
            format!(".corrupt-{stamp}-{n}")
        };
        let t = sibling(db, &suffix);
        if !t.exists() {
            break t;
        }
        n += 1;
    };
    fs::rename(db, &target)?;
    for ext in ["-wal", "-shm", ".keycheck"] {
        let from = sibling(db, ext);
        if from.exists() {
            fs::rename(&from, sibling(&target, ext))?;
        }
    }
    sync_dir(db);
    tracing::error!(moved_to = %target.display(), "store file damaged; moved aside, nothing deleted");
    Ok(StoreError::Corrupt { moved_to: target })
}

/// Connection settings, applied after the version check.
pub(crate) fn configure(conn: &Connection, writer: bool) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Android needs temp files in memory (SQLITE_IOERR_GETTEMPPATH otherwise).
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    if writer {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::InvalidData("journal mode"));
        }
        // Field data is durable at commit, also across power loss.
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Overwrite deleted content (sealed Aadhaar after ABDM answered) without extra I/O.
        conn.pragma_update(None, "secure_delete", "FAST")?;
    } else {
        conn.pragma_update(None, "query_only", "ON")?;
    }
    Ok(())
}
