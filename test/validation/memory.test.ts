/**
 * Issue 8: the memory bound holds for refused files too. A 100,000-transaction pacs.008 (about 100 MB)
 * that is wrong in every transaction, against the schema (a charge bearer code the scheme does not
 * know) and against the rules (IBAN check digits), is validated in a child process; its peak resident
 * memory (process.resourceUsage().maxRSS) must stay within limits.validationMemoryBytesMax, as an
 * accepted file's does (docs/performance.md). Before issue 8 such a file took over 1.2 GB: each of its
 * 100,000 schema errors decoded the whole file again to find its element path.
 *
 * A resource bound, not a timing test: the time it takes is not asserted.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { limits } from '../../switch/limits.ts';
import { TYPESCRIPT_IMPORT } from '../../switch/typescript-import.ts';

const TRANSACTIONS = 100_000;
const child = join(fileURLToPath(import.meta.url), '..', '..', 'support', 'validate-child.ts');
let directory: string;
before(() => { directory = mkdtempSync(join(tmpdir(), 'clearhouse-memory-')); });
after(() => rmSync(directory, { recursive: true, force: true }));

/** Writes a refused bulk file: one generated transaction, broken twice, repeated with its ids renumbered. */
function writeRefusedFile(path: string): number {
  const xml = buildPacs008(bulkCreditTransfer({
    seed: 1, sender: DEMO_BANKS[0]!, receivers: DEMO_BANKS.slice(1), transactionCount: 1,
    settlementDate: '2026-11-27', createdAt: '2026-11-26T10:00:00Z', messageId: 'MEMORY-1',
  }));
  const first = xml.indexOf('<CdtTrfTxInf>');
  const last = xml.lastIndexOf('</CdtTrfTxInf>') + '</CdtTrfTxInf>'.length;
  const transaction = xml.slice(first, last).replace('<ChrgBr>SLEV</ChrgBr>', '<ChrgBr>XXXX</ChrgBr>')
    .replace(/<IBAN>DE\d\d/, '<IBAN>DE00').replace(/<UETR>[^<]+<\/UETR>/, '');
  const id = /<TxId>([^<]+)<\/TxId>/.exec(transaction)![1]!;
  const fd = openSync(path, 'w');
  let size = writeSync(fd, xml.slice(0, first).replace(/<NbOfTxs>\d+<\/NbOfTxs>/, `<NbOfTxs>${TRANSACTIONS}</NbOfTxs>`));
  let chunk = '';
  for (let i = 0; i < TRANSACTIONS; i++) {
    chunk += '\n    ' + transaction.split(id).join(`${id}-${i}`);
    if (chunk.length > 1 << 20) { size += writeSync(fd, chunk); chunk = ''; }
  }
  size += writeSync(fd, chunk + xml.slice(last));
  closeSync(fd);
  return size;
}

it(`a refused ${TRANSACTIONS}-transaction file is validated within limits.validationMemoryBytesMax of resident memory`, (t) => {
  const path = join(directory, 'refused.xml');
  const size = writeRefusedFile(path);
  assert.ok(size > 100_000_000, `${size} bytes`);
  const run = spawnSync(process.execPath, [...TYPESCRIPT_IMPORT, child, path], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    status: string; findings: number; findingsDropped: number; codes: string[]; maxRssBytes: number;
  };
  t.diagnostic(`peak RSS ${Math.round(result.maxRssBytes / 2 ** 20)} MiB for a ${Math.round(size / 2 ** 20)} MiB refused file`);
  assert.equal(result.status, 'RJCT');
  assert.deepEqual(result.codes, ['FF01']);
  assert.equal(result.findings, limits.findingsPerFileMax, 'findings kept up to the limit');
  assert.ok(result.findingsDropped >= TRANSACTIONS - limits.findingsPerFileMax, `the rest counted: ${result.findingsDropped}`);
  assert.ok(result.maxRssBytes <= limits.validationMemoryBytesMax,
    `peak RSS ${Math.round(result.maxRssBytes / 2 ** 20)} MiB for a ${Math.round(size / 2 ** 20)} MiB refused file; ` +
    `the bound is ${limits.validationMemoryBytesMax / 2 ** 20} MiB`);
});
