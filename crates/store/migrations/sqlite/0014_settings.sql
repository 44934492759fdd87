-- Settings edited in the admin UI. They override the configuration file section by section (the
-- database wins); `settings_state.version` is raised on every change so other processes rebuild.

CREATE TABLE settings_overrides (
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    section TEXT NOT NULL,
    value_json TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (municipality_id, section)
);

-- Channel credentials entered in the admin UI, sealed with the configuration-secrets key.
CREATE TABLE channel_secrets (
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    name TEXT NOT NULL,
    sealed BLOB NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (channel_id, name)
);

-- One row: the settings version and the hash of the configuration file's effective settings last seen.
CREATE TABLE settings_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    file_hash TEXT
);
INSERT INTO settings_state (id, version, file_hash) VALUES (1, 0, NULL);
