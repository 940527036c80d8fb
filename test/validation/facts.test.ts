/**
 * The streaming fact extractor (switch/validation/facts.ts) against the object-tree path
 * (module.facts(module.parse(...))): for every module with a factSpec they must give the same facts,
 * on the fixtures, on the schema-valid demo samples, on documents built from the sample models, on
 * generated pacs.008 messages, and on the XML spellings of the lexical profile (namespace prefixes,
 * comments between elements, entities and character references, empty elements, tags split across
 * lines, CRLF); the spellings outside the profile are refused by the scan before any reader runs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { formatAmount } from '../../switch/iso/amount.ts';
import type { MessageFacts, MessageModule, TransactionFacts } from '../../switch/iso/message.ts';
import type { Account, Party } from '../../switch/iso/messages/common.ts';
import * as pacs002 from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import * as pacs004 from '../../switch/iso/messages/pacs.004.001.09/index.ts';
import * as pacs008 from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import * as pacs009 from '../../switch/iso/messages/pacs.009.001.08/index.ts';
import * as pacs028 from '../../switch/iso/messages/pacs.028.001.03/index.ts';
import { messageModules } from '../../switch/iso/registry.ts';
import { child, createParser, type XmlElement } from '../../switch/iso/xml.ts';
import { samples } from '../../switch/demo/samples.ts';
import { extractFacts, extractFactsInTurns } from '../../switch/validation/facts.ts';
import { scanXml, type ElementSpan } from '../../switch/validation/scan.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import {
  BIC,
  IBAN,
  pacs002Samples,
  pacs004Samples,
  pacs008Facts,
  pacs008Samples,
  pacs009Samples,
  pacs028Samples,
} from '../iso/payment-samples.ts';

const fixtures = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures');
const encoder = new TextEncoder();

const withSpec = messageModules.filter((m) => m.factSpec !== undefined);

/** Facts read by the streaming extractor, with the spans found as the pipeline finds them. */
function streamed(module: MessageModule<unknown>, xml: string): MessageFacts {
  const { bytes, messageRoot, transactions } = located(module, xml);
  return extractFacts(bytes, messageRoot, module.transactionElement, transactions, module.factSpec!);
}

/** The bytes, message root and transaction spans of a document, found as the pipeline finds them. */
function located(module: MessageModule<unknown>, xml: string): { bytes: Uint8Array; messageRoot: ElementSpan; transactions: ElementSpan[] } {
  const bytes = encoder.encode(xml);
  const scan = scanXml(bytes);
  assert.deepEqual(scan.findings, [], 'the hardening scan accepts the document');
  const root = scan.root!;
  let messageRoot: ElementSpan;
  let level: readonly ElementSpan[];
  if (root.localName === 'Document') {
    messageRoot = scan.rootChildren[0]!;
    level = scan.depth3;
  } else {
    const document = scan.rootChildren.find((e) => e.localName === 'Document')!;
    messageRoot = scan.depth3.find((e) => e.start > document.start && e.end <= document.end)!;
    level = scan.depth4;
  }
  assert.equal(messageRoot.localName, module.rootElement);
  const transactions = level.filter((e) =>
    e.localName === module.transactionElement && e.start > messageRoot.start && e.end <= messageRoot.end);
  return { bytes, messageRoot, transactions };
}

/** Facts read through fast-xml-parser and the typed model (what the pipeline does without a factSpec). */
function parsed(module: MessageModule<unknown>, xml: string): MessageFacts {
  const tree = createParser(module.repeatingElements).parse(xml) as XmlElement;
  const document = child(tree, 'Document') ?? Object.keys(tree).map((k) => child(child(tree, k), 'Document')).find((d) => d);
  const root = child(document, module.rootElement);
  assert.ok(root, `<${module.rootElement}> found`);
  return module.facts(module.parse(root));
}

