//! Dashboard users and their browser sessions.
//!
//! Organisers and supervisors sign in to the dashboard with a user name and password; tablets
//! never do (they hold device tokens, [`crate::registry`]). Passwords are kept as argon2id PHC
//! strings; five wrong passwords in a row lock the user for a minute, growing, so a camp laptop
//! on an open LAN resists guessing. A session is a random cookie value of which only the SHA-256
//! is stored, with its own CSRF token for forms, an idle limit of 2 hours and an absolute limit
//! of 12 hours (a camp day). Each user is scoped to LGD districts, or to all of them.

use std::collections::BTreeSet;

use abha_core::store::{Store, StoreError};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::registry::Role;
use crate::review::Reach;

/// Idle limit of a session.
pub const IDLE_MS: i64 = 2 * 3_600_000;
/// Absolute limit of a session.
pub const ABSOLUTE_MS: i64 = 12 * 3_600_000;
const LOCK_AFTER: i64 = 5;

/// A dashboard user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id (UUIDv7).
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// Name shown in the audit log.
    pub display_name: Option<String>,
    /// Organiser, supervisor or admin.
    pub role: Role,
    /// LGD districts; empty means every district.
    pub districts: BTreeSet<u32>,
}

impl User {
    /// What the user may see.
    pub fn reach(&self) -> Reach {
        if self.districts.is_empty() {
            Reach::All
        } else {
            Reach::Districts(self.districts.clone())
        }
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Its user.
    pub user: User,
    /// The form token forms must carry.
    pub csrf: String,
}

/// User errors.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The user name is not 3-32 of `a-z 0-9 . _ -`.
    #[error("user name must be 3-32 characters of a-z, 0-9, '.', '_' or '-'")]
    BadUsername,
    /// The password is too short.
    #[error("password must be at least 10 characters")]
    WeakPassword,
    /// Only organisers, supervisors and administrators sign in.
    #[error("this role cannot sign in to the dashboard")]
    BadRole,
    /// The name is taken.
    #[error("user name is taken")]
    Taken,
    /// Hashing failed.
    #[error("password hashing failed")]
    Hash,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for UserError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

fn now_ms() -> i64 {
    crate::review::now_ms()
}

fn sha(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn valid_username(u: &str) -> bool {
    (3..=32).contains(&u.len())
        && u.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

fn hash_password(password: &str) -> Result<String, UserError> {
    if password.chars().count() < 10 {
        return Err(UserError::WeakPassword);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| UserError::Hash)
}

/// Creates a user. Returns its id.
pub fn create(
    store: &Store,
    username: &str,
    display_name: Option<&str>,
    role: Role,
    districts: &[u32],
    password: &str,
) -> Result<String, UserError> {
    let username = username.trim().to_ascii_lowercase();
    if !valid_username(&username) {
        return Err(UserError::BadUsername);
    }
    if !matches!(role, Role::Organiser | Role::Supervisor | Role::Admin) {
        return Err(UserError::BadRole);
    }
    let hash = hash_password(password)?;
    let id = uuid::Uuid::now_v7().to_string();
    let display: Option<String> = display_name.map(|d| d.trim().chars().take(64).collect());
    let inserted = store.extension_write(|tx| {
        let n = tx.execute(
            "INSERT OR IGNORE INTO hub_users (id, username, display_name, role, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, username, display, role.code(), hash, now_ms()],
        )?;
        if n == 1 {
            for d in districts {
                tx.execute(
                    "INSERT OR IGNORE INTO hub_user_districts (user_id, district_code) VALUES (?1, ?2)",
                    params![id, d],
                )?;
            }
        }
        Ok(n == 1)
    })?;
    if !inserted {
        return Err(UserError::Taken);
    }
    tracing::info!(user = %id, role = role.code(), "dashboard user created");
    Ok(id)
}

/// Replaces a user's password, ending every session of the user.
pub fn set_password(store: &Store, username: &str, password: &str) -> Result<bool, UserError> {
    let hash = hash_password(password)?;
    let username = username.trim().to_ascii_lowercase();
    Ok(store.extension_write(|tx| {
        let id: Option<String> = tx
            .query_row(
                "SELECT id FROM hub_users WHERE username = ?1",
                [&username],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else { return Ok(false) };
        tx.execute(
            "UPDATE hub_users SET password_hash = ?2, failed_logins = 0, locked_until = NULL WHERE id = ?1",
            params![id, hash],
        )?;
        tx.execute("DELETE FROM hub_sessions WHERE user_id = ?1", [&id])?;
        Ok(true)
    })?)
}

fn load(tx: &rusqlite::Connection, id: &str) -> rusqlite::Result<Option<User>> {
    let row: Option<(String, Option<String>, String)> = tx
        .query_row(
            "SELECT username, display_name, role FROM hub_users WHERE id = ?1 AND disabled_at IS NULL",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((username, display_name, role)) = row else {
        return Ok(None);
    };
    let Some(role) = Role::parse(&role) else {
        return Ok(None);
    };
    let districts = tx
        .prepare_cached("SELECT district_code FROM hub_user_districts WHERE user_id = ?1")?
        .query_map([id], |r| r.get::<_, u32>(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(User {
        id: id.to_owned(),
        username,
        display_name,
        role,
        districts,
    }))
}

/// Why a sign-in failed (shown to the user as one message, so names cannot be probed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Unknown user or wrong password.
    Wrong,
    /// Too many failures: wait.
    Locked,
}

/// Checks a user name and password.
pub fn verify(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<Result<User, LoginRefusal>, UserError> {
    let username = username.trim().to_ascii_lowercase();
    let now = now_ms();
    let row: Option<(String, String, Option<i64>)> = store.read(|c| {
        Ok(c.query_row(
            "SELECT id, password_hash, locked_until FROM hub_users WHERE username = ?1 AND disabled_at IS NULL",
            [&username],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
    })?;
    let Some((id, hash, locked_until)) = row else {
        // Spend the same time as a real check, so unknown names are not told apart.
        let _ = hash_password("not-a-real-password-at-all");
        return Ok(Err(LoginRefusal::Wrong));
    };
    if locked_until.is_some_and(|t| t > now) {
        return Ok(Err(LoginRefusal::Locked));
    }
    let ok = PasswordHash::new(&hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    let user = store.extension_write(|tx| {
        if ok {
            tx.execute(
                "UPDATE hub_users SET failed_logins = 0, locked_until = NULL WHERE id = ?1",
                [&id],
            )?;
            Ok(load(tx, &id)?)
        } else {
            // From the fifth failure on, each further failure locks for 2^(n-5) minutes (max 1 h).
            tx.execute(
                "UPDATE hub_users SET failed_logins = failed_logins + 1,
                        locked_until = CASE WHEN failed_logins + 1 >= ?2
                          THEN ?3 + MIN(3600000, 60000 * (1 << MIN(6, failed_logins + 1 - ?2))) END
                  WHERE id = ?1",
                params![id, LOCK_AFTER, now],
            )?;
            Ok(None)
        }
    })?;
    Ok(user.ok_or(LoginRefusal::Wrong))
}

/// Starts a session for `user`; returns the cookie value.
pub fn start_session(store: &Store, user: &User, client: &str) -> Result<String, UserError> {
    let token = random_token();
    let csrf = random_token();
    let now = now_ms();
    store.extension_write(|tx| {
        tx.execute("DELETE FROM hub_sessions WHERE expires_at < ?1 OR last_seen < ?2", params![now, now - IDLE_MS])?;
        tx.execute(
            "INSERT INTO hub_sessions (token_hash, user_id, csrf, created_at, last_seen, expires_at, client)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
            params![sha(&token), user.id, csrf, now, now + ABSOLUTE_MS, client.chars().take(200).collect::<String>()],
        )?;
        Ok(())
    })?;
    Ok(token)
}

/// The live session of a cookie value, refreshed; `None` if unknown, idle or expired.
pub fn session(store: &Store, token: &str) -> Result<Option<Session>, UserError> {
    let now = now_ms();
    let h = sha(token);
    Ok(store.extension_write(|tx| {
        let row: Option<(String, String)> = tx
            .query_row(
                "SELECT user_id, csrf FROM hub_sessions
                  WHERE token_hash = ?1 AND expires_at > ?2 AND last_seen > ?3",
                params![h, now, now - IDLE_MS],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((user_id, csrf)) = row else {
            return Ok(None);
        };
        let Some(user) = load(tx, &user_id)? else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE hub_sessions SET last_seen = ?2 WHERE token_hash = ?1",
            params![h, now],
        )?;
        Ok(Some(Session { user, csrf }))
    })?)
}

/// Ends a session.
pub fn end_session(store: &Store, token: &str) -> Result<(), UserError> {
    store.extension_write(|tx| {
        tx.execute(
            "DELETE FROM hub_sessions WHERE token_hash = ?1",
            [sha(token)],
        )?;
        Ok(())
    })?;
    Ok(())
}

/// Whether any dashboard user exists (the demo creates two when none do).
pub fn any(store: &Store) -> Result<bool, UserError> {
    Ok(store
        .read(|c| Ok(c.query_row("SELECT EXISTS (SELECT 1 FROM hub_users)", [], |r| r.get(0))?))?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::registry::tests::store;

    #[test]
    fn test_password_sign_in_session_and_lockout() {
        let (_d, s) = store();
        assert!(matches!(
            create(&s, "ab", None, Role::Supervisor, &[], "long enough pw"),
            Err(UserError::BadUsername)
        ));
        assert!(matches!(
            create(&s, "asha.sup", None, Role::Worker, &[], "long enough pw"),
            Err(UserError::BadRole)
        ));
        assert!(matches!(
            create(&s, "asha.sup", None, Role::Supervisor, &[], "short"),
            Err(UserError::WeakPassword)
        ));
        create(
            &s,
            "Asha.Sup",
            Some("Block supervisor"),
            Role::Supervisor,
            &[101],
            "correct horse 1",
        )
        .unwrap();
        assert!(matches!(
            create(
                &s,
                "asha.sup",
                None,
                Role::Supervisor,
                &[],
                "correct horse 2"
            ),
            Err(UserError::Taken)
        ));
        let stored: String = s
            .read(|c| Ok(c.query_row("SELECT password_hash FROM hub_users", [], |r| r.get(0))?))
            .unwrap();
        assert!(stored.starts_with("$argon2id$"), "argon2id PHC string");
        assert!(!stored.contains("correct horse"));
        let u = verify(&s, "asha.sup", "correct horse 1").unwrap().unwrap();
        assert_eq!(u.districts, BTreeSet::from([101]));
        assert_eq!(u.reach(), Reach::Districts(BTreeSet::from([101])));
        assert_eq!(verify(&s, "nobody", "x").unwrap(), Err(LoginRefusal::Wrong));
        let token = start_session(&s, &u, "127.0.0.1 test").unwrap();
        let sess = session(&s, &token).unwrap().unwrap();
        assert_eq!(sess.user.username, "asha.sup");
        assert!(sess.csrf.len() >= 40);
        assert!(session(&s, "forged").unwrap().is_none());
        for _ in 0..LOCK_AFTER {
            assert_eq!(
                verify(&s, "asha.sup", "wrong password").unwrap(),
                Err(LoginRefusal::Wrong)
            );
        }
        // Locked now: even the right password waits.
        assert_eq!(
            verify(&s, "asha.sup", "correct horse 1").unwrap(),
            Err(LoginRefusal::Locked)
        );
        // A new password unlocks and ends sessions.
        assert!(set_password(&s, "asha.sup", "another horse 9").unwrap());
        assert!(session(&s, &token).unwrap().is_none());
        assert!(verify(&s, "asha.sup", "another horse 9").unwrap().is_ok());
        end_session(&s, "anything").unwrap();
    }
}
