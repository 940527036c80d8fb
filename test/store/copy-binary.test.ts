/**
 * One row by binary COPY (switch/store/copy-binary.ts copyBinaryRow), through a real PostgreSQL COPY FROM
 * STDIN: generated text (any Unicode), bytea (any bytes, empty, and larger than a socket write), int4,
 * int8, booleans and nulls are stored exactly as given, in their columns' order; a unique violation
 * fails the COPY as it failed the INSERT (intake's replay path reads its code).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { errorCode, openDatabase, type Database } from '../../switch/store/database.ts';
import { copyBinaryRow } from '../../switch/store/copy-binary.ts';
import { freshPostgresUrl } from '../engine/support.ts';

describe('COPY binary rows', () => {
  let db: Database;
  before(async () => { db = await openDatabase({ url: await freshPostgresUrl() }); });
  after(async () => { await db.close(); });

  it('round-trips generated values exactly, nulls as NULL', async () => {
    await db.query('CREATE TABLE copy_binary_probe (id bigint PRIMARY KEY, t text, b bytea, n integer, f boolean, u text)');
    const row = fc.record({
      id: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      t: fc.option(fc.string({ unit: 'grapheme' })),
      b: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff))),
      n: fc.integer(),
      f: fc.boolean(),
      u: fc.option(fc.string()),
    });
    await fc.assert(fc.asyncProperty(row, async (r) => {
      const back = await db.transaction(async (tx) => {
        await tx.query('DELETE FROM copy_binary_probe');
        await tx.copyFrom!('COPY copy_binary_probe (id, t, b, n, f, u) FROM STDIN (FORMAT binary)',
          copyBinaryRow([{ int8: r.id }, r.t, r.b, { int4: r.n }, r.f, r.u]));
        return tx.query<{ id: bigint; t: string | null; b: Uint8Array; n: number; f: boolean; u: string | null }>(
          'SELECT id, t, b, n, f, u FROM copy_binary_probe');
      });
      assert.equal(back.length, 1);
      const [got] = back;
      assert.deepEqual([BigInt(got!.id), got!.t, Buffer.from(got!.b).equals(Buffer.from(r.b)), got!.n, got!.f, got!.u],
        [r.id, r.t, true, r.n, r.f, r.u]);
    }), { numRuns: 60 });
  });

  it('fails with the unique violation of a key already taken', async () => {
    await db.query('CREATE TABLE copy_binary_once (k text PRIMARY KEY)');
    await db.query("INSERT INTO copy_binary_once VALUES ('x')");
    const failed = await db.transaction((tx) => tx.copyFrom!('COPY copy_binary_once (k) FROM STDIN (FORMAT binary)', copyBinaryRow(['x'])))
      .then(() => undefined, (error: unknown) => error);
    assert.equal(errorCode(failed), '23505');
  });
});