/** Both paths agree; returns the facts for further checks. */
function same(module: MessageModule<unknown>, xml: string, what: string): MessageFacts {
  const expected = parsed(module, xml);
  assert.deepStrictEqual(streamed(module, xml), expected, `${module.id}: ${what}`);
  return expected;
}

function moduleById(id: string): MessageModule<unknown> {
  const found = withSpec.find((m) => m.id === id);
  assert.ok(found, `${id} has a factSpec`);
  return found;
}

test('the pacs modules whose facts are one per transaction element have a factSpec', () => {
  const ids = withSpec.map((m) => m.id);
  for (const id of ['pacs.008.001.08', 'pacs.009.001.08', 'pacs.004.001.09', 'pacs.002.001.10', 'pacs.028.001.03']) {
    assert.ok(ids.includes(id), `${id} has a factSpec`);
  }
  for (const m of withSpec) assert.ok(m.transactionElement, `${m.id} has a transaction element`);
});

test('every valid fixture: streamed facts equal the parsed facts', () => {
  for (const module of withSpec) {
    const folder = join(fixtures, module.id);
    const names = existsSync(folder) ? readdirSync(folder).filter((n) => /^valid-.*\.xml$/.test(n)).sort() : [];
    assert.ok(names.length > 0, `${module.id} has valid fixtures`);
    for (const name of names) same(module, readFileSync(join(folder, name), 'utf8'), name);
  }
});

const xsd = new XsdValidator();
after(() => xsd.close());

async function schemaErrors(id: string, xml: string): Promise<string[]> {
  return (await xsd.validateOne(id, encoder.encode(xml))).map((e) => e.message);
}

test('every schema-valid demo sample of a message with a factSpec: streamed facts equal the parsed facts', async () => {
  let compared = 0;
  for (const sample of samples()) {
    const module = withSpec.find((m) => m.id === sample.folder);
    if (module === undefined) continue;
    const errors = await xsd.validateOne(module.id, encoder.encode(sample.xml));
    if (errors.length > 0) continue;
    same(module, sample.xml, sample.name);
    compared++;
  }
  assert.ok(compared >= 5, `compared ${compared} samples`);
});

test('the envelope sample (AppHdr + Document): streamed facts equal the parsed facts', () => {
  const sample = samples().find((s) => s.name === 'valid-envelope-bah.xml')!;
  const facts = same(moduleById('pacs.008.001.08'), sample.xml, sample.name);
  assert.equal(facts.transactions.length, 3);
});

test('documents built from the sample models: streamed facts equal the parsed facts', () => {
  const suites: Array<[MessageModule<unknown>, (m: never) => string, Readonly<Record<string, unknown>>]> = [
    [pacs008.module as MessageModule<unknown>, pacs008.build, { ...pacs008Samples, pacs008Facts }],
    [pacs009.module as MessageModule<unknown>, pacs009.build, pacs009Samples],
    [pacs004.module as MessageModule<unknown>, pacs004.build, pacs004Samples],
    [pacs002.module as MessageModule<unknown>, pacs002.build, pacs002Samples],
    [pacs028.module as MessageModule<unknown>, pacs028.build, pacs028Samples],
  ];
  for (const [module, build, models] of suites) {
    assert.ok(module.factSpec, `${module.id} has a factSpec`);
    for (const [name, model] of Object.entries(models)) same(module, build(model as never), name);
  }
});

// ---------------------------------------------------------------- generated pacs.008 (borrowed from
// test/iso/payments-property.test.ts, with transaction agents and dates added)

