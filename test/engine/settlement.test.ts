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
import { backends, harness, schemeConfig, SWITCH, type EngineEvent, type Harness } from './support.ts';

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
      const events: EngineEvent[] = [];
      const h = await harness(backend, schemeConfig(), xsd, undefined, (e) => events.push(e));
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
        // The engine reported each step (serve logs them: docs/operations.md "Logs").
        const story = events.filter((e) => 'cycle' in e && e.cycle === cycleId).map((e) => e.event);
        assert.deepEqual(story, ['cycle.cut-off', 'cycle.netted', 'settlement.instructed', 'settlement.rejected', 'cycle.unwind',
          'settlement.instructed', 'cycle.settled']);
        const rejected = events.find((e) => e.event === 'settlement.rejected');
        assert.deepEqual(rejected && 'participants' in rejected ? rejected.participants : [], [defaulter]);
      } finally {
        await h.close();
      }
    });

    /**
     * A PARTIALLY_SETTLED cycle: BANKDEFFXXX's only payment is a committed real-time one (nothing of it
     * can be unwound automatically), and its account cannot cover its debit; BANKNL2AXXX pays
     * BANKFRPPXXX in batch.
     */
    async function partiallySettled(h: Harness): Promise<{ cycleId: bigint; realtimeTx: string }> {
      const instant = bulk(0, 1, 41, [1], 'INST');
      assert.equal((await submit(h, 0, instant)).status, 'ACCP');
      await h.dispatch();
      assert.equal(await h.bank('BANKFRPPXXX').answerRealtime(), 1);
      await h.dispatch();
      assert.equal((await submit(h, 2, bulk(2, 5, 42, [1]))).status, 'ACCP');
      const { cycleId } = await cutOff(h);
      h.agent.setBalance('BANKDEFFXXX', 'EUR', 0n);
      await settle(h);
      assert.equal((await h.engine.positions(cycleId))!.cycle.state, 'PARTIALLY_SETTLED');
      assert.equal(h.agent.bookedPerParticipant(cycleId).get('BANKDEFFXXX|EUR') ?? 0n, 0n);
      return { cycleId, realtimeTx: instant.transactions[0]!.paymentIdentification.transactionId! };
    }

    async function exposure(h: Harness, bic: string): Promise<{ net_minor: bigint; debits_minor: bigint; reserved_minor: bigint }> {
      const [row] = await h.engine.storeForTests().query<{ net_minor: bigint; debits_minor: bigint; reserved_minor: bigint }>(
        "SELECT net_minor, debits_minor, reserved_minor FROM exposures WHERE bic = $1 AND currency = 'EUR'", [bic]);
      return row!;
    }

    async function journal(h: Harness, cycleId: bigint, resolution: string): Promise<void> {
      const [entry] = await h.engine.operatorActions({ subject: `cycle ${cycleId}` });
      assert.equal(entry?.action, 'settlement.resolve');
      assert.equal(entry?.actor, 'alice');
      assert.equal(entry?.reason, 'ticket OPS-1');
      assert.equal((entry?.details as { resolution?: string }).resolution, resolution);
    }

    function statusLines(h: Harness, bic: string) {
      return h.mailboxes.outbound(bic).filter((f) => f.startsWith('pacs.002'))
        .map((f) => parsePacs002(h.mailboxes.read(bic, 'outbound', f).toString('utf8'))).flatMap((m) => m.transactions);
    }

    it('a partially settled cycle and a failed delivery are reported as events, with the participants and the reason', async () => {
      const events: EngineEvent[] = [];
      const h = await harness(backend, schemeConfig(), xsd, undefined, (e) => events.push(e));
      try {
        const { cycleId } = await partiallySettled(h);
        const partial = events.find((e) => e.event === 'cycle.partially-settled');
        assert.deepEqual(partial, { event: 'cycle.partially-settled', cycle: cycleId, participants: ['BANKDEFFXXX'] });
        h.agent.fund('BANKDEFFXXX', 'EUR', 1_000_000_000n);
        await h.engine.resolveSettlement(cycleId, 'reinstruct', { actor: 'alice', reason: 'ticket OPS-1' });
        assert.equal(await h.engine.dispatch(() => { throw new Error('mailbox full'); }), 0);
        const failed = events.filter((e) => e.event === 'delivery.failed');
        assert.ok(failed.length >= 1, 'the failed delivery was reported');
        assert.ok(failed.every((e) => e.event === 'delivery.failed' && e.reason === 'mailbox full' && e.attempt === 1 && !e.final && e.recipient !== ''));
      } finally {
        await h.close();
      }
    });

    it('defect 2, reinstruct: after the defaulter is funded the cycle settles and every position is booked once', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const { cycleId } = await partiallySettled(h);
        h.agent.fund('BANKDEFFXXX', 'EUR', 1_000_000_000n);
        const result = await h.engine.resolveSettlement(cycleId, 'reinstruct', { actor: 'alice', reason: 'ticket OPS-1' });
        assert.equal(result.state, 'SETTLEMENT_SENT');
        await journal(h, cycleId, 'reinstruct');
        await h.dispatch();
        await settle(h);
        assert.equal((await h.engine.positions(cycleId))!.cycle.state, 'SETTLED');
        await assertBookedOnce(h, cycleId);
        const retry = h.agent.books().bookings.filter((b) => b.cycleId === cycleId.toString() && b.instructionId.includes('-A2-'));
        assert.deepEqual(retry.map((b) => b.participant), ['BANKDEFFXXX'], 'the retry instructed only what was not booked');
        assert.deepEqual(await exposure(h, 'BANKDEFFXXX'), { net_minor: 0n, debits_minor: 0n, reserved_minor: 0n }, 'exposure released on settlement');
      } finally {
        await h.close();
      }
    });

    it('defect 2, unwind-defaulter: its payments rejected (ED05) to both agents, exposure given back, the rest instructed for the difference', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const { cycleId, realtimeTx } = await partiallySettled(h);
        const result = await h.engine.resolveSettlement(cycleId, 'unwind-defaulter', { actor: 'alice', reason: 'ticket OPS-1' });
        assert.equal(result.state, 'SETTLEMENT_SENT');
        await journal(h, cycleId, 'unwind-defaulter');
        assert.deepEqual(await exposure(h, 'BANKDEFFXXX'), { net_minor: 0n, debits_minor: 0n, reserved_minor: 0n }, 'the unwound payment no longer counts');
        await h.dispatch();
        await settle(h);
        assert.equal((await h.engine.positions(cycleId))!.cycle.state, 'SETTLED');
        await assertBookedOnce(h, cycleId);
        assert.equal((await positionsOf(h, cycleId)).get('BANKDEFFXXX|EUR'), undefined);
        for (const bic of ['BANKDEFFXXX', 'BANKFRPPXXX']) {
          const line = statusLines(h, bic).find((t) => t.originalTransactionId === realtimeTx && t.transactionStatus === 'RJCT');
          assert.ok(line, `${bic} told the real-time payment was unwound`);
          assert.deepEqual(line.statusReasons?.[0]?.reason, { code: 'ED05' });
        }
        const [payment] = await h.engine.storeForTests().query<{ state: string; reason_code: string }>(
          'SELECT state, reason_code FROM payments WHERE transaction_id = $1', [realtimeTx]);
        assert.deepEqual({ ...payment }, { state: 'REJECTED', reason_code: 'ED05' });
      } finally {
        await h.close();
      }
    });

    it('defect 2, settled-elsewhere: the cycle is SETTLED without a further instruction and exposure released', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const { cycleId } = await partiallySettled(h);
        const bookings = h.agent.books().bookings.length;
        const result = await h.engine.resolveSettlement(cycleId, 'settled-elsewhere', { actor: 'alice', reason: 'ticket OPS-1' });
        assert.equal(result.state, 'SETTLED');
        await journal(h, cycleId, 'settled-elsewhere');
        await h.dispatch();
        assert.equal(await h.agent.answerAll(), 0, 'nothing more instructed');
        assert.equal(h.agent.books().bookings.length, bookings);
        assert.deepEqual(await exposure(h, 'BANKDEFFXXX'), { net_minor: 0n, debits_minor: 0n, reserved_minor: 0n });
        assert.ok(h.mailboxes.outbound('BANKDEFFXXX').some((f) => f.startsWith('camt.054')), 'the defaulter is notified of its settled position');
        await assert.rejects(h.engine.resolveSettlement(cycleId, 'reinstruct', { actor: 'alice', reason: 'again' }), /SETTLED, not PARTIALLY_SETTLED/);
      } finally {
        await h.close();
      }
    });

    it('issue 10: settlement unanswered past answerTimeoutSeconds raises one alert per attempt, visible in the cycle list', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        await threeBanks(h);
        const { cycleId } = await cutOff(h);
        h.clock.advance(899_000);
        assert.deepEqual(await h.engine.settlementAlerts(), [], 'not yet: the default timeout is 900 s');
        h.clock.advance(2_000);
        // Two sweeps at once (several serve processes; concurrent connections on PostgreSQL): one alert in all.
        const alerts = (await Promise.all([h.engine.settlementAlerts(), h.engine.settlementAlerts()])).flat();
        assert.deepEqual(alerts.map((a) => [a.cycleId, a.attempt]), [[cycleId, 1]]);
        assert.deepEqual(await h.engine.settlementAlerts(), [], 'raised once');
        assert.ok((await h.engine.cycles()).find((c) => c.id === cycleId)?.settlementAlertAt, 'visible in the cycle list (cycle status)');
        await settle(h);
        assert.equal((await h.engine.positions(cycleId))!.cycle.state, 'SETTLED');
        await assertBookedOnce(h, cycleId);
      } finally {
        await h.close();
      }
    });

    it('issue 10: the sweep (serve, or the shared work queue in Redis mode) reports an overdue settlement once, as an event serve logs', async () => {
      const events: EngineEvent[] = [];
      const h = await harness(backend, schemeConfig(), xsd, undefined, (e) => events.push(e));
      try {
        await threeBanks(h);
        const { cycleId } = await cutOff(h);
        h.clock.advance(901_000);
        await h.engine.sweep();
        await h.engine.sweep();
        const overdue = events.filter((e) => e.event === 'settlement.overdue');
        assert.equal(overdue.length, 1, 'once per attempt');
        assert.ok(overdue[0]!.event === 'settlement.overdue' && overdue[0]!.cycle === cycleId && overdue[0]!.attempt === 1 && overdue[0]!.unanswered > 0);
      } finally {
        await h.close();
      }
    });

    it('issue 10: the agent booked but its answers were lost; re-queried with pacs.028, its replies settle the cycle once (a second query changes nothing)', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        await threeBanks(h);
        const { cycleId } = await cutOff(h);
        // The agent books every instruction, but its answers never reach the switch.
        for (const file of h.mailboxes.outbound(h.agent.bic).filter((f) => f.startsWith('pacs.009'))) {
          h.agent.answer(h.mailboxes.read(h.agent.bic, 'outbound', file).toString('utf8'));
          h.mailboxes.archiveOutbound(h.agent.bic, file);
        }
        h.clock.advance(901_000);
        assert.equal((await h.engine.settlementAlerts()).length, 1);
        const by = { actor: 'alice', reason: 'agent silent, ticket OPS-2' };
        const first = await h.engine.querySettlement(cycleId, by);
        const second = await h.engine.querySettlement(cycleId, by);
        assert.equal(first.queried, second.queried);
        assert.ok(first.queried > 0);
        const [entry] = await h.engine.operatorActions({ subject: `cycle ${cycleId}` });
        assert.equal(entry?.action, 'settlement.query');
        await h.dispatch();
        assert.equal(h.mailboxes.outbound(h.agent.bic).filter((f) => f.startsWith('pacs.028')).length, 2 * first.queried);
        const bookings = h.agent.books().bookings.length;
        await settle(h);
        assert.equal(h.agent.books().bookings.length, bookings, 'a status request books nothing');
        assert.equal((await h.engine.positions(cycleId))!.cycle.state, 'SETTLED');
        await assertBookedOnce(h, cycleId);
        await assert.rejects(h.engine.querySettlement(cycleId, by), /SETTLED, not waiting for the settlement agent/);
      } finally {
        await h.close();
      }
    });
  });
}
