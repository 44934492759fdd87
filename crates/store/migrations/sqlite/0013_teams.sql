-- Teams per municipality, their members, which channels route new concerns to which team, the team of
-- each concern, and one-time invitation links for staff invited by an administrator.

CREATE TABLE teams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (municipality_id, name)
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id),
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    PRIMARY KEY (team_id, staff_id)
);
CREATE INDEX team_members_by_staff ON team_members (staff_id);

-- A channel routes its new concerns to at most one team.
CREATE TABLE team_channels (
    channel_id INTEGER PRIMARY KEY REFERENCES channels(id),
    team_id INTEGER NOT NULL REFERENCES teams(id)
);

ALTER TABLE concerns ADD COLUMN team_id INTEGER REFERENCES teams(id);
CREATE INDEX concerns_by_team ON concerns (municipality_id, team_id);

-- Invitation of a staff member to a municipality: only the hash of the link's secret is stored.
CREATE TABLE staff_invitations (
    token_hash BLOB PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
