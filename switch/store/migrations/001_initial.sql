-- The clearing house's store. Money is bigint minor units; amounts, ids and codes stay text.
-- Every inbound and outbound message is kept byte for byte and never changed.

-- Participants as configured (synchronised from the scheme configuration at start).
CREATE TABLE participants (
  bic text PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'suspended')),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Real-time exposure per participant and currency: headroom = cap + net - reserved.
-- net: committed real-time payments not yet settled (credits minus debits);
-- reserved: amounts held for payments forwarded and awaiting the creditor agent.
-- The CHECK makes "two workers both took the last headroom" impossible even if code were wrong.
CREATE TABLE exposures (
  bic text NOT NULL REFERENCES participants (bic),
  currency text NOT NULL,
  cap_minor bigint NOT NULL CHECK (cap_minor >= 0),
  net_minor bigint NOT NULL DEFAULT 0,
  reserved_minor bigint NOT NULL DEFAULT 0 CHECK (reserved_minor >= 0),
  PRIMARY KEY (bic, currency)
);

-- Raw messages, both directions. Immutable (trigger below).
CREATE TABLE messages (
  id bigserial PRIMARY KEY,
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  -- the sender of an inbound message, the recipient of an outbound one
  participant text NOT NULL,
  message_type text,
  message_id text,
  business_message_id text,
  file_name text,
  sha256 text NOT NULL,
  size_bytes integer NOT NULL,
  bytes bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_participant ON messages (participant, direction, created_at);

CREATE FUNCTION messages_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'messages are immutable (message %)', OLD.id;
END
$$;
CREATE TRIGGER messages_immutable BEFORE UPDATE OR DELETE ON messages
  FOR EACH ROW EXECUTE FUNCTION messages_are_immutable();

-- The outcome of each inbound message: its validation report and the answer sent back.
CREATE TABLE intake (
  message_id bigint PRIMARY KEY REFERENCES messages (id),
  status text NOT NULL CHECK (status IN ('ACCP', 'PART', 'RJCT')),
  report jsonb NOT NULL,
  answer_message_id bigint REFERENCES messages (id),
  processed_at timestamptz NOT NULL DEFAULT now()
);

-- Idempotency: every id a message claims, unique per its scope. Claimed in the same transaction that
-- stores the message's outcome, before anything is acknowledged.
--   BAH:  scope = sender BIC,            key = BizMsgIdr
--   MSG:  scope = sender BIC,            key = message type + MsgId
--   TX:   scope = instructing agent BIC, key = TxId
--   UETR: scope = '',                    key = UETR
CREATE TABLE idempotency_keys (
  kind text NOT NULL CHECK (kind IN ('BAH', 'MSG', 'TX', 'UETR')),
  scope text NOT NULL,
  key text NOT NULL,
  message_id bigint NOT NULL REFERENCES messages (id),
  sha256 text NOT NULL,
  PRIMARY KEY (kind, scope, key)
);

-- Clearing cycles. At most one OPEN cycle at a time.
CREATE TABLE cycles (
  id bigserial PRIMARY KEY,
  business_date date NOT NULL,
  sequence integer NOT NULL,
  state text NOT NULL CHECK (state IN ('OPEN', 'CUT_OFF', 'NETTED', 'SETTLEMENT_SENT', 'SETTLED', 'PARTIALLY_SETTLED')),
  cut_off_at timestamptz,
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  netted_at timestamptz,
  settled_at timestamptz,
  settlement_attempt integer NOT NULL DEFAULT 0,
  UNIQUE (business_date, sequence)
);
CREATE UNIQUE INDEX cycles_one_open ON cycles ((true)) WHERE state = 'OPEN';

-- Payments: one row per accepted-or-rejected transaction of an inbound message.
CREATE TABLE payments (
  id bigserial PRIMARY KEY,
  message_id bigint NOT NULL REFERENCES messages (id),
  transaction_index integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('CREDIT', 'RETURN')),
  mode text NOT NULL CHECK (mode IN ('batch', 'realtime')),
  transaction_id text,
  end_to_end_id text,
  uetr text,
  instructing_agent text NOT NULL,
  debtor_agent text NOT NULL,
  creditor_agent text NOT NULL,
  currency text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  settlement_date date,
  state text NOT NULL,
  reason_code text,
  cycle_id bigint REFERENCES cycles (id),
  -- acceptance order: unwind takes the latest first, the real-time queue releases the earliest first
  sequence bigserial NOT NULL,
  original_payment_id bigint REFERENCES payments (id),
  returned_minor bigint NOT NULL DEFAULT 0 CHECK (returned_minor >= 0),
  confirm_by timestamptz,
  -- the transaction element as received, forwarded to the creditor agent unchanged
  transaction_xml text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (message_id, transaction_index),
  CHECK (returned_minor <= amount_minor)
);
CREATE INDEX payments_cycle_state ON payments (cycle_id, state);
CREATE INDEX payments_state ON payments (state, mode);
CREATE INDEX payments_queue ON payments (debtor_agent, currency, sequence) WHERE state = 'QUEUED';
CREATE INDEX payments_by_transaction ON payments (instructing_agent, transaction_id);
CREATE INDEX payments_by_uetr ON payments (uetr);