const plain = { noNullPrototype: true } as const;
const character = fc.constantFrom(...'ABCXYZabcxyz0179/-?:().,\'+&<>"');
function isoText(maxLength: number, withSpaces = false): fc.Arbitrary<string> {
  const unit = withSpaces ? fc.oneof({ weight: 6, arbitrary: character }, { weight: 1, arbitrary: fc.constant(' ') }) : character;
  return fc.string({ unit, minLength: 1, maxLength }).map((value) => value.trim()).filter((value) => value.length > 0);
}
const bic = fc.constantFrom(...Object.values(BIC));
const account: fc.Arbitrary<Account> = fc.oneof(
  fc.constantFrom(...Object.values(IBAN)).map((iban) => ({ iban })),
  isoText(34).map((id) => ({ other: { id } })),
);
const party: fc.Arbitrary<Party> = fc.record(
  { name: isoText(140, true), postalAddress: fc.record({ townName: isoText(35, true), country: fc.constantFrom('DE', 'FR') }, plain) },
  { requiredKeys: ['name'], noNullPrototype: true },
);
const transaction = (minor: bigint): fc.Arbitrary<pacs008.CreditTransferTransaction> => fc.record({
  paymentIdentification: fc.record(
    { instructionId: isoText(35), endToEndId: isoText(35), transactionId: isoText(35), uetr: fc.uuid({ version: 4 }) },
    { requiredKeys: ['endToEndId'], noNullPrototype: true },
  ),
  interbankSettlementAmount: fc.constant({ currency: 'EUR', value: formatAmount(minor, 'EUR') }),
  interbankSettlementDate: fc.constant('2024-05-13'),
  chargeBearer: fc.constant('SLEV'),
  instructingAgent: bic,
  instructedAgent: bic,
  ultimateDebtor: party,
  debtor: party,
  debtorAccount: account,
  debtorAgent: bic,
  creditorAgent: bic,
  creditor: party,
  creditorAccount: account,
  remittance: fc.array(isoText(140, true), { minLength: 1, maxLength: 3 }).map((unstructured) => ({ unstructured })),
}, {
  requiredKeys: ['paymentIdentification', 'interbankSettlementAmount', 'chargeBearer', 'debtor', 'debtorAgent', 'creditorAgent', 'creditor'],
  noNullPrototype: true,
});
const generatedPacs008: fc.Arbitrary<pacs008.Pacs008> = fc.array(fc.bigInt({ min: 1n, max: 99_999_999_999n }), { minLength: 1, maxLength: 20 })
  .chain((amounts) => {
    const total = formatAmount(amounts.reduce((sum, amount) => sum + amount, 0n), 'EUR');
    return fc.record({
      groupHeader: fc.record({
        messageId: isoText(35),
        creationDateTime: fc.constant('2024-05-13T10:15:00Z'),
        numberOfTransactions: fc.constant(String(amounts.length)),
        controlSum: fc.constant(total),
        totalInterbankSettlementAmount: fc.constant({ currency: 'EUR', value: total }),
        interbankSettlementDate: fc.constant('2024-05-13'),
        settlementInformation: fc.constant({ method: 'CLRG' }),
        instructingAgent: bic,
        instructedAgent: bic,
      }, { requiredKeys: ['messageId', 'creationDateTime', 'numberOfTransactions', 'settlementInformation'], noNullPrototype: true }),
      transactions: fc.tuple(...amounts.map(transaction)),
    }, plain);
  });

test('pacs.008 property: streamed facts equal the parsed facts on generated messages', () => {
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  const module = pacs008.module as MessageModule<unknown>;
  fc.assert(
    fc.property(generatedPacs008, (message) => {
      const xml = pacs008.build(message);
      const facts = same(module, xml, 'generated');
      assert.equal(facts.transactions.length, message.transactions.length);
    }),
    { numRuns: 50, ...(seed === undefined ? {} : { seed }) },
  );
});

