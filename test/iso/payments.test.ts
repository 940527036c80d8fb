/**
 * The payment message modules (pacs.008, pacs.009, pacs.004, pacs.002, pacs.028, head.001):
 * round trip of realistic models, conformance of every built document to the official XSD,
 * parser behaviour (exact strings, arrays, namespace prefixes) and the facts of a pacs.008.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as head001 from '../../switch/iso/messages/head.001.001.02/index.ts';
import * as pacs002 from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import * as pacs004 from '../../switch/iso/messages/pacs.004.001.09/index.ts';
import * as pacs008 from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import * as pacs009 from '../../switch/iso/messages/pacs.009.001.08/index.ts';
import * as pacs028 from '../../switch/iso/messages/pacs.028.001.03/index.ts';
import type { MessageModule } from '../../switch/iso/message.ts';
import { officialSchemaErrors, officialSchemaMissing } from './official-xsd.ts';
import {
  BIC,
  IBAN,
  head001Samples,
  pacs002Samples,
  pacs004Samples,
  pacs008Facts,
  pacs008Samples,
  pacs009Samples,
  pacs028Samples,
} from './payment-samples.ts';
import { requireOrSkip } from '../support/prerequisites.ts';

interface Suite<M> {
  readonly module: MessageModule<M>;
  readonly build: (message: M) => string;
  readonly parseXml: (xml: string) => M;
  readonly samples: Readonly<Record<string, M>>;
}

function suite<M>(messageModule: { module: MessageModule<M>; build(m: M): string; parseXml(x: string): M }, samples: Readonly<Record<string, M>>): Suite<unknown> {
  return { module: messageModule.module, build: messageModule.build, parseXml: messageModule.parseXml, samples } as Suite<unknown>;
}

const suites: readonly Suite<unknown>[] = [
  suite(pacs008, pacs008Samples),
  suite(pacs009, pacs009Samples),
  suite(pacs004, pacs004Samples),
  suite(pacs002, pacs002Samples),
  suite(pacs028, pacs028Samples),
  suite(head001, head001Samples),
];

/** A hand-written pacs.008 as a participant would send it: one transaction, amounts and ids to keep exact. */
const handWrittenPacs008 = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">
  <FIToFICstmrCdtTrf>
    <GrpHdr>
      <MsgId>0007</MsgId>
      <CreDtTm>2024-05-13T09:30:00Z</CreDtTm>
      <NbOfTxs>1</NbOfTxs>
      <CtrlSum>1.10</CtrlSum>
      <TtlIntrBkSttlmAmt Ccy="EUR">1.10</TtlIntrBkSttlmAmt>
      <SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf>
    </GrpHdr>
    <CdtTrfTxInf>
      <PmtId><EndToEndId>000123</EndToEndId><TxId>0007</TxId></PmtId>
      <IntrBkSttlmAmt Ccy="EUR">1.10</IntrBkSttlmAmt>
      <ChrgBr>SLEV</ChrgBr>
      <Dbtr><Nm>Alice</Nm></Dbtr>
      <DbtrAcct><Id><IBAN>${IBAN.alice}</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>${BIC.deutsche}</BICFI></FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>${BIC.bnp}</BICFI></FinInstnId></CdtrAgt>
      <Cdtr><Nm>Bob</Nm></Cdtr>
      <CdtrAcct><Id><IBAN>${IBAN.bob}</IBAN></Id></CdtrAcct>
      <RmtInf><Ustrd>1e3</Ustrd></RmtInf>
    </CdtTrfTxInf>
  </FIToFICstmrCdtTrf>
