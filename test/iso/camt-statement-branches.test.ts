/**
 * The camt report modules read every branch the scheme schema allows, and the payment rules stay off
 * statements (issue 13):
 * - a related party given as an agent (RltdPties/Dbtr/Agt), a party without a name, and a proprietary
 *   entry status are read, from XML written by hand (not by our builder);
 * - a statement whose payment entry and charges entry share a UETR passes the whole validation
 *   pipeline (scheme XSD, then the rules) without a duplicate finding, while the same UETR twice in a
 *   pacs.008 is still a duplicate.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as camt053 from '../../switch/iso/messages/camt.053.001.08/index.ts';
import * as camt060 from '../../switch/iso/messages/camt.060.001.05/index.ts';
import { checkMessage } from '../../switch/validation/rules.ts';
import { validateFile } from '../../switch/validation/pipeline.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { REASON } from '../../switch/iso/reason-codes.ts';
import type { TransactionFacts } from '../../switch/iso/message.ts';
import { camt053WithCharges } from './camt-admi-samples.ts';
import { officialSchemaErrors, officialSchemaMissing } from './official-xsd.ts';
import { requireOrSkip } from '../support/prerequisites.ts';

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const statementXml = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>STM-1</MsgId><CreDtTm>2026-12-04T18:00:00Z</CreDtTm></GrpHdr>
<Stmt><Id>STM-1-A</Id><Acct><Id><Othr><Id>SETTLE-BANKDEFF</Id></Othr></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-04</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Prtry>SETTLED-BY-AGENT</Prtry></Sts>
<BkTxCd><Prtry><Cd>SI</Cd></Prtry></BkTxCd>
<NtryDtls><TxDtls><RltdPties>
<Dbtr><Agt><FinInstnId><BICFI>BANKDEFFXXX</BICFI></FinInstnId></Agt></Dbtr>
<UltmtDbtr><Pty><Id><OrgId><AnyBIC>BANKDEFFXXX</AnyBIC></OrgId></Id></Pty></UltmtDbtr>
<Cdtr><Pty/></Cdtr>
<UltmtCdtr><Agt><FinInstnId><BICFI>CLRHDEFFXXX</BICFI></FinInstnId></Agt></UltmtCdtr>
</RltdPties></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>`;

test('camt.053: a related party given as an agent, an empty party and a proprietary status are read', async (t) => {
  const message = camt053.parseXml(statementXml);
  const entry = message.statements[0]!.entries[0]!;
  assert.deepStrictEqual(entry.status, { proprietary: 'SETTLED-BY-AGENT' });
  const tx = entry.details[0]!.transactions[0]!;
  assert.deepStrictEqual(tx.debtor, { agent: 'BANKDEFFXXX' });
  assert.deepStrictEqual(tx.ultimateDebtor, { anyBic: 'BANKDEFFXXX' });
  assert.deepStrictEqual(tx.creditor, {});
  assert.deepStrictEqual(tx.ultimateCreditor, { agent: 'CLRHDEFFXXX' });
  // written back as read, and the agent BICs are among the facts (checked for BIC format)
  assert.deepStrictEqual(camt053.parseXml(camt053.build(message)), message);
  const bics = camt053.module.facts(message).transactions[0]!.bics.map((b) => `${b.path}=${b.value}`);
  assert.ok(bics.includes('Stmt[0]/Ntry[0]/NtryDtls[0]/TxDtls[0]/RltdPties/Dbtr/Agt/FinInstnId/BICFI=BANKDEFFXXX'), bics.join());
  if (requireOrSkip(t, officialSchemaMissing(camt053.module.id))) return;
  assert.deepStrictEqual(await officialSchemaErrors(camt053.module.id, [{ name: 'hand', xml: statementXml }]), []);
});

test('camt.060: an account owner given as a party without a name, or by AnyBIC, is read', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.060.001.05"><AcctRptgReq>
<GrpHdr><MsgId>REQ-1</MsgId><CreDtTm>2026-12-04T10:00:00Z</CreDtTm></GrpHdr>
<RptgReq><ReqdMsgNmId>camt.052.001.08</ReqdMsgNmId><AcctOwnr><Pty><Id><OrgId><AnyBIC>BANKDEFFXXX</AnyBIC></OrgId></Id></Pty></AcctOwnr></RptgReq>
<RptgReq><ReqdMsgNmId>camt.052.001.08</ReqdMsgNmId><AcctOwnr><Pty/></AcctOwnr></RptgReq>
</AcctRptgReq></Document>`;
  const message = camt060.parseXml(xml);
  assert.deepStrictEqual(message.requests.map((r) => r.accountOwner), [{ anyBic: 'BANKDEFFXXX' }, {}]);
  assert.deepStrictEqual(camt060.module.facts(message).transactions[0]!.bics,
    [{ path: 'RptgReq[0]/AcctOwnr/Pty/Id/OrgId/AnyBIC', value: 'BANKDEFFXXX' }]);
});

test('rules: a statement\'s payment and charges entries sharing a UETR are not duplicates; in a pacs.008 they are', () => {
  const facts = camt053.module.facts(camt053WithCharges);
  assert.equal(facts.transactions[0]!.uetr, facts.transactions[1]!.uetr, 'the sample shares a UETR');
  const asStatement = checkMessage(facts, { rootPath: '/Document/BkToCstmrStmt', messageId: camt053.module.id });
  assert.deepStrictEqual(asStatement, []);
  const asPayment = checkMessage(facts, { rootPath: '/Document/FIToFICstmrCdtTrf', messageId: 'pacs.008.001.08' });
  assert.ok(asPayment.some((f) => f.code === REASON.duplicate && f.transactionIndex === 1), JSON.stringify(asPayment));
});

test('rules: a statement entry above the per-payment ceiling, or of zero, is booked, not refused', () => {
  const tx = (index: number, value: string): TransactionFacts =>
    ({ index, path: `Stmt[0]/Ntry[${index}]`, amount: { currency: 'EUR', value }, amountElement: 'Amt', ibans: [], bics: [] });
  const facts = { group: { messageId: 'STM' }, transactions: [tx(0, '999999999999.00'), tx(1, '0.00')] };
  assert.deepStrictEqual(checkMessage(facts, { rootPath: '/Document/BkToCstmrStmt', messageId: camt053.module.id }), []);
  const asPayment = checkMessage(facts, { rootPath: '/Document/FIToFICstmrCdtTrf', messageId: 'pacs.008.001.08' });
  for (const code of [REASON.amountOverMaximum, REASON.zeroAmount]) assert.ok(asPayment.some((f) => f.code === code), code);
});

test('pipeline: the statement with payment and charges entries under one UETR is accepted whole', async () => {
  const xml = camt053.build(camt053WithCharges);
  const report = await validateFile(new TextEncoder().encode(xml), { xsd });
  assert.deepStrictEqual(report.findings, []);
  assert.deepStrictEqual(report.transactions.map((t) => t.status), ['ACCP', 'ACCP']);
});
