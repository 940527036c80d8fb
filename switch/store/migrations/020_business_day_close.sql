-- Business-day close (docs/scheme-rules.md "Business-day close", docs/reports.md "camt.053").
--
-- A business day is closed once, after its last cycle settled and the day rolled: the row below is
-- written in the same transaction as the day's statements (camt.053, one per participant and
-- currency) and the admi.004 DCLS telling every participant. Closing twice finds the row and does
-- nothing; a crash before the commit leaves no row and no statement, and the next attempt closes it.
CREATE TABLE business_days (
  business_date date PRIMARY KEY,
  closed_at timestamptz NOT NULL,
  cycles integer NOT NULL,
  statements integer NOT NULL
);

-- The balances and totals of each statement, so that the next day's opening balance is this day's
-- closing one (never recomputed from the payments of every earlier day).
CREATE TABLE day_statements (
  business_date date NOT NULL REFERENCES business_days (business_date),
  bic text NOT NULL,
  currency text NOT NULL,
  opening_minor bigint NOT NULL,
  closing_minor bigint NOT NULL,
  credit_count bigint NOT NULL,
  credit_minor bigint NOT NULL,
  debit_count bigint NOT NULL,
  debit_minor bigint NOT NULL,
  pages integer NOT NULL,
  first_message_id text NOT NULL,
  CHECK (closing_minor = opening_minor + credit_minor - debit_minor),
  PRIMARY KEY (business_date, bic, currency)
);

-- A statement reads a day's settled payments cycle by cycle in id order, a batch at a time.
CREATE INDEX payments_settled_by_cycle ON payments (cycle_id, id) WHERE state IN ('SETTLED', 'RETURNED');

-- Nothing changes a closed day: its cycles, their positions and settlement instructions, and its
-- statements are refused any insert, update or delete (the engine checks first and says so; this is
-- the guarantee when something does not).
CREATE FUNCTION refuse_closed_business_day() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  day date;
BEGIN
  IF TG_TABLE_NAME = 'cycles' THEN
    day := CASE WHEN TG_OP = 'INSERT' THEN NEW.business_date ELSE OLD.business_date END;
  ELSIF TG_TABLE_NAME = 'day_statements' THEN
    IF TG_OP = 'INSERT' THEN RETURN NEW; END IF;
    day := OLD.business_date;
  ELSE
    SELECT c.business_date INTO day FROM cycles c
     WHERE c.id = CASE WHEN TG_OP = 'INSERT' THEN NEW.cycle_id ELSE OLD.cycle_id END;
  END IF;
  IF EXISTS (SELECT 1 FROM business_days d WHERE d.business_date = day) THEN
    RAISE EXCEPTION 'business day % is closed: its % cannot change', day, TG_TABLE_NAME
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER cycles_of_closed_day BEFORE INSERT OR UPDATE OR DELETE ON cycles
  FOR EACH ROW EXECUTE FUNCTION refuse_closed_business_day();
CREATE TRIGGER positions_of_closed_day BEFORE INSERT OR UPDATE OR DELETE ON cycle_positions
  FOR EACH ROW EXECUTE FUNCTION refuse_closed_business_day();
CREATE TRIGGER instructions_of_closed_day BEFORE INSERT OR UPDATE OR DELETE ON settlement_instructions
  FOR EACH ROW EXECUTE FUNCTION refuse_closed_business_day();
CREATE TRIGGER statements_of_closed_day BEFORE UPDATE OR DELETE ON day_statements
  FOR EACH ROW EXECUTE FUNCTION refuse_closed_business_day();
