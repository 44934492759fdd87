-- Erasure records (Art. 17): only the keyed hash of the platform id and the time, so an erasure can be
-- replayed after restoring an older backup without keeping anything about the person.
CREATE TABLE erasures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    channel_id INTEGER NOT NULL,
    lookup_hash BLOB NOT NULL,
    requested_by TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX erasures_by_time ON erasures (at);

-- Leases for periodic work that only one instance may run at a time (retention purge).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_at INTEGER NOT NULL
);
