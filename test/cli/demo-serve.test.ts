/**
 * `clearhouse demo --serve`: after the story, the HTTPS API and console on the demo's embedded store.
 * This test starts it as a user would, reads what it prints (the URL, the operator's password and
 * otpauth URI, a bank's certificate files), logs in over HTTPS as that operator with a TOTP code made
 * from the printed URI, reads /positions, reads them again as the bank with its printed certificate
 * (its own only), loads the console page, and stops it with SIGINT (exit 0).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base32Decode, totp } from '../../switch/api/credentials.ts';
import { httpsRequest } from '../api/support.ts';
import { cli, root } from '../support/cli-workspace.ts';

const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', CLEARHOUSE_CONFIG: '' };

describe('clearhouse demo --serve', () => {
  it('serves the console over HTTPS after the story: the printed operator logs in and reads positions, a printed bank certificate sees its own; SIGINT stops it', { timeout: 400_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'clearhouse-demo-serve-'));
    const child = spawn(process.execPath, [cli, 'demo', '--out', out, '--serve', '--listen', '127.0.0.1:0'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = performance.now() + 360_000;
      while (!stdout.includes('Ctrl-C stops it.')) {
        assert.ok(child.exitCode === null, `demo --serve ended early (${child.exitCode}): ${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
        assert.ok(performance.now() < deadline, `demo --serve did not start serving: ${stdout.slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const url = /^ {2}(https:\/\/localhost:\d+)\/console$/m.exec(stdout)?.[1];
      assert.ok(url, `the console URL is printed: ${stdout}`);
      const operator = /^ {2}operator +operator +password: (\S+)\n +totp: (otpauth:\/\/\S+)$/m.exec(stdout);
      assert.ok(operator, 'the operator\'s password and otpauth URI are printed');
      const secret = new URL(operator[2]!).searchParams.get('secret')!;
      const bank = /^ {2}BANKFRPPXXX {2}cert: (\S+)\n +key: {2}(\S+)$/m.exec(stdout);
      assert.ok(bank, 'the bank certificate files are printed');
      const serverCert = readFileSync(join(out, 'tls', 'server.cert.pem'), 'utf8');

      const login = await httpsRequest(url, serverCert, 'POST', '/login',
        { body: { name: 'operator', password: operator[1], totp: totp(base32Decode(secret), new Date(Date.now())) } });
      assert.equal(login.status, 200, login.text);
      assert.equal(login.json.role, 'operator');
      const positions = await httpsRequest(url, serverCert, 'GET', '/positions', { token: login.json.token });
      assert.equal(positions.status, 200, positions.text);
      // The demo scheme's five banks in EUR, four of them in SEK too.
      assert.equal(positions.json.exposures.length, 9);
      const cycles = await httpsRequest(url, serverCert, 'GET', '/cycles', { token: login.json.token });
      assert.ok(cycles.json.cycles.some((c: { state: string }) => c.state === 'SETTLED'), 'the story\'s cycles are there');
      // The switch's clock runs on from the story's end (Friday 09:30 in Frankfurt): the next cut-off is 10:00 there.
      assert.equal(cycles.json.nextCutOff.cutOffAt, '2026-11-27T09:00:00.000Z');

      const own = await httpsRequest(url, serverCert, 'GET', '/positions', { key: readFileSync(bank[2]!), cert: readFileSync(bank[1]!) });
      assert.equal(own.status, 200, own.text);
      assert.deepEqual([...new Set(own.json.exposures.map((e: { bic: string }) => e.bic))], ['BANKFRPPXXX']);
      const page = await httpsRequest(url, serverCert, 'GET', '/console');
      assert.equal(page.status, 200);
      assert.match(page.text, /<script type="module" src="\/console\/console.js">/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr.slice(-2000));
    assert.match(stdout, /Stopping\.\n$/);
  });
});
