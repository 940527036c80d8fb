-- API sessions do not survive a restore (docs/operations.md "Backup and restore"): a session token
-- from before the backup (stolen, or simply old) must not log in to the restored switch. The restore
-- (switch/store/backup.ts) deletes every api_sessions row it loaded, in its own transaction, and
-- records how many here; people log in again (api_users, their passwords and TOTP secrets, are kept).
ALTER TABLE store_restores ADD COLUMN sessions_dropped integer NOT NULL DEFAULT 0;
