-- Netting and settlement update every batch payment of a cycle (ACCEPTED -> NETTED -> SETTLED): two
-- set-based UPDATEs of 200,000 rows in the batch bench (issue 15). Until now neither could be a HOT
-- update (heap-only tuple: the new row version on the same page, no index touched): PostgreSQL takes
-- that path only when no column an index uses — in its keys, its expressions or its partial-index
-- predicate — changes value, and `state` was in five of them (payments_cycle_state's keys;
-- payments_state's, payments_queue's, payments_held's and payments_settled_by_cycle's predicates).
-- So each update inserted a new entry into every index of the table for every row (decision 82).
--
-- From here on no index of payments names `state`:
--  (1) pending_state, a stored generated column: the state of a payment still waiting for something
--      (RECEIVED, HELD, RESERVED, QUEUED), NULL in every other state. A batch payment that goes
--      through its cycle normally (ACCEPTED, NETTED, SETTLED) keeps it NULL, so its updates change no
--      indexed value. The partial indexes that found waiting payments by state use it instead, and the
--      queries that use those indexes name pending_state (same rows: pending_state = 'QUEUED' exactly
--      when state = 'QUEUED'). Not part of a row's audited content (switch/audit/tables.ts,
--      notDigested): it is a function of `state`, which is; not in backups (generated on restore).
--  (2) payments_cycle (cycle_id, mode) for payments_cycle_state (cycle_id, state): every query that
--      read a cycle's payments by state reads them by cycle (and mode) and checks the state on the row.
--  (3) payments_settled_by_cycle without its predicate (state IN ('SETTLED', 'RETURNED')): a
--      statement's keyset read by (cycle_id, id) checks the state on the row.
--  (4) fillfactor 50: HOT also needs room on the row's page for its new version. The batch rows are
--      written once by COPY and updated once at netting (both versions live until the statement
--      commits), then once at settlement (the netting's old versions are pruned when the page is read).
ALTER TABLE payments ADD COLUMN pending_state text
  GENERATED ALWAYS AS (CASE WHEN state IN ('RECEIVED', 'HELD', 'RESERVED', 'QUEUED') THEN state END) STORED;

DROP INDEX payments_cycle_state;
CREATE INDEX payments_cycle ON payments (cycle_id, mode);

DROP INDEX payments_state;
CREATE INDEX payments_state ON payments (pending_state, mode) WHERE pending_state IN ('RECEIVED', 'RESERVED', 'QUEUED');

DROP INDEX payments_queue;
CREATE INDEX payments_queue ON payments (debtor_agent, currency, sequence) WHERE pending_state = 'QUEUED';

DROP INDEX payments_held;
CREATE INDEX payments_held ON payments (mode, confirm_by) WHERE pending_state = 'HELD';

DROP INDEX payments_settled_by_cycle;
CREATE INDEX payments_settled_by_cycle ON payments (cycle_id, id);

ALTER TABLE payments SET (fillfactor = 50);
