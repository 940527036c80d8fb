-- Operator alerts nothing lost (docs/notifications.md "Nothing lost", decision 73): every closed
-- business day is reconciled once (switch/reports/reconciliation.ts, a read), and this row is written
-- in the same transaction as the alert of its mismatches, if any. A day closed without a row here (the
-- process stopped after the close and before the reconciliation) is reconciled by the next pass of any
-- serve process; two processes racing for a day both read it, one writes the row and the alert.
CREATE TABLE day_reconciliations (
  business_date date PRIMARY KEY REFERENCES business_days (business_date),
  reconciled_at timestamptz NOT NULL,
  -- NULL: a day closed before this migration, reconciled (or not) by the serve of that time.
  mismatches integer
);
INSERT INTO day_reconciliations (business_date, reconciled_at, mismatches)
SELECT business_date, closed_at, NULL FROM business_days;
