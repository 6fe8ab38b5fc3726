//! Numbered schema migrations.
//!
//! Each migration is a SQL file in `core/migrations/`, applied in order. The schema version is
//! SQLite's `PRAGMA user_version`. Every step v→v+1 runs inside one `BEGIN IMMEDIATE`
//! transaction together with the version bump, so a crash leaves either the old or the new
//! schema, never a half-applied one. A file whose version is newer than this code is refused and
//! left untouched. Migrations may add and reshape, but must never delete unsynced data (ops,
//! outbox rows): see `core/migrations/NOTES.md`.

use rusqlite::{Connection, OptionalExtension};

use super::error::{Result, StoreError};

/// The migrations, index 0 is version 1.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/001_init.sql"),
    include_str!("../../migrations/002_sync.sql"),
    include_str!("../../migrations/003_placement.sql"),
    include_str!("../../migrations/004_sealed_handoff.sql"),
    include_str!("../../migrations/005_regions.sql"),
    include_str!("../../migrations/006_reviews.sql"),
    include_str!("../../migrations/007_search.sql"),
];

/// The schema version this code writes.
pub const LATEST_VERSION: u32 = MIGRATIONS.len() as u32;

/// Reads the file's schema version.
pub(crate) fn current_version(conn: &Connection) -> Result<u32> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    u32::try_from(v).map_err(|_| StoreError::InvalidData("user_version"))
}

/// Refuses files newer than this code. Must run before anything writes to the file.
pub(crate) fn check_version(conn: &Connection) -> Result<u32> {
    let found = current_version(conn)?;
    if found > LATEST_VERSION {
        return Err(StoreError::IncompatibleVersion {
            found,
            supported: LATEST_VERSION,
        });
    }
    Ok(found)
}

/// Brings the schema to [`LATEST_VERSION`], one transaction per step. `init` runs inside the
/// transaction that creates version 1 (to seed `meta`).
pub(crate) fn migrate(
    conn: &mut Connection,
    init: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
) -> Result<()> {
    let mut init = Some(init);
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Re-read inside the lock: another process may have migrated meanwhile.
        let v = check_version(&tx)?;
        if v == LATEST_VERSION {
            return Ok(());
        }
        let sql = MIGRATIONS[v as usize];
        tx.execute_batch(sql)?;
        if v == 0
            && let Some(f) = init.take()
        {
            f(&tx)?;
        }
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
        tracing::info!(from = v, to = v + 1, "store schema migrated");
    }
}

/// Tables owned by the program embedding the store (the hub), with their own numbered
/// migrations, tracked in `meta` under `schema:<name>` and applied with the same rules: one
/// transaction per step, a newer version refused.
#[derive(Debug, Clone, Copy)]
pub struct Extension {
    /// Name, e.g. `hub`.
    pub name: &'static str,
    /// The migrations, index 0 is version 1.
    pub migrations: &'static [&'static str],
}

/// Brings an extension's tables to its latest version.
pub(crate) fn migrate_extension(conn: &mut Connection, ext: &Extension) -> Result<()> {
    let key = format!("schema:{}", ext.name);
    let latest = ext.migrations.len() as u32;
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let v: i64 = tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [&key], |r| {
                r.get(0)
            })
            .optional()?
            .unwrap_or(0);
        let v = u32::try_from(v).map_err(|_| StoreError::InvalidData("extension version"))?;
        if v > latest {
            return Err(StoreError::IncompatibleVersion {
                found: v,
                supported: latest,
            });
        }
        if v == latest {
            return Ok(());
        }
        tx.execute_batch(ext.migrations[v as usize])?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            rusqlite::params![key, v + 1],
        )?;
        tx.commit()?;
        tracing::info!(
            extension = ext.name,
            from = v,
            to = v + 1,
            "extension schema migrated"
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_migrations_apply_in_order_and_are_idempotent() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c, |_| Ok(())).unwrap();
        assert_eq!(current_version(&c).unwrap(), LATEST_VERSION);
        migrate(&mut c, |_| panic!("init must run only on creation")).unwrap();
        let n: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'outbox'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn test_newer_schema_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", LATEST_VERSION + 1)
            .unwrap();
        let err = migrate(&mut c, |_| Ok(())).unwrap_err();
        assert!(matches!(
            err,
            StoreError::IncompatibleVersion { found, supported }
                if found == LATEST_VERSION + 1 && supported == LATEST_VERSION
        ));
    }

    #[test]
    fn test_failed_step_rolls_back_whole_step() {
        let mut c = Connection::open_in_memory().unwrap();
        let err = migrate(&mut c, |_| Err(StoreError::InvalidData("boom"))).unwrap_err();
        assert!(matches!(err, StoreError::InvalidData("boom")));
        assert_eq!(current_version(&c).unwrap(), 0);
        let n: i64 = c
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "no table of the failed step may remain");
    }
}
