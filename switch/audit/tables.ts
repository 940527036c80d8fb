/**
 * The audited tables, as migration 022_audit_ledger.sql gives them their journal triggers (the test
 * test/audit/journal-triggers.test.ts checks that the two lists agree), and the columns each row's
 * canonical content is made of (docs/audit.md "Schema changes").
 *
 * `columns` is a declared list, not "every column the table has": migration 031 reinstalls every
 * journal trigger over exactly these columns (version 1 of each list: the tables' columns as they were
 * then, in their order, `messages.bytes` left out), and `audit verify` digests the same. A migration
 * that adds a column to an audited table therefore changes no row's digest: the column is not journaled
 * until a migration declares it — calling `audit_journal_install` with the longer list and `redigest`
 * (one UPDATE journal entry per row, with its new content) — and lists it here, with that migration's
 * number in `since`. A migration that drops or retypes a declared column does the same with the new list.
 */
export interface AuditedTable {
  readonly name: string;
  readonly keys: readonly string[];
  /**
   * How the content is printed: 'row' is the row text of the declared columns (`ROW(r.a, r.b, …)::text`,
   * the same text as `r::text` had while they were all the table's columns); 'json' the jsonb object of
   * them (`messages`, whose `bytes` are out: its `sha256` column is in).
   */
  readonly form: 'row' | 'json';
  /** The digested columns, in order (docs/audit.md "Schema changes"). */
  readonly columns: readonly string[];
  /** Columns declared after version 1 of the list: the migration that began journaling each one. */
  readonly since?: Readonly<Record<string, number>>;
  /**
   * The table's other columns, each with why it is not digested: every column is one or the other
   * (test/audit/journal-triggers.test.ts), so a column added by a migration is audited or left out by
   * a decision written here, never by oversight.
   */
  readonly notDigested?: Readonly<Record<string, string>>;
  /** What the table records, for docs and reports. */
  readonly records: string;
}

