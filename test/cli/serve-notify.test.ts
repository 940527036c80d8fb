/**
 * `clearhouse serve` sends notifications: a bank subscribed by `notify subscribe` gets a signed webhook
 * per payment received and settled once the cycle (cut off by `cycle close` from another process, on
 * PostgreSQL) settles, through the worker serve runs, checked against the CA of CLEARHOUSE_NOTIFY_CA.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cli, cliWorkspace, killLeftoverServes, startServe, type CliWorkspace } from '../support/cli-workspace.ts';
import { waitFor } from '../support/serve-observer.ts';
import { HEADERS, verifySignature } from '../../switch/notify/events.ts';
import { startReceiver, type Receiver } from '../notify/support.ts';

const SECRET = 'serve-notify-secret-0123456789';
let receiver: Receiver;
before(async () => { receiver = await startReceiver(); });
after(async () => { killLeftoverServes(); await receiver.close(); });

function runAsync(w: CliWorkspace, ...args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: w.work, env: w.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('serve delivers notifications', () => {
  it('webhooks for the payments a cycle settles, signed, one per payment and event', { timeout: 240_000 }, async () => {
    const w = await cliWorkspace('serve-notify', { timeoutMs: 120_000 });
    const ca = join(w.work, 'receiver-ca.pem');
    writeFileSync(ca, receiver.caPem);
    w.ok('notify', 'subscribe', '--participant', 'BANKFRPPXXX', '--channel', 'webhook', '--target', receiver.url, '--events', 'payment.received,payment.settled',
      '--secret', SECRET, '--operator', 'olivia', '--reason', 'Banque B pushes');
    w.ok('bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKFRPPXXX', '--count', '3');
    const serve = startServe({ ...w.env, CLEARHOUSE_NOTIFY_CA: ca }, ['--simulate-settlement'], w.work);
    const db = new pg.Client({ connectionString: w.databaseUrl });
    await db.connect();
    try {
      const accepted = await waitFor(async () => {
        const rows = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM payments_effective WHERE state = 'ACCEPTED'").catch(() => ({ rows: [{ n: 0 }] }))).rows;
        return rows[0]!.n === 3 ? true : undefined;
      }, 60_000, 250);
      assert.ok(accepted, `serve took the bank's file: ${serve.stderr().slice(-1500)}`);
      const closed = await runAsync(w, 'cycle', 'close');
      assert.equal(closed.status, 0, closed.stderr);
      const all = await waitFor(() => (receiver.requests.length >= 6 ? true : undefined), 90_000, 250);
      assert.ok(all, `six webhooks (got ${receiver.requests.length}): ${serve.stderr().slice(-2000)}`);
      const payloads = receiver.requests.map((r) => JSON.parse(r.body));
      assert.deepEqual(payloads.map((p) => p.type).sort(), ['payment.received', 'payment.received', 'payment.received', 'payment.settled', 'payment.settled', 'payment.settled']);
      assert.ok(payloads.every((p) => p.participant === 'BANKFRPPXXX' && p.data.payment.creditorAgent === 'BANKFRPPXXX'));
      assert.equal(new Set(receiver.requests.map((r) => r.headers['idempotency-key'])).size, 6);
      const now = Math.floor(w.clock.now().getTime() / 1000);
      for (const r of receiver.requests) {
        assert.equal(verifySignature(r.headers[HEADERS.signature.toLowerCase()] as string, r.body, SECRET, now, 3_600), undefined);
      }
      // Each recorded DELIVERED once its 200 came back (the receiver sees a request before serve records its answer).
      const delivered = await waitFor(async () => {
        const [{ n }] = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM notifications WHERE state = 'DELIVERED'")).rows as [{ n: number }];
        return n === 6 ? n : undefined;
      }, 30_000, 250);
      assert.equal(delivered, 6);
    } finally {
      await db.end();
    }
    assert.equal(await serve.stop(), 0, serve.stderr().slice(-1500));
    assert.equal(receiver.requests.length, 6, 'nothing sent twice');
    assert.match(serve.stderr(), /notification worker started/);
  });
});
