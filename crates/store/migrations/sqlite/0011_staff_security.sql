-- Staff sign-in security: throttling of failed logins, TOTP second factor with recovery codes, session details.

-- One row per failed login. Account and address are keyed hashes (no e-mail or IP address in clear);
-- rows older than a day are deleted as new ones arrive.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_key BLOB NOT NULL,
    ip_key BLOB,
    at INTEGER NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account_key, at);
CREATE INDEX login_failures_ip ON login_failures (ip_key, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- The TOTP secret (AES-256-GCM under a master-derived key, bound to the staff id). Unconfirmed until the
-- first code is entered; last_step is the last accepted 30-second step, so a code works only once.
CREATE TABLE staff_totp (
    staff_id INTEGER PRIMARY KEY REFERENCES staff(id),
    secret_enc BLOB NOT NULL,
    confirmed_at INTEGER,
    last_step INTEGER,
    created_at INTEGER NOT NULL
);

-- Recovery codes as keyed hashes; each works once.
CREATE TABLE staff_recovery_codes (
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    code_hash BLOB NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (staff_id, code_hash)
);

-- 1 while the session waits for the second factor; such a session opens nothing but the code form.
ALTER TABLE sessions ADD COLUMN mfa_pending INTEGER NOT NULL DEFAULT 0;
-- For the member's own session list: the address truncated to /24 or /48 and a short browser summary.
ALTER TABLE sessions ADD COLUMN client_ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
CREATE INDEX sessions_by_staff ON sessions (staff_id);
