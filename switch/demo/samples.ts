/**
 * Named sample files: a clean bulk payment file and the defects banks (and attackers) really send.
 * Used by the demo, and by tools/make-fixtures.ts to write test/fixtures/ (so the fixtures and the
 * demo never drift apart). Each sample says what the switch must answer.
 */
import { build as buildPacs008 } from '../iso/messages/pacs.008.001.08/index.ts';
import { buildBusinessMessage } from '../iso/envelope.ts';
import { bulkCreditTransfer, DEMO_BANKS } from './generate.ts';

export interface Sample {
  /** File name, e.g. 'invalid-ctrlsum-mismatch.xml'. */
  readonly name: string;
  /** Folder under test/fixtures: the message id, 'envelope' or 'security'. */
  readonly folder: string;
  readonly description: string;
  readonly xml: string;
  /** What the switch must answer: file status and the reason codes of its findings (in order). */
  readonly expected: { readonly status: 'ACCP' | 'PART' | 'RJCT'; readonly codes: readonly string[] };
}

const SETTLEMENT_DATE = '2026-11-27';
const CREATED_AT = '2026-11-26T09:30:00Z';
export const SWITCH_BIC = 'CLHSDEFFXXX';

function bulk(seed: number, count: number, sender = DEMO_BANKS[0]!): string {
  return buildPacs008(bulkCreditTransfer({
    seed, sender, receivers: DEMO_BANKS.filter((b) => b !== sender), transactionCount: count,
    settlementDate: SETTLEMENT_DATE, createdAt: CREATED_AT,
  }));
}

/** Replace the first occurrence of `from`, failing loudly if it is not there (samples must not rot). */
function edit(xml: string, from: string | RegExp, to: string): string {
  const edited = xml.replace(from, to);
  if (edited === xml) throw new Error(`sample edit did not apply: ${from}`);
  return edited;
}

function envelope(documentXml: string, header: { messageDefinitionId: string; from?: string }): string {
  const headerFields = {
    from: header.from ?? DEMO_BANKS[0]!.bic,
    to: SWITCH_BIC,
    businessMessageId: 'BIZ-20261126-0001',
    creationDate: CREATED_AT,
  };
  const envelope = buildBusinessMessage({ ...headerFields, messageDefinitionId: 'pacs.008.001.08' }, documentXml);
  // A mismatching header cannot be built on purpose (the builder refuses): edit it in for the sample.
  return envelope.replace('<MsgDefIdr>pacs.008.001.08</MsgDefIdr>', `<MsgDefIdr>${header.messageDefinitionId}</MsgDefIdr>`);
}

