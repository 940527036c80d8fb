/**
 * Every rejection carries its reason code (docs/payment-states.md "Reasons"): over generated mixes of
 * rejections — group-level findings, transaction findings, transactions rejected with no finding of
 * their own, every transaction rejected, none readable, unidentified messages — every RJCT in the
 * emitted pacs.002 (group or TxInfAndSts) and every admi.002 has an ISO reason code, read back from
 * the built XML. A file whose every transaction was rejected used to come back GrpSts RJCT with none.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { answerFor } from '../../switch/status/answers.ts';
import { build as buildPacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { build as buildAdmi002 } from '../../switch/iso/messages/admi.002.001.01/index.ts';
import type { FileReport, TransactionStatus } from '../../switch/validation/pipeline.ts';
import type { Finding } from '../../switch/iso/finding.ts';

const CODES = ['AC01', 'AM05', 'DUPL', 'DU01', 'FF01', 'RC01', 'AM04', 'CH20', 'AG01'];
const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, isArray: (name) => ['TxInfAndSts', 'StsRsnInf', 'OrgnlGrpInfAndSts'].includes(name) });

const transaction = fc.record({
  rejected: fc.boolean(),
  findings: fc.array(fc.constantFrom(...CODES), { maxLength: 3 }),
  // A transaction rejected by a later stage carries its codes only in `reasons` (no finding of its own).
  reasonsOnly: fc.boolean(),
});

const reportArbitrary = fc.record({
  identified: fc.boolean(),
  groupFindings: fc.array(fc.constantFrom(...CODES), { maxLength: 2 }),
  transactions: fc.array(transaction, { maxLength: 8 }),
  allRejected: fc.boolean(),
}).map(({ identified, groupFindings, transactions, allRejected }): FileReport => {
  const findings: Finding[] = groupFindings.map((code) => ({ code, path: '/Document/FIToFICstmrCdtTrf/GrpHdr', message: `group ${code}` }));
  const statuses: TransactionStatus[] = transactions.map((t, index) => {
    const rejected = allRejected || t.rejected || groupFindings.length > 0;
    const codes = rejected ? (t.findings.length > 0 ? t.findings : ['AC01']) : [];
    if (rejected && !t.reasonsOnly) {
      for (const code of codes) findings.push({ code, path: `/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[${index + 1}]`, message: code, transactionId: `TX${index}`, transactionIndex: index });
    }
    return { index, id: `TX${index}`, status: rejected ? 'RJCT' : 'ACCP', reasons: rejected && groupFindings.length === 0 ? codes : [] };
  });
  const rejected = statuses.filter((t) => t.status === 'RJCT').length;
  const status = groupFindings.length > 0 || (statuses.length > 0 && rejected === statuses.length) || (statuses.length === 0 && findings.length > 0)
    ? 'RJCT' : rejected > 0 ? 'PART' : 'ACCP';
  return {
    ...(identified ? { messageId: 'pacs.008.001.08', messageType: 'pacs.008', version: '001.08', group: { messageId: 'MSG-1', numberOfTransactions: String(statuses.length) } } : {}),
    status: identified ? status : 'RJCT',
    findings: identified ? findings : [{ code: 'FF01', path: '/', message: 'not well-formed' }, ...findings],
    findingsDropped: 0, transactionCount: statuses.length, transactions: statuses,
  };
});

const context = { switchBic: 'CLHSDEFFXXX', messageId: 'CLHS-1', createdAt: '2026-11-26T09:00:00Z', recipientBic: 'BANKDEFFXXX', fileReference: 'f.xml' };
const codesOf = (reasons: unknown): string[] =>
  ((reasons as Array<{ Rsn?: { Cd?: string; Prtry?: string } }> | undefined) ?? []).map((r) => r.Rsn?.Cd ?? r.Rsn?.Prtry ?? '').filter((c) => c !== '');

describe('every rejection carries a reason code', () => {
  it('in every pacs.002 and admi.002 the switch answers a file with', () => {
    fc.assert(fc.property(reportArbitrary, (report) => {
      const answer = answerFor(report, context);
      if (answer.kind === 'admi.002.001.01') {
        const xml = buildAdmi002(answer.message);
        assert.match(xml, /<RjctgPtyRsn>[A-Z0-9]{4}<\/RjctgPtyRsn>/, xml);
        return;
      }
      const document = parser.parse(buildPacs002(answer.message)).Document.FIToFIPmtStsRpt;
      const group = document.OrgnlGrpInfAndSts[0];
      const lines = (document.TxInfAndSts ?? []) as Array<{ OrgnlTxId?: string; TxSts?: string; StsRsnInf?: unknown }>;
      for (const line of lines) {
        if (line.TxSts === 'RJCT') assert.ok(codesOf(line.StsRsnInf).length > 0, `TxInfAndSts ${line.OrgnlTxId} RJCT without a reason`);
      }
      if (group.GrpSts === 'RJCT' && codesOf(group.StsRsnInf).length === 0) {
        // No group reason: then every rejected transaction is listed, each with its own.
        const rejected = report.transactions.filter((t) => t.status === 'RJCT').map((t) => t.id);
        assert.ok(rejected.length > 0, 'GrpSts RJCT with no reason and no transaction to carry one');
        assert.deepEqual(lines.filter((l) => l.TxSts === 'RJCT').map((l) => l.OrgnlTxId), rejected);
      }
      if (group.GrpSts === 'PART') {
        assert.equal(lines.filter((l) => l.TxSts === 'RJCT').length, report.transactions.filter((t) => t.status === 'RJCT').length);
      }
    }), { numRuns: 500 });
  });

  it('a file whose every transaction was rejected (no group-level finding) lists each with its code', () => {
    const report: FileReport = {
      messageId: 'pacs.008.001.08', messageType: 'pacs.008', version: '001.08', group: { messageId: 'MSG-ALL' }, status: 'RJCT',
      findings: [0, 1].map((i) => ({ code: 'AC01', path: `/Document/x[${i + 1}]`, message: 'bad IBAN', transactionId: `T${i}`, transactionIndex: i })),
      findingsDropped: 0, transactionCount: 2,
      transactions: [0, 1].map((i) => ({ index: i, id: `T${i}`, status: 'RJCT' as const, reasons: ['AC01'] })),
    };
    const xml = buildPacs002((answerFor(report, context) as { message: Parameters<typeof buildPacs002>[0] }).message);
    assert.match(xml, /<GrpSts>RJCT<\/GrpSts>/);
    assert.equal((xml.match(/<TxSts>RJCT<\/TxSts>/g) ?? []).length, 2);
    assert.equal((xml.match(/<Cd>AC01<\/Cd>/g) ?? []).length, 2);
  });
});
