/**
 * `clearhouse notify subscribe|list|history|remove|test` on PostgreSQL: every change recorded in
 * operator_actions with who and why (never the secret), reading changes nothing, a generated secret is
 * printed once and signs the test notification, which reaches a real HTTPS receiver.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cli, cliWorkspace, type CliWorkspace } from '../support/cli-workspace.ts';
import { startReceiver, type Receiver } from '../notify/support.ts';
import { HEADERS, verifySignature } from '../../switch/notify/events.ts';

let receiver: Receiver;
before(async () => { receiver = await startReceiver(); });
after(async () => { await receiver.close(); });

/** `clearhouse ARGS` without blocking this process (the receiver answering it runs here). */
function runAsync(w: CliWorkspace, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: w.work, env: w.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function journal(w: CliWorkspace): Promise<{ actor: string; action: string; subject: string; reason: string; details: unknown }[]> {
  const client = new pg.Client({ connectionString: w.databaseUrl });
  await client.connect();
  try {
    return (await client.query("SELECT actor, action, subject, reason, details FROM operator_actions WHERE action LIKE 'notify.%' ORDER BY id")).rows;
  } finally {
    await client.end();
  }
}

describe('clearhouse notify', () => {
  it('subscribes, lists without writing, tests and removes, each change recorded with who and why', async () => {
    const w = await cliWorkspace('notify');
    const bic = 'BANKDEFFXXX';
    const made = JSON.parse(w.ok('notify', 'subscribe', '--participant', bic, '--channel', 'webhook', '--target', receiver.url,
      '--events', 'payment.settled,payment.returned', '--operator', 'olivia', '--reason', 'ticket 12: bank A wants pushes', '--json').stdout);
    assert.match(made.secret, /^[A-Za-z0-9_-]{43}$/, 'a generated secret, printed once');
    w.ok('notify', 'subscribe', '--operators', '--channel', 'email', '--target', 'ops@clearhouse.test', '--events', 'alert.settlement-failed,alert.risk',
      '--operator', 'olivia', '--reason', 'the operations mailbox');

    // Refused, nothing recorded: plain HTTP, an alert for a participant, no reason, a BIC that is not a participant.
    const refusals: [string[], RegExp][] = [
      [['--participant', bic, '--channel', 'webhook', '--target', 'http://127.0.0.1/x', '--events', 'payment.settled'], /https/],
      [['--participant', bic, '--channel', 'email', '--target', 'a@b.test', '--events', 'alert.risk'], /not an event for a participant/],
      [['--operators', '--channel', 'email', '--target', 'a@b.test', '--events', 'payment.settled'], /not an event for operators/],
      [['--participant', 'NOTABANKXXX', '--channel', 'email', '--target', 'a@b.test', '--events', 'payment.settled'], /not a participant/],
    ];
    for (const [args, message] of refusals) {
      const refused = w.run('notify', 'subscribe', ...args, '--operator', 'olivia', '--reason', 'try');
      assert.equal(refused.status, 2, refused.stderr);
      assert.match(refused.stderr, message);
    }
    const noReason = w.run('notify', 'subscribe', '--operators', '--channel', 'email', '--target', 'a@b.test', '--events', 'alert.risk', '--operator', 'olivia', '--reason', ' ');
    assert.equal(noReason.status, 2);
    assert.equal((await journal(w)).length, 2, 'only the two subscriptions are on record');

    const before = await journal(w);
    const listed = JSON.parse(w.ok('notify', 'list', '--json').stdout);
    assert.deepEqual(listed.map((s: { participant: string | null; channel: string }) => [s.participant, s.channel]), [[bic, 'webhook'], [null, 'email']]);
    assert.ok(!JSON.stringify(listed).includes(made.secret), 'list never shows a secret');
    assert.equal(listed[0].secret, undefined);
    w.ok('notify', 'list');
    w.ok('notify', 'history');
    assert.deepEqual(await journal(w), before, 'reading writes nothing');

    const ca = join(w.work, 'receiver-ca.pem');
    writeFileSync(ca, receiver.caPem);
    const tested = await runAsync(w, 'notify', 'test', String(made.id), '--ca', ca, '--operator', 'olivia', '--reason', 'check the receiver');
    assert.equal(tested.status, 0, tested.stderr);
    assert.match(tested.stdout, /test notification accepted \(200/);
    const request = receiver.requests.at(-1)!;
    assert.equal(verifySignature(request.headers[HEADERS.signature.toLowerCase()] as string, request.body, made.secret,
      Math.floor(w.clock.now().getTime() / 1000)), undefined, 'signed with the generated secret');
    assert.equal(JSON.parse(request.body).data.test, true);
    receiver.statuses.push(503);
    const failed = await runAsync(w, 'notify', 'test', String(made.id), '--ca', ca, '--operator', 'olivia', '--reason', 'again');
    assert.equal(failed.status, 1);
    assert.match(failed.stdout, /failed: HTTP 503/);

    w.ok('notify', 'remove', String(made.id), '--operator', 'olivia', '--reason', 'bank A moved to e-mail');
    assert.equal(JSON.parse(w.ok('notify', 'list', '--json').stdout).length, 1);
    assert.equal(JSON.parse(w.ok('notify', 'list', '--removed', '--json').stdout).length, 2);
    assert.equal(w.run('notify', 'remove', String(made.id), '--operator', 'olivia', '--reason', 'twice').status, 2);

    const entries = await journal(w);
    assert.deepEqual(entries.map((e) => [e.action, e.subject, e.actor, e.reason]), [
      ['notify.subscribe', bic, 'olivia', 'ticket 12: bank A wants pushes'],
      ['notify.subscribe', 'operators', 'olivia', 'the operations mailbox'],
      ['notify.test', bic, 'olivia', 'check the receiver'],
      ['notify.test', bic, 'olivia', 'again'],
      ['notify.remove', bic, 'olivia', 'bank A moved to e-mail'],
    ]);
    assert.ok(!JSON.stringify(entries).includes(made.secret), 'the journal never holds the secret');
  });
});
