-- How a session was opened and how its second factor was satisfied, e.g. 'password', 'password+totp',
-- 'sso', 'sso+mfa' (the identity provider vouched for a second factor), 'passkey'. NULL for sessions
-- started before this column existed: the access guard then falls back to "the member has TOTP".
ALTER TABLE sessions ADD COLUMN sign_in TEXT;
