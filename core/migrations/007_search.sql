-- 007_search: the member name search (store/queries.rs, search_members).
--
-- A name search is a contains-match (`LIKE '%q%'`), which no B-tree can seek; what it can do is
-- scan an index that holds only the four name columns instead of the members table, whose rows
-- (~680 bytes) are mostly merge state and sealed Aadhaar. At 50 000 members a search nobody
-- matches read 34 MB through a 2 MB page cache (61-104 ms); over this index it reads a few MB
-- (docs/performance.md). `deleted` is in the index so the filter needs no table row either.
CREATE INDEX members_names ON members (given_name, middle_name, family_name, name_latin, deleted);

-- Scanning an ABHA card first looks for the member who already holds that ABHA
-- (store/queries.rs, members_with_abha); numbers have an index since 001, addresses get one here.
CREATE INDEX members_by_abha_address ON members (abha_address COLLATE NOCASE)
    WHERE abha_address IS NOT NULL;
