/**
 * The journal covers exactly the tables AUDITED_TABLES names (migration 022 makes the triggers from
 * its own copy of the list), journal and ledger refuse changes, and the sealer chains what committed
 * transactions wrote, each entry once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { journalHead, seal, verifyAudit } from '../../switch/audit/index.ts';
import { AUDITED_TABLES } from '../../switch/audit/tables.ts';
import type { Database } from '../../switch/store/database.ts';
import { backends, fillAuditedTables, openAuditStore } from './support.ts';

for (const backend of backends) {
  describe(`audit journal (${backend})`, () => {
    let db: Database;
    before(async () => { db = await openAuditStore(backend); });
    after(async () => { await db?.close(); });

    it('has insert, update and delete triggers on exactly the audited tables', async () => {
      const rows = await db.query<{ table_name: string; events: string }>(
        `SELECT c.relname AS table_name, string_agg(t.tgname, ',' ORDER BY t.tgname) AS events
           FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
          WHERE t.tgname LIKE '%\\_journal\\_%' AND NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
          GROUP BY c.relname ORDER BY 1`);
      assert.deepEqual(rows.map((r) => r.table_name), AUDITED_TABLES.map((t) => t.name).sort());
      for (const r of rows) {
        assert.equal(r.events, ['delete', 'insert', 'update'].map((e) => `${r.table_name}_journal_${e}`).join(','));
      }
    });

    it('declares, for each audited table, columns it has, in its order; every other column is left out by a written decision', async () => {
      for (const t of AUDITED_TABLES) {
        const actual = (await db.query<{ name: string }>(
          `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, [t.name])).map((r) => r.name);
        assert.deepEqual(actual.filter((c) => t.columns.includes(c)), [...t.columns], `${t.name}: the declared columns exist, in the table's order`);
        assert.deepEqual(actual.filter((c) => !t.columns.includes(c)).sort(), Object.keys(t.notDigested ?? {}).sort(),
          `${t.name}: a column added by a migration is declared in switch/audit/tables.ts (and journaled from then on) or listed in notDigested with the reason`);
      }
    });

    it('journals every write with its key and seals each entry once, in order', async () => {
      await fillAuditedTables(db);
      const written = (await db.query<{ n: bigint }>('SELECT count(*) AS n FROM journal'))[0]!.n;
      const first = await seal(db);
      assert.equal(BigInt(first.sealed), written);
      assert.equal((await seal(db)).sealed, 0, 'nothing sealed twice');
      await fillAuditedTables(db, 1);
      const second = await seal(db);
      assert.equal(second.position, (await db.query<{ n: bigint }>('SELECT count(*) AS n FROM journal'))[0]!.n);
      const head = await journalHead(db);
      assert.equal(head.position, second.position);
      assert.match(head.entryHash, /^[0-9a-f]{64}$/);
      const ops = await db.query<{ operation: string; n: bigint }>(`SELECT operation, count(*) AS n FROM journal GROUP BY 1 ORDER BY 1`);
      assert.deepEqual(ops.map((o) => o.operation), ['DELETE', 'INSERT', 'UPDATE']);
      const report = await verifyAudit(db);
      assert.ok(report.ok && report.positions === second.position);
    });

    it('refuses to change or delete journal and ledger entries', async () => {
      await assert.rejects(db.query(`UPDATE journal SET row_key = 'x'`), /append-only/);
      await assert.rejects(db.query(`DELETE FROM ledger`), /append-only/);
      await assert.rejects(db.query(`TRUNCATE journal`), /append-only/);
      await assert.rejects(db.query(`UPDATE ledger_seals SET position = 0`), /append-only/);
    });
  });
}
