-- Where each transaction element of an accepted batch pacs.008 sits in the stored inbound file
-- (docs/decisions.md, "Bulk files are built from byte spans"): one row per inbound message, written in
-- intake's transaction, so that settlement builds the bulk files from the stored bytes without scanning
-- each file again. Element k (transaction_index k) is bytes [starts[k], ends[k]); plain[k] says whether
-- it is copied as is or rewritten without prefixes and comments (switch/validation/forward.ts). A
-- message without a row (stored before this migration) is scanned instead.
CREATE TABLE transaction_spans (
  message_id bigint PRIMARY KEY REFERENCES messages (id),
  starts integer[] NOT NULL,
  ends integer[] NOT NULL,
  plain boolean[] NOT NULL,
  CHECK (cardinality(starts) = cardinality(ends) AND cardinality(starts) = cardinality(plain))
);
