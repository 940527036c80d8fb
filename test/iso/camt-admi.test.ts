/**
 * The cash-management and admin message modules (camt.056, camt.029, camt.052, camt.053, camt.054,
 * camt.060, admi.002, admi.004): round trip of realistic models, conformance of every built document
 * to the official XSD, repeatingElements against the XSD, parser behaviour (exact strings, arrays,
 * namespace check), the facts of a camt.056 and a camt.053, and the repository fixtures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessageModule } from '../../switch/iso/message.ts';
import { createParser, type XmlElement } from '../../switch/iso/xml.ts';
import * as admi002 from '../../switch/iso/messages/admi.002.001.01/index.ts';
import * as admi004 from '../../switch/iso/messages/admi.004.001.02/index.ts';
import * as camt029 from '../../switch/iso/messages/camt.029.001.09/index.ts';
import * as camt052 from '../../switch/iso/messages/camt.052.001.08/index.ts';
import * as camt053 from '../../switch/iso/messages/camt.053.001.08/index.ts';
import * as camt054 from '../../switch/iso/messages/camt.054.001.08/index.ts';
import * as camt056 from '../../switch/iso/messages/camt.056.001.08/index.ts';
import * as camt060 from '../../switch/iso/messages/camt.060.001.05/index.ts';
import { officialSchemaErrors, officialSchemaMissing, officialXsdDirectory } from './official-xsd.ts';
import {
  BIC, IBAN, admi002Samples, admi004Samples, camt029Samples, camt052Samples, camt053Samples, camt054Samples,
  camt056Samples, camt060Samples,
} from './camt-admi-samples.ts';
import { requireOrSkip } from '../support/prerequisites.ts';

interface Suite {
  readonly module: MessageModule<unknown>;
  readonly build: (message: unknown) => string;
  readonly parseXml: (xml: string) => unknown;
  readonly samples: Readonly<Record<string, unknown>>;
}

function suite<M>(
  messageModule: { module: MessageModule<M>; build(message: M): string; parseXml(xml: string): M },
  samples: Readonly<Record<string, M>>,
): Suite {
  return { ...messageModule, samples } as unknown as Suite;
}

const suites: readonly Suite[] = [
  suite(camt056, camt056Samples),
  suite(camt029, camt029Samples),
  suite(camt052, camt052Samples),
  suite(camt053, camt053Samples),
  suite(camt054, camt054Samples),
  suite(camt060, camt060Samples),
  suite(admi002, admi002Samples),
  suite(admi004, admi004Samples),
];

for (const { module, build, parseXml, samples } of suites) {
  test(`${module.id}: parseXml(build(m)) deep-equals m for every sample`, () => {
    assert.ok(Object.keys(samples).length >= 2, 'several samples per message');
    for (const [name, sample] of Object.entries(samples)) {
      assert.deepStrictEqual(parseXml(build(sample)), sample, name);
    }
  });

  test(`${module.id}: every built sample and rebuilt fixture is valid against the official schema`, async (t) => {
    if (requireOrSkip(t, officialSchemaMissing(module.id))) return;
    const documents = [
      ...Object.entries(samples).map(([name, sample]) => ({ name, xml: build(sample) })),
      ...rebuiltFixtures(module.id, build, parseXml),
    ];
    assert.deepStrictEqual(await officialSchemaErrors(module.id, documents), []);
  });

  test(`${module.id}: repeatingElements lists exactly the maxOccurs > 1 elements of the official schema`, (t) => {
    if (requireOrSkip(t, officialSchemaMissing(module.id))) return;
    const xsd = readFileSync(join(officialXsdDirectory, `${module.id}.xsd`), 'utf8');
    const repeating = new Set<string>();
    for (const [element] of xsd.matchAll(/<xs:element\b[^>]*>/g)) {
      const maxOccurs = /maxOccurs="([^"]+)"/.exec(element)?.[1];
      const name = /\bname="([^"]+)"/.exec(element)?.[1];
      if (name && maxOccurs && (maxOccurs === 'unbounded' || Number(maxOccurs) > 1)) repeating.add(name);
    }
    assert.deepStrictEqual([...module.repeatingElements].sort(), [...repeating].sort());
  });

  test(`${module.id}: the build starts with the declaration and the module's namespace`, () => {
    const xml = build(Object.values(samples)[0]);
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="' + module.namespace + '">'));
    assert.ok(xml.includes(`<${module.rootElement}>`));
  });
}

// ---- parser behaviour ----

const camt054Xml = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>0007</MsgId><CreDtTm>2025-03-14T10:00:05+01:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>000123</Id>
      <ElctrncSeqNb>0042</ElctrncSeqNb>
      <Acct><Id><IBAN>${IBAN.settlementFrankfurt}</IBAN></Id></Acct>
      <TxsSummry><TtlNtries><NbOfNtries>01</NbOfNtries><Sum>1234567890123.10</Sum></TtlNtries></TxsSummry>
      <Ntry>
        <Amt Ccy="EUR">1234567890123.10</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BkTxCd><Prtry><Cd>1e5</Cd></Prtry></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>1.10</EndToEndId></Refs>
          <Amt Ccy="EUR">0001.100</Amt>
          <RmtInf><Ustrd>only one line</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>`;

test('camt.054: amounts, sums, ids and codes stay exact strings', async (t) => {
  const message = camt054.parseXml(camt054Xml);
  const notification = message.notifications[0]!;
  const entry = notification.entries[0]!;
  assert.equal(message.groupHeader.messageId, '0007');
  assert.equal(notification.id, '000123');
  assert.equal(notification.electronicSequenceNumber, '0042');
  assert.deepStrictEqual(notification.summary, { total: { count: '01', sum: '1234567890123.10' } });
  assert.deepStrictEqual(entry.amount, { currency: 'EUR', value: '1234567890123.10' });
  assert.deepStrictEqual(entry.bankTransactionCode, { proprietary: { code: '1e5' } });
  const details = entry.details[0]!.transactions[0]!;
  assert.deepStrictEqual(details.amount, { currency: 'EUR', value: '0001.100' });
  assert.equal(details.references?.endToEndId, '1.10');
  // and they are written back unchanged
  const rebuilt = camt054.build(message);
  assert.ok(rebuilt.includes('<Amt Ccy="EUR">0001.100</Amt>'));
  assert.ok(rebuilt.includes('<Sum>1234567890123.10</Sum>'));
  if (requireOrSkip(t, officialSchemaMissing(camt054.module.id))) return;
  assert.deepStrictEqual(await officialSchemaErrors(camt054.module.id, [{ name: 'exact', xml: camt054Xml }, { name: 'rebuilt', xml: rebuilt }]), []);
});

test('camt.054: single occurrences of repeating elements parse as arrays', () => {
  const raw = createParser(camt054.module.repeatingElements).parse(camt054Xml) as { Document: XmlElement };
  const root = raw.Document['BkToCstmrDbtCdtNtfctn'] as XmlElement;
  assert.ok(Array.isArray(root['Ntfctn']));
  const notification = (root['Ntfctn'] as XmlElement[])[0]!;
  for (const name of ['Ntry', 'Id']) assert.ok(Array.isArray(notification[name]), name);
  const message = camt054.parseXml(camt054Xml);
  assert.equal(message.notifications.length, 1);
  assert.equal(message.notifications[0]!.entries.length, 1);
  assert.equal(message.notifications[0]!.entries[0]!.details[0]!.transactions.length, 1);
  assert.deepStrictEqual(message.notifications[0]!.entries[0]!.details[0]!.transactions[0]!.remittanceInformation, ['only one line']);
});

test('admi.004 and camt.056: a single EvtParam / CxlRsnInf / AddtlInf is still a list', () => {
  const event = admi004.parseXml(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:admi.004.001.02"><SysEvtNtfctn><EvtInf>
<EvtCd>PSUS</EvtCd><EvtParam>${BIC.ing}</EvtParam></EvtInf></SysEvtNtfctn></Document>`);
  assert.deepStrictEqual(event, { event: { code: 'PSUS', parameters: [BIC.ing] } });
  assert.equal(admi004.schemeEventName(event.event.code), 'PARTICIPANT_SUSPENDED');
  assert.equal(admi004.schemeEventName('ZZZZ'), undefined);

  const recall = camt056.parseXml(camt056.build(camt056Samples['duplicateRecall']!).replace(
    '<AddtlInf>Second copy: BANKDEFF-TX-000002</AddtlInf>', ''));
  assert.deepStrictEqual(recall.underlying[0]!.transactions[0]!.reasons[0]!.additionalInformation, ['Sent twice by the bulk channel']);
});

test('admi.004: every scheme event code fits EvtCd (Max4AlphaNumericText)', () => {
  const codes = Object.values(admi004.schemeEvents);
  assert.equal(new Set(codes).size, codes.length, 'codes are distinct');
  for (const code of codes) assert.match(code, /^[a-zA-Z0-9]{1,4}$/);
});

test('parseXml refuses a document of another message version', () => {
  const statement = camt053.build(camt053Samples['cycleStatement']!);
  assert.throws(() => camt052.parseXml(statement), /namespace urn:iso:std:iso:20022:tech:xsd:camt\.052\.001\.08/);
});

test('parseXml reads a namespace-prefixed document', () => {
  const prefixed = `<?xml version="1.0" encoding="UTF-8"?>
<c:Document xmlns:c="urn:iso:std:iso:20022:tech:xsd:admi.002.001.01"><c:admi.002.001.01>
<c:RltdRef><c:Ref>REF-1</c:Ref></c:RltdRef><c:Rsn><c:RjctgPtyRsn>FF01</c:RjctgPtyRsn></c:Rsn>
</c:admi.002.001.01></c:Document>`;
  assert.deepStrictEqual(admi002.parseXml(prefixed), { relatedReference: 'REF-1', reason: { rejectingPartyReason: 'FF01' } });
});

// ---- facts ----

test('camt.056 facts: group from the assignment, one TransactionFacts per TxInf with located BICs', () => {
  const recall: camt056.Camt056 = {
    assignment: { id: 'BANKDEFF-RCL-0009', assigner: BIC.bankFrankfurt, assignee: BIC.switch, creationDateTime: '2025-03-15T10:30:00Z' },
    case: { id: 'CASE-9', creator: BIC.bankFrankfurt },
    underlying: [{
      transactions: [
        {
          cancellationId: 'CXL-1',
          originalEndToEndId: 'E2E-1',
          originalTransactionId: 'TX-1',
          originalUetr: '3f2b8c1e-7d4a-4e6b-9a1c-5b2d8e0f4a71',
          originalInterbankSettlementAmount: { currency: 'EUR', value: '10.50' },
          originalInterbankSettlementDate: '2025-03-14',
          reasons: [{ reason: { code: 'DUPL' }, additionalInformation: [] }],
        },
        {
          cancellationId: 'CXL-2',
          case: { id: 'CASE-9-2', creator: BIC.commerzbank },
          originalTransactionId: 'TX-2',
          reasons: [{ reason: { code: 'FRAD' }, additionalInformation: [] }],
        },
      ],
    }],
  };
  const assignmentBics = [
    { path: 'Assgnmt/Assgnr/Agt/FinInstnId/BICFI', value: BIC.bankFrankfurt },
    { path: 'Assgnmt/Assgne/Agt/FinInstnId/BICFI', value: BIC.switch },
    { path: 'Case/Cretr/Agt/FinInstnId/BICFI', value: BIC.bankFrankfurt },
  ];
  assert.deepStrictEqual(camt056.module.facts(recall), {
    group: {
      messageId: 'BANKDEFF-RCL-0009',
      creationDateTime: '2025-03-15T10:30:00Z',
      instructingAgent: BIC.bankFrankfurt,
      instructedAgent: BIC.switch,
    },
    transactions: [
      {
        index: 0,
        path: 'Undrlyg[0]/TxInf[0]',
        transactionId: 'CXL-1',
        endToEndId: 'E2E-1',
        uetr: '3f2b8c1e-7d4a-4e6b-9a1c-5b2d8e0f4a71',
        amount: { currency: 'EUR', value: '10.50' },
        amountElement: 'OrgnlIntrBkSttlmAmt',
        instructingAgent: BIC.bankFrankfurt,
        instructedAgent: BIC.switch,
        ibans: [],
        bics: assignmentBics,
      },
      {
        index: 1,
        path: 'Undrlyg[0]/TxInf[1]',
        transactionId: 'CXL-2',
        instructingAgent: BIC.bankFrankfurt,
        instructedAgent: BIC.switch,
        ibans: [],
        bics: [...assignmentBics, { path: 'Undrlyg[0]/TxInf[1]/Case/Cretr/Agt/FinInstnId/BICFI', value: BIC.commerzbank }],
      },
    ],
  });
  // Facts of the parsed document equal the facts of the model.
  assert.deepStrictEqual(camt056.module.facts(camt056.parseXml(camt056.build(recall))), camt056.module.facts(recall));
});

test('camt.056 facts: transactions in separate Undrlyg are indexed across the message', () => {
  const facts = camt056.module.facts(camt056Samples['twoUnderlyingFraudAndProprietary']!);
  assert.deepStrictEqual(facts.transactions.map((tx) => [tx.index, tx.path, tx.transactionId]), [
    [0, 'Undrlyg[0]/TxInf[0]', 'BANKDEFF-CXL-0003'],
    [1, 'Undrlyg[0]/TxInf[1]', 'BANKDEFF-CXL-0004'],
    [2, 'Undrlyg[1]/TxInf[0]', 'BANKDEFF-CXL-0005'],
  ]);
});

test('camt.053 facts: one per entry, with the account IBAN, servicer BIC and transaction agents located', () => {
  const facts = camt053.module.facts(camt053Samples['cycleStatement']!);
  assert.deepStrictEqual(facts.group, { messageId: 'CLRH-STM-20250314-BANKDEFF-01', creationDateTime: '2025-03-14T18:30:00+01:00' });
  assert.equal(facts.transactions.length, 2);
  const [credit, batch] = facts.transactions;
  assert.deepStrictEqual(credit, {
    index: 0,
    path: 'Stmt[0]/Ntry[0]',
    transactionId: 'CLRH-20250314-C1-000017',
    endToEndId: 'INV-2025-0042',
    uetr: '3f2b8c1e-7d4a-4e6b-9a1c-5b2d8e0f4a71',
    amount: { currency: 'EUR', value: '1250.00' },
    amountElement: 'Amt',
    debtorAgent: BIC.commerzbank,
    creditorAgent: BIC.bankFrankfurt,
    ibans: [
      { path: 'Stmt[0]/Acct/Id/IBAN', value: IBAN.settlementFrankfurt },
      { path: 'Stmt[0]/Ntry[0]/NtryDtls[0]/TxDtls[0]/RltdPties/DbtrAcct/Id/IBAN', value: IBAN.commerzbankCustomer },
    ],
    bics: [
      { path: 'Stmt[0]/Acct/Svcr/FinInstnId/BICFI', value: BIC.switch },
      { path: 'Stmt[0]/Ntry[0]/NtryDtls[0]/TxDtls[0]/RltdAgts/DbtrAgt/FinInstnId/BICFI', value: BIC.commerzbank },
      { path: 'Stmt[0]/Ntry[0]/NtryDtls[0]/TxDtls[0]/RltdAgts/CdtrAgt/FinInstnId/BICFI', value: BIC.bankFrankfurt },
    ],
  });
  // A batch entry: no single end-to-end id or agents, but every agent BIC and IBAN is located.
  assert.equal(batch!.transactionId, 'CYCLE1-BANKDEFF-DBIT');
  assert.equal(batch!.endToEndId, undefined);
  assert.equal(batch!.creditorAgent, undefined);
  assert.deepStrictEqual(batch!.bics.map((b) => b.value), [BIC.switch, BIC.ing, BIC.bnp]);
  assert.deepStrictEqual(batch!.ibans.map((b) => b.value), [IBAN.settlementFrankfurt, IBAN.ingCustomer]);
});

test('camt.060 and admi facts', () => {
  const facts = camt060.module.facts(camt060Samples['statementsForPeriod']!);
  assert.deepStrictEqual(facts.transactions.map((tx) => [tx.path, tx.ibans, tx.bics]), [
    ['RptgReq[0]', [{ path: 'RptgReq[0]/Acct/Id/IBAN', value: IBAN.settlementFrankfurt }], [{ path: 'RptgReq[0]/AcctOwnr/Agt/FinInstnId/BICFI', value: BIC.bankFrankfurt }]],
    ['RptgReq[1]', [], []],
    ['RptgReq[2]', [], [{ path: 'RptgReq[2]/AcctOwnr/Agt/FinInstnId/BICFI', value: BIC.ing }]],
  ]);
  assert.deepStrictEqual(admi002.module.facts(admi002Samples['minimal']!), { group: { messageId: '' }, transactions: [] });
  assert.deepStrictEqual(admi004.module.facts(admi004Samples['unwoundTwoParticipants']!).group,
    { messageId: '', creationDateTime: '2025-03-14T16:05:00Z' });
});

// ---- repository fixtures ----

const fixturesDirectory = join(resolve(fileURLToPath(import.meta.url), '..', '..'), 'fixtures');

function validFixtures(messageId: string): { name: string; xml: string }[] {
  const directory = join(fixturesDirectory, messageId);
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.startsWith('valid') && file.endsWith('.xml'))
    .map((file) => ({ name: `fixture-${file.replace(/\.xml$/, '')}`, xml: readFileSync(join(directory, file), 'utf8') }));
}

/** The valid fixtures of a message, parsed and built again (what the switch would send). */
function rebuiltFixtures(messageId: string, build: Suite['build'], parseXml: Suite['parseXml']): { name: string; xml: string }[] {
  return validFixtures(messageId).map(({ name, xml }) => ({ name, xml: build(parseXml(xml)) }));
}

for (const { module, build, parseXml } of suites) {
  test(`${module.id}: valid fixtures parse, and their rebuild parses to the same model`, (t) => {
    const fixtures = validFixtures(module.id);
    if (requireOrSkip(t, fixtures.length === 0 && `no valid fixtures in ${join(fixturesDirectory, module.id)}`)) return;
    for (const { name, xml } of fixtures) {
      const model = parseXml(xml);
      assert.deepStrictEqual(parseXml(build(model)), model, name);
    }
  });
}
