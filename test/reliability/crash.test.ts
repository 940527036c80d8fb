/**
 * Crash recovery on real PostgreSQL. For every fault-injection point of the engine
 * (switch/engine/crash.ts) a child process (driver.ts) runs the workload and kills itself with
 * SIGKILL in the middle of it; a second process, without the fault, runs every (idempotent) phase
 * again. Then, from the database and the mailboxes:
 *   1. no accepted payment is lost: the payments are exactly the generated ones;
 *   2. none is applied twice: no (instructing agent, TxId) twice, every inbound file stored once
 *      (its resubmission was a replay);
 *   3. the positions of every cycle sum to zero and equal a reference computed here from the models;
 *   4. every payment ends SETTLED, once, and each sender got exactly one ACSC pacs.002 per message;
 *   5. the outbox is empty, each delivered file is in its recipient's mailbox exactly once, and each
 *      receiver got each of its payments exactly once.
 * A fresh schema (freshPostgresUrl: TEST_DATABASE_URL, else the local default) and mailbox root per
 * scenario; a crash-free baseline run checks the same invariants first.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { crashPoints, type CrashPoint } from '../../switch/engine/crash.ts';
import { openDatabase, type Database } from '../../switch/store/database.ts';
import { DirectoryMailboxes } from '../../connectors/directory.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { AGENT, BANKS, freshPostgresUrl } from '../engine/support.ts';
import { workload } from './driver.ts';
import { TYPESCRIPT_IMPORT } from '../../switch/typescript-import.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const driverPath = join(root, 'test', 'reliability', 'driver.ts');
/** Every phase, in order: each is idempotent, so the restarted process simply runs them all again. */
const PHASES = ['submit', 'dispatch', 'confirm', 'close', 'settle'];
/** A driver run takes a few seconds; one that hangs is killed and fails the scenario. */
const CHILD_TIMEOUT_MS = 90_000;

const files = workload();
const payments = files.flatMap((f) => f.model.transactions.map((t) => ({ file: f, t })));

interface Summary {
  submitted: number;
  replays: number;
  statuses: Record<string, number>;
  delivered: number;
  bankAnswers: number;
  agentAnswers: number;
  closedCycle: string | null;
  pendingOutbox: number;
}

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runDriver(databaseUrl: string, mailboxRoot: string, crash?: { at: CrashPoint; after: number }): Promise<ChildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CLEARHOUSE_CRASH_AT;
  delete env.CLEARHOUSE_CRASH_AFTER;
  delete env.NODE_TEST_CONTEXT; // the child is a program, not a test file reporting to this runner
  if (crash) {
    env.CLEARHOUSE_CRASH_AT = crash.at;
    env.CLEARHOUSE_CRASH_AFTER = String(crash.after);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TYPESCRIPT_IMPORT, driverPath, databaseUrl, mailboxRoot, ...PHASES],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGTERM'), CHILD_TIMEOUT_MS);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

function summaryOf(result: ChildResult): Summary {
  assert.equal(result.signal, null, `driver killed by ${result.signal}\n${result.stderr}`);
  assert.equal(result.code, 0, `driver exited ${result.code}\n${result.stderr}`);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Summary;
}

interface Scenario {
  readonly databaseUrl: string;
  readonly mailboxRoot: string;
  readonly mailboxes: DirectoryMailboxes;
}

async function newScenario(): Promise<Scenario> {
  const databaseUrl = await freshPostgresUrl();
  const mailboxRoot = mkdtempSync(join(tmpdir(), 'clearhouse-crash-'));
  const mailboxes = new DirectoryMailboxes(mailboxRoot);
  for (const f of files) mailboxes.put(f.sender, f.fileName, f.bytes);
  return { databaseUrl, mailboxRoot, mailboxes };
}

