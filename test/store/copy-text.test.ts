/**
 * COPY's text format (switch/store/copy-text.ts), through a real PostgreSQL COPY FROM STDIN: any value a
 * participant can put in a transaction id, name or reference — generated strings full of the characters
 * COPY treats specially (backslash, tab, newline, carriage return, "\N", "\.", escapes such as "\x41")
 * and any Unicode — is stored exactly as given, one row per line, never split, merged or reinterpreted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openDatabase, type Database } from '../../switch/store/database.ts';
import { copyField } from '../../switch/store/copy-text.ts';
import { freshPostgresUrl } from '../engine/support.ts';

const hostile = fc.oneof(
  fc.string({ unit: fc.constantFrom('\\', '\t', '\n', '\r', 'N', '.', 'x', '4', '1', 'a', ' ', '\u00e9', '\u4e2d') }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('\\N', '\\.', '\\', '\\x41', '\\101', '\\t', 'a\tb', 'a\nb', '\r\n'),
);

describe('COPY text fields', () => {
  let db: Database;
  before(async () => { db = await openDatabase({ url: await freshPostgresUrl() }); });
  after(async () => { await db.close(); });

  it('round-trips generated hostile values exactly, nulls as NULL', async () => {
    await db.query('CREATE TABLE copy_probe (n int PRIMARY KEY, a text, b text)');
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(hostile, fc.option(hostile)), { minLength: 1, maxLength: 40 }), async (rows) => {
      const back = await db.transaction(async (tx) => {
        await tx.query('DELETE FROM copy_probe');
        const data = rows.map(([a, b], n) => `${n}\t${copyField(a)}\t${copyField(b)}\n`).join('');
        await tx.copyFrom!('COPY copy_probe (n, a, b) FROM STDIN', data);
        return tx.query<{ n: number; a: string; b: string | null }>('SELECT n, a, b FROM copy_probe ORDER BY n');
      });
      assert.deepEqual(back.map((r) => [r.a, r.b]), rows.map(([a, b]) => [a, b ?? null]));
    }), { numRuns: 150 });
  });
});
