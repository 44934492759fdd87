-- Per-citizen ordering of inbound events across workers: a job waits while an earlier job with the same
-- order key (keyed hash of channel and sender) is still ready or running.
ALTER TABLE jobs ADD COLUMN order_key BYTEA;
CREATE INDEX jobs_order ON jobs (order_key, seq);
