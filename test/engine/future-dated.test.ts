/**
 * Future-dated payments (issue 9, defect 5; docs/scheme-rules.md, "Future-dated payments"), on the
 * embedded PGlite and on real PostgreSQL, under the demo scheme's calendar (Frankfurt, roll 16:00,
 * cut-offs 10:00 / 13:00 / 16:00, weekends and TARGET holidays closed). A batch pacs.008 dated a later
 * business day is warehoused and settles in the first cycle of its date, not today's; beyond the
 * horizon, on a weekend, or real-time, it is refused with its code; recalled while warehoused, it is
 * cancelled and the creditor never sees it. Judged from the messages every party received.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { loadConfig } from '../../switch/config.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { build as buildCamt056 } from '../../switch/iso/messages/camt.056.001.08/index.ts';
import { root } from '../support/cli-workspace.ts';
import { AGENT, BANKS, SWITCH, backends, harness, type Harness } from './support.ts';

const encoder = new TextEncoder();
const demoScheme = loadConfig(join(root, 'config', 'demo-scheme.json'));
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

/** Thursday 26 November 2026, 09:00 in Frankfurt: before the day's first cut-off. */
const THURSDAY_MORNING = '2026-11-26T08:00:00Z';
/** Thursday 16:00 in Frankfurt: the last cut-off and the roll to Friday 27 November. */
const THURSDAY_ROLL = '2026-11-26T15:00:00Z';
/** Friday 27 November, 09:30 in Frankfurt: before Friday's first cut-off. */
const FRIDAY_MORNING = '2026-11-27T08:30:00Z';

type Model = ReturnType<typeof bulkCreditTransfer>;

function file(senderIndex: number, receiverIndex: number, settlementDate: string, seed: number, count = 2, localInstrument?: string): Model {
  const sender = DEMO_BANKS[senderIndex]!;
  return bulkCreditTransfer({
    seed, sender, receivers: [DEMO_BANKS[receiverIndex]!], transactionCount: count, settlementDate,
    createdAt: '2026-11-26T08:00:00Z', messageId: `${sender.bic.slice(0, 8)}-FD${seed}`, maxAmountMinor: 100_000, localInstrument,
  });
}

async function submit(h: Harness, senderIndex: number, model: Model) {
  return h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: DEMO_BANKS[senderIndex]!.bic });
}

const txIds = (model: Model): string[] => model.transactions.map((t) => t.paymentIdentification.transactionId!);

/** The text of every file of `type` a bank received. */
function received(h: Harness, bic: string, type: string): string[] {
  return h.mailboxes.outbound(bic).filter((f) => f.startsWith(type)).map((f) => h.mailboxes.read(bic, 'outbound', f).toString('utf8'));
}

/** The transaction ids in the bulk pacs.008 a bank received, with each bulk file's IntrBkSttlmDt. */
function deliveredPayments(h: Harness, bic: string): { id: string; date: string }[] {
  return received(h, bic, 'pacs.008').flatMap((xml) => {
    const date = /<GrpHdr>[\s\S]*?<IntrBkSttlmDt>([^<]+)<\/IntrBkSttlmDt>/.exec(xml)?.[1] ?? '';
    return [...xml.matchAll(/<TxId>([^<]+)<\/TxId>/g)].map((m) => ({ id: m[1]!, date }));
  });
}

/**
 * Cut off the open cycle and settle it; returns the participants named in its pacs.009 settlement
 * instructions (read before the settlement agent answers and archives them) and their IntrBkSttlmDt.
 */
async function settleCycle(h: Harness): Promise<{ participants: Set<string>; dates: Set<string> }> {
  assert.ok((await h.engine.closeCycle()) !== undefined, 'a cycle was cut off');
  await h.dispatch();
  const participants = new Set<string>();
  const dates = new Set<string>();
  for (const xml of received(h, AGENT, 'pacs.009')) {
    dates.add(/<IntrBkSttlmDt>([^<]+)<\/IntrBkSttlmDt>/.exec(xml)![1]!);
    for (const bic of BANKS) if (xml.includes(bic)) participants.add(bic);
  }
  for (let round = 0; round < 5 && (await h.agent.answerAll()) > 0; round++) await h.dispatch();
  const cycles = await h.engine.cycles();
  assert.ok(cycles.filter((c) => c.state !== 'OPEN').every((c) => c.state === 'SETTLED'), 'every cut-off cycle settled');
  return { participants, dates };
}

