-- Notifications (docs/notifications.md): webhooks and e-mail for participants' payment events and the
-- operators' alerts.
--
-- A subscription: who is told (a participant's BIC, or NULL for the scheme's operators), of which
-- events, how (webhook to an https URL signed with its secret, or e-mail to an address). Removing one
-- keeps the row (removed_at): its notifications and their attempts still name it. Who changed what and
-- why is in operator_actions (notify.subscribe, notify.remove).
CREATE TABLE notification_subscriptions (
  id bigserial PRIMARY KEY,
  participant text,
  channel text NOT NULL CHECK (channel IN ('webhook', 'email')),
  target text NOT NULL CHECK (length(target) > 0),
  events text[] NOT NULL CHECK (cardinality(events) > 0),
  secret text,
  created_at timestamptz NOT NULL,
  removed_at timestamptz,
  operator_action_id bigint NOT NULL REFERENCES operator_actions (id),
  CHECK (channel <> 'webhook' OR secret IS NOT NULL)
);
CREATE INDEX notification_subscriptions_active ON notification_subscriptions (participant) WHERE removed_at IS NULL;

-- The notification outbox: one row per subscription and event, written in the transaction of the
-- state change that causes it (payment events) or by the engine's event sink (alerts). event_key names
-- the event (e.g. payment.settled:42), so an event reported twice is one notification.
-- PENDING rows are due from next_attempt_at (NULL: at once); a worker leases a row (lease_until) for one
-- attempt; DELIVERED after a 2xx or an accepted mail; DEAD after the last attempt (alerted).
CREATE TABLE notifications (
  id bigserial PRIMARY KEY,
  subscription_id bigint NOT NULL REFERENCES notification_subscriptions (id),
  kind text NOT NULL,
  event_key text NOT NULL,
  payment_id bigint REFERENCES payments (id),
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  state text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  lease_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  UNIQUE (subscription_id, event_key)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at, id) WHERE state = 'PENDING';

-- Every attempt: when it started and ended, the HTTP status (webhooks) or SMTP reply, latency, error.
-- An attempt with no finished_at was interrupted (the process stopped while it was being made).
CREATE TABLE notification_attempts (
  notification_id bigint NOT NULL REFERENCES notifications (id),
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  ok boolean,
  status_code integer,
  latency_ms integer,
  error text,
  PRIMARY KEY (notification_id, attempt)
);
