-- PostgreSQL 001: the replica (change sets, coverage, record states) and the device registry.
--
-- The same data as the SQLite store's core schema and hub 001, for a state hub
-- (hub/src/storage/pg). Records keep only their merge state and the columns placement needs
-- (village, household, member): the merge state is the whole record, so read tables can be
-- derived from it by a later migration without any data from tablets.

CREATE TABLE replica_meta (
    id             SMALLINT PRIMARY KEY CHECK (id = 1),
    replica        BIGINT NOT NULL,
    hlc_observed   BIGINT NOT NULL DEFAULT 0,
    coverage_scope BYTEA,
    sealing_key_id TEXT,
    created_at     BIGINT NOT NULL
);

-- One row per change set (ADR 0003), exactly as stored by SQLite.
CREATE TABLE changes (
    origin      BIGINT NOT NULL,
    first_seq   BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL,
    hlc         BIGINT NOT NULL,
    ops         BYTEA NOT NULL,
    digest      BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (origin, first_seq)
);
CREATE UNIQUE INDEX changes_by_last ON changes (origin, last_seq);

CREATE TABLE coverage (
    origin BIGINT PRIMARY KEY,
    seq    BIGINT NOT NULL
);

CREATE TABLE placement_epochs (
    village BYTEA PRIMARY KEY,
    epoch   BIGINT NOT NULL
);

-- Keyed by kind and id, as SQLite keeps one table per kind.
CREATE TABLE entities (
    kind         SMALLINT NOT NULL,
    id           BYTEA NOT NULL,
    merge        BYTEA NOT NULL,
    deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    village_id   BYTEA,
    household_id BYTEA,
    member_id    BYTEA,
    PRIMARY KEY (kind, id)
);
CREATE INDEX entities_by_household ON entities (household_id) WHERE household_id IS NOT NULL;

CREATE TABLE conflicts (
    entity      BYTEA NOT NULL,
    field       TEXT NOT NULL,
    kind        SMALLINT NOT NULL,
    candidates  BYTEA NOT NULL,
    detected_at BIGINT NOT NULL,
    PRIMARY KEY (entity, field)
);

-- Sealed Aadhaar numbers handed in (ciphertext only; opened only by the ABDM bridge).
CREATE TABLE sealed (
    member          BYTEA PRIMARY KEY,
    ciphertext      BYTEA NOT NULL,
    key_id          TEXT NOT NULL,
    sealed_at       BIGINT NOT NULL,
    spent_sealed_at BIGINT
);

CREATE TABLE hub_devices (
    id                TEXT PRIMARY KEY,
    label             TEXT,
    role              TEXT NOT NULL,
    token_hash        BYTEA NOT NULL UNIQUE,
    created_at        BIGINT NOT NULL,
    revoked_at        BIGINT,
    last_seen_at      BIGINT,
    app_version       TEXT,
    pending_changes   BIGINT,
    pending_ops       BIGINT,
    pending_oldest_at BIGINT,
    clock_skew_ms     BIGINT,
    camp              TEXT
);

CREATE TABLE hub_device_replicas (
    replica   BIGINT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES hub_devices (id)
);

CREATE TABLE hub_device_villages (
    device_id  TEXT NOT NULL REFERENCES hub_devices (id),
    village_id BYTEA NOT NULL,
    PRIMARY KEY (device_id, village_id)
);

CREATE TABLE hub_codes (
    code_hash  BYTEA PRIMARY KEY,
    role       TEXT NOT NULL,
    villages   BYTEA NOT NULL,
    label      TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    used_by    TEXT,
    camp       TEXT
);