function recall(model: Model, index: number, caseId: string, debtor: string): Uint8Array {
  const t = model.transactions[index]!;
  return encoder.encode(buildCamt056({
    assignment: { id: `A-${caseId}`, assigner: debtor, assignee: SWITCH, creationDateTime: '2026-11-26T10:30:00Z' },
    case: { id: caseId, creator: debtor },
    underlying: [{ transactions: [{ originalTransactionId: t.paymentIdentification.transactionId, originalUetr: t.paymentIdentification.uetr,
      originalEndToEndId: t.paymentIdentification.endToEndId, reasons: [{ reason: { code: 'DUPL' }, additionalInformation: [] }] }] }],
  }));
}

/** Status and reason codes of the pacs.002 a bank received about one of its messages. */
function answerAbout(h: Harness, bic: string, messageId: string): { status: string; codes: string[] } {
  const xml = received(h, bic, 'pacs.002').find((x) => x.includes(`<OrgnlMsgId>${messageId}</OrgnlMsgId>`));
  assert.ok(xml, `${bic} received a pacs.002 about ${messageId}`);
  return { status: /<GrpSts>([^<]+)<\/GrpSts>/.exec(xml)?.[1] ?? '', codes: [...xml.matchAll(/<Cd>([^<]+)<\/Cd>/g)].map((m) => m[1]!) };
}

