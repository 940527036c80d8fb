/**
 * The queue connector against a real Redis (TEST_REDIS_URL or redis://127.0.0.1:6379, a unique key
 * prefix per run, deleted afterwards) and real PostgreSQL (a fresh schema per test):
 * - end to end: bank A produces a pacs.008 into in-BANKDEFFXXX, the switch receives, stores and
 *   acknowledges it, cuts off and settles, and delivers through out-<BIC>: bank B consumes its bulk
 *   pacs.008, bank A its pacs.002 statuses;
 * - at least once + idempotent intake: a file received but never acknowledged (a crashed switch)
 *   comes back after its lock expires and is answered as a replay; one payment set;
 * - retries and dead letters: a bank consumer that always fails exhausts the job's attempts with
 *   backoff, the job is recorded once in dead_letters and `clearhouse dead-letters --json` lists it;
 * - a Redis restart mid-run (a separate redis-server on its own port, AOF with appendfsync always,
 *   killed with SIGKILL): every file is stored exactly once and every answer delivered once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, type ConnectionOptions } from 'bullmq';
import { BankQueueClient, QueueConnector, fileJobId, type DeliveredFile } from '../../connectors/queue.ts';
import { DeadLetterRecorder, participantQueues } from '../../connectors/dead-letters.ts';
import { listDeadLetters } from '../../switch/store/dead-letters.ts';
import { DirectoryMailboxes } from '../../connectors/directory.ts';
import { Engine } from '../../switch/engine/engine.ts';
import { deleteKeys, RedisServer } from '../support/redis-server.ts';
import { SettlementAgentSimulator } from '../../switch/demo/simulators.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { openDatabase } from '../../switch/store/database.ts';
import { migrate } from '../../switch/store/migrate.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { AGENT, BANKS, freshPostgresUrl, schemeConfig, TestClock } from '../engine/support.ts';

const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const connection: ConnectionOptions = { url };
const prefix = `clearhouse-test-queue-${process.pid}-${randomBytes(4).toString('hex')}`;
const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const cli = join(root, 'bin', 'clearhouse.js');
const encoder = new TextEncoder();
const [BANK_A, BANK_B] = [BANKS[0], BANKS[1]];
/** Short locks and stalled checks so that crash recovery takes about a second here. */
const fast = { lockDurationMs: 1_000, stalledIntervalMs: 250 } as const;
const silent = { onError: () => {} };

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => {
  await xsd.close();
  assert.equal(await deleteKeys(url, prefix), 0);
});

