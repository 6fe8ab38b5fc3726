-- 006_reviews: supervisors' decisions (read table of EntityKind::Review).
--
-- Each decision is its own record, never edited: sending an ABHA request back to the worker
-- with a note, dismissing it with a reason, retrying it, or deciding that two members are the
-- same person (merge) or different people (distinct). They sync like any record, to the tablets
-- of the member's village, so a worker reads the note where the request is shown.
CREATE TABLE reviews (
    pk              INTEGER PRIMARY KEY,  -- local storage order
    id              BLOB NOT NULL UNIQUE,
    member_id       BLOB,     -- the member the decision is about (placement)
    subject_id      BLOB,     -- the record decided on: an enrolment, or the member merged away
    action          TEXT,     -- 'send_back' | 'dismiss' | 'retry' | 'merge' | 'distinct'
    other_member_id BLOB,     -- merge: the member kept; distinct: the other member
    reason_code     TEXT,     -- dismiss: a reason code from a fixed list
    note            TEXT,     -- free text for the worker (send back), at most 500 characters
    decided_by      TEXT,     -- the supervisor's user name at the hub
    decided_at      INTEGER,
    merge   BLOB NOT NULL,  -- merge metadata (core/src/oplog/merge.rs)
    deleted         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX reviews_by_member ON reviews (member_id);
CREATE INDEX reviews_by_subject ON reviews (subject_id);

-- The capture-time duplicate check (core/src/dedup) looks members up by mobile number.
CREATE INDEX members_by_mobile ON members (mobile) WHERE mobile IS NOT NULL;
