-- The scoring buckets' time indexes dropped (docs/decisions.md, "The scoring record prunes only the
-- accounts that have buckets"; docs/performance.md, s13-batchrisk).
--
-- Each velocity and fan-in bucket row carried an entry in an index on bucket_start alone, written with
-- every new bucket (for a payment between new accounts: two of the record's seven index entries) and
-- read only by the prunings: the record's own (an account's buckets older than the retention) and the
-- day roll's (every account's). The record now prunes only the accounts the scoring read found with
-- buckets (a debtor without any up to the payment's time, a creditor never paid, has none to delete),
-- each by its primary key (account, bucket_start); the day roll's pruning, once per business date,
-- reads the two tables whole.
DROP INDEX scoring_debtor_velocity_bucket;
DROP INDEX scoring_creditor_new_debtors_bucket;
