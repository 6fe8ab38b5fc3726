-- 002_sync: what this replica knows of others, for version-vector sync.

-- coverage(origin) = n: this replica holds every change set of `origin` up to sequence n that
-- falls within its scope (a device's villages; everything for a full hub). Raised when pushed
-- change sets extend it contiguously, or when a peer vouches for a range in a pull reply.
-- The replica's own origin is not listed: its own change sets say how far it is.
CREATE TABLE coverage (
    origin INTEGER PRIMARY KEY NOT NULL,
    seq    INTEGER NOT NULL
) STRICT;

-- One row per peer this replica syncs with (a tablet's hub, a camp hub's upstream).
CREATE TABLE sync_peers (
    peer            TEXT PRIMARY KEY NOT NULL,  -- the peer's base URL or name
    peer_replica    INTEGER,                    -- its replica id, once known
    scope_hash      BLOB,                       -- the scope the peer serves us under
    last_attempt_at INTEGER,
    last_success_at INTEGER,
    last_error      TEXT,                       -- machine code of the last failure
    clock_offset_ms INTEGER                     -- peer time minus our time at the last hello
) STRICT, WITHOUT ROWID;
