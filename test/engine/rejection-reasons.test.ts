/**
 * Judged from the outside, the pacs.002 in the sender's mailbox: a real-time payment refused as a
 * duplicate (its UETR already seen: DUPL) and a batch file whose every transaction was rejected
 * each come back with their reason code, never a bare RJCT (docs/payment-states.md "Reasons").
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { backends, harness, schemeConfig, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

function model(seed: number, count: number, localInstrument?: string) {
  return bulkCreditTransfer({
    seed, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `BANKDEFF-R${seed}`, localInstrument,
  });
}

/** The pacs.002 answering `messageId` in BANKDEFF's mailbox. */
function answerTo(h: Harness, messageId: string): string {
  const texts = h.mailboxes.outbound('BANKDEFFXXX').filter((f) => f.startsWith('pacs.002'))
    .map((f) => h.mailboxes.read('BANKDEFFXXX', 'outbound', f).toString('utf8'))
    .filter((xml) => xml.includes(`<OrgnlMsgId>${messageId}</OrgnlMsgId>`));
  assert.equal(texts.length, 1, `one pacs.002 answers ${messageId}`);
  return texts[0]!;
}

for (const backend of backends) {
  describe(`rejections carry their reason on ${backend}`, () => {
    it('a real-time duplicate (UETR already seen) is answered RJCT DUPL', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const first = model(11, 1, 'INST');
        assert.equal((await h.engine.submit({ bytes: encoder.encode(buildPacs008(first)), sender: 'BANKDEFFXXX' })).status, 'ACCP');
        const again = { ...first, groupHeader: { ...first.groupHeader, messageId: 'BANKDEFF-AGAIN' },
          transactions: [{ ...first.transactions[0]!, paymentIdentification: { ...first.transactions[0]!.paymentIdentification, transactionId: 'OTHER-TX-1' } }] };
        const result = await h.engine.submit({ bytes: encoder.encode(buildPacs008(again)), sender: 'BANKDEFFXXX' });
        assert.equal(result.status, 'RJCT');
        await h.dispatch();
        const xml = answerTo(h, 'BANKDEFF-AGAIN');
        assert.match(xml, /<GrpSts>RJCT<\/GrpSts>/);
        assert.match(xml, /<TxSts>RJCT<\/TxSts>[\s\S]*<Cd>DUPL<\/Cd>/);
      } finally {
        await h.close();
      }
    });

    it('a batch file whose every transaction was rejected lists each with its code', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const bad = model(12, 3);
        const xml = buildPacs008(bad).replace(/(<CdtrAcct>\s*<Id>\s*<IBAN>[A-Z]{2})\d{2}/g, '$100');
        const result = await h.engine.submit({ bytes: encoder.encode(xml), sender: 'BANKDEFFXXX' });
        assert.equal(result.status, 'RJCT');
        await h.dispatch();
        const answer = answerTo(h, bad.groupHeader.messageId);
        assert.match(answer, /<GrpSts>RJCT<\/GrpSts>/);
        assert.equal((answer.match(/<TxSts>RJCT<\/TxSts>/g) ?? []).length, 3, answer);
        assert.equal((answer.match(/<Cd>AC01<\/Cd>/g) ?? []).length, 3, answer);
      } finally {
        await h.close();
      }
    });
  });
}
