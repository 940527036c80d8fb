/**
 * Every sum the switch computes is bounded (switch/limits.ts `amounts`, docs/scheme-rules.md "Amount
 * ceilings"). Generated cycles of batch files and real-time payments in EUR (2 decimals), JPY (0) and
 * BHD (3), with amounts at the extremes an ISO amount allows (up to 18 digits) and around the
 * ceilings, from banks whose caps are as high as the configuration allows. Whatever the switch
 * accepts nets without overflow: the cycle settles, its positions are the sum of what was accepted
 * (a plain reference calculation here), every message it emits is valid against its schema (so every
 * amount fits 18 digits), and no participant's cycle debits pass their ceilings.
 *
 * Seeded: a failure prints the fast-check seed and path; replay with FC_SEED=<seed>.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkConfig, CONFIG_LIMITS } from '../../switch/config.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { formatAmount } from '../../switch/iso/amount.ts';
import { build as buildPacs008, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { limits } from '../../switch/limits.ts';
import { AGENT, harness, SWITCH, type Harness } from './support.ts';

const RUNS = 25;
const seed = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
const parameters = { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) };
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CURRENCIES = ['EUR', 'JPY', 'BHD'] as const;
const BANKS = DEMO_BANKS.slice(0, 4);
const { paymentMinorMax, participantCycleBatchDebitsMinorMax, participantRealtimeDebitsMinorMax } = limits.amounts;

function scheme() {
  const cap = (currency: string) => formatAmount(CONFIG_LIMITS.netDebitCapMinorMax, currency);
  return checkConfig({
    name: 'extremes', currencies: [...CURRENCIES], switchBic: SWITCH,
    settlementAgent: { bic: AGENT, name: 'Central bank', settlementAccount: 'DE-RTGS-CLHS-0001' },
    services: [{ messageType: 'pacs.008', mode: 'batch' },
      { messageType: 'pacs.008', mode: 'realtime', receiverConfirmation: true, confirmationTimeoutMs: 20_000, overCap: 'reject' }],
    participants: BANKS.map((b) => ({ bic: b.bic, name: b.name, status: 'active', currencies: [...CURRENCIES],
      netDebitCap: Object.fromEntries(CURRENCIES.map((c) => [c, cap(c)])) })),
  });
}

/** Amounts an ISO amount can carry (1 to 10^18 − 1 minor units), weighted to the extremes and the ceilings. */
const amount = fc.oneof(
  fc.constantFrom(1n, paymentMinorMax - 1n, paymentMinorMax, paymentMinorMax + 1n, participantCycleBatchDebitsMinorMax / 3n,
    10n ** 17n, 10n ** 18n - 1n),
  fc.bigInt({ min: paymentMinorMax / 2n, max: paymentMinorMax }),
  fc.bigInt({ min: 1n, max: 10n ** 18n - 1n }),
);
const message = fc.record({
  sender: fc.nat({ max: BANKS.length - 1 }), receiverOffset: fc.integer({ min: 1, max: BANKS.length - 1 }),
  currency: fc.constantFrom(...CURRENCIES), instant: fc.boolean(), amounts: fc.array(amount, { minLength: 1, maxLength: 5 }),
});

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

let fileNumber = 0;

/** One simulator per bank and engine: each numbers its answers' MsgIds, which must not repeat. */
const simulators = new WeakMap<Harness, ReturnType<Harness['bank']>[]>();
async function answerAll(h: Harness): Promise<void> {
  let banks = simulators.get(h);
  if (!banks) simulators.set(h, banks = BANKS.map((b) => h.bank(b.bic)));
  await h.dispatch();
  for (const bank of banks) await bank.answerRealtime();
  await h.dispatch();
}

type Message = { readonly sender: number; readonly receiverOffset: number; readonly currency: string; readonly instant: boolean;
  readonly amounts: readonly bigint[] };

function creditTransfer(m: Message): Pacs008 {
  const number = ++fileNumber;
  const amounts = m.instant ? m.amounts.slice(0, 1) : m.amounts;
  const model = bulkCreditTransfer({ seed: number, sender: BANKS[m.sender]!, receivers: [BANKS[(m.sender + m.receiverOffset) % BANKS.length]!],
    transactionCount: amounts.length, settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `X-${number}`,
    currency: m.currency, ...(m.instant ? { localInstrument: 'INST' } : {}) });
  return {
    // No CtrlSum or total: a sum of 18-digit amounts may not fit one, and the ceilings are what is tested.
    groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
    transactions: model.transactions.map((t, i) => ({ ...t, interbankSettlementAmount: { currency: m.currency, value: formatAmount(amounts[i]!, m.currency) } })),
  };
}

