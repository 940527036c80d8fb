/**
 * camt.060 answered (issue 13): a participant's request for a camt.052 is answered with its intraday
 * position (ITBD net of the unsettled cycle, ITAV headroom, NETDEBITCAP, QUEUED, HELD), valid against
 * the scheme XSD; a request naming another bank's account or owner is refused (AG08) and nothing is
 * reported; a request for a camt.053 without its day, or for another message, is refused with the reason
 * (test/engine/statement-request.test.ts answers camt.053 requests). On PGlite and PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { build as buildCamt060, type ReportingRequest } from '../../switch/iso/messages/camt.060.001.05/index.ts';
import { parseXml as parseCamt052 } from '../../switch/iso/messages/camt.052.001.08/index.ts';
import { formatAmount } from '../../switch/iso/amount.ts';
import { backends, harness, schemeConfig, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const A = DEMO_BANKS[0]!.bic;
const B = DEMO_BANKS[1]!.bic;

function request(seed: number, requests: readonly ReportingRequest[]): Uint8Array {
  return encoder.encode(buildCamt060({ groupHeader: { messageId: `${A.slice(0, 8)}-RQ-${seed}`, creationDateTime: '2026-11-26T10:00:00Z' }, requests }));
}

function reports(h: Harness, bic: string): string[] {
  return h.mailboxes.outbound(bic).filter((f) => f.startsWith('camt.052')).sort();
}

for (const backend of backends) {
  describe(`camt.060 answered with camt.052 on ${backend}`, () => {
    it('reports the sender\'s own position; refuses another bank\'s account or owner, and a camt.053 request', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const model = bulkCreditTransfer({ seed: 7, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 5,
          settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${A.slice(0, 8)}-M7` });
        assert.equal((await h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: A })).status, 'ACCP');
        const sent = model.transactions.reduce((sum, t) => sum + BigInt(t.interbankSettlementAmount.value.replace('.', '')), 0n);

        const answered = await h.engine.submit({ bytes: request(1, [{ requestedMessageNameId: 'camt.052.001.08', accountOwner: { agent: A },
          requestedBalanceTypes: [] }]), sender: A });
        assert.equal(answered.status, 'ACCP');
        await h.dispatch();
        const [file] = reports(h, A);
        assert.ok(file, 'a camt.052 to the requester');
        const xml = h.mailboxes.read(A, 'outbound', file).toString('utf8');
        assert.deepEqual(await xsd.validateOne('camt.052.001.08', encoder.encode(xml)), []);
        const report = parseCamt052(xml).reports[0]!;
        assert.deepEqual(report.account.id, { other: `${A}-EUR-SETTLEMENT` });
        const balance = (type: string) => report.balances.find((b) => ('code' in b.type ? b.type.code : b.type.proprietary) === type)!;
        assert.deepEqual([balance('ITBD').amount.value, balance('ITBD').creditDebit], [formatAmount(sent, 'EUR'), 'DBIT'], 'net: what it sent');
        assert.deepEqual([balance('NETDEBITCAP').amount.value, balance('ITAV').amount.value], ['10000000.00', '10000000.00']);
        assert.equal(balance('QUEUED').amount.value, '0.00');
        assert.equal(balance('HELD').amount.value, '0.00');

        // Another bank's owner: refused by the rules (AG08), nothing reported to anyone.
        const foreign = await h.engine.submit({ bytes: request(2, [{ requestedMessageNameId: 'camt.052.001.08', accountOwner: { agent: B },
          requestedBalanceTypes: [] }]), sender: A });
        assert.equal(foreign.status, 'RJCT');
        assert.ok(foreign.report.findings.some((f) => f.code === 'AG08' && /AcctOwnr/.test(f.path)), JSON.stringify(foreign.report.findings));
        // Another bank's account under its own name: refused by the handler.
        const account = await h.engine.submit({ bytes: request(3, [{ requestedMessageNameId: 'camt.052.001.08', accountOwner: { agent: A },
          account: { other: `${B}-EUR-SETTLEMENT` }, requestedBalanceTypes: [] }]), sender: A });
        assert.equal(account.status, 'RJCT');
        assert.ok(account.report.findings.some((f) => f.code === 'AG08' && /not one of/.test(f.message)), JSON.stringify(account.report.findings));
        const statement = await h.engine.submit({ bytes: request(4, [{ requestedMessageNameId: 'camt.053.001.08', accountOwner: { agent: A },
          requestedBalanceTypes: [] }]), sender: A });
        assert.equal(statement.status, 'RJCT', 'a camt.053 request without the day it asks for');
        assert.ok(statement.report.findings.some((f) => f.code === 'CH21' && /RptgPrd\/FrToDt\/FrDt/.test(f.message)), JSON.stringify(statement.report.findings));
        const other = await h.engine.submit({ bytes: request(5, [{ requestedMessageNameId: 'camt.054.001.08', accountOwner: { agent: A },
          requestedBalanceTypes: [] }]), sender: A });
        assert.equal(other.status, 'RJCT');
        assert.ok(other.report.findings.some((f) => f.code === 'AG03' && /camt.054.001.08 is not reported on request/.test(f.message)), JSON.stringify(other.report.findings));
        await h.dispatch();
        assert.equal(reports(h, A).length, 1, 'no further report');
        assert.equal(reports(h, B).length, 0);
      } finally {
        await h.close();
      }
    });
  });
}