-- Every state change of a payment, with its cause.
CREATE TABLE payment_transitions (
  id bigserial PRIMARY KEY,
  payment_id bigint NOT NULL REFERENCES payments (id),
  from_state text,
  to_state text NOT NULL,
  cause text NOT NULL,
  reason_code text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_transitions_payment ON payment_transitions (payment_id, id);

-- Net positions of a netted cycle (multilateral) and its bilateral matrix.
CREATE TABLE cycle_positions (
  cycle_id bigint NOT NULL REFERENCES cycles (id),
  bic text NOT NULL,
  currency text NOT NULL,
  net_minor bigint NOT NULL,
  PRIMARY KEY (cycle_id, bic, currency)
);
CREATE TABLE cycle_bilateral (
  cycle_id bigint NOT NULL REFERENCES cycles (id),
  currency text NOT NULL,
  debtor text NOT NULL,
  creditor text NOT NULL,
  gross_minor bigint NOT NULL,
  payment_count integer NOT NULL,
  PRIMARY KEY (cycle_id, currency, debtor, creditor)
);

-- Settlement instructions (pacs.009) sent to the settlement agent, one per participant, currency and attempt.
CREATE TABLE settlement_instructions (
  id bigserial PRIMARY KEY,
  cycle_id bigint NOT NULL REFERENCES cycles (id),
  attempt integer NOT NULL,
  bic text NOT NULL,
  currency text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('DEBIT', 'CREDIT')),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  instruction_id text NOT NULL UNIQUE,
  state text NOT NULL CHECK (state IN ('SENT', 'SETTLED', 'REJECTED')),
  reason_code text,
  answered_at timestamptz,
  UNIQUE (cycle_id, attempt, bic, currency)
);

-- Outbound messages waiting for delivery, written in the same transaction as the state change that
-- causes them; the dispatcher delivers them through the recipient's connector.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  message_id bigint NOT NULL UNIQUE REFERENCES messages (id),
  recipient text NOT NULL,
  state text NOT NULL CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE state = 'PENDING';

CREATE TABLE deliveries (
  id bigserial PRIMARY KEY,
  outbox_id bigint NOT NULL REFERENCES outbox (id),
  attempt integer NOT NULL,
  ok boolean NOT NULL,
  detail text,
  at timestamptz NOT NULL DEFAULT now()
);

-- Recall (camt.056) cases and their answers (camt.029).
CREATE TABLE recall_cases (
  id bigserial PRIMARY KEY,
  case_id text NOT NULL,
  assigner text NOT NULL,
  assignee text NOT NULL,
  payment_id bigint REFERENCES payments (id),
  request_message_id bigint NOT NULL REFERENCES messages (id),
  answer_message_id bigint REFERENCES messages (id),
  state text NOT NULL CHECK (state IN ('OPEN', 'ACCEPTED', 'REJECTED', 'EXPIRED')),
  deadline timestamptz NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  UNIQUE (assigner, case_id)
);

-- System events (cycle opened, cut off, netted, settled, unwound; participant suspended), each
-- broadcast as admi.004.
CREATE TABLE system_events (
  id bigserial PRIMARY KEY,
  code text NOT NULL,
  cycle_id bigint REFERENCES cycles (id),
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
