/**
 * Business-day close in pieces (switch/engine/day-close.ts, decisions.md #77): a process killed after
 * the claim, with some of the day's statement pages and DCLS notices sent and the rest not, is resumed
 * by the next start, which sends the rest — and what the participants get is byte for byte what an
 * uninterrupted close of the same day sends, in the same order. Also: a statement read from any
 * entry's recorded position (one between the two entries of a payment to the same bank included) goes on
 * with exactly the entries after it (how a page resumes where the last ended).
 * A real SIGKILL of a child process on PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { positionedEntries } from '../../switch/engine/statements.ts';
import { openDatabase } from '../../switch/store/database.ts';
import { harness, schemeConfig } from './support.ts';
import { TYPESCRIPT_IMPORT } from '../../switch/typescript-import.ts';

const driver = fileURLToPath(new URL('./programs/day-close-driver.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

/** A day of two settled cycles among three banks (the same every time); returns the store's URL with the engine closed. */
async function settledDay(): Promise<string> {
  const h = await harness('postgres', schemeConfig(), xsd);
  try {
    for (const [senderIndex, seed, receivers] of [[0, 41, [1, 2]], [1, 42, [0, 2]], [2, 43, [0, 1]]] as const) {
      const sender = DEMO_BANKS[senderIndex]!;
      const model = bulkCreditTransfer({
        seed, sender, receivers: receivers.map((i) => DEMO_BANKS[i]!), transactionCount: 8, settlementDate: '2026-11-26',
        createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-M${seed}`,
      });
      assert.equal((await h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: sender.bic })).status, 'ACCP');
      if (seed !== 42) assert.ok(await h.closeAndSettle());
    }
    return h.databaseUrl!;
  } finally {
    await h.close();
  }
}

function run(url: string, mode: 'close' | 'resume', crashAfter?: number) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.CLEARHOUSE_CRASH_AT;
  delete env.CLEARHOUSE_CRASH_AFTER;
  if (crashAfter !== undefined) Object.assign(env, { CLEARHOUSE_CRASH_AT: 'day-close.after-message', CLEARHOUSE_CRASH_AFTER: String(crashAfter) });
  return spawnSync(process.execPath, [...TYPESCRIPT_IMPORT, driver, url, mode], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
}

/** What the close sent, in plan order, with the outbox order and the bytes' digest; and the day's statements. */
async function sent(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const messages = (await client.query<{ seq: number; recipient: string; message_type: string; message_id: string; sha256: string; outbox: string }>(
      `SELECT d.seq, d.recipient, d.message_type, d.message_id, m.sha256, o.id::text AS outbox
         FROM day_close_messages d JOIN messages m ON m.id = d.message_row_id JOIN outbox o ON o.message_id = m.id
        WHERE d.business_date = '2026-11-26' ORDER BY d.seq`)).rows;
    const planned = Number((await client.query<{ n: string }>(`SELECT COUNT(*)::text AS n FROM day_close_messages`)).rows[0]!.n);
    const statements = (await client.query(`SELECT * FROM day_statements ORDER BY bic, currency`)).rows;
    const [day] = (await client.query<{ completed: boolean }>(`SELECT completed_at IS NOT NULL AS completed FROM business_days WHERE business_date = '2026-11-26'`)).rows;
    return { messages, planned, statements, completed: day?.completed ?? null };
  } finally {
    await client.end();
  }
}

describe('business-day close in pieces, on postgres', () => {
  it('a close killed mid-way is finished by the next start with the bytes and order of an uninterrupted close', async () => {
    const reference = await settledDay();
    const whole = run(reference, 'close');
    assert.equal(whole.status, 0, whole.stderr);
    const expected = await sent(reference);
    assert.equal(expected.completed, true);
    // Five statements (three banks; EUR and SEK where held) and a DCLS to each active participant.
    assert.ok(expected.messages.length >= 6, `${expected.messages.length} messages`);
    assert.equal(expected.messages.length, expected.planned);
    const types = expected.messages.map((m) => m.message_type);
    assert.ok(types.lastIndexOf('camt.053.001.08') < types.indexOf('admi.004.001.02'), 'every statement before the first DCLS');

    for (const crashAfter of [1, expected.planned - 1]) {
      const url = await settledDay();
      const killed = run(url, 'close', crashAfter);
      assert.equal(killed.signal, 'SIGKILL', `crash after ${crashAfter}: ${killed.stderr}`);
      const partial = await sent(url);
      assert.equal(partial.completed, false, 'the day is claimed, not complete');
      assert.equal(partial.messages.length, crashAfter, 'the messages sent before the kill stay sent');
      assert.deepEqual(partial.statements, expected.statements, 'the statements\' totals are the claim\'s');

      const resumed = run(url, 'resume');
      assert.equal(resumed.status, 0, resumed.stderr);
      const done = await sent(url);
      assert.equal(done.completed, true);
      const strip = (ms: typeof done.messages) => ms.map(({ outbox: _, ...m }) => m);
      assert.deepEqual(strip(done.messages), strip(expected.messages), `crash after ${crashAfter}: the same messages, the same bytes`);
      const outbox = done.messages.map((m) => BigInt(m.outbox));
      assert.deepEqual(outbox, [...outbox].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'queued in plan order');
      // Opening again finds the day complete: nothing more is sent.
      assert.equal(run(url, 'resume').status, 0);
      assert.equal((await sent(url)).messages.length, expected.planned);
    }
  });

  it('a statement read after any entry\'s position goes on with exactly the entries after it', async () => {
    const url = await settledDay();
    const db = await openDatabase({ url });
    try {
      // A payment between two accounts of one bank is two entries of its statement (DBIT then CRDT): a position can fall between them.
      const [own] = await db.query<{ id: bigint }>(
        `UPDATE payments SET creditor_agent = debtor_agent WHERE id = (SELECT min(id) FROM payments_effective WHERE state = 'SETTLED' AND currency = 'EUR')
         RETURNING id`);
      assert.ok(own);
      for (const bic of DEMO_BANKS.slice(0, 3).map((b) => b.bic)) {
        const totals = { businessDate: '2026-11-26', bic, currency: 'EUR' };
        const all = [];
        for await (const e of positionedEntries(db, totals, { switchBic: 'CLHSDEFFXXX', batchRows: 3 })) all.push(e);
        assert.ok(all.length > 4, `${bic}: ${all.length} entries`);
        for (let k = 0; k < all.length; k++) {
          const rest = [];
          for await (const e of positionedEntries(db, totals, { switchBic: 'CLHSDEFFXXX', batchRows: 3, after: all[k]!.position })) rest.push(e);
          assert.deepEqual(rest, all.slice(k + 1), `${bic}: after entry ${k}`);
        }
      }
    } finally {
      await db.close();
    }
  });
});
