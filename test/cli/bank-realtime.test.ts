/**
 * `clearhouse bank` answering real-time payments and recalls, against `clearhouse serve` on signed
 * directory connectors and real PostgreSQL. The trust material comes from the scheme configuration's
 * `signing` section (no --ca/--switch-key options), so this also shows serve taking it from there.
 *
 * Bank A sends six real-time payments to bank B. B's simulator accepts payments 1, 2, 4, rejects 3
 * and 6 (AC04) and stays silent on 5, which the switch then times out (AB05). A then recalls one of
 * the committed payments; B accepts the recall (CNCL); the switch closes the case and forwards the
 * camt.029 to A. Every file each side receives is signed and verified.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { cliWorkspace } from '../support/cli-workspace.ts';
import { logRecords } from '../support/serve-observer.ts';
/** Long enough for the bank to answer between two serve runs on a loaded machine (each CLI start takes
 * seconds): the scheme's maximum. The test does not wait it out: it moves the workspace's clock past it. */
const CONFIRMATION_TIMEOUT_MS = 60_000;

describe('clearhouse bank answer and recall with serve (signing material from the scheme configuration)', () => {
  it('real-time answers commit, release and time out; a recall is forwarded, answered and closed', async () => {
    const workspace = await cliWorkspace('bank-rt', {
      edit: (config, dir) => {
        const realtime = config.services.find((s: { mode: string }) => s.mode === 'realtime');
        realtime.confirmationTimeoutMs = CONFIRMATION_TIMEOUT_MS;
        config.signing = {
          caCertificates: [join(dir, 'pki', 'ca', 'ca.cert.pem')],
          switchKey: join(dir, 'pki', 'CLHSDEFFXXX.key.pem'), switchCertificate: join(dir, 'pki', 'CLHSDEFFXXX.cert.pem'),
        };
      },
    });
    const { work, databaseUrl, run, ok } = workspace;
    const pki = join(work, 'pki');
    const signedAs = (bic: string) => ['--key', join(pki, `${bic}.key.pem`), '--cert', join(pki, `${bic}.cert.pem`)];

    // Before the PKI exists, serve refuses to start: the configured CA file is missing.
    const missing = run('serve', '--once');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /CA certificate .*ca\.cert\.pem: no such file/);

    ok('pki', 'init', '--out', join(pki, 'ca'));
    for (const bic of ['CLHSDEFFXXX', 'BANKDEFFXXX', 'BANKFRPPXXX']) ok('pki', 'issue', '--ca', join(pki, 'ca'), '--bic', bic, '--out', pki);

    ok('bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKFRPPXXX', '--inst', '--count', '6', ...signedAs('BANKDEFFXXX'));
    const first = ok('serve', '--once');
    const started = logRecords(first.stderr).find((r) => r.component === 'serve' && /^serving /.test(r.msg));
    assert.equal(started?.inboundSignatures, 'verified', first.stderr);
    assert.equal(started?.outbound, 'signed');
    assert.equal((first.stderr.match(/signature good/g) ?? []).length, 6, first.stderr);

    const answered = ok('bank', 'answer', '--bic', 'BANKFRPPXXX', '--reject-every', '3', '--silent-every', '5', ...signedAs('BANKFRPPXXX'));
    assert.match(answered.stdout, /5 answer\(s\)/);
    assert.equal((answered.stdout.match(/ ACCP$/gm) ?? []).length, 3, answered.stdout);
    assert.equal((answered.stdout.match(/ RJCT AC04$/gm) ?? []).length, 2, answered.stdout);
    assert.equal((answered.stdout.match(/no answer \(silent\)/g) ?? []).length, 1, answered.stdout);
    ok('serve', '--once');

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      // The silent payment's confirmation deadline passes (the workspace's clock moves past it), then a serve pass sweeps it.
      const [waiting] = (await db.query<{ confirm_by: Date }>(`SELECT confirm_by FROM payments WHERE state = 'RESERVED'`)).rows;
      assert.ok(waiting, 'the unanswered payment is still reserved before its deadline');
      workspace.advanceClock(Math.max(0, waiting.confirm_by.getTime() - workspace.clock.now().getTime()) + 1_000);
      ok('serve', '--once');

      const states = await db.query<{ state: string; reason_code: string | null; n: number }>(
        `SELECT state, reason_code, count(*)::int AS n FROM payments WHERE mode = 'realtime' GROUP BY 1, 2 ORDER BY 1, 2`);
      assert.deepEqual(states.rows, [
        { state: 'COMMITTED', reason_code: null, n: 3 },
        { state: 'RELEASED', reason_code: 'AB05', n: 1 },
        { state: 'RELEASED', reason_code: 'AC04', n: 2 },
      ]);
      const exposure = await db.query<{ net: bigint; reserved: bigint }>(
        `SELECT net_minor::text AS net, reserved_minor::text AS reserved FROM exposures WHERE bic = 'BANKDEFFXXX' AND currency = 'EUR'`);
      const committed = await db.query<{ total: string }>(
        `SELECT sum(amount_minor)::text AS total FROM payments WHERE mode = 'realtime' AND state = 'COMMITTED'`);
      assert.equal(String(exposure.rows[0]!.reserved), '0', 'every reservation was committed or released');
      assert.equal(String(exposure.rows[0]!.net), `-${committed.rows[0]!.total}`, 'the sender is debited exactly the committed payments');

      // The sender learns each outcome: three ACSP, two RJCT AC04, one RJCT AB05, all signed by the switch.
      const fetched = ok('bank', 'fetch', '--bic', 'BANKDEFFXXX', '--ca', join(pki, 'ca'));
      const statuses = fetched.stdout.trim().split('\n').filter((l) => /\spacs\.002\.001\.10\s/.test(l));
      assert.ok(statuses.every((l) => /signature good \(CLHSDEFFXXX /.test(l)), fetched.stdout);
      assert.equal(statuses.filter((l) => /group ACSP/.test(l)).length, 3, fetched.stdout);
      assert.equal(statuses.filter((l) => /group RJCT/.test(l)).length, 3, fetched.stdout);

      // A recalls one of its committed payments; B accepts the recall.
      const [payment] = (await db.query<{ transaction_id: string; uetr: string }>(
        `SELECT transaction_id, uetr FROM payments WHERE state = 'COMMITTED' ORDER BY id LIMIT 1`)).rows;
      const recalled = ok('bank', 'recall', '--bic', 'BANKDEFFXXX', '--tx', payment!.transaction_id, '--uetr', payment!.uetr,
        '--case', 'BANKDEFF-CASE-RT1', ...signedAs('BANKDEFFXXX'));
      assert.match(recalled.stdout, /camt\.056 case BANKDEFF-CASE-RT1/);
      ok('serve', '--once');
      const opened = await db.query<{ state: string; assignee: string }>(`SELECT state, assignee FROM recall_cases WHERE case_id = 'BANKDEFF-CASE-RT1'`);
      assert.deepEqual(opened.rows, [{ state: 'OPEN', assignee: 'BANKFRPPXXX' }]);

      const recallAnswer = ok('bank', 'answer', '--bic', 'BANKFRPPXXX', '--accept-recalls', ...signedAs('BANKFRPPXXX'));
      assert.match(recallAnswer.stdout, /camt\.029 \S+ CNCL, 1 payment\(s\)/);
      ok('serve', '--once');
      const closed = await db.query<{ state: string }>(`SELECT state FROM recall_cases WHERE case_id = 'BANKDEFF-CASE-RT1'`);
      assert.deepEqual(closed.rows, [{ state: 'ACCEPTED' }]);

      const back = ok('bank', 'fetch', '--bic', 'BANKDEFFXXX', '--ca', join(pki, 'ca'));
      assert.match(back.stdout, /\scamt\.029\.001\.09\s.*signature good \(CLHSDEFFXXX /, back.stdout);
      // A recall of a payment A never sent is refused (answered, not forwarded).
      ok('bank', 'recall', '--bic', 'BANKDEFFXXX', '--tx', 'NO-SUCH-TX', ...signedAs('BANKDEFFXXX'));
      ok('serve', '--once');
      assert.equal((await db.query(`SELECT 1 FROM recall_cases`)).rowCount, 1, 'no case is opened for an unknown payment');
      const refused = ok('bank', 'fetch', '--bic', 'BANKDEFFXXX', '--ca', join(pki, 'ca'));
      assert.match(refused.stdout, /\spacs\.002\.001\.10\s.*group RJCT.*signature good/, refused.stdout);
    } finally {
      await db.end();
    }
  });
});
