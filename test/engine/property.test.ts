/**
 * Property test of the whole engine: random batch cycles (random banks, amounts, caps, invalid
 * payments) go through intake, cut-off, netting with unwind and settlement on PGlite, and the
 * engine's stored positions are compared with a small independent reference calculation written
 * plainly here. Seeded: FC_SEED=<n> replays a run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { build as buildPacs008, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { harness, type Harness } from './support.ts';

let xsd: XsdValidator;
let h: Harness;
before(async () => {
  xsd = new XsdValidator();
  h = await harness('pglite', undefined, xsd);
});
after(async () => {
  await h.close();
  await xsd.close();
});

interface Payment { sender: number; receiver: number; minor: bigint; valid: boolean }

/** Reference netting: Σ received − Σ sent over the payments kept. */
function positions(payments: readonly Payment[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const p of payments) {
    const from = DEMO_BANKS[p.sender]!.bic;
    const to = DEMO_BANKS[p.receiver]!.bic;
    out.set(from, (out.get(from) ?? 0n) - p.minor);
    out.set(to, (out.get(to) ?? 0n) + p.minor);
  }
  return out;
}

/**
 * Reference unwind, LATEST_FIRST as documented: while someone is over its cap, take the breach with
 * the largest excess (BIC ascending on ties); that bank gives up its own latest payments, one by one,
 * until it is within its cap; then look again.
 */
function referenceUnwind(payments: readonly Payment[], caps: readonly bigint[]): Payment[] {
  const kept = [...payments];
  for (let guard = 0; guard <= payments.length; guard++) {
    const pos = positions(kept);
    const breaches = DEMO_BANKS.map((b, i) => ({ bic: b.bic, index: i, excess: -(pos.get(b.bic) ?? 0n) - caps[i]! }))
      .filter((b) => b.excess > 0n)
      .sort((a, b) => (a.excess === b.excess ? (a.bic < b.bic ? -1 : 1) : a.excess > b.excess ? -1 : 1));
    const top = breaches[0];
    if (!top) return kept;
    while (-(positions(kept).get(top.bic) ?? 0n) > caps[top.index]!) {
      let last = -1;
      for (let k = kept.length - 1; k >= 0; k--) if (kept[k]!.sender === top.index) { last = k; break; }
      assert.ok(last >= 0, 'a breached bank always has a payment of its own to give up');
      kept.splice(last, 1);
    }
  }
  throw new Error('reference unwind did not converge');
}

// Four banks send to each other; which payments are invalid is drawn separately (invalidIndexes).
const paymentArbitrary = fc.record({
  sender: fc.integer({ min: 0, max: 3 }),
  offset: fc.integer({ min: 1, max: 3 }),
  minor: fc.bigInt({ min: 1n, max: 500_000n }),
}).map((p): Payment => ({ sender: p.sender, receiver: (p.sender + p.offset) % 4, minor: p.minor, valid: true }));

describe('engine netting equals an independent reference over random cycles', () => {
  it('random batch cycles with invalid payments and cap breaches', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(
      fc.array(paymentArbitrary, { minLength: 1, maxLength: 24 }),
      fc.array(fc.bigInt({ min: 0n, max: 1_000_000n }), { minLength: 4, maxLength: 4 }),
      fc.array(fc.integer({ min: 0, max: 23 }), { maxLength: 3 }),
      async (payments, caps, invalidIndexes) => {
        run++;
        const marked = payments.map((p, i) => ({ ...p, valid: !invalidIndexes.includes(i) }));
        for (const [i, bank] of DEMO_BANKS.slice(0, 4).entries()) {
          await h.engine.storeForTests().query("UPDATE exposures SET cap_minor = $2 WHERE bic = $1 AND currency = 'EUR'", [bank.bic, caps[i]]);
        }
        // One file per sender, payments in order (sequence follows submission order).
        const accepted: Payment[] = [];
        for (let sender = 0; sender < 4; sender++) {
          const own = marked.filter((p) => p.sender === sender);
          if (own.length === 0) continue;
          const xml = fileOf(sender, own, run);
          const result = await h.engine.submit({ bytes: new TextEncoder().encode(xml), sender: DEMO_BANKS[sender]!.bic });
          result.report.transactions.forEach((t, k) => {
            assert.equal(t.status === 'ACCP', own[k]!.valid, `transaction ${k} of ${DEMO_BANKS[sender]!.bic}: ${t.reasons.join(' ')}`);
            if (t.status === 'ACCP') accepted.push(own[k]!);
          });
        }
        const cycleId = await h.closeAndSettle();
        const stored = await h.engine.positions(cycleId);
        const expected = positions(referenceUnwind(accepted, [...caps, 0n]));
        const actual = new Map((stored?.positions ?? []).map((p) => [p.bic, p.net_minor]));
        for (const bank of DEMO_BANKS) assert.equal(actual.get(bank.bic) ?? 0n, expected.get(bank.bic) ?? 0n, `${bank.bic} in run ${run}`);
        assert.equal([...actual.values()].reduce((a, b) => a + b, 0n), 0n);
        if (stored) assert.equal(stored.cycle.state, 'SETTLED');
      }), { numRuns: 20, seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined });
  });
});

function fileOf(sender: number, payments: readonly Payment[], run: number): string {
  const template = bulkCreditTransfer({
    seed: run * 10 + sender, sender: DEMO_BANKS[sender]!, receivers: [DEMO_BANKS[(sender + 1) % 4]!], transactionCount: payments.length,
    settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${DEMO_BANKS[sender]!.bic.slice(0, 8)}-P${run}`,
  });
  const transactions = template.transactions.map((t, k) => {
    const p = payments[k]!;
    const receiver = DEMO_BANKS[p.receiver]!.bic;
    const value = `${p.minor / 100n}.${(p.minor % 100n).toString().padStart(2, '0')}`;
    return {
      ...t, creditorAgent: receiver, interbankSettlementAmount: { currency: 'EUR', value },
      // An invalid payment: its creditor IBAN fails its check digits (AC01), the rest of the file passes.
      ...(p.valid ? {} : { creditorAccount: { iban: 'DE00370400440532013000' } }),
    };
  });
  const model: Pacs008 = { groupHeader: { ...template.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined }, transactions };
  return buildPacs008(model);
}
