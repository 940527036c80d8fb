-- The journal of operator actions: every action a person takes through an operator command, recorded
-- before it takes effect (switch/engine/operator-actions.ts). The first is `submit --operator` (a file
-- stored for a participant without its signature); every later operator action (release a held
-- payment, suspend a participant, resend, ...) is a row here too, so the table is general:
--   actor    who (the operator's name as given), action  what (a dotted verb, e.g. message.submit),
--   subject  on what (a BIC, a payment or cycle id), reason  why (required, never empty),
--   details  the rest, as JSON (file name and SHA-256, command line, outcome references).
-- Append-only: an entry is never changed or removed (trigger below).
CREATE TABLE operator_actions (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL CHECK (length(btrim(actor)) > 0),
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
  subject text NOT NULL CHECK (length(subject) > 0),
  reason text NOT NULL CHECK (length(btrim(reason)) > 0),
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX operator_actions_subject ON operator_actions (subject, at);
CREATE INDEX operator_actions_at ON operator_actions (at);

CREATE FUNCTION operator_actions_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'operator actions are append-only (action %)', OLD.id;
END
$$;
CREATE TRIGGER operator_actions_append_only BEFORE UPDATE OR DELETE ON operator_actions
  FOR EACH ROW EXECUTE FUNCTION operator_actions_are_append_only();
