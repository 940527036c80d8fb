/**
 * `npm run bench`: every benchmark of the repository, printed as tables and written to
 * .bench/results.json. Options: --quick (smaller, for a smoke run), --only validation|engine|connectors|scoring|api|reports|risk|screening|audit (one
 * section; the other sections' figures already in results.json are kept).
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchmarkFiles, benchmarkLarge, benchmarkSingles } from './validation.ts';
import { benchmarkQueue, benchmarkSftp, QUEUE_FULL, QUEUE_QUICK } from './connectors.ts';
import { benchmarkScoring } from './scoring.ts';
import { API_FULL, API_QUICK, benchmarkApi } from './api.ts';
import { benchmarkEngineBatch, benchmarkEngineRealtime, benchmarkRisk, BATCH_FULL, BATCH_QUICK, postgresSettings, TARGETS } from './engine.ts';
import { benchmarkReports } from './reports.ts';
import { benchmarkScreening } from './screening.ts';
import { benchmarkAudit } from './audit.ts';

const quick = process.argv.includes('--quick');
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
const BENCHES = ['validation', 'engine', 'connectors', 'scoring', 'api', 'reports', 'risk', 'screening', 'audit'];
if (only !== undefined && !BENCHES.includes(only)) {
  throw new Error(`--only ${only}: expected one of ${BENCHES.join(', ')}`);
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

if (only === undefined || only === 'engine') {
  const postgres = await postgresSettings();
  if (!postgres) {
    console.log('Clearing engine: PostgreSQL not reachable (BENCH_DATABASE_URL / TEST_DATABASE_URL / 127.0.0.1:5432): skipped.');
  } else {
    console.log(`Clearing engine on PostgreSQL ${postgres.version} (synchronous_commit=${postgres.synchronousCommit}, fsync=${postgres.fsync}), child processes.`);
    const shape = quick ? BATCH_QUICK : BATCH_FULL;
    console.log(`Batch: ${shape.files * shape.perFile} payments in ${shape.files} files from ${shape.files} participants, ${shape.concurrency} files in flight; ` +
      'first submit → last bulk pacs.008 written:');
    const batch = await benchmarkEngineBatch(quick);
    console.table([batch.row]);
    console.table(batch.phases);

    console.log(`Real-time: open-loop single INST pacs.008 through engine.submit, ${quick ? 5 : 60} s per rate; latency = submit start → resolved ` +
      `(reserved and forwarded); held = all accepted at ≥ 97 % of the offered rate, none shed, p99 < ${TARGETS.p99Ms} ms:`);
    const realtime = await benchmarkEngineRealtime(quick);
    console.table(realtime.rows);
    console.log(`Highest rate held: ${realtime.highestHeld}/s (target ≥ ${TARGETS.realtimePaymentsPerSecond}/s: ` +
      `${realtime.highestHeld >= TARGETS.realtimePaymentsPerSecond ? 'met' : 'not met'}).`);
    results.engine = { postgres, targets: TARGETS, batch: batch.result, realtime: { steps: realtime.steps, highestHeld: realtime.highestHeld } };
  }
}

if (only === undefined || only === 'risk') {
  if (!(await postgresSettings())) {
    console.log('Risk stage: PostgreSQL not reachable: skipped.');
  } else {
    console.log(`Risk stage (docs/risk.md): the real-time path at ${quick ? 500 : TARGETS.realtimePaymentsPerSecond}/s without and with the stage, ` +
      `in the same run, with ${quick ? '100,000' : '1,000,000'} account profiles loaded (streamed CSV, 20 versions):`);
    const risk = await benchmarkRisk(quick);
    console.table([{ stage: 'off', ...risk.off }, { stage: 'on', ...risk.on }]);
    console.table([{ ...risk.profileLoad, throughputRatio: risk.throughputRatio, factsMicrosecondsPerPayment: risk.factsMicrosecondsPerPayment }]);
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
    console.log(`Dashboard reads (${shape.readers} readers) while ${shape.rate} real-time payments/s are offered to engine.submit for ${shape.dashboardSeconds} s ` +
      `(achieved ${api.dashboard.achievedRate}/s):`);
    console.table(api.dashboard.reads);
    results.api = api;
  }
}

if (only === undefined || only === 'reports') {
  if (!(await postgresSettings())) {
    console.log('Reports: PostgreSQL not reachable (BENCH_DATABASE_URL / TEST_DATABASE_URL / 127.0.0.1:5432): skipped.');
  } else {
    const payments = quick ? 100_000 : 1_000_000;
    console.log(`Reports (docs/reports.md "Scale"): the daily statistics of a day of ${payments} payments (generate_series into a scratch schema), ` +
      'made in a child process; time per million payments and peak resident memory:');
    const reports = await benchmarkReports(payments);
    console.table([reports]);
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
const path = '.bench/results.json';
const previous = only !== undefined && existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> : {};
writeFileSync(path, JSON.stringify({ ...previous, ...results }, null, 2));
