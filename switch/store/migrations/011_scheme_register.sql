-- The scheme register: the part of the scheme configuration operators change while the switch runs
-- (participants with their status, caps and connectors; currencies; services; per-payment maxima),
-- one row per version (switch/engine/register.ts). The newest version is in force: every engine
-- polls it and picks a new one up within limits.registerPollIntervalMs. A version is written only by
-- an explicit command (config apply, participant ...), each recorded first in operator_actions, or by
-- the first writing start of an empty store (seeded from the configuration file, recorded too).
-- Append-only, like the journal it refers to.
CREATE TABLE scheme_register (
  version bigint PRIMARY KEY,
  document jsonb NOT NULL,
  action_id bigint NOT NULL REFERENCES operator_actions (id),
  applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION scheme_register_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'scheme_register is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER scheme_register_append_only BEFORE UPDATE OR DELETE ON scheme_register
  FOR EACH ROW EXECUTE FUNCTION scheme_register_append_only();

-- A retired participant keeps its row (payments and positions refer to it) but is no longer in the
-- register: to the switch it is not a participant (RC02).
ALTER TABLE participants DROP CONSTRAINT participants_status_check;
ALTER TABLE participants ADD CONSTRAINT participants_status_check CHECK (status IN ('active', 'suspended', 'retired'));