for (const backend of backends) {
  describe(`future-dated payments on ${backend} (demo scheme: Frankfurt, roll 16:00, cut-offs 10:00/13:00/16:00)`, () => {
    it('dated the next business day: not in today\'s cycles (bulk files, instructions), settled in the first cycle of that day', async () => {
      const h = await harness(backend, demoScheme, xsd, THURSDAY_MORNING);
      try {
        const future = file(0, 1, '2026-11-27', 501);
        const today = file(2, 1, '2026-11-26', 502);
        assert.equal((await submit(h, 0, future)).status, 'ACCP');
        assert.equal((await submit(h, 2, today)).status, 'ACCP');
        await h.dispatch();
        assert.equal(answerAbout(h, BANKS[0], future.groupHeader.messageId).status, 'ACTC', 'accepted (warehoused)');
        const thursday = await settleCycle(h); // an operator's close on Thursday morning: Thursday's cycle
        assert.deepEqual([...thursday.dates], ['2026-11-26']);
        assert.deepEqual([...thursday.participants].sort(), [BANKS[1], BANKS[2]].sort(), 'the future-dated sender has no position on Thursday');
        assert.deepEqual(deliveredPayments(h, BANKS[1]).map((p) => p.id).sort(), txIds(today).sort(), 'Thursday\'s bulk file holds only Thursday\'s payments');
        assert.equal(received(h, BANKS[0], 'camt.054').length, 0, 'nothing booked for the future-dated sender on Thursday');

        h.clock.set(THURSDAY_ROLL);
        const last = await settleCycle(h); // Thursday's last cycle (nothing in it) is cut off; Friday's first cycle opens
        assert.equal(last.participants.size, 0, 'Thursday\'s last cycle instructs nobody');
        assert.deepEqual(deliveredPayments(h, BANKS[1]).map((p) => p.id).sort(), txIds(today).sort(), 'still not delivered on Thursday');

        h.clock.set(FRIDAY_MORNING);
        const fridayCycle = await settleCycle(h); // Friday's first cycle
        assert.deepEqual([...fridayCycle.dates], ['2026-11-27']);
        assert.deepEqual([...fridayCycle.participants].sort(), [BANKS[0], BANKS[1]].sort(), 'the sender is instructed in Friday\'s settlement');
        const friday = deliveredPayments(h, BANKS[1]).filter((p) => txIds(future).includes(p.id));
        assert.deepEqual(friday.map((p) => p.id).sort(), txIds(future).sort(), 'delivered with Friday\'s first cycle');
        assert.deepEqual([...new Set(friday.map((p) => p.date))], ['2026-11-27'], 'in a bulk file dated Friday');
        assert.equal(received(h, BANKS[0], 'camt.054').length, 1, 'booked for the sender on Friday');
      } finally {
        await h.close();
      }
    });

    it('refused with the code the sender receives: a weekend (DT03), beyond the horizon (DT04), real-time (DT04); the horizon\'s last day is taken', async () => {
      const h = await harness(backend, demoScheme, xsd, THURSDAY_MORNING);
      try {
        const weekend = file(0, 1, '2026-11-28', 511); // Saturday
        const beyond = file(0, 1, '2026-12-04', 512); // six business days ahead; the default horizon is five
        const lastDay = file(0, 1, '2026-12-03', 513); // five business days ahead
        const instant = file(0, 1, '2026-11-27', 514, 1, 'INST');
        assert.equal((await submit(h, 0, weekend)).status, 'RJCT');
        assert.equal((await submit(h, 0, beyond)).status, 'RJCT');
        assert.equal((await submit(h, 0, lastDay)).status, 'ACCP');
        assert.equal((await submit(h, 0, instant)).status, 'RJCT');
        await h.dispatch();
        assert.deepEqual(answerAbout(h, BANKS[0], weekend.groupHeader.messageId), { status: 'RJCT', codes: ['DT03'] });
        assert.deepEqual(answerAbout(h, BANKS[0], beyond.groupHeader.messageId), { status: 'RJCT', codes: ['DT04'] });
        assert.deepEqual(answerAbout(h, BANKS[0], instant.groupHeader.messageId).codes, ['DT04']);
        assert.equal(received(h, BANKS[1], 'pacs.008').length, 0, 'the creditor agent receives none of them');
        await settleCycle(h);
        assert.deepEqual(deliveredPayments(h, BANKS[1]), [], 'the accepted one waits for its date');
      } finally {
        await h.close();
      }
    });

    it('dates of its own per transaction: today\'s settles today, the next day\'s then, a Saturday\'s is refused DT03 alone (PART)', async () => {
      const h = await harness(backend, demoScheme, xsd, THURSDAY_MORNING);
      try {
        const base = file(3, 1, '2026-11-26', 541, 3);
        const dates = ['2026-11-26', '2026-11-27', '2026-11-28'];
        const mixed: Model = { ...base, groupHeader: { ...base.groupHeader, interbankSettlementDate: undefined },
          transactions: base.transactions.map((t, i) => ({ ...t, interbankSettlementDate: dates[i] })) };
        const [todayId, fridayId, saturdayId] = txIds(mixed);
        assert.equal((await submit(h, 3, mixed)).status, 'PART');
        await h.dispatch();
        const answer = received(h, BANKS[3], 'pacs.002').find((x) => x.includes(mixed.groupHeader.messageId))!;
        assert.match(answer, new RegExp(`<OrgnlTxId>${saturdayId}</OrgnlTxId>[\\s\\S]*?<Cd>DT03</Cd>`), 'the Saturday transaction is refused DT03');
        await settleCycle(h);
        assert.deepEqual(deliveredPayments(h, BANKS[1]).map((p) => p.id), [todayId], 'Thursday: only today\'s');
        h.clock.set(THURSDAY_ROLL);
        await settleCycle(h);
        h.clock.set(FRIDAY_MORNING);
        await settleCycle(h);
        assert.deepEqual(deliveredPayments(h, BANKS[1]).map((p) => p.id), [todayId, fridayId], 'Friday: the next day\'s; never the refused one');
      } finally {
        await h.close();
      }
    });

    it('a scheme with a horizon of 0 business days refuses the next business day (DT04)', async () => {
      const h = await harness(backend, { ...demoScheme, futureDatedHorizonBusinessDays: 0 }, xsd, THURSDAY_MORNING);
      try {
        const next = file(0, 1, '2026-11-27', 531);
        assert.equal((await submit(h, 0, next)).status, 'RJCT');
        assert.equal((await submit(h, 0, file(0, 1, '2026-11-26', 532))).status, 'ACCP', 'today\'s date is taken');
        await h.dispatch();
        assert.deepEqual(answerAbout(h, BANKS[0], next.groupHeader.messageId), { status: 'RJCT', codes: ['DT04'] });
      } finally {
        await h.close();
      }
    });

    it('recalled while warehoused: camt.029 CNCL to the sender, cancelled, the creditor never sees it', async () => {
      const h = await harness(backend, demoScheme, xsd, THURSDAY_MORNING);
      try {
        const future = file(0, 1, '2026-11-27', 521);
        assert.equal((await submit(h, 0, future)).status, 'ACCP');
        const answer = await h.engine.submit({ bytes: recall(future, 0, 'CASE-FD1', BANKS[0]), sender: BANKS[0] });
        assert.equal(answer.status, 'ACCP', JSON.stringify(answer.report.findings));
        await h.dispatch();
        const resolutions = received(h, BANKS[0], 'camt.029');
        assert.equal(resolutions.length, 1);
        assert.match(resolutions[0]!, /<Conf>CNCL<\/Conf>/);
        h.clock.set(THURSDAY_ROLL);
        await settleCycle(h);
        h.clock.set(FRIDAY_MORNING);
        await settleCycle(h);
        assert.deepEqual(deliveredPayments(h, BANKS[1]).map((p) => p.id), [txIds(future)[1]], 'only the payment not recalled reaches the creditor');
        assert.equal(received(h, BANKS[1], 'camt.056').length, 0, 'the creditor is not asked');
      } finally {
        await h.close();
      }
    });
  });
}
