/**
 * Two engines (two processes' worth of connections) against one PostgreSQL, racing for the last
 * headroom of one sender: the conditional UPDATE lets exactly as many payments through as fit, never
 * one more, whatever the interleaving.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { Engine } from '../../switch/engine/engine.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { freshPostgresUrl, schemeConfig, TestClock } from './support.ts';

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

describe('real-time headroom under concurrency (PostgreSQL)', () => {
  it('60 payments of 100.00 race for a 2,000.00 cap across two engines: exactly 20 reserved', async () => {
    const url = await freshPostgresUrl();
    const config = schemeConfig({ caps: { BANKDEFFXXX: '2000.00' } });
    const clock = new TestClock();
    const first = await Engine.open({ config, databaseUrl: url, clock, xsd });
    const second = await Engine.open({ config, databaseUrl: url, clock, xsd });
    try {
      const messages = Array.from({ length: 60 }, (_, i) => {
        const model = bulkCreditTransfer({
          seed: 500 + i, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1 + (i % 4)]!], transactionCount: 1, settlementDate: '2026-11-26',
          createdAt: '2026-11-26T09:00:00Z', messageId: `BANKDEFF-RACE-${i}`, localInstrument: 'INST',
        });
        return buildPacs008({ ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
          transactions: [{ ...model.transactions[0]!, interbankSettlementAmount: { currency: 'EUR', value: '100.00' } }] });
      });
      const results = await Promise.all(messages.map((xml, i) =>
        (i % 2 === 0 ? first : second).submit({ bytes: new TextEncoder().encode(xml), sender: 'BANKDEFFXXX' })));
      assert.ok(results.every((r) => r.status === 'ACCP'), 'every message valid');
      const states = await first.storeForTests().query<{ state: string; n: number }>('SELECT state, COUNT(*)::int AS n FROM payments_effective GROUP BY state ORDER BY state');
      assert.deepEqual(Object.fromEntries(states.map((s) => [s.state, s.n])), { REJECTED: 40, RESERVED: 20 });
      const [exposure] = await first.storeForTests().query<{ reserved_minor: bigint; cap_minor: bigint }>("SELECT reserved_minor, cap_minor FROM exposures WHERE bic = 'BANKDEFFXXX'");
      assert.equal(exposure!.reserved_minor, 200_000n);
      assert.equal(exposure!.reserved_minor, exposure!.cap_minor, 'all of the headroom, not a cent more');
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('the same file submitted eight times at once through two engines is stored once; the rest are replays', async () => {
    const url = await freshPostgresUrl();
    const config = schemeConfig();
    const first = await Engine.open({ config, databaseUrl: url, clock: new TestClock(), xsd });
    const second = await Engine.open({ config, databaseUrl: url, clock: new TestClock(), xsd });
    try {
      const xml = buildPacs008(bulkCreditTransfer({
        seed: 77, sender: DEMO_BANKS[0]!, receivers: DEMO_BANKS.slice(1), transactionCount: 30, settlementDate: '2026-11-26',
        createdAt: '2026-11-26T09:00:00Z', messageId: 'BANKDEFF-SAME',
      }));
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        (i % 2 === 0 ? first : second).submit({ bytes: new TextEncoder().encode(xml), sender: 'BANKDEFFXXX' })));
      assert.equal(results.filter((r) => !r.replay).length, 1);
      assert.ok(results.every((r) => r.status === 'ACCP'));
      assert.equal(new Set(results.map((r) => r.messageRowId)).size, 1);
      const [payments] = await first.storeForTests().query<{ n: number }>('SELECT COUNT(*)::int AS n FROM payments');
      assert.equal(payments!.n, 30);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
