/**
 * `clearhouse demo [--out DIR] [--json]`: the message layer's story, end to end on the embedded
 * default. Banks "send" the sample files (a clean bulk file, an envelope with a BAH, and the defects
 * banks and attackers really send); each goes through the full validation pipeline; the switch's
 * answer (pacs.002 status report, or admi.002 message reject) is built and written beside it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { samples, SWITCH_BIC } from '../demo/samples.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../demo/generate.ts';
import { build as buildPacs008 } from '../iso/messages/pacs.008.001.08/index.ts';
import { build as buildPacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { build as buildAdmi002 } from '../iso/messages/admi.002.001.01/index.ts';
import { answerFor } from '../status/answers.ts';
import { validateFile } from '../validation/pipeline.ts';
import { XsdValidator } from '../validation/xsd-pool.ts';

export interface DemoOptions {
  readonly out: string;
  readonly json?: boolean;
}

interface DemoRow {
  readonly file: string;
  readonly description: string;
  readonly message: string;
  readonly transactions: number;
  readonly status: string;
  readonly codes: string;
  readonly answer: string;
  readonly milliseconds: number;
}

export async function demoCommand(options: DemoOptions): Promise<number> {
  const inbound = join(options.out, 'inbound');
  const outbound = join(options.out, 'outbound');
  mkdirSync(inbound, { recursive: true });
  mkdirSync(outbound, { recursive: true });
  const files = [
    ...samples().map((s) => ({ name: s.name, description: s.description, xml: s.xml, expected: s.expected.status })),
    {
      name: 'valid-bulk-5000.xml', description: 'a larger bulk file: 5,000 payments from Bank C',
      xml: buildPacs008(bulkCreditTransfer({
        seed: 5000, sender: DEMO_BANKS[2]!, receivers: DEMO_BANKS.filter((_, i) => i !== 2), transactionCount: 5000,
        settlementDate: '2026-11-27', createdAt: '2026-11-26T10:00:00Z', messageId: 'BANKNL2A-BULK-5000',
      })),
      expected: 'ACCP' as const,
    },
  ];
  const xsd = new XsdValidator();
  const rows: DemoRow[] = [];
  let unexpected = 0;
  try {
    let sequence = 0;
    for (const file of files) {
      const bytes = new TextEncoder().encode(file.xml);
      writeFileSync(join(inbound, file.name), bytes);
      const started = performance.now();
      const report = await validateFile(bytes, { xsd });
      const milliseconds = performance.now() - started;
      const answer = answerFor(report, {
        switchBic: SWITCH_BIC,
        messageId: `CLHS-DEMO-${String(++sequence).padStart(4, '0')}`,
        createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        recipientBic: report.group?.instructingAgent ?? report.header?.from,
        fileReference: file.name,
      });
      const answerName = `${file.name.replace(/\.xml$/, '')}.${answer.kind}.xml`;
      const answerXml = answer.kind === 'pacs.002.001.10' ? buildPacs002(answer.message) : buildAdmi002(answer.message);
      writeFileSync(join(outbound, answerName), answerXml);
      if (report.status !== file.expected) unexpected++;
      rows.push({
        file: file.name, description: file.description, message: report.messageId ?? '-',
        transactions: report.transactionCount, status: report.status,
        codes: [...new Set(report.findings.map((f) => f.code))].join(' ') || '-',
        answer: answer.kind, milliseconds: Math.round(milliseconds),
      });
    }
  } finally {
    await xsd.close();
  }
  if (options.json) {
    process.stdout.write(JSON.stringify({ out: options.out, files: rows }, null, 2) + '\n');
  } else {
    process.stdout.write(table(rows));
    process.stdout.write(`\nInbound files and the switch's answers are under ${options.out}/ (inbound/, outbound/).\n`);
  }
  if (unexpected > 0) {
    process.stderr.write(`demo: ${unexpected} file(s) did not get the outcome the demo expects\n`);
    return 1;
  }
  return 0;
}

function table(rows: readonly DemoRow[]): string {
  const header = ['file', 'message', 'txs', 'status', 'reason codes', 'answer', 'ms'];
  const body = rows.map((r) => [r.file, r.message, String(r.transactions), r.status, r.codes, r.answer, String(r.milliseconds)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
