/**
 * Per-transaction camt.054 advices (issue 13): a participant listed in perTransactionAdvices gets, at
 * each settlement, besides the net camt.054, a camt.054 with one entry per settled payment (valid
 * against the scheme XSD), netting to the net one; a participant not listed gets the net one only.
 * On PGlite and PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parseCamt054 } from '../../switch/iso/messages/camt.054.001.08/index.ts';
import { parseAmount } from '../../switch/iso/amount.ts';
import { checkConfig } from '../../switch/config.ts';
import { backends, harness, schemeConfig } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const A = DEMO_BANKS[0]!.bic;
const B = DEMO_BANKS[1]!.bic;
const signedMinor = (value: string, cd: string): bigint => {
  const parsed = parseAmount(value, 'EUR');
  assert.ok(parsed.ok);
  return cd === 'DBIT' ? -parsed.minor : parsed.minor;
};

for (const backend of backends) {
  describe(`per-transaction camt.054 on ${backend}`, () => {
    it('the participant that opted in gets one entry per settled payment; the other the net advice only', async () => {
      const config = checkConfig({ ...JSON.parse(JSON.stringify(schemeConfig())), perTransactionAdvices: [A] });
      assert.throws(() => checkConfig({ ...JSON.parse(JSON.stringify(schemeConfig())), perTransactionAdvices: ['NOTAPART'] }), /perTransactionAdvices\[0\]/);
      const h = await harness(backend, config, xsd);
      try {
        const model = bulkCreditTransfer({ seed: 9, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 8,
          settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${A.slice(0, 8)}-M9` });
        assert.equal((await h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: A })).status, 'ACCP');
        await h.closeAndSettle();
        await h.dispatch();
        const advices = (bic: string) => h.mailboxes.outbound(bic).filter((f) => f.startsWith('camt.054'))
          .map((f) => h.mailboxes.read(bic, 'outbound', f).toString('utf8'));
        const [netA, ...perTransaction] = advices(A).map((xml) => ({ xml, m: parseCamt054(xml) }))
          .sort((x, y) => x.m.notifications[0]!.entries.length - y.m.notifications[0]!.entries.length);
        assert.equal(perTransaction.length, 1, 'one per-transaction advice (one page)');
        const entries = perTransaction[0]!.m.notifications[0]!.entries;
        assert.equal(entries.length, 8);
        assert.ok(entries.every((e) => e.creditDebit === 'DBIT' && /^P\d+$/.test(e.reference ?? '')));
        const net = netA!.m.notifications[0]!.entries[0]!;
        assert.equal(entries.reduce((s, e) => s + signedMinor(e.amount.value, e.creditDebit), 0n), signedMinor(net.amount.value, net.creditDebit));
        assert.deepEqual(await xsd.validateOne('camt.054.001.08', encoder.encode(perTransaction[0]!.xml)), []);
        assert.equal(advices(B).length, 1, `${B} did not opt in: the net advice only`);
      } finally {
        await h.close();
      }
    });
  });
}
