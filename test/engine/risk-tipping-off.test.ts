/**
 * Tipping-off (docs/scheme-rules.md "Risk reason codes"): the sending bank of a payment stopped by
 * screening is never told that it was screened. Rejected by the stage on an exact match, or held on a
 * name match and then rejected by an operator, its pacs.002 carries MS03 and a neutral text — no list,
 * entry, matched value, RR04, or the operator's words; the payment's reason code (which the API shows to
 * the bank) is MS03 too. The real reason is recorded internally (risk events, operator actions). A
 * payment held for another reason (a score hold, no hit) keeps
 * the operator's code, still without the operator's words.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { checkConfig } from '../../switch/config.ts';
import { Engine } from '../../switch/engine/engine.ts';
import type { PaymentRiskFacts, RiskScore, Screener, ScreeningHit } from '../../switch/risk/types.ts';
import { backends, freshPostgresUrl, schemeConfig, TestClock } from './support.ts';
import { migratedTemplate } from '../support/store-template.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const LISTED_IBAN = 'DE02120300000000202051';
const LISTED_NAME = 'Ivan Sanctioned';
/** Names a score port holds (no screening involved). */
const SCORED_NAME = 'Odd Pattern';

/** A screener over a fixed list: the IBAN exactly, the name exactly (case-insensitive). */
class FixedList implements Screener {
  screen(facts: PaymentRiskFacts): ScreeningHit[] {
    const hits: ScreeningHit[] = [];
    if (facts.debtorAccount === LISTED_IBAN) {
      hits.push({ list: 'ofac-sdn@7', entryId: 'SDN-4711', matched: LISTED_IBAN, field: 'debtorAccount', kind: 'iban', similarity: 1 });
    }
    if (facts.debtor.name?.toLowerCase() === LISTED_NAME.toLowerCase()) {
      hits.push({ list: 'ofac-sdn@7', entryId: 'SDN-4712', matched: LISTED_NAME, field: 'debtor', kind: 'name', similarity: 1 });
    }
    return hits;
  }
}

function message(seed: number, options: { debtorAccount?: string; debtorName?: string } = {}): Pacs008 {
  const model = bulkCreditTransfer({
    seed, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 1, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `BANKDEFF-T${seed}`,
  });
  const t = model.transactions[0]!;
  return { groupHeader: model.groupHeader, transactions: [{ ...t,
    ...(options.debtorAccount ? { debtorAccount: { iban: options.debtorAccount } } : {}),
    ...(options.debtorName ? { debtor: { ...t.debtor, name: options.debtorName } } : {}) }] };
}

/** Every pacs.002 the switch sent BANKDEFFXXX, as text, and its lines per TxId. */
async function toldSender(engine: Engine): Promise<{ xml: string[]; lines: Map<string, { status: string; code?: string; text?: string }> }> {
  const rows = await engine.storeForTests().query<{ xml: string }>(
    `SELECT convert_from(m.bytes, 'UTF8') AS xml FROM outbox o JOIN messages m ON m.id = o.message_id
      WHERE o.recipient = 'BANKDEFFXXX' AND m.message_type = 'pacs.002.001.10' ORDER BY o.id`);
  const lines = new Map<string, { status: string; code?: string; text?: string }>();
  for (const { xml } of rows) {
    for (const t of parsePacs002(xml).transactions) {
      const r = t.statusReasons?.[0];
      lines.set(t.originalTransactionId!, { status: t.transactionStatus!, ...(r?.reason && 'code' in r.reason ? { code: r.reason.code } : {}),
        ...(r?.additionalInformation ? { text: r.additionalInformation.join(' ') } : {}) });
    }
  }
  return { xml: rows.map((r) => r.xml), lines };
}

const REVEALING = /ofac|SDN-47|sanction|screen|list|RR04|Ivan|DE02120300000000202051|true match/i;

