/**
 * Several `clearhouse serve` processes against one PostgreSQL and one Redis give the same results as
 * one process, with no payment handled twice. Five banks on QUEUE connectors (TEST_REDIS_URL or
 * redis://127.0.0.1:6379, a logical database of its own per run, flushed afterwards), the settlement
 * agent on a directory mailbox with --simulate-settlement, real PostgreSQL (a fresh schema per run).
 *
 * Run A: one `serve --once` at a time. Run B: three at once (`cycle close` is run once in both; one
 * process of each round runs the settlement-agent simulator, which is a single external agent).
 * Both runs get the same 20 files (5 banks × 4 files × 25 payments) plus one re-send per bank of a
 * file under another name (a replay), and must end in the same timing-independent state. Every
 * process of a run shares one simulated clock (CLEARHOUSE_CLOCK) on the same Monday, so both runs
 * clear on the same business date whatever day the test runs.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { freshPostgresUrl } from '../engine/support.ts';
import { BankQueueClient, DEFAULT_PREFIX, inboundQueueName } from '../../connectors/queue.ts';
import { redisConnection } from '../../connectors/registry.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { businessDateOf } from '../../batch/calendar.ts';
import { checkConfig } from '../../switch/config.ts';
import { CLOCK_VARIABLE } from '../../switch/clock.ts';
import { cli, clockBeforeCutOff, killLeftoverServes, sharedClock, startServe } from '../support/cli-workspace.ts';

const redisBase = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const FILES_PER_BANK = 4;
const PAYMENTS_PER_FILE = 25;
const ROUNDS_MAX = 12;
/** Shared mode: the scheduled cut-off is this far ahead when the processes start: they start (seconds
 * each on a loaded machine) and take every file before it. */
const SHARED_CUT_OFF_LEAD_MS = 60_000;
/** The scheme's one cut-off of the day (UTC), and the instant of it on a Monday. */
const CUT_OFF_TIME = '09:00';
const CUT_OFF = '2026-12-07T09:00:00Z';
/** Rounds mode: the clock starts three hours before the cut-off, so none falls inside the test. */
const ROUNDS_START = '2026-12-07T06:00:00Z';
/** Shared mode: time after the cut-off for netting, settlement and delivery before the test gives up. */
const SHARED_SETTLE_MS = 60_000;
const children = new Set<ChildProcess>();
const redisUrls: string[] = [];

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  killLeftoverServes();
  for (const url of redisUrls) {
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    await redis.flushdb();
    await redis.quit();
  }
});

function dbUrl(db: number): string {
  const url = new URL(redisBase);
  url.pathname = `/${db}`;
  return url.toString();
}

/** An empty logical database (1..15), starting from one chosen by the pid; never database 0. */
async function freeRedisUrl(taken: readonly string[]): Promise<string> {
  for (let i = 0; i < 15; i++) {
    const url = dbUrl(1 + ((process.pid + i) % 15));
    if (taken.includes(url)) continue;
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    const size = await redis.dbsize();
    await redis.quit();
    if (size === 0) {
      redisUrls.push(url);
      return url;
    }
  }
  throw new Error('no empty Redis logical database among 1..15');
}

interface Result { readonly code: number | null; readonly stdout: string; readonly stderr: string }

function runCli(env: NodeJS.ProcessEnv, args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL' });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => { children.delete(child); resolve({ code, stdout, stderr }); });
  });
}

/** The same scheme in both modes: one cycle a business day, cut off at 09:00 UTC; weekends closed. */
function schemeFor(work: string): string {
  const raw = {
    name: 'distributed test scheme', switchBic: 'CLHSDEFFXXX', dataDirectory: join(work, 'data'), currencies: ['EUR'],
    calendar: { timeZone: 'UTC', cycleDayRollTime: '24:00', holidays: [], weekendDays: [6, 0] },
    cycles: [CUT_OFF_TIME],
    services: [{ messageType: 'pacs.008', mode: 'batch' }],
    // The agent's own connector (serve refuses to start without a way to reach it); one process of each
    // round answers as the agent in-process (--simulate-settlement), the others read its directory mailbox.
    settlementAgent: { bic: 'MARKDEFFXXX', name: 'Central bank', settlementAccount: 'CLHS-SETTLEMENT-EUR', connector: { type: 'directory' } },
    participants: DEMO_BANKS.map((bank) => ({
      bic: bank.bic, name: bank.name, status: 'active', currencies: ['EUR'], netDebitCap: { EUR: '100000000.00' }, connector: { type: 'queue' },
    })),
  };
  const path = join(work, 'scheme.json');
  writeFileSync(path, JSON.stringify(raw));
  return path;
}

interface Files { readonly bic: string; readonly fileName: string; readonly bytes: Uint8Array }

