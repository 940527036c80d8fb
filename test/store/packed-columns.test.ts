/**
 * Packed columns (switch/store/packed-columns.ts): a column of values sent as one text parameter and
 * split by the statement reads back exactly the values given, in order, nulls as NULL, numbers as the
 * same doubles, empty strings as empty strings (a column of one included), on PostgreSQL and PGlite;
 * a value that holds the separator or the null mark is refused rather than split.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openDatabase, type Database } from '../../switch/store/database.ts';
import { arrayLiteral, packColumn, unpackedColumn } from '../../switch/store/packed-columns.ts';
import { freshPostgresUrl } from '../engine/support.ts';

const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '/', ',', '"', '\\', '{', '}', ' ', '\t', '\n', '\u00e9', '\u4e2d', 'N', 'U', 'L'), minLength: 0 });

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`packed columns (${backend})`, () => {
    let db: Database;
    before(async () => { db = await openDatabase(backend === 'postgres' ? { url: await freshPostgresUrl() } : {}); });
    after(async () => { await db.close(); });

    it('reads back text (nulls as NULL) and doubles exactly, in order', async () => {
      await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.option(text), fc.double({ noNaN: true, noDefaultInfinity: true })), { maxLength: 30 }),
        async (rows) => {
          const back = await db.query<{ t: string | null; x: number; n: string }>(
            `SELECT t, x, n FROM unnest(${unpackedColumn('$1', 'text')}, ${unpackedColumn('$2', 'float8')}) WITH ORDINALITY AS u(t, x, n) ORDER BY n`,
            [packColumn(rows.map(([t]) => t)), packColumn(rows.map(([, x]) => x))]);
          assert.deepEqual(back.map((r) => [r.t, Number(r.x)]), rows.map(([t, x]) => [t, Object.is(x, -0) ? 0 : x]));
        }), { numRuns: 60 });
    });

    it('array literals read back the integers, bigints and booleans given, in order', async () => {
      await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.boolean()), { maxLength: 30 }),
        async (rows) => {
          const [back] = await db.query<{ i: number[]; b: string[]; t: boolean[] }>(
            'SELECT $1::text::int[] AS i, $2::text::bigint[]::text[] AS b, $3::text::boolean[] AS t',
            [arrayLiteral(rows.map(([i]) => i)), arrayLiteral(rows.map(([, b]) => b)), arrayLiteral(rows.map(([, , t]) => t))]);
          assert.deepEqual([back!.i, back!.b.map(BigInt), back!.t], [rows.map(([i]) => i), rows.map(([, b]) => b), rows.map(([, , t]) => t)]);
        }), { numRuns: 40 });
    });

    it('a column of one empty string is one empty string; an empty column is no element', async () => {
      const one = await db.query<{ t: string | null }>(`SELECT t FROM unnest(${unpackedColumn('$1', 'text')}) AS u(t)`, [packColumn([''])]);
      assert.deepEqual(one.map((r) => r.t), ['']);
      const none = await db.query<{ t: string | null }>(`SELECT t FROM unnest(${unpackedColumn('$1', 'text')}) AS u(t)`, [packColumn([])]);
      assert.deepEqual(none, []);
    });
  });
}

describe('packColumn refuses what it cannot pack', () => {
  it('a value holding the separator or the null mark; an empty one is packed', () => {
    for (const bad of ['a\u001fb', '\u001e', 'x\u001e']) assert.throws(() => packColumn(['ok', bad]), /cannot be packed/);
    assert.equal(packColumn([]), '');
    assert.equal(packColumn(['']), '\u001f');
    assert.equal(packColumn([1, 1, 2.5, null, 'k']), '\u001f1\u001f1\u001f2.5\u001f\u001e\u001fk');
  });
});
