-- Cookie sessions of the HTTP API (docs/api.md "Cookie sessions and CSRF"): each session has a CSRF token,
-- stored like the session token as its SHA-256 only. A request authenticated by the session cookie that
-- changes something must carry the token in X-CSRF-Token. Sessions opened before this migration have none
-- (NULL): their cookie can only read, and they expire within limits.api.sessionTtlMs.
ALTER TABLE api_sessions ADD COLUMN csrf_sha256 text;
