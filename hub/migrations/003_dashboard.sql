-- hub 003: the supervisors' dashboard (hub/src/users.rs, hub/src/audit.rs, hub/src/review/).

-- People who sign in to the dashboard: organisers and supervisors (and administrators). Passwords
-- are stored as argon2id PHC strings only.
CREATE TABLE hub_users (
    id            TEXT PRIMARY KEY NOT NULL,  -- UUIDv7
    username      TEXT NOT NULL UNIQUE,       -- lower case, [a-z0-9._-]
    display_name  TEXT,                       -- shown in the audit log
    role          TEXT NOT NULL,              -- organiser | supervisor | admin
    password_hash TEXT NOT NULL,              -- argon2id PHC string
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER,
    failed_logins INTEGER NOT NULL DEFAULT 0, -- consecutive failures (slows guessing)
    locked_until  INTEGER
) STRICT;

-- Districts (LGD codes) a user may see. None: every district (state-level users).
CREATE TABLE hub_user_districts (
    user_id       TEXT NOT NULL,
    district_code INTEGER NOT NULL,
    PRIMARY KEY (user_id, district_code)
) STRICT, WITHOUT ROWID;

-- Signed-in browsers. Only the SHA-256 of the cookie value is kept.
CREATE TABLE hub_sessions (
    token_hash  BLOB PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL,
    csrf        TEXT NOT NULL,     -- the form token of this session
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    client      TEXT               -- address and browser it signed in from
) STRICT, WITHOUT ROWID;

-- Every supervisor action, append-only: the triggers refuse updates and deletes.
CREATE TABLE hub_audit (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,     -- Unix ms
    actor    TEXT NOT NULL,        -- user name, or device id for API tokens
    role     TEXT NOT NULL,
    action   TEXT NOT NULL,        -- e.g. 'enrollment.send_back', 'member.merge', 'login'
    subject  TEXT,                 -- opaque id of the record acted on
    detail   TEXT,                 -- JSON of codes and ids; never names, numbers or dates of birth
    client   TEXT                  -- address and browser (or device id) it came from
) STRICT;
CREATE TRIGGER hub_audit_no_update BEFORE UPDATE ON hub_audit
BEGIN SELECT RAISE(ABORT, 'hub_audit is append-only'); END;
CREATE TRIGGER hub_audit_no_delete BEFORE DELETE ON hub_audit
BEGIN SELECT RAISE(ABORT, 'hub_audit is append-only'); END;

-- Target population per village (imported from CSV), for coverage.
CREATE TABLE hub_targets (
    village_code INTEGER PRIMARY KEY NOT NULL,  -- LGD village code
    target       INTEGER NOT NULL,              -- people to enrol
    imported_at  INTEGER NOT NULL,
    imported_by  TEXT NOT NULL
) STRICT;

-- Camp a device works at (for the day-end report of one camp).
ALTER TABLE hub_devices ADD COLUMN camp TEXT;
ALTER TABLE hub_codes ADD COLUMN camp TEXT;
