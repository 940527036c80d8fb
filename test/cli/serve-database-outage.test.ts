/**
 * `serve` rides out a database that goes away (switch/store/availability.ts, switch/cli/serve-loop.ts,
 * docs/operations.md "When the database goes away"), on real PostgreSQL reached through a TCP proxy
 * the test controls:
 *
 *  1. the proxy is cut (every connection closed, new ones refused) while banks put files into their
 *     mailboxes: serve logs the outage once per backoff step and acknowledges nothing (the files stay
 *     in inbound/, no answer is written);
 *  2. the proxy is restored, and then serve's own connections are killed over and over with
 *     pg_terminate_backend while another file arrives;
 *  3. afterwards every file has been stored exactly once (one message row, its payments once, one
 *     answer), every mailbox is empty, serve never exited and logged no stack trace.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cliWorkspace, killLeftoverServes, startServe } from '../support/cli-workspace.ts';
import { answerTo, logRecords, sentFiles, waitFor, type SentFile } from '../support/serve-observer.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { limits } from '../../switch/limits.ts';

after(killLeftoverServes);

const ANSWER_WAIT_MS = 90_000;
const PAYMENTS_PER_FILE = 3;
/** pg_terminate_backend rounds while the last file arrives: bounded in count and time. */
const TERMINATE_ROUNDS = 20;
const TERMINATE_EVERY_MS = 250;

describe('serve and a database that goes away', () => {
  it('files sent during an outage and under killed connections are processed exactly once; serve never exits', { timeout: 400_000 }, async () => {
    const { work, env, databaseUrl, ok } = await cliWorkspace('outage');
    const direct = new URL(databaseUrl);
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const application = `clearhouse-outage-${process.pid}`;
    const proxied = new URL(databaseUrl);
    proxied.host = `127.0.0.1:${proxy.port}`;
    proxied.searchParams.set('application_name', application);

    // Four banks' files, made up front in scratch mailboxes and moved into the real inbound/ when the
    // test says (a rename: the switch never sees half a file).
    const banks = ['BANKDEFFXXX', 'BANKFRPPXXX', 'BANKNL2AXXX', 'BANKBEBBXXX'];
    const files = new Map<string, SentFile>(banks.map((bic) => [bic, sentFiles(ok('bank', 'send', '--bic', bic, '--to', 'BANKITMMXXX',
      '--count', String(PAYMENTS_PER_FILE), '--mailbox', join(work, 'scratch', bic)).stdout)[0]!]));
    const mailbox = (bic: string) => join(work, 'data', 'mailboxes', bic);
    const put = (bic: string): void => {
      mkdirSync(join(mailbox(bic), 'inbound'), { recursive: true });
      renameSync(join(work, 'scratch', bic, 'inbound', files.get(bic)!.fileName), join(mailbox(bic), 'inbound', files.get(bic)!.fileName));
    };
    const answer = (bic: string) => waitFor(() => answerTo(mailbox(bic), files.get(bic)!), ANSWER_WAIT_MS);
    const records = () => logRecords(serve.stderr(), { strict: false });
    const outageWarnings = () => records().filter((r) => r.component === 'database' && r.level === 'warn').length;

    const serve = startServe({ ...env, DATABASE_URL: proxied.toString() }, [], work);
    const diagnostics = () => serve.stderr().split('\n').filter((line) => !line.includes('"component":"outbound"')).join('\n').slice(-6000);
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      put('BANKDEFFXXX');
      assert.deepEqual(await answer('BANKDEFFXXX'), { kind: 'status', status: 'ACTC' }, diagnostics());

      // 1. The database is unreachable while two files arrive.
      await proxy.cut();
      put('BANKFRPPXXX');
      put('BANKNL2AXXX');
      const warned = outageWarnings();
      assert.ok(await waitFor(() => (outageWarnings() >= warned + 2 ? true : undefined), 4 * limits.databaseReconnectDelayMsMax),
        `serve reports the outage:\n${diagnostics()}`);
      for (const bic of ['BANKFRPPXXX', 'BANKNL2AXXX']) {
        assert.deepEqual(readdirSync(join(mailbox(bic), 'inbound')), [files.get(bic)!.fileName], `${bic}: nothing acknowledged while the store is down`);
        assert.equal(answerTo(mailbox(bic), files.get(bic)!), undefined);
      }
      const steps = records().filter((r) => r.component === 'database' && r.level === 'warn').map((r) => r.attempt as number);
      assert.deepEqual(steps, steps.map((_, i) => i + 1), 'one warning per backoff step, numbered');

      // 2. Back, and then serve's connections are killed again and again while the last file arrives.
      await proxy.restore();
      for (let round = 0; round < TERMINATE_ROUNDS; round++) {
        if (round === 3) put('BANKBEBBXXX');
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [application]);
        await new Promise((resolve) => setTimeout(resolve, TERMINATE_EVERY_MS));
      }

      // 3. Every file answered, stored exactly once, nothing left behind.
      for (const bic of banks) assert.deepEqual(await answer(bic), { kind: 'status', status: 'ACTC' }, `${bic}:\n${diagnostics()}`);
      assert.ok(await waitFor(() => records().find((r) => r.component === 'database' && /reachable again/.test(r.msg)), 2 * limits.databaseReconnectDelayMsMax),
        diagnostics());
      const stored = (await admin.query<{ file_name: string; copies: number; payments: number }>(
        `SELECT m.file_name, count(DISTINCT m.id)::int AS copies, count(p.id)::int AS payments
           FROM messages m LEFT JOIN payments p ON p.message_id = m.id
          WHERE m.direction = 'in' GROUP BY m.file_name ORDER BY m.file_name`)).rows;
      assert.deepEqual(stored, [...files.values()].map((f) => ({ file_name: f.fileName, copies: 1, payments: PAYMENTS_PER_FILE }))
        .sort((a, b) => a.file_name.localeCompare(b.file_name)));
      for (const bic of banks) {
        assert.deepEqual(readdirSync(join(mailbox(bic), 'inbound')), [], `${bic}: acknowledged once stored`);
        const answers = readdirSync(join(mailbox(bic), 'outbound')).filter((name) => name.startsWith('pacs.002'));
        assert.equal(answers.length, 1, `${bic}: one answer, not one per attempt: ${answers.join(', ')}`);
      }
      assert.doesNotMatch(serve.stderr(), /\n\s+at /, 'no stack trace');
    } finally {
      await admin.end();
      await proxy.close();
    }
    assert.equal(await serve.stop(), 0, diagnostics());
  });
});
