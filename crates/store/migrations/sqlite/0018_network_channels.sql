-- Publishing-network channels (Mastodon, Bluesky, …) added in the admin UI; the configuration file's
-- channels are not stored here. The non-secret fields are kept as JSON in the shape of the
-- configuration table (e.g. {"instance": "https://…"}); the channel's secret is sealed in
-- network_secrets under the same municipality and name, never here.
CREATE TABLE network_channels (
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    fields_json TEXT NOT NULL,
    profile_url TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (municipality_id, name)
);
