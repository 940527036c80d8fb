/**
 * Settlement against the agent's books (issue 9, defects 1 and 2): whatever the switch instructs, the
 * settlement agent simulator's books must show each participant's final cycle position exactly once,
 * and the clearing house's technical account must end the cycle at zero. Judged from the outside: the
 * agent's bookings and the messages delivered to the parties.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { backends, harness, schemeConfig, SWITCH, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

function bulk(senderIndex: number, count: number, seed: number, receivers: number[], localInstrument?: string) {
  const sender = DEMO_BANKS[senderIndex]!;
  return bulkCreditTransfer({
    seed, sender, receivers: receivers.map((i) => DEMO_BANKS[i]!),
    transactionCount: count, settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-M${seed}`,
    localInstrument,
  });
}

async function submit(h: Harness, senderIndex: number, model: ReturnType<typeof bulk>) {
  return h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: DEMO_BANKS[senderIndex]!.bic });
}

/** Cut off and deliver the pacs.009s, without the agent answering yet; returns the cycle and its positions. */
async function cutOff(h: Harness): Promise<{ cycleId: bigint; positions: Map<string, bigint> }> {
  const cycleId = (await h.engine.closeCycle())!;
  await h.dispatch();
  return { cycleId, positions: await positionsOf(h, cycleId) };
}

async function positionsOf(h: Harness, cycleId: bigint): Promise<Map<string, bigint>> {
  const cycle = (await h.engine.positions(cycleId))!;
  return new Map(cycle.positions.filter((p) => p.net_minor !== 0n).map((p) => [`${p.bic}|${p.currency}`, p.net_minor]));
}

/** The agent answers until nothing is left to answer. */
async function settle(h: Harness): Promise<void> {
  for (let round = 0; round < 10 && (await h.agent.answerAll()) > 0; round++) await h.dispatch();
}

/** The agent's books show each participant's final position of the cycle exactly once, and the technical account at zero. */
async function assertBookedOnce(h: Harness, cycleId: bigint): Promise<void> {
  const final = await positionsOf(h, cycleId);
  const booked = new Map([...h.agent.bookedPerParticipant(cycleId)].filter(([, v]) => v !== 0n));
  assert.deepEqual(booked, final, `cycle ${cycleId}: the agent's bookings per participant equal the final net positions`);
  for (const currency of new Set([...final.keys()].map((k) => k.split('|')[1]!))) {
    assert.equal(h.agent.balance(SWITCH, currency), 0n, `the clearing house's technical account in ${currency} ends at zero`);
  }
}

/** Three banks send each other batch payments; returns the bank that is short (negative position). */
async function threeBanks(h: Harness): Promise<void> {
  for (const i of [0, 1, 2]) assert.equal((await submit(h, i, bulk(i, 12, 300 + i, [0, 1, 2].filter((k) => k !== i)))).status, 'ACCP');
}

function shortest(positions: Map<string, bigint>): string {
  return [...positions].sort((a, b) => (a[1] < b[1] ? -1 : 1))[0]![0].split('|')[0]!;
}

for (const backend of backends) {
  describe(`settlement against the agent's books on ${backend}`, () => {
    it('the agent books each instruction once: a replayed pacs.009 is answered again and not booked twice', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        await threeBanks(h);
        const { cycleId, positions } = await cutOff(h);
        const files = h.mailboxes.outbound(h.agent.bic).filter((f) => f.startsWith('pacs.009'));
        assert.equal(files.length, positions.size);
        const first = h.mailboxes.read(h.agent.bic, 'outbound', files[0]!).toString('utf8');
        await settle(h);
        const before = h.agent.books().bookings.length;
        const again = parsePacs002(h.agent.answer(first));
        assert.equal(again.transactions[0]!.transactionStatus, 'ACSC');
        assert.equal(h.agent.books().bookings.length, before, 'the replay was not booked');
        assert.equal((await h.engine.positions(cycleId))!.cycle.state, 'SETTLED');
        await assertBookedOnce(h, cycleId);
      } finally {
        await h.close();
      }
    });

    it('defect 1: an instruction the agent cannot cover (AM04) unwinds the defaulter; the retry books every other participant once', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        await threeBanks(h);
        const { cycleId, positions } = await cutOff(h);
        const defaulter = shortest(positions);
        h.agent.setBalance(defaulter, 'EUR', 0n);
        await settle(h);
        assert.equal((await h.engine.positions(cycleId))!.cycle.state, 'SETTLED');
        const attempts = await h.engine.storeForTests().query<{ attempt: number }>(
          'SELECT DISTINCT attempt FROM settlement_instructions WHERE cycle_id = $1 ORDER BY attempt', [cycleId]);
        assert.deepEqual(attempts.map((a) => a.attempt), [1, 2], 'the cycle was re-instructed');
        assert.equal(h.agent.bookedPerParticipant(cycleId).get(`${defaulter}|EUR`) ?? 0n, 0n, 'nothing booked for the defaulter');
        await assertBookedOnce(h, cycleId);
        // The defaulter's senders were told: its payments RJCT with AM04's settlement code.
        const told = h.mailboxes.outbound(defaulter).filter((f) => f.startsWith('pacs.002'))
          .map((f) => parsePacs002(h.mailboxes.read(defaulter, 'outbound', f).toString('utf8')))
          .flatMap((m) => m.transactions).filter((t) => t.transactionStatus === 'RJCT');
        assert.ok(told.length > 0 && told.every((t) => t.statusReasons?.[0]?.reason && 'code' in t.statusReasons[0].reason && t.statusReasons[0].reason.code === 'ED05'));
      } finally {
        await h.close();
      }
    });
  });
}
