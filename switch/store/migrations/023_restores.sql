-- Every restore of a backup into this store (switch/store/backup.ts, docs/operations.md "Backup and
-- restore"). A restored store carries on from the moment of its backup, but the switch it replaces may
-- have issued MsgIds (and with them outbound file names) after that moment, and a bank may still hold
-- those files. The newest row's incarnation is part of every MsgId generated from then on
-- (switch/engine/context.ts), so the restored store never issues an id or a file name already issued:
-- the sequence restarts from the backup's value, but under a new incarnation. Random, not counted: two
-- restores of the same backup must not share it either. A store never restored has no row and keeps
-- the MsgId form it always had.
CREATE TABLE store_restores (
  id bigserial PRIMARY KEY,
  incarnation text NOT NULL UNIQUE CHECK (incarnation ~ '^[a-z0-9]{5}$'),
  backup_created_at timestamptz NOT NULL,
  backup_sha256 text NOT NULL,
  restored_at timestamptz NOT NULL DEFAULT now()
);
