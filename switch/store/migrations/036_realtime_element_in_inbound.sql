-- A real-time credit transfer's transaction element is no longer copied into payments.transaction_xml
-- (issue 15, docs/decisions.md "A real-time payment's element stays in its inbound message"): like a
-- batch credit transfer's since migration 005, it stays in the stored inbound message it came in,
-- which is immutable, kept whole for every accepted message, and whose bytes `audit verify` checks
-- against the journaled sha256. The copy was about 1.1 kB of the 9.8 kB of WAL a real-time payment
-- wrote (its payments row was 1.5 kB), and at 2,000 payments/s that WAL forces a checkpoint every
-- 20-30 s under the default max_wal_size. Whoever needs the element reads it from the inbound bytes
-- (switch/engine/cycles/bulk-files.ts storedTransactionElement): the forward of a payment released
-- from the queue, the payment's detail. Rows stored before keep their copy (both are read).
-- Returns (kind RETURN) still keep theirs: their element is rewritten, not the inbound one.
ALTER TABLE payments DROP CONSTRAINT payments_transaction_xml_kept;
ALTER TABLE payments ADD CONSTRAINT payments_transaction_xml_kept CHECK (transaction_xml IS NOT NULL OR kind = 'CREDIT');

-- The idempotency keys' sha256 is never read (a key's message is found by message_id, and a replay by
-- messages (participant, sha256)): new keys are written without it. 65 bytes of each key's row, three
-- keys per real-time payment: about 0.2 kB of its WAL. Nullable rather than dropped, so that backups
-- taken before this migration restore as they are.
ALTER TABLE idempotency_keys ALTER COLUMN sha256 DROP NOT NULL;
