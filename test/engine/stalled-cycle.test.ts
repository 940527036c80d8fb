/**
 * One cycle's failure never stops the engine (docs/operations.md, "A stalled cycle"): a cycle whose
 * netting step throws stays where it is, visible with its error, while the engine opens, takes
 * payments, and clears and settles the cycles after it. Engine.open and the periodic resume (sweep)
 * log the failing cycle and carry on.
 *
 * The failure is real: the payments of the cycle are written straight into the database with amounts
 * whose sum no bigint holds (rows from before the amount ceilings, or written by hand), so every
 * netting attempt fails in PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { Engine } from '../../switch/engine/engine.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { limits } from '../../switch/limits.ts';
import { freshPostgresUrl, schemeConfig, TestClock } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

function file(seed: number) {
  return encoder.encode(buildPacs008(bulkCreditTransfer({
    seed, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 3, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `BANKDEFF-S${seed}`, maxAmountMinor: 100_000,
  })));
}

describe('a stalled cycle', () => {
  it('stays stalled with its error while the engine opens, serves and settles later cycles', async () => {
    const url = await freshPostgresUrl();
    const clock = new TestClock();
    const logged: string[] = [];
    const open = () => Engine.open({ config: schemeConfig(), databaseUrl: url, clock, xsd, log: (line) => logged.push(line) });
    const first = await open();
    let stalledId: bigint;
    try {
      assert.equal((await first.submit({ bytes: file(1), sender: DEMO_BANKS[0]!.bic })).status, 'ACCP');
      // Two payments in the open cycle whose sum overflows bigint (9.2 × 10^18).
      const [cycle] = await first.storeForTests().query<{ id: bigint }>("SELECT id FROM cycles WHERE state = 'OPEN'");
      stalledId = cycle!.id;
      await first.storeForTests().query(
        `INSERT INTO payments (message_id, transaction_index, kind, mode, transaction_id, instructing_agent, debtor_agent, creditor_agent,
            currency, amount_minor, state, cycle_id)
         SELECT p.message_id, 100 + n, 'CREDIT', 'batch', 'HUGE-' || n, p.debtor_agent, p.debtor_agent, p.creditor_agent, p.currency,
                9000000000000000000, 'ACCEPTED', p.cycle_id
           FROM (SELECT * FROM payments WHERE cycle_id = $1 LIMIT 1) p CROSS JOIN generate_series(1, 2) AS n`, [stalledId]);
      await assert.rejects(first.closeCycle(), /bigint|out of range/);
    } finally {
      await first.close();
    }

    // Opening again resumes the stalled cycle, which fails again: logged, and the engine opens.
    const second = await open();
    try {
      assert.ok(logged.some((line) => line.includes(`cycle ${stalledId}`) && /out of range/.test(line)), logged.join('\n'));
      const cycles = await second.cycles();
      const stalled = cycles.find((c) => c.id === stalledId)!;
      assert.equal(stalled.state, 'CUT_OFF');
      assert.match(stalled.stalledError ?? '', /out of range/);
      // It serves: a new file is taken into the open cycle, which is cleared and settles.
      assert.equal((await second.submit({ bytes: file(2), sender: DEMO_BANKS[0]!.bic })).status, 'ACCP');
      const next = await second.closeCycle();
      assert.ok(next !== undefined && next !== stalledId);
      const [instructions] = await second.storeForTests().query<{ n: number }>('SELECT COUNT(*)::int AS n FROM settlement_instructions WHERE cycle_id = $1', [next]);
      assert.ok(instructions!.n > 0, 'the next cycle is netted and instructed');
      // The periodic resume tries the stalled cycle again, logs it, and carries on.
      logged.length = 0;
      clock.advance(limits.cycleResumeAfterMs + 1);
      assert.deepEqual(await second.sweep(), { timedOut: 0, expiredCases: 0 });
      assert.ok(logged.some((line) => line.includes(`cycle ${stalledId}`)), logged.join('\n'));
      assert.equal((await second.cycles()).find((c) => c.id === stalledId)!.state, 'CUT_OFF');
    } finally {
      await second.close();
    }
  });
});
