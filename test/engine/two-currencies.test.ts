/**
 * Two currencies end to end (docs/scheme-rules.md "Currencies"), judged from the messages emitted:
 * EUR and SEK batch files and a real-time SEK payment in one cycle; a participant that does not hold
 * SEK is refused as debtor and as creditor agent (AM03); a SEK cap breach unwinds SEK payments only;
 * the settlement instructions (pacs.009), the bulk files and the camt.054 notices are per currency, and
 * each participant's instructed amount per currency equals the net of the payments delivered to and
 * from it in that currency.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { checkConfig } from '../../switch/config.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008, parseXml as parsePacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs009 } from '../../switch/iso/messages/pacs.009.001.08/index.ts';
import { parseXml as parseCamt054 } from '../../switch/iso/messages/camt.054.001.08/index.ts';
import { parseAmount } from '../../switch/iso/amount.ts';
import { AGENT, backends, BANKS, harness, SWITCH, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

/** Banks 1–4 hold EUR and SEK; bank 5 (BANKITMMXXX) EUR only; bank 4 (BANKBEBBXXX) has a small SEK cap. */
function twoCurrencyConfig() {
  return checkConfig({
    name: 'two-currency test scheme', currencies: ['EUR', 'SEK'], switchBic: SWITCH,
    settlementAgent: { bic: AGENT, name: 'Central bank', settlementAccount: 'CLHS-SETTLEMENT' },
    services: [
      { messageType: 'pacs.008', mode: 'batch' },
      { messageType: 'pacs.008', mode: 'realtime', receiverConfirmation: true, confirmationTimeoutMs: 20_000, overCap: 'reject' },
    ],
    participants: BANKS.map((bic, i) => ({
      bic, name: `Bank ${i + 1}`, status: 'active', currencies: i === 4 ? ['EUR'] : ['EUR', 'SEK'],
      netDebitCap: i === 4 ? { EUR: '10000000.00' } : { EUR: '10000000.00', SEK: i === 3 ? '1000.00' : '10000000.00' },
    })),
  });
}

