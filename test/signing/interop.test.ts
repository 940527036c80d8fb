/**
 * Interoperability with the real `openssl` both ways: openssl cms signatures pass our verifier, ours
 * pass `openssl cms -verify`, a flipped byte fails both, and openssl accepts our CRLs and certificates
 * issued from an openssl CSR. Skipped with a message when openssl is not installed.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signDetached, verifyDetached } from '../../connectors/signing/cms.ts';
import { createCrl, issueCertificate } from '../../connectors/signing/pki.ts';
import { opensslMissing, participant, schemeCas } from './support.ts';
import { skipOption } from '../support/prerequisites.ts';

const skip = skipOption(opensslMissing());
if (skip) process.stdout.write(`# ${skip}\n`);

describe('interoperability with openssl', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'clearhouse-signing-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = (name: string) => join(dir, name);
  const now = new Date();
  const anHourAgo = new Date(now.getTime() - 3_600_000);
  const { scheme } = schemeCas(anHourAgo); // openssl checks validity at the real time
  const bank = participant(scheme, 'BANKDEFFXXX', anHourAgo);
  writeFileSync(path('ca.cert.pem'), scheme.certPem);
  writeFileSync(path('bank.cert.pem'), bank.certPem);
  writeFileSync(path('bank.key.pem'), bank.keyPem);
  const file = Buffer.from('<Document>pacs.008 ... 100.00 EUR</Document>\n\x00\xff binary too\r\n', 'latin1');
  writeFileSync(path('file.xml'), file);
  const flipped = Buffer.from(file);
  flipped[5] = (flipped[5] as number) ^ 0x01;
  writeFileSync(path('flipped.xml'), flipped);
  const trust = { caCertPems: [scheme.certPem], expectedSigner: 'BANKDEFFXXX', now };

  function openssl(...args: string[]) {
    return spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  }
  function opensslVerify(content: string, signature: string) {
    return openssl('cms', '-verify', '-binary', '-inform', 'DER', '-in', signature, '-content', content,
      '-CAfile', 'ca.cert.pem', '-purpose', 'any', '-out', path('verified.out'));
  }

  it('a detached `openssl cms -sign` signature is accepted by verifyDetached, and refused after a byte flip', () => {
    for (const extra of [[], ['-keyid']]) {
      const signed = openssl('cms', '-sign', '-binary', '-md', 'sha256', '-outform', 'DER', ...extra,
        '-signer', 'bank.cert.pem', '-inkey', 'bank.key.pem', '-in', 'file.xml', '-out', 'openssl.p7s');
      assert.equal(signed.status, 0, signed.stderr);
      const signature = readFileSync(path('openssl.p7s'));
      assert.deepEqual(verifyDetached(file, signature, trust), { ok: true, signer: { bic: 'BANKDEFFXXX', serial: bank.serial, notAfter: bank.notAfter } });
      const refused = verifyDetached(flipped, signature, trust);
      assert.equal(refused.ok === false && refused.code, 'DS17');
    }
  });

  it('a signDetached signature passes `openssl cms -verify`, which fails after a byte flip', () => {
    writeFileSync(path('file.xml.p7s'), signDetached(file, bank));
    const good = opensslVerify('file.xml', 'file.xml.p7s');
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stderr, /Verification successful/);
    assert.deepEqual(readFileSync(path('verified.out')), file, 'openssl verified exactly our bytes');
    const bad = opensslVerify('flipped.xml', 'file.xml.p7s');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /Verification failure/);
  });

  it('openssl accepts our CRL (signature by the CA) and sees the certificate as revoked', () => {
    writeFileSync(path('crl.pem'), createCrl({
      ca: scheme, revoked: [{ serial: bank.serial, date: now, reason: 'keyCompromise' }],
      thisUpdate: now, nextUpdate: new Date(now.getTime() + 7 * 86_400_000), crlNumber: 1,
    }));
    const text = openssl('crl', '-in', 'crl.pem', '-noout', '-text', '-CAfile', 'ca.cert.pem');
    assert.equal(text.status, 0, text.stderr);
    assert.match(`${text.stdout}${text.stderr}`, /verify OK/);
    assert.match(text.stdout, new RegExp(`Serial Number: ${bank.serial.toUpperCase()}`));
    assert.match(text.stdout, /Key Compromise/);
    const chain = openssl('verify', '-CAfile', 'ca.cert.pem', 'bank.cert.pem');
    assert.equal(chain.status, 0, chain.stderr);
    const revoked = openssl('verify', '-crl_check', '-CRLfile', 'crl.pem', '-CAfile', 'ca.cert.pem', 'bank.cert.pem');
    assert.notEqual(revoked.status, 0);
    assert.match(`${revoked.stdout}${revoked.stderr}`, /certificate revoked/);
  });

  it("certifies a key from an `openssl req` CSR; openssl then signs with the bank's own key and we accept it", () => {
    const request = openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'own.key.pem', '-subj', '/CN=anything', '-out', 'own.csr');
    assert.equal(request.status, 0, request.stderr);
    const issued = issueCertificate({ ca: scheme, bic: 'BANKFRPPXXX', csrPem: readFileSync(path('own.csr'), 'utf8'), validDays: 364, notBefore: bank.notBefore });
    writeFileSync(path('own.cert.pem'), issued.certPem);
    const signed = openssl('cms', '-sign', '-binary', '-md', 'sha256', '-outform', 'DER',
      '-signer', 'own.cert.pem', '-inkey', 'own.key.pem', '-in', 'file.xml', '-out', 'own.p7s');
    assert.equal(signed.status, 0, signed.stderr);
    const result = verifyDetached(file, readFileSync(path('own.p7s')), { ...trust, expectedSigner: 'BANKFRPP' });
    assert.equal(result.ok && result.signer.bic, 'BANKFRPPXXX');
  });
});
