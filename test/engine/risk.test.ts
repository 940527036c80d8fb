/**
 * The risk stage (switch/engine/risk.ts, docs/risk.md) on both intake paths, on PGlite and PostgreSQL:
 * limits (AM02 per transaction, AM14 per day, given back when a payment fails), frozen accounts (AC06),
 * holds (screening hit → held, released by an operator, or rejected AB01 when a held real-time payment
 * is not decided in time; a held batch payment stays out of netting until released), profiles loaded by
 * file (strict, whole or nothing, versioned, effective from a stated time), the events recorded and
 * raised, and two engines on one PostgreSQL racing for the last room of a daily limit.
 *
 * The Screener here is a small real one over a fixed list of names written in the test (the product's
 * screening is another module): it is what the stage is given as a port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { checkConfig, type SchemeConfig } from '../../switch/config.ts';
import { Engine } from '../../switch/engine/engine.ts';
import type { EngineEvent } from '../../switch/engine/context.ts';
import type { IntakeResult } from '../../switch/engine/transport.ts';
import type { PaymentRiskFacts, Screener, ScreeningHit } from '../../switch/risk/types.ts';
import { ProfileFileError } from '../../switch/risk/profiles.ts';
import { limits } from '../../switch/limits.ts';
import { backends, freshPostgresUrl, harness, schemeConfig, TestClock } from './support.ts';
import { migratedTemplate } from '../support/store-template.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const ACCOUNT_A = 'DE89370400440532013000';
const ACCOUNT_B = 'DE02120300000000202051';
const WHO = { actor: 'alice', reason: 'ticket RISK-1' };

/** The test's screener: exact (case-insensitive) names of a fixed list. */
class NameList implements Screener {
  constructor(private readonly names: readonly string[]) {}
  screen(facts: PaymentRiskFacts): ScreeningHit[] {
    const hits: ScreeningHit[] = [];
    for (const field of ['debtor', 'creditor'] as const) {
      const name = facts[field].name?.toLowerCase();
      const i = this.names.findIndex((n) => n.toLowerCase() === name);
      if (i >= 0) hits.push({ list: 'test-list@1', entryId: String(i + 1), matched: this.names[i]!, field, kind: 'name', similarity: 1 });
    }
    return hits;
  }
}

function riskScheme(risk: unknown, overrides: Parameters<typeof schemeConfig>[0] = {}): SchemeConfig {
  return checkConfig({ ...JSON.parse(JSON.stringify(schemeConfig(overrides))), risk });
}

/** `count` payments of bank 0 in one message (INST: real-time), each from `debtorAccount`, of `value` (or the values). */
function message(seed: number, values: readonly string[],
  options: { inst?: boolean; debtorAccount?: string; creditorAccount?: string; debtorName?: string; receiver?: number; date?: string;
    transactionIds?: readonly string[]; sender?: number } = {}): Pacs008 {
  const from = DEMO_BANKS[options.sender ?? 0]!;
  const model = bulkCreditTransfer({
    seed, sender: from, receivers: [DEMO_BANKS[options.receiver ?? 1]!], transactionCount: values.length, settlementDate: options.date ?? '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `BANKDEFF-R${seed}`, ...(options.inst ? { localInstrument: 'INST' } : {}),
  });
  const transactions = model.transactions.map((t, i) => ({
    ...t, interbankSettlementAmount: { currency: 'EUR', value: values[i]! },
    debtorAccount: { iban: options.debtorAccount ?? ACCOUNT_A },
    ...(options.creditorAccount ? { creditorAccount: { iban: options.creditorAccount } } : {}),
    ...(options.debtorName ? { debtor: { ...t.debtor, name: options.debtorName } } : {}),
    ...(options.transactionIds?.[i] ? { paymentIdentification: { ...t.paymentIdentification, transactionId: options.transactionIds[i] } } : {}),
  }));
  return { groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined }, transactions };
}

function submit(engine: Engine, model: Pacs008, sender = 'BANKDEFFXXX'): Promise<IntakeResult> {
  return engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender });
}

