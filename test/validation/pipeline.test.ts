/**
 * The validation pipeline end to end, on the named fixtures and on generated bulk files:
 * each defect gets the right ISO-coded rejection and nothing else; locations are real; windowed
 * validation of large files reports the same lines and paths as the file itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateFile, type FileReport } from '../../switch/validation/pipeline.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { samples } from '../../switch/demo/samples.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { isReasonCode } from '../../switch/iso/reason-codes.ts';
import { directoryFromConfig } from '../../switch/validation/directory.ts';
import { checkConfig } from '../../switch/config.ts';
import { limits } from '../../switch/limits.ts';
import { buildBusinessMessage } from '../../switch/iso/envelope.ts';

const fixtures = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures');
const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

function codes(report: FileReport): string[] {
  return report.findings.map((f) => f.code);
}

function lineOf(xml: string, needle: string, occurrence = 1): number {
  let index = -1;
  for (let k = 0; k < occurrence; k++) {
    index = xml.indexOf(needle, index + 1);
    assert.ok(index >= 0, `needle ${needle} #${occurrence} not found`);
  }
  return xml.slice(0, index).split('\n').length;
}

describe('named fixtures get exactly their expected answer', () => {
  for (const sample of samples()) {
    it(`${sample.folder}/${sample.name}: ${sample.expected.status} ${sample.expected.codes.join(' ') || '(no findings)'}`, async () => {
      const bytes = readFileSync(join(fixtures, sample.folder, sample.name));
      assert.equal(bytes.toString('utf8'), sample.xml, 'fixture file is stale: run node --import tsx tools/make-fixtures.ts');
      const report = await validateFile(bytes, { xsd });
      assert.equal(report.status, sample.expected.status, JSON.stringify(report.findings, null, 1));
      assert.deepEqual([...new Set(codes(report))], [...sample.expected.codes]);
      for (const f of report.findings) {
        assert.ok(isReasonCode(f.code), `${f.code} is an ISO ExternalStatusReason1Code`);
        assert.match(f.path, /^\//);
        assert.ok(f.message.length > 10, 'a plain message');
        assert.ok(f.line === undefined || f.line >= 1);
      }
    });
  }
});

describe('attacks are refused before any parser sees them', () => {
  it('XXE: refused at the DOCTYPE line with FF01, and /etc/passwd never appears in the result', async () => {
    const xml = readFileSync(join(fixtures, 'security', 'xxe-file-read.xml'), 'utf8');
    const report = await validateFile(encoder.encode(xml), { xsd });
    assert.equal(report.status, 'RJCT');
    assert.equal(report.findings.length, 1);
    assert.equal(report.findings[0]!.code, 'FF01');
    assert.equal(report.findings[0]!.line, lineOf(xml, '<!DOCTYPE'));
    assert.match(report.findings[0]!.message, /DOCTYPE refused/);
    assert.doesNotMatch(JSON.stringify(report), /root:x:0/);
  });

  it('billion laughs: refused at once (no expansion: well under a second)', async () => {
    const started = Date.now();
    const report = await validateFile(readFileSync(join(fixtures, 'security', 'billion-laughs.xml')), { xsd });
    assert.deepEqual(codes(report), ['FF01']);
    assert.ok(Date.now() - started < 1000);
  });

  it('nesting deeper than the limit: FF01 naming the limit', async () => {
    const report = await validateFile(readFileSync(join(fixtures, 'security', 'deeply-nested.xml')), { xsd });
    assert.deepEqual(codes(report), ['FF01']);
    assert.match(report.findings[0]!.message, new RegExp(`deeper than ${limits.nestingDepthMax}`));
  });

  it('bytes that are not UTF-8: FF02', async () => {
    const bytes = encoder.encode('<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr><MsgId>X</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>');
    const latin1 = new Uint8Array([...bytes.slice(0, 100), 0xe9, ...bytes.slice(100)]);
    const report = await validateFile(latin1, { xsd });
    assert.deepEqual(codes(report), ['FF02']);
    assert.match(report.findings[0]!.message, /UTF-8/);
  });

  it('an oversized file: FF01 before anything else is looked at', async () => {
    // A view over a large zero-filled buffer: the size check runs before the content is read.
    const huge = new Uint8Array(limits.fileSizeBytesMax + 1);
    const report = await validateFile(huge, { xsd });
    assert.deepEqual(codes(report), ['FF01']);
    assert.match(report.findings[0]!.message, /limit is/);
  });

  it('not well-formed input: a mismatched end tag is FF02 with its line', async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">\n<FIToFICstmrCdtTrf>\n</Document>\n';
    const report = await validateFile(encoder.encode(xml), { xsd });
    assert.deepEqual(codes(report), ['FF02']);
    assert.equal(report.findings[0]!.line, 4);
  });
});

describe('envelopes', () => {
  it('BAH sender must be the authenticated participant', async () => {
    const bytes = readFileSync(join(fixtures, 'envelope', 'valid-envelope-bah.xml'));
    const ok = await validateFile(bytes, { xsd, sender: DEMO_BANKS[0]!.bic });
    assert.equal(ok.status, 'ACCP');
    assert.equal(ok.header?.from, DEMO_BANKS[0]!.bic);
    const wrong = await validateFile(bytes, { xsd, sender: DEMO_BANKS[1]!.bic });
    assert.equal(wrong.status, 'RJCT');
    // The BAH From, the group's instructing agent and each transaction's debtor agent name another bank.
    assert.deepEqual(codes(wrong), ['AG08', 'AG08', 'AG08', 'AG08', 'AG08']);
    assert.match(wrong.findings[0]!.path, /AppHdr\/Fr/);
  });

  it('a namespace prefix declared on the envelope reaches the sliced Document', async () => {
    const plain = readFileSync(join(fixtures, 'envelope', 'valid-envelope-bah.xml'), 'utf8');
    const prefixed = plain
      .replace('<BusMsg>', '<BusMsg xmlns:p="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">')
      .replace(/<Document xmlns="[^"]+">([\s\S]*)<\/Document>/, (_m, body: string) =>
        `<p:Document>${body.replace(/<(\/?)([A-Za-z])/g, '<$1p:$2')}</p:Document>`);
    const report = await validateFile(encoder.encode(prefixed), { xsd });
    assert.equal(report.status, 'ACCP', JSON.stringify(report.findings));
    assert.equal(report.transactionCount, 3);
  });

  it('buildBusinessMessage writes an envelope the pipeline reads back field for field', async () => {
    const header = {
      from: 'BANKITMMXXX', to: 'CLHSDEFFXXX', businessMessageId: 'BIZ-RT-1', messageDefinitionId: 'pacs.008.001.08',
      creationDate: '2026-11-26T11:00:00Z', possibleDuplicate: true,
    };
    const documentXml = buildPacs008(bulkCreditTransfer({
      seed: 9, sender: DEMO_BANKS[4]!, receivers: DEMO_BANKS.slice(0, 4), transactionCount: 4,
      settlementDate: '2026-11-27', createdAt: '2026-11-26T11:00:00Z',
    }));
    const report = await validateFile(encoder.encode(buildBusinessMessage(header, documentXml)), { xsd, sender: 'BANKITMMXXX' });
    assert.equal(report.status, 'ACCP', JSON.stringify(report.findings));
    assert.deepEqual(report.header, header);
    assert.throws(() => buildBusinessMessage({ ...header, messageDefinitionId: 'pacs.009.001.08' }, documentXml), /does not match/);
  });

  it('anything but AppHdr then Document inside a wrapper is refused', async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<BusMsg><Other/></BusMsg>\n';
    const report = await validateFile(encoder.encode(xml), { xsd });
    assert.deepEqual(codes(report), ['FF01']);
    assert.match(report.findings[0]!.message, /AppHdr then Document/);
  });
});

describe('large files are validated in windows with exact locations', () => {
  const count = limits.xsdWindowTransactionCount * 2 + 500;
  const model = bulkCreditTransfer({
    seed: 77, sender: DEMO_BANKS[0]!, receivers: DEMO_BANKS.slice(1), transactionCount: count,
    settlementDate: '2026-11-27', createdAt: '2026-11-26T10:00:00Z',
  });
  const clean = buildPacs008(model);

  it(`a clean ${count}-transaction file is ACCP`, async () => {
    const report = await validateFile(encoder.encode(clean), { xsd });
    assert.equal(report.status, 'ACCP', JSON.stringify(report.findings.slice(0, 3)));
    assert.equal(report.transactionCount, count);
    assert.equal(report.transactions.length, count);
  });

  it('a schema error in the third window is reported once, at its line in the original file', async () => {
    const target = limits.xsdWindowTransactionCount * 2 + 123; // 0-based transaction index
    const txId = model.transactions[target]!.paymentIdentification.transactionId!;
    const at = clean.indexOf(`<TxId>${txId}</TxId>`);
    const chargeAt = clean.indexOf('<ChrgBr>SLEV</ChrgBr>', at);
    const broken = clean.slice(0, chargeAt) + '<ChrgBr>SHAR</ChrgBr>' + clean.slice(chargeAt + '<ChrgBr>SLEV</ChrgBr>'.length);
    const report = await validateFile(encoder.encode(broken), { xsd });
    assert.equal(report.status, 'RJCT');
    assert.deepEqual(codes(report), ['FF01']);
    const finding = report.findings[0]!;
    assert.equal(finding.line, broken.slice(0, chargeAt).split('\n').length);
    assert.equal(finding.path, '/Document/FIToFICstmrCdtTrf/CdtTrfTxInf/ChrgBr');
    assert.match(finding.message, /ChrgBr/);
  });

  it('a rule error deep in the file names the right transaction, path and line', async () => {
    const target = count - 7;
    const iban = (model.transactions[target]!.creditorAccount as { iban: string }).iban;
    const position = clean.indexOf(`<IBAN>${iban}</IBAN>`, clean.indexOf(`<TxId>${model.transactions[target]!.paymentIdentification.transactionId}</TxId>`));
    const broken = clean.slice(0, position) + `<IBAN>${iban.slice(0, 2)}00${iban.slice(4)}</IBAN>` + clean.slice(position + `<IBAN>${iban}</IBAN>`.length);
    const report = await validateFile(encoder.encode(broken), { xsd });
    assert.equal(report.status, 'PART');
    assert.deepEqual(codes(report), ['AC01']);
    const finding = report.findings[0]!;
    assert.equal(finding.transactionIndex, target);
    assert.equal(finding.path, `/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[${target}]/CdtrAcct/Id/IBAN`);
    assert.equal(finding.line, lineOf(broken, '<CdtTrfTxInf>', target + 1));
    assert.equal(report.transactions.filter((t) => t.status === 'RJCT').length, 1);
    assert.equal(report.transactions[target]!.status, 'RJCT');
  });
});

describe('single messages are batched into shared XSD runs and keep their own results', () => {
  it('300 concurrent messages, every third one schema-invalid', async () => {
    const inputs = Array.from({ length: 300 }, (_, i) => {
      const xml = buildPacs008(bulkCreditTransfer({
        seed: 1000 + i, sender: DEMO_BANKS[i % 5]!, receivers: DEMO_BANKS.filter((_, k) => k !== i % 5),
        transactionCount: 1, settlementDate: '2026-11-27', createdAt: '2026-11-26T10:00:00Z',
      }));
      return i % 3 === 0 ? xml.replace('<ChrgBr>SLEV</ChrgBr>', '<ChrgBr>DEBT</ChrgBr>') : xml;
    });
    const reports = await Promise.all(inputs.map((xml) => validateFile(encoder.encode(xml), { xsd })));
    reports.forEach((report, i) => {
      if (i % 3 === 0) assert.deepEqual(codes(report), ['FF01'], `message ${i}`);
      else assert.equal(report.status, 'ACCP', `message ${i}: ${JSON.stringify(report.findings)}`);
    });
  });
});

describe('scheme configuration rules', () => {
  const config = checkConfig({
    name: 'test scheme',
    currencies: ['EUR'],
    perPaymentMaximum: { EUR: '1000.00' },
    participants: [
      { bic: 'BANKDEFFXXX', name: 'Bank A', status: 'active', currencies: ['EUR'] },
      { bic: 'BANKFRPPXXX', name: 'Bank B', status: 'suspended', currencies: ['EUR'] },
      { bic: 'BANKNL2AXXX', name: 'Bank C', status: 'active', currencies: ['EUR'] },
    ],
  });
  const directory = directoryFromConfig(config);

  it('unknown and suspended creditor agents and amounts over the maximum reject their transactions', async () => {
    const model = bulkCreditTransfer({
      seed: 5, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!, DEMO_BANKS[2]!, DEMO_BANKS[3]!], transactionCount: 30,
      settlementDate: '2026-11-27', createdAt: '2026-11-26T10:00:00Z', maxAmountMinor: 150_000,
    });
    const report = await validateFile(encoder.encode(buildPacs008(model)), { xsd, directory });
    model.transactions.forEach((tx, i) => {
      const expected: string[] = [];
      const minor = BigInt(tx.interbankSettlementAmount.value.replace('.', ''));
      if (minor > 100_000n) expected.push('AM13');
      if (tx.creditorAgent === 'BANKFRPPXXX') expected.push('AG10');
      if (tx.creditorAgent === 'BANKBEBBXXX') expected.push('RC02');
      assert.deepEqual(report.transactions[i]!.reasons, expected, `transaction ${i} to ${tx.creditorAgent}`);
    });
    assert.equal(report.status, 'PART');
  });

  it('real-time payments (LclInstrm INST) are held to the real-time service\'s lower maximum; batch ones to the scheme\'s', async () => {
    const withService = directoryFromConfig(checkConfig({
      name: 'test scheme', currencies: ['EUR'], perPaymentMaximum: { EUR: '1000.00' },
      services: [{ messageType: 'pacs.008', mode: 'batch' },
        { messageType: 'pacs.008', mode: 'realtime', perPaymentMaximum: { EUR: '500.00' } }],
      participants: [{ bic: 'BANKDEFFXXX', name: 'Bank A', status: 'active', currencies: ['EUR'] },
        { bic: 'BANKNL2AXXX', name: 'Bank C', status: 'active', currencies: ['EUR'] }],
    }));
    for (const localInstrument of ['INST', undefined] as const) {
      const model = bulkCreditTransfer({
        seed: 7, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[2]!], transactionCount: 40, settlementDate: '2026-11-27',
        createdAt: '2026-11-26T10:00:00Z', maxAmountMinor: 150_000, ...(localInstrument ? { localInstrument } : {}),
      });
      const report = await validateFile(encoder.encode(buildPacs008(model)), { xsd, directory: withService });
      const limit = localInstrument ? 50_000n : 100_000n;
      let over = 0;
      model.transactions.forEach((tx, i) => {
        const minor = BigInt(tx.interbankSettlementAmount.value.replace('.', ''));
        if (minor > limit) over++;
        assert.deepEqual(report.transactions[i]!.reasons, minor > limit ? ['AM13'] : [], `${localInstrument ?? 'batch'} transaction ${i}: ${minor}`);
      });
      assert.ok(over > 0 && over < model.transactions.length, 'the generated amounts straddle the limit');
      if (localInstrument) assert.match(report.findings.find((f) => f.code === 'AM13')!.message, /real-time per-payment maximum of 500\.00 EUR/);
    }
  });

  it('a suspended sender rejects the whole file; a past settlement date is refused', async () => {
    const model = bulkCreditTransfer({
      seed: 6, sender: DEMO_BANKS[1]!, receivers: [DEMO_BANKS[0]!], transactionCount: 2,
      settlementDate: '2026-11-20', createdAt: '2026-11-26T10:00:00Z', maxAmountMinor: 1000,
    });
    const report = await validateFile(encoder.encode(buildPacs008(model)), { xsd, directory, businessDate: '2026-11-26' });
    assert.equal(report.status, 'RJCT');
    // The group's instructing agent, then each transaction's debtor agent, is suspended.
    assert.deepEqual(codes(report), ['DT05', 'AG10', 'AG10', 'AG10']);
  });

  it('configuration problems are all listed', () => {
    assert.throws(() => checkConfig({ name: '', currencies: ['EUR', 'EURO'], participants: [{ bic: 'x' }], perPaymentMaximum: { EUR: 10 } }),
      (error: Error) => /name/.test(error.message) && /EURO/.test(error.message) && /bic/.test(error.message) && /perPaymentMaximum/.test(error.message));
  });
});
