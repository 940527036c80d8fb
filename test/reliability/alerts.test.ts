/**
 * Operator alerts nothing lost across a crash (docs/notifications.md "Nothing lost", decision 73), on
 * real PostgreSQL. The crash driver (driver.ts) runs its workload with the settlement agent rejecting
 * one participant (CLEARHOUSE_DRIVER_REJECT), so that the last answer of the first settlement attempt
 * unwinds it: `settlement.rejected`, an `alert.settlement-failed` for the operators. The driver has no
 * event sink (nothing but the engine's own steps can queue the alert), and it kills itself with SIGKILL
 * at `intake.after-commit` either just before that answer (the step not made) or just after its
 * transaction committed (the step made, nothing else run). A second run finishes the workload; the
 * notification worker then delivers to a real HTTPS receiver on loopback. Either way: exactly one alert
 * queued, delivered once, its signature valid.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../switch/engine/engine.ts';
import { DirectoryMailboxes } from '../../connectors/directory.ts';
import { NotificationWorker } from '../../connectors/notify/worker.ts';
import { HEADERS, verifySignature } from '../../switch/notify/events.ts';
import { ManualClock } from '../../switch/clock.ts';
import { freshPostgresUrl, schemeConfig } from '../engine/support.ts';
import { startReceiver } from '../notify/support.ts';
import { WORKLOAD_TIME, workload } from './driver.ts';
import { TYPESCRIPT_IMPORT } from '../../switch/typescript-import.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const driverPath = join(root, 'test', 'reliability', 'driver.ts');
const PHASES = ['submit', 'dispatch', 'confirm', 'close', 'settle'];
const REJECTED = 'BANKITMMXXX';
const files = workload();
/** intake.after-commit passes before the settlement agent answers: every file, and the two real-time answers of the creditor banks. */
const BEFORE_AGENT = files.length + 2;
/** Five instructions in the first attempt (one per bank); the fifth answer's transaction unwinds the rejected participant. */
const UNWINDING_ANSWER = BEFORE_AGENT + 5;

function runDriver(databaseUrl: string, mailboxRoot: string, crashAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CLEARHOUSE_DRIVER_REJECT: REJECTED };
  delete env.CLEARHOUSE_CRASH_AT;
  delete env.CLEARHOUSE_CRASH_AFTER;
  delete env.NODE_TEST_CONTEXT;
  if (crashAfter !== undefined) {
    env.CLEARHOUSE_CRASH_AT = 'intake.after-commit';
    env.CLEARHOUSE_CRASH_AFTER = String(crashAfter);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TYPESCRIPT_IMPORT, driverPath, databaseUrl, mailboxRoot, ...PHASES], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

const open = (databaseUrl: string): Promise<Engine> =>
  Engine.open({ config: schemeConfig({ timeoutMs: 60_000 }), databaseUrl, clock: new ManualClock(WORKLOAD_TIME) });

async function alertRows(engine: Engine): Promise<Array<{ event_key: string; state: string }>> {
  return engine.storeForTests().query<{ event_key: string; state: string }>(
    "SELECT event_key, state FROM notifications WHERE kind = 'alert.settlement-failed' ORDER BY id");
}

describe('operator alerts across a crash (PostgreSQL)', () => {
  for (const [label, crashAfter, queuedAtCrash] of [
    ['killed just before the rejecting answer: no step, no alert; both after the restart', UNWINDING_ANSWER - 1, 0],
    ['killed just after the unwind committed: its alert committed with it', UNWINDING_ANSWER, 1],
  ] as const) {
    it(label, async () => {
      const receiver = await startReceiver();
      const databaseUrl = await freshPostgresUrl();
      const mailboxRoot = mkdtempSync(join(tmpdir(), 'clearhouse-alerts-'));
      try {
        const mailboxes = new DirectoryMailboxes(mailboxRoot);
        for (const f of files) mailboxes.put(f.sender, f.fileName, f.bytes);
        let engine = await open(databaseUrl);
        const { secret } = await engine.notifications().subscribe(
          { channel: 'webhook', target: receiver.url, events: ['alert.settlement-failed', 'alert.delivery-failing', 'alert.risk'] },
          { actor: 'test-operator', reason: 'alerts across a crash' });
        await engine.close();

        const crashed = await runDriver(databaseUrl, mailboxRoot, crashAfter);
        assert.equal(crashed.signal, 'SIGKILL', `the driver must die at pass ${crashAfter}; it ended with code ${crashed.code}\n${crashed.stderr}`);
        engine = await open(databaseUrl);
        try {
          const [state] = await engine.storeForTests().query<{ rejected: number; attempt: number }>(
            "SELECT COUNT(*) FILTER (WHERE i.state = 'REJECTED')::int AS rejected, MAX(c.settlement_attempt)::int AS attempt FROM cycles c JOIN settlement_instructions i ON i.cycle_id = c.id");
          // The crash is where the test says: before the unwind (attempt 1 still open) or right after it (attempt 2 instructed).
          assert.equal(state!.attempt, queuedAtCrash === 0 ? 1 : 2, `settlement attempt at the crash: ${JSON.stringify(state)}`);
          assert.equal((await alertRows(engine)).length, queuedAtCrash, 'the alert exists exactly when its step committed');
        } finally {
          await engine.close();
        }

        const restarted = await runDriver(databaseUrl, mailboxRoot);
        assert.equal(restarted.code, 0, restarted.stderr);
        engine = await open(databaseUrl);
        try {
          const worker = new NotificationWorker(engine.notifications(), { webhook: { now: () => engine.clock.now(), ca: receiver.caPem }, random: () => 0.5 });
          await worker.drain();
          await worker.drain();
          const [cycle] = await engine.storeForTests().query<{ id: bigint; state: string }>("SELECT id, state FROM cycles WHERE settlement_attempt > 0");
          assert.equal(cycle!.state, 'SETTLED', 'the workload finished after the restart');
          assert.deepEqual(await alertRows(engine), [{ event_key: `settlement.rejected:${cycle!.id}`, state: 'DELIVERED' }], 'exactly one alert, delivered');
          assert.equal(receiver.requests.length, 1, 'the receiver got one request');
          const [request] = receiver.requests;
          assert.equal(request!.headers[HEADERS.event.toLowerCase()], 'alert.settlement-failed');
          const signature = request!.headers[HEADERS.signature.toLowerCase()];
          assert.equal(verifySignature(typeof signature === 'string' ? signature : undefined, request!.body, secret!, Math.floor(engine.clock.now().getTime() / 1000)), undefined);
          const body = JSON.parse(request!.body) as { participant: unknown; data: { event: string; cycle: string; participants: string[] } };
          assert.equal(body.participant, null);
          assert.deepEqual(body.data, { event: 'settlement.rejected', cycle: cycle!.id.toString(), participants: [REJECTED] });
        } finally {
          await engine.close();
        }
        rmSync(mailboxRoot, { recursive: true, force: true });
      } finally {
        await receiver.close();
      }
    });
  }
});