/** Drop the scenario's schema and mailboxes (only once it passed: a failure keeps them to look at). */
async function cleanUp(scenario: Scenario): Promise<void> {
  const url = new URL(scenario.databaseUrl);
  const schema = /search_path=(\w+)/.exec(url.searchParams.get('options') ?? '')?.[1];
  url.searchParams.delete('options');
  if (schema) {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  }
  rmSync(scenario.mailboxRoot, { recursive: true, force: true });
}

/** Files delivered to a recipient: still in outbound/, or fetched (moved to archive/ as out-<name>). */
function delivered(scenario: Scenario, bic: string): Map<string, Buffer> {
  const result = new Map<string, Buffer>();
  for (const name of scenario.mailboxes.outbound(bic)) result.set(name, scenario.mailboxes.read(bic, 'outbound', name));
  const archive = join(scenario.mailboxRoot, bic, 'archive');
  if (existsSync(archive)) {
    for (const name of readdirSync(archive).filter((n) => n.startsWith('out-'))) {
      const original = name.slice('out-'.length);
      assert.ok(!result.has(original), `${bic}: ${original} both in outbound/ and archive/ (delivered again after it was fetched)`);
      result.set(original, readFileSync(join(archive, name)));
    }
  }
  return result;
}

function expectedPositions(): Map<string, bigint> {
  const positions = new Map<string, bigint>();
  for (const { t } of payments) {
    const amount = BigInt(t.interbankSettlementAmount.value.replace('.', ''));
    const currency = t.interbankSettlementAmount.currency;
    positions.set(`${currency}|${t.debtorAgent}`, (positions.get(`${currency}|${t.debtorAgent}`) ?? 0n) - amount);
    positions.set(`${currency}|${t.creditorAgent}`, (positions.get(`${currency}|${t.creditorAgent}`) ?? 0n) + amount);
  }
  return new Map([...positions].filter(([, net]) => net !== 0n));
}

const key = (debtor: string, txId: string | null | undefined): string => `${debtor}|${txId ?? ''}`;

