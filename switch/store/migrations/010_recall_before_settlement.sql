-- Recalls before settlement (docs/scheme-rules.md, "Returns, recalls and status requests"):
--  * a payment cancelled by its debtor agent before its cycle's cut-off ends CANCELLED (no check
--    constraint on payments.state: the state machine of switch/clearing/payment-state.ts rules it);
--  * a recall of a payment whose cycle is cut off but not yet settled is held: the case records the
--    cycle whose settlement forwards it to the creditor agent (NULL once forwarded, or never held).
ALTER TABLE recall_cases ADD COLUMN held_for_cycle bigint REFERENCES cycles (id);
CREATE INDEX recall_cases_held ON recall_cases (held_for_cycle) WHERE held_for_cycle IS NOT NULL;
