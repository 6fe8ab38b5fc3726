-- 003_placement: how many times records moved into each village from elsewhere.
--
-- A tablet's scope is judged against where records are now. When a member moves into a village
-- from another one, tablets of the new village lack its history (it was out of their scope), so
-- the village's epoch goes up; it is part of the scope hash, and a changed hash makes the hub
-- send the tablet its scope again (duplicates are skipped). Cross-village moves are rare.
CREATE TABLE placement_epochs (
    village BLOB PRIMARY KEY NOT NULL,
    epoch   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
