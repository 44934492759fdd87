-- Publishing: posts with their workflow state, images (re-encoded bytes), one publication row per target
-- channel, and every workflow step. Posts are public information: nothing here is sealed, and staff appear
-- by id only.

CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    author_id INTEGER NOT NULL REFERENCES staff(id),
    text TEXT NOT NULL,
    -- Lower-cased text and variants for the public search (SQLite's LOWER knows only ASCII).
    search_text TEXT NOT NULL,
    language TEXT NOT NULL,
    -- JSON object: channel name or kind → text that replaces the common text there.
    variants TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    approved_by INTEGER REFERENCES staff(id),
    -- The reviewer's comment of the last rejection, shown to the author.
    review_comment TEXT,
    publish_at INTEGER,
    published_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX posts_due ON posts (status, publish_at);
CREATE INDEX posts_by_municipality ON posts (municipality_id, published_at);

CREATE TABLE post_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    uploaded_by INTEGER NOT NULL REFERENCES staff(id),
    post_id INTEGER REFERENCES posts(id),
    position INTEGER NOT NULL DEFAULT 0,
    alt TEXT NOT NULL DEFAULT '',
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    bytes_len INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX post_images_by_post ON post_images (post_id, position);

CREATE TABLE post_publications (
    post_id INTEGER NOT NULL REFERENCES posts(id),
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    url TEXT,
    error TEXT,
    published_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (post_id, channel)
);
CREATE INDEX post_publications_published ON post_publications (channel, status, published_at);

CREATE TABLE post_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    action TEXT NOT NULL,
    -- NULL for the publishing worker.
    actor_id INTEGER REFERENCES staff(id),
    comment TEXT,
    publish_at INTEGER,
    at INTEGER NOT NULL
);
CREATE INDEX post_transitions_by_post ON post_transitions (post_id, id);
