-- 001_init: the first schema of a device or hub store.
--
-- Two layers live in one file:
--  * the op log (`changes`) and the outbox: the durable history that sync exchanges;
--  * read tables (villages, households, members, ...): the current merged state the apps query,
--    updated in the same transaction as the ops that change them.
-- Ids are 16-byte UUID BLOBs. Times are Unix milliseconds. Column names of the read tables equal
-- the field names in core/src/oplog/schema.rs.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,  -- 'replica_id', 'hlc_observed', 'created_at', ...
    value ANY
) STRICT, WITHOUT ROWID;

-- The op log, one row per change set: the ops of one transaction of one replica, which share a
-- hybrid logical timestamp and take consecutive sequence numbers first_seq..=last_seq.
CREATE TABLE changes (
    local_order INTEGER PRIMARY KEY, -- arrival order here (rowid: appends stay cheap)
    origin      INTEGER NOT NULL,  -- author replica id
    first_seq   INTEGER NOT NULL,  -- author's sequence number of the first op (dense from 1)
    last_seq    INTEGER NOT NULL,
    hlc         INTEGER NOT NULL,  -- packed hybrid logical clock (wall_ms << 16 | counter)
    ops         BLOB    NOT NULL,  -- postcard-encoded ops (core/src/oplog/changeset.rs)
    digest      BLOB    NOT NULL,  -- 16-byte digest of the op ids: identity and integrity
    received_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX changes_by_origin ON changes (origin, first_seq);

-- Identity fields whose concurrent writes disagree: one row per (entity, field) until a later
-- write that saw all candidates settles it. Derived from the ops, so every replica agrees.
CREATE TABLE conflicts (
    entity      BLOB    NOT NULL,
    kind        INTEGER NOT NULL,
    field       TEXT    NOT NULL,
    candidates  BLOB    NOT NULL,  -- postcard-encoded heads (op id, stamp, value)
    detected_at INTEGER NOT NULL,
    PRIMARY KEY (entity, field)
) STRICT, WITHOUT ROWID;

-- One row per local change set the hub has not yet acknowledged. Written in the same
-- transaction as the ops; deleted only when the hub acknowledges `last_seq`. Never deleted for
-- any other reason: a row that keeps failing is marked wedged and shown to the user.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,  -- local order
    first_seq   INTEGER NOT NULL,     -- this replica's ops first_seq..=last_seq
    last_seq    INTEGER NOT NULL,
    label       TEXT    NOT NULL,     -- what the change was, e.g. 'household.create' (no personal data)
    entity      BLOB,                 -- main entity touched
    created_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,                 -- machine code of the last failure
    wedged_at   INTEGER
) STRICT;

