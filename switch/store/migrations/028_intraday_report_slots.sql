-- Periodic intraday reports (camt.052, config intradayReports; docs/reports.md "Intraday report"): one
-- row per participant, currency and slot, inserted in the same transaction that stores and queues the
-- camt.052. The primary key is the claim: with several serve processes on one database, the first
-- transaction to insert the row sends the report and every other finds the row and sends nothing.
CREATE TABLE intraday_report_slots (
  bic text NOT NULL,
  currency text NOT NULL,
  slot_start timestamptz NOT NULL,
  message_id text NOT NULL,
  sent_at timestamptz NOT NULL,
  PRIMARY KEY (bic, currency, slot_start)
);