/** What BANKDEFFXXX was told, per TxId: the last pacs.002 status and reason (code and AddtlInf). */
async function told(engine: Engine): Promise<Map<string, { status: string; reason?: string; text?: string }>> {
  const rows = await engine.storeForTests().query<{ xml: string }>(
    `SELECT convert_from(m.bytes, 'UTF8') AS xml FROM outbox o JOIN messages m ON m.id = o.message_id
      WHERE o.recipient = 'BANKDEFFXXX' AND m.message_type = 'pacs.002.001.10' ORDER BY o.id`);
  const out = new Map<string, { status: string; reason?: string; text?: string }>();
  for (const { xml } of rows) {
    for (const t of parsePacs002(xml).transactions) {
      const r = t.statusReasons?.[0];
      out.set(t.originalTransactionId!, { status: t.transactionStatus!, ...(r?.reason && 'code' in r.reason ? { reason: r.reason.code } : {}),
        ...(r?.additionalInformation ? { text: r.additionalInformation.join(' ') } : {}) });
    }
  }
  return out;
}

async function states(engine: Engine): Promise<Record<string, string>> {
  const rows = await engine.storeForTests().query<{ transaction_id: string; state: string }>('SELECT transaction_id, state FROM payments_effective ORDER BY id');
  return Object.fromEntries(rows.map((r) => [r.transaction_id, r.state]));
}

async function counter(engine: Engine, scope: string, key: string): Promise<{ amount: bigint; count: number } | undefined> {
  const [row] = await engine.storeForTests().query<{ amount_minor: bigint; count: number }>(
    'SELECT amount_minor, count FROM risk_counters WHERE scope = $1 AND key = $2 ORDER BY business_date DESC LIMIT 1', [scope, key]);
  return row ? { amount: BigInt(row.amount_minor), count: Number(row.count) } : undefined;
}

async function usage(engine: Engine): Promise<{ tx: string; debtor: string | null; creditor: string | null; participant: string | null }[]> {
  return engine.storeForTests().query(
    `SELECT p.transaction_id AS tx, u.debtor_key AS debtor, u.creditor_key AS creditor, u.participant_key AS participant
       FROM risk_payment_usage u JOIN payments p ON p.id = u.payment_id ORDER BY p.id`);
}

const LIMITS = {
  limits: [
    { currency: 'EUR', perTransaction: '1000.00', debtorAccountDaily: { amount: '1500.00', count: 5 } },
    { currency: 'EUR', riskLevel: 'high', perTransaction: '100.00' },
  ],
};

