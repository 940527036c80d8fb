-- The HTTP API's people and their sessions, and changes waiting for a checker (switch/api/, docs/api.md).
-- Participants are not here: they authenticate by the certificate the scheme PKI issued them.
--   api_users        a person: role, scrypt password hash, TOTP secret (base32), failed-login count and lock
--   api_sessions     a short-lived bearer session; only the SHA-256 of the token is stored
--   pending_actions  a money-at-stake change proposed by a maker, applied when a different checker approves
CREATE TABLE api_users (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9._-]{1,63}$'),
  role text NOT NULL CHECK (role IN ('operator', 'supervisor', 'regulator', 'auditor')),
  password_hash text NOT NULL,
  totp_secret text NOT NULL,
  last_totp_step bigint NOT NULL DEFAULT 0,
  failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
  locked_until timestamptz,
  created_at timestamptz NOT NULL
);

CREATE TABLE api_sessions (
  token_sha256 text PRIMARY KEY,
  user_name text NOT NULL REFERENCES api_users (name),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  address text NOT NULL
);
CREATE INDEX api_sessions_user ON api_sessions (user_name);

CREATE TABLE pending_actions (
  id bigserial PRIMARY KEY,
  action text NOT NULL,
  subject text NOT NULL,
  payload jsonb NOT NULL,
  maker text NOT NULL,
  reason text NOT NULL CHECK (length(btrim(reason)) > 0),
  created_at timestamptz NOT NULL,
  state text NOT NULL CHECK (state IN ('PENDING', 'APPROVED', 'REJECTED')),
  checker text,
  decided_at timestamptz,
  CHECK (checker IS NULL OR checker <> maker)
);
CREATE INDEX pending_actions_state ON pending_actions (state, id);
