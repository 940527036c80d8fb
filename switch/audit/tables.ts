/**
 * The audited tables, as migration 022_audit_ledger.sql gives them their journal triggers (the test
 * test/audit/journal-triggers.test.ts checks that the two lists agree). `keys` make an entry's row key
 * (values joined by '/'); `excluded` columns are left out of the canonical content (docs/audit.md).
 */
export interface AuditedTable {
  readonly name: string;
  readonly keys: readonly string[];
  readonly excluded: readonly string[];
  /** What the table records, for docs and reports. */
  readonly records: string;
}

export const AUDITED_TABLES: readonly AuditedTable[] = [
  { name: 'messages', keys: ['id'], excluded: ['bytes'], records: 'messages in and out (bytes by their sha256)' },
  { name: 'intake', keys: ['message_id'], excluded: [], records: 'the outcome of each inbound message' },
  { name: 'payments', keys: ['id'], excluded: [], records: 'payments and their current state' },
  { name: 'payment_transitions', keys: ['id'], excluded: [], records: 'payment transitions, one by one' },
  { name: 'payment_transition_sets', keys: ['id'], excluded: [], records: 'payment transitions, by batch step' },
  { name: 'cycles', keys: ['id'], excluded: [], records: 'cycle steps' },
  { name: 'cycle_positions', keys: ['cycle_id', 'bic', 'currency'], excluded: [], records: 'net positions' },
  { name: 'cycle_bilateral', keys: ['cycle_id', 'currency', 'debtor', 'creditor'], excluded: [], records: 'bilateral matrix' },
  { name: 'settlement_instructions', keys: ['id'], excluded: [], records: 'settlement instructions and answers' },
  { name: 'recall_cases', keys: ['id'], excluded: [], records: 'recalls and their answers' },
  { name: 'system_events', keys: ['id'], excluded: [], records: 'cycle and system events' },
  { name: 'operator_actions', keys: ['id'], excluded: [], records: 'operator actions' },
  { name: 'pending_actions', keys: ['id'], excluded: [], records: 'four-eyes actions' },
  { name: 'participants', keys: ['bic'], excluded: [], records: 'participants (configuration)' },
  { name: 'scheme_register', keys: ['version'], excluded: [], records: 'scheme register versions (configuration)' },
  { name: 'risk_events', keys: ['id'], excluded: [], records: 'risk events and actions' },
  { name: 'risk_freezes', keys: ['participant', 'account'], excluded: [], records: 'account freezes' },
  { name: 'risk_profile_versions', keys: ['id'], excluded: [], records: 'risk profile loads' },
  { name: 'screening_lists', keys: ['id'], excluded: [], records: 'screening list loads' },
  { name: 'payee_directory_versions', keys: ['id'], excluded: [], records: 'payee directory loads' },
  { name: 'payee_verifications', keys: ['id'], excluded: [], records: 'payee verifications' },
];

/** SQL for a row's key text over alias `r` (as the journal triggers compute it). */
export function keySql(table: AuditedTable): string {
  return `concat_ws('/', ${table.keys.map((k) => `r.${quoteIdent(k)}`).join(', ')})`;
}

/** SQL for the sha256 of a row's canonical content over alias `r` (TimeZone UTC and DateStyle ISO, YMD). */
export function contentSql(table: AuditedTable): string {
  return table.excluded.length === 0 ? `sha256(convert_to(r::text, 'UTF8'))`
    : `sha256(convert_to((to_jsonb(r) - '{${table.excluded.join(',')}}'::text[])::text, 'UTF8'))`;
}


export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
