/**
 * Tampering directly in the database, with the journal's triggers off (session_replication_role =
 * replica, as anyone with the database's superuser could), in every audited table and in the journal
 * and ledger themselves: modifications, deletions, insertions and reorderings generated from seeds.
 * `verifyAudit` must name each one. Each tampering runs in a transaction that is rolled back, so
 * every case starts from the same verified store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seal, verifyAudit, verifyAuditIn, type VerifyReport } from '../../switch/audit/index.ts';
import { AUDITED_TABLES, keySql, quoteIdent, type AuditedTable } from '../../switch/audit/tables.ts';
import { random } from '../../switch/demo/generate.ts';
import type { Database, Queryable } from '../../switch/store/database.ts';
import { backends, fillAuditedTables, openAuditStore } from './support.ts';

const SEEDS = [1, 2, 3];

/**
 * Seals until the seal's horizon is above every sealed entry's transaction: on a PostgreSQL shared with
 * other sessions, one of their open transactions holds the snapshot's xmin (hence the horizon) back
 * for a moment, and an entry forged with an xid above the horizon is told from a late writer only once
 * the horizon has passed it (docs/audit.md "Verifying"). Polls; gives up after 30 s.
 */
async function sealPastEverything(db: Database): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    await seal(db);
    const [row] = await db.query<{ past: boolean }>(
      'SELECT (SELECT horizon FROM ledger_seals ORDER BY id DESC LIMIT 1) > (SELECT max(xid) FROM ledger) AS past');
    if (row!.past) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the seal horizon never passed the sealed entries (a transaction left open on the server?)');
}
class RollBack extends Error {}

/** Runs `tamper` with the triggers off, verifies in the same transaction, rolls everything back. */
async function tampered(db: Database, tamper: (tx: Queryable) => Promise<string | void>): Promise<{ report: VerifyReport; note: string | void }> {
  let out: { report: VerifyReport; note: string | void } | undefined;
  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    const note = await tamper(tx);
    await tx.query('SET LOCAL session_replication_role = origin');
    out = { report: await verifyAuditIn(tx), note };
    throw new RollBack();
  }).catch((error: unknown) => { if (!(error instanceof RollBack)) throw error; });
  return out!;
}

interface Column { name: string; type: string; unique: boolean }

async function columns(tx: Queryable, table: string): Promise<Column[]> {
  return tx.query<Column>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND a.attnum = ANY (i.indkey)) AS unique
       FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [table]);
}

/** An expression giving a different value of the column's type. */
function changed(c: Column): string {
  const col = quoteIdent(c.name);
  if (c.type === 'text') return `coalesce(${col}, '') || 'x'`;
  if (c.type === 'integer' || c.type === 'bigint') return `coalesce(${col}, 0) + 1000`;
  if (c.type === 'boolean') return `NOT coalesce(${col}, false)`;
  if (c.type.startsWith('timestamp')) return `coalesce(${col}, now()) + interval '1 second'`;
  if (c.type === 'date') return `coalesce(${col}, current_date) + 1000`;
  if (c.type === 'jsonb') return `coalesce(${col}, '{}'::jsonb) || '{"tampered": true}'::jsonb`;
  if (c.type === 'bigint[]') return `array_append(${col}, 1::bigint)`;
  if (c.type === 'bytea') return `coalesce(${col}, ''::bytea) || '\\x00'::bytea`;
  throw new Error(`no change for type ${c.type}`);
}

async function pickRow(tx: Queryable, table: AuditedTable, next: () => number): Promise<string> {
  const keys = (await tx.query<{ k: string }>(`SELECT ${keySql(table)} AS k FROM ${quoteIdent(table.name)} r ORDER BY 1`)).map((r) => r.k);
  assert.ok(keys.length >= 2, `${table.name} has rows to tamper with`);
  return keys[Math.floor(next() * keys.length)]!;
}

const where = (table: AuditedTable): string => `${keySql(table)} = $1`;

