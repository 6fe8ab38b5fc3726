-- hub 001: the device registry (hub/src/registry.rs). Secrets are stored as SHA-256 hashes only.

CREATE TABLE hub_devices (
    id                TEXT PRIMARY KEY NOT NULL,  -- UUIDv7
    label             TEXT,                       -- asset tag or camp name; no personal data
    role              TEXT NOT NULL,              -- worker | organiser | supervisor | admin | hub
    token_hash        BLOB NOT NULL UNIQUE,       -- sha256 of the bearer token
    created_at        INTEGER NOT NULL,
    revoked_at        INTEGER,
    last_seen_at      INTEGER,
    app_version       TEXT,
    pending_changes   INTEGER,                    -- unsynced work the device reported at hello
    pending_ops       INTEGER,
    pending_oldest_at INTEGER,
    clock_skew_ms     INTEGER                     -- device clock minus hub clock
) STRICT;

-- Store replica ids each device may author ops as.
CREATE TABLE hub_device_replicas (
    replica   INTEGER PRIMARY KEY NOT NULL,
    device_id TEXT NOT NULL
) STRICT;

-- Villages a device may receive (its sync scope).
CREATE TABLE hub_device_villages (
    device_id  TEXT NOT NULL,
    village_id BLOB NOT NULL,
    PRIMARY KEY (device_id, village_id)
) STRICT, WITHOUT ROWID;

-- One-time enrolment codes.
CREATE TABLE hub_codes (
    code_hash  BLOB PRIMARY KEY NOT NULL,  -- sha256 of the normalised code
    role       TEXT NOT NULL,
    villages   BLOB NOT NULL,              -- postcard list of village ids
    label      TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    used_by    TEXT
) STRICT, WITHOUT ROWID;