for (const backend of backends) {
  describe(`tipping-off (${backend})`, () => {
    it('screening: the sender is told MS03 and a neutral text; the real reason is recorded internally', async () => {
      const config = checkConfig({ ...JSON.parse(JSON.stringify(schemeConfig())), risk: { limits: [], holdScore: 50, rejectScore: 90 } });
      const url = backend === 'postgres' ? await freshPostgresUrl() : undefined;
      const scorer = {
        score: (_tx: unknown, facts: PaymentRiskFacts): Promise<RiskScore> =>
          Promise.resolve({ score: facts.debtor.name === SCORED_NAME ? 60 : 0, features: [] }),
        record: () => Promise.resolve(),
      };
      const engine = await Engine.open({ config, clock: new TestClock(), xsd, ...(url ? { databaseUrl: url } : { startFrom: await migratedTemplate() }), risk: { screener: new FixedList(), scorer } });
      try {
        const submit = (model: Pacs008) => engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: 'BANKDEFFXXX' });
        // 1. An exact match: rejected by the stage.
        assert.equal((await submit(message(1, { debtorAccount: LISTED_IBAN }))).status, 'RJCT');
        // 2. A name match: held; the operator rejects it, naming RR04 and the match in the reason.
        assert.equal((await submit(message(2, { debtorName: LISTED_NAME }))).status, 'ACCP');
        // 3. A score hold (no screening): rejected by the operator with its code.
        assert.equal((await submit(message(3, { debtorName: SCORED_NAME }))).status, 'ACCP');
        const holds = await engine.riskHolds();
        assert.equal(holds.length, 2);
        const byTx = new Map(holds.map((h) => [h.transactionId, h.id]));
        await engine.rejectHeldPayment(byTx.get('BANKDEFF-T2-000001')!, { actor: 'alice', reason: 'true match SDN-4712' }, 'RR04');
        await engine.rejectHeldPayment(byTx.get('BANKDEFF-T3-000001')!, { actor: 'alice', reason: 'ticket RISK-9 fraud pattern' }, 'FRAD');

        const told = await toldSender(engine);
        assert.deepEqual(told.lines.get('BANKDEFF-T1-000001'), { status: 'RJCT', code: 'MS03', text: '/Document/*/CdtTrfTxInf[0]: not processed by the clearing house' });
        assert.deepEqual(told.lines.get('BANKDEFF-T2-000001'), { status: 'RJCT', code: 'MS03', text: 'not processed by the clearing house' });
        assert.deepEqual(told.lines.get('BANKDEFF-T3-000001'), { status: 'RJCT', code: 'FRAD', text: 'rejected after review' },
          'not screened: the operator\'s code, never the operator\'s words');
        for (const xml of told.xml) assert.doesNotMatch(xml, REVEALING);
        assert.doesNotMatch(told.xml.join(''), /RISK-9/);

        // What the API shows the bank: the payment's reason code.
        const [held] = await engine.storeForTests().query<{ reason_code: string }>('SELECT reason_code FROM payments WHERE id = $1', [byTx.get('BANKDEFF-T2-000001')]);
        assert.equal(held!.reason_code, 'MS03');

        // Internally: the list, the entry and RR04.
        const events = await engine.riskEvents();
        const reject1 = events.find((e) => e.kind === 'reject' && (e.details as { transactionId?: string }).transactionId === 'BANKDEFF-T1-000001');
        assert.match(reject1!.reason, /^RR04: debtorAccount iban is on the list ofac-sdn@7 \(entry SDN-4711\)/);
        const reject2 = events.find((e) => e.kind === 'reject' && e.payment_id !== null && BigInt(e.payment_id) === byTx.get('BANKDEFF-T2-000001'));
        assert.deepEqual([reject2!.actor, reject2!.reason, reject2!.details], ['alice', 'true match SDN-4712', { code: 'RR04', toldCode: 'MS03' }]);
        const [action] = (await engine.operatorActions({ subject: String(byTx.get('BANKDEFF-T2-000001')) })).filter((a) => a.action === 'risk.reject');
        assert.deepEqual(action!.details, { code: 'RR04', toldCode: 'MS03' });
      } finally {
        await engine.close();
      }
    });
  });
}
