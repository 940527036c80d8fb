/**
 * A message carries one service and one currency, and each party takes part in that currency
 * (docs/scheme-rules.md, "One message, one service, one currency"). Generated pacs.008 files mix
 * real-time (LclInstrm INST) and batch transactions, EUR and USD, large and small amounts, with and
 * without a group total, between banks configured for different currencies; each goes through
 * Engine.submit. A file that mixes services (FF05) or currencies (CURR) is refused whole; otherwise
 * each transaction is refused exactly when its debtor or creditor agent does not take part in its
 * currency (AM03) or its amount is above its service's maximum (AM13), and what is accepted travels
 * by its own service: INST ones are reserved and forwarded, the others join the cycle.
 *
 * Seeded: a failure prints the fast-check seed and path; replay with FC_SEED=<seed>.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkConfig } from '../../switch/config.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, type Bank } from '../../switch/demo/generate.ts';
import { formatAmount } from '../../switch/iso/amount.ts';
import { build as buildPacs008, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { AGENT, harness, SWITCH, type Harness } from './support.ts';

const RUNS = 60;
const seed = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
const parameters = { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) };
const encoder = new TextEncoder();

const BANKS: readonly (Bank & { currencies: readonly string[] })[] = [
  { bic: 'BANKDEFFXXX', name: 'Both', country: 'DE', currencies: ['EUR', 'USD'] },
  { bic: 'BANKFRPPXXX', name: 'Euro only', country: 'FR', currencies: ['EUR'] },
  { bic: 'BANKNL2AXXX', name: 'Dollar only', country: 'NL', currencies: ['USD'] },
];
/** Minor units: the real-time service's maximum (500.00) and the scheme's (100,000.00), in both currencies. */
const REALTIME_MAX = 50_000n;
const SCHEME_MAX = 10_000_000n;

function scheme() {
  return checkConfig({
    name: 'mixed', currencies: ['EUR', 'USD'], switchBic: SWITCH, perPaymentMaximum: { EUR: '100000.00', USD: '100000.00' },
    settlementAgent: { bic: AGENT, name: 'Central bank', settlementAccount: 'DE-RTGS-CLHS-0001' },
    services: [{ messageType: 'pacs.008', mode: 'batch' },
      { messageType: 'pacs.008', mode: 'realtime', perPaymentMaximum: { EUR: '500.00', USD: '500.00' }, receiverConfirmation: true,
        confirmationTimeoutMs: 20_000, overCap: 'reject' }],
    participants: BANKS.map((b) => ({ bic: b.bic, name: b.name, status: 'active', currencies: b.currencies,
      netDebitCap: Object.fromEntries(b.currencies.map((c) => [c, '10000000.00'])) })),
  });
}

const transaction = fc.record({
  instant: fc.boolean(), currency: fc.constantFrom('EUR', 'USD'), creditorOffset: fc.integer({ min: 1, max: BANKS.length - 1 }),
  minor: fc.oneof(fc.bigInt({ min: 1n, max: REALTIME_MAX }), fc.bigInt({ min: REALTIME_MAX + 1n, max: SCHEME_MAX + 10n })),
});
const file = fc.record({
  sender: fc.nat({ max: BANKS.length - 1 }), withTotal: fc.boolean(),
  transactions: fc.array(transaction, { minLength: 1, maxLength: 4 }),
});
type File = typeof file extends fc.Arbitrary<infer T> ? T : never;

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

let number = 0;

function model(f: File): Pacs008 {
  const n = ++number;
  const sender = BANKS[f.sender]!;
  const template = bulkCreditTransfer({ seed: n, sender, receivers: [BANKS[(f.sender + 1) % BANKS.length]!], transactionCount: f.transactions.length,
    settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `MIX-${n}` });
  const total = f.transactions.reduce((sum, t) => sum + t.minor, 0n);
  const first = f.transactions[0]!.currency;
  return {
    groupHeader: { ...template.groupHeader, controlSum: undefined,
      totalInterbankSettlementAmount: f.withTotal ? { currency: first, value: formatAmount(total, first) } : undefined },
    transactions: template.transactions.map((t, i) => {
      const g = f.transactions[i]!;
      return { ...t, creditorAgent: BANKS[(f.sender + g.creditorOffset) % BANKS.length]!.bic,
        interbankSettlementAmount: { currency: g.currency, value: formatAmount(g.minor, g.currency) },
        ...(g.instant ? { paymentTypeInformation: { localInstrument: { code: 'INST' } } } : { paymentTypeInformation: undefined }) };
    }),
  };
}

async function submitFile(h: Harness, f: File): Promise<void> {
  const m = model(f);
  const ids = m.transactions.map((t) => t.paymentIdentification.transactionId!);
  const result = await h.engine.submit({ bytes: encoder.encode(buildPacs008(m)), sender: BANKS[f.sender]!.bic });
  const mixedServices = new Set(f.transactions.map((t) => t.instant)).size > 1;
  const mixedCurrencies = new Set(f.transactions.map((t) => t.currency)).size > 1;
  const codes = result.report.findings.map((x) => x.code);
  const created = await h.engine.storeForTests().query<{ transaction_id: string; mode: string }>(
    'SELECT transaction_id, mode FROM payments WHERE message_id = $1 ORDER BY transaction_index', [result.messageRowId]);
  if (mixedServices || mixedCurrencies) {
    assert.equal(result.status, 'RJCT');
    if (mixedServices) assert.ok(codes.includes('FF05'), codes.join());
    if (mixedCurrencies) assert.ok(codes.includes('CURR'), codes.join());
    assert.deepEqual(created, [], 'nothing of a refused file is created');
    return;
  }
  assert.ok(!codes.includes('FF05') && !codes.includes('CURR'), codes.join());
  const expected = new Map<string, string[]>();
  f.transactions.forEach((t, i) => {
    const reasons: string[] = [];
    if (t.minor > (t.instant ? REALTIME_MAX : SCHEME_MAX)) reasons.push('AM13');
    const debtorTakesPart = BANKS[f.sender]!.currencies.includes(t.currency);
    const creditorTakesPart = BANKS[(f.sender + t.creditorOffset) % BANKS.length]!.currencies.includes(t.currency);
    if (!debtorTakesPart || !creditorTakesPart) reasons.push('AM03');
    expected.set(ids[i]!, reasons);
  });
  for (const t of result.report.transactions) assert.deepEqual(t.reasons, expected.get(t.id!), `${t.id}: ${fc.stringify(f)}`);
  // Each accepted transaction travels by its own service.
  const accepted = ids.filter((id) => expected.get(id)!.length === 0);
  assert.deepEqual(created.map((p) => p.transaction_id), accepted);
  const instant = f.transactions[0]!.instant;
  for (const p of created) assert.equal(p.mode, instant ? 'realtime' : 'batch', `${p.transaction_id} went ${p.mode}`);
}

describe('one message, one service, one currency', () => {
  it('generated files mixing services, currencies and amounts: refused whole when mixed, each transaction by its own service otherwise', async () => {
    const h = await harness('postgres', scheme(), xsd);
    try {
      await fc.assert(fc.asyncProperty(file, (f) => submitFile(h, f)), parameters);
    } finally {
      await h.close();
    }
  });
});
