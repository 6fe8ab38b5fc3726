-- hub 004: Scan and Share (hub/src/share/). One row per token issued at a counter: the token and
-- the profile the person shared with it. A rescan by the same ABHA address at the same counter
-- within the token's validity updates the row (same token); after it a new row gets the next
-- number. Numbers start at 1 per counter per day (India Standard Time). Hub-local: never
-- replicated; a worker turns a profile into a member on the tablet, which syncs as any capture.
CREATE TABLE hub_shares (
    id           TEXT PRIMARY KEY NOT NULL,       -- UUIDv7, the id tablets accept or dismiss by
    day          TEXT NOT NULL,                   -- IST date the number belongs to (YYYY-MM-DD)
    counter      TEXT NOT NULL,                   -- counter id of the QR scanned (metaData.context)
    number       INTEGER NOT NULL,                -- token number at that counter that day, from 1
    abha_address TEXT NOT NULL,                   -- lower case: the rescan key
    issued_at    INTEGER NOT NULL,                -- Unix ms
    expires_at   INTEGER NOT NULL,                -- issued_at + validity (a rescan does not extend it)
    received_at  INTEGER NOT NULL,                -- last share (a rescan refreshes the profile)
    request_id   TEXT NOT NULL,                   -- REQUEST-ID of the last share
    profile      TEXT NOT NULL,                   -- the shared patient, normalised JSON
    reply        TEXT,                            -- on-share outcome: 'sent' or a reason code
    status       TEXT NOT NULL DEFAULT 'pending', -- pending | accepted | dismissed
    handled_at   INTEGER,
    handled_by   TEXT,                            -- device id
    member_id    TEXT,                            -- the member it became, if the tablet said
    UNIQUE (day, counter, number)
) STRICT;
CREATE INDEX hub_shares_rescan ON hub_shares (counter, abha_address, day);
CREATE INDEX hub_shares_status ON hub_shares (status, received_at);
CREATE INDEX hub_shares_issued ON hub_shares (issued_at);
