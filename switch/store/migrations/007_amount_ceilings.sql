-- Amount ceilings, sender-scoped keys and stalled cycles (docs/scheme-rules.md "Amount ceilings",
-- docs/security.md, docs/operations.md).

-- (1) A participant's batch debits accepted into a cycle, per currency, counted at intake against
-- limits.amounts.participantCycleBatchDebitsMinorMax (switch/engine/ceilings.ts). With the real-time
-- ceiling below, they bound the cycle's gross, so no sum of a cycle can overflow a bigint.
CREATE TABLE cycle_debits (
  cycle_id bigint NOT NULL REFERENCES cycles (id),
  bic text NOT NULL,
  currency text NOT NULL,
  debits_minor bigint NOT NULL CHECK (debits_minor >= 0),
  PRIMARY KEY (cycle_id, bic, currency)
);

-- (2) A participant's real-time debits not yet settled (reserved and committed), bounded by
-- limits.amounts.participantRealtimeDebitsMinorMax as part of its headroom. Filled from the payments
-- such a debit stands for today.
ALTER TABLE exposures ADD COLUMN debits_minor bigint NOT NULL DEFAULT 0 CHECK (debits_minor >= 0);
UPDATE exposures e SET debits_minor = d.debits
  FROM (SELECT debtor_agent, currency, SUM(amount_minor) AS debits FROM payments
         WHERE mode = 'realtime' AND state IN ('RESERVED', 'COMMITTED') GROUP BY debtor_agent, currency) d
 WHERE e.bic = d.debtor_agent AND e.currency = d.currency;

-- (3) UETR keys are scoped by their sender like every other key (switch/engine/intake.ts
-- idempotencyClaims): a bank cannot claim another bank's UETR first. Keys claimed before keep their
-- message's sender as scope (one row per UETR before, so no two collide).
UPDATE idempotency_keys k SET scope = m.participant FROM messages m WHERE k.kind = 'UETR' AND k.scope = '' AND m.id = k.message_id;

-- (4) A cycle step that failed: the cycle stays where it was, and shows why (cycle list, operations.md).
ALTER TABLE cycles ADD COLUMN stalled_error text;
ALTER TABLE cycles ADD COLUMN stalled_at timestamptz;
