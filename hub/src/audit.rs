//! The append-only audit log of supervisor and organiser actions.
//!
//! Who (user name or device id, and role), when, what (an action code and the opaque id of the
//! record), from where (address and browser, or device), and a JSON detail of codes and ids.
//! Never names, numbers or dates of birth: a note a supervisor writes travels to the tablet as
//! data, and the log records only that a note was sent and its length. SQLite triggers refuse
//! any update or delete of the table (`hub/migrations/003_dashboard.sql`).

use abha_core::store::{Store, StoreError};
use rusqlite::params;
use serde::Serialize;

/// Who acted, from where.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User name, or device id for API tokens.
    pub name: String,
    /// Role code.
    pub role: String,
    /// Address and browser, or `device:<id>`.
    pub client: String,
}

/// One entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Order.
    pub id: i64,
    /// Unix ms.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// Their role.
    pub role: String,
    /// What.
    pub action: String,
    /// Record acted on.
    pub subject: Option<String>,
    /// Codes and ids.
    pub detail: Option<serde_json::Value>,
    /// From where.
    pub client: Option<String>,
}

/// Appends an entry inside an open transaction (with the action it records).
pub fn append_tx(
    tx: &rusqlite::Connection,
    actor: &Actor,
    action: &str,
    subject: Option<&str>,
    detail: &serde_json::Value,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO hub_audit (at, actor, role, action, subject, detail, client)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        crate::review::now_ms(),
        actor.name,
        actor.role,
        action,
        subject,
        detail.to_string(),
        actor.client.chars().take(200).collect::<String>(),
    ])?;
    Ok(())
}

/// Appends an entry in its own transaction.
pub fn append(
    store: &Store,
    actor: &Actor,
    action: &str,
    subject: Option<&str>,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    store.extension_write(|tx| Ok(append_tx(tx, actor, action, subject, detail)?))
}

/// The latest `limit` entries, newest first, optionally of one actor.
pub fn list(store: &Store, actor: Option<&str>, limit: u32) -> Result<Vec<Entry>, StoreError> {
    store.read(|c| {
        let mut st = c.prepare_cached(
            "SELECT id, at, actor, role, action, subject, detail, client FROM hub_audit
              WHERE ?1 IS NULL OR actor = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![actor, limit], |r| {
            Ok(Entry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                role: r.get(3)?,
                action: r.get(4)?,
                subject: r.get(5)?,
                detail: r
                    .get::<_, Option<String>>(6)?
                    .and_then(|d| serde_json::from_str(&d).ok()),
                client: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use abha_core::store::{StoreKey, StoreOptions};

    #[test]
    fn test_log_is_append_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_with(
            dir.path().join("hub.db"),
            &StoreKey::random(),
            StoreOptions {
                extensions: vec![crate::registry::EXTENSION],
                ..Default::default()
            },
        )
        .unwrap();
        let a = Actor {
            name: "sup".into(),
            role: "supervisor".into(),
            client: "127.0.0.1".into(),
        };
        append(&s, &a, "login", None, &serde_json::json!({})).unwrap();
        append(
            &s,
            &a,
            "enrollment.retry",
            Some("x"),
            &serde_json::json!({"k": 1}),
        )
        .unwrap();
        let got = list(&s, None, 10).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].action, "enrollment.retry");
        let upd = s.extension_write(|tx| Ok(tx.execute("UPDATE hub_audit SET actor = 'x'", [])?));
        assert!(upd.is_err(), "updates refused");
        let del = s.extension_write(|tx| Ok(tx.execute("DELETE FROM hub_audit", [])?));
        assert!(del.is_err(), "deletes refused");
        assert_eq!(list(&s, Some("sup"), 10).unwrap().len(), 2);
    }
}
