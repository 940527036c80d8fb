-- The risk stage (issue 12, docs/risk.md): participants' risk profiles, the daily limit counters and
-- what each payment took of them, frozen accounts and participants, and the risk events.
--   risk_profile_versions   one loaded file of one participant: a whole snapshot of its profiles,
--                           in force from effective_from until a later version of the same participant
--   risk_account_profiles   (version, account) → account type and risk level
--   risk_customer_profiles  (version, customer id) → risk level
--   risk_counters           per business date and key (debtor account, creditor account, participant):
--                           amount and count taken; taken and given back only on locked rows
--   risk_payment_usage      what one payment took of which counter, given back when the payment fails
--   risk_freezes            frozen accounts (participant, account) and participants (account '')
--   risk_events             every risk event: who, when, why, payment, details (score, features, hits)
CREATE TABLE risk_profile_versions (
  id bigserial PRIMARY KEY,
  participant text NOT NULL,
  effective_from timestamptz NOT NULL,
  loaded_at timestamptz NOT NULL,
  loaded_by text NOT NULL,
  reason text NOT NULL,
  file_name text,
  sha256 text NOT NULL,
  accounts integer NOT NULL,
  customers integer NOT NULL,
  -- a version is written whole in one transaction, then marked complete: never half-loaded
  complete boolean NOT NULL DEFAULT false
);
CREATE INDEX risk_profile_versions_current ON risk_profile_versions (participant, effective_from DESC, id DESC) WHERE complete;

CREATE TABLE risk_account_profiles (
  version_id bigint NOT NULL REFERENCES risk_profile_versions (id),
  account text NOT NULL,
  account_type text NOT NULL CHECK (account_type IN ('personal', 'business', 'government', 'other')),
  risk_level text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
  customer text,
  -- the line of the file it came from (the error of a refused file names it)
  line integer NOT NULL,
  PRIMARY KEY (version_id, account)
);

CREATE TABLE risk_customer_profiles (
  version_id bigint NOT NULL REFERENCES risk_profile_versions (id),
  customer text NOT NULL,
  risk_level text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
  PRIMARY KEY (version_id, customer)
);

CREATE TABLE risk_counters (
  business_date date NOT NULL,
  scope text NOT NULL CHECK (scope IN ('debtor-account', 'creditor-account', 'participant')),
  key text NOT NULL,
  currency text NOT NULL,
  amount_minor bigint NOT NULL DEFAULT 0 CHECK (amount_minor >= 0),
  count integer NOT NULL DEFAULT 0 CHECK (count >= 0),
  PRIMARY KEY (business_date, scope, key, currency)
);

CREATE TABLE risk_payment_usage (
  payment_id bigint NOT NULL REFERENCES payments (id),
  business_date date NOT NULL,
  scope text NOT NULL,
  key text NOT NULL,
  currency text NOT NULL,
  amount_minor bigint NOT NULL,
  PRIMARY KEY (payment_id, scope)
);

CREATE TABLE risk_freezes (
  participant text NOT NULL,
  -- '' freezes the whole participant
  account text NOT NULL,
  frozen_at timestamptz NOT NULL,
  frozen_by text NOT NULL,
  reason text NOT NULL,
  PRIMARY KEY (participant, account)
);

CREATE TABLE risk_events (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('limit-breach', 'screening-hit', 'score', 'hold', 'release', 'reject', 'freeze', 'unfreeze', 'timeout', 'frozen')),
  actor text NOT NULL,
  reason text NOT NULL,
  payment_id bigint REFERENCES payments (id),
  participant text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX risk_events_payment ON risk_events (payment_id);
CREATE INDEX risk_events_at ON risk_events (at);

-- Held payments: the review queue, and the real-time ones' deadline (confirm_by).
CREATE INDEX payments_held ON payments (mode, confirm_by) WHERE state = 'HELD';
