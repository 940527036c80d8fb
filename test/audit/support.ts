/**
 * The audit tests' store: PGlite in memory or a fresh schema of the CI PostgreSQL, migrated, with
 * rows in every audited table written the ordinary way (triggers on), some of them updated and
 * deleted afterwards, as the engine would.
 */
import { openDatabase, type Database, type Queryable } from '../../switch/store/database.ts';
import { migrate } from '../../switch/store/migrate.ts';
import { migratedTemplate } from '../support/store-template.ts';
import { freshPostgresUrl, type Backend } from '../engine/support.ts';

export { backends, type Backend } from '../engine/support.ts';

export async function openAuditStore(backend: Backend): Promise<Database> {
  // PGlite: from the run's migrated template (test/support/store-template.ts); migrate() checks it is current.
  const db = await openDatabase(backend === 'postgres' ? { url: await freshPostgresUrl(), poolSize: 3 } : { startFrom: await migratedTemplate() });
  await migrate(db);
  return db;
}

/** Rows in each audited table (at least two each, different), in a few transactions. */
export async function fillAuditedTables(db: Database, round = 0): Promise<void> {
  const r = round * 100;
  await db.transaction(async (tx) => {
    await tx.query(`INSERT INTO participants (bic, name, status) VALUES ($1, 'Bank A', 'active'), ($2, 'Bank B', 'active')`,
      [`BANKA${r}XXX`, `BANKB${r}XXX`]);
    await msg(tx, 'in', `BANKA${r}XXX`, '<Document>one</Document>');
    await msg(tx, 'out', `BANKB${r}XXX`, '<Document>two</Document>');
    await msg(tx, 'in', `BANKB${r}XXX`, '<Document>three</Document>');
  });
  await db.transaction(async (tx) => {
    await tx.query(`INSERT INTO cycles (business_date, sequence, state) VALUES ('2026-11-26', $1, 'SETTLED'), ('2026-11-26', $2, 'NETTED')`, [r + 1, r + 2]);
    const [m1, m2] = (await tx.query<{ id: bigint }>(`SELECT id FROM messages ORDER BY id DESC LIMIT 3`)).map((x) => x.id);
    const [c1, c2] = (await tx.query<{ id: bigint }>(`SELECT id FROM cycles ORDER BY id DESC LIMIT 2`)).map((x) => x.id).reverse();
    await tx.query(`INSERT INTO intake (message_id, status, report, answer_message_id) VALUES ($1, 'ACCP', '{"errors": []}', $2), ($2, 'RJCT', '{"errors": ["FF01"]}', NULL)`, [m1, m2]);
    for (const [i, amount] of [[0, 1000n], [1, 2500n], [2, 70n]] as const) {
      await tx.query(`INSERT INTO payments (message_id, transaction_index, kind, mode, transaction_id, end_to_end_id, instructing_agent, debtor_agent,
                        creditor_agent, currency, amount_minor, settlement_date, state, cycle_id, transaction_xml)
                      VALUES ($1, $2, 'CREDIT', 'realtime', $3, 'E2E', 'BANKAXXX', 'BANKAXXX', 'BANKBXXX', 'EUR', $4, '2026-11-26', 'ACCEPTED', $5, '<CdtTrfTxInf/>')`,
        [m1, i, `TX${r}-${i}`, amount, c1]);
    }
    const payments = (await tx.query<{ id: bigint }>(`SELECT id FROM payments WHERE message_id = $1 ORDER BY id`, [m1])).map((x) => x.id);
    await tx.query(`INSERT INTO payment_transitions (payment_id, from_state, to_state, cause) SELECT id, NULL, 'RECEIVED', 'intake' FROM payments WHERE message_id = $1`, [m1]);
    await tx.query(`INSERT INTO payment_transition_sets (cycle_id, from_state, to_state, cause, payment_ids) VALUES ($1, 'ACCEPTED', 'NETTED', 'cut-off', $2), ($1, 'NETTED', 'SETTLED', 'settled', $3)`,
      [c1, payments, payments.slice(0, 2)]);
    await tx.query(`INSERT INTO cycle_positions (cycle_id, bic, currency, net_minor) VALUES ($1, 'BANKAXXX', 'EUR', -3570), ($1, 'BANKBXXX', 'EUR', 3570)`, [c1]);
    await tx.query(`INSERT INTO cycle_bilateral (cycle_id, currency, debtor, creditor, gross_minor, payment_count) VALUES ($1, 'EUR', 'BANKAXXX', 'BANKBXXX', 3570, 3), ($1, 'EUR', 'BANKBXXX', 'BANKAXXX', 0, 0)`, [c1]);
    await tx.query(`INSERT INTO settlement_instructions (cycle_id, attempt, bic, currency, direction, amount_minor, instruction_id, state)
                    VALUES ($1, 1, 'BANKAXXX', 'EUR', 'DEBIT', 3570, $2, 'SENT'), ($1, 1, 'BANKBXXX', 'EUR', 'CREDIT', 3570, $3, 'SENT')`, [c1, `SI${r}-1`, `SI${r}-2`]);
    await tx.query(`INSERT INTO recall_cases (case_id, assigner, assignee, payment_id, request_message_id, state, deadline)
                    VALUES ($1, 'BANKAXXX', 'BANKBXXX', $2, $3, 'OPEN', '2026-12-01T10:00:00Z'), ($4, 'BANKBXXX', 'BANKAXXX', $5, $3, 'OPEN', '2026-12-02T10:00:00Z')`,
      [`CASE${r}-1`, payments[0], m1, `CASE${r}-2`, payments[1]]);
    await tx.query(`INSERT INTO system_events (code, cycle_id, detail) VALUES ('CYCLE_CUT_OFF', $1, '{"n": 1}'), ('CYCLE_SETTLED', $1, '{"n": 2}'), ('CYCLE_OPENED', $2, '{}')`, [c1, c2]);
    const actions = (await tx.query<{ id: bigint }>(`INSERT INTO operator_actions (actor, action, subject, reason, details)
                    VALUES ('olivia', 'settlement.resolve', $1, 'short account', '{"how": "reinstruct"}'), ('oscar', 'register.apply', 'register', 'new bank', '{}'),
                           ('olivia', 'screening.load', 'un', 'monthly list', '{}') RETURNING id`, [String(c1)])).map((x) => x.id);
    await tx.query(`INSERT INTO pending_actions (action, subject, payload, maker, reason, created_at, state) VALUES ('risk.unfreeze', 'BANKAXXX/ACC1', '{}', 'olivia', 'cleared', now(), 'PENDING'),
                    ('participant.suspend', 'BANKBXXX', '{"x": 1}', 'oscar', 'default', now(), 'PENDING')`);
    await tx.query(`INSERT INTO scheme_register (version, document, action_id) VALUES ($1, '{"participants": 2}', $2), ($3, '{"participants": 3}', $2)`, [r + 1, actions[1], r + 2]);
    await tx.query(`INSERT INTO risk_events (at, kind, actor, reason, payment_id, participant, details) VALUES (now(), 'hold', 'switch', 'score 91', $1, 'BANKAXXX', '{"score": 91}'),
                    (now(), 'release', 'olivia', 'known customer', $1, 'BANKAXXX', '{}')`, [payments[2]]);
    await tx.query(`INSERT INTO risk_freezes (participant, account, frozen_at, frozen_by, reason) VALUES ('BANKAXXX', $1, now(), 'olivia', 'fraud report'), ('BANKBXXX', $2, now(), 'oscar', 'court order')`,
      [`DE00ACC${r}1`, `DE00ACC${r}2`]);
    await tx.query(`INSERT INTO risk_profile_versions (participant, effective_from, loaded_at, loaded_by, reason, sha256, accounts, customers)
                    VALUES ('BANKAXXX', now(), now(), 'olivia', 'initial', 'aa', 10, 4), ('BANKBXXX', now(), now(), 'olivia', 'initial', 'bb', 3, 1)`);
    await tx.query(`INSERT INTO screening_lists (name, version, format, loaded_at, loaded_by, action_id, source_sha256, entry_count, value_count)
                    VALUES ('un', $1, 'un', now(), 'olivia', $2, 'cc', 120, 300), ('ofac', $1, 'ofac', now(), 'olivia', $2, 'dd', 80, 200)`, [r + 1, actions[2]]);
    await tx.query(`INSERT INTO payee_directory_versions (participant, version, entries, sha256, loaded_at, operator_action_id)
                    VALUES ('BANKAXXX', $1, 5, 'ee', now(), $2), ('BANKBXXX', $1, 7, 'ff', now(), $2)`, [r + 1, actions[0]]);
    await tx.query(`INSERT INTO payee_verifications (request_message_id, requester, request_msg_id, request_created, verification_id, payee_agent, account_kind, account, name, state, result, answered_by, created_at)
                    VALUES ($1, 'BANKAXXX', 'REQ1', '2026-11-26T10:00:00', 'V1', 'BANKBXXX', 'iban', 'DE02100100100006820101', 'Jane Doe', 'ANSWERED', 'MTCH', 'directory', now()),
                           ($1, 'BANKAXXX', 'REQ2', '2026-11-26T10:01:00', 'V2', 'BANKBXXX', 'iban', 'DE02100100100006820102', 'John Roe', 'ANSWERED', 'NMTC', 'bank', now())`, [m1]);
  });
  // Later writes: updates and a delete, as the engine makes them.
  await db.transaction(async (tx) => {
    await tx.query(`UPDATE payments SET state = 'SETTLED', updated_at = now() WHERE transaction_id = $1`, [`TX${r}-0`]);
    await tx.query(`UPDATE settlement_instructions SET state = 'SETTLED', answered_at = now() WHERE instruction_id = $1`, [`SI${r}-1`]);
    await tx.query(`UPDATE cycles SET state = 'SETTLED', settled_at = now() WHERE sequence = $1`, [r + 2]);
    await tx.query(`DELETE FROM pending_actions WHERE subject = 'BANKBXXX' AND state = 'PENDING'`);
    await tx.query(`INSERT INTO pending_actions (action, subject, payload, maker, reason, created_at, state) VALUES ('participant.resume', 'BANKBXXX', '{}', 'oscar', 'cured', now(), 'APPROVED')`);
  });
}

async function msg(tx: Queryable, direction: 'in' | 'out', participant: string, xml: string): Promise<void> {
  await tx.query(`INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
                  VALUES ($1, $2, 'pacs.008', $3, encode(sha256(convert_to($4, 'UTF8')), 'hex'), octet_length($4), convert_to($4, 'UTF8'))`,
    [direction, participant, `MSG-${xml.length}-${participant}`, xml]);
}
