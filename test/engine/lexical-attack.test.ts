/**
 * Issue 8: the switch must act on the values libxml2 validated, and forward what it recorded.
 *
 * Correctly formed, schema-valid pacs.008 files whose attribute layout puts a look-alike `Ccy` where
 * a pattern-based reader finds it first (a namespace prefix named Ccy, a schema-location hint holding
 * the text ` Ccy='EUR'`), submitted through Engine.submit, settled and delivered. Whatever the switch
 * does with them, what it recorded (payments: currency, amount, ids, agents) must be what a
 * conforming parser (saxes) reads from the submitted file AND from the bulk file delivered to the
 * creditor agent. A namespace-prefixed file of the kind Java tooling writes must still be accepted,
 * and be delivered meaning the same.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008, module as pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import type { MessageModule } from '../../switch/iso/message.ts';
import { parseAmount } from '../../switch/iso/amount.ts';
import { oracleFacts } from '../support/xml-oracle.ts';
import { documentText } from '../../switch/engine/inbound-message.ts';
import { validateFile } from '../../switch/validation/pipeline.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backends, harness, schemeConfig, type Harness } from './support.ts';

const encoder = new TextEncoder();
const module = pacs008 as MessageModule<unknown>;
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

function bulkXml(seed: number): string {
  return buildPacs008(bulkCreditTransfer({
    seed, sender: DEMO_BANKS[0]!, receivers: DEMO_BANKS.slice(1), transactionCount: 3,
    settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `BANKDEFF-ATTACK-${seed}`,
  }));
}

function replaceEvery(xml: string, from: string, to: string): string {
  assert.ok(xml.includes(from), `${from} is in the document`);
  return xml.split(from).join(to);
}

/** Each attack, and the refusal expected now (what the file means is read, then judged). */
const attacks: Record<string, { readonly spell: (xml: string) => string; readonly refusedWith: string }> = {
  // The switch used to read the first `(prefix:)Ccy="..."` of the tag: here the declaration of a
  // prefix named Ccy. A namespace other than the message's inside the Document is outside the profile.
  'a namespace prefix named Ccy': { spell: (xml) => replaceEvery(xml, 'Ccy="EUR"', 'xmlns:Ccy="EUR" Ccy="USD"'), refusedWith: 'FF01' },
  // ... or a look-alike inside another attribute's value. The file is read as USD, which this
  // EUR-only scheme does not settle.
  'a schema-location hint holding Ccy=\'EUR\'': {
    spell: (xml) => replaceEvery(xml.replace('<Document xmlns="', `<Document xmlns:xsi="${XSI}" xmlns="`),
      'Ccy="EUR"', 'xsi:schemaLocation="urn:x Ccy=\'EUR\'" Ccy="USD"'),
    refusedWith: 'AM03',
  },
};

/** Every element under prefix ns2 (declared on Document), single-quoted attributes, a schema-location hint. */
function javaStyle(xml: string): string {
  return xml
    .replace(/<(\/?)([A-Za-z][\w.-]*)(?=[\s/>])/g, '<$1ns2:$2')
    .replace(' xmlns="', ` xmlns:xsi="${XSI}" xsi:schemaLocation="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08 pacs.008.xsd" xmlns:ns2="`)
    .replace(/Ccy="([A-Z]{3})"/g, "Ccy = '$1'");
}

interface PaymentRow {
  transaction_id: string;
  currency: string;
  amount_minor: bigint;
  debtor_agent: string;
  creditor_agent: string;
  end_to_end_id: string;
  uetr: string;
}

/**
 * Every payment the switch recorded agrees with a conforming parser's reading of the submitted file,
 * and with its reading of what was delivered to the creditor agent.
 */