test('extractFactsInTurns: the facts of extractFacts, in the same order, with a turn of the event loop every N transactions', async () => {
  const module = pacs008.module as MessageModule<unknown>;
  const [a, b] = pacs008Facts.transactions;
  const transactions = Array.from({ length: 7 }, (_, i) => {
    const t = i % 2 === 0 ? a! : b!;
    return { ...t, paymentIdentification: { ...t.paymentIdentification, transactionId: `TX-${i}`, endToEndId: `E2E-${i}` } };
  });
  const xml = pacs008.build({ ...pacs008Facts, groupHeader: { ...pacs008Facts.groupHeader, numberOfTransactions: '7' }, transactions });
  const { bytes, messageRoot, transactions: spans } = located(module, xml);
  const whole = extractFacts(bytes, messageRoot, module.transactionElement, spans, module.factSpec!);
  assert.equal(whole.transactions.length, 7);
  const seen: TransactionFacts[] = [];
  // How many transactions had been handed over at each turn of the event loop during the walk.
  const turns: number[] = [];
  let walking = true;
  const turn = (): void => {
    if (!walking) return;
    turns.push(seen.length);
    setImmediate(turn);
  };
  setImmediate(turn);
  const inTurns = await extractFactsInTurns(bytes, messageRoot, module.transactionElement, spans, module.factSpec!,
    (tx) => seen.push(tx), undefined, 3);
  walking = false;
  assert.deepStrictEqual(seen, whole.transactions, 'the same facts, in the same order');
  assert.deepStrictEqual(inTurns.group, whole.group);
  assert.deepEqual(inTurns.transactions, [], 'handed over, not kept');
  assert.deepEqual(turns, [3, 6], 'the event loop had a turn after every 3 transactions, and none after the last');
});

// ---------------------------------------------------------------- XML spellings

const minimal008 = readFileSync(join(fixtures, 'pacs.008.001.08', 'valid-minimal.xml'), 'utf8');

/** Replace the first occurrence of `from`, failing loudly if it is not there. */
function edit(xml: string, from: string | RegExp, to: string): string {
  const edited = xml.replace(from, to);
  assert.notEqual(edited, xml, `edit did not apply: ${from}`);
  return edited;
}

