/**
 * The risk stage's pure parts (docs/risk.md): the facts read from a transaction element, the `risk`
 * configuration check, which limit applies (most specific rule), the order of the decision, and the
 * strict profile line parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { riskFacts, declaredAccountType, RISK_LEAF_PATHS } from '../../switch/risk/facts.ts';
import { extractFacts } from '../../switch/validation/facts.ts';
import { forwardableElement } from '../../switch/validation/forward.ts';
import { scanXml } from '../../switch/validation/scan.ts';
import * as pacs008 from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { pacs008Samples } from '../iso/payment-samples.ts';
import { checkRiskConfig, type RiskConfig } from '../../switch/risk/config.ts';
import { judge, limitResolver, resolveLimits, type LimitSelector } from '../../switch/risk/limits.ts';
import { checkHeader, parseProfileLine, ProfileFileError } from '../../switch/risk/profiles.ts';
import { checkConfig } from '../../switch/config.ts';

const TX = `<CdtTrfTxInf><PmtId><TxId>T1</TxId></PmtId><IntrBkSttlmAmt Ccy="EUR">10.00</IntrBkSttlmAmt>
<UltmtDbtr><Nm>Holding &amp; Co</Nm></UltmtDbtr>
<Dbtr><Nm>Jos&#233; <![CDATA[<Ruiz>]]></Nm><PstlAdr><Ctry>ES</Ctry></PstlAdr><Id><PrvtId><Othr><Id>CUST-9</Id></Othr></PrvtId></Id></Dbtr>
<DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id><Tp><Prtry>Business</Prtry></Tp></DbtrAcct>
<DbtrAgt><FinInstnId><BICFI>BANKDEFFXXX</BICFI></FinInstnId></DbtrAgt>
<CdtrAgt><FinInstnId><BICFI>BANKFRPPXXX</BICFI></FinInstnId></CdtrAgt>
<Cdtr><Nm> ACME  SA </Nm><Id><OrgId><AnyBIC>ACMEFRPPXXX</AnyBIC></OrgId></Id><CtryOfRes>FR</CtryOfRes></Cdtr>
<CdtrAcct><Id><Othr><Id>ACC-77</Id></Othr></Id></CdtrAcct>
<RmtInf><Ustrd>Dbtr Nm in text</Ustrd></RmtInf></CdtTrfTxInf>`;

const row = { debtorAgent: 'BANKDEFFXXX', creditorAgent: 'BANKFRPPXXX', instructingAgent: 'BANKDEFFXXX', currency: 'EUR', amountMinor: 1000n, xml: TX };

test('facts: every party, account and identification as a conforming parser reads them (references, CDATA, no trimming)', () => {
  const f = riskFacts(row, 'realtime', new Date('2026-11-26T09:00:00Z'), '2026-11-26');
  assert.deepEqual(f.debtor, { name: 'José <Ruiz>', country: 'ES', identifiedAs: 'person' });
  assert.deepEqual(f.creditor, { name: ' ACME  SA ', bic: 'ACMEFRPPXXX', country: 'FR', identifiedAs: 'organisation' });
  assert.deepEqual(f.ultimateDebtor, { name: 'Holding & Co' });
  assert.equal(f.ultimateCreditor, undefined);
  assert.equal(f.debtorAccount, 'DE89370400440532013000');
  assert.equal(f.creditorAccount, 'ACC-77');
  assert.equal(f.debtorAccountTypeCode, 'Business');
  assert.equal(f.debtorCustomer, 'CUST-9');
  assert.equal(f.amount, 1000n);
  assert.equal(declaredAccountType(f), 'business', 'the named type before the Id');
  assert.equal(declaredAccountType({ ...f, debtorAccountTypeCode: 'CACC' }), 'personal', 'an ISO code names no type: PrvtId → personal');
});

test('facts: the leaves validation reads in its own walk (extraLeaves) give the same facts as a walk of the element intake keeps', () => {
  const encoder = new TextEncoder();
  // The scan's lexical profile refuses CDATA and spaces around a value.
  const tx = TX.replace('<![CDATA[<Ruiz>]]>', '&lt;Ruiz&gt;').replace(' ACME  SA ', 'ACME  SA');
  const documents = [
    ...Object.values(pacs008Samples).map((m) => pacs008.build(m)),
    // The test's element twice in one message: once plain, once with a prefix, a comment and CRLF line ends.
    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr><MsgId>M</MsgId></GrpHdr>${tx}` +
      `<p:CdtTrfTxInf xmlns:p="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">${tx.slice('<CdtTrfTxInf>'.length, -'</CdtTrfTxInf>'.length)
        .replace(/<(\/?)(\w)/g, '<$1p:$2').replace(/\n/g, '\r\n').replace('<p:Cdtr>', '<!-- c --><p:Cdtr>')}</p:CdtTrfTxInf>` +
      '</FIToFICstmrCdtTrf></Document>',
  ];
  let compared = 0;
  for (const xml of documents) {
    const bytes = encoder.encode(xml);
    const scan = scanXml(bytes);
    assert.deepEqual(scan.findings, []);
    const messageRoot = scan.rootChildren[0]!;
    const spans = scan.depth3.filter((e) => e.localName === 'CdtTrfTxInf');
    assert.ok(spans.length > 0);
    const facts = extractFacts(bytes, messageRoot, 'CdtTrfTxInf', spans, pacs008.module.factSpec!, undefined, RISK_LEAF_PATHS).transactions;
    assert.equal(facts.length, spans.length);
    spans.forEach((span, i) => {
      const element = { ...row, xml: forwardableElement(bytes, span) };
      const leaves = facts[i]!.leaves;
      assert.ok(leaves !== undefined, 'asked for, handed over');
      const at = new Date('2026-11-26T09:00:00Z');
      assert.deepEqual(riskFacts({ ...element, riskLeaves: leaves }, 'batch', at, '2026-11-26'), riskFacts(element, 'batch', at, '2026-11-26'));
      compared++;
    });
  }
  assert.ok(compared >= documents.length + 1);
  // Without extraLeaves the facts are as before: no leaves.
  const bytes = encoder.encode(documents[0]!);
  const scan = scanXml(bytes);
  const plain = extractFacts(bytes, scan.rootChildren[0]!, 'CdtTrfTxInf', scan.depth3.filter((e) => e.localName === 'CdtTrfTxInf'), pacs008.module.factSpec!);
  assert.equal(plain.transactions[0]!.leaves, undefined);
});

const rules = (limits: unknown[], extra: Record<string, unknown> = {}): RiskConfig => {
  const problems: string[] = [];
  const config = checkRiskConfig({ limits, ...extra }, ['EUR', 'SEK'], problems);
  assert.deepEqual(problems, []);
  return config!;
};

test('configuration: every problem named with its path; the section is part of the scheme configuration', () => {
  const problems: string[] = [];
  checkRiskConfig({ limits: [{ currency: 'USD' }, { currency: 'EUR', perTransaction: '1.001', riskLevel: 'severe' },
    { currency: 'EUR', debtorAccountDaily: {} }, { currency: 'EUR', colour: 'red' }], holdScore: 80, rejectScore: 50, exactMatch: 'maybe' }, ['EUR'], problems);
  assert.deepEqual(problems, [
    'risk.limits[0].currency: one of the scheme\'s currencies (EUR) is required',
    'risk.limits[1].riskLevel: one of low, medium, high',
    'risk.limits[1].perTransaction: "1.001" is not a positive EUR amount',
    'risk.limits[2].debtorAccountDaily: name an amount, a count or both',
    'risk.limits[3].colour: unknown field (known: currency, participant, service, accountType, riskLevel, perTransaction, debtorAccountDaily, creditorAccountDaily, participantDaily)',
    'risk.rejectScore: must not be below risk.holdScore',
    'risk.exactMatch: "reject" or "hold"',
  ]);
  assert.throws(() => checkConfig({ name: 'x', currencies: ['EUR'], risk: { limits: 'none' } }), /risk\.limits: a list of rules is required/);
});

const debtor: LimitSelector = { participant: 'BANKDEFFXXX', service: 'realtime', currency: 'EUR', accountType: 'personal', riskLevel: 'high' };
const creditor: LimitSelector = { ...debtor, participant: 'BANKFRPPXXX', riskLevel: 'low' };

test('configuration: the score thresholds are given once, by the stage or by risk.scoring', () => {
  const problems: string[] = [];
  const config = checkRiskConfig({ scoring: { holdThreshold: 40, rejectThreshold: 70 } }, ['EUR'], problems);
  assert.deepEqual(problems, []);
  assert.equal(config?.holdScore, 40);
  assert.equal(config?.rejectScore, 70);
  assert.equal(config?.scoring?.rejectThreshold, 70);
  const conflicting: string[] = [];
  checkRiskConfig({ holdScore: 60, scoring: { holdThreshold: 40, rejectThreshold: 70 } }, ['EUR'], conflicting);
  assert.match(conflicting.join('; '), /give the thresholds once/);
  assert.equal(checkRiskConfig({}, ['EUR'], [])?.scoring, undefined);
});

test('limits: the most specific rule wins per limit; a participant override outranks the scheme; ties take the smaller', () => {
  const config = rules([
    { currency: 'EUR', perTransaction: '500.00', debtorAccountDaily: { amount: '900.00', count: 9 }, participantDaily: { count: 1000 } },
    { currency: 'EUR', riskLevel: 'high', perTransaction: '100.00' },
    { currency: 'EUR', accountType: 'personal', riskLevel: 'high', perTransaction: '200.00' },
    { currency: 'EUR', participant: 'BANKDEFFXXX', perTransaction: '50000.00' },
    { currency: 'EUR', service: 'realtime', debtorAccountDaily: { amount: '800.00' } },
    { currency: 'EUR', service: 'realtime', debtorAccountDaily: { amount: '700.00' } },
    { currency: 'EUR', riskLevel: 'low', creditorAccountDaily: { count: 3 } },
    { currency: 'SEK', perTransaction: '1.00' },
  ]);
  const limits = resolveLimits(config, debtor, creditor);
  assert.equal(limits.perTransaction, 5_000_000n, 'the participant\'s override');
  assert.deepEqual(limits.debtorAccountDaily, { amount: 70_000n, count: 9 }, 'service rule (more specific), the smaller of two; count from the general rule');
  assert.deepEqual(limits.creditorAccountDaily, { count: 3 }, 'the creditor side: its own risk level');
  assert.deepEqual(limits.participantDaily, { count: 1000 });
  const other = resolveLimits(config, { ...debtor, participant: 'BANKNL2AXXX' }, creditor);
  assert.equal(other.perTransaction, 20_000n, 'type and level (6) before level alone (4) before the scheme (0)');
  assert.equal(resolveLimits(config, { ...debtor, participant: 'X', riskLevel: 'medium' }, creditor).perTransaction, 50_000n);
});

test('limits: limitResolver (once per distinct selector of a group) gives what resolveLimits gives, side by side', () => {
  const config = rules([
    { currency: 'EUR', perTransaction: '500.00', debtorAccountDaily: { amount: '900.00', count: 9 }, participantDaily: { count: 1000 } },
    { currency: 'EUR', riskLevel: 'high', perTransaction: '100.00', creditorAccountDaily: { amount: '10.00' } },
    { currency: 'EUR', accountType: 'business', creditorAccountDaily: { count: 4 } },
    { currency: 'EUR', participant: 'BANKDEFFXXX', perTransaction: '50000.00', participantDaily: { amount: '1.00' } },
    { currency: 'EUR', service: 'batch', debtorAccountDaily: { amount: '800.00' } },
  ]);
  const resolve = limitResolver(config);
  const selectors: LimitSelector[] = [];
  for (const participant of ['BANKDEFFXXX', 'BANKNL2AXXX']) {
    for (const service of ['realtime', 'batch'] as const) {
      for (const accountType of ['personal', 'business'] as const) {
        for (const riskLevel of ['low', 'high'] as const) selectors.push({ participant, service, currency: 'EUR', accountType, riskLevel });
      }
    }
  }
  for (const d of selectors) {
    for (const c of selectors) {
      assert.deepEqual(resolve(d, c), resolveLimits(config, d, c));
      assert.deepEqual(resolve(d, c), resolveLimits(config, d, c), 'the second time, from the resolver\'s memory');
    }
  }
  assert.equal(resolve(selectors[3]!, selectors[5]!).creditorAccountDaily.amount, 1_000n, 'the creditor side with its own level');
  assert.equal(resolve(selectors[0]!, selectors[0]!).participantDaily.amount, 100n, 'the participant override');
});

test('judge: frozen, then per-transaction, then exact hits, then score; names and scores over the hold threshold hold', () => {
  const config = rules([], { holdScore: 60, rejectScore: 90 });
  const base = { currency: 'EUR', amount: 10_000n, limits: { perTransaction: 5_000n, debtorAccountDaily: {}, creditorAccountDaily: {}, participantDaily: {} }, hits: [] };
  const hit = (kind: 'name' | 'iban') => ({ list: 'l', entryId: '1', matched: 'X', field: 'debtor' as const, kind, similarity: kind === 'name' ? 0.9 : 1 });
  assert.equal((judge(config, { ...base, frozen: 'debtor account A' }).disposal as { code: string }).code, 'AC06');
  assert.equal((judge(config, base).disposal as { code: string }).code, 'AM02');
  const within = { ...base, amount: 100n };
  assert.equal((judge(config, { ...within, hits: [hit('iban')] }).disposal as { code: string }).code, 'RR04');
  assert.equal(judge({ ...config, exactMatch: 'hold' }, { ...within, hits: [hit('iban')] }).disposal.kind, 'hold');
  assert.equal(judge(config, { ...within, hits: [hit('name')] }).disposal.kind, 'hold');
  const score = (s: number) => ({ score: s, features: [{ name: 'velocity', value: 9, contribution: s, explanation: '' }] });
  assert.equal((judge(config, { ...within, score: score(95) }).disposal as { code: string }).code, 'FRAD');
  const held = judge(config, { ...within, score: score(60) });
  assert.deepEqual(held.disposal, { kind: 'hold', reasons: ['risk score 60.0 at or above the hold threshold 60'] });
  assert.match(held.findings[0]!.text, /top features: velocity/);
  assert.deepEqual(judge(config, { ...within, score: score(59.9) }).disposal, { kind: 'pass' });
});

test('profiles: strict lines, each refusal with its line and reason', () => {
  assert.deepEqual(parseProfileLine('csv', 'account,DE89370400440532013000,business,high,C-1', 2),
    { kind: 'account', id: 'DE89370400440532013000', accountType: 'business', riskLevel: 'high', customer: 'C-1' });
  assert.deepEqual(parseProfileLine('jsonl', '{"kind":"customer","id":"C-1","riskLevel":"low"}', 7), { kind: 'customer', id: 'C-1', riskLevel: 'low' });
  const refused = (format: 'csv' | 'jsonl', text: string, reason: RegExp): void => {
    assert.throws(() => parseProfileLine(format, text, 5), (e: unknown) => e instanceof ProfileFileError && e.line === 5 && reason.test(e.reason), text);
  };
  refused('csv', '', /empty line/);
  refused('csv', 'account,A,personal,low', /4 fields, expected 5/);
  refused('csv', 'account,"A,B",personal,low,', /quoted/);
  refused('csv', 'account,A B,personal,low,', /not an account or customer id/);
  refused('csv', 'account,A,private,low,', /account type "private"/);
  refused('csv', 'customer,C,personal,low,', /a customer has no account type/);
  refused('csv', 'loan,A,personal,low,', /kind must be/);
  refused('jsonl', '{"kind":"account","id":"A","accountType":"personal","riskLevel":"low","extra":1}', /unknown field "extra"/);
  refused('jsonl', '[1]', /a JSON object is required/);
  refused('jsonl', '{"kind":', /not JSON/);
  refused('csv', `account,${'A'.repeat(35)},personal,low,`, /not an account/);
  assert.throws(() => checkHeader('csv', 'kind,id,type,level,customer'), (e: unknown) => e instanceof ProfileFileError && e.line === 1);
});
