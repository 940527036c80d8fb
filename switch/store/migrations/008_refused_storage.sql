-- Refused inbound files are stored in full only within a quota per sender and business day
-- (limits.refusedBytesStoredPerSenderPerDayMax, docs/validation.md#memory-and-storage-bounds). Past it a
-- refused file keeps its SHA-256, its size, its first limits.refusedFilePrefixBytes bytes and its answer.

-- The bytes of refused files stored in full so far, per sender and business day. Incremented in the
-- transaction that stores the file, under this row's lock, so concurrent intakes cannot overrun the quota.
CREATE TABLE refused_storage (
  participant text NOT NULL,
  business_date date NOT NULL,
  stored_bytes bigint NOT NULL CHECK (stored_bytes >= 0),
  PRIMARY KEY (participant, business_date)
);

-- True when messages.bytes holds only the first part of what was received (size_bytes and sha256 are
-- always the whole file's, so replays are still recognised).
ALTER TABLE messages ADD COLUMN bytes_truncated boolean NOT NULL DEFAULT false;