async function assertRecovered(scenario: Scenario): Promise<void> {
  const db: Database = await openDatabase({ url: scenario.databaseUrl, poolSize: 2 });
  try {
    // Every inbound file was taken: none left in a bank's inbound/.
    for (const bic of BANKS) assert.deepEqual(scenario.mailboxes.inbound(bic), [], `${bic} inbound/ is empty`);

    // (1) No accepted payment lost, no other payment made up.
    const rows = await db.query<{ id: bigint; debtor_agent: string; instructing_agent: string; transaction_id: string | null; state: string;
      mode: string; cycle_id: bigint | null }>('SELECT id, debtor_agent, instructing_agent, transaction_id, state, mode, cycle_id FROM payments_effective ORDER BY id');
    assert.deepEqual(rows.map((r) => key(r.debtor_agent, r.transaction_id)).sort(),
      payments.map(({ t }) => key(t.debtorAgent, t.paymentIdentification.transactionId)).sort(), 'payments are exactly the generated ones');

    // (2) None applied twice.
    const twice = await db.query('SELECT instructing_agent, transaction_id, COUNT(*)::int AS n FROM payments GROUP BY 1, 2 HAVING COUNT(*) > 1');
    assert.deepEqual(twice, [], 'no (instructing agent, TxId) twice');
    const repeated = await db.query<{ payment_id: bigint; from_state: string | null; to_state: string; n: number }>(
      `SELECT payment_id, from_state, to_state, COUNT(*)::int AS n FROM payment_history GROUP BY 1, 2, 3 HAVING COUNT(*) > 1`);
    assert.deepEqual(repeated, [], 'no payment made the same transition twice');
    const storedTwice = await db.query("SELECT participant, sha256, COUNT(*)::int AS n FROM messages WHERE direction = 'in' GROUP BY 1, 2 HAVING COUNT(*) > 1");
    assert.deepEqual(storedTwice, [], 'every inbound file stored once per sender and sha256');
    const inbound = await db.query<{ participant: string; sha256: string; status: string | null }>(
      `SELECT m.participant, m.sha256, i.status FROM messages m LEFT JOIN intake i ON i.message_id = m.id
        WHERE m.direction = 'in' AND m.message_type = 'pacs.008.001.08' ORDER BY 1, 2`);
    assert.deepEqual(inbound.map((m) => `${m.participant}|${m.sha256}|${m.status}`),
      files.map((f) => `${f.sender}|${createHash('sha256').update(f.bytes).digest('hex')}|ACCP`).sort(), 'each file stored once, accepted');
    const withoutOutcome = await db.query("SELECT m.id FROM messages m LEFT JOIN intake i ON i.message_id = m.id WHERE m.direction = 'in' AND i.message_id IS NULL");
    assert.deepEqual(withoutOutcome, [], 'every stored inbound message has its intake outcome');

    // (3) Positions: zero-sum per cycle and currency, and equal to the reference.
    const sums = await db.query<{ cycle_id: bigint; currency: string; s: bigint }>(
      'SELECT cycle_id, currency, SUM(net_minor)::bigint AS s FROM cycle_positions GROUP BY 1, 2');
    for (const s of sums) assert.equal(s.s, 0n, `cycle ${s.cycle_id} ${s.currency} positions sum to ${s.s}`);
    const cycleIds = [...new Set(rows.map((r) => r.cycle_id))];
    assert.equal(cycleIds.length, 1, `all payments in one cycle (${cycleIds.join(', ')})`);
    const cycleId = cycleIds[0]!;
    assert.ok(cycleId !== null);
    const positions = await db.query<{ bic: string; currency: string; net_minor: bigint }>(
      'SELECT bic, currency, net_minor FROM cycle_positions WHERE cycle_id = $1 AND net_minor <> 0', [cycleId]);
    assert.deepEqual(new Map(positions.map((p) => [`${p.currency}|${p.bic}`, p.net_minor])), expectedPositions(), 'positions equal the reference');
    const otherPositions = await db.query('SELECT cycle_id FROM cycle_positions WHERE cycle_id <> $1 AND net_minor <> 0', [cycleId]);
    assert.deepEqual(otherPositions, [], 'no other cycle has a position');
    const [cycle] = await db.query<{ state: string; settlement_attempt: number }>('SELECT state, settlement_attempt FROM cycles WHERE id = $1', [cycleId]);
    assert.deepEqual(cycle, { state: 'SETTLED', settlement_attempt: 1 });
    const instructions = await db.query<{ bic: string; state: string; direction: string; amount_minor: bigint }>(
      'SELECT bic, state, direction, amount_minor FROM settlement_instructions WHERE cycle_id = $1 ORDER BY bic', [cycleId]);
    assert.equal(instructions.length, positions.length, 'one settlement instruction per non-zero position');
    assert.ok(instructions.every((i) => i.state === 'SETTLED'), 'every instruction settled');
    const openCycles = await db.query<{ id: bigint }>("SELECT id FROM cycles WHERE state NOT IN ('OPEN', 'SETTLED')");
    assert.deepEqual(openCycles, [], 'no cycle left between cut-off and settlement');

    // (4) Exactly one final state per payment: SETTLED, reached once; nothing rejected or released.
    assert.ok(rows.every((r) => r.state === 'SETTLED'), `states: ${[...new Set(rows.map((r) => r.state))].join(', ')}`);
    const finals = await db.query<{ payment_id: bigint; n: number }>(
      `SELECT payment_id, COUNT(*)::int AS n FROM payment_history WHERE to_state IN ('SETTLED', 'REJECTED', 'RELEASED', 'UNWOUND', 'RETURNED')
        GROUP BY 1`);
    assert.equal(finals.length, rows.length, 'every payment reached a final state');
    assert.ok(finals.every((f) => f.n === 1), 'no payment reached a final state twice');
    // Each sender: exactly one ACSC pacs.002 per original message (and ACTC/ACCP or ACSP once each on the way).
    for (const bic of BANKS) {
      const statuses = new Map<string, string[]>();
      for (const [name, bytes] of delivered(scenario, bic)) {
        if (!name.startsWith('pacs.002')) continue;
        const report = parsePacs002(bytes.toString('utf8'));
        const group = report.originalGroups[0]!;
        statuses.set(group.originalMessageId, [...(statuses.get(group.originalMessageId) ?? []), group.groupStatus ?? '-']);
        if (group.groupStatus === 'ACSC' && report.transactions.length > 0) {
          assert.ok(report.transactions.every((t) => t.transactionStatus === 'ACSC'), `${bic} ${name}: every line ACSC`);
        }
      }
      const expected = new Map(files.filter((f) => f.sender === bic)
        .map((f) => [f.model.groupHeader.messageId, f.realtime ? ['ACSC', 'ACSP'] : ['ACCP', 'ACSC', 'ACTC']]));
      assert.deepEqual(new Map([...statuses].map(([id, list]) => [id, list.sort()])), expected, `${bic}: one status of each kind per message, one ACSC`);
    }

    // (5) Outbox empty; every delivered file in its recipient's mailbox once, with the stored bytes.
    const undelivered = await db.query("SELECT o.id, o.state FROM outbox o WHERE o.state <> 'DELIVERED'");
    assert.deepEqual(undelivered, [], 'everything delivered');
    const outgoing = await db.query<{ recipient: string; name: string; sha256: string }>(
      `SELECT o.recipient, m.message_type || '_' || m.message_id || '.xml' AS name, m.sha256
         FROM outbox o JOIN messages m ON m.id = o.message_id ORDER BY 1, 2`);
    const outgoingMessages = await db.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM messages WHERE direction = 'out'");
    assert.equal(outgoing.length, outgoingMessages[0]!.n, 'every emitted message queued once');
    for (const bic of [...BANKS, AGENT]) {
      const inMailbox = delivered(scenario, bic);
      const mine = outgoing.filter((o) => o.recipient === bic);
      assert.deepEqual([...inMailbox.keys()].sort(), mine.map((o) => o.name).sort(), `${bic}: the mailbox holds exactly the delivered messages`);
      for (const o of mine) {
        assert.equal(createHash('sha256').update(inMailbox.get(o.name)!).digest('hex'), o.sha256, `${bic} ${o.name}: the stored bytes`);
      }
      const contents = [...inMailbox.values()].map((b) => createHash('sha256').update(b).digest('hex'));
      assert.equal(new Set(contents).size, contents.length, `${bic}: no file delivered twice under another name`);
      if (bic === AGENT) continue;
      // The receiver got each of its payments once: batch ones in the bulk file, real-time ones forwarded.
      const received: string[] = [];
      for (const [name, bytes] of inMailbox) {
        if (name.startsWith('pacs.008')) received.push(...[...bytes.toString('utf8').matchAll(/<TxId>([^<]+)<\/TxId>/g)].map((m) => m[1]!));
      }
      assert.deepEqual(received.sort(), payments.filter(({ t }) => t.creditorAgent === bic).map(({ t }) => t.paymentIdentification.transactionId!).sort(),
        `${bic}: each of its payments delivered exactly once`);
      const bulks = [...inMailbox.keys()].filter((n) => n.startsWith('pacs.008')).length;
      const realtime = payments.filter(({ file, t }) => file.realtime && t.creditorAgent === bic).length;
      assert.equal(bulks, 1 + realtime, `${bic}: one bulk pacs.008, plus one per real-time payment`);
    }
  } finally {
    await db.close();
  }
}

