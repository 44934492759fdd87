-- Secrets of publishing-network channels (Mastodon, Bluesky, …) entered in the admin UI, sealed with
-- the configuration-secrets key. Network channels live only in the configuration file, so they are
-- keyed by municipality and channel name rather than by a row of `channels`.
CREATE TABLE network_secrets (
    municipality_id BIGINT NOT NULL REFERENCES municipalities(id),
    channel_name TEXT NOT NULL,
    name TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (municipality_id, channel_name, name)
);