/** A pacs.008 bulk file from bank `senderIndex` to `receivers` (indexes into DEMO_BANKS). */
function pacs008(senderIndex: number, count: number, seed: number, receivers: number[]): Uint8Array {
  const sender = DEMO_BANKS[senderIndex]!;
  return encoder.encode(buildPacs008(bulkCreditTransfer({
    seed, sender, receivers: receivers.map((i) => DEMO_BANKS[i]!), transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-Q${seed}`,
  })));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value (not undefined), at most `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

async function counts(connectionOptions: ConnectionOptions, testPrefix: string, name: string) {
  const queue = new Queue(name, { connection: connectionOptions, prefix: testPrefix });
  try {
    return await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  } finally {
    await queue.close();
  }
}

async function openEngine(): Promise<{ engine: Engine; databaseUrl: string }> {
  const databaseUrl = await freshPostgresUrl();
  const engine = await Engine.open({ config: schemeConfig(), clock: new TestClock(), xsd, databaseUrl });
  return { engine, databaseUrl };
}

/** Deliver everything due: banks through the queue connector, the settlement agent through its mailbox. */
async function dispatchAll(engine: Engine, connector: QueueConnector, mailboxes: DirectoryMailboxes): Promise<number> {
  let total = 0;
  for (let round = 0; round < 50; round++) {
    const n = await engine.dispatch((m) => (m.recipient === AGENT ? mailboxes.deliver(m) : connector.deliver(m)));
    if (n === 0) return total;
    total += n;
  }
  throw new Error('outbox did not drain in 50 rounds');
}

const groupStatus = (file: DeliveredFile) => parsePacs002(Buffer.from(file.bytes).toString('utf8')).originalGroups[0]!.groupStatus;

describe('queue connector on BullMQ/Redis', () => {
  it('end to end: bank A produces, the switch stores, settles and delivers, banks consume their files', async () => {
    const testPrefix = `${prefix}-e2e`;
    const { engine } = await openEngine();
    const connector = new QueueConnector({ connection, prefix: testPrefix, ...fast });
    const bankA = new BankQueueClient({ connection, prefix: testPrefix, bic: BANK_A });
    const bankB = new BankQueueClient({ connection, prefix: testPrefix, bic: BANK_B });
    const mailboxes = new DirectoryMailboxes(mkdtempSync(join(tmpdir(), 'clearhouse-queue-')));
    const agent = new SettlementAgentSimulator(engine, mailboxes, AGENT);
    try {
      const bytes = pacs008(0, 12, 801, [1]);
      await bankA.send({ fileName: 'BANKDEFF-Q801.xml', bytes, signature: new Uint8Array([0x30, 0x82, 1, 2]) });

      const [file, ...rest] = await connector.receive(BANK_A);
      assert.equal(rest.length, 0);
      assert.equal(file!.sender, BANK_A);
      assert.equal(file!.fileName, 'BANKDEFF-Q801.xml');
      assert.deepEqual(Buffer.from(file!.bytes), Buffer.from(bytes));
      assert.deepEqual([...file!.signature!], [0x30, 0x82, 1, 2]);
      const result = await engine.submit({ bytes: file!.bytes, sender: file!.sender, fileName: file!.fileName });
      assert.equal(result.status, 'ACCP', JSON.stringify(result.report.findings));
      await connector.acknowledge(file!);
      await connector.acknowledge(file!); // idempotent
      assert.deepEqual(await connector.receive(BANK_A), []);
      assert.deepEqual(await counts(connection, testPrefix, `in-${BANK_A}`), { waiting: 0, active: 0, delayed: 0, completed: 1, failed: 0 });

      assert.ok((await engine.closeCycle()) !== undefined, 'a cycle was cut off');
      await dispatchAll(engine, connector, mailboxes);
      for (let round = 0; round < 5 && (await agent.answerAll()) > 0; round++) await dispatchAll(engine, connector, mailboxes);
      const settled = await engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM payments_effective WHERE state = 'SETTLED'");
      assert.equal(settled[0]!.n, 12);

      const toB = await bankB.take();
      const bulks = toB.filter((f) => f.fileName.startsWith('pacs.008'));
      assert.equal(bulks.length, 1, 'bank B gets one bulk pacs.008');
      const xml = Buffer.from(bulks[0]!.bytes).toString('utf8');
      assert.equal((xml.match(/<CdtTrfTxInf>/g) ?? []).length, 12);
      assert.match(xml, /<NbOfTxs>12<\/NbOfTxs>/);
      assert.ok(toB.some((f) => f.fileName.startsWith('camt.054')), 'bank B gets its camt.054');
      assert.deepEqual(toB.map((f) => f.attemptsMade), toB.map(() => 0), 'each delivered at the first attempt');

      const toA = await bankA.take();
      const statuses = toA.filter((f) => f.fileName.startsWith('pacs.002')).map(groupStatus).sort();
      assert.deepEqual(statuses, ['ACCP', 'ACSC', 'ACTC'], 'bank A learns ACTC at intake, ACCP at netting, ACSC at settlement');

      // A second delivery of a delivered file (a dispatcher retry after a crash) leaves one job.
      await connector.deliver({ recipient: BANK_B, fileName: bulks[0]!.fileName, bytes: bulks[0]!.bytes });
      assert.deepEqual(await bankB.take(), []);
      assert.equal((await counts(connection, testPrefix, `out-${BANK_B}`)).completed, toB.length);
    } finally {
      await bankA.close();
      await bankB.close();
      await connector.close();
      await engine.close();
      rmSync(mailboxes.root, { recursive: true, force: true });
    }
  });

  it('at least once + idempotent intake: an unacknowledged file comes back and is a replay; one payment set', async () => {
    const testPrefix = `${prefix}-once`;
    const { engine } = await openEngine();
    // The first switch process "crashes" after storing the file: it never acknowledges and stops
    // renewing the lock (holdMsMax), exactly what a dead process does.
    const crashed = new QueueConnector({ connection, prefix: testPrefix, ...fast, holdMsMax: 100, ...silent });
    const survivor = new QueueConnector({ connection, prefix: testPrefix, ...fast });
    const bankA = new BankQueueClient({ connection, prefix: testPrefix, bic: BANK_A });
    try {
      const bytes = pacs008(0, 6, 802, [1, 2]);
      await bankA.send({ fileName: 'BANKDEFF-Q802.xml', bytes });
      const [first] = await crashed.receive(BANK_A);
      const stored = await engine.submit({ bytes: first!.bytes, sender: first!.sender, fileName: first!.fileName });
      assert.equal(stored.status, 'ACCP');
      assert.equal(stored.replay, false);
      // While the lock is held, nobody else gets the file.
      assert.deepEqual(await survivor.receive(BANK_A), []);

      const started = Date.now();
      const [again] = await until('the stalled file to come back', async () => {
        const files = await survivor.receive(BANK_A);
        return files.length > 0 ? files : undefined;
      });
      const recoveredMs = Date.now() - started;
      assert.equal(again!.fileName, first!.fileName);
      const replay = await engine.submit({ bytes: again!.bytes, sender: again!.sender, fileName: again!.fileName });
      assert.equal(replay.replay, true, 'the second delivery is a replay');
      assert.equal(replay.messageRowId, stored.messageRowId);
      assert.equal(replay.answerXml, stored.answerXml, 'the replay gets the stored answer');
      await survivor.acknowledge(again!);
      // The crashed process's late acknowledge finds the job completed: no error, nothing changes.
      await crashed.acknowledge(first!);

      // The bank re-sends the same bytes under another name: a new job, a replay at intake.
      await bankA.send({ fileName: 'BANKDEFF-Q802-resent.xml', bytes });
      const [resent] = await survivor.receive(BANK_A);
      assert.equal((await engine.submit({ bytes: resent!.bytes, sender: BANK_A, fileName: resent!.fileName })).replay, true);
      await survivor.acknowledge(resent!);
      // ... and under the same name: the queue already has that job id, so nothing new is queued.
      await bankA.send({ fileName: 'BANKDEFF-Q802.xml', bytes });
      assert.deepEqual(await survivor.receive(BANK_A), []);

      // A process that stops cleanly puts what it holds back at once (no lock expiry to wait for).
      await bankA.send({ fileName: 'BANKDEFF-Q803.xml', bytes: pacs008(0, 2, 803, [1]) });
      const stopping = new QueueConnector({ connection, prefix: testPrefix, ...fast });
      assert.equal((await stopping.receive(BANK_A)).length, 1);
      await stopping.close();
      const [released] = await survivor.receive(BANK_A);
      assert.equal(released?.fileName, 'BANKDEFF-Q803.xml');
      assert.equal((await engine.submit({ bytes: released.bytes, sender: BANK_A, fileName: released.fileName })).replay, false);
      await survivor.acknowledge(released);

      assert.deepEqual(await counts(connection, testPrefix, `in-${BANK_A}`), { waiting: 0, active: 0, delayed: 0, completed: 3, failed: 0 });
      const messages = await engine.storeForTests().query<{ file_name: string }>("SELECT file_name FROM messages WHERE direction = 'in' AND participant = $1 ORDER BY id", [BANK_A]);
      assert.deepEqual(messages.map((m) => m.file_name), ['BANKDEFF-Q802.xml', 'BANKDEFF-Q803.xml'], 'each content stored once');
      const payments = await engine.storeForTests().query<{ n: number }>('SELECT COUNT(*)::int AS n FROM payments');
      assert.equal(payments[0]!.n, 6 + 2, 'one payment set per file');
      assert.ok(recoveredMs < 5_000, `recovered in ${recoveredMs} ms`);
    } finally {
      await bankA.close();
      await crashed.close();
      await survivor.close();
      await engine.close();
    }
  });

  it('retries with backoff, then a dead letter recorded once and listed by `clearhouse dead-letters`', async () => {
    const testPrefix = `${prefix}-dead`;
    const databaseUrl = await freshPostgresUrl();
    const db = await openDatabase({ url: databaseUrl });
    await migrate(db);
    const errors: unknown[] = [];
    const recorder = new DeadLetterRecorder({ db, connection, prefix: testPrefix, queueNames: participantQueues([BANK_B]), onError: (e) => errors.push(e) });
    const connector = new QueueConnector({ connection, prefix: testPrefix, ...fast, deliveryAttempts: 3, deliveryBackoffMs: 50 });
    const bankB = new BankQueueClient({ connection, prefix: testPrefix, bic: BANK_B });
    const producer = new Queue(`in-${BANK_B}`, { connection, prefix: testPrefix });
    try {
      await recorder.start();
      const bytes = encoder.encode('<Document>a file bank B cannot take</Document>');
      const fileName = 'pacs.008_CLHSDEFF-20261126-00000042.xml';
      await connector.deliver({ recipient: BANK_B, fileName, bytes });
      const attemptTimes: number[] = [];
      await bankB.consume(async () => {
        attemptTimes.push(Date.now());
        throw new Error('bank B core system is down');
      });

      const [letter] = await until('the dead letter', async () => {
        const rows = await listDeadLetters(db);
        return rows.length > 0 ? rows : undefined;
      });
      await recorder.idle();
      assert.equal(attemptTimes.length, 3, 'three attempts, then given up');
      // Exponential backoff: 50 ms then 100 ms (a little more with polling).
      assert.ok(attemptTimes[1]! - attemptTimes[0]! >= 45, `first backoff ${attemptTimes[1]! - attemptTimes[0]!} ms`);
      assert.ok(attemptTimes[2]! - attemptTimes[1]! >= 95, `second backoff ${attemptTimes[2]! - attemptTimes[1]!} ms`);
      assert.equal(letter!.queue, `${testPrefix}:out-${BANK_B}`);
      assert.equal(letter!.jobId, fileJobId(fileName));
      assert.equal(letter!.participant, BANK_B);
      assert.equal(letter!.fileName, fileName);
      assert.equal(letter!.attempts, 3);
      assert.equal(letter!.lastError, 'bank B core system is down');
      assert.match(letter!.payloadSha256!, /^[0-9a-f]{64}$/);

      // Recorded once: a sweep, a second delivery of the same file and time change nothing.
      assert.equal(await recorder.sweep(), 0);
      await connector.deliver({ recipient: BANK_B, fileName, bytes });
      await sleep(300);
      await recorder.idle();
      assert.equal(attemptTimes.length, 3, 'the failed job is not delivered again');
      assert.equal((await listDeadLetters(db)).length, 1);

      // An inbound job with a corrupt payload is refused by the switch at once: another dead letter.
      await producer.add('file', { fileName: 'corrupt.xml', bytes: Buffer.from('hello').toString('base64'), sha256: '0'.repeat(64) },
        { jobId: fileJobId('corrupt.xml'), attempts: 5 });
      assert.deepEqual(await connector.receive(BANK_B), []);
      const both = await until('the inbound dead letter', async () => {
        const rows = await listDeadLetters(db);
        return rows.length === 2 ? rows : undefined;
      });
      const corrupt = both.find((l) => l.queue === `${testPrefix}:in-${BANK_B}`)!;
      assert.equal(corrupt.fileName, 'corrupt.xml');
      assert.equal(corrupt.attempts, 1, 'not retried: it can never become valid');
      assert.match(corrupt.lastError!, /sha256 mismatch/);

      const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'dead-letters', ...args], {
        cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, encoding: 'utf8', timeout: 60_000,
      });
      const listed = run('--json');
      assert.equal(listed.status, 0, listed.stderr);
      const rows = (JSON.parse(listed.stdout) as Array<{ kind: string; queue: string; fileName: string; attempts: number; lastError: string; failedAt: string }>)
        .filter((r) => r.kind === 'queue');
      assert.deepEqual(rows.map((r) => [r.queue, r.fileName, r.attempts]).sort(), [
        [`${testPrefix}:in-${BANK_B}`, 'corrupt.xml', 1],
        [`${testPrefix}:out-${BANK_B}`, fileName, 3],
      ]);
      assert.ok(rows.every((r) => !Number.isNaN(Date.parse(r.failedAt))), 'failedAt is an ISO time');
      const text = run();
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /2 dead letter\(s\)/);
      assert.match(text.stdout, /bank B core system is down/);
      assert.equal(run('--limit', 'x').status, 2);
      assert.deepEqual(errors, []);
    } finally {
      await producer.close();
      await bankB.close();
      await connector.close();
      await recorder.close();
      await db.close();
    }
  });

  it('a Redis restart mid-run (SIGKILL, AOF fsync always): every file stored once, every answer delivered once', async () => {
    const redis = await RedisServer.start();
    const testPrefix = `${prefix}-restart`;
    const local: ConnectionOptions = { url: redis.url };
    const { engine } = await openEngine();
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    const connector = new QueueConnector({ connection: local, prefix: testPrefix, lockDurationMs: 5_000, stalledIntervalMs: 250, onError });
    const bankA = new BankQueueClient({ connection: local, prefix: testPrefix, bic: BANK_A, onError });
    const mailboxes = new DirectoryMailboxes(mkdtempSync(join(tmpdir(), 'clearhouse-queue-')));
    const files = [1, 2, 3, 4, 5, 6].map((i) => ({ fileName: `BANKDEFF-R${i}.xml`, bytes: pacs008(0, 3, 900 + i, [1, 2, 3]) }));
    const firstSubmissions = new Map<string, boolean>();
    /** One pass of the switch: receive, store, acknowledge. */
    const pass = async (acknowledge = true) => {
      const received = await connector.receive(BANK_A);
      for (const file of received) {
        const result = await engine.submit({ bytes: file.bytes, sender: file.sender, fileName: file.fileName });
        assert.equal(result.status, 'ACCP', JSON.stringify(result.report.findings));
        if (!firstSubmissions.has(file.fileName)) firstSubmissions.set(file.fileName, result.replay);
      }
      if (acknowledge) for (const file of received) await connector.acknowledge(file);
      return received;
    };
    try {
      for (const file of files.slice(0, 3)) await bankA.send(file);
      // The switch takes all three and stores them, but only acknowledges the first before Redis dies.
      const held = await pass(false);
      assert.equal(held.length, 3);
      await connector.acknowledge(held[0]!);

      await redis.restart();

      // The other two were held under locks that outlive the restart (the AOF keeps them with their
      // expiry): acknowledging them now completes them.
      for (const file of held.slice(1)) await connector.acknowledge(file);
      for (const file of files.slice(3)) await bankA.send(file);
      for (let round = 0; round < 100 && firstSubmissions.size < files.length; round++) {
        if ((await pass()).length === 0) await sleep(50);
      }
      assert.equal(firstSubmissions.size, files.length, 'every file received');
      assert.ok([...firstSubmissions.values()].every((replay) => !replay), 'every file was new when first stored');
      assert.deepEqual(await counts(local, testPrefix, `in-${BANK_A}`), { waiting: 0, active: 0, delayed: 0, completed: 6, failed: 0 });
      const stored = await engine.storeForTests().query<{ file_name: string }>("SELECT file_name FROM messages WHERE direction = 'in' AND participant = $1 ORDER BY file_name", [BANK_A]);
      assert.deepEqual(stored.map((r) => r.file_name), files.map((f) => f.fileName), 'each file stored exactly once');
      assert.equal((await engine.storeForTests().query<{ n: number }>('SELECT COUNT(*)::int AS n FROM payments'))[0]!.n, 18);

      // The answers go out over the restarted Redis: six ACTC pacs.002 to bank A, each delivered once
      // (besides the cycle-opened admi.004 notice to each of the five banks).
      assert.equal(await dispatchAll(engine, connector, mailboxes), 6 + 5);
      const answers = (await bankA.take()).filter((f) => f.fileName.startsWith('pacs.002'));
      assert.equal(answers.length, 6);
      assert.equal(new Set(answers.map((a) => a.fileName)).size, 6);
      assert.deepEqual(answers.map(groupStatus), answers.map(() => 'ACTC'));
      assert.deepEqual(await bankA.take(), []);
    } finally {
      await bankA.close();
      await connector.close();
      await engine.close();
      await redis.stop();
      rmSync(mailboxes.root, { recursive: true, force: true });
    }
  });
});