function file(sender: number, receivers: number[], currency: string, seed: number, count: number, options: { maxAmountMinor?: number; localInstrument?: string } = {}) {
  const bank = DEMO_BANKS[sender]!;
  const model = bulkCreditTransfer({
    seed, sender: bank, receivers: receivers.map((i) => DEMO_BANKS[i]!), transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${bank.bic.slice(0, 8)}-${currency}-${seed}`, currency, ...options,
  });
  return options.localInstrument === undefined ? model
    : { ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined } };
}

const minor = (value: string, currency: string): bigint => {
  const parsed = parseAmount(value, currency);
  assert.ok(parsed.ok, `${value} ${currency}`);
  return parsed.minor;
};

/** Every message of `prefix` delivered to `bic`: still in its outbound/ or already fetched (archive/out-*). */
function delivered(h: Harness, bic: string, prefix: string): string[] {
  const outbound = h.mailboxes.outbound(bic).filter((f) => f.startsWith(prefix)).map((f) => h.mailboxes.read(bic, 'outbound', f).toString('utf8'));
  const archive = join(h.mailboxes.root, bic, 'archive');
  const fetched = existsSync(archive) ? readdirSync(archive).filter((f) => f.startsWith(`out-${prefix}`)).map((f) => readFileSync(join(archive, f), 'utf8')) : [];
  return [...outbound, ...fetched];
}

for (const backend of backends) {
  describe(`two currencies on ${backend}`, () => {
    it('EUR and SEK clear, settle and are notified in one cycle; a currency a party does not hold is refused (AM03)', async () => {
      const h = await harness(backend, twoCurrencyConfig(), xsd);
      try {
        const submit = async (sender: number, model: ReturnType<typeof file>) =>
          h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: DEMO_BANKS[sender]!.bic });
        // EUR among all five; SEK among the four that hold it; bank 4's SEK file goes past its SEK cap.
        for (let s = 0; s < 5; s++) {
          const eur = await submit(s, file(s, [0, 1, 2, 3, 4].filter((r) => r !== s), 'EUR', 10 + s, 20));
          assert.equal(eur.status, 'ACCP', JSON.stringify(eur.report.findings));
        }
        for (let s = 0; s < 4; s++) {
          const sek = await submit(s, file(s, [0, 1, 2, 3].filter((r) => r !== s), 'SEK', 20 + s, 20, s === 3 ? { maxAmountMinor: 5_000_000 } : {}));
          assert.equal(sek.status, 'ACCP', JSON.stringify(sek.report.findings));
        }
        // SEK to the bank that does not hold SEK, and SEK from it: refused with AM03.
        const toEurOnly = await submit(0, file(0, [4], 'SEK', 30, 1));
        assert.equal(toEurOnly.status, 'RJCT');
        assert.deepEqual([...new Set(toEurOnly.report.findings.map((f) => f.code))], ['AM03']);
        assert.match(toEurOnly.answerXml!, /<Cd>AM03<\/Cd>/);
        const fromEurOnly = await submit(4, file(4, [0], 'SEK', 31, 1));
        assert.equal(fromEurOnly.status, 'RJCT');
        assert.ok(fromEurOnly.report.findings.some((f) => f.code === 'AM03'), JSON.stringify(fromEurOnly.report.findings));
        // A real-time SEK payment, accepted by its creditor.
        const instant = await submit(1, file(1, [2], 'SEK', 40, 1, { maxAmountMinor: 10_000, localInstrument: 'INST' }));
        assert.equal(instant.status, 'ACCP', JSON.stringify(instant.report.findings));
        await h.dispatch();
        assert.equal(await h.bank(DEMO_BANKS[2]!.bic, () => 'accept').answerRealtime(), 1);
        await h.dispatch();

        const cycleId = await h.closeAndSettle();
        assert.ok(cycleId !== undefined);
        const positions = (await h.engine.positions(cycleId))!;
        assert.equal(positions.cycle.state, 'SETTLED');

        // From the messages: the net of every payment delivered to a creditor, per participant and currency.
        const expected = new Map<string, bigint>();
        const add = (bic: string, currency: string, amount: bigint) => expected.set(`${bic} ${currency}`, (expected.get(`${bic} ${currency}`) ?? 0n) + amount);
        const bulkCurrencies = new Set<string>();
        for (const bic of BANKS) {
          for (const xml of delivered(h, bic, 'pacs.008')) {
            const message = parsePacs008(xml);
            const currencies = new Set(message.transactions.map((t) => t.interbankSettlementAmount.currency));
            assert.equal(currencies.size, 1, 'a delivered file is in one currency');
            bulkCurrencies.add(`${bic} ${[...currencies][0]}`);
            for (const t of message.transactions) {
              assert.equal(t.creditorAgent, bic);
              const amount = minor(t.interbankSettlementAmount.value, t.interbankSettlementAmount.currency);
              add(t.creditorAgent, t.interbankSettlementAmount.currency, amount);
              add(t.debtorAgent, t.interbankSettlementAmount.currency, -amount);
            }
          }
        }
        assert.ok(bulkCurrencies.has('BANKNL2AXXX SEK') && bulkCurrencies.has('BANKNL2AXXX EUR'), [...bulkCurrencies].join(', '));
        assert.ok(![...bulkCurrencies].includes('BANKITMMXXX SEK'));
        // The settlement agent's instructions: one per participant and currency, the amount its net.
        const instructed = new Map<string, bigint>();
        assert.deepEqual(h.mailboxes.outbound(AGENT), [], 'every instruction answered');
        for (const xml of delivered(h, AGENT, 'pacs.009')) {
          const t = parsePacs009(xml).transactions[0]!;
          const amount = minor(t.interbankSettlementAmount.value, t.interbankSettlementAmount.currency);
          const [bic, signed] = t.debtor === SWITCH ? [t.creditor, amount] : [t.debtor, -amount];
          const key = `${bic} ${t.interbankSettlementAmount.currency}`;
          assert.ok(!instructed.has(key), `${key} instructed twice`);
          instructed.set(key, signed);
        }
        for (const [key, net] of expected) if (net !== 0n) assert.equal(instructed.get(key), net, key);
        assert.deepEqual([...instructed.keys()].sort(), [...expected].filter(([, v]) => v !== 0n).map(([k]) => k).sort());
        assert.ok([...instructed.keys()].some((k) => k.endsWith('SEK')) && [...instructed.keys()].some((k) => k.endsWith('EUR')));
        for (const currency of ['EUR', 'SEK']) {
          const sum = [...instructed].filter(([k]) => k.endsWith(currency)).reduce((s, [, v]) => s + v, 0n);
          assert.equal(sum, 0n, `${currency} instructions sum to zero`);
        }
        // camt.054: each participant notified of its booked net per currency, the same amount.
        for (const bic of BANKS) {
          for (const xml of delivered(h, bic, 'camt.054')) {
            for (const n of parseCamt054(xml).notifications) for (const e of n.entries) {
              const amount = minor(e.amount.value, e.amount.currency);
              assert.equal(e.creditDebit === 'DBIT' ? -amount : amount, instructed.get(`${bic} ${e.amount.currency}`), `${bic} ${e.amount.currency} notice`);
            }
          }
        }
        // The SEK cap breach unwound SEK payments of bank 4 only (rejected AM23 to it), its EUR payments all settled.
        const unwound = await h.engine.storeForTests().query<{ debtor_agent: string; currency: string }>(
          "SELECT DISTINCT debtor_agent, currency FROM payments_effective WHERE state = 'REJECTED' AND reason_code = 'AM23'");
        assert.deepEqual(unwound.map((r) => `${r.debtor_agent} ${r.currency}`), ['BANKBEBBXXX SEK']);
        assert.ok(delivered(h, 'BANKBEBBXXX', 'pacs.002').some((xml) => /<Cd>AM23<\/Cd>/.test(xml)), 'bank 4 told AM23');
        assert.ok(instructed.get('BANKBEBBXXX SEK')! >= -100_000n, 'bank 4 SEK debit within its cap');
      } finally {
        await h.close();
      }
    });
  });
}
