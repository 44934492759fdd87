-- Images staged for a platform that fetches them itself (Instagram), shared by every process on the
-- database: the worker stages them, whichever web process Instagram reaches serves them. Only a keyed
-- hash of the URL token is kept, never the token; the bytes are sealed. Rows are deleted after
-- publishing and purged once expired.
CREATE TABLE staged_media (
    token_hash BYTEA PRIMARY KEY,
    sealed BYTEA NOT NULL,
    mime TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX staged_media_expires ON staged_media (expires_at);
