-- Dead letters of the queue transport (connectors/dead-letters.ts): a job BullMQ gave up on (attempts
-- exhausted, corrupt payload, stalled too often). One row per queue and job id, however many times the
-- failure is reported; operators list them with `clearhouse dead-letters`.
CREATE TABLE dead_letters (
  id bigserial PRIMARY KEY,
  -- the queue with its Redis prefix, e.g. clearhouse:out-BANKFRPPXXX
  queue text NOT NULL,
  job_id text NOT NULL,
  participant text NOT NULL,
  file_name text,
  -- SHA-256 (hex) of the file the job carried, as the producer declared it
  payload_sha256 text,
  attempts integer NOT NULL CHECK (attempts >= 0),
  last_error text,
  failed_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (queue, job_id)
);
CREATE INDEX dead_letters_failed_at ON dead_letters (failed_at);
