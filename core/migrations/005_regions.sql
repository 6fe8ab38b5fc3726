-- 005_regions: LGD state, district and sub-district masters (read table of EntityKind::Region).
--
-- The hub fetches them from ABDM when online and they reach every tablet by sync (global
-- records, like workers), so forms offer real codes offline. Until the first sync a tablet uses
-- the snapshot bundled in the app (core/src/model/lgd.rs). Ids derive from (level, code).
CREATE TABLE regions (
    pk          INTEGER PRIMARY KEY,  -- local storage order
    id          BLOB NOT NULL UNIQUE,
    level       TEXT,     -- 'state' | 'district' | 'subdistrict'
    code        INTEGER,  -- LGD code
    parent_code INTEGER,  -- the state of a district, the district of a sub-district
    name        TEXT,
    merge   BLOB NOT NULL,  -- merge metadata (core/src/oplog/merge.rs)
    deleted     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX regions_by_parent ON regions (level, parent_code);
