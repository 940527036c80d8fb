-- A batch payment's state derived from its cycle (issue 15, decisions 82 and 94). A batch payment that
-- goes through its cycle normally is stored ACCEPTED for good: netting and settlement change only the
-- cycle's row (and record the step in payment_transition_sets), no longer every payment of the cycle
-- (two UPDATEs of 200,000 rows and 400,000 journal entries in the batch bench). Its effective state is
-- read from its cycle's: NETTED while the cycle is NETTED, SETTLEMENT_SENT or PARTIALLY_SETTLED,
-- SETTLED once the cycle is SETTLED. Only the exceptions (unwound, rejected, cancelled, returned) write
-- the payment's row, and once written its stored state is its state. Rows stored NETTED or SETTLED
-- before this migration read as stored.
--
-- payment_effective_state is the one expression of that rule; payments_effective is payments with
-- `state` replaced by it (the stored value kept as stored_state). Every reader of a payment's state
-- reads payments_effective (switch/engine, reports, backup's summary, API reads); transitionPayments
-- compares the effective state when it moves payments out of ACCEPTED, NETTED or SETTLED.
CREATE FUNCTION payment_effective_state(stored text, mode text, cycle_state text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN stored = 'ACCEPTED' AND mode = 'batch' THEN
           CASE WHEN cycle_state IN ('NETTED', 'SETTLEMENT_SENT', 'PARTIALLY_SETTLED') THEN 'NETTED'
                WHEN cycle_state = 'SETTLED' THEN 'SETTLED'
                ELSE stored END
         ELSE stored END
$$;

CREATE VIEW payments_effective AS
  SELECT p.id, p.message_id, p.transaction_index, p.kind, p.mode, p.transaction_id, p.end_to_end_id, p.uetr,
         p.instructing_agent, p.debtor_agent, p.creditor_agent, p.currency, p.amount_minor, p.settlement_date,
         payment_effective_state(p.state, p.mode, c.state) AS state,
         p.reason_code, p.cycle_id, p.sequence, p.original_payment_id, p.returned_minor, p.confirm_by,
         p.transaction_xml, p.created_at, p.updated_at, p.forwarded_message_id, p.pending_state,
         p.state AS stored_state
    FROM payments p LEFT JOIN cycles c ON c.id = p.cycle_id;
