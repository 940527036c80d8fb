-- The change counter of the risk stage's reference data (issue 12 "Performance", docs/risk.md
-- "Freezes and profiles in force"). Each engine keeps the freezes and the profile versions in memory
-- (switch/engine/risk-reference.ts) and reads this one row at most every limits.registerPollIntervalMs
-- to learn whether they changed. Every freeze, unfreeze and completed profile load adds one to it in its
-- own transaction, so the number a reader sees and the rows it then reads are of the same commit.
CREATE TABLE risk_reference_generation (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  generation bigint NOT NULL
);
-- No row until the first change (read as 0): a migration that seeds a row would collide with the
-- restored one when `clearhouse restore` builds the schema and then loads the backup's rows.