async function assertConsistent(h: Harness, submitted: string): Promise<number> {
  const payments = await h.engine.storeForTests().query<PaymentRow>(
    'SELECT transaction_id, currency, amount_minor, debtor_agent, creditor_agent, end_to_end_id, uetr FROM payments ORDER BY id');
  const read = new Map(oracleFacts(module, submitted).transactions.map((t) => [t.transactionId, t]));
  const delivered = new Map<string, ReturnType<typeof oracleFacts>['transactions'][number]>();
  for (const bank of DEMO_BANKS) {
    for (const name of h.mailboxes.outbound(bank.bic)) {
      const xml = h.mailboxes.read(bank.bic, 'outbound', name).toString('utf8');
      if (!xml.includes('urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08')) continue;
      assert.deepEqual(await xsd.validateOne('pacs.008.001.08', encoder.encode(xml)), [], `delivered ${name} is schema-valid`);
      for (const t of oracleFacts(module, xml).transactions) delivered.set(t.transactionId!, t);
    }
  }
  for (const p of payments) {
    for (const [where, facts] of [['submitted', read.get(p.transaction_id)], ['delivered', delivered.get(p.transaction_id)]] as const) {
      assert.ok(facts, `payment ${p.transaction_id} is in the ${where} file`);
      const amount = parseAmount(facts.amount!.value, facts.amount!.currency);
      assert.ok(amount.ok, `${where} amount of ${p.transaction_id} is an amount`);
      assert.deepEqual(
        { currency: p.currency, amount: p.amount_minor, debtor: p.debtor_agent, creditor: p.creditor_agent, e2e: p.end_to_end_id, uetr: p.uetr },
        { currency: facts.amount!.currency, amount: amount.minor, debtor: facts.debtorAgent, creditor: facts.creditorAgent,
          e2e: facts.endToEndId, uetr: facts.uetr },
        `payment ${p.transaction_id}: recorded values equal the ${where} file's`);
    }
  }
  return payments.length;
}

for (const backend of backends) {
  describe(`lexical attacks through Engine.submit on ${backend}`, () => {
    for (const [name, attack] of Object.entries(attacks)) {
      it(`currency swap with ${name}: refused (${attack.refusedWith}), and nothing recorded that a conforming parser reads otherwise`, async () => {
        const h = await harness(backend, schemeConfig(), xsd);
        try {
          const xml = attack.spell(bulkXml(7));
          assert.deepEqual(await xsd.validateOne('pacs.008.001.08', encoder.encode(xml)), [], 'the attack file is schema-valid');
          assert.ok(oracleFacts(module, xml).transactions.every((t) => t.amount!.currency === 'USD'), 'a conforming parser reads USD');
          const result = await h.engine.submit({ bytes: encoder.encode(xml), sender: DEMO_BANKS[0]!.bic });
          await h.closeAndSettle();
          assert.equal(await assertConsistent(h, xml), 0, 'no payment recorded');
          assert.equal(result.status, 'RJCT');
          assert.ok(result.report.findings.some((f) => f.code === attack.refusedWith), JSON.stringify(result.report.findings));
          for (const f of result.report.findings) assert.match(f.path, /^\/Document\//, 'located');
        } finally {
          await h.close();
        }
      });
    }

    it('a namespace-prefixed file (every element ns2:, schema-location hint, single quotes) is accepted and delivered meaning the same', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const xml = javaStyle(bulkXml(8));
        assert.match(xml, /<ns2:Document /);
        const result = await h.engine.submit({ bytes: encoder.encode(xml), sender: DEMO_BANKS[0]!.bic });
        assert.equal(result.status, 'ACCP', JSON.stringify(result.report.findings));
        await h.closeAndSettle();
        assert.equal(await assertConsistent(h, xml), 3);
      } finally {
        await h.close();
      }
    });
  });
}

it('the typed models read the validated Document, not a look-alike inside a comment of the AppHdr', async () => {
  const envelope = readFileSync(join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'envelope', 'valid-envelope-bah.xml'), 'utf8');
  const lookAlike = buildPacs008(bulkCreditTransfer({
    seed: 9, sender: DEMO_BANKS[0]!, receivers: DEMO_BANKS.slice(1), transactionCount: 1, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: 'LOOK-ALIKE',
  })).replace(/^<\?xml[^>]*>\s*/, '');
  const xml = envelope.replace('</AppHdr>', `<!-- ${lookAlike} -->\n</AppHdr>`);
  const bytes = encoder.encode(xml);
  const report = await validateFile(bytes, { xsd });
  assert.equal(report.status, 'ACCP', 'comments between elements are inside the lexical profile');
  assert.equal(report.group?.messageId, 'BANKDEFF-2');
  const text = documentText(bytes);
  assert.equal(oracleFacts(module, text).group.messageId, 'BANKDEFF-2');
  assert.doesNotMatch(text, /LOOK-ALIKE/);
});