</Document>
`;

/** The same document with every element in a `doc:` prefixed namespace. */
function withPrefix(xml: string): string {
  return xml.replace(/<(\/?)([A-Za-z])/g, '<$1doc:$2').replace('xmlns=', 'xmlns:doc=');
}

for (const { module, build, parseXml, samples } of suites) {
  test(`${module.id}: parseXml(build(m)) deep-equals m for every sample`, () => {
    for (const [name, sample] of Object.entries(samples)) {
      assert.deepStrictEqual(parseXml(build(sample)), sample, `sample ${name}`);
    }
  });

  test(`${module.id}: every built sample is valid against the official XSD`, async (t) => {
    if (requireOrSkip(t, officialSchemaMissing(module.id))) return;
    const documents = Object.entries(samples).map(([name, sample]) => ({ name, xml: build(sample) }));
    assert.deepStrictEqual(await officialSchemaErrors(module.id, documents), []);
  });
}

test('the modules declare their identity and transaction element', () => {
  assert.equal(pacs008.module.namespace, 'urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08');
  assert.equal(pacs008.module.transactionElement, 'CdtTrfTxInf');
  assert.equal(pacs009.module.transactionElement, 'CdtTrfTxInf');
  assert.equal(pacs004.module.transactionElement, 'TxInf');
  assert.equal(pacs002.module.transactionElement, 'TxInfAndSts');
  assert.equal(pacs028.module.transactionElement, 'TxInf');
  assert.equal(head001.module.transactionElement, undefined);
  assert.equal(head001.module.rootElement, 'AppHdr');
  assert.match(head001.build(head001Samples.minimal!), /<AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">/);
});

test('parser: amounts and ids stay exact strings; a single CdtTrfTxInf is still an array', () => {
  const message = pacs008.parseXml(handWrittenPacs008);
  assert.equal(message.groupHeader.messageId, '0007');
  assert.equal(message.groupHeader.controlSum, '1.10');
  assert.deepEqual(message.groupHeader.totalInterbankSettlementAmount, { currency: 'EUR', value: '1.10' });
  assert.equal(message.transactions.length, 1);
  const transaction = message.transactions[0]!;
  assert.equal(transaction.paymentIdentification.endToEndId, '000123');
  assert.equal(transaction.paymentIdentification.transactionId, '0007');
  assert.deepEqual(transaction.interbankSettlementAmount, { currency: 'EUR', value: '1.10' });
  assert.deepEqual(transaction.remittance, { unstructured: ['1e3'] });
  assert.deepEqual(transaction.debtorAccount, { iban: IBAN.alice });

  const root = pacs008.module.buildTree(message);
  assert.ok(Array.isArray(root.CdtTrfTxInf), 'the built tree keeps the transactions as an array');
});

test('parser: namespace-prefixed input parses the same', () => {
  const prefixed = withPrefix(handWrittenPacs008);
  assert.match(prefixed, /<doc:Document xmlns:doc="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">/);
  assert.deepStrictEqual(pacs008.parseXml(prefixed), pacs008.parseXml(handWrittenPacs008));
  const header = head001.build(head001Samples.full!);
  assert.deepStrictEqual(head001.parseXml(withPrefix(header)), head001Samples.full);
});

test('parser: hand-written and prefixed documents are valid against the official XSD', async (t) => {
  if (requireOrSkip(t, officialSchemaMissing(pacs008.module.id))) return;
  const documents = [
    { name: 'hand-written', xml: handWrittenPacs008 },
    { name: 'prefixed', xml: withPrefix(handWrittenPacs008) },
  ];
  assert.deepStrictEqual(await officialSchemaErrors(pacs008.module.id, documents), []);
});

test('parser: an xs:boolean 1 in PssblDplct reads as true', () => {
  const xml = head001.build(head001Samples.full!).replace('<PssblDplct>true</PssblDplct>', '<PssblDplct>1</PssblDplct>');
  assert.equal(head001.parseXml(xml).possibleDuplicate, true);
});

test('parser: a document without the expected root element is refused', () => {
  assert.throws(() => pacs008.parseXml(pacs009.build(pacs009Samples.interbank!)), /FIToFICstmrCdtTrf/);
});

test('facts(): counts, paths, IBANs and BICs of a two-transaction pacs.008', () => {
  const facts = pacs008.module.facts(pacs008Facts);
  assert.deepStrictEqual(facts.group, {
    messageId: 'MSG-FACTS-1',
    creationDateTime: '2024-05-13T11:00:00Z',
    numberOfTransactions: '2',
    controlSum: '30.00',
    totalAmount: { currency: 'EUR', value: '30.00' },
    settlementDate: '2024-05-14',
    settlementMethod: 'CLRG',
    instructingAgent: BIC.deutsche,
    instructedAgent: BIC.switch,
  });
  assert.equal(facts.transactions.length, 2);
  const [first, second] = facts.transactions;
  assert.deepStrictEqual(first, {
    index: 0,
    path: 'CdtTrfTxInf[0]',
    transactionId: 'TX-A',
    endToEndId: 'E2E-A',
    uetr: '11111111-2222-4333-8444-555555555555',
    amount: { currency: 'EUR', value: '10.00' },
    settlementDate: '2024-05-14',
    instructingAgent: BIC.deutsche,
    instructedAgent: BIC.switch,
    debtorAgent: BIC.deutsche,
    creditorAgent: BIC.bnp,
    ibans: [
      { path: 'CdtTrfTxInf[0]/DbtrAcct/Id/IBAN', value: IBAN.alice },
      { path: 'CdtTrfTxInf[0]/CdtrAcct/Id/IBAN', value: IBAN.bob },
    ],
    bics: [
      { path: 'CdtTrfTxInf[0]/InstgAgt/FinInstnId/BICFI', value: BIC.deutsche },
      { path: 'CdtTrfTxInf[0]/InstdAgt/FinInstnId/BICFI', value: BIC.switch },
      { path: 'CdtTrfTxInf[0]/DbtrAgt/FinInstnId/BICFI', value: BIC.deutsche },
      { path: 'CdtTrfTxInf[0]/CdtrAgt/FinInstnId/BICFI', value: BIC.bnp },
    ],
  });
  assert.equal(second!.path, 'CdtTrfTxInf[1]');
  assert.equal(second!.index, 1);
  assert.equal(second!.transactionId, 'TX-B');
  assert.equal(second!.uetr, undefined);
  assert.equal(second!.settlementDate, undefined);
  assert.deepStrictEqual(second!.ibans, [{ path: 'CdtTrfTxInf[1]/CdtrAcct/Id/IBAN', value: IBAN.carol }]);
  assert.deepStrictEqual(second!.bics.map((bic) => bic.path), [
    'CdtTrfTxInf[1]/DbtrAgt/FinInstnId/BICFI',
    'CdtTrfTxInf[1]/CdtrAgt/FinInstnId/BICFI',
  ]);
});

test('facts(): the other messages name their transactions and ids', () => {
  const returns = pacs004.module.facts(pacs004Samples.withReference!);
  assert.equal(returns.group.totalAmount?.value, '100250.50');
  assert.equal(returns.transactions[0]!.path, 'TxInf[0]');
  assert.equal(returns.transactions[0]!.transactionId, 'RTR-1');
  assert.deepStrictEqual(returns.transactions[0]!.amount, { currency: 'EUR', value: '100000.00' });
  assert.ok(returns.transactions[0]!.bics.some((bic) => bic.path === 'TxInf[0]/OrgnlTxRef/UltmtCdtr/Agt/FinInstnId/BICFI'));
  assert.ok(returns.transactions[0]!.ibans.some((iban) => iban.path === 'TxInf[0]/OrgnlTxRef/DbtrAcct/Id/IBAN'));

  const statuses = pacs002.module.facts(pacs002Samples.partial!);
  assert.deepStrictEqual(statuses.transactions.map((tx) => [tx.path, tx.transactionId]), [
    ['TxInfAndSts[0]', 'STS-1'],
    ['TxInfAndSts[1]', 'STS-2'],
  ]);
  assert.equal(statuses.transactions[0]!.amount, undefined, 'the original amount is not the report\'s');

  const settlement = pacs009.module.facts(pacs009Samples.settlement!);
  assert.deepStrictEqual(settlement.transactions[0]!.bics.map((bic) => bic.path), [
    'CdtTrfTxInf[0]/Dbtr/FinInstnId/BICFI',
    'CdtTrfTxInf[0]/Cdtr/FinInstnId/BICFI',
  ]);

  const requests = pacs028.module.facts(pacs028Samples.withGroup!);
  assert.equal(requests.transactions[0]!.transactionId, 'REQ-1');

  const header = head001.module.facts(head001Samples.full!);
  assert.deepStrictEqual(header.group, {
    messageId: 'ABNA-BAH-20240513-0001',
    creationDateTime: '2024-05-13T10:15:00Z',
    instructingAgent: BIC.abn,
    instructedAgent: BIC.switch,
  });
  assert.deepStrictEqual(header.transactions, []);
});

test('repeatingElements include every element the modules read as a list', () => {
  for (const name of ['CdtTrfTxInf', 'Ustrd', 'Strd', 'AdrLine', 'SvcLvl', 'Othr']) assert.ok(pacs008.module.repeatingElements.has(name), name);
  for (const name of ['TxInf', 'RtrRsnInf', 'AddtlInf']) assert.ok(pacs004.module.repeatingElements.has(name), name);
  for (const name of ['OrgnlGrpInfAndSts', 'TxInfAndSts', 'StsRsnInf', 'NbOfTxsPerSts']) assert.ok(pacs002.module.repeatingElements.has(name), name);
  for (const name of ['OrgnlGrpInf', 'TxInf']) assert.ok(pacs028.module.repeatingElements.has(name), name);
  assert.ok(!pacs008.module.repeatingElements.has('GrpHdr'));
});
