-- API sessions do not survive a restore (docs/operations.md "Backup and restore"): a session token
-- from before the backup (stolen, or simply old) must not log in to the restored switch. The restore
-- (switch/store/backup.ts) deletes every api_sessions row it loaded, in its own transaction, and
-- records how many here; people log in again (api_users, their passwords and TOTP secrets, are kept).
ALTER TABLE store_restores ADD COLUMN sessions_dropped integer NOT NULL DEFAULT 0;

-- The audit journal digests a declared list of columns per table, not the whole row (docs/audit.md
-- "Schema changes", switch/audit/tables.ts). Until now a row's content was its row text (r::text), or
-- the jsonb of the row without the excluded columns: every column the table had. A migration adding a
-- column to an audited table (even with a default) therefore changed every row's content, and `audit
-- verify` called all of them modified. From here on each journal trigger digests exactly the columns
-- given to audit_journal_install; a new column is not part of any row's content until a migration
-- declares it by calling audit_journal_install again with the longer list and p_redigest (one UPDATE
-- entry per row with its new content, which verify takes as the row's latest state), and
-- switch/audit/tables.ts lists it (with that migration in `since`). A migration that drops or retypes a
-- declared column must do the same (a trigger naming a dropped column fails every write to the table).
--
-- p_form 'row': ROW(r.c1, r.c2, ...)::text, the same text r::text printed while c1, c2, ... were all
-- the table's columns, so this migration changes no digest; 'json': jsonb_build_object('c1', r.c1, ...),
-- the same text to_jsonb(r) - excluded printed (messages, without bytes).
CREATE FUNCTION audit_journal_install(p_table text, p_keys text[], p_columns text[], p_form text, p_redigest boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  key_expr text;
  content_expr text;
  zone text := current_setting('TimeZone');
  style text := current_setting('DateStyle');
BEGIN
  IF p_form NOT IN ('row', 'json') THEN RAISE EXCEPTION 'audit_journal_install: form % (row or json)', p_form; END IF;
  IF p_form = 'json' AND cardinality(p_columns) > 50 THEN RAISE EXCEPTION 'audit_journal_install: jsonb_build_object takes 50 columns at most'; END IF;
  SELECT 'concat_ws(''/'', ' || string_agg('r.' || quote_ident(k), ', ' ORDER BY o) || ')' INTO key_expr FROM unnest(p_keys) WITH ORDINALITY AS u(k, o);
  IF p_form = 'row' THEN
    SELECT 'sha256(convert_to(ROW(' || string_agg('r.' || quote_ident(c), ', ' ORDER BY o) || ')::text, ''UTF8''))' INTO content_expr
      FROM unnest(p_columns) WITH ORDINALITY AS u(c, o);
  ELSE
    SELECT 'sha256(convert_to(jsonb_build_object(' || string_agg(quote_literal(c) || ', r.' || quote_ident(c), ', ' ORDER BY o) || ')::text, ''UTF8''))' INTO content_expr
      FROM unnest(p_columns) WITH ORDINALITY AS u(c, o);
  END IF;
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' SET DateStyle = 'ISO, YMD' AS $body$
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
    $body$ $f$, 'journal_' || p_table, p_table, key_expr, content_expr, p_table, key_expr, content_expr);
  IF p_redigest THEN
    PERFORM set_config('TimeZone', 'UTC', true);
    PERFORM set_config('DateStyle', 'ISO, YMD', true);
    EXECUTE format('INSERT INTO journal (table_name, row_key, operation, content_sha256) SELECT %L, %s, ''UPDATE'', %s FROM %I r ORDER BY 2',
      p_table, key_expr, content_expr, p_table);
    PERFORM set_config('TimeZone', zone, true);
    PERFORM set_config('DateStyle', style, true);
  END IF;
END
$$;

-- Version 1 of every list: the columns each audited table has now, in order (messages without bytes).
SELECT audit_journal_install(name, keys, columns, form, false) FROM (VALUES
  ('messages', ARRAY['id'], ARRAY['id', 'direction', 'participant', 'message_type', 'message_id', 'business_message_id', 'file_name', 'sha256', 'size_bytes', 'created_at', 'bytes_truncated'], 'json'),
  ('intake', ARRAY['message_id'], ARRAY['message_id', 'status', 'report', 'answer_message_id', 'processed_at'], 'row'),
  ('payments', ARRAY['id'], ARRAY['id', 'message_id', 'transaction_index', 'kind', 'mode', 'transaction_id', 'end_to_end_id', 'uetr', 'instructing_agent', 'debtor_agent', 'creditor_agent', 'currency', 'amount_minor', 'settlement_date', 'state', 'reason_code', 'cycle_id', 'sequence', 'original_payment_id', 'returned_minor', 'confirm_by', 'transaction_xml', 'created_at', 'updated_at', 'forwarded_message_id'], 'row'),
  ('payment_transitions', ARRAY['id'], ARRAY['id', 'payment_id', 'from_state', 'to_state', 'cause', 'reason_code', 'at'], 'row'),
  ('payment_transition_sets', ARRAY['id'], ARRAY['id', 'cycle_id', 'from_state', 'to_state', 'cause', 'reason_code', 'at', 'payment_ids'], 'row'),
  ('cycles', ARRAY['id'], ARRAY['id', 'business_date', 'sequence', 'state', 'cut_off_at', 'opened_at', 'closed_at', 'netted_at', 'settled_at', 'settlement_attempt', 'stalled_error', 'stalled_at', 'settlement_resolution', 'settlement_alert_at'], 'row'),
  ('cycle_positions', ARRAY['cycle_id', 'bic', 'currency'], ARRAY['cycle_id', 'bic', 'currency', 'net_minor'], 'row'),
  ('cycle_bilateral', ARRAY['cycle_id', 'currency', 'debtor', 'creditor'], ARRAY['cycle_id', 'currency', 'debtor', 'creditor', 'gross_minor', 'payment_count'], 'row'),
  ('settlement_instructions', ARRAY['id'], ARRAY['id', 'cycle_id', 'attempt', 'bic', 'currency', 'direction', 'amount_minor', 'instruction_id', 'state', 'reason_code', 'answered_at', 'message_id', 'sent_at'], 'row'),
  ('recall_cases', ARRAY['id'], ARRAY['id', 'case_id', 'assigner', 'assignee', 'payment_id', 'request_message_id', 'answer_message_id', 'state', 'deadline', 'opened_at', 'closed_at', 'held_for_cycle'], 'row'),
  ('system_events', ARRAY['id'], ARRAY['id', 'code', 'cycle_id', 'detail', 'at'], 'row'),
  ('operator_actions', ARRAY['id'], ARRAY['id', 'at', 'actor', 'action', 'subject', 'reason', 'details'], 'row'),
  ('pending_actions', ARRAY['id'], ARRAY['id', 'action', 'subject', 'payload', 'maker', 'reason', 'created_at', 'state', 'checker', 'decided_at'], 'row'),
  ('participants', ARRAY['bic'], ARRAY['bic', 'name', 'status', 'updated_at'], 'row'),
  ('scheme_register', ARRAY['version'], ARRAY['version', 'document', 'action_id', 'applied_at'], 'row'),
  ('risk_events', ARRAY['id'], ARRAY['id', 'at', 'kind', 'actor', 'reason', 'payment_id', 'participant', 'details'], 'row'),
  ('risk_freezes', ARRAY['participant', 'account'], ARRAY['participant', 'account', 'frozen_at', 'frozen_by', 'reason'], 'row'),
  ('risk_profile_versions', ARRAY['id'], ARRAY['id', 'participant', 'effective_from', 'loaded_at', 'loaded_by', 'reason', 'file_name', 'sha256', 'accounts', 'customers', 'complete'], 'row'),
  ('screening_lists', ARRAY['id'], ARRAY['id', 'name', 'version', 'format', 'loaded_at', 'loaded_by', 'action_id', 'source_sha256', 'entry_count', 'value_count'], 'row'),
  ('payee_directory_versions', ARRAY['id'], ARRAY['id', 'participant', 'version', 'entries', 'sha256', 'loaded_at', 'operator_action_id'], 'row'),
  ('payee_verifications', ARRAY['id'], ARRAY['id', 'request_message_id', 'requester', 'request_msg_id', 'request_created', 'verification_id', 'payee_agent', 'account_kind', 'account', 'name', 'forwarded_msg_id', 'state', 'answer_by', 'result', 'answered_by', 'answer_message_id', 'created_at', 'answered_at'], 'row')
) AS v(name, keys, columns, form);