export function samples(): Sample[] {
  const clean = bulk(1, 25);
  const two = bulk(2, 3);
  return [
    {
      name: 'valid-bulk-25.xml', folder: 'pacs.008.001.08',
      description: 'a clean bulk credit transfer file: 25 payments to four banks',
      xml: clean, expected: { status: 'ACCP', codes: [] },
    },
    {
      name: 'valid-envelope-bah.xml', folder: 'envelope',
      description: 'a BAH + Document envelope whose header matches its document',
      xml: envelope(two, { messageDefinitionId: 'pacs.008.001.08' }), expected: { status: 'ACCP', codes: [] },
    },
    {
      name: 'invalid-ctrlsum-mismatch.xml', folder: 'pacs.008.001.08',
      description: 'CtrlSum does not equal the sum of the transaction amounts',
      xml: edit(two, /<CtrlSum>[^<]+<\/CtrlSum>/, '<CtrlSum>1.00</CtrlSum>'),
      expected: { status: 'RJCT', codes: ['AM16'] },
    },
    {
      name: 'invalid-nboftxs-mismatch.xml', folder: 'pacs.008.001.08',
      description: 'NbOfTxs says 4 but the file holds 3 transactions',
      xml: edit(two, '<NbOfTxs>3</NbOfTxs>', '<NbOfTxs>4</NbOfTxs>'),
      expected: { status: 'RJCT', codes: ['AM19'] },
    },
    {
      name: 'invalid-iban-check-digits.xml', folder: 'pacs.008.001.08',
      description: 'one creditor IBAN has wrong check digits: that payment is rejected, the others pass',
      xml: edit(two, /(<CdtrAcct>\s*<Id>\s*<IBAN>)([A-Z]{2})(\d{2})/, '$1$200'),
      expected: { status: 'PART', codes: ['AC01'] },
    },
    {
      name: 'invalid-amount-too-many-decimals.xml', folder: 'pacs.008.001.08',
      description: 'an EUR amount with three decimals (valid for the XSD, not for the currency; CtrlSum no longer adds up)',
      xml: amountEdit(two, '0.005'),
      expected: { status: 'RJCT', codes: ['AM16', 'CH20'] },
    },
    {
      name: 'invalid-duplicate-txid.xml', folder: 'pacs.008.001.08',
      description: 'two transactions of one message share a TxId',
      xml: duplicateTxId(two),
      expected: { status: 'PART', codes: ['AM05'] },
    },
    {
      name: 'invalid-wrong-namespace-version.xml', folder: 'pacs.008.001.08',
      description: 'a pacs.008.001.07 document: a version this scheme does not accept',
      xml: two.replace('pacs.008.001.08', 'pacs.008.001.07'),
      expected: { status: 'RJCT', codes: ['FF01'] },
    },
    {
      name: 'invalid-sttlmmtd-inda.xml', folder: 'pacs.008.001.08',
      description: 'settlement method INDA: valid ISO, refused by the scheme schema (CLRG only)',
      xml: edit(two, '<SttlmMtd>CLRG</SttlmMtd>', '<SttlmMtd>INDA</SttlmMtd>'),
      expected: { status: 'RJCT', codes: ['FF01'] },
    },
    {
      name: 'invalid-bah-document-mismatch.xml', folder: 'envelope',
      description: 'the BAH says pacs.009.001.08 but the Document is a pacs.008.001.08',
      xml: envelope(two, { messageDefinitionId: 'pacs.009.001.08' }),
      expected: { status: 'RJCT', codes: ['FF01'] },
    },
    {
      name: 'xxe-file-read.xml', folder: 'security',
      description: 'an XML external entity that tries to read /etc/passwd into a field',
      xml: '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Document [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n' +
        two.replace(/^<\?xml[^>]*>\s*/, '').replace(/<MsgId>[^<]+<\/MsgId>/, '<MsgId>&xxe;</MsgId>'),
      expected: { status: 'RJCT', codes: ['FF01'] },
    },
    {
      name: 'billion-laughs.xml', folder: 'security',
      description: 'nested entity expansion ("billion laughs")',
      xml: billionLaughs(),
      expected: { status: 'RJCT', codes: ['FF01'] },
    },
    {
      name: 'undeclared-entity.xml', folder: 'security',
      description: 'an entity reference with no declaration (no DOCTYPE at all)',
      xml: edit(two, /<Nm>([^<]+)<\/Nm>/, '<Nm>$1 &company;</Nm>'),
      expected: { status: 'RJCT', codes: ['FF02'] },
    },
    {
      name: 'deeply-nested.xml', folder: 'security',
      description: 'elements nested 200 deep inside remittance information',
      xml: edit(two, /<Ustrd>([^<]+)<\/Ustrd>/, `<Ustrd>$1</Ustrd>${'<Strd>'.repeat(200)}${'</Strd>'.repeat(200)}`),
      expected: { status: 'RJCT', codes: ['FF01'] },
    },
    {
      name: 'latin1-encoding.xml', folder: 'security',
      description: 'declares ISO-8859-1: the scheme accepts UTF-8 only',
      xml: two.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'),
      expected: { status: 'RJCT', codes: ['FF02'] },
    },
  ];
}

function amountEdit(xml: string, amount: string): string {
  return edit(xml, /(<CdtTrfTxInf>[\s\S]*?<IntrBkSttlmAmt Ccy="EUR">)[^<]+/, `$1${amount}`);
}

function duplicateTxId(xml: string): string {
  const ids = [...xml.matchAll(/<TxId>([^<]+)<\/TxId>/g)].map((m) => m[1]!);
  if (ids.length < 2) throw new Error('sample needs two transactions');
  return edit(xml, `<TxId>${ids[1]}</TxId>`, `<TxId>${ids[0]}</TxId>`);
}

function billionLaughs(): string {
  const entities = ['  <!ENTITY lol "lol">'];
  for (let level = 1; level <= 9; level++) {
    entities.push(`  <!ENTITY lol${level} "${`&lol${level === 1 ? '' : level - 1};`.repeat(10)}">`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Document [\n${entities.join('\n')}\n]>\n` +
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr><MsgId>&lol9;</MsgId>' +
    '</GrpHdr></FIToFICstmrCdtTrf></Document>\n';
}
