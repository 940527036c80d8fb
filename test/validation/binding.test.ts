/**
 * The codes and element paths of the sender-binding, directory, service/currency and amount-ceiling
 * rules (docs/scheme-rules.md "Who may send what", "One message, one service, one currency", "Amount
 * ceilings"), one case per rule. The generated attacks that prove the class are in
 * test/security/binding.test.ts; this table pins what each refusal says.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../../switch/config.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { validateFile, type FileReport } from '../../switch/validation/pipeline.ts';
import { directoryFromConfig } from '../../switch/validation/directory.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { buildBusinessMessage } from '../../switch/iso/envelope.ts';
import { build as buildPacs008, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { build as buildPacs004 } from '../../switch/iso/messages/pacs.004.001.09/index.ts';
import { build as buildCamt056 } from '../../switch/iso/messages/camt.056.001.08/index.ts';
import { limits } from '../../switch/limits.ts';
import { formatAmount } from '../../switch/iso/amount.ts';

const encoder = new TextEncoder();
const [A, B, C, D] = DEMO_BANKS.map((b) => b.bic) as [string, string, string, string];
const SWITCH = 'CLHSDEFFXXX';
const AGENT = 'MARKDEFFXXX';
const directory = directoryFromConfig(checkConfig({
  name: 'binding rules', currencies: ['EUR', 'USD'], switchBic: SWITCH,
  settlementAgent: { bic: AGENT, name: 'Central bank', settlementAccount: 'X' },
  participants: [
    { bic: A, name: 'A', status: 'active', currencies: ['EUR', 'USD'] },
    { bic: B, name: 'B', status: 'active', currencies: ['EUR'] },
    { bic: C, name: 'C', status: 'suspended', currencies: ['EUR'] },
  ],
}));

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

/** A's pacs.008 of two payments to B, changed by `edit`. */
function payments(edit: (m: Pacs008) => Pacs008 = (m) => m): string {
  const model = bulkCreditTransfer({ seed: 3, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 2, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', maxAmountMinor: 100_000 });
  return buildPacs008(edit({ ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined } }));
}
const first = (m: Pacs008, change: Partial<Pacs008['transactions'][number]>): Pacs008 =>
  ({ ...m, transactions: m.transactions.map((t, i) => (i === 0 ? { ...t, ...change } : t)) });

async function findings(xml: string, sender = A): Promise<{ report: FileReport; found: [string, string][] }> {
  const report = await validateFile(encoder.encode(xml), { xsd, sender, directory });
  return { report, found: report.findings.map((f) => [f.code, f.path]) };
}

const TX0 = '/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[0]';
const cases: [string, () => string, string | undefined, [string, string][]][] = [
  ['another participant as debtor agent', () => payments((m) => first(m, { debtorAgent: B })), A, [['AG08', `${TX0}/DbtrAgt/FinInstnId/BICFI`]]],
  ['another participant as a transaction\'s instructing agent', () => payments((m) => first(m, { instructingAgent: B })), A,
    [['AG08', `${TX0}/InstgAgt/FinInstnId/BICFI`]]],
  ['the switch as creditor agent', () => payments((m) => first(m, { creditorAgent: SWITCH })), A, [['RC04', `${TX0}/CdtrAgt/FinInstnId/BICFI`]]],
  ['the settlement agent as creditor agent (BIC8)', () => payments((m) => first(m, { creditorAgent: AGENT.slice(0, 8) })), A,
    [['RC04', `${TX0}/CdtrAgt/FinInstnId/BICFI`]]],
  ['a bank outside the scheme as creditor agent', () => payments((m) => first(m, { creditorAgent: D })), A, [['RC02', `${TX0}/CdtrAgt/FinInstnId/BICFI`]]],
  ['a suspended creditor agent', () => payments((m) => first(m, { creditorAgent: C })), A, [['AG10', `${TX0}/CdtrAgt/FinInstnId/BICFI`]]],
  ['a creditor agent not in the payment\'s currency', () => payments((m) => ({ ...m, transactions: m.transactions.map((t) =>
    ({ ...t, interbankSettlementAmount: { currency: 'USD', value: t.interbankSettlementAmount.value } })) })), A,
  [['AM03', `${TX0}/CdtrAgt/FinInstnId/BICFI`], ['AM03', '/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/CdtrAgt/FinInstnId/BICFI']]],
  ['the sender\'s own BIC8 in the header, group and debtor agent', () => buildBusinessMessage({ from: A.slice(0, 8), to: SWITCH, businessMessageId: 'B1',
    messageDefinitionId: 'pacs.008.001.08', creationDate: '2026-11-26T09:00:00Z' },
  payments((m) => ({ groupHeader: { ...m.groupHeader, instructingAgent: A.slice(0, 8) }, transactions: m.transactions.map((t) => ({ ...t, debtorAgent: A.slice(0, 8) })) }))),
  A, []],
  ['the settlement agent sending a payment', () => payments(), AGENT, [['AG03', '/Document/FIToFICstmrCdtTrf'],
    ['AG08', '/Document/FIToFICstmrCdtTrf/GrpHdr/InstgAgt/FinInstnId/BICFI'], ['AG08', `${TX0}/DbtrAgt/FinInstnId/BICFI`],
    ['AG08', '/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/DbtrAgt/FinInstnId/BICFI']]],
  ['a suspended sender', () => payments((m) => ({ groupHeader: { ...m.groupHeader, instructingAgent: C },
    transactions: m.transactions.map((t) => ({ ...t, debtorAgent: C })) })), C, [['AG10', '/Document/FIToFICstmrCdtTrf']]],
  ['real-time and batch in one message', () => payments((m) => first(m, { paymentTypeInformation: { localInstrument: { code: 'INST' } } })), A,
    [['FF05', '/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/PmtTpInf/LclInstrm/Cd']]],
  ['two currencies in one message, no group total', () => payments((m) => first(m, { interbankSettlementAmount: { currency: 'USD', value: '1.00' } })), A,
    [['CURR', '/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/IntrBkSttlmAmt'], ['AM03', `${TX0}/CdtrAgt/FinInstnId/BICFI`]]],
  ['a payment above the switch\'s ceiling, in a currency without a configured maximum', () => payments((m) => first(m, {
    interbankSettlementAmount: { currency: 'EUR', value: formatAmount(limits.amounts.paymentMinorMax + 1n, 'EUR') } })), A,
  [['AM13', `${TX0}/IntrBkSttlmAmt`]]],
  ['a message above the message ceiling', () => payments((m) => ({ ...m, transactions: [...m.transactions, ...m.transactions, ...m.transactions, m.transactions[0]!, m.transactions[1]!]
    .map((t, i) => ({ ...t, paymentIdentification: { ...t.paymentIdentification, transactionId: `T-${i}`, uetr: undefined },
      interbankSettlementAmount: { currency: 'EUR', value: formatAmount(limits.amounts.paymentMinorMax, 'EUR') } })),
  groupHeader: { ...m.groupHeader, numberOfTransactions: '8' } })), A, [['AM02', '/Document/FIToFICstmrCdtTrf/GrpHdr']]],
  ['a return naming another bank as the original creditor agent', () => buildPacs004({
    groupHeader: { messageId: 'R1', creationDateTime: '2026-11-26T09:00:00Z', numberOfTransactions: '1', settlementInformation: { method: 'CLRG' }, instructingAgent: A },
    transactions: [{ returnId: 'R1-1', originalTransactionId: 'T1', returnedInterbankSettlementAmount: { currency: 'EUR', value: '1.00' },
      originalTransactionReference: { creditorAgent: B, debtorAgent: A } }],
  }), A, [['AG08', '/Document/PmtRtr/TxInf[0]/OrgnlTxRef/CdtrAgt/FinInstnId/BICFI']]],
  ['a recall whose case another bank created', () => buildCamt056({
    assignment: { id: 'C1', assigner: A, assignee: SWITCH, creationDateTime: '2026-11-26T09:00:00Z' }, case: { id: 'CASE', creator: B },
    underlying: [{ transactions: [{ originalTransactionId: 'T1', reasons: [{ reason: { code: 'DUPL' }, additionalInformation: [] }] }] }],
  }), A, [['AG08', '/Document/FIToFIPmtCxlReq/Case/Cretr/Agt/FinInstnId/BICFI']]],
];

describe('sender binding, directory and ceilings: codes and paths', () => {
  for (const [what, xml, sender, expected] of cases) {
    it(what, async () => {
      const { found } = await findings(xml(), sender);
      assert.deepEqual(found, expected);
    });
  }
});