CREATE TABLE villages (
    pk      INTEGER PRIMARY KEY,  -- local storage order (rowid: appends stay cheap)
    id               BLOB NOT NULL UNIQUE,
    state_code       INTEGER,
    district_code    INTEGER,
    subdistrict_code INTEGER,
    village_code     INTEGER,
    name             TEXT,
    merge   BLOB NOT NULL,  -- merge metadata (core/src/oplog/merge.rs)
    deleted          INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX villages_by_code ON villages (village_code);

CREATE TABLE households (
    pk      INTEGER PRIMARY KEY,  -- local storage order (rowid: appends stay cheap)
    id             BLOB NOT NULL UNIQUE,
    village_id     BLOB,
    code           TEXT,     -- short printable code, e.g. 'K3M9-QXD7'
    address        TEXT,
    pincode        TEXT,
    lat_e6         INTEGER,  -- microdegrees
    lon_e6         INTEGER,
    head_member_id BLOB,
    created_by     BLOB,
    created_at     INTEGER,
    merge   BLOB NOT NULL,  -- merge metadata (core/src/oplog/merge.rs)
    deleted        INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX households_by_village ON households (village_id);
CREATE INDEX households_by_code ON households (code);

CREATE TABLE members (
    pk      INTEGER PRIMARY KEY,  -- local storage order (rowid: appends stay cheap)
    id            BLOB NOT NULL UNIQUE,
    household_id  BLOB,     -- household of the latest live membership (entity_state holds the set)
    given_name    TEXT,
    middle_name   TEXT,
    family_name   TEXT,
    name_latin    TEXT,
    gender        TEXT,     -- 'M' | 'F' | 'O'
    birth_date    TEXT,     -- 'YYYY-MM-DD' or 'YYYY'
    mobile        TEXT,
    relation      TEXT,
    aadhaar_last4 TEXT,
    aadhaar_token BLOB,     -- 16 bytes of HMAC-SHA256 under the deployment key; never the number
    -- The sealed Aadhaar (RSA-OAEP-SHA1 ciphertext) is device-local, not an op: it travels to the
    -- hub by its own path and is wiped once ABDM has answered (NHA rule), leaving last4 + token.
    aadhaar_ciphertext BLOB,
    aadhaar_key_id     TEXT,     -- fingerprint of the public key it was sealed to
    aadhaar_sealed_at  INTEGER,
    abha_number   TEXT,
    abha_address  TEXT,
    created_by    BLOB,
    created_at    INTEGER,
    merge   BLOB NOT NULL,  -- merge metadata (core/src/oplog/merge.rs)
    deleted       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX members_by_household ON members (household_id);
CREATE INDEX members_by_token ON members (aadhaar_token) WHERE aadhaar_token IS NOT NULL;
CREATE INDEX members_by_abha ON members (abha_number) WHERE abha_number IS NOT NULL;

CREATE TABLE workers (
    pk      INTEGER PRIMARY KEY,  -- local storage order (rowid: appends stay cheap)
    id      BLOB NOT NULL UNIQUE,
    asha_id TEXT,
    hpr_id  TEXT,
    name    TEXT,
    merge   BLOB NOT NULL,  -- merge metadata (core/src/oplog/merge.rs)
    deleted INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE facilities (
    pk      INTEGER PRIMARY KEY,  -- local storage order (rowid: appends stay cheap)
    id      BLOB NOT NULL UNIQUE,
    hfr_id  TEXT,
    name    TEXT,
    kind    TEXT,  -- 'camp' | 'facility'
    merge   BLOB NOT NULL,  -- merge metadata (core/src/oplog/merge.rs)
    deleted INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE consents (
    pk      INTEGER PRIMARY KEY,  -- local storage order (rowid: appends stay cheap)
    id            BLOB NOT NULL UNIQUE,
    member_id     BLOB,
    code          TEXT,     -- 'abha-enrollment'
    version       TEXT,
    language      TEXT,     -- BCP 47
    given_by      TEXT,     -- 'self' | 'guardian'
    guardian_name TEXT,
    method        TEXT,     -- 'checkbox' | 'thumbprint' | 'signature' | 'verbal'
    operator_id   BLOB,
    given_at      INTEGER,
    text_sha256   TEXT,     -- hex digest of the exact text shown
    merge   BLOB NOT NULL,  -- merge metadata (core/src/oplog/merge.rs)
    deleted       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX consents_by_member ON consents (member_id);

CREATE TABLE enrollments (
    pk      INTEGER PRIMARY KEY,  -- local storage order (rowid: appends stay cheap)
    id           BLOB NOT NULL UNIQUE,
    member_id    BLOB,
    route        TEXT,     -- 'demo_auth' | 'aadhaar_otp' | 'link_existing'
    state        TEXT,
    consent_id   BLOB,
    attempt_of   BLOB,     -- the earlier attempt this corrects
    reason_code  TEXT,
    abha_number  TEXT,
    abha_address TEXT,
    created_by   BLOB,
    created_at   INTEGER,
    merge   BLOB NOT NULL,  -- merge metadata (core/src/oplog/merge.rs)
    deleted      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX enrollments_by_member ON enrollments (member_id);
CREATE INDEX enrollments_by_state ON enrollments (state);
