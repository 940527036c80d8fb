-- Payee verification (acmt.023 / acmt.024; docs/risk.md "Payee verification").
--
-- The payee directory: the names on their accounts that participants supply, by file
-- (`clearhouse payee directory load`). Each load is a new version of that participant's directory and
-- replaces the previous one as a whole; versions are kept (who loaded what, when, under which
-- recorded operator action), and the newest is in force.
CREATE TABLE payee_directory_versions (
  id bigserial PRIMARY KEY,
  participant text NOT NULL,
  version integer NOT NULL,
  entries integer NOT NULL,
  sha256 text NOT NULL,
  loaded_at timestamptz NOT NULL,
  operator_action_id bigint NOT NULL REFERENCES operator_actions (id),
  UNIQUE (participant, version)
);

CREATE TABLE payee_directory_entries (
  version_id bigint NOT NULL REFERENCES payee_directory_versions (id),
  -- the IBAN (upper case, no spaces) or the Othr/Id of the account
  account text NOT NULL,
  name text NOT NULL,
  PRIMARY KEY (version_id, account)
);

-- One verification asked by a payer's bank, from its arrival to the acmt.024 that answered it.
-- FORWARDED: the acmt.023 went to the payee's bank (forwarded_msg_id), whose answer is due by answer_by;
-- ANSWERED: the payer's bank was sent its acmt.024 (answer_message_id), by whom: the payee's bank, the
-- directory, or the switch at the timeout (NOAP).
CREATE TABLE payee_verifications (
  id bigserial PRIMARY KEY,
  request_message_id bigint NOT NULL REFERENCES messages (id),
  requester text NOT NULL,
  request_msg_id text NOT NULL,
  request_created text NOT NULL,
  verification_id text NOT NULL,
  payee_agent text NOT NULL,
  account_kind text NOT NULL CHECK (account_kind IN ('iban', 'other')),
  account text NOT NULL,
  name text NOT NULL,
  forwarded_msg_id text UNIQUE,
  state text NOT NULL CHECK (state IN ('FORWARDED', 'ANSWERED')),
  answer_by timestamptz,
  result text CHECK (result IN ('MTCH', 'CMTC', 'NMTC', 'NOAP')),
  answered_by text CHECK (answered_by IN ('bank', 'directory', 'timeout')),
  answer_message_id bigint REFERENCES messages (id),
  created_at timestamptz NOT NULL,
  answered_at timestamptz,
  CHECK ((state = 'FORWARDED') = (forwarded_msg_id IS NOT NULL AND result IS NULL))
);
CREATE INDEX payee_verifications_due ON payee_verifications (answer_by) WHERE state = 'FORWARDED';
