-- The scoring buckets' time indexes dropped (docs/decisions.md 400, "The scoring record in one pass;
-- creditors never paid not pruned; the buckets' time indexes dropped"; docs/performance.md, s13-batchrisk).
--
-- Each velocity and fan-in bucket row carried an entry in an index on bucket_start alone, written with
-- every new bucket (for a payment between new accounts: two of the record's seven index entries) and
-- read only by the prunings: the record's own (an account's buckets older than the retention) and the
-- day roll's (every account's). The record now prunes by the primary key (account, bucket_start), and
-- not at all for a creditor account the scoring read found never paid (a fan-in bucket is only written
-- with its creditor's first-payment row, which is never deleted); the day roll's pruning, once per
-- business date, reads the two tables whole.
DROP INDEX scoring_debtor_velocity_bucket;
DROP INDEX scoring_creditor_new_debtors_bucket;
