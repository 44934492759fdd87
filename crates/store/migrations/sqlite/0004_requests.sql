-- Data-subject requests (Art. 15, 17, 20) with their legal deadline, and one-time download links for exports.
CREATE TABLE data_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    citizen_id INTEGER,
    pseudonym TEXT NOT NULL,
    kind TEXT NOT NULL,
    via TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    completed_at INTEGER
);
CREATE INDEX data_requests_open ON data_requests (municipality_id, completed_at, due_at);

CREATE TABLE export_links (
    token_hash BLOB PRIMARY KEY,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    citizen_id INTEGER NOT NULL,
    request_id INTEGER,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
