-- Foundation schema (SQLite). Times are INTEGER unix milliseconds. Every *_enc column holds AES-256-GCM
-- ciphertext bound to (table, column, row id); *_hash columns hold keyed HMAC-SHA256 values.

CREATE TABLE municipalities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    external_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, external_id),
    UNIQUE (municipality_id, kind, name)
);

CREATE TABLE privacy_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    version TEXT NOT NULL,
    url TEXT NOT NULL,
    notice_text TEXT,
    first_in_force_at INTEGER NOT NULL,
    UNIQUE (municipality_id, version)
);

CREATE TABLE citizens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    lookup_hash BLOB NOT NULL,
    wrapped_key BLOB NOT NULL,
    platform_id_enc BLOB NOT NULL,
    phone_enc BLOB,
    display_name_enc BLOB,
    pseudonym TEXT NOT NULL,
    consent_given INTEGER NOT NULL,
    last_inbound_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (channel_id, lookup_hash)
);

CREATE TABLE consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    citizen_id INTEGER NOT NULL REFERENCES citizens(id),
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    action TEXT NOT NULL,
    notice_version TEXT NOT NULL,
    platform_message_id_enc BLOB,
    at INTEGER NOT NULL
);
CREATE INDEX consents_by_citizen ON consents (citizen_id, at);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    language TEXT NOT NULL DEFAULT 'de',
    created_at INTEGER NOT NULL
);

CREATE TABLE memberships (
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    role TEXT NOT NULL,
    PRIMARY KEY (staff_id, municipality_id)
);

CREATE TABLE concerns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    citizen_id INTEGER NOT NULL REFERENCES citizens(id),
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    status TEXT NOT NULL,
    assignee_id INTEGER REFERENCES staff(id),
    created_at INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE INDEX concerns_inbox ON concerns (municipality_id, status, last_activity_at);
CREATE INDEX concerns_by_citizen ON concerns (citizen_id, status);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    concern_id INTEGER NOT NULL REFERENCES concerns(id),
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    body_enc BLOB,
    author_id INTEGER REFERENCES staff(id),
    platform_message_hash BLOB,
    delivery_status TEXT,
    delivery_error TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (channel_id, platform_message_hash)
);
CREATE INDEX messages_by_concern ON messages (concern_id, id);

CREATE TABLE media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    message_id INTEGER NOT NULL REFERENCES messages(id),
    state TEXT NOT NULL,
    mime_type TEXT,
    byte_size INTEGER,
    filename_enc BLOB,
    content_enc BLOB,
    error TEXT
);
CREATE INDEX media_by_message ON media (message_id);

CREATE TABLE inbound_seen (
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    key_hash BLOB NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (municipality_id, key_hash)
);

CREATE TABLE counters (
    scope TEXT NOT NULL,
    name TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (scope, name, day)
);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER REFERENCES municipalities(id),
    kind TEXT NOT NULL,
    -- Arrival order: inbound events of one citizen must be handled in the order they came.
    seq INTEGER NOT NULL,
    payload_enc BLOB NOT NULL,
    state TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    lease_until INTEGER,
    leased_by TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX jobs_ready ON jobs (state, run_at, seq);
CREATE INDEX jobs_seq ON jobs (seq);

CREATE TABLE sessions (
    id_hash BLOB PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash BLOB NOT NULL UNIQUE,
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE TABLE setup_links (
    token_hash BLOB PRIMARY KEY,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