/** Every element of the document under prefix `p`, with the namespace declared on the root. */
function prefixed(xml: string, prefix: string): string {
  return xml
    .replace(/<(\/?)([A-Za-z][\w.-]*)(?=[\s/>])/g, `<$1${prefix}:$2`)
    .replace(/ xmlns="/, ` xmlns:${prefix}="`);
}

test('namespace prefixes: <p:Document xmlns:p=...> with every element prefixed', () => {
  for (const module of withSpec) {
    const folder = join(fixtures, module.id);
    for (const name of readdirSync(folder).filter((n) => /^valid-.*\.xml$/.test(n))) {
      const xml = prefixed(readFileSync(join(folder, name), 'utf8'), 'p');
      assert.match(xml, /<p:Document xmlns:p="urn:iso:std:iso:20022:tech:xsd:/);
      const facts = same(module, xml, `prefixed ${name}`);
      assert.deepStrictEqual(facts, parsed(module, readFileSync(join(folder, name), 'utf8')));
    }
  }
});

test('comments between elements, with look-alike markup inside them', () => {
  let xml = edit(minimal008, '<MsgId>BANKDEFF-20250314-000001</MsgId>', '<!-- a comment with <MsgId>X</MsgId> and - dashes --><MsgId>BANKDEFF-20250314-000001</MsgId>');
  xml = edit(xml, '<TxId>BANKDEFF-TX-000001</TxId>', '<!-- <TxId>NOT-THIS</TxId> --><TxId>BANKDEFF-TX-000001</TxId>\n<!--y-->');
  xml = edit(xml, '<BICFI>COBADEFFXXX</BICFI>', '<BICFI>COBADEFFXXX</BICFI><!-- <BICFI>XXXXDEFFXXX</BICFI> -->');
  xml = edit(xml, '<IntrBkSttlmAmt Ccy="EUR">1250.00</IntrBkSttlmAmt>', '<!-- Ccy="USD" --><IntrBkSttlmAmt Ccy="EUR">1250.00</IntrBkSttlmAmt>');
  xml = edit(xml, '<IBAN>DE89370400440532013000</IBAN>', '<IBAN>DE89370400440532013000</IBAN> <!-- <IBAN>XX00</IBAN> -->');
  const facts = same(pacs008.module as MessageModule<unknown>, xml, 'comments');
  assert.equal(facts.group.messageId, 'BANKDEFF-20250314-000001');
  assert.equal(facts.transactions[0]!.transactionId, 'BANKDEFF-TX-000001');
  assert.equal(facts.transactions[0]!.creditorAgent, 'COBADEFFXXX');
  assert.deepStrictEqual(facts.transactions[0]!.amount, { currency: 'EUR', value: '1250.00' });
  assert.deepStrictEqual(facts.transactions[0]!.ibans.map((i) => i.value), ['DE89370400440532013000', 'DE44500105175407324931']);
});

test('entities and character references in values are decoded, by the extractor and by the parser alike', () => {
  let xml = edit(minimal008, '<Nm>Muster Handels GmbH</Nm>', '<Nm>Muster &amp; S&#246;hne &lt;GmbH&gt;</Nm>');
  xml = edit(xml, '<MsgId>BANKDEFF-20250314-000001</MsgId>', '<MsgId>A&amp;B&lt;C&gt;D&quot;E&apos;F&amp;amp;</MsgId>');
  xml = edit(xml, '<TxId>BANKDEFF-TX-000001</TxId>', '<TxId>&amp;TX-&#65;&#x42;&#x1F600;</TxId>');
  const facts = same(pacs008.module as MessageModule<unknown>, xml, 'entities');
  assert.equal(facts.group.messageId, 'A&B<C>D"E\'F&amp;');
  assert.equal(facts.transactions[0]!.transactionId, '&TX-AB\u{1F600}');
});

test('spellings outside the lexical profile are refused by the scan before any reader sees them', () => {
  const refused: Array<[string, string]> = [
    ['<MsgId> BANKDEFF-<!-- a comment -->20250314-000001 </MsgId>', 'comment in a value'],
    ['<MsgId>BANKDEFF<![CDATA[-20250314-]]>000001</MsgId>', 'CDATA'],
    ['<MsgId>BANKDEFF-<?pi a > b?>20250314-000001</MsgId>', 'processing instruction'],
    ['<MsgId> BANKDEFF-20250314-000001</MsgId>', 'leading space'],
    ['<MsgId>BANKDEFF-20250314-000001\r\n</MsgId>', 'trailing CR LF'],
    ['<MsgId>BANKDEFF-\r20250314-000001</MsgId>', 'CR inside'],
    ['<MsgId>&#32;BANKDEFF-20250314-000001</MsgId>', 'space as a reference'],
    ['<MsgId>BANKDEFF-20250314-000001\u00a0</MsgId>', 'trailing no-break space (JavaScript trims it, XML does not)'],
    ['<MsgId>&#xA0;BANKDEFF-20250314-000001</MsgId>', 'no-break space as a reference'],
  ];
  for (const [spelling, what] of refused) {
    const xml = edit(minimal008, '<MsgId>BANKDEFF-20250314-000001</MsgId>', spelling);
    const scan = scanXml(encoder.encode(xml));
    assert.equal(scan.findings.length, 1, what);
    assert.equal(scan.findings[0]!.code, 'FF01', `${what}: ${scan.findings[0]!.message}`);
    assert.equal(scan.findings[0]!.path, '/Document/FIToFICstmrCdtTrf/GrpHdr/MsgId', what);
    assert.equal(scan.findings[0]!.line, 5, what);
  }
});

test('self-closing empty elements', () => {
  let xml = edit(minimal008, '<InstrId>INSTR-000001</InstrId>', '<InstrId/>');
  xml = edit(xml, '<UETR>3f2b8c1e-7d4a-4e6b-9a1c-5b2d8e0f4a71</UETR>', '<UETR />');
  xml = edit(xml, '<TxId>BANKDEFF-TX-000002</TxId>', '<TxId></TxId>');
  xml = edit(xml, '<Ustrd>Invoice 2025-0042</Ustrd>', '<Ustrd/><Ustrd>Invoice 2025-0042</Ustrd>');
  xml = edit(xml, /<Dbtr>\s*<Nm>Muster Handels GmbH<\/Nm>\s*<\/Dbtr>/, '<Dbtr/>');
  xml = edit(xml, '<CtrlSum>1751.25</CtrlSum>', '<CtrlSum/>');
  const facts = same(pacs008.module as MessageModule<unknown>, xml, 'self-closing');
  assert.equal(facts.transactions[0]!.uetr, '');
  assert.equal(facts.transactions[1]!.transactionId, '');
  assert.equal(facts.group.controlSum, '');
  assert.equal(facts.transactions[0]!.debtorAgent, 'BANKDEFFXXX');
});

test('elements split across lines, attributes in single quotes, CRLF line ends', () => {
  let xml = edit(minimal008, '<IntrBkSttlmAmt Ccy="EUR">1250.00</IntrBkSttlmAmt>', '<IntrBkSttlmAmt\n        Ccy = \'EUR\'\n      >1250.00</IntrBkSttlmAmt\n      >');
  xml = edit(xml, '<TtlIntrBkSttlmAmt Ccy="EUR">1751.25</TtlIntrBkSttlmAmt>', '<TtlIntrBkSttlmAmt\r\n  Ccy="EUR">1751.25</TtlIntrBkSttlmAmt\r\n>');
  xml = edit(xml, '<TxId>BANKDEFF-TX-000001</TxId>', '<TxId\n>BANKDEFF-TX-000001</TxId\n>');
  xml = edit(xml, /<DbtrAgt>\s*<FinInstnId>\s*<BICFI>BANKDEFFXXX<\/BICFI>/, '<DbtrAgt\n><FinInstnId\n\t><BICFI\n>BANKDEFFXXX</BICFI\n\t>');
  xml = xml.replace(/\n/g, '\r\n');
  const facts = same(pacs008.module as MessageModule<unknown>, xml, 'split tags');
  assert.deepStrictEqual(facts.transactions[0]!.amount, { currency: 'EUR', value: '1250.00' });
  assert.deepStrictEqual(facts.group.totalAmount, { currency: 'EUR', value: '1751.25' });
  assert.equal(facts.transactions[0]!.transactionId, 'BANKDEFF-TX-000001');
  assert.equal(facts.transactions[0]!.debtorAgent, 'BANKDEFFXXX');
});

// ---------------------------------------------------------------- parts of a transaction the models do not read

const agent = (element: string, bicfi: string): string => `<${element}><FinInstnId><BICFI>${bicfi}</BICFI></FinInstnId></${element}>`;
const ibanAccount = (element: string, iban: string): string => `<${element}><Id><IBAN>${iban}</IBAN></Id></${element}>`;

test('pacs.004: BICs in RtrChain and under OrgnlTxRef/MndtRltdInf are left out on both paths', async () => {
  const module = moduleById('pacs.004.001.09');
  let xml = readFileSync(join(fixtures, module.id, 'valid-minimal.xml'), 'utf8');
  xml = edit(xml, '<RtrRsnInf>', `<RtrChain><Dbtr>${agent('Agt', 'DEUTDEFFXXX')}</Dbtr>${agent('DbtrAgt', 'BNPAFRPPXXX')}` +
    `<Cdtr><Pty><Nm>X</Nm></Pty></Cdtr></RtrChain><RtrRsnInf>`);
  xml = edit(xml, /(<OrgnlTxRef>[\s\S]*?<\/SttlmInf>)/, `$1<MndtRltdInf><AmdmntInfDtls>${ibanAccount('OrgnlDbtrAcct', IBAN.carol)}` +
    `${agent('OrgnlDbtrAgt', 'INGBNL2A')}</AmdmntInfDtls></MndtRltdInf>`);
  assert.deepStrictEqual(await schemaErrors(module.id, xml), []);
  const facts = same(module, xml, 'RtrChain and MndtRltdInf');
  assert.deepStrictEqual(facts.transactions[0]!.bics.map((b) => b.value), ['BANKDEFFXXX', 'COBADEFFXXX']);
  assert.deepStrictEqual(facts.transactions[0]!.ibans.map((b) => b.path), ['TxInf[0]/OrgnlTxRef/DbtrAcct/Id/IBAN', 'TxInf[0]/OrgnlTxRef/CdtrAcct/Id/IBAN']);
  assert.equal(facts.transactions[0]!.amountElement, 'RtrdIntrBkSttlmAmt');
});

test('pacs.002: BICs and IBANs in ChrgsInf and under OrgnlTxRef agent accounts are left out on both paths', async () => {
  const module = moduleById('pacs.002.001.10');
  let xml = readFileSync(join(fixtures, module.id, 'valid-minimal.xml'), 'utf8');
  xml = edit(xml, '</StsRsnInf>', `</StsRsnInf><ChrgsInf><Amt Ccy="EUR">1.00</Amt>${agent('Agt', 'DEUTDEFFXXX')}</ChrgsInf>`);
  xml = edit(xml, /(<\/DbtrAgt>)(\s*<CdtrAgt>)/, `$1${ibanAccount('DbtrAgtAcct', IBAN.dave)}$2`);
  xml = edit(xml, /(<OrgnlTxRef>[\s\S]*?<\/CdtrAgt>)/, `$1${ibanAccount('CdtrAgtAcct', IBAN.bob)}<Cdtr>${agent('Agt', 'ABNANL2A')}</Cdtr>`);
  assert.deepStrictEqual(await schemaErrors(module.id, xml), []);
  const facts = same(module, xml, 'ChrgsInf and agent accounts');
  assert.deepStrictEqual(facts.transactions[0]!.bics.map((b) => b.value), ['BANKDEFFXXX', 'DEUTDEFFXXX', 'ABNANL2A']);
  assert.deepStrictEqual(facts.transactions[0]!.ibans, []);
});

test('pacs.028: OrgnlTxRef is left out on both paths', async () => {
  const module = moduleById('pacs.028.001.03');
  let xml = readFileSync(join(fixtures, module.id, 'valid-minimal.xml'), 'utf8');
  xml = edit(xml, '</TxInf>', `${agent('InstgAgt', 'BANKDEFFXXX')}<OrgnlTxRef>${agent('DbtrAgt', 'DEUTDEFFXXX')}` +
    `${ibanAccount('CdtrAcct', IBAN.alice)}</OrgnlTxRef></TxInf>`);
  assert.deepStrictEqual(await schemaErrors(module.id, xml), []);
  const facts = same(module, xml, 'OrgnlTxRef');
  assert.deepStrictEqual(facts.transactions[0]!.bics, [{ path: 'TxInf[0]/InstgAgt/FinInstnId/BICFI', value: 'BANKDEFFXXX' }]);
  assert.deepStrictEqual(facts.transactions[0]!.ibans, []);
});

test('pacs.009: agents of every party, several transactions', async () => {
  const module = moduleById('pacs.009.001.08');
  const xml = readFileSync(join(fixtures, module.id, 'valid-minimal.xml'), 'utf8');
  const tx = /<CdtTrfTxInf>[\s\S]*<\/CdtTrfTxInf>/.exec(xml)![0];
  const second = tx.replace('BANKDEFF-LIQ-TX-0001', 'TX-2').replace(/(<\/DbtrAcct>)/, `$1${agent('DbtrAgt', 'DEUTDEFFXXX')}`)
    .replace(/(<IntrBkSttlmAmt[^>]*>[^<]*<\/IntrBkSttlmAmt>)/, `$1<IntrBkSttlmDt>2025-03-14</IntrBkSttlmDt>`);
  const two = xml.replace(tx, `${tx}\n    ${second}`);
  assert.deepStrictEqual(await schemaErrors(module.id, two), []);
  const facts = same(module, two, 'two transactions');
  assert.equal(facts.transactions.length, 2);
  assert.equal(facts.transactions[1]!.debtorAgent, 'DEUTDEFFXXX');
  assert.equal(facts.transactions[1]!.path, 'CdtTrfTxInf[1]');
});
