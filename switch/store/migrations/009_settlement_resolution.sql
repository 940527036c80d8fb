-- Settlement that the agent did not finish (docs/operations.md, "Resolving a partial settlement"):
-- how an operator resolved a PARTIALLY_SETTLED cycle (reinstruct, unwind-defaulter, settled-elsewhere;
-- who and why are in operator_actions), and when the switch last raised the alert that the settlement
-- agent had not answered within settlementAgent.answerTimeoutSeconds.
ALTER TABLE cycles ADD COLUMN settlement_resolution text
  CHECK (settlement_resolution IN ('reinstruct', 'unwind-defaulter', 'settled-elsewhere'));
ALTER TABLE cycles ADD COLUMN settlement_alert_at timestamptz;
-- When each instruction was sent (the engine's clock): the answer timeout runs from the attempt's first.
ALTER TABLE settlement_instructions ADD COLUMN sent_at timestamptz;
