-- 005_no_name_index: the hub keeps no member name index.
--
-- Core migration 007 adds `members_names` for the tablet's name search (a worker looking a
-- person up before registering them). The hub never searches members by name, and the index is
-- one more random B-tree insert for every member it ingests: measured at 50 tablets handing in
-- at once, ingest ran 218-236 k ops/s with it and 254 k ops/s without (docs/performance.md).
-- It is derived data (the read tables are rebuilt from the ops), so dropping it loses nothing;
-- `search_members` still answers here, by scanning the table.
DROP INDEX IF EXISTS members_names;