/** Net positions by currency and BIC from a list of (debtor, creditor, currency, amount). */
function reference(payments: readonly { debtor: string; creditor: string; currency: string; minor: bigint }[]): Map<string, bigint> {
  const net = new Map<string, bigint>();
  for (const p of payments) {
    net.set(`${p.currency} ${p.debtor}`, (net.get(`${p.currency} ${p.debtor}`) ?? 0n) - p.minor);
    net.set(`${p.currency} ${p.creditor}`, (net.get(`${p.currency} ${p.creditor}`) ?? 0n) + p.minor);
  }
  for (const [key, value] of net) if (value === 0n) net.delete(key);
  return net;
}

async function cycleOf(h: Harness, messages: readonly Message[]) {
  const [since] = await h.engine.storeForTests().query<{ id: bigint | null }>('SELECT MAX(id) AS id FROM messages');
  const accepted: { debtor: string; creditor: string; currency: string; minor: bigint }[] = [];
  for (const m of messages) {
    const model = creditTransfer(m);
    const result = await h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: BANKS[m.sender]!.bic });
    if (m.instant) continue; // judged below, once the creditor agents have answered
    const answer = parsePacs002(result.answerXml!);
    const status = answer.originalGroups[0]!.groupStatus;
    const rejected = new Set(status === 'PART' ? answer.transactions.map((t) => t.originalTransactionId) : []);
    for (const t of model.transactions) {
      if (status === 'RJCT' || rejected.has(t.paymentIdentification.transactionId)) continue;
      accepted.push({ debtor: t.debtorAgent, creditor: t.creditorAgent, currency: m.currency,
        minor: BigInt(t.interbankSettlementAmount.value.replace('.', '')) });
    }
  }
  await answerAll(h);
  const committed = await h.engine.storeForTests().query<{ debtor_agent: string; creditor_agent: string; currency: string; amount_minor: bigint }>(
    "SELECT debtor_agent, creditor_agent, currency, amount_minor FROM payments WHERE mode = 'realtime' AND state = 'COMMITTED'");
  for (const p of committed) accepted.push({ debtor: p.debtor_agent, creditor: p.creditor_agent, currency: p.currency, minor: p.amount_minor });
  for (const e of await h.engine.storeForTests().query<{ bic: string; debits_minor: bigint }>('SELECT bic, debits_minor FROM exposures')) {
    assert.ok(e.debits_minor <= participantRealtimeDebitsMinorMax, `${e.bic} real-time debits ${e.debits_minor} past the ceiling`);
  }

  const cycleId = await h.closeAndSettle();
  const positions = (await h.engine.positions(cycleId))!;
  assert.equal(positions.cycle.state, 'SETTLED', 'the cycle nets and settles');
  const stored = new Map(positions.positions.filter((p) => p.net_minor !== 0n).map((p) => [`${p.currency} ${p.bic}`, p.net_minor]));
  assert.deepEqual(stored, reference(accepted));
  for (const p of accepted) assert.ok(p.minor <= paymentMinorMax, `a payment of ${p.minor} accepted`);
  const debits = new Map<string, bigint>();
  for (const p of accepted) debits.set(`${p.currency} ${p.debtor}`, (debits.get(`${p.currency} ${p.debtor}`) ?? 0n) + p.minor);
  for (const [key, sum] of debits) {
    assert.ok(sum <= participantCycleBatchDebitsMinorMax + participantRealtimeDebitsMinorMax, `${key} debited ${sum} in one cycle`);
  }
  // Every message the switch emitted for this cycle is valid: every amount in it fits an ISO amount.
  // Read as any reader gets them (a bulk pacs.008 is stored as its composition: engine.messageBytes composes it).
  const emitted = await h.engine.storeForTests().query<{ id: bigint; message_type: string }>(
    "SELECT id, message_type FROM messages WHERE direction = 'out' AND id > $1 ORDER BY id", [since?.id ?? 0n]);
  for (const e of emitted) {
    const bytes = (await h.engine.messageBytes(e.id))?.bytes;
    assert.ok(bytes, `${e.message_type} ${e.id}: no bytes`);
    const errors = await xsd.validateOne(e.message_type, bytes);
    assert.deepEqual(errors, [], `${e.message_type}: ${decoder.decode(bytes).slice(0, 200)}`);
  }
}

