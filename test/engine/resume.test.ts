/**
 * A cycle whose netting step failed after its cut-off (here: the database refuses the positions
 * insert once) stays CUT_OFF; serve's periodic sweep carries it on once it has been
 * stalled longer than limits.cycleResumeAfterMs, and not before (a netting that is merely running is
 * never raced). On PGlite and PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { limits } from '../../switch/limits.ts';
import { backends, harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

for (const backend of backends) {
  describe(`stalled cycles are carried on (${backend})`, () => {
    it('a failed netting step is resumed after cycleResumeAfterMs, then settles', async () => {
      const h = await harness(backend, undefined, xsd);
      try {
        const model = bulkCreditTransfer({
          seed: 41, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!, DEMO_BANKS[2]!], transactionCount: 12,
          settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: 'BANKDEFF-R41',
        });
        assert.equal((await h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: DEMO_BANKS[0]!.bic })).status, 'ACCP');
        await h.engine.storeForTests().query(`CREATE FUNCTION refuse_positions() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'positions store unavailable (test)'; END $$`);
        await h.engine.storeForTests().query('CREATE TRIGGER refuse_positions BEFORE INSERT ON cycle_positions FOR EACH STATEMENT EXECUTE FUNCTION refuse_positions()');
        await assert.rejects(h.engine.closeCycle(), /positions store unavailable/);
        const state = async () => (await h.engine.storeForTests().query<{ state: string }>('SELECT state FROM cycles ORDER BY id')).map((c) => c.state);
        assert.deepEqual(await state(), ['CUT_OFF', 'OPEN']);
        await h.engine.storeForTests().query('DROP TRIGGER refuse_positions ON cycle_positions');

        await h.engine.sweep();
        assert.deepEqual(await state(), ['CUT_OFF', 'OPEN'], 'not before cycleResumeAfterMs');
        h.clock.advance(limits.cycleResumeAfterMs + 1_000);
        await h.engine.sweep();
        assert.deepEqual(await state(), ['SETTLEMENT_SENT', 'OPEN']);
        await h.dispatch();
        for (let round = 0; round < 5 && (await h.agent.answerAll()) > 0; round++) await h.dispatch();
        assert.deepEqual(await state(), ['SETTLED', 'OPEN']);
        const [{ n }] = await h.engine.storeForTests().query<{ n: number }>("SELECT count(*)::int AS n FROM payments_effective WHERE state = 'SETTLED'") as [{ n: number }];
        assert.equal(n, 12);
      } finally {
        await h.close();
      }
    });
  });
}