/** The same files for both runs: 4 bulk files per bank, plus each bank's first file again under another name. */
function workload(configPath: string, now: Date): Files[] {
  const config = checkConfig(JSON.parse(readFileSync(configPath, 'utf8')));
  const settlementDate = businessDateOf(now, config.calendar);
  const files: Files[] = [];
  for (const [b, bank] of DEMO_BANKS.entries()) {
    for (let f = 1; f <= FILES_PER_BANK; f++) {
      const model = bulkCreditTransfer({
        seed: 1000 * (b + 1) + f, sender: bank, receivers: DEMO_BANKS.filter((r) => r.bic !== bank.bic), transactionCount: PAYMENTS_PER_FILE,
        settlementDate, createdAt: '2026-11-26T08:00:00', messageId: `${bank.bic.slice(0, 8)}-D${f}`,
      });
      const bytes = new TextEncoder().encode(buildPacs008(model));
      files.push({ bic: bank.bic, fileName: `${model.groupHeader.messageId}.xml`, bytes });
      if (f === 1) files.push({ bic: bank.bic, fileName: `${model.groupHeader.messageId}-resent.xml`, bytes });
    }
  }
  return files;
}

async function waitingInbound(redisUrl: string): Promise<number> {
  let total = 0;
  for (const bank of DEMO_BANKS) {
    const queue = new Queue(inboundQueueName(bank.bic), { connection: redisConnection(redisUrl), prefix: DEFAULT_PREFIX });
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    total += Object.values(counts).reduce((s, n) => s + n, 0);
    await queue.close();
  }
  return total;
}

interface Outcome {
  readonly payments: string[];
  readonly positions: string[];
  readonly cycles: string[];
  readonly bankInbound: number;
  readonly duplicateTxIds: number;
  readonly pendingOutbox: number;
  readonly instructions: string[];
  readonly received: Record<string, { bulks: number; txIds: string[] }>;
  readonly serveFailures: string[];
  /** Shared mode: outbox deliveries logged by each process. */
  readonly deliveriesByProcess?: number[];
}

