/**
 * `npm run bench`: every benchmark of the repository, printed as tables and written to
 * .bench/results.json. Options: --quick (smaller, for a smoke run), --only validation|engine|batch|realtime|connectors|scoring|api|reports|risk|screening|backup|audit
 * (one section, `engine` being batch and realtime; the other sections' figures already in results.json are kept), --per-file N (batch:
 * N payments in each of the 20 files instead of 10,000), --seconds N (realtime: N seconds per rate instead of 60), --rates R[,R…]
 * (realtime: just these rates, in order, instead of searching the highest rate held from the ladder; `--rates 2000,2000,2000`
 * runs the 2,000/s point three times in a row), --reports-size N
 * (reports: a day of N payments instead of 100,000; 20,000 with --quick).
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchmarkFiles, benchmarkLarge, benchmarkSingles } from './validation.ts';
import { benchmarkQueue, benchmarkSftp, QUEUE_FULL, QUEUE_QUICK } from './connectors.ts';
import { benchmarkScoring } from './scoring.ts';
import { API_FULL, API_QUICK, benchmarkApi } from './api.ts';
import { loadavg } from 'node:os';
import { benchmarkEngineBatch, benchmarkEngineRealtime, benchmarkRisk, BATCH_FULL, BATCH_QUICK, postgresSettings, settingsText, TARGETS } from './engine.ts';
import { benchmarkReports } from './reports.ts';
import { benchmarkScreening } from './screening.ts';
import { benchmarkBackup } from './backup.ts';
import { benchmarkAudit } from './audit.ts';

const quick = process.argv.includes('--quick');
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
const BENCHES = ['validation', 'engine', 'batch', 'realtime', 'connectors', 'scoring', 'api', 'reports', 'risk', 'screening', 'backup', 'audit'];
if (only !== undefined && !BENCHES.includes(only)) {
  throw new Error(`--only ${only}: expected one of ${BENCHES.join(', ')}`);
}
function numberOption(name: string): number | undefined {
  const index = process.argv.indexOf(name);
  if (index < 0) return undefined;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}: expected a positive whole number`);
  return value;
}
const perFile = numberOption('--per-file');
const reportsSize = numberOption('--reports-size');
const realtimeSeconds = numberOption('--seconds') ?? (quick ? 5 : 60);
function ratesOption(): number[] | undefined {
  const index = process.argv.indexOf('--rates');
  if (index < 0) return undefined;
  const rates = (process.argv[index + 1] ?? '').split(',').map(Number);
  if (rates.some((r) => !Number.isInteger(r) || r <= 0)) throw new Error('--rates: expected positive whole numbers separated by commas, e.g. 2000 or 2000,2000,2000');
  return rates;
}
const realtimeRates = ratesOption();
const summaries: string[] = [];
const RESULTS = '.bench/results.json';
/** The engine figures of an earlier run, kept when only one of batch and realtime runs now. */
function existingEngine(): Record<string, unknown> | undefined {
  if (only === undefined || only === 'engine' || !existsSync(RESULTS)) return undefined;
  return (JSON.parse(readFileSync(RESULTS, 'utf8')) as { engine?: Record<string, unknown> }).engine;
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
console.log(`clearhouse benchmarks — ${new Date().toISOString()} — ${machine}${quick ? ' — quick' : ''}\n`);

const results: Record<string, unknown> = { when: new Date().toISOString(), machine, quick };

if (only === undefined || only === 'validation') {
  console.log('Validation of pacs.008 files (median of repeated runs; native xmllint measured in this run):');
  const files = await benchmarkFiles();
  console.table(files);

  console.log(`Single-transaction messages, ${quick ? 3 : 10} s sustained:`);
  const singles = await benchmarkSingles(quick ? 3 : 10);
  console.table([singles]);

  const largeCount = quick ? 20_000 : 100_000;
  console.log(`A ${largeCount}-transaction file in a child process (peak resident memory):`);
  const large = benchmarkLarge(largeCount);
  console.table([large]);
  Object.assign(results, { files, singles, large });
}

const runBatch = only === undefined || only === 'engine' || only === 'batch';
const runRealtime = only === undefined || only === 'engine' || only === 'realtime';
if (runBatch || runRealtime) {
  const postgres = await postgresSettings();
  if (!postgres) {
    console.log('Clearing engine: PostgreSQL not reachable (BENCH_DATABASE_URL / TEST_DATABASE_URL / 127.0.0.1:5432): skipped.');
  } else {
    console.log(`Clearing engine on PostgreSQL ${postgres.version}, child processes; server settings: ${settingsText(postgres)}.`);
    console.log(`Load average at the start: ${loadavg().map((l) => l.toFixed(1)).join(', ')} (1, 5, 15 min).`);
    const engine: Record<string, unknown> = { postgres, targets: TARGETS };
    if (runBatch) {
      const shape = { ...(quick ? BATCH_QUICK : BATCH_FULL), ...(perFile ? { perFile } : {}) };
      console.log(`Batch: ${shape.files * shape.perFile} payments in ${shape.files} files from ${shape.files} participants, ${shape.concurrency} files in flight; ` +
        'first submit → last bulk pacs.008 written; then the floor for the same payments and files (bench/floor.ts):');
      const batch = await benchmarkEngineBatch(shape);
      console.table([batch.row]);
      console.table(batch.phases);
      console.table(batch.floor);
      const load = batch.result.loadAverage;
      console.log(`Load average (1 min): ${load.before} before, ${load.afterRun} after our run, ${load.afterFloor} after the floor.`);
      engine.batch = batch.result;
      summaries.push(batch.summary);
    }
    if (runRealtime) {
      console.log(`Real-time: open-loop single INST pacs.008 through engine.submit, ${realtimeSeconds} s per rate, ` +
        `${realtimeRates ? `the rates ${realtimeRates.join(', ')}/s in turn (--rates)` : 'searching the highest rate held'}; ` +
        'latency = submit start → resolved (reserved and forwarded); held = all accepted at ≥ 97 % of the offered rate, none shed, ' +
        `p99 < ${TARGETS.p99Ms} ms:`);
      const realtime = await benchmarkEngineRealtime(realtimeSeconds, realtimeRates);
      console.table(realtime.rows);
      console.log(`Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')}.`);
      engine.realtime = { steps: realtime.steps, highestHeld: realtime.highestHeld, p99AtHighestMs: realtime.p99AtHighestMs };
      summaries.push(`realtime: highest rate held ${realtime.highestHeld}/s, p99 ${realtime.p99AtHighestMs === null ? '?' : realtime.p99AtHighestMs.toFixed(0)} ms`);
    }
    results.engine = { ...(existingEngine() ?? {}), ...engine };
  }
}

if (only === undefined || only === 'risk') {
  if (!(await postgresSettings())) {
    console.log('Risk stage: PostgreSQL not reachable: skipped.');
  } else {
    console.log(`Risk stage (docs/risk.md): the real-time path at ${quick ? 500 : TARGETS.realtimePaymentsPerSecond}/s and batch intake, without and with ` +
      `the stage, in the same run, with ${quick ? '100,000' : '1,000,000'} account profiles and a ${quick ? '10,000' : '100,000'}-name list loaded:`);
    const risk = await benchmarkRisk(quick);
    console.table([{ stage: 'off', ...risk.off }, { stage: 'on', ...risk.on }]);
    console.table([{ stage: 'batch off', ...risk.batchOff }, { stage: 'batch on', ...risk.batchOn }]);
    console.table([{ profiles: risk.profileLoad.profiles, profilesS: risk.profileLoad.seconds, names: risk.listLoad.names, listS: risk.listLoad.seconds,
      throughputRatio: risk.throughputRatio, batchThroughputRatio: risk.batchThroughputRatio, realtimeCpuRatio: risk.realtimeCpuRatio,
      batchCpuRatio: risk.batchCpuRatio, factsMicrosecondsPerPayment: risk.factsMicrosecondsPerPayment, loadAverage: risk.loadAverage.join(' → ') }]);
    results.risk = risk;
  }
}

if (only === undefined || only === 'connectors') {
  const connectors: Record<string, unknown> = {};
  console.log('SFTP connector on a loopback OpenSSH sshd (chrooted bank mailbox); signed pairs, `.part` + rename; ' +
    'reference: the OpenSSH `sftp -b` client doing the same operations on the same files:');
  const sftp = await benchmarkSftp(quick);
  if (typeof sftp === 'string') {
    console.log(`SFTP: ${sftp}: skipped.`);
  } else {
    console.table(sftp.rows);
    console.log('Signature check of the received files (verifyDetached, after receive):');
    console.table(sftp.verify);
    connectors.sftp = sftp;
  }
  const shape = quick ? QUEUE_QUICK : QUEUE_FULL;
  console.log(`Queue connector (BullMQ on Redis): ${shape.messages} messages of ${shape.bytes / 1e3} KB into in-<BIC>, then drained by ` +
    'consumer child processes (QueueConnector.receive + acknowledge, one at a time):');
  const queue = await benchmarkQueue(quick);
  if (typeof queue === 'string') {
    console.log(`Queue: ${queue}: skipped.`);
  } else {
    console.table(queue);
    connectors.queue = queue;
  }
  results.connectors = connectors;
}

if (only === undefined || only === 'scoring') {
  console.log('Risk scoring (docs/performance.md "Risk scoring"): per payment, one transaction without the score (INSERT of the payment) ' +
    'and with it (score + INSERT + record), the same synthetic day alternating halves:');
  const scoring = await benchmarkScoring(quick);
  console.table(scoring);
  results.scoring = scoring;
}

if (only === undefined || only === 'api') {
  if (!(await postgresSettings())) {
    console.log('HTTP API: PostgreSQL not reachable: skipped.');
  } else {
    const shape = quick ? API_QUICK : API_FULL;
    console.log(`HTTP API: ${shape.submitMessages} single INST pacs.008, ${shape.clients} concurrent clients, over HTTPS (POST /messages, mutual TLS, ` +
      'keep-alive) and then through engine.submit on the same engine:');
    const api = await benchmarkApi(quick);
    console.table([api.submit]);
    const d = api.dashboard;
    console.log(`Dashboard reads (${shape.refreshesPerSecond} refreshes/s of the console's ${d.reads.length} reads, open loop; ${d.refreshes} done, ` +
      `${d.refreshesSkipped} skipped) while ${shape.rate} real-time payments/s are offered to engine.submit in a child process for ` +
      `${shape.dashboardSeconds} s: achieved ${d.achievedRate}/s${d.achievedRate < shape.rate * 0.95 ? ' (the offered rate was NOT reached)' : ''}; ` +
      `load average ${d.loadAverage.before} → ${d.loadAverage.after}:`);
    console.table(api.dashboard.reads);
    results.api = api;
  }
}

if (only === undefined || only === 'reports') {
  if (!(await postgresSettings())) {
    console.log('Reports: PostgreSQL not reachable (BENCH_DATABASE_URL / TEST_DATABASE_URL / 127.0.0.1:5432): skipped.');
  } else {
    const payments = reportsSize ?? (quick ? 20_000 : 100_000);
    console.log(`Reports (docs/reports.md "Scale"): a day of ${payments} payments (generate_series into a scratch schema); the daily statistics, ` +
      'the reconciliation, the camt.053 of the largest participant streamed to a file and the business-day close, each in a child process; ' +
      'seconds per million payments and peak resident memory (--reports-size N for another day size, e.g. 1000000):');
    const reports = await benchmarkReports(payments);
    console.table(reports.steps);
    console.log(`Generated in ${reports.generateS} s; load average (1, 5, 15 min) ${reports.loadAverage.before} before, ${reports.loadAverage.after} after.`);
    results.reports = reports;
  }
}

if (only === undefined || only === 'screening') {
  console.log(`Screening (docs/performance.md "Screening"): generated UN-format lists of ${quick ? '100,000' : '100,000 and 1,000,000'} names, ` +
    'child processes; parse + index from the file, and (with PostgreSQL) load into the store + index from the store; ' +
    'screening of payments with four names each, one in ten a disguised listed name:');
  const screening = await benchmarkScreening(quick);
  console.table(screening);
  results.screening = screening;
}

if (only === undefined || only === 'backup') {
  if (!(await postgresSettings())) {
    console.log('Backup and restore: PostgreSQL not reachable: skipped.');
  } else {
    const payments = quick ? 20_000 : 200_000;
    console.log(`Backup and restore (docs/operations.md "Backup and restore"): a settled day of ${payments} payments (generated with SQL: stored files, ` +
      'transaction XML, transitions), each step in a child process; seconds per million payments and peak resident memory:');
    const backup = await benchmarkBackup(payments);
    console.table(backup);
    results.backup = backup;
  }
}

if (only === undefined || only === 'audit') {
  if (!(await postgresSettings())) {
    console.log('Audit journal: PostgreSQL not reachable: skipped.');
  } else {
    console.log('Audit journal (docs/audit.md): the same work with the journal triggers on and off, alternated, in this process; throughput per run:');
    const audit = await benchmarkAudit(quick);
    console.table(audit.rows);
    results.audit = audit.result;
  }
}

mkdirSync('.bench', { recursive: true });
const previous = only !== undefined && existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown> : {};
writeFileSync(RESULTS, JSON.stringify({ ...previous, ...results }, null, 2));
// The summary lines last, one each, for scripts (issue 15).
for (const line of summaries) console.log(line);
