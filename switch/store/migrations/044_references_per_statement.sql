-- Batch intake's references checked once per statement and per message, not once per row
-- (docs/decisions.md, "References of payments and keys checked per statement").
--
-- A batch file of 10,000 payments made 40,000 foreign key checks: payments.message_id and
-- payments.cycle_id → one lookup each per payment, idempotency_keys.message_id → one per key (two keys
-- per payment), each an SPI query with a KEY SHARE lock of the same message or cycle row. Measured about
-- 12 µs of PostgreSQL CPU per payment (docs/performance.md, s11-intake). Each of these statements names
-- one message (and one cycle), so the checks below look each distinct parent up once per statement; a
-- cycle is locked FOR KEY SHARE as the foreign key did (a concurrent delete of it waits for this
-- transaction); a message needs no lock, messages being immutable. Same guarantees as the keys: no
-- payment or key of a message or cycle that does not exist, no message or cycle deleted or renumbered
-- while a payment or key refers to it; SQLSTATE 23503 as before.
-- Migration 005 did the same for payment_transitions and payment_xml.
ALTER TABLE payments DROP CONSTRAINT payments_message_id_fkey;
ALTER TABLE payments DROP CONSTRAINT payments_cycle_id_fkey;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_message_id_fkey;

-- Inserted rows of payments or idempotency_keys (both name their message by message_id).
CREATE FUNCTION message_id_must_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  referenced bigint;
BEGIN
  FOR referenced IN SELECT DISTINCT r.message_id FROM changed_rows r LOOP
    PERFORM 1 FROM messages m WHERE m.id = referenced;
    IF NOT FOUND THEN
      RAISE EXCEPTION '% refers to message %, which does not exist', TG_TABLE_NAME, referenced
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
CREATE TRIGGER payments_message_inserted AFTER INSERT ON payments
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION message_id_must_exist();
CREATE TRIGGER idempotency_keys_message_inserted AFTER INSERT ON idempotency_keys
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION message_id_must_exist();

CREATE FUNCTION payment_cycle_must_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  referenced bigint;
BEGIN
  FOR referenced IN SELECT DISTINCT r.cycle_id FROM changed_rows r WHERE r.cycle_id IS NOT NULL LOOP
    PERFORM 1 FROM cycles c WHERE c.id = referenced FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'payments refers to cycle %, which does not exist', referenced
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
CREATE TRIGGER payments_cycle_inserted AFTER INSERT ON payments
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_cycle_must_exist();

-- An UPDATE that changes a reference (a warehoused payment joining its cycle) is checked row by row, as
-- the foreign key checked it: only rows whose value changes pay (a transition table cannot be limited
-- to some columns, and every other update of payments would pay for one).
CREATE FUNCTION reference_changed_must_exist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_ARGV[0] = 'message_id' THEN
    PERFORM 1 FROM messages m WHERE m.id = NEW.message_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION '% refers to message %, which does not exist', TG_TABLE_NAME, NEW.message_id
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  ELSE
    PERFORM 1 FROM cycles c WHERE c.id = NEW.cycle_id FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION '% refers to cycle %, which does not exist', TG_TABLE_NAME, NEW.cycle_id
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER payments_message_changed BEFORE UPDATE OF message_id ON payments
  FOR EACH ROW WHEN (OLD.message_id IS DISTINCT FROM NEW.message_id) EXECUTE FUNCTION reference_changed_must_exist('message_id');
CREATE TRIGGER payments_cycle_changed BEFORE UPDATE OF cycle_id ON payments
  FOR EACH ROW WHEN (NEW.cycle_id IS NOT NULL AND OLD.cycle_id IS DISTINCT FROM NEW.cycle_id)
  EXECUTE FUNCTION reference_changed_must_exist('cycle_id');
CREATE TRIGGER idempotency_keys_message_changed BEFORE UPDATE OF message_id ON idempotency_keys
  FOR EACH ROW WHEN (OLD.message_id IS DISTINCT FROM NEW.message_id) EXECUTE FUNCTION reference_changed_must_exist('message_id');

-- The parents' side: messages are immutable (migration 001's messages_immutable refuses every UPDATE
-- and DELETE), so a message referred to stays as it is without a lock; a cycle still referred to is
-- neither deleted nor renumbered (the engine does neither; the key refused both).
CREATE FUNCTION cycles_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  referenced bigint;
BEGIN
  SELECT d.id INTO referenced FROM removed_cycles d
   WHERE EXISTS (SELECT 1 FROM payments p WHERE p.cycle_id = d.id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cycle % still has payments', referenced USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER cycles_deleted_check_references AFTER DELETE ON cycles
  REFERENCING OLD TABLE AS removed_cycles FOR EACH STATEMENT EXECUTE FUNCTION cycles_check_references();

CREATE FUNCTION cycles_id_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a cycle id never changes (cycle %)', OLD.id USING ERRCODE = 'foreign_key_violation';
END
$$;
CREATE TRIGGER cycles_id_fixed BEFORE UPDATE OF id ON cycles
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION cycles_id_is_fixed();
