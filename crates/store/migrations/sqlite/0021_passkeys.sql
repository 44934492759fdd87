-- Staff passkeys (WebAuthn): the credential id, its COSE public key and signature counter, a name the
-- member gave it, and when it was added and last used. user_handle is a random id per member, the same
-- for all of their passkeys (the authenticator returns it at a passwordless sign-in); no personal data.
CREATE TABLE staff_passkeys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    credential_id BLOB NOT NULL UNIQUE,
    user_handle BLOB NOT NULL,
    public_key BLOB NOT NULL,
    sign_count INTEGER NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX staff_passkeys_by_staff ON staff_passkeys (staff_id);

-- Challenges handed to the browser: only their SHA-256, bound to the cookie of the session (or the
-- sign-in in progress) that asked, for one purpose; used once, valid a few minutes.
CREATE TABLE passkey_challenges (
    challenge_hash BLOB PRIMARY KEY,
    purpose TEXT NOT NULL,
    binding_hash BLOB NOT NULL,
    staff_id INTEGER,
    expires_at INTEGER NOT NULL
);
CREATE INDEX passkey_challenges_expiry ON passkey_challenges (expires_at);
