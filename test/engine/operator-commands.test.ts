/**
 * The operator commands' engine methods (issue 10, "Operator commands instead of config edits and
 * SQL"): suspendParticipant, resumeParticipant, setNetDebitCap, addParticipant, retireParticipant.
 * Each is recorded first (who, what, on what, why), broadcast where the scheme says so (admi.004
 * PSUS / PREA to every participant), and in force for traffic at once here and, on a shared
 * PostgreSQL, in every other engine within limits.registerPollIntervalMs: a suspended participant's
 * files are refused AG10 (sender) and payments to it AG10 (creditor agent); a retired one is not a
 * participant (its files AG08, payments to it RC02).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { Engine, RegisterChangeError } from '../../switch/engine/engine.ts';
import { limits } from '../../switch/limits.ts';
import { backends, freshPostgresUrl, harness, schemeConfig, TestClock } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const who = { actor: 'ops-alice', reason: 'TICKET-42 test' };
let seed = 100;

/** One payment file from bank `from` to bank `to` (indices into DEMO_BANKS, BICs of the test scheme). */
function file(from: number, to: number, sender = DEMO_BANKS[from]!) {
  seed++;
  return encoder.encode(buildPacs008(bulkCreditTransfer({
    seed, sender, receivers: [DEMO_BANKS[to]!], transactionCount: 1, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-OC${seed}`,
  })));
}

async function send(engine: Engine, from: number, to: number) {
  const result = await engine.submit({ bytes: file(from, to), sender: DEMO_BANKS[from]!.bic });
  const codes = [...result.report.findings.map((f) => f.code), ...result.report.transactions.flatMap((t) => t.reasons ?? [])];
  return { status: result.status, codes };
}

/** The admi.004 event codes queued for each recipient, in order. */
async function events(engine: Engine): Promise<Map<string, string[]>> {
  const rows = await engine.storeForTests().query<{ participant: string; bytes: Uint8Array }>(
    "SELECT participant, bytes FROM messages WHERE direction = 'out' AND message_type = 'admi.004.001.02' ORDER BY id");
  const byBic = new Map<string, string[]>();
  for (const r of rows) {
    const code = /<EvtCd>([^<]+)</.exec(Buffer.from(r.bytes).toString('utf8'))![1]!;
    if (code === 'PSUS' || code === 'PREA') byBic.set(r.participant, [...(byBic.get(r.participant) ?? []), code]);
  }
  return byBic;
}

for (const backend of backends) {
  describe(`operator commands (${backend})`, () => {
    it('suspend, resume, cap, add, retire: recorded, broadcast, in force for traffic', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      const { engine } = h;
      try {
        assert.equal((await send(engine, 1, 2)).status, 'ACCP');

        const suspended = await engine.suspendParticipant('BANKFRPPXXX', who);
        assert.deepEqual(suspended.changes.map((c) => c.kind), ['participant.suspend']);
        const sender = await send(engine, 1, 2);
        assert.equal(sender.status, 'RJCT');
        assert.ok(sender.codes.includes('AG10'), `sender suspended: AG10 (${sender.codes.join(',')})`);
        const creditor = await send(engine, 0, 1);
        assert.equal(creditor.status, 'RJCT');
        assert.ok(creditor.codes.includes('AG10'), `creditor agent suspended: AG10 (${creditor.codes.join(',')})`);
        const broadcast = await events(engine);
        assert.deepEqual([...broadcast.keys()].sort(), ['BANKBEBBXXX', 'BANKDEFFXXX', 'BANKFRPPXXX', 'BANKITMMXXX', 'BANKNL2AXXX'],
          'PSUS to every participant, the suspended one included');
        await assert.rejects(engine.suspendParticipant('BANKFRPPXXX', who), RegisterChangeError);

        await engine.resumeParticipant('BANKFRPPXXX', who);
        assert.equal((await send(engine, 1, 2)).status, 'ACCP');
        assert.deepEqual((await events(engine)).get('BANKNL2AXXX'), ['PSUS', 'PREA']);

        await engine.setNetDebitCap('BANKDEFFXXX', 'EUR', '123.45', who);
        const [cap] = await engine.storeForTests().query<{ cap_minor: bigint }>("SELECT cap_minor FROM exposures WHERE bic = 'BANKDEFFXXX'");
        assert.equal(cap!.cap_minor, 12345n);
        await assert.rejects(engine.setNetDebitCap('BANKDEFFXXX', 'USD', '1.00', who), RegisterChangeError);
        await assert.rejects(engine.setNetDebitCap('BANKDEFFXXX', 'EUR', 'lots', who), RegisterChangeError);

        await engine.retireParticipant('BANKITMMXXX', who);
        const retired = await send(engine, 4, 0);
        assert.equal(retired.status, 'RJCT');
        assert.ok(retired.codes.includes('AG08'), `retired sender: not a party that sends to the switch (${retired.codes.join(',')})`);
        const toRetired = await send(engine, 0, 4);
        assert.ok(toRetired.codes.includes('RC02'), `payment to a retired participant: RC02 (${toRetired.codes.join(',')})`);
        await engine.addParticipant({ bic: 'BANKITMMXXX', name: 'Banca E SpA', currencies: ['EUR'], netDebitCap: { EUR: '5000.00' } }, who);
        assert.equal((await send(engine, 4, 0)).status, 'ACCP', 'added again: its files are accepted');
        await assert.rejects(engine.addParticipant({ bic: 'BANKITMMXXX', name: 'x', currencies: ['EUR'] }, who), RegisterChangeError);
        await assert.rejects(engine.suspendParticipant('NOTABANKXXX', who), /is not a participant/);

        const journal = await engine.operatorActions();
        assert.deepEqual(journal.map((a) => `${a.action} ${a.subject}`).reverse().slice(1), [
          'participant.suspend BANKFRPPXXX', 'participant.resume BANKFRPPXXX', 'participant.cap BANKDEFFXXX',
          'participant.retire BANKITMMXXX', 'participant.add BANKITMMXXX',
        ], 'refused changes are not recorded; the first entry is the register seeded at the first start');
        assert.ok(journal.slice(0, -1).every((a) => a.actor === who.actor && a.reason === who.reason));
        assert.equal(journal.at(-1)!.action, 'config.initialise');
      } finally {
        await h.close();
      }
    });

    if (backend === 'postgres') {
      it('a change made by one engine is in force in another within the poll interval, without a restart', async () => {
        const url = await freshPostgresUrl();
        const first = await Engine.open({ config: schemeConfig(), databaseUrl: url, clock: new TestClock(), xsd });
        const second = await Engine.open({ config: schemeConfig(), databaseUrl: url, clock: new TestClock(), xsd });
        try {
          assert.equal((await send(second, 1, 2)).status, 'ACCP');
          await first.suspendParticipant('BANKFRPPXXX', who);
          await new Promise((resolve) => setTimeout(resolve, limits.registerPollIntervalMs + 50));
          const refused = await send(second, 1, 2);
          assert.ok(refused.codes.includes('AG10'), `the other engine refuses the suspended sender (${refused.codes.join(',')})`);
          assert.equal(second.configurationVersion, first.configurationVersion);
        } finally {
          await first.close();
          await second.close();
        }
      });
    }
  });
}