export const AUDITED_TABLES: readonly AuditedTable[] = [
  { name: 'messages', keys: ['id'], form: 'json', records: 'messages in and out (bytes by their sha256)',
    notDigested: { bytes: 'the sha256 column is digested, and audit verify checks the bytes against it' },
    columns: ['id', 'direction', 'participant', 'message_type', 'message_id', 'business_message_id', 'file_name', 'sha256', 'size_bytes', 'created_at', 'bytes_truncated'] },
  { name: 'intake', keys: ['message_id'], form: 'row', records: 'the outcome of each inbound message',
    columns: ['message_id', 'status', 'report', 'answer_message_id', 'processed_at'] },
  { name: 'payments', keys: ['id'], form: 'row', records: 'payments and their current state',
    notDigested: { pending_state: 'generated from state (migration 032), which is digested' },
    columns: ['id', 'message_id', 'transaction_index', 'kind', 'mode', 'transaction_id', 'end_to_end_id', 'uetr', 'instructing_agent', 'debtor_agent', 'creditor_agent', 'currency', 'amount_minor', 'settlement_date', 'state', 'reason_code', 'cycle_id', 'sequence', 'original_payment_id', 'returned_minor', 'confirm_by', 'transaction_xml', 'created_at', 'updated_at', 'forwarded_message_id'] },
  { name: 'payment_transitions', keys: ['id'], form: 'row', records: 'payment transitions, one by one',
    columns: ['id', 'payment_id', 'from_state', 'to_state', 'cause', 'reason_code', 'at'] },
  { name: 'payment_transition_sets', keys: ['id'], form: 'row', records: 'payment transitions, by batch step',
    columns: ['id', 'cycle_id', 'from_state', 'to_state', 'cause', 'reason_code', 'at', 'payment_ids'] },
  { name: 'cycles', keys: ['id'], form: 'row', records: 'cycle steps',
    columns: ['id', 'business_date', 'sequence', 'state', 'cut_off_at', 'opened_at', 'closed_at', 'netted_at', 'settled_at', 'settlement_attempt', 'stalled_error', 'stalled_at', 'settlement_resolution', 'settlement_alert_at'] },
  { name: 'cycle_positions', keys: ['cycle_id', 'bic', 'currency'], form: 'row', records: 'net positions',
    columns: ['cycle_id', 'bic', 'currency', 'net_minor'] },
  { name: 'cycle_bilateral', keys: ['cycle_id', 'currency', 'debtor', 'creditor'], form: 'row', records: 'bilateral matrix',
    columns: ['cycle_id', 'currency', 'debtor', 'creditor', 'gross_minor', 'payment_count'] },
  { name: 'settlement_instructions', keys: ['id'], form: 'row', records: 'settlement instructions and answers',
    columns: ['id', 'cycle_id', 'attempt', 'bic', 'currency', 'direction', 'amount_minor', 'instruction_id', 'state', 'reason_code', 'answered_at', 'message_id', 'sent_at'] },
  { name: 'recall_cases', keys: ['id'], form: 'row', records: 'recalls and their answers',
    columns: ['id', 'case_id', 'assigner', 'assignee', 'payment_id', 'request_message_id', 'answer_message_id', 'state', 'deadline', 'opened_at', 'closed_at', 'held_for_cycle'] },
  { name: 'system_events', keys: ['id'], form: 'row', records: 'cycle and system events',
    columns: ['id', 'code', 'cycle_id', 'detail', 'at'] },
  { name: 'operator_actions', keys: ['id'], form: 'row', records: 'operator actions',
    columns: ['id', 'at', 'actor', 'action', 'subject', 'reason', 'details'] },
  { name: 'pending_actions', keys: ['id'], form: 'row', records: 'four-eyes actions',
    columns: ['id', 'action', 'subject', 'payload', 'maker', 'reason', 'created_at', 'state', 'checker', 'decided_at'] },
  { name: 'participants', keys: ['bic'], form: 'row', records: 'participants (configuration)',
    columns: ['bic', 'name', 'status', 'updated_at'] },
  { name: 'scheme_register', keys: ['version'], form: 'row', records: 'scheme register versions (configuration)',
    columns: ['version', 'document', 'action_id', 'applied_at'] },
  { name: 'risk_events', keys: ['id'], form: 'row', records: 'risk events and actions',
    columns: ['id', 'at', 'kind', 'actor', 'reason', 'payment_id', 'participant', 'details'] },
  { name: 'risk_freezes', keys: ['participant', 'account'], form: 'row', records: 'account freezes',
    columns: ['participant', 'account', 'frozen_at', 'frozen_by', 'reason'] },
  { name: 'risk_profile_versions', keys: ['id'], form: 'row', records: 'risk profile loads',
    columns: ['id', 'participant', 'effective_from', 'loaded_at', 'loaded_by', 'reason', 'file_name', 'sha256', 'accounts', 'customers', 'complete'] },
  { name: 'screening_lists', keys: ['id'], form: 'row', records: 'screening list loads',
    columns: ['id', 'name', 'version', 'format', 'loaded_at', 'loaded_by', 'action_id', 'source_sha256', 'entry_count', 'value_count'] },
  { name: 'payee_directory_versions', keys: ['id'], form: 'row', records: 'payee directory loads',
    columns: ['id', 'participant', 'version', 'entries', 'sha256', 'loaded_at', 'operator_action_id'] },
  { name: 'payee_verifications', keys: ['id'], form: 'row', records: 'payee verifications',
    columns: ['id', 'request_message_id', 'requester', 'request_msg_id', 'request_created', 'verification_id', 'payee_agent', 'account_kind', 'account', 'name', 'forwarded_msg_id', 'state', 'answer_by', 'result', 'answered_by', 'answer_message_id', 'created_at', 'answered_at'] },
];

/** SQL for a row's key text over alias `r` (as the journal triggers compute it). */
export function keySql(table: AuditedTable): string {
  return `concat_ws('/', ${table.keys.map((k) => `r.${quoteIdent(k)}`).join(', ')})`;
}

/**
 * SQL for the sha256 of a row's canonical content over alias `r` (TimeZone UTC and DateStyle ISO, YMD):
 * the same expression migration 031's audit_journal_install puts in the table's trigger.
 */
export function contentSql(table: AuditedTable): string {
  const content = table.form === 'row' ? `ROW(${table.columns.map((c) => `r.${quoteIdent(c)}`).join(', ')})::text`
    : `jsonb_build_object(${table.columns.map((c) => `'${c}', r.${quoteIdent(c)}`).join(', ')})::text`;
  return `sha256(convert_to(${content}, 'UTF8'))`;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
