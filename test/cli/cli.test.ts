/**
 * The command line as a user runs it: `clearhouse validate` exit codes and JSON, and `clearhouse
 * demo`, whose every answer must be valid against both the scheme's and the official XSDs (judged on
 * the suite's shared `demo --json` run, test/support/demo-once.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { limits } from '../../switch/limits.ts';
import { officialXsdDirectory } from '../iso/official-xsd.ts';
import { requireOrNote } from '../support/prerequisites.ts';
import { demoJsonOnce } from '../support/demo-once.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const fixtures = join(root, 'test', 'fixtures');
const cli = join(root, 'bin', 'clearhouse.js');

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('clearhouse validate', () => {
  it('exit 0 and a text line per file when every file is valid', () => {
    const r = run('validate', join(fixtures, 'pacs.008.001.08', 'valid-bulk-25.xml'), join(fixtures, 'envelope', 'valid-envelope-bah.xml'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid-bulk-25\.xml: ACCP pacs\.008\.001\.08, 25 transaction/);
    assert.match(r.stdout, /valid-envelope-bah\.xml: ACCP/);
  });

  it('exit 1 and the documented JSON shape when any file is not', () => {
    const r = run('validate', '--json', join(fixtures, 'pacs.008.001.08', 'valid-bulk-25.xml'),
      join(fixtures, 'pacs.008.001.08', 'invalid-iban-check-digits.xml'), join(fixtures, 'security', 'xxe-file-read.xml'));
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { files: Array<Record<string, unknown>> };
    assert.equal(out.files.length, 3);
    const [clean, part, xxe] = out.files as Array<{
      file: string; status: string; messageId?: string; messageType?: string; version?: string; transactionCount: number;
      transactions: Array<{ index: number; id: string; status: string; reasons: string[] }>;
      findings: Array<{ code: string; path: string; line: number; message: string; transactionIndex?: number }>;
    }>;
    assert.equal(clean!.status, 'ACCP');
    assert.equal(clean!.messageType, 'pacs.008');
    assert.equal(clean!.version, '001.08');
    assert.equal(part!.status, 'PART');
    assert.equal(part!.transactions.filter((t) => t.status === 'RJCT').length, 1);
    const rejected = part!.transactions.find((t) => t.status === 'RJCT')!;
    assert.deepEqual(rejected.reasons, ['AC01']);
    assert.equal(part!.findings[0]!.transactionIndex, rejected.index);
    assert.equal(xxe!.status, 'RJCT');
    assert.equal(xxe!.messageId, undefined);
    assert.equal(xxe!.findings[0]!.code, 'FF01');
  });

  it('an oversized file is refused without being read (FF01), exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clearhouse-'));
    const file = join(dir, 'huge.xml');
    writeFileSync(file, '');
    truncateSync(file, limits.fileSizeBytesMax + 1); // sparse: no disk used
    const r = run('validate', '--json', file);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout).files[0];
    assert.equal(report.status, 'RJCT');
    assert.equal(report.findings[0].code, 'FF01');
    assert.match(report.findings[0].message, /limit is/);
  });

  it('exit 2 on usage errors: no file, unreadable file, bad configuration', () => {
    assert.equal(run('validate').code, 2);
    const missing = run('validate', join(fixtures, 'does-not-exist.xml'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read/);
    const dir = mkdtempSync(join(tmpdir(), 'clearhouse-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ name: 'x', currencies: ['EURO'], participants: [] }));
    const bad = run('validate', '--config', join(dir, 'bad.json'), join(fixtures, 'pacs.008.001.08', 'valid-bulk-25.xml'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /EURO/);
    assert.equal(run('no-such-command').code, 2);
  });

  it('--config applies the participant directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clearhouse-'));
    const config = join(dir, 'scheme.json');
    writeFileSync(config, JSON.stringify({
      name: 'two-bank scheme', currencies: ['EUR'],
      participants: [{ bic: 'BANKDEFFXXX', name: 'Bank A', status: 'active', currencies: ['EUR'] }],
    }));
    const r = run('validate', '--json', '--config', config, join(fixtures, 'pacs.008.001.08', 'valid-bulk-25.xml'));
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout).files[0];
    // Every payment goes to a bank that is not in this scheme.
    assert.equal(report.status, 'RJCT');
    assert.ok(report.transactions.every((t: { reasons: string[] }) => t.reasons.includes('RC02')));
  });
});

describe('clearhouse demo', () => {
  // Its duration (about 20 s here) is reported by the demo itself and recorded in docs/performance.md:
  // timings are measured, not asserted in tests.
  it('runs the whole story; every message the switch emitted is valid ISO 20022', async (t) => {
    const r = demoJsonOnce();
    const out = r.out;
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as {
      frontDoor: Array<{ status: string; answer: string }>;
      cycle1: { files: string[][]; realtime: Record<string, number> };
      positions: Array<{ state: string; rows: Array<{ net: string }> }>;
      paymentStates: Record<string, number>;
    };
    assert.ok(summary.frontDoor.some((f) => f.status === 'PART'));
    assert.ok(summary.frontDoor.some((f) => f.status === 'RJCT' && f.answer === 'admi.002.001.01'));
    assert.ok(summary.cycle1.files.some((f) => f[2] === 'PART') && summary.cycle1.files.some((f) => f[2] === 'RJCT'));
    assert.ok(summary.cycle1.realtime.committed! > 0 && summary.cycle1.realtime.timedOut! > 0 && summary.cycle1.realtime.rejectedByCreditor! > 0);
    assert.equal(summary.positions.length, 3, "cycle 1, cycle 2 (resolved), the next business day's first cycle");
    for (const table of summary.positions) {
      assert.equal(table.state, 'SETTLED');
      const sum = table.rows.reduce((s, row) => s + BigInt(row.net.replace(/[+.]/g, '')), 0n);
      assert.equal(sum, 0n, 'positions sum to zero');
    }
    assert.ok(summary.paymentStates.SETTLED! > 3000, 'thousands of payments settled');
    assert.ok(summary.paymentStates.RETURNED === 1, 'a return');
    // Every message the switch delivered, by type, against the scheme XSDs and the official ones.
    const byKind = new Map<string, { fileName: string; contents: Uint8Array }[]>();
    for (const bic of readdirSync(join(out, 'mailboxes'))) {
      for (const side of ['outbound', 'archive']) {
        const directory = join(out, 'mailboxes', bic, side);
        if (!existsSync(directory)) continue;
        for (const name of readdirSync(directory)) {
          const kind = /^(?:out-)?((?:pacs|camt|admi)\.\d{3}\.\d{3}\.\d{2})_/.exec(name)?.[1];
          if (!kind) continue;
          const list = byKind.get(kind) ?? [];
          list.push({ fileName: `${bic}-${name}`, contents: readFileSync(join(directory, name)) });
          byKind.set(kind, list);
        }
      }
    }
    assert.ok(byKind.size >= 7, `many kinds of message emitted: ${[...byKind.keys()].join(', ')}`);
    const directories = [join(root, 'schemas')];
    if (requireOrNote(t, !existsSync(officialXsdDirectory) && `official ISO XSDs not found at ${officialXsdDirectory}: checked against the scheme XSDs only`)) {
      directories.push(officialXsdDirectory);
    }
    for (const directory of directories) {
      const xsd = new XsdValidator(directory);
      try {
        for (const [kind, files] of byKind) {
          const result = await xsd.validateFiles(kind, files);
          for (const [name, errors] of result.errors) assert.deepEqual(errors, [], `${name} against ${directory}`);
        }
      } finally {
        await xsd.close();
      }
    }
  });
});