/** What a crash left behind, for the test log (the restarted run must cope with any of it). */
async function snapshot(scenario: Scenario): Promise<string> {
  const db = await openDatabase({ url: scenario.databaseUrl, poolSize: 1 });
  try {
    const [p] = await db.query<{ n: number; states: string | null }>(
      "SELECT COUNT(*)::int AS n, string_agg(DISTINCT state, ',') AS states FROM payments_effective");
    const cycles = await db.query<{ id: bigint; state: string }>('SELECT id, state FROM cycles ORDER BY id');
    const [o] = await db.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM outbox WHERE state = 'PENDING'");
    const left = BANKS.reduce((n, bic) => n + scenario.mailboxes.inbound(bic).length, 0);
    return `after the kill: ${p!.n} payments (${p!.states ?? '-'}), cycles ${cycles.map((c) => `${c.id}:${c.state}`).join(' ')}, ` +
      `${o!.n} outbox rows pending, ${left} files left in inbound/`;
  } finally {
    await db.close();
  }
}

/** Which pass of each point to crash at: the middle of its work (several for some points). */
type After = number | ((baseline: Summary) => number);
const crashAfter: Record<CrashPoint, readonly After[]> = {
  // The 2nd file (BANKDEFFXXX's real-time payment, committed in a real-time group) and the 3rd (a
  // batch file). Every stored message passes the point once before its transaction commits.
  'intake.before-commit': [2, 3],
  // The 3rd file stored but not archived (resubmitted: a replay); and the settlement agent's 3rd
  // answer stored while its pacs.009 is still in its mailbox (answered again).
  'intake.after-commit': [3, (b) => b.submitted + b.bankAnswers + 3],
  'cut-off.after-commit': [1],
  'netting.before-commit': [1],
  'settlement.after-instructions': [1],
  // The 3rd of five answers, and the last one (whose transaction also finishes the settlement).
  'settlement.mid-answers': [3, (b) => b.agentAnswers],
  // Early (intake answers, forwards) and late (the bulk files, ACSC reports and camt.054 of settlement).
  'dispatch.after-deliver': [3, (b) => b.delivered - 10],
};

