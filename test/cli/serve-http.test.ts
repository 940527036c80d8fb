/**
 * `clearhouse users add` and `serve --http` as an operator runs them: a person enrolled on the command
 * line (password and otpauth:// URI printed once) logs in to the API of a running serve with the TOTP
 * code of that URI; a bank reaches it with its scheme certificate; bad --http values stop serve with
 * exit code 2 and one line.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorkspace, killLeftoverServes, startServe } from '../support/cli-workspace.ts';
import { logRecords, waitFor } from '../support/serve-observer.ts';
import { writeSchemePki } from '../support/scheme-pki.ts';
import { base32Decode, totp } from '../../switch/api/credentials.ts';
import { httpsRequest, serverCertificate } from '../api/support.ts';

after(killLeftoverServes);

const START_WAIT_MS = 60_000;

describe('serve --http and users add', () => {
  it('an enrolled operator logs in with the printed URI\'s code; a bank by its certificate', { timeout: 180_000 }, async () => {
    const { work, env, ok, run, clock } = await cliWorkspace('http');
    const pki = writeSchemePki(join(work, 'pki'), ['BANKDEFFXXX', 'BANKFRPPXXX'], clock.now());
    const tls = serverCertificate(pki.ca, new Date());
    writeFileSync(join(work, 'api.key.pem'), tls.keyPem);
    writeFileSync(join(work, 'api.cert.pem'), tls.certPem);

    const enrolled = ok('users', 'add', 'olivia', '--role', 'operator');
    const password = /^password: (\S+)$/m.exec(enrolled.stdout)?.[1];
    const uri = /^totp: (otpauth:\/\/totp\/\S+)$/m.exec(enrolled.stdout)?.[1];
    assert.ok(password && uri, enrolled.stdout);
    const secret = new URL(uri).searchParams.get('secret')!;
    const twice = run('users', 'add', 'olivia', '--role', 'operator');
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /exists already/);
    assert.equal(run('users', 'add', 'bob', '--role', 'participant').status, 2);

    const refused = run('serve', '--once', '--http', 'nowhere', '--http-key', join(work, 'api.key.pem'), '--http-cert', join(work, 'api.cert.pem'));
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--http takes HOST:PORT/);

    const serve = startServe(env, ['--ca', pki.ca, '--crl', pki.crl, '--http', '127.0.0.1:0',
      '--http-key', join(work, 'api.key.pem'), '--http-cert', join(work, 'api.cert.pem')], work);
    const listening = await waitFor(() => logRecords(serve.stderr(), { strict: false }).find((r) => r.msg === 'HTTP API listening'), START_WAIT_MS);
    assert.ok(listening, serve.stderr().slice(-2000));
    const url = String(listening.url);
    const caPem = readFileSync(join(pki.ca, 'ca.cert.pem'), 'utf8');

    const login = await httpsRequest(url, caPem, 'POST', '/login', { body: { name: 'olivia', password, totp: totp(base32Decode(secret), new Date()) } });
    assert.equal(login.status, 200, login.text);
    const me = await httpsRequest(url, caPem, 'GET', '/me', { token: login.json.token });
    assert.deepEqual({ name: me.json.name, role: me.json.role }, { name: 'olivia', role: 'operator' });
    const bank = await httpsRequest(url, caPem, 'GET', '/positions', { key: readFileSync(pki.keyOf('BANKDEFFXXX')), cert: readFileSync(pki.certOf('BANKDEFFXXX')) });
    assert.equal(bank.status, 200, bank.text);
    // Its own exposures only, one per currency it clears (EUR and SEK).
    assert.deepEqual(bank.json.exposures.map((e: { bic: string; currency: string }) => `${e.bic} ${e.currency}`).sort(), ['BANKDEFFXXX EUR', 'BANKDEFFXXX SEK']);
    assert.equal((await httpsRequest(url, caPem, 'GET', '/positions')).status, 401);
    assert.equal(await serve.stop(), 0, serve.stderr().slice(-2000));
  });
});
