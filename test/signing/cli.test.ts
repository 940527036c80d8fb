/**
 * `clearhouse pki` as an operator and a bank run it: init, issue (own key and CSR), sign, verify with
 * its exit codes (0 good, 1 refused with the DS code, 2 usage), revoke, and a rotation overlap.
 * Each run starts the whole CLI (about 1.5 s), so steps that are not under test use the library.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signDetached, verifyDetached } from '../../connectors/signing/cms.ts';
import { opensslMissing, participant, schemeCas } from './support.ts';
import { skipOption } from '../support/prerequisites.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const cli = join(root, 'bin', 'clearhouse.js');
const DAY_MS = 86_400_000;

describe('clearhouse pki', () => {
  const work = mkdtempSync(join(tmpdir(), 'clearhouse-pki-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  const pki = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, 'pki', ...args], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const read = (file: string) => readFileSync(join(work, file), 'utf8');
  writeFileSync(join(work, 'pacs.xml'), '<Document>pacs.008</Document>\n');

  it('init writes the CA key (owner-only) and certificate, and never overwrites a CA key', () => {
    assert.equal(pki('init', '--out', 'ca').code, 0);
    assert.ok(existsSync(join(work, 'ca', 'ca.cert.pem')));
    assert.equal(statSync(join(work, 'ca', 'ca.key.pem')).mode & 0o077, 0);
    const again = pki('init', '--out', 'ca');
    assert.equal(again.code, 2);
    assert.match(again.out, /never overwritten/);
  });

  it('issue, sign and verify: exit 0, and FILE.p7s is a detached CMS signature', () => {
    assert.equal(pki('issue', '--ca', 'ca', '--bic', 'BANKDEFFXXX', '--out', 'banks').code, 0);
    assert.equal(pki('sign', '--key', 'banks/BANKDEFFXXX.key.pem', '--cert', 'banks/BANKDEFFXXX.cert.pem', 'pacs.xml').code, 0);
    const good = pki('verify', '--ca', 'ca/ca.cert.pem', '--bic', 'BANKDEFF', 'pacs.xml');
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /signature good, signer BANKDEFFXXX/);
    const direct = verifyDetached(readFileSync(join(work, 'pacs.xml')), readFileSync(join(work, 'pacs.xml.p7s')), {
      caCertPems: [readFileSync(join(work, 'ca', 'ca.cert.pem'), 'utf8')], now: new Date(),
    });
    assert.equal(direct.ok, true);
  });

  it('verify exits 1 with the DS code: wrong signer, changed file, missing signature', () => {
    const wrong = pki('verify', '--ca', 'ca', '--bic', 'BANKFRPPXXX', 'pacs.xml');
    assert.deepEqual([wrong.code, /refused DS0E/.test(wrong.out)], [1, true], wrong.out);
    writeFileSync(join(work, 'changed.xml'), '<Document>pacs.009</Document>\n');
    const changed = pki('verify', '--ca', 'ca', '--signature', 'pacs.xml.p7s', 'changed.xml');
    assert.deepEqual([changed.code, /refused DS17 DifferentOrderDataInSignatures/.test(changed.out)], [1, true], changed.out);
    const missing = pki('verify', '--ca', 'ca', 'changed.xml');
    assert.deepEqual([missing.code, /refused DS0A/.test(missing.out)], [1, true], missing.out);
  });

  it('exit 2 for usage errors: missing option, no such file, validity over 364 days', () => {
    assert.equal(pki('verify', 'pacs.xml').code, 2);
    assert.equal(pki('verify', '--ca', 'ca', 'nonexistent.xml').code, 2);
    assert.equal(pki('issue', '--ca', 'ca', '--bic', 'BANKFRPPXXX', '--out', 'banks', '--days', '365').code, 2);
  });

  it('rotation: old and new certificates both verify during the overlap, only the new one after', () => {
    const start = new Date(Date.now() - 300 * DAY_MS).toISOString();
    assert.equal(pki('issue', '--ca', 'ca', '--bic', 'BANKROTAXXX', '--out', 'old', '--not-before', start).code, 0);
    const ca = { keyPem: read('ca/ca.key.pem'), certPem: read('ca/ca.cert.pem') };
    const old = { keyPem: read('old/BANKROTAXXX.key.pem'), certPem: read('old/BANKROTAXXX.cert.pem') };
    writeFileSync(join(work, 'old.p7s'), signDetached(readFileSync(join(work, 'pacs.xml')), old));
    writeFileSync(join(work, 'new.p7s'), signDetached(readFileSync(join(work, 'pacs.xml')), participant(ca, 'BANKROTAXXX', new Date())));
    const verify = (sig: string, ...more: string[]) => pki('verify', '--ca', 'ca', '--bic', 'BANKROTA', '--signature', sig, ...more, 'pacs.xml');
    assert.equal(verify('old.p7s').code, 0);
    const later = new Date(Date.now() + 70 * DAY_MS).toISOString(); // past the old certificate's 364 days
    const expired = verify('old.p7s', '--at', later);
    assert.deepEqual([expired.code, /refused DS0D/.test(expired.out)], [1, true], expired.out);
    assert.equal(verify('new.p7s', '--at', later).code, 0);
  });

  it('revoke adds to the CRL (twice: both listed); verify with --crl refuses with DS0C', () => {
    assert.equal(pki('revoke', '--ca', 'ca', '--cert', 'old/BANKROTAXXX.cert.pem', '--reason', 'superseded').code, 0);
    const second = pki('revoke', '--ca', 'ca', '--cert', 'banks/BANKDEFFXXX.cert.pem');
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /lists 2 certificate/);
    const revoked = pki('verify', '--ca', 'ca', '--crl', 'ca/crl.pem', 'pacs.xml');
    assert.deepEqual([revoked.code, /refused DS0C SignerCertificateRevoked/.test(revoked.out)], [1, true], revoked.out);
    assert.equal(pki('revoke', '--ca', 'ca', '--cert', 'banks/BANKDEFFXXX.cert.pem', '--reason', 'bored').code, 2);
  });

  it('a CA rollover: verify trusts the previous and the current CA when both are given', () => {
    const { scheme: ca2 } = schemeCas(new Date(Date.now() - DAY_MS));
    writeFileSync(join(work, 'ca2.cert.pem'), ca2.certPem);
    writeFileSync(join(work, 'ca2.p7s'), signDetached(readFileSync(join(work, 'pacs.xml')), participant(ca2, 'BANKDEFFXXX', new Date())));
    const onlyOld = pki('verify', '--ca', 'ca', '--signature', 'ca2.p7s', 'pacs.xml');
    assert.deepEqual([onlyOld.code, /refused DS0F/.test(onlyOld.out)], [1, true], onlyOld.out);
    assert.equal(pki('verify', '--ca', 'ca', '--ca', 'ca2.cert.pem', '--signature', 'ca2.p7s', 'pacs.xml').code, 0);
  });

  it("issue --csr certifies a bank's own key (openssl req) without writing a key", { skip: skipOption(opensslMissing()) }, () => {
    const req = spawnSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'own.key.pem', '-subj', '/CN=x', '-out', 'own.csr'], { cwd: work });
    assert.equal(req.status, 0);
    assert.equal(pki('issue', '--ca', 'ca', '--bic', 'BANKFRPPXXX', '--csr', 'own.csr', '--out', 'csr').code, 0);
    assert.ok(existsSync(join(work, 'csr', 'BANKFRPPXXX.cert.pem')));
    assert.equal(existsSync(join(work, 'csr', 'BANKFRPPXXX.key.pem')), false);
  });
});