for (const backend of backends) {
  describe(`risk stage (${backend})`, () => {
    it('real-time: over the per-transaction limit AM02, over the daily limit AM14, each with its text; a payment that fails gives its room back', async () => {
      const events: EngineEvent[] = [];
      const h = await harness(backend, riskScheme(LIMITS), xsd, undefined, (e) => events.push(e));
      try {
        const bank = h.bank('BANKFRPPXXX', (txId) => (txId.endsWith('R3-000001') ? 'reject' : 'accept'));
        assert.equal((await submit(h.engine, message(1, ['1000.01'], { inst: true }))).status, 'RJCT');
        assert.equal((await submit(h.engine, message(2, ['900.00'], { inst: true }))).status, 'ACCP');
        assert.equal((await submit(h.engine, message(3, ['500.00'], { inst: true }))).status, 'ACCP');
        assert.equal((await submit(h.engine, message(4, ['200.00'], { inst: true }))).status, 'RJCT', '900 + 500 + 200 > 1500');
        const answers = await told(h.engine);
        assert.equal(answers.get('BANKDEFF-R1-000001')?.reason, 'AM02');
        assert.match(answers.get('BANKDEFF-R1-000001')?.text ?? '', /over the per-transaction limit of 1000\.00 EUR/);
        assert.equal(answers.get('BANKDEFF-R4-000001')?.reason, 'AM14');
        assert.match(answers.get('BANKDEFF-R4-000001')?.text ?? '', /over the debtor account's daily limit of 1500\.00 EUR \(1400\.00 EUR used\)/);
        assert.deepEqual(await counter(h.engine, 'debtor-account', `BANKDEFFXXX/${ACCOUNT_A}`), { amount: 140_000n, count: 2 });
        // One usage row per payment, naming the key it took in each scope (only the debtor account's is limited here).
        assert.deepEqual(await usage(h.engine), [
          { tx: 'BANKDEFF-R2-000001', debtor: `BANKDEFFXXX/${ACCOUNT_A}`, creditor: null, participant: null },
          { tx: 'BANKDEFF-R3-000001', debtor: `BANKDEFFXXX/${ACCOUNT_A}`, creditor: null, participant: null },
        ]);
        // The creditor bank rejects the 500.00: released, and its room is given back.
        await h.dispatch();
        await bank.answerRealtime();
        assert.equal((await states(h.engine))['BANKDEFF-R3-000001'], 'RELEASED');
        assert.deepEqual(await counter(h.engine, 'debtor-account', `BANKDEFFXXX/${ACCOUNT_A}`), { amount: 90_000n, count: 1 });
        assert.deepEqual((await usage(h.engine)).map((u) => u.tx), ['BANKDEFF-R2-000001'], 'the released payment\'s row went with its room');
        assert.equal((await submit(h.engine, message(5, ['600.00'], { inst: true }))).status, 'ACCP', 'the room came back');
        const recorded = await h.engine.riskEvents();
        assert.deepEqual(recorded.filter((e) => e.kind === 'limit-breach').length, 2);
        assert.ok(events.some((e) => e.event === 'risk.limit-breach' && /AM14|daily limit/.test(e.reason)));
      } finally {
        await h.close();
      }
    });

    it('real-time: a payment the group refuses over headroom (AM04) takes nothing of the daily counters and has no usage row', async () => {
      const h = await harness(backend, riskScheme(LIMITS, { caps: { BANKDEFFXXX: '1000.00' } }), xsd);
      try {
        // One message, one group: 900.00 reserved, then 600.00 over the 100.00 of headroom left.
        assert.equal((await submit(h.engine, message(7, ['900.00', '600.00'], { inst: true }))).status, 'ACCP');
        const s = await states(h.engine);
        assert.deepEqual([s['BANKDEFF-R7-000001'], s['BANKDEFF-R7-000002']], ['RESERVED', 'REJECTED']);
        assert.deepEqual(await counter(h.engine, 'debtor-account', `BANKDEFFXXX/${ACCOUNT_A}`), { amount: 90_000n, count: 1 });
        assert.deepEqual((await usage(h.engine)).map((u) => u.tx), ['BANKDEFF-R7-000001']);
      } finally {
        await h.close();
      }
    });

    it('batch: the breaching transactions of a file are refused (PART) and the others accepted; the limit is per business day', async () => {
      const h = await harness(backend, riskScheme(LIMITS), xsd);
      try {
        const result = await submit(h.engine, message(10, ['700.00', '700.00', '200.00', '1200.00']));
        assert.equal(result.status, 'PART');
        const refused = result.report.transactions.filter((t) => t.status === 'RJCT').map((t) => [t.index, t.reasons.at(-1)]);
        assert.deepEqual(refused, [[2, 'AM14'], [3, 'AM02']]);
        assert.deepEqual(await states(h.engine), { 'BANKDEFF-R10-000001': 'ACCEPTED', 'BANKDEFF-R10-000002': 'ACCEPTED' });
        // A refused TxId may be sent again (its claim was given back): refused again for the day's limit, not as a duplicate.
        const again = await submit(h.engine, message(11, ['200.00', '100.00'], { transactionIds: ['BANKDEFF-R10-000003'] }));
        assert.deepEqual(again.report.transactions.map((t) => [t.status, t.reasons.at(-1)]), [['RJCT', 'AM14'], ['ACCP', undefined]]);
        // The next business day the counters start again.
        h.clock.set('2026-11-27T09:00:00Z');
        const next = await submit(h.engine, message(12, ['1000.00', '500.00'], { date: '2026-11-27' }));
        assert.equal(next.status, 'ACCP');
        assert.deepEqual(await counter(h.engine, 'debtor-account', `BANKDEFFXXX/${ACCOUNT_A}`), { amount: 150_000n, count: 2 });
      } finally {
        await h.close();
      }
    });

    it('a frozen account is refused AC06 from and to it; unfrozen, it passes; both recorded with who and why', async () => {
      const events: EngineEvent[] = [];
      const h = await harness(backend, riskScheme({ limits: [] }), xsd, undefined, (e) => events.push(e));
      try {
        await h.engine.freezeAccount('BANKDEFFXXX', ACCOUNT_B, WHO);
        await assert.rejects(h.engine.freezeAccount('BANKDEFFXXX', ACCOUNT_B, WHO), /already frozen/);
        const r = await submit(h.engine, message(20, ['10.00'], { inst: true, debtorAccount: ACCOUNT_B }));
        assert.equal(r.status, 'RJCT');
        assert.equal((await told(h.engine)).get('BANKDEFF-R20-000001')?.reason, 'AC06');
        assert.equal((await submit(h.engine, message(21, ['10.00'], { inst: true }))).status, 'ACCP', 'another account is not frozen');
        await h.engine.unfreezeAccount('BANKDEFFXXX', ACCOUNT_B, { actor: 'bob', reason: 'cleared' });
        assert.equal((await submit(h.engine, message(22, ['10.00'], { inst: true, debtorAccount: ACCOUNT_B }))).status, 'ACCP');
        const kinds = (await h.engine.riskEvents()).map((e) => `${e.kind}:${e.actor}`).reverse();
        assert.deepEqual(kinds.filter((k) => !k.startsWith('reject')), ['freeze:alice', 'frozen:risk-stage', 'unfreeze:bob']);
        assert.deepEqual(events.map((e) => e.event).filter((e) => e.startsWith('risk.')), ['risk.freeze', 'risk.frozen', 'risk.reject', 'risk.unfreeze']);
        const actions = (await h.engine.operatorActions()).map((a) => a.action);
        assert.ok(actions.includes('risk.freeze_account') && actions.includes('risk.unfreeze_account'));
      } finally {
        await h.close();
      }
    });

    it('real-time: a screening hit is held (PDNG), released by an operator (forwarded), or rejected AB01 when not decided in time', async () => {
      const config = riskScheme({ limits: [] }, { timeoutMs: 20_000 });
      const h = await harness(backend, config, xsd);
      await h.close();
      const url = backend === 'postgres' ? await freshPostgresUrl() : undefined;
      const clock = new TestClock();
      const engine = await Engine.open({ config, clock, xsd, ...(url ? { databaseUrl: url } : { startFrom: await migratedTemplate() }), risk: { screener: new NameList(['Ivan Sanctioned']) } });
      try {
        assert.equal((await submit(engine, message(30, ['50.00'], { inst: true, debtorName: 'IVAN SANCTIONED' }))).status, 'ACCP');
        assert.equal((await submit(engine, message(31, ['60.00'], { inst: true, debtorName: 'Ivan Sanctioned' }))).status, 'ACCP');
        assert.equal((await submit(engine, message(32, ['70.00'], { inst: true }))).status, 'ACCP');
        assert.deepEqual(await states(engine), { 'BANKDEFF-R30-000001': 'HELD', 'BANKDEFF-R31-000001': 'HELD', 'BANKDEFF-R32-000001': 'RESERVED' });
        assert.equal((await told(engine)).get('BANKDEFF-R30-000001')?.status, 'PDNG');
        const holds = await engine.riskHolds();
        assert.deepEqual(holds.map((p) => p.transactionId), ['BANKDEFF-R30-000001', 'BANKDEFF-R31-000001']);
        assert.match(holds[0]!.reasons, /name match: debtor ~ Ivan Sanctioned/);
        const [exposure] = await engine.storeForTests().query<{ reserved_minor: bigint }>("SELECT reserved_minor FROM exposures WHERE bic = 'BANKDEFFXXX'");
        assert.equal(BigInt(exposure!.reserved_minor), 7_000n, 'a held payment touches no position');
        clock.advance(10_000);
        assert.deepEqual(await engine.releaseHeldPayment(holds[0]!.id, { actor: 'alice', reason: 'false positive: another person' }), { state: 'RESERVED' });
        clock.advance(15_000);
        await assert.rejects(engine.releaseHeldPayment(holds[1]!.id, WHO), /not decided within the scheme timeout/);
        await engine.sweep();
        const after = await states(engine);
        assert.equal(after['BANKDEFF-R31-000001'], 'REJECTED');
        assert.equal((await told(engine)).get('BANKDEFF-R31-000001')?.reason, 'AB01');
        assert.deepEqual((await engine.riskEvents()).map((e) => e.kind).reverse(), ['screening-hit', 'hold', 'screening-hit', 'hold', 'release', 'timeout']);
      } finally {
        await engine.close();
      }
    });

    it('batch: a held payment stays out of netting; released, it nets in the open cycle; an operator may reject one (told MS03: a screening hold, no tipping-off)', async () => {
      const config = riskScheme({ limits: [] });
      const url = backend === 'postgres' ? await freshPostgresUrl() : undefined;
      const engine = await Engine.open({ config, clock: new TestClock(), xsd, ...(url ? { databaseUrl: url } : { startFrom: await migratedTemplate() }), risk: { screener: new NameList(['Ivan Sanctioned']) } });
      try {
        const result = await submit(engine, message(40, ['10.00', '20.00', '30.00'], { debtorName: 'Ivan Sanctioned' }));
        assert.equal(result.status, 'ACCP');
        await submit(engine, message(41, ['5.00']));
        assert.deepEqual(Object.values(await states(engine)), ['HELD', 'HELD', 'HELD', 'ACCEPTED']);
        const cycle = await engine.closeCycle();
        const netted = await engine.storeForTests().query<{ state: string; n: number }>(
          'SELECT state, COUNT(*)::int AS n FROM payments_effective WHERE cycle_id = $1 GROUP BY state', [cycle]);
        assert.deepEqual(netted.map((r) => [r.state, r.n]), [['NETTED', 1]], 'the held payments stayed out');
        const [first, second] = await engine.riskHolds();
        assert.deepEqual(await engine.releaseHeldPayment(first!.id, WHO), { state: 'ACCEPTED' });
        await engine.rejectHeldPayment(second!.id, { actor: 'alice', reason: 'true match' });
        const [row] = await engine.storeForTests().query<{ cycle_id: bigint; state: string }>('SELECT cycle_id, state FROM payments_effective WHERE id = $1', [first!.id]);
        assert.ok(row!.cycle_id !== null && row!.cycle_id !== cycle, 'in the open cycle');
        assert.equal((await told(engine)).get(second!.transactionId!)?.reason, 'MS03', 'held on a screening hit: the neutral code');
        await assert.rejects(engine.releaseHeldPayment(second!.id, WHO), /REJECTED, not held/);
        assert.equal((await engine.riskHolds()).length, 1);
      } finally {
        await engine.close();
      }
    });

    it('scoring: a payment held for its score and released is recorded as accepted; the first sweep of a business day prunes old buckets', async () => {
      // Only the new-creditor feature counts (15): a first payment to a creditor is held, a later one passes.
      const weights = { amount: 0, velocity: 0, newCreditor: 15, muleFanIn: 0, timeOfDay: 0, accountRisk: 0 };
      const h = await harness(backend, riskScheme({ limits: [], scoring: { weights, holdThreshold: 10, rejectThreshold: 100 } }, { timeoutMs: 20_000 }), xsd);
      try {
        assert.equal(await h.engine.pruneScoringAtDayRoll(), 0, 'the first after start: nothing old yet');
        const CREDITOR = 'FR7630006000011234567890189';
        await submit(h.engine, message(60, ['20.00'], { inst: true, creditorAccount: CREDITOR }));
        assert.equal((await states(h.engine))['BANKDEFF-R60-000001'], 'HELD');
        const [held] = await h.engine.riskHolds();
        assert.deepEqual(await h.engine.releaseHeldPayment(held!.id, WHO), { state: 'RESERVED' });
        await submit(h.engine, message(61, ['20.00'], { inst: true, creditorAccount: CREDITOR }));
        assert.equal((await states(h.engine))['BANKDEFF-R61-000001'], 'RESERVED', 'the released payment made the pair known');
        const rows = async (table: string): Promise<number> =>
          Number((await h.engine.storeForTests().query<{ n: bigint }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
        assert.deepEqual(await Promise.all(['scoring_debtor_velocity', 'scoring_creditor_new_debtors', 'scoring_account_pairs'].map(rows)), [1, 1, 1]);
        const [amounts] = await h.engine.storeForTests().query<{ payment_count: bigint }>('SELECT payment_count FROM scoring_debtor_amounts');
        assert.equal(Number(amounts!.payment_count), 2, 'the released payment and the passed one');
        assert.equal(await h.engine.pruneScoringAtDayRoll(), undefined, 'once per business day');
        h.clock.advance(26 * 3_600_000);
        await h.engine.sweep();
        assert.deepEqual(await Promise.all(['scoring_debtor_velocity', 'scoring_creditor_new_debtors', 'scoring_account_pairs'].map(rows)), [0, 0, 1],
          'the sweep of the new business day pruned the buckets; the pairs are kept');
        assert.equal(await h.engine.pruneScoringAtDayRoll(), undefined, 'the sweep did it for this business day');
      } finally {
        await h.close();
      }
    });

    it('profiles: a file is loaded whole, in force from its time; a bad file is refused with its line and nothing is loaded', async () => {
      const h = await harness(backend, riskScheme(LIMITS), xsd);
      try {
        const chunks = (text: string) => (async function* () { yield encoder.encode(text); })();
        const load = (text: string, format: 'csv' | 'jsonl', effectiveFrom = new Date('2026-11-26T09:00:00Z')) =>
          h.engine.loadRiskProfiles({ participant: 'BANKDEFFXXX', format, chunks: chunks(text), effectiveFrom, actor: 'alice', reason: 'monthly file' });
        await assert.rejects(load(`kind,id,account_type,risk_level,customer\naccount,${ACCOUNT_A},personal,low,\naccount,${ACCOUNT_B},personal,severe,\n`, 'csv'),
          (e: unknown) => e instanceof ProfileFileError && e.line === 3 && /severe/.test(e.reason));
        await assert.rejects(load(`{"kind":"account","id":"${ACCOUNT_A}","accountType":"personal","riskLevel":"low"}\n{"kind":"account","id":"${ACCOUNT_A}","accountType":"business","riskLevel":"low"}\n`, 'jsonl'),
          (e: unknown) => e instanceof ProfileFileError && e.line === 2 && /twice/.test(e.reason));
        await assert.rejects(load(`kind,id,account_type,risk_level,customer\naccount,${ACCOUNT_A},personal,low,C1\n`, 'csv'),
          (e: unknown) => e instanceof ProfileFileError && e.line === 2 && /customer C1/.test(e.reason));
        assert.equal((await h.engine.riskProfileVersions()).length, 0, 'nothing half-loaded');
        const [{ n }] = await h.engine.storeForTests().query<{ n: number }>('SELECT COUNT(*)::int AS n FROM risk_account_profiles') as [{ n: number }];
        assert.equal(n, 0);
        // The account's customer is high risk from 10:00: limits of high risk (100.00 per transaction) from then on.
        const loaded = await load(`kind,id,account_type,risk_level,customer\naccount,${ACCOUNT_A},personal,low,C1\ncustomer,C1,,high,\r\n`, 'csv',
          new Date('2026-11-26T10:00:00Z'));
        assert.deepEqual([loaded.accounts, loaded.customers], [1, 1]);
        assert.equal((await submit(h.engine, message(50, ['150.00'], { inst: true }))).status, 'ACCP', 'not yet in force');
        h.clock.set('2026-11-26T10:00:00Z');
        assert.equal((await submit(h.engine, message(51, ['150.00'], { inst: true }))).status, 'RJCT', 'high risk: 100.00 per transaction');
        assert.equal((await told(h.engine)).get('BANKDEFF-R51-000001')?.reason, 'AM02');
        await assert.rejects(h.engine.loadRiskProfiles({ participant: 'NOTAMEMBXXX', format: 'csv', chunks: chunks(''), effectiveFrom: new Date(), actor: 'a', reason: 'r' }),
          /not a participant/);
      } finally {
        await h.close();
      }
    });
  });
}

/** Two engines with `config` on one fresh PostgreSQL database, each on its own clock (two serve processes), both closed after `use`. */
async function withTwoEngines(config: SchemeConfig, use: (first: Engine, second: Engine) => Promise<void>): Promise<void> {
  const url = await freshPostgresUrl();
  const first = await Engine.open({ config, databaseUrl: url, clock: new TestClock(), xsd });
  const second = await Engine.open({ config, databaseUrl: url, clock: new TestClock(), xsd });
  try {
    await use(first, second);
  } finally {
    await first.close();
    await second.close();
  }
}

describe('two engines on one PostgreSQL race for the last room of a daily limit', () => {
  it('exactly one of two payments that each fit alone wins, whichever engine takes it', async () => {
    await withTwoEngines(riskScheme({ limits: [{ currency: 'EUR', debtorAccountDaily: { amount: '100.00' } }] }), async (first, second) => {
      for (let round = 0; round < 5; round++) {
        const account = ['DE02500105170137075030', 'DE02100100100006820101', 'DE02300209000106531065', 'DE02200505501015871393', 'DE02370502990000684712'][round]!;
        // The counter row exists already (a first payment), so the two racers meet on it, not on its creation.
        assert.equal((await submit(first, message(200 + round, ['10.00'], { inst: true, debtorAccount: account }))).status, 'ACCP');
        const results = await Promise.all([
          submit(first, message(100 + 2 * round, ['60.00'], { inst: true, debtorAccount: account })),
          submit(second, message(101 + 2 * round, ['60.00'], { inst: true, debtorAccount: account })),
        ]);
        assert.deepEqual(results.map((r) => r.status).sort(), ['ACCP', 'RJCT'], `round ${round}`);
        assert.deepEqual(await counter(first, 'debtor-account', `BANKDEFFXXX/${account}`), { amount: 7_000n, count: 2 });
      }
    });
  });

  it('exactly one wins when the counter does not exist yet: the two racers meet on its creation', async () => {
    // Each engine finds no counter row and counts from zero; the one whose insert finds the other's row
    // is run again and then locks that row (a lost race must not leave two payments of 60.00 accepted).
    await withTwoEngines(riskScheme({ limits: [{ currency: 'EUR', debtorAccountDaily: { amount: '100.00' } }] }), async (first, second) => {
      for (let round = 0; round < 5; round++) {
        const account = ['DE72500105170137075031', 'DE72100100100006820102', 'DE72300209000106531066', 'DE72200505501015871394', 'DE72370502990000684713'][round]!;
        const results = await Promise.all([
          submit(first, message(300 + 2 * round, ['60.00'], { inst: true, debtorAccount: account })),
          submit(second, message(301 + 2 * round, ['60.00'], { inst: true, debtorAccount: account })),
        ]);
        assert.deepEqual(results.map((r) => r.status).sort(), ['ACCP', 'RJCT'], `round ${round}`);
        assert.deepEqual(await counter(first, 'debtor-account', `BANKDEFFXXX/${account}`), { amount: 6_000n, count: 1 });
      }
    });
  });
});

describe('two engines on one PostgreSQL: batch messages race for the last room of a daily limit', () => {
  // Batch messages take their counters in their own intake transaction (assessPayments: the existing ones
  // locked by probes, the new ones created by COPY on PostgreSQL, the usage rows by COPY), not in the
  // real-time group's. Two batch messages of one sender wait for each other on its cycle debits row, so
  // the racers are two senders paying one creditor account (its fan-in counter).
  const CREDITOR_LIMIT = { limits: [{ currency: 'EUR', creditorAccountDaily: { amount: '100.00' } }] };
  const race = (first: Engine, second: Engine, seed: number, account: string): Promise<IntakeResult[]> => Promise.all([
    submit(first, message(seed, ['60.00'], { creditorAccount: account })),
    submit(second, message(seed + 1, ['60.00'], { creditorAccount: account, sender: 2 }), 'BANKNL2AXXX'),
  ]);

  it('exactly one wins when the counter does not exist yet: the loser\'s COPY meets the winner\'s row and is run again', async () => {
    await withTwoEngines(riskScheme(CREDITOR_LIMIT), async (first, second) => {
      for (let round = 0; round < 5; round++) {
        const account = ['DE52500105170137075100', 'DE25500105170137075101', 'DE95500105170137075102', 'DE68500105170137075103',
          'DE41500105170137075104'][round]!;
        const results = await race(first, second, 500 + 2 * round, account);
        assert.deepEqual(results.map((r) => r.status).sort(), ['ACCP', 'RJCT'], `round ${round}`);
        assert.deepEqual(await counter(first, 'creditor-account', `BANKFRPPXXX/${account}`), { amount: 6_000n, count: 1 });
      }
      assert.deepEqual((await usage(first)).map((r) => r.creditor?.slice(0, 12)), Array(5).fill('BANKFRPPXXX/'), 'one usage row per accepted payment');
    });
  });

  it('exactly one of two payments that each fit alone wins on an existing counter (locked by its probe)', async () => {
    await withTwoEngines(riskScheme(CREDITOR_LIMIT), async (first, second) => {
      for (let round = 0; round < 5; round++) {
        const account = ['DE68500105170137075200', 'DE41500105170137075201', 'DE14500105170137075202', 'DE84500105170137075203',
          'DE57500105170137075204'][round]!;
        assert.equal((await submit(first, message(600 + round, ['10.00'], { creditorAccount: account }))).status, 'ACCP');
        const results = await race(first, second, 610 + 2 * round, account);
        assert.deepEqual(results.map((r) => r.status).sort(), ['ACCP', 'RJCT'], `round ${round}`);
        assert.deepEqual(await counter(first, 'creditor-account', `BANKFRPPXXX/${account}`), { amount: 7_000n, count: 2 });
      }
    });
  });
});

describe('two engines on one PostgreSQL: a freeze made in one is in force in the other within the poll period', () => {
  it('refused at once in the engine that froze, in the other once a poll period has passed; the unfreeze likewise', async () => {
    const pollPeriod = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, limits.registerPollIntervalMs + 50));
    await withTwoEngines(riskScheme(LIMITS), async (first, second) => {
      // Both engines have read the freezes in force (none) and keep them.
      assert.equal((await submit(first, message(300, ['1.00'], { inst: true, debtorAccount: ACCOUNT_B }))).status, 'ACCP');
      assert.equal((await submit(second, message(301, ['1.00'], { inst: true, debtorAccount: ACCOUNT_B }))).status, 'ACCP');
      await first.freezeAccount('BANKDEFFXXX', ACCOUNT_B, WHO);
      assert.equal((await submit(first, message(302, ['1.00'], { inst: true, debtorAccount: ACCOUNT_B }))).status, 'RJCT', 'at once where it was made');
      await pollPeriod();
      assert.equal((await submit(second, message(303, ['1.00'], { inst: true, debtorAccount: ACCOUNT_B }))).status, 'RJCT', 'within the poll period elsewhere');
      await second.unfreezeAccount('BANKDEFFXXX', ACCOUNT_B, WHO);
      assert.equal((await submit(second, message(304, ['1.00'], { inst: true, debtorAccount: ACCOUNT_B }))).status, 'ACCP');
      await pollPeriod();
      assert.equal((await submit(first, message(305, ['1.00'], { inst: true, debtorAccount: ACCOUNT_B }))).status, 'ACCP');
    });
  });
});