/** The settlement agent's books hold enough for any position this scheme's ceilings allow (the point
 * here is the switch's arithmetic, not a participant's funds: test/engine/settlement.test.ts). */
function funded(h: Harness): Harness {
  for (const bank of BANKS) for (const currency of CURRENCIES) h.agent.setBalance(bank.bic, currency, 10n ** 30n);
  return h;
}

describe('amount ceilings', () => {
  it('whatever is accepted, at any amount an ISO amount allows, nets, settles and is reported without overflow', async () => {
    const h = funded(await harness('postgres', scheme(), xsd));
    try {
      await fc.assert(fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 8 }), (messages) => cycleOf(h, messages)), parameters);
    } finally {
      await h.close();
    }
  });

  it('real-time: two banks paying each other back and forth stop at the real-time debits ceiling (AM04), though their funds allow more', async () => {
    const h = funded(await harness('postgres', scheme(), xsd));
    try {
      const pay = async (sender: number) => {
        const model = creditTransfer({ sender, receiverOffset: 1, currency: 'EUR', instant: true, amounts: [paymentMinorMax] });
        await h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: BANKS[sender]!.bic });
        await answerAll(h);
      };
      const perCeiling = Number(participantRealtimeDebitsMinorMax / paymentMinorMax);
      // Bank 0 pays bank 1 up to its ceiling, bank 1 pays it all back: bank 0's funds are whole again.
      for (let i = 0; i < perCeiling; i++) await pay(0);
      for (let i = 0; i < perCeiling; i++) await pay(1);
      const [funds] = await h.engine.storeForTests().query<{ headroom: bigint; debits_minor: bigint }>(
        'SELECT cap_minor + net_minor - reserved_minor AS headroom, debits_minor FROM exposures WHERE bic = $1 AND currency = $2', [BANKS[0]!.bic, 'EUR']);
      assert.ok(funds!.headroom >= paymentMinorMax, 'its funds would take another payment');
      assert.equal(funds!.debits_minor, participantRealtimeDebitsMinorMax);
      await pay(0);
      const [refused] = await h.engine.storeForTests().query<{ state: string; reason_code: string }>(
        "SELECT state, reason_code FROM payments WHERE debtor_agent = $1 AND mode = 'realtime' ORDER BY id DESC LIMIT 1", [BANKS[0]!.bic]);
      assert.deepEqual(refused, { state: 'REJECTED', reason_code: 'AM04' });
      // Settled, the debits are no longer outstanding: the next cycle takes payments again.
      await h.closeAndSettle();
      const [after] = await h.engine.storeForTests().query<{ debits_minor: bigint }>('SELECT debits_minor FROM exposures WHERE bic = $1 AND currency = $2',
        [BANKS[0]!.bic, 'EUR']);
      assert.equal(after!.debits_minor, 0n);
      await pay(0);
      const [next] = await h.engine.storeForTests().query<{ state: string }>(
        "SELECT state FROM payments WHERE debtor_agent = $1 AND mode = 'realtime' ORDER BY id DESC LIMIT 1", [BANKS[0]!.bic]);
      assert.equal(next!.state, 'COMMITTED');
    } finally {
      await h.close();
    }
  });

  it('a participant\'s batch debits stop at their ceiling for the cycle (AM13), and start again in the next', async () => {
    const h = funded(await harness('postgres', scheme(), xsd));
    try {
      const sender = 0;
      const full = { sender, receiverOffset: 1, currency: 'EUR', instant: false, amounts: [paymentMinorMax, paymentMinorMax, paymentMinorMax, paymentMinorMax] };
      const send = async () => h.engine.submit({ bytes: encoder.encode(buildPacs008(creditTransfer(full))), sender: BANKS[sender]!.bic });
      assert.equal((await send()).status, 'ACCP');
      const over = await send();
      assert.equal(over.status, 'RJCT');
      assert.deepEqual(over.report.findings.map((f) => f.code), ['AM13']);
      // Refused whole: nothing of it was created, and its ids were given back.
      const [keys] = await h.engine.storeForTests().query<{ n: number }>('SELECT COUNT(*)::int AS n FROM idempotency_keys WHERE message_id = $1', [over.messageRowId]);
      assert.equal(keys!.n, 0);
      await h.closeAndSettle();
      assert.equal((await send()).status, 'ACCP', 'the next cycle takes it');
    } finally {
      await h.close();
    }
  });
});
