-- The tamper-evident audit ledger (docs/audit.md, decisions 67-70).
--
-- journal: one entry per row inserted, updated or deleted in an audited table, written by AFTER ...
-- FOR EACH STATEMENT triggers (one INSERT ... SELECT per statement, never one call per row): the table,
-- the row's key, the operation, the sha256 of the row's canonical content, and the writing
-- transaction's id. No hash chain here: concurrent writers take a sequence number each and never wait
-- on one row.
-- ledger: the sealer (switch/audit/sealer.ts) takes the journal entries whose transactions have all
-- finished (xid below the snapshot's xmin), orders them by (xid, seq) and chains them:
-- entry_hash = sha256(entry text || previous entry_hash), position 1, 2, 3, ...
-- Entries of journal and ledger are never changed nor deleted (triggers below refuse it).
--
-- Canonical content of a row: the text PostgreSQL prints for the row (row::text), or for a table with
-- excluded columns for to_jsonb(row) without them, computed with TimeZone = UTC and DateStyle = ISO,
-- encoded UTF-8. Excluded: messages.bytes (its sha256 column is in the content, and `clearhouse audit
-- verify` checks the bytes against it).
CREATE TABLE journal (
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  seq bigserial NOT NULL,
  table_name text NOT NULL,
  row_key text NOT NULL,
  operation text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  content_sha256 bytea NOT NULL,
  PRIMARY KEY (xid, seq)
);

CREATE TABLE ledger (
  position bigint PRIMARY KEY,
  xid xid8 NOT NULL,
  seq bigint NOT NULL,
  entry_hash bytea NOT NULL
);
-- Each journal entry is sealed once; verify finds an entry's place by it.
CREATE UNIQUE INDEX ledger_entry ON ledger (xid, seq);

-- One row per sealing: the journal is sealed up to (excluding) horizon, and the ledger up to position.
CREATE TABLE ledger_seals (
  id bigserial PRIMARY KEY,
  horizon xid8 NOT NULL,
  position bigint NOT NULL,
  sealed_at timestamptz NOT NULL DEFAULT now()
);

-- Signed Merkle roots over a period's ledger entries, published to every participant.
CREATE TABLE ledger_checkpoints (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('cycle', 'day')),
  subject text NOT NULL,
  first_position bigint NOT NULL,
  last_position bigint NOT NULL,
  merkle_root bytea NOT NULL,
  chain_head bytea NOT NULL,
  document text NOT NULL,
  signed bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, subject)
);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER ledger_seals_append_only BEFORE UPDATE OR DELETE ON ledger_seals FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_append_only();

-- The audited tables: name, key columns, excluded columns. The same list is AUDITED_TABLES in
-- switch/audit/tables.ts (test/audit/journal-triggers.test.ts checks that they agree). For each, one
-- function with static SQL (its plans cached per session) and three statement triggers (a transition
-- table serves one event only).
DO $$
DECLARE
  t record;
  key_expr text;
  content_expr text;
  zone text := current_setting('TimeZone');
  style text := current_setting('DateStyle');
BEGIN
  PERFORM set_config('TimeZone', 'UTC', true);
  PERFORM set_config('DateStyle', 'ISO, YMD', true);
  FOR t IN SELECT * FROM (VALUES
      ('messages', ARRAY['id'], ARRAY['bytes']),
      ('intake', ARRAY['message_id'], ARRAY[]::text[]),
      ('payments', ARRAY['id'], ARRAY[]::text[]),
      ('payment_transitions', ARRAY['id'], ARRAY[]::text[]),
      ('payment_transition_sets', ARRAY['id'], ARRAY[]::text[]),
      ('cycles', ARRAY['id'], ARRAY[]::text[]),
      ('cycle_positions', ARRAY['cycle_id', 'bic', 'currency'], ARRAY[]::text[]),
      ('cycle_bilateral', ARRAY['cycle_id', 'currency', 'debtor', 'creditor'], ARRAY[]::text[]),
      ('settlement_instructions', ARRAY['id'], ARRAY[]::text[]),
      ('recall_cases', ARRAY['id'], ARRAY[]::text[]),
      ('system_events', ARRAY['id'], ARRAY[]::text[]),
      ('operator_actions', ARRAY['id'], ARRAY[]::text[]),
      ('pending_actions', ARRAY['id'], ARRAY[]::text[]),
      ('participants', ARRAY['bic'], ARRAY[]::text[]),
      ('scheme_register', ARRAY['version'], ARRAY[]::text[]),
      ('risk_events', ARRAY['id'], ARRAY[]::text[]),
      ('risk_freezes', ARRAY['participant', 'account'], ARRAY[]::text[]),
      ('risk_profile_versions', ARRAY['id'], ARRAY[]::text[]),
      ('screening_lists', ARRAY['id'], ARRAY[]::text[]),
      ('payee_directory_versions', ARRAY['id'], ARRAY[]::text[]),
      ('payee_verifications', ARRAY['id'], ARRAY[]::text[])
    ) AS v(name, keys, excluded)
  LOOP
    SELECT 'concat_ws(''/'', ' || string_agg('r.' || quote_ident(k), ', ') || ')' INTO key_expr FROM unnest(t.keys) AS k;
    -- A row's text form (record output) costs a third of building its jsonb; a table with excluded
    -- columns (messages: bytes) takes the jsonb without them.
    content_expr := CASE WHEN cardinality(t.excluded) = 0 THEN 'sha256(convert_to(r::text, ''UTF8''))'
      ELSE 'sha256(convert_to((to_jsonb(r) - ' || quote_literal(t.excluded::text) || '::text[])::text, ''UTF8''))' END;
    EXECUTE format($f$
      CREATE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' SET DateStyle = 'ISO, YMD' AS $body$
      BEGIN
        -- A restore (clearhouse restore, switch/store/backup.ts) loads the journal as it was: the rows
        -- it inserts are history already journaled, not new changes.
        IF current_setting('clearhouse.restoring', true) = 'on' THEN RETURN NULL; END IF;
        IF TG_OP = 'DELETE' THEN
          INSERT INTO journal (table_name, row_key, operation, content_sha256)
            SELECT %L, %s, 'DELETE', %s FROM journal_old_rows r;
        ELSE
          INSERT INTO journal (table_name, row_key, operation, content_sha256)
            SELECT %L, %s, TG_OP, %s FROM journal_new_rows r;
        END IF;
        RETURN NULL;
      END
      $body$ $f$, 'journal_' || t.name, t.name, key_expr, content_expr, t.name, key_expr, content_expr);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS journal_new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
      t.name || '_journal_insert', t.name, 'journal_' || t.name);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS journal_new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
      t.name || '_journal_update', t.name, 'journal_' || t.name);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS journal_old_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
      t.name || '_journal_delete', t.name, 'journal_' || t.name);
    -- Rows written before this migration enter the journal as inserts of their current content.
    EXECUTE format('INSERT INTO journal (table_name, row_key, operation, content_sha256) SELECT %L, %s, ''INSERT'', %s FROM %I r ORDER BY 2',
      t.name, key_expr, content_expr, t.name);
  END LOOP;
  PERFORM set_config('TimeZone', zone, true);
  PERFORM set_config('DateStyle', style, true);
END
$$;
