/**
 * Screening benchmark (docs/performance.md "Screening"): for a list of N generated names written as a
 * UN consolidated list XML file (generated here, never committed), each in a child process of its own
 * so that its peak resident memory is its own:
 *
 *  - parse: the file streamed through parseUnList and the index built (time, peak RSS);
 *  - screen: payments with four names each (debtor, creditor, ultimate parties; one in ten a disguised
 *    listed name) screened against the index: mean and p99 time per payment;
 *  - store (with PostgreSQL): the file loaded through engine.loadScreeningList (one transaction,
 *    streamed) and the index rebuilt from the store by ScreeningLists (time, peak RSS).
 *
 * Run alone: `node --import tsx bench/screening.ts [--quick]`; `npm run bench` runs it as its
 * "screening" section.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListIndexBuilder } from '../switch/risk/screening/list-index.ts';
import { parseUnList } from '../switch/risk/screening/parse-un.ts';
import { ListScreener } from '../switch/risk/screening/screener.ts';
import type { PaymentRiskFacts } from '../switch/risk/types.ts';
import { generatedName, seededRandom } from '../test/support/screening-names.ts';
import { TYPESCRIPT_IMPORT } from '../switch/typescript-import.ts';

const PAYMENTS = 20_000;

export interface ScreeningRow {
  readonly names: number;
  readonly mode: string;
  readonly seconds: number;
  /** CPU time of the step (user + system): the figure to trust on a shared, loaded machine. */
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
  /** CPU time per payment (four names). */
  readonly screenCpuMs?: number;
  readonly screenMeanMs?: number;
  readonly screenP99Ms?: number;
  readonly hitsPerThousand?: number;
}

/** A UN-format consolidated list of `count` generated names written to `file`; returns a sample of them (also the risk benchmark's list). */
export async function writeList(file: string, count: number): Promise<string[]> {
  const random = seededRandom(11);
  const out = createWriteStream(file);
  const sample: string[] = [];
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('<?xml version="1.0" encoding="UTF-8"?>\n<CONSOLIDATED_LIST dateGenerated="2026-12-01T10:00:00Z">\n<INDIVIDUALS>\n');
  for (let i = 0; i < count; i++) {
    const name = generatedName(random);
    if (i % Math.max(1, Math.floor(count / 1000)) === 0) sample.push(name);
    const [first, ...rest] = name.split(' ');
    await write(`<INDIVIDUAL>\n<DATAID>${1_000_000 + i}</DATAID>\n<VERSIONNUM>1</VERSIONNUM>\n<FIRST_NAME>${first}</FIRST_NAME>\n` +
      `<SECOND_NAME>${rest.join(' ')}</SECOND_NAME>\n<UN_LIST_TYPE>Test</UN_LIST_TYPE>\n<NATIONALITY>\n<VALUE>Nowhere</VALUE>\n</NATIONALITY>\n` +
      '<INDIVIDUAL_ALIAS>\n<QUALITY>Low</QUALITY>\n<ALIAS_NAME>Nobody</ALIAS_NAME>\n</INDIVIDUAL_ALIAS>\n</INDIVIDUAL>\n');
  }
  await write('</INDIVIDUALS>\n<ENTITIES/>\n</CONSOLIDATED_LIST>\n');
  out.end();
  await once(out, 'finish');
  return sample;
}

const peakRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const cpuSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return Number(((used.user + used.system) / 1e6).toFixed(1));
};

function payments(sample: readonly string[]): PaymentRiskFacts[] {
  const random = seededRandom(12);
  const name = (): string => {
    if (random() >= 0.1) return generatedName(random);
    const listed = sample[Math.floor(random() * sample.length)]!;
    return listed.split(' ').reverse().join(' ').toUpperCase();
  };
  return Array.from({ length: PAYMENTS }, () => ({
    service: 'realtime', currency: 'EUR', amount: 100n, instructingAgent: 'BANKDEFFXXX', debtorAgent: 'BANKDEFFXXX', creditorAgent: 'BANKFRPPXXX',
    debtorAccount: 'DE89370400440532013000', creditorAccount: 'FR1420041010050500013M02606',
    debtor: { name: name(), country: 'DE' }, creditor: { name: name() }, ultimateDebtor: { name: name() }, ultimateCreditor: { name: name() },
    receivedAt: new Date(0), businessDate: '2026-12-01',
  }) as PaymentRiskFacts);
}

