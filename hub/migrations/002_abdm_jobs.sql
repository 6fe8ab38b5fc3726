-- hub 002: the ABDM bridge's job queue (hub/src/bridge/). One row per enrolment request the hub
-- works on. The request's state that tablets see lives in the replicated `enrollments` table;
-- this table holds what only the hub needs: when to try next, how often it tried, whether an
-- earlier try may have reached ABDM. Rows are kept after the outcome, as the audit of calls.
CREATE TABLE abdm_jobs (
    enrollment_id BLOB PRIMARY KEY NOT NULL,
    member_id     BLOB NOT NULL,
    route         TEXT NOT NULL,               -- 'demo_auth'
    status        TEXT NOT NULL,               -- waiting (no sealed number yet) | ready | submitting | done
    attempts      INTEGER NOT NULL DEFAULT 0,  -- calls made to ABDM
    next_at       INTEGER NOT NULL DEFAULT 0,  -- earliest next try (Unix ms)
    last_code     TEXT,                        -- reason code of the last non-success
    ambiguous     INTEGER NOT NULL DEFAULT 0,  -- a try timed out or failed after sending
    outcome       TEXT,                        -- final enrolment state code
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX abdm_jobs_due ON abdm_jobs (status, next_at);