async function trying(tx: Queryable, sql: string, params: unknown[]): Promise<boolean> {
  await tx.query('SAVEPOINT attempt');
  try {
    await tx.query(sql, params);
    await tx.query('RELEASE SAVEPOINT attempt');
    return true;
  } catch {
    await tx.query('ROLLBACK TO SAVEPOINT attempt');
    return false;
  }
}

const tamperings = {
  /** One column of one row changed (the first, in a seeded order, that its constraints accept). */
  async modify(tx: Queryable, table: AuditedTable, next: () => number): Promise<string> {
    const key = await pickRow(tx, table, next);
    const cols = (await columns(tx, table.name)).filter((c) => !table.keys.includes(c.name));
    for (let n = cols.length; n > 0; n--) {
      const [c] = cols.splice(Math.floor(next() * n), 1);
      if (await trying(tx, `UPDATE ${quoteIdent(table.name)} r SET ${quoteIdent(c!.name)} = ${changed(c!)} WHERE ${where(table)}`, [key])) return key;
    }
    throw new Error(`no column of ${table.name} could be changed`);
  },
  async delete(tx: Queryable, table: AuditedTable, next: () => number): Promise<string> {
    const key = await pickRow(tx, table, next);
    await tx.query(`DELETE FROM ${quoteIdent(table.name)} r WHERE ${where(table)}`, [key]);
    return key;
  },
  /** A copy of a row under a new key (and new values in its other unique columns). */
  async insert(tx: Queryable, table: AuditedTable, next: () => number): Promise<string> {
    const key = await pickRow(tx, table, next);
    const cols = await columns(tx, table.name);
    const last = cols.find((c) => c.name === table.keys[table.keys.length - 1])!;
    const others = cols.filter((c) => c.unique && !table.keys.includes(c.name));
    const patch = [last, ...others].map((c) => `${quoteIdent(c.name)} = ${changed(c)}`).join(', ');
    const copy = `CREATE TEMPORARY TABLE tamper_copy ON COMMIT DROP AS SELECT * FROM ${quoteIdent(table.name)} r WHERE ${where(table)}`;
    await tx.query(copy, [key]);
    await tx.query(`UPDATE tamper_copy SET ${patch}`);
    // Generated columns (payments.pending_state) are computed by the insert, never given.
    const [stored] = await tx.query<{ columns: string }>(`SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS columns FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`, [table.name]);
    await tx.query(`INSERT INTO ${quoteIdent(table.name)} (${stored!.columns}) SELECT ${stored!.columns} FROM tamper_copy`);
    const [inserted] = await tx.query<{ k: string }>(`SELECT ${keySql(table)} AS k FROM tamper_copy r`);
    await tx.query('DROP TABLE tamper_copy');
    return inserted!.k;
  },
  /** Two rows' keys swapped: the same rows, in each other's places. */
  async reorder(tx: Queryable, table: AuditedTable, next: () => number): Promise<string> {
    const a = await pickRow(tx, table, next);
    // b: a row whose other columns differ from a's (two rows alike but for their keys swap into the same rows)
    const nonKey = `to_jsonb(r) - '{${table.keys.join(',')}}'::text[]`;
    const others = (await tx.query<{ k: string }>(
      `SELECT ${keySql(table)} AS k FROM ${quoteIdent(table.name)} r
        WHERE ${nonKey} <> (SELECT ${nonKey} FROM ${quoteIdent(table.name)} r WHERE ${where(table)}) ORDER BY 1`, [a])).map((r) => r.k);
    const b = others[Math.floor(next() * others.length)]!;
    const cols = await columns(tx, table.name);
    const keyCols = table.keys.map((k) => cols.find((c) => c.name === k)!);
    const park = keyCols.map((c) => `${quoteIdent(c.name)} = ${changed(c)}${c.type === 'text' ? ` || '~parked'` : ' + 1000000'}`).join(', ');
    const [rowB] = await tx.query<Record<string, unknown>>(`SELECT ${table.keys.map(quoteIdent).join(', ')} FROM ${quoteIdent(table.name)} r WHERE ${where(table)}`, [b]);
    const [rowA] = await tx.query<Record<string, unknown>>(`SELECT ${table.keys.map(quoteIdent).join(', ')} FROM ${quoteIdent(table.name)} r WHERE ${where(table)}`, [a]);
    const setTo = (row: Record<string, unknown>, first: number): string => table.keys.map((k, i) => `${quoteIdent(k)} = $${first + i}`).join(', ');
    // a parked, b takes a's key, a takes b's key
    await tx.query(`UPDATE ${quoteIdent(table.name)} r SET ${park} WHERE ${where(table)}`, [a]);
    const [parked] = await tx.query<{ k: string }>(`SELECT ${keySql(table)} AS k FROM ${quoteIdent(table.name)} r WHERE ${keySql(table)} NOT IN (SELECT row_key FROM journal WHERE table_name = $1)`, [table.name]);
    await tx.query(`UPDATE ${quoteIdent(table.name)} r SET ${setTo(rowA!, 2)} WHERE ${where(table)}`, [b, ...table.keys.map((k) => rowA![k])]);
    await tx.query(`UPDATE ${quoteIdent(table.name)} r SET ${setTo(rowB!, 2)} WHERE ${where(table)}`, [parked!.k, ...table.keys.map((k) => rowB![k])]);
    return a < b ? a : b;
  },
};

