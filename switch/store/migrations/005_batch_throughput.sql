-- Batch clearing throughput (docs/performance.md, "Batch: 200,000 payments, 20 files"). A batch
-- payment is written at intake and rewritten at netting and at settlement. Each of those writes used to
-- add one transition row per payment (checked against payments by a row-level foreign key), rewrite a
-- 1.3 KB row that carried the transaction XML, and touch indexes that batch payments never use.

-- (1) A step that moves many payments at once (a batch file accepted into a cycle, a cycle netted,
-- a cycle settled) is recorded once, with the exact list of the payments it moved: one row per step
-- instead of one row per payment. The id comes from payment_transitions' sequence, so the two tables
-- together keep one order of events (docs/payment-states.md).
CREATE TABLE payment_transition_sets (
  id bigint PRIMARY KEY DEFAULT nextval('payment_transitions_id_seq'),
  cycle_id bigint NOT NULL REFERENCES cycles (id),
  from_state text NOT NULL,
  to_state text NOT NULL,
  cause text NOT NULL,
  reason_code text,
  at timestamptz NOT NULL DEFAULT now(),
  -- every payment that made this transition, ascending; all of them in cycle_id
  payment_ids bigint[] NOT NULL CHECK (cardinality(payment_ids) > 0)
);
CREATE INDEX payment_transition_sets_cycle ON payment_transition_sets (cycle_id, id);

-- Every transition of every payment, whichever way it was recorded. For one payment, prefer
-- paymentHistory() in switch/engine/cycles.ts, which reads only the sets of the payment's cycle.
CREATE VIEW payment_history AS
  SELECT t.id, t.payment_id, t.from_state, t.to_state, t.cause, t.reason_code, t.at FROM payment_transitions t
  UNION ALL
  SELECT s.id, member.payment_id, s.from_state, s.to_state, s.cause, s.reason_code, s.at
    FROM payment_transition_sets s CROSS JOIN LATERAL unnest(s.payment_ids) AS member(payment_id);

-- (2) A batch credit transfer's transaction element (about 1.1 KB) is kept apart from its payment: it
-- is read once, to build the bulk file at settlement, while the payments row is rewritten at netting and
-- at settlement (an update that changes state writes the whole row again). PostgreSQL moves a value out
-- of line only when the row exceeds about 2 KB, whatever toast_tuple_target says, so it takes a table.
-- Real-time payments (forwarded one by one) and returns keep theirs in payments.transaction_xml.
CREATE TABLE payment_xml (
  payment_id bigint PRIMARY KEY,
  transaction_xml text NOT NULL
);
ALTER TABLE payments ALTER COLUMN transaction_xml DROP NOT NULL;
ALTER TABLE payments ADD CONSTRAINT payments_transaction_xml_kept CHECK (transaction_xml IS NOT NULL OR (mode = 'batch' AND kind = 'CREDIT'));
-- Batch payments whose bulk file is still to be built move theirs now.
INSERT INTO payment_xml (payment_id, transaction_xml)
  SELECT p.id, p.transaction_xml FROM payments p
   WHERE p.mode = 'batch' AND p.kind = 'CREDIT' AND NOT EXISTS (SELECT 1 FROM cycles c WHERE c.id = p.cycle_id AND c.state = 'SETTLED');
UPDATE payments SET transaction_xml = NULL WHERE id IN (SELECT payment_id FROM payment_xml);

-- (3) payment_transitions.payment_id → payments: checked once per statement instead of once per row.
-- The row-level foreign key ran a lookup and took a KEY SHARE lock (a WAL record and a dirtied payments
-- page) for every transition: 200,000 locks for 200,000 payments accepted. The checks below keep what
-- the key guaranteed: no transition of a payment that does not exist, no payment deleted or renumbered
-- while a transition refers to it. (Unlike the key they take no lock, so a payment deleted concurrently
-- with a new transition of it could slip through; the engine never deletes payments.)
ALTER TABLE payment_transitions DROP CONSTRAINT payment_transitions_payment_id_fkey;

-- One check for both tables that refer to payments by payment_id (transitions, and payment_xml below).
CREATE FUNCTION payment_id_must_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing bigint;
BEGIN
  -- A scalar subquery per row: a lookup by key each, never a scan of payments (which a join could choose).
  SELECT r.payment_id INTO missing FROM changed_rows r
   WHERE (SELECT p.id FROM payments p WHERE p.id = r.payment_id) IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION '% refers to payment %, which does not exist', TG_TABLE_NAME, missing
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER payment_transitions_payment_inserted AFTER INSERT ON payment_transitions
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_id_must_exist();
CREATE TRIGGER payment_transitions_payment_updated AFTER UPDATE ON payment_transitions
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_id_must_exist();
CREATE TRIGGER payment_xml_payment_inserted AFTER INSERT ON payment_xml
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_id_must_exist();
CREATE TRIGGER payment_xml_payment_updated AFTER UPDATE ON payment_xml
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_id_must_exist();

CREATE FUNCTION payments_check_transitions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  referenced bigint;
BEGIN
  SELECT d.id INTO referenced FROM removed_payments d
   WHERE EXISTS (SELECT 1 FROM payment_transitions t WHERE t.payment_id = d.id)
      OR EXISTS (SELECT 1 FROM payment_xml x WHERE x.payment_id = d.id)
      OR EXISTS (SELECT 1 FROM payment_transition_sets s WHERE s.cycle_id = d.cycle_id AND d.id = ANY (s.payment_ids))
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'payment % still has recorded transitions or XML', referenced USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER payments_deleted_check_transitions AFTER DELETE ON payments
  REFERENCING OLD TABLE AS removed_payments FOR EACH STATEMENT EXECUTE FUNCTION payments_check_transitions();

CREATE FUNCTION payments_id_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a payment id never changes (payment %)', OLD.id USING ERRCODE = 'foreign_key_violation';
END
$$;
-- Fires only for an UPDATE that assigns id, so state changes do not pay for it.
CREATE TRIGGER payments_id_fixed BEFORE UPDATE OF id ON payments
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION payments_id_is_fixed();

-- (4) Indexes that batch payments never need leave them out (a partial index gets no entry, on insert
-- or on update, for a row outside its predicate). Every query that used them implies the predicate:
--  payments_state       sweepTimeouts (state = 'RESERVED'), expireQueuedPayments (state = 'QUEUED'):
--                       only live real-time states; a batch payment is never in one
--  payments_forwarded   confirmRealtime (forwarded_message_id = $1): only forwarded real-time payments
--  payments_by_uetr     pacs.028, returns, recalls (uetr = $n): only payments that have a UETR
DROP INDEX payments_state;
CREATE INDEX payments_state ON payments (state, mode) WHERE state IN ('RECEIVED', 'RESERVED', 'QUEUED');
DROP INDEX payments_forwarded;
CREATE INDEX payments_forwarded ON payments (forwarded_message_id, transaction_id) WHERE forwarded_message_id IS NOT NULL;
DROP INDEX payments_by_uetr;
CREATE INDEX payments_by_uetr ON payments (uetr) WHERE uetr IS NOT NULL;

-- (5) Message bytes (an 11 MB bulk file each way) and intake reports: lz4 compresses about as well as
-- the default pglz at a third of the CPU. Servers built without lz4 (PGlite) keep pglz.
DO $$
BEGIN
  ALTER TABLE messages ALTER COLUMN bytes SET COMPRESSION lz4;
  ALTER TABLE intake ALTER COLUMN report SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END
$$;
