-- Business-day close in bounded pieces (docs/scheme-rules.md "Business-day close", docs/reports.md
-- "Scale", decisions.md #77). A day of 10 million payments has about 20 million statement entries,
-- some 20 GB of camt.053: written in one transaction that would hold the database's oldest snapshot
-- (and so VACUUM of every table) for hours and lose everything to a crash at the end. Now:
--
-- 1. The claim (one short transaction): the business_days row (the day is closed from here on: the
--    triggers of migration 020 refuse any change to it), every statement's day_statements row
--    (balances and totals, one aggregate each), and the plan: one day_close_messages row per message
--    the close will send, in sending order — each statement page and each admi.004 — with its MsgId
--    allocated now, so that what is sent after a crash is byte for byte what would have been sent.
-- 2. Each planned message in its own transaction, in plan order: built, emitted through the outbox,
--    and its row marked sent with the read position after its last entry (the next page starts there).
-- 3. completed_at set when every planned message is sent: the close is done.
--
-- A crash anywhere leaves either no claim (the next attempt claims) or a claim with some messages
-- sent: the next attempt (a sweep, a settlement answer, a restart) sends the rest.
ALTER TABLE business_days ADD COLUMN completed_at timestamptz;
UPDATE business_days SET completed_at = closed_at;

CREATE TABLE day_close_messages (
  business_date date NOT NULL REFERENCES business_days (business_date),
  seq integer NOT NULL,
  recipient text NOT NULL,
  message_type text NOT NULL,
  -- A statement page: its currency, page number and last-page indicator (NULL for an admi.004).
  currency text,
  page integer,
  last_page boolean,
  message_id text NOT NULL,
  -- Set when sent: the messages row, and for a page the statement's read position after its last entry.
  message_row_id bigint,
  end_position text,
  PRIMARY KEY (business_date, seq)
);