const expectedKind = { modify: ['modified'], delete: ['deleted'], insert: ['inserted'], reorder: ['modified'] } as const;

for (const backend of backends) {
  describe(`audit verify catches tampering (${backend})`, () => {
    let db: Database;
    before(async () => {
      db = await openAuditStore(backend);
      await fillAuditedTables(db);
      await seal(db);
      await fillAuditedTables(db, 1);
      await sealPastEverything(db);
      await fillAuditedTables(db, 2); // journaled, not yet sealed: the tables are compared with it all the same
    });
    after(async () => { await db?.close(); });

    it('finds the untouched store intact', async () => {
      const report = await verifyAudit(db);
      assert.ok(report.ok, JSON.stringify(report, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v));
    });

    for (const table of AUDITED_TABLES) {
      for (const kind of Object.keys(tamperings) as (keyof typeof tamperings)[]) {
        it(`${kind} in ${table.name}, seeds ${SEEDS.join(', ')}`, async () => {
          for (const seed of SEEDS) {
            const next = random(seed * 1000 + table.name.length);
            const { report, note } = await tampered(db, (tx) => tamperings[kind](tx, table, next));
            assert.equal(report.ok, false, `seed ${seed}: ${kind} of ${table.name} ${note} went unnoticed`);
            if (report.ok) continue;
            assert.equal(report.broken.table, table.name, `seed ${seed}: ${report.broken.detail}`);
            assert.ok((expectedKind[kind] as readonly string[]).includes(report.broken.kind), `seed ${seed}: ${report.broken.detail}`);
            if (kind !== 'reorder') assert.equal(report.broken.key, note, `seed ${seed}: ${report.broken.detail}`);
            else assert.equal(report.broken.key, note, `seed ${seed}: the first of the two swapped rows: ${report.broken.detail}`);
          }
        });
      }
    }

    const positions = async (): Promise<bigint> => (await db.query<{ n: bigint }>('SELECT max(position) AS n FROM ledger'))[0]!.n;
    const pick = (next: () => number, n: bigint): bigint => 1n + BigInt(Math.floor(next() * Number(n)));

    it('a ledger entry modified, deleted, inserted or two swapped', async () => {
      const n = await positions();
      for (const seed of SEEDS) {
        const next = random(seed);
        const p = pick(next, n);
        let { report } = await tampered(db, (tx) => tx.query(`UPDATE ledger SET entry_hash = sha256(entry_hash) WHERE position = $1`, [p]).then(() => {}));
        assert.ok(!report.ok && report.broken.position === p && report.broken.kind === 'chain', `seed ${seed}: modified ledger entry ${p}`);
        ({ report } = await tampered(db, (tx) => tx.query(`DELETE FROM ledger WHERE position = $1`, [p]).then(() => {})));
        assert.ok(!report.ok && report.broken.position === p && report.broken.kind === 'deleted', `seed ${seed}: deleted ledger entry ${p}`);
        ({ report } = await tampered(db, (tx) => tx.query(`INSERT INTO ledger SELECT $1, xid, seq + 1000000, entry_hash FROM ledger WHERE position = $2`, [n + 1n, p]).then(() => {})));
        assert.ok(!report.ok && report.broken.position === n + 1n && report.broken.kind === 'inserted', `seed ${seed}: inserted ledger entry`);
        let q = pick(next, n);
        if (q === p) q = p === n ? p - 1n : p + 1n;
        ({ report } = await tampered(db, async (tx) => {
          await tx.query(`UPDATE ledger SET position = -1 WHERE position = $1`, [p]);
          await tx.query(`UPDATE ledger SET position = $1 WHERE position = $2`, [p, q]);
          await tx.query(`UPDATE ledger SET position = $1 WHERE position = -1`, [q]);
        }));
        const first = p < q ? p : q;
        assert.ok(!report.ok && report.broken.position === first && report.broken.kind === 'chain', `seed ${seed}: swapped ledger entries ${p} and ${q}`);
      }
    });

    it('a sealed journal entry modified, deleted, inserted or two swapped', async () => {
      const n = await positions();
      for (const seed of SEEDS) {
        const next = random(seed + 50);
        const p = pick(next, n);
        const entry = `(SELECT xid FROM ledger WHERE position = $1) AND seq = (SELECT seq FROM ledger WHERE position = $1)`;
        let { report } = await tampered(db, (tx) => tx.query(`UPDATE journal SET content_sha256 = sha256(content_sha256) WHERE xid = ${entry}`, [p]).then(() => {}));
        assert.ok(!report.ok && report.broken.position === p && report.broken.kind === 'chain', `seed ${seed}: modified journal entry at ${p}`);
        ({ report } = await tampered(db, (tx) => tx.query(`DELETE FROM journal WHERE xid = ${entry}`, [p]).then(() => {})));
        assert.ok(!report.ok && report.broken.position === p && report.broken.kind === 'deleted', `seed ${seed}: deleted journal entry at ${p}`);
        ({ report } = await tampered(db, (tx) => tx.query(
          `INSERT INTO journal (xid, table_name, row_key, operation, content_sha256) SELECT xid, table_name, row_key, 'UPDATE', content_sha256 FROM journal WHERE xid = ${entry}`, [p]).then(() => {})));
        assert.ok(!report.ok && report.broken.kind === 'inserted', `seed ${seed}: inserted journal entry beside ${p}`);
        let q = pick(next, n);
        if (q === p) q = p === n ? p - 1n : p + 1n;
        ({ report } = await tampered(db, async (tx) => {
          const swap = `UPDATE journal j SET table_name = o.table_name, row_key = o.row_key, operation = o.operation, content_sha256 = o.content_sha256
                          FROM (SELECT l.position, j2.* FROM ledger l JOIN journal j2 ON j2.xid = l.xid AND j2.seq = l.seq WHERE l.position IN ($1, $2)) o,
                               ledger l WHERE l.xid = j.xid AND l.seq = j.seq AND l.position IN ($1, $2) AND o.position <> l.position`;
          await tx.query(swap, [p, q]);
        }));
        const first = p < q ? p : q;
        assert.ok(!report.ok && report.broken.position === first, `seed ${seed}: swapped journal entries at ${p} and ${q}`);
      }
    });
  });
}
