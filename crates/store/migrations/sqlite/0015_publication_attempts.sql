-- Publishing to networks: what Rathaus knows about each (post, channel) attempt, so a post is never made twice.
-- The attempt is recorded (with its idempotency key) before the platform is called, the result after;
-- a row left in 'sending' means the outcome is unknown and must be resolved before trying again.

-- Opaque id of the post on the platform (adapter-defined), for edit and delete.
ALTER TABLE post_publications ADD COLUMN remote_id TEXT;
-- Sent with every attempt for this (post, channel); the same across retries and restarts.
ALTER TABLE post_publications ADD COLUMN idempotency_key TEXT;
-- When the first attempt was started (the platform's idempotency window counts from here).
ALTER TABLE post_publications ADD COLUMN first_attempt_at INTEGER;
ALTER TABLE post_publications ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
-- What happened after publishing (edited, deleted, or why that was not possible there), in plain words.
ALTER TABLE post_publications ADD COLUMN note TEXT;
