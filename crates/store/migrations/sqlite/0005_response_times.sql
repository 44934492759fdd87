-- Response-time promises (issue 6). One row per first-response measurement (a concern, or a concern reopened
-- by staff): when the citizen's first waiting message came, when the answer was due, from when it counts as
-- near due, and the first staff reply. No content and no citizen: when a resolved concern is purged the row
-- stays (concern_id becomes NULL) so reports cover longer than the retention period; an erasure deletes it.
CREATE TABLE first_responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    concern_id INTEGER REFERENCES concerns(id) ON DELETE SET NULL,
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    -- Which target applied: 'consultation', 'office_hours' or 'otherwise'; its clock: 'wall_clock' or 'office_time'.
    situation TEXT NOT NULL,
    clock TEXT NOT NULL,
    -- Start of the consultation slot the message arrived in.
    slot_start INTEGER,
    started_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    near_due_at INTEGER NOT NULL,
    first_response_at INTEGER
);
CREATE INDEX first_responses_by_start ON first_responses (municipality_id, started_at);
CREATE INDEX first_responses_by_concern ON first_responses (concern_id);

-- The concern's running measurement, and the automatic consultation-hour answers it has had:
-- the one "outside the slot" answer, and the slot (its start) whose greeting it got last.
ALTER TABLE concerns ADD COLUMN response_id INTEGER;
ALTER TABLE concerns ADD COLUMN consultation_notice_at INTEGER;
ALTER TABLE concerns ADD COLUMN consultation_greeted_slot INTEGER;
