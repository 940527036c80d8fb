/**
 * Validation benchmark. Generates pacs.008 files of 1, 100 and 10,000 transactions and measures, in
 * the same run, native libxml2 `xmllint --schema` (the reference) and our parse / XSD / full
 * validation on the same files; then single-message throughput; then a 100,000-transaction file in a
 * child process for peak memory. Figures are reported as ratios to the reference, since absolute
 * times on shared machines vary.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bulkCreditTransfer, DEMO_BANKS } from '../switch/demo/generate.ts';
import { build, parseXml } from '../switch/iso/messages/pacs.008.001.08/index.ts';
import { validateFile, validateSchemaOnly } from '../switch/validation/pipeline.ts';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';
import { TYPESCRIPT_IMPORT } from '../switch/typescript-import.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const work = join(root, '.bench');
const schema = join(root, 'schemas', 'pacs.008.001.08.xsd');

export interface Row { readonly [key: string]: string | number }

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function makeFile(count: number): string {
  mkdirSync(work, { recursive: true });
  const path = join(work, `pacs008-${count}.xml`);
  if (!existsSync(path)) {
    writeFileSync(path, build(bulkCreditTransfer({
      seed: count, sender: DEMO_BANKS[0]!, receivers: DEMO_BANKS.slice(1), transactionCount: count,
      settlementDate: '2026-11-27', createdAt: '2026-11-26T10:00:00Z',
    })));
  }
  return path;
}

function nativeXmllint(path: string, runs: number, extra: string[] = []): number {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const result = spawnSync('xmllint', ['--noout', ...extra, '--schema', schema, path], { encoding: 'utf8' });
    times.push(performance.now() - started);
    if (result.status !== 0) throw new Error(`native xmllint failed on ${path}: ${result.stderr}`);
  }
  return median(times);
}

async function timed(runs: number, task: () => Promise<unknown> | unknown): Promise<number> {
  await task(); // warm-up (JIT, worker start, schema cache)
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    await task();
    times.push(performance.now() - started);
  }
  return median(times);
}

export async function benchmarkFiles(): Promise<Row[]> {
  const hasNative = spawnSync('xmllint', ['--version']).status === 0;
  if (!hasNative) console.log('native xmllint not found (apt-get install libxml2-utils): ratios omitted');
  const xsd = new XsdValidator();
  const rows: Row[] = [];
  try {
    for (const count of [1, 100, 10_000]) {
      const path = makeFile(count);
      const bytes = readFileSync(path);
      const runs = count === 10_000 ? 5 : 15;
      const native = hasNative ? nativeXmllint(path, runs) : NaN;
      const nativeStream = hasNative ? nativeXmllint(path, runs, ['--stream']) : NaN;
      const parse = await timed(runs, () => parseXml(bytes.toString('utf8')));
      const schemaOnly = await timed(runs, () => validateSchemaOnly(bytes, xsd));
      const full = await timed(runs, async () => {
        const report = await validateFile(bytes, { xsd });
        if (report.status !== 'ACCP') throw new Error(`benchmark file rejected: ${JSON.stringify(report.findings[0])}`);
      });
      const megabytes = bytes.length / 1e6;
      rows.push({
        transactions: count, 'size MB': megabytes.toFixed(2),
        'native xmllint ms': native.toFixed(1), 'native --stream ms': nativeStream.toFixed(1),
        'parse (fast-xml-parser + model) ms': parse.toFixed(1),
        'XSD (xmllint-wasm) ms': schemaOnly.toFixed(1),
        'full validation ms': full.toFixed(1),
        'full MB/s': (megabytes / (full / 1000)).toFixed(1),
        'full tx/s': Math.round(count / (full / 1000)),
        'full vs native (throughput ratio)': (native / full).toFixed(2),
      });
    }
  } finally {
    await xsd.close();
  }
  return rows;
}

/** Single-transaction messages validated as they would arrive: many in flight, each on its own. */
export async function benchmarkSingles(seconds: number): Promise<Row> {
  const messages = Array.from({ length: 2_000 }, (_, i) => new TextEncoder().encode(build(bulkCreditTransfer({
    seed: 50_000 + i, sender: DEMO_BANKS[i % 5]!, receivers: DEMO_BANKS.filter((_, k) => k !== i % 5),
    transactionCount: 1, settlementDate: '2026-11-27', createdAt: '2026-11-26T10:00:00Z',
  }))));
  const xsd = new XsdValidator();
  const concurrency = 256;
  let done = 0;
  const latencies: number[] = [];
  try {
    await Promise.all(messages.slice(0, concurrency).map((m) => validateFile(m, { xsd }))); // warm-up
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const lane = async (offset: number): Promise<void> => {
      for (let i = offset; performance.now() < deadline; i += concurrency) {
        const t = performance.now();
        const report = await validateFile(messages[i % messages.length]!, { xsd });
        latencies.push(performance.now() - t);
        if (report.status !== 'ACCP') throw new Error('single message rejected');
        done++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, k) => lane(k)));
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      'single messages validated': done, seconds: elapsed.toFixed(1), 'messages/s': Math.round(done / elapsed),
      'in flight': concurrency,
      'p50 latency ms': latencies[Math.floor(latencies.length * 0.5)]!.toFixed(0),
      'p99 latency ms': latencies[Math.floor(latencies.length * 0.99)]!.toFixed(0),
    };
  } finally {
    await xsd.close();
  }
}

/** A 100,000-transaction file validated in a child process, for its peak resident memory. */
export function benchmarkLarge(count: number): Row {
  const path = join(work, `pacs008-${count}.xml`);
  if (!existsSync(path)) {
    const made = spawnSync(process.execPath, [...TYPESCRIPT_IMPORT, join(root, 'bench', 'make-large.ts'), String(count), path], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error('could not generate the large file');
  }
  const child = spawnSync(process.execPath, [...TYPESCRIPT_IMPORT, join(root, 'bench', 'validate-large.ts'), path], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`large validation failed: ${child.stderr}`);
  const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as { ms: number; status: string; maxRssMB: number; transactions: number };
  const hasNative = spawnSync('xmllint', ['--version']).status === 0;
  const native = hasNative ? nativeXmllint(path, 1) : NaN;
  return {
    transactions: result.transactions, 'size MB': (statSync(path).size / 1e6).toFixed(1), status: result.status,
    'full validation s': (result.ms / 1000).toFixed(2), 'peak RSS MB': result.maxRssMB,
    'native xmllint s': (native / 1000).toFixed(2), 'full vs native (throughput ratio)': (native / result.ms).toFixed(2),
  };
}
