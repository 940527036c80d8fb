/**
 * Batch intake alone, for investigation (issue 15): `node --import tsx bench/intake-only.ts FILES [IN_FLIGHT]`
 * submits the first FILES cached 10,000-payment bench files (bench/engine.ts batch: run `npm run bench --
 * --only batch` once to generate them) to an engine on a fresh schema, IN_FLIGHT at a time (default 2),
 * and prints one JSON line: wall s, CPU s node (all threads) and PostgreSQL (this run's sessions and the
 * server's background processes), each per payment, and the load average. PROFILE=file.cpuprofile writes a
 * main-thread CPU profile of the intake window only; PGSQLCPU=1 prints each statement's PostgreSQL backend
 * CPU (bench/sql-cpu.ts); KEEP=1 keeps the schema. Compare two trees by running it in each, alternating (docs/performance.md).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadavg } from 'node:os';
import { Engine } from '../switch/engine/engine.ts';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';
import { CpuMeter, benchBanks, benchScheme, freshSchema, settlementDate } from './engine.ts';
import { build } from '../switch/iso/messages/pacs.008.001.08/index.ts';
import { bulkCreditTransfer } from '../switch/demo/generate.ts';
import { validateFile } from '../switch/validation/pipeline.ts';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { installSqlCpu } from './sql-cpu.ts';
const sqlReport = process.env.PGSQLCPU ? installSqlCpu() : undefined;

const files = Number(process.argv[2] ?? 4);
const concurrency = Number(process.argv[3] ?? 2);
const banks = benchBanks(20);
const date = settlementDate();
const inputs = Array.from({ length: files }, (_, i) => ({
  sender: banks[i]!.bic,
  path: `.bench/engine/batch-10000-${String(i).padStart(2, '0')}.xml`,
}));
const texts = inputs.map((i) => readFileSync(i.path, 'utf8').replaceAll('2000-01-01', date));
const xsd = new XsdValidator();
const schema = await freshSchema('bench_intake');
const engine = await Engine.open({ config: benchScheme(banks), databaseUrl: schema.url, xsd });
try {
  const warm = new TextEncoder().encode(build(bulkCreditTransfer({
    seed: 1, sender: banks[0]!, receivers: banks.slice(1), transactionCount: 10, settlementDate: date,
    createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  })));
  await Promise.all(Array.from({ length: 8 }, () => validateFile(warm, { xsd })));
  const load = loadavg()[0]!;
  const session = process.env.PROFILE ? new Session() : undefined;
  if (session) { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 200 }); await session.post('Profiler.start'); }
  const meter = await CpuMeter.start(schema.applicationName);
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < inputs.length) {
      const k = next++;
      const bytes = Buffer.from(texts[k]!, 'utf8');
      const r = await engine.submit({ bytes, sender: inputs[k]!.sender, fileName: basename(inputs[k]!.path) });
      if (r.status !== 'ACCP') throw new Error(`${r.status} ${JSON.stringify(r.report.findings.slice(0, 2))}`);
    }
  }));
  const wall = (performance.now() - started) / 1000;
  const cpu = meter.lap();
  if (session) { const { profile } = await session.post('Profiler.stop'); writeFileSync(process.env.PROFILE!, JSON.stringify(profile)); }
  meter.stop();
  sqlReport?.();
  const n = files * 10_000;
  console.log(JSON.stringify({ files, wallS: +wall.toFixed(2), nodeCpuS: +cpu.exact.nodeCpuS.toFixed(2), pgCpuS: +(cpu.exact.postgresCpuS ?? NaN).toFixed(2),
    nodeUsPerPayment: Math.round(cpu.exact.nodeCpuS * 1e6 / n), pgUsPerPayment: Math.round((cpu.exact.postgresCpuS ?? NaN) * 1e6 / n), load: +load.toFixed(1) }));
} finally {
  await engine.close();
  await xsd.close();
  // KEEP=1: the schema is kept (its name printed) for bench/payments-index-cost.ts.
  if (process.env.KEEP) console.error(`kept schema ${schema.applicationName}`); else await schema.drop();
}