async function scenario(processes: number, mode: 'rounds' | 'shared' = 'rounds'): Promise<Outcome> {
  const work = mkdtempSync(join(tmpdir(), `clearhouse-dist-${processes}-`));
  // Shared mode sets its clock when the processes start, LEAD before the cut-off (below).
  const clock = sharedClock(ROUNDS_START);
  const configPath = schemeFor(work);
  const databaseUrl = await freshPostgresUrl();
  const redisUrl = await freeRedisUrl(redisUrls);
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, CLEARHOUSE_CONFIG: configPath, REDIS_URL: redisUrl, [CLOCK_VARIABLE]: clock.setting };
  const connection = redisConnection(redisUrl);
  const clients = new Map(DEMO_BANKS.map((bank) => [bank.bic, new BankQueueClient({ connection, bic: bank.bic })]));
  const db = new pg.Client({ connectionString: databaseUrl });
  const serveFailures: string[] = [];
  try {
    for (const file of workload(configPath, clock.clock.now())) await clients.get(file.bic)!.send({ fileName: file.fileName, bytes: file.bytes });
    let deliveriesByProcess: number[] | undefined;
    if (mode === 'shared') {
      // Long-running processes share the work through BullMQ; the cut-off fires on schedule.
      const cutOff = clockBeforeCutOff(CUT_OFF, SHARED_CUT_OFF_LEAD_MS);
      env[CLOCK_VARIABLE] = cutOff.setting;
      const serves = Array.from({ length: processes }, (_, i) => startServe(env, i === 0 ? ['--simulate-settlement'] : []));
      await db.connect();
      const deadline = cutOff.wallMs + SHARED_SETTLE_MS;
      const done = async (): Promise<boolean> => {
        const r = await db.query(`SELECT (SELECT count(*) FROM cycles WHERE state = 'SETTLED')::int AS settled,
          (SELECT count(*) FROM outbox WHERE state <> 'DELIVERED')::int AS pending`).catch((error: { code?: string }) => {
          if (error.code === '42P01') return undefined; // the processes have not created the schema yet
          throw error;
        });
        return r !== undefined && r.rows[0].settled === 1 && r.rows[0].pending === 0;
      };
      let finished = false;
      while (Date.now() < deadline && !(finished = await done())) await new Promise((resolve) => setTimeout(resolve, 500));
      const codes = await Promise.all(serves.map((serve) => serve.stop()));
      codes.forEach((code, i) => { if (code !== 0) serveFailures.push(`exit ${code}: ${serves[i]!.stderr().slice(-600)}`); });
      assert.ok(finished, `the scheduled cut-off at ${CUT_OFF} settled and everything was delivered; stderr of the first process:\n${serves[0]!.stderr().slice(-2000)}`);
      // A pass that ran between that moment and the stop may have made an audit checkpoint (every
      // AUDIT_INTERVAL_MS): its publication leaves with the next dispatch, i.e. at the next start. Nothing
      // else may be left behind.
      const left = await db.query(`SELECT m.message_type FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.state <> 'DELIVERED'`);
      assert.deepEqual([...new Set(left.rows.map((r: { message_type: string }) => r.message_type))].filter((t) => t !== 'ledger.checkpoint'), [],
        'after the stop, only a checkpoint made by the last pass waits for delivery');
      deliveriesByProcess = serves.map((serve) => (serve.stderr().match(/deliver outbox \d+: delivered/g) ?? []).length);
      assert.equal(await waitingInbound(redisUrl), 0, 'the inbound queues are drained');
    } else {
      const serveRound = async (): Promise<void> => {
        // The settlement-agent simulator reads and archives the agent's directory mailbox without a
        // claim: two of them answer the same pacs.009 and one crashes on the archive (ENOENT). It stands
        // in for one external agent, so one process of each round simulates it; all of them serve.
        const results = await Promise.all(Array.from({ length: processes }, (_, i) =>
          runCli(env, ['serve', '--once', ...(i === 0 ? ['--simulate-settlement'] : [])])));
        for (const r of results) if (r.code !== 0) serveFailures.push(`exit ${r.code}: ${r.stderr.slice(-600)}`);
      };
      for (let round = 0; round < ROUNDS_MAX && (await waitingInbound(redisUrl)) > 0; round++) await serveRound();
      assert.equal(await waitingInbound(redisUrl), 0, 'the inbound queues are drained');

      // One operator's `cycle close` (a manual close is not idempotent: two of them close two cycles).
      const close = await runCli(env, ['cycle', 'close', '--json']);
      assert.equal(close.code, 0, close.stderr);
      assert.notEqual((JSON.parse(close.stdout) as { closed: string | null }).closed, null);

      await db.connect();
      const settled = async (): Promise<boolean> => {
        const open = await db.query(`SELECT (SELECT count(*) FROM cycles WHERE state NOT IN ('OPEN', 'SETTLED'))::int AS busy,
          (SELECT count(*) FROM outbox WHERE state <> 'DELIVERED')::int AS pending`);
        return open.rows[0].busy === 0 && open.rows[0].pending === 0;
      };
      for (let round = 0; round < ROUNDS_MAX && !(await settled()); round++) await serveRound();
    }
    const deliveredTwice = await db.query(`SELECT count(*)::int AS n FROM (SELECT outbox_id FROM deliveries WHERE ok
      GROUP BY outbox_id HAVING count(*) > 1) d`);
    assert.equal(deliveredTwice.rows[0].n, 0, 'no outbox message delivered twice');

    const payments = await db.query(`SELECT debtor_agent, creditor_agent, transaction_id, amount_minor, state FROM payments_effective
      WHERE kind = 'CREDIT' ORDER BY instructing_agent, transaction_id`);
    const positions = await db.query(`SELECT c.business_date::text AS d, c.sequence, p.bic, p.currency, p.net_minor FROM cycle_positions p
      JOIN cycles c ON c.id = p.cycle_id ORDER BY c.business_date, c.sequence, p.bic, p.currency`);
    const cycles = await db.query('SELECT state FROM cycles ORDER BY id');
    const inbound = await db.query(`SELECT count(*)::int AS n FROM messages WHERE direction = 'in' AND participant <> 'MARKDEFFXXX'`);
    const duplicates = await db.query(`SELECT count(*)::int AS n FROM (SELECT instructing_agent, transaction_id FROM payments
      GROUP BY instructing_agent, transaction_id HAVING count(*) > 1) d`);
    const outbox = await db.query(`SELECT count(*)::int AS n FROM outbox WHERE state <> 'DELIVERED'`);
    const instructions = await db.query(`SELECT bic, currency, direction, amount_minor, state FROM settlement_instructions ORDER BY bic, currency`);

    const received: Outcome['received'] = {};
    for (const [bic, client] of clients) {
      const taken = [];
      for (let batch = await client.take(); batch.length > 0; batch = await client.take()) taken.push(...batch);
      const bulks = taken.filter((f) => f.fileName.startsWith('pacs.008'));
      const txIds = bulks.flatMap((f) => [...Buffer.from(f.bytes).toString('utf8').matchAll(/<TxId>([^<]+)<\/TxId>/g)].map((m) => m[1]!));
      received[bic] = { bulks: bulks.length, txIds: txIds.sort() };
    }
    return {
      payments: payments.rows.map((r) => `${r.debtor_agent} ${r.creditor_agent} ${r.transaction_id} ${r.amount_minor} ${r.state}`),
      positions: positions.rows.map((r) => `${r.d}#${r.sequence} ${r.bic} ${r.currency} ${r.net_minor}`),
      cycles: cycles.rows.map((r) => String(r.state)),
      bankInbound: inbound.rows[0].n, duplicateTxIds: duplicates.rows[0].n, pendingOutbox: outbox.rows[0].n,
      instructions: instructions.rows.map((r) => `${r.bic} ${r.currency} ${r.direction} ${r.amount_minor} ${r.state}`),
      received, serveFailures, ...(deliveriesByProcess ? { deliveriesByProcess } : {}),
    };
  } finally {
    await db.end().catch(() => undefined);
    for (const client of clients.values()) await client.close();
  }
}

