-- Tamper-evident audit log: each entry's MAC covers the previous entry's MAC (a hash chain under a key
-- derived from the master key). Purged entries leave a signed checkpoint so verification still works.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    municipality_id INTEGER,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    ip TEXT,
    details TEXT,
    mac BLOB NOT NULL
);
CREATE INDEX audit_by_municipality ON audit_log (municipality_id, at);

CREATE TABLE audit_checkpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id INTEGER NOT NULL,
    mac BLOB NOT NULL,
    signature BLOB NOT NULL,
    at INTEGER NOT NULL
);
