-- Which master key opens this database, and the instance key under it.
--
-- The master key (key file or RATHAUS_MASTER_KEY) wraps the municipality keys and the instance key; the
-- instance key is the root of every purpose-bound sub-key (audit chain, TOTP secrets, recovery codes,
-- login throttling, configuration secrets). `rathaus keys rotate` re-wraps all of them under a new master
-- key in one transaction, so the audit chain and every sealed secret stay valid.
-- key_id is a keyed fingerprint of the master key (reveals nothing about it): startup names the key it
-- needs, and an interrupted rotation can be finished with the right file.
-- instance_from_master = 1 on databases that existed before this table: their instance key is their
-- first master key, so old derived data stays readable.
CREATE TABLE master_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_id TEXT NOT NULL,
    wrapped_instance_key BLOB NOT NULL,
    instance_from_master INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    rotated_at INTEGER
);