/**
 * The one-process run, made once for both tests (each compares its three processes with it): the run
 * is deterministic (the same files, the same simulated clock), so a second one would end the same. Run
 * alone, either test makes it.
 */
let oneProcessRun: Promise<Outcome> | undefined;
const oneProcess = (): Promise<Outcome> => (oneProcessRun ??= scenario(1));

describe('several serve processes on one PostgreSQL and one Redis', () => {
  it('three processes end as one does: every payment settled once, one bulk per bank and cycle', { timeout: 150_000 }, async (t) => {
    const one = await oneProcess();
    const three = await scenario(3);
    const payments = DEMO_BANKS.length * FILES_PER_BANK * PAYMENTS_PER_FILE;

    for (const outcome of [one, three]) {
      assert.equal(outcome.payments.length, payments);
      assert.ok(outcome.payments.every((p) => p.endsWith(' SETTLED')), outcome.payments.find((p) => !p.endsWith(' SETTLED')));
      assert.equal(outcome.bankInbound, DEMO_BANKS.length * FILES_PER_BANK, 'each file stored once; the re-sent copies are replays');
      assert.equal(outcome.duplicateTxIds, 0, 'no (instructing agent, TxId) twice');
      assert.equal(outcome.pendingOutbox, 0, 'the outbox is empty');
      assert.deepEqual(outcome.cycles, ['SETTLED', 'OPEN'], 'the closed cycle settled, the next one is open');
      assert.ok(outcome.positions.length > 0 && outcome.positions.every((p) => p.startsWith('2026-12-07#1 ')), outcome.positions.join('\n'));
      assert.deepEqual(outcome.serveFailures, []);
      for (const bank of DEMO_BANKS) {
        const got = outcome.received[bank.bic]!;
        assert.equal(got.bulks, 1, `${bank.bic}: one bulk pacs.008 for the cycle`);
        assert.equal(new Set(got.txIds).size, got.txIds.length, `${bank.bic}: each payment delivered once`);
        assert.equal(got.txIds.length, outcome.payments.filter((p) => p.split(' ')[1] === bank.bic).length);
      }
    }
    assert.deepEqual(three.payments, one.payments);
    assert.deepEqual(three.positions, one.positions);
    assert.deepEqual(three.instructions, one.instructions);
    assert.deepEqual(three.received, one.received);
    t.diagnostic(`${payments} payments, ${one.bankInbound} inbound files, ${one.positions.length} positions, ${one.instructions.length} settlement instructions, identical with 1 and 3 processes`);
  });

  it('three long-running processes share intake, cut-off, settlement and delivery as BullMQ work', { timeout: 240_000 }, async (t) => {
    const one = await oneProcess();
    const shared = await scenario(3, 'shared');
    assert.deepEqual(shared.serveFailures, []);
    assert.deepEqual(shared.cycles, ['SETTLED', 'OPEN'], 'the scheduled cut-off closed the cycle and it settled');
    assert.ok(shared.positions.length > 0 && shared.positions.every((p) => p.startsWith('2026-12-07#1 ')), 'Monday\'s first cycle: ' + shared.positions.join('\n'));
    assert.ok(shared.payments.every((p) => p.endsWith(' SETTLED')), `not settled (taken after the cut-off?): ${shared.payments.filter((p) => !p.endsWith(' SETTLED')).length}`);
    assert.equal(shared.bankInbound, one.bankInbound);
    assert.equal(shared.duplicateTxIds, 0);
    assert.deepEqual(shared.payments, one.payments);
    assert.deepEqual(shared.positions, one.positions);
    assert.deepEqual(shared.instructions, one.instructions);
    assert.deepEqual(shared.received, one.received, 'each bank received exactly what it receives from one process');
    const byProcess = shared.deliveriesByProcess!;
    assert.ok(byProcess.filter((n) => n > 0).length >= 2, `deliveries were shared between processes: ${byProcess.join(', ')}`);
    t.diagnostic(`outbox deliveries by process: ${byProcess.join(', ')}`);
  });
});
