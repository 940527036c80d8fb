-- The same bytes from the same sender are stored once: a second submission is a replay. Without this,
-- two concurrent submissions of one file could both pass the replay check before either commits.
CREATE UNIQUE INDEX messages_inbound_once ON messages (participant, sha256) WHERE direction = 'in';
