/**
 * A certificate revoked while `serve` runs stops signing accepted files without a restart
 * (connectors/signing/reload.ts, docs/signing.md "Reloading"): a long-running serve on PostgreSQL
 * with signed directory mailboxes; `clearhouse pki revoke` rewrites the CRL; the bank's next file is
 * refused with an admi.002 DS0C. A broken CRL written over it afterwards is not used: the last good
 * one stays in force (the revoked bank is still refused, the others still accepted, unsigned files
 * still refused), and serve logs an error.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorkspace, killLeftoverServes, startServe } from '../support/cli-workspace.ts';
import { answerTo, logRecords, sentFiles, waitFor, type SentFile } from '../support/serve-observer.ts';
import { writeSchemePki } from '../support/scheme-pki.ts';
import { limits } from '../../switch/limits.ts';

after(killLeftoverServes);

/** Long enough for serve to start, take a file and answer it on a busy machine. */
const ANSWER_WAIT_MS = 60_000;
/** The reload bound with room for a poll pass that is running: the test waits this long at most. */
const RELOAD_WAIT_MS = 3 * limits.trustMaterialReloadMs + 5_000;

describe('serve reloads its trust material while it runs', () => {
  it('a CRL revoking a bank makes its next file refused (DS0C) without a restart; a broken CRL keeps the last good one', { timeout: 300_000 }, async () => {
    const { work, env, ok, clock } = await cliWorkspace('reload');
    const pki = writeSchemePki(join(work, 'pki'), ['CLHSDEFFXXX', 'BANKDEFFXXX', 'BANKFRPPXXX'], clock.now());
    const crl = pki.crl;
    const mailbox = (bic: string) => join(work, 'data', 'mailboxes', bic);
    const send = (bic: string, signed = true): SentFile => {
      const sent = ok('bank', 'send', '--bic', bic, '--to', 'BANKNL2AXXX', '--count', '2',
        ...(signed ? ['--key', pki.keyOf(bic), '--cert', pki.certOf(bic)] : []));
      return sentFiles(sent.stdout)[0]!;
    };
    const answer = (bic: string, file: SentFile) => waitFor(() => answerTo(mailbox(bic), file), ANSWER_WAIT_MS);

    const serve = startServe(env, ['--ca', pki.ca, '--crl', crl, '--switch-key', pki.keyOf('CLHSDEFFXXX'),
      '--switch-cert', pki.certOf('CLHSDEFFXXX')], work);
    const diagnostics = () => serve.stderr().slice(-3000);

    const before = send('BANKDEFFXXX');
    assert.deepEqual(await answer('BANKDEFFXXX', before), { kind: 'status', status: 'ACTC' }, diagnostics());

    ok('pki', 'revoke', '--ca', pki.ca, '--cert', pki.certOf('BANKDEFFXXX'), '--reason', 'keyCompromise');
    const reloads = () => logRecords(serve.stderr(), { strict: false }).filter((r) => r.component === 'trust' && /reloaded/.test(r.msg)).length;
    await waitFor(() => (reloads() >= 1 ? true : undefined), RELOAD_WAIT_MS);
    const revoked = send('BANKDEFFXXX');
    assert.deepEqual(await answer('BANKDEFFXXX', revoked), { kind: 'refused', code: 'DS0C' }, diagnostics());

    // A broken replacement: never "no verification", never the switch stopping.
    writeFileSync(crl, '-----BEGIN X509 CRL-----\nnot a CRL\n-----END X509 CRL-----\n');
    const complaint = await waitFor(() => logRecords(serve.stderr(), { strict: false }).find((r) => r.component === 'trust' && r.level === 'error'), RELOAD_WAIT_MS);
    assert.ok(complaint, `serve logs the broken CRL as an error:\n${diagnostics()}`);
    assert.match(String((complaint.err as { message?: string }).message), /not a revocation list/);
    const stillRevoked = send('BANKDEFFXXX');
    const stillGood = send('BANKFRPPXXX');
    const unsigned = send('BANKFRPPXXX', false);
    assert.deepEqual(await answer('BANKDEFFXXX', stillRevoked), { kind: 'refused', code: 'DS0C' }, diagnostics());
    assert.deepEqual(await answer('BANKFRPPXXX', stillGood), { kind: 'status', status: 'ACTC' }, diagnostics());
    assert.deepEqual(await answer('BANKFRPPXXX', unsigned), { kind: 'refused', code: 'DS0A' }, diagnostics());
    assert.equal(reloads(), 1, 'the broken CRL was not taken');

    assert.equal(await serve.stop(), 0, diagnostics());
  });
});
