-- Risk scoring statistics (issue 12; switch/risk/statistics.ts, docs/risk.md "Scoring"), kept
-- incrementally: each accepted payment updates them with upserts in its own transaction, so two
-- payments recorded at once are both counted. Accounts are keyed by servicing institution (BIC11)
-- and identifier as written: "BANKDEFFXXX/DE89370400440532013000".

-- Per debtor account and currency: Welford's running mean and M2 (sum of squared deviations) of
-- ln(amount in minor units), and when it was first and last seen.
CREATE TABLE scoring_debtor_amounts (
  debtor_account text NOT NULL,
  currency text NOT NULL,
  payment_count bigint NOT NULL,
  log_amount_mean double precision NOT NULL,
  log_amount_m2 double precision NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  PRIMARY KEY (debtor_account, currency)
);

-- Each (debtor account, creditor account) pair ever paid, with when: "first payment to this creditor".
CREATE TABLE scoring_account_pairs (
  debtor_account text NOT NULL,
  creditor_account text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  PRIMARY KEY (debtor_account, creditor_account)
);

-- When each creditor account was first paid: "a new creditor account".
CREATE TABLE scoring_creditor_accounts (
  creditor_account text PRIMARY KEY,
  first_seen_at timestamptz NOT NULL
);

-- Payments per debtor account per 5-minute bucket (limits.scoring.velocityBucketMs): velocity.
CREATE TABLE scoring_debtor_velocity (
  debtor_account text NOT NULL,
  bucket_start timestamptz NOT NULL,
  payment_count integer NOT NULL,
  PRIMARY KEY (debtor_account, bucket_start)
);

-- Debtor accounts paying a creditor account for the first time, per hour bucket
-- (limits.scoring.fanInBucketMs): each pair is counted once, when its row in scoring_account_pairs is
-- created, so the sum over 24 hours is the number of distinct new debtors (mule fan-in).
CREATE TABLE scoring_creditor_new_debtors (
  creditor_account text NOT NULL,
  bucket_start timestamptz NOT NULL,
  debtor_count integer NOT NULL,
  PRIMARY KEY (creditor_account, bucket_start)
);

-- The day roll's pruning deletes old buckets by time across accounts.
CREATE INDEX scoring_debtor_velocity_bucket ON scoring_debtor_velocity (bucket_start);
CREATE INDEX scoring_creditor_new_debtors_bucket ON scoring_creditor_new_debtors (bucket_start);
