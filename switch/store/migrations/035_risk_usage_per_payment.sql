-- What a payment took of the risk stage's daily counters: one row per payment instead of one per
-- counter (docs/risk.md "Given back", docs/decisions.md). A payment takes at most one counter of each
-- scope, each by its whole amount in its own currency, so the row names the key it took in each scope
-- (NULL: that scope not taken) and the amount and currency are the payment's own (read from payments
-- when given back: they never change). The payment ids come from the payments the same transaction has
-- just created, so the row has no foreign key (its per-row check was a third of the usage write's cost).
CREATE TABLE risk_payment_takes (
  payment_id bigint CONSTRAINT risk_payment_takes_pkey PRIMARY KEY,
  business_date date NOT NULL,
  debtor_key text,
  creditor_key text,
  participant_key text,
  CONSTRAINT risk_payment_usage_takes_one CHECK (debtor_key IS NOT NULL OR creditor_key IS NOT NULL OR participant_key IS NOT NULL)
);

INSERT INTO risk_payment_takes (payment_id, business_date, debtor_key, creditor_key, participant_key)
SELECT payment_id, business_date,
       max(key) FILTER (WHERE scope = 'debtor-account'),
       max(key) FILTER (WHERE scope = 'creditor-account'),
       max(key) FILTER (WHERE scope = 'participant')
  FROM risk_payment_usage
 GROUP BY payment_id, business_date;

DROP TABLE risk_payment_usage;
ALTER TABLE risk_payment_takes RENAME TO risk_payment_usage;
ALTER TABLE risk_payment_usage RENAME CONSTRAINT risk_payment_takes_pkey TO risk_payment_usage_pkey;