function screenTimes(screener: { screen(f: PaymentRiskFacts): readonly unknown[] }, sample: readonly string[]) {
  const all = payments(sample);
  for (const p of all.slice(0, 500)) screener.screen(p);
  const times: number[] = [];
  let hits = 0;
  const cpu = process.cpuUsage();
  for (const p of all) {
    const t = performance.now();
    hits += screener.screen(p).length;
    times.push(performance.now() - t);
  }
  const used = process.cpuUsage(cpu);
  const screenCpuMs = Number(((used.user + used.system) / 1000 / all.length).toFixed(3));
  times.sort((a, b) => a - b);
  const mean = times.reduce((s, t) => s + t, 0) / times.length;
  return { screenCpuMs, screenMeanMs: Number(mean.toFixed(3)), screenP99Ms: Number(times[Math.floor(times.length * 0.99)]!.toFixed(3)), hitsPerThousand: Math.round(hits / PAYMENTS * 1000) };
}

async function child(count: number, mode: string): Promise<ScreeningRow> {
  const dir = mkdtempSync(join(tmpdir(), 'clearhouse-bench-screening-'));
  try {
    const file = join(dir, 'consolidated.xml');
    const sample = await writeList(file, count);
    if (mode === 'parse') {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const builder = new ListIndexBuilder('bench@v1');
      for await (const r of parseUnList(createReadStream(file))) for (const v of r.values) builder.add(r.entryId, v.kind, v.value);
      const index = builder.build();
      const seconds = (performance.now() - started) / 1000;
      return { names: count, mode: 'parse file + build index', seconds: Number(seconds.toFixed(1)), cpuSeconds: cpuSince(cpu), peakRssMiB: peakRssMiB(), ...screenTimes(new ListScreener([index]), sample) };
    }
    const { Engine } = await import('../switch/engine/engine.ts');
    const { hashed, ScreeningLists } = await import('../switch/engine/screening-lists.ts');
    const { checkConfig } = await import('../switch/config.ts');
    const { readFileSync } = await import('node:fs');
    const config = JSON.parse(readFileSync(join(fileURLToPath(import.meta.url), '..', '..', 'config', 'demo-scheme.json'), 'utf8'));
    config.dataDirectory = join(dir, 'data');
    const engine = await Engine.open({ config: checkConfig(config), databaseUrl: process.env.BENCH_SCREENING_DATABASE_URL! });
    try {
      const hash = hashed();
      const loadCpuStart = process.cpuUsage();
      const started = performance.now();
      await engine.loadScreeningList({ name: 'bench', format: 'un', records: parseUnList(hash.wrap(createReadStream(file))), sha256: hash.sha256, files: [file] },
        { actor: 'bench', reason: 'benchmark' });
      const loadSeconds = (performance.now() - started) / 1000;
      const loadCpu = cpuSince(loadCpuStart);
      const loadRss = peakRssMiB();
      const lists = new ScreeningLists(engine.storeForTests());
      const cpu = process.cpuUsage();
      const rebuildStarted = performance.now();
      await lists.refresh();
      const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
      return { names: count, mode: `store load ${loadSeconds.toFixed(1)} s, CPU ${loadCpu} s, peak ${loadRss} MiB; then index from store`, seconds: Number(rebuildSeconds.toFixed(1)),
        cpuSeconds: cpuSince(cpu), peakRssMiB: peakRssMiB(), ...screenTimes(lists.current(), sample) };
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh PostgreSQL schema for the store mode, or undefined when PostgreSQL is not reachable. */
async function benchDatabaseUrl(): Promise<string | undefined> {
  const base = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const schema = `bench_screening_${process.pid}`;
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`CREATE SCHEMA ${schema}`);
    const url = new URL(base);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return url.toString();
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Every row of the section: 100,000 names (and 1,000,000 unless quick), parse and, with PostgreSQL, store. */
export async function benchmarkScreening(quick: boolean): Promise<ScreeningRow[]> {
  const rows: ScreeningRow[] = [];
  const script = fileURLToPath(import.meta.url);
  for (const count of quick ? [100_000] : [100_000, 1_000_000]) {
    for (const mode of ['parse', 'store']) {
      const url = mode === 'store' ? await benchDatabaseUrl() : undefined;
      if (mode === 'store' && url === undefined) continue;
      const result = spawnSync(process.execPath, [...TYPESCRIPT_IMPORT, script, '--child', String(count), mode],
        { encoding: 'utf8', env: { ...process.env, ...(url ? { BENCH_SCREENING_DATABASE_URL: url } : {}) }, maxBuffer: 1 << 24 });
      if (result.status !== 0) throw new Error(`screening bench (${count} ${mode}) failed: ${result.stderr}`);
      rows.push(JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ScreeningRow);
    }
  }
  return rows;
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  process.stdout.write(`${JSON.stringify(await child(Number(process.argv[childAt + 1]), process.argv[childAt + 2]!))}\n`);
  process.exit(0);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.table(await benchmarkScreening(process.argv.includes('--quick')));
}