/** The crash-free run, once (scenarios derive late crash passes from its counts, even when run alone). */
let baselineRun: Promise<{ scenario: Scenario; summary: Summary }> | undefined;
function baseline(): Promise<{ scenario: Scenario; summary: Summary }> {
  baselineRun ??= (async () => {
    const scenario = await newScenario();
    return { scenario, summary: summaryOf(await runDriver(scenario.databaseUrl, scenario.mailboxRoot)) };
  })();
  return baselineRun;
}

describe('crash recovery on PostgreSQL (SIGKILL at each fault point, then restart)', () => {
  it('baseline: the workload without a crash meets every invariant', async () => {
    const { scenario, summary } = await baseline();
    assert.equal(summary.submitted, files.length);
    assert.deepEqual(summary.statuses, { ACCP: files.length });
    assert.equal(summary.replays, 0);
    assert.equal(summary.pendingOutbox, 0);
    await assertRecovered(scenario);
    await cleanUp(scenario);
  });

  it('covers every crash point', () => {
    assert.ok(crashPoints.length >= 5);
    for (const point of crashPoints) assert.ok(crashAfter[point].length > 0, point);
  });

  for (const point of crashPoints) {
    for (const [n, after] of crashAfter[point].entries()) {
      it(`${point} (#${n + 1})`, async (t) => {
        const pass = typeof after === 'number' ? after : after((await baseline()).summary);
        const scenario = await newScenario();
        const crashed = await runDriver(scenario.databaseUrl, scenario.mailboxRoot, { at: point, after: pass });
        assert.equal(crashed.signal, 'SIGKILL', `the driver must die at ${point} pass ${pass}; it ended with code ${crashed.code}\n${crashed.stderr}`);
        t.diagnostic(`${point} pass ${pass}: ${await snapshot(scenario)}`);
        const recovered = summaryOf(await runDriver(scenario.databaseUrl, scenario.mailboxRoot));
        t.diagnostic(`restart: ${JSON.stringify(recovered)}`);
        assert.equal(recovered.pendingOutbox, 0);
        assert.ok(Object.keys(recovered.statuses).every((s) => s === 'ACCP'), JSON.stringify(recovered.statuses));
        if (point === 'intake.after-commit' && pass <= files.length) assert.equal(recovered.replays, 1, 'the stored, unarchived file is a replay');
        await assertRecovered(scenario);
        await cleanUp(scenario);
      });
    }
  }
});

