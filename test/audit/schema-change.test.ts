/**
 * A migration that adds a column to an audited table does not break `audit verify` (docs/audit.md
 * "Schema changes", migration 031): each row's content is the declared columns of
 * switch/audit/tables.ts, not the whole row.
 *
 * - The declared form prints the same text as the whole-row form journaled before migration 031, so no
 *   row journaled before it changed digest.
 * - After activity, every audited table gets a column (with a default, as a migration adds one); verify
 *   passes, more activity is journaled and verifies, and a declared column changed behind the triggers'
 *   back is still caught in each table.
 * - Declaring the new column (audit_journal_install with the longer list and re-digest, as a migration
 *   would): verify with the longer list passes, and now a change to the new column is caught too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seal, verifyAudit, verifyAuditIn, type VerifyReport } from '../../switch/audit/index.ts';
import { AUDITED_TABLES, contentSql, keySql, quoteIdent, type AuditedTable } from '../../switch/audit/tables.ts';
import type { Database, Queryable } from '../../switch/store/database.ts';
import { backends, fillAuditedTables, openAuditStore } from './support.ts';

const show = (r: VerifyReport): string => JSON.stringify(r, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v);
class RollBack extends Error {}

async function tampered(db: Database, tables: readonly AuditedTable[], tamper: (tx: Queryable) => Promise<void>): Promise<VerifyReport> {
  let out: VerifyReport | undefined;
  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await tamper(tx);
    await tx.query('SET LOCAL session_replication_role = origin');
    out = await verifyAuditIn(tx, {}, tables);
    throw new RollBack();
  }).catch((error: unknown) => { if (!(error instanceof RollBack)) throw error; });
  return out!;
}

/** The content as migration 022 digested it: the whole row's text, or its jsonb without the bytes. */
const legacySql = (t: AuditedTable): string => t.form === 'row' ? `sha256(convert_to(r::text, 'UTF8'))`
  : `sha256(convert_to((to_jsonb(r) - '{bytes}'::text[])::text, 'UTF8'))`;

/** Changes the first of `columns` (of the first row) that its type and constraints let change; returns the row key and column. */
async function changeOne(tx: Queryable, t: AuditedTable, columns: readonly string[]): Promise<{ key: string; column: string }> {
  const [row] = await tx.query<{ k: string }>(`SELECT ${keySql(t)} AS k FROM ${quoteIdent(t.name)} r ORDER BY 1 LIMIT 1`);
  for (const column of columns.filter((c) => !t.keys.includes(c))) {
    const [type] = await tx.query<{ type: string }>(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`, [t.name, column]);
    const col = quoteIdent(column);
    const value = type!.type === 'text' ? `coalesce(${col}, '') || 'x'` : type!.type.startsWith('timestamp') ? `coalesce(${col}, now()) + interval '1 second'`
      : type!.type === 'jsonb' ? `coalesce(${col}, '{}'::jsonb) || '{"tampered": true}'` : type!.type === 'integer' || type!.type === 'bigint' ? `coalesce(${col}, 0) + 1000`
      : undefined;
    if (!value) continue;
    await tx.query('SAVEPOINT attempt');
    try {
      await tx.query(`UPDATE ${quoteIdent(t.name)} r SET ${col} = ${value} WHERE ${keySql(t)} = $1`, [row!.k]);
      await tx.query('RELEASE SAVEPOINT attempt');
      return { key: row!.k, column };
    } catch {
      await tx.query('ROLLBACK TO SAVEPOINT attempt');
    }
  }
  throw new Error(`no column of ${t.name} could be changed`);
}

for (const backend of backends) {
  describe(`audit verify across a migration that adds columns (${backend})`, () => {
    let db: Database;
    before(async () => {
      db = await openAuditStore(backend);
      await fillAuditedTables(db);
      await seal(db);
    });
    after(async () => { await db?.close(); });

    it('digests the declared columns as the whole row was digested before migration 031', async () => {
      for (const t of AUDITED_TABLES) {
        const [m] = await db.transaction(async (tx) => {
          await tx.query("SET LOCAL TimeZone = 'UTC'");
          await tx.query("SET LOCAL DateStyle = 'ISO, YMD'");
          // The whole row as written: generated columns (payments.pending_state, migration 032) are
          // computed from the others and were not part of the row when 022 digested it.
          const [stored] = await tx.query<{ columns: string }>(`SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS columns FROM pg_attribute
            WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`, [t.name]);
          return tx.query<{ n: bigint; differ: bigint }>(
            `SELECT count(*) AS n, count(*) FILTER (WHERE ${contentSql(t)} <> ${legacySql(t)}) AS differ
               FROM (SELECT ${stored!.columns} FROM ${quoteIdent(t.name)}) r`);
        });
        assert.ok(m!.n >= 2n, `${t.name} has rows`);
        assert.equal(m!.differ, 0n, `${t.name}: the declared columns print as the whole row did`);
      }
    });

    it('a column added to every audited table, with a default: verify passes, tampering is still caught', async () => {
      assert.ok((await verifyAudit(db)).ok);
      for (const t of AUDITED_TABLES) {
        await db.query(`ALTER TABLE ${quoteIdent(t.name)} ADD COLUMN audit_extra text NOT NULL DEFAULT 'new'`);
      }
      let report = await verifyAudit(db);
      assert.ok(report.ok, `after ADD COLUMN: ${show(report)}`);
      await fillAuditedTables(db, 1);
      await db.query(`UPDATE payments SET audit_extra = 'changed by the switch', state = 'SETTLED' WHERE transaction_id = 'TX100-1'`);
      await seal(db);
      report = await verifyAudit(db);
      assert.ok(report.ok, `after more activity: ${show(report)}`);

      for (const t of AUDITED_TABLES) {
        let changed = { key: '', column: '' };
        const broken = await tampered(db, AUDITED_TABLES, async (tx) => { changed = await changeOne(tx, t, t.columns); });
        assert.ok(!broken.ok && broken.broken.kind === 'modified' && broken.broken.table === t.name && broken.broken.key === changed.key,
          `${t.name}.${changed.column} changed: ${show(broken)}`);
      }
      // Not declared: not part of the content (docs/audit.md "Schema changes").
      const undeclared = await tampered(db, AUDITED_TABLES, async (tx) => { await tx.query(`UPDATE payments SET audit_extra = 'behind its back'`); });
      assert.ok(undeclared.ok, 'a column not declared is not journaled');
    });

    it('declaring the new column (re-digest) makes it part of the content from then on', async () => {
      const payments = AUDITED_TABLES.find((t) => t.name === 'payments')!;
      const declared: AuditedTable = { ...payments, columns: [...payments.columns, 'audit_extra'], since: { audit_extra: 999 } };
      const tables = AUDITED_TABLES.map((t) => t.name === 'payments' ? declared : t);
      await db.query(`SELECT audit_journal_install('payments', $1::text[], $2::text[], 'row', true)`, [declared.keys, declared.columns]);
      await db.query(`UPDATE payments SET audit_extra = 'declared' WHERE transaction_id = 'TX100-2'`);
      await seal(db);
      const report = await verifyAudit(db, {}, tables);
      assert.ok(report.ok, `with the column declared: ${show(report)}`);
      assert.equal((await verifyAudit(db)).ok, false, 'the old list no longer matches the re-digested rows');
      let key = '';
      const broken = await tampered(db, tables, async (tx) => { ({ key } = await changeOne(tx, declared, ['audit_extra'])); });
      assert.ok(!broken.ok && broken.broken.kind === 'modified' && broken.broken.table === 'payments' && broken.broken.key === key, show(broken));
    });
  });
}
