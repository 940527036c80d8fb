/**
 * TrustMaterialWatcher (connectors/signing/reload.ts): the trust material follows its files; a change
 * that loads is taken, a broken one is not (the last good material stays, one error per broken
 * content), and a CRL revoking the switch's own certificate is still taken, loudly.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustMaterialWatcher } from '../../connectors/signing/reload.ts';
import { TrustMaterialError } from '../../connectors/signing/material.ts';
import { signDetached, verifyDetached } from '../../connectors/signing/cms.ts';
import { createCrl, type KeyAndCertificate } from '../../connectors/signing/pki.ts';
import type { Logger, LogFields } from '../../switch/log.ts';
import { at, participant, schemeCas } from './support.ts';

const { scheme } = schemeCas();
const bankA = participant(scheme, 'BANKDEFFXXX', at(-1));
const bankB = participant(scheme, 'BANKFRPPXXX', at(-1));
const switchCert = participant(scheme, 'CLHSDEFFXXX', at(-1));
const otherSwitch = participant(scheme, 'CLHSDEFFXXX', at(-1));
const now = at(1);
const crlOf = (revoked: readonly string[]) =>
  createCrl({ ca: scheme, revoked: revoked.map((serial) => ({ serial, date: at(0) })), thisUpdate: at(0), nextUpdate: at(7) });

interface Logged { readonly level: string; readonly fields: LogFields; readonly message: string }
function recorder(): Logger & { readonly records: Logged[] } {
  const records: Logged[] = [];
  const logger = {
    records,
    info: (fields: LogFields, message: string) => { records.push({ level: 'info', fields, message }); },
    warn: (fields: LogFields, message: string) => { records.push({ level: 'warn', fields, message }); },
    error: (fields: LogFields, message: string) => { records.push({ level: 'error', fields, message }); },
    child: () => logger,
  };
  return logger;
}

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'clearhouse-reload-'));
  const path = (name: string) => join(dir, name);
  writeFileSync(path('ca.cert.pem'), scheme.certPem);
  writeFileSync(path('crl.pem'), crlOf([]));
  writeFileSync(path('switch.key.pem'), switchCert.keyPem);
  writeFileSync(path('switch.cert.pem'), switchCert.certPem);
  const log = recorder();
  const watcher = TrustMaterialWatcher.load({
    sources: { ca: [path('ca.cert.pem')], crl: [path('crl.pem')], switchKey: path('switch.key.pem'), switchCert: path('switch.cert.pem') },
    log, switchBic: 'CLHSDEFFXXX', now: () => now,
  });
  return { dir, path, log, watcher };
}

const bytes = new TextEncoder().encode('<Document/>');
function verdictFor(watcher: TrustMaterialWatcher, signer: KeyAndCertificate & { serial: string }, bic: string) {
  const trust = watcher.current().trust!;
  const result = verifyDetached(bytes, signDetached(bytes, signer), { caCertPems: trust.caCertPems, crls: trust.crls ?? [], expectedSigner: bic, now });
  return result.ok ? 'good' : result.code;
}

describe('trust material reloading', () => {
  it('a new CRL is taken at the next check: the revoked bank is refused (DS0C), the others are not', () => {
    const { path, watcher, log } = setUp();
    assert.equal(verdictFor(watcher, bankA, 'BANKDEFFXXX'), 'good');
    assert.equal(watcher.check(), 'unchanged', 'nothing changed, nothing reloaded');
    writeFileSync(path('crl.pem'), crlOf([bankA.serial]));
    assert.equal(watcher.check(), 'reloaded');
    assert.equal(verdictFor(watcher, bankA, 'BANKDEFFXXX'), 'DS0C');
    assert.equal(verdictFor(watcher, bankB, 'BANKFRPPXXX'), 'good');
    assert.equal(log.records.filter((r) => r.level === 'info' && /reloaded/.test(r.message)).length, 1);
    // The same bytes written again (a copy, a re-publication of an unchanged CRL) are no change.
    writeFileSync(path('crl.pem'), crlOf([bankA.serial]));
    assert.equal(watcher.check(), 'unchanged');
  });

  it('a broken or missing file keeps the last good material, with one error per broken content', () => {
    const { path, watcher, log } = setUp();
    writeFileSync(path('crl.pem'), crlOf([bankA.serial]));
    assert.equal(watcher.check(), 'reloaded');
    const errors = () => log.records.filter((r) => r.level === 'error');
    for (const broken of ['', 'garbage', '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n', crlOf([bankA.serial]).slice(0, 300)]) {
      const before = errors().length;
      writeFileSync(path('crl.pem'), broken);
      assert.equal(watcher.check(), 'kept', JSON.stringify(broken.slice(0, 40)));
      assert.equal(watcher.check(), 'unchanged', 'the same broken content is reported once');
      assert.equal(errors().length, before + 1);
      assert.ok(errors().at(-1)!.fields.err instanceof TrustMaterialError);
      assert.equal(verdictFor(watcher, bankA, 'BANKDEFFXXX'), 'DS0C', 'the last good CRL is still in force');
      assert.equal(verdictFor(watcher, bankB, 'BANKFRPPXXX'), 'good');
    }
    rmSync(path('ca.cert.pem'));
    assert.equal(watcher.check(), 'kept');
    assert.equal(verdictFor(watcher, bankA, 'BANKDEFFXXX'), 'DS0C', 'a CA file that disappeared does not turn verification off');
    writeFileSync(path('ca.cert.pem'), scheme.certPem);
    writeFileSync(path('crl.pem'), crlOf([]));
    assert.equal(watcher.check(), 'reloaded');
    assert.equal(verdictFor(watcher, bankA, 'BANKDEFFXXX'), 'good');
  });

  it('the switch key and certificate: a rotation is taken once both halves match; a mismatch keeps the old pair', () => {
    const { path, watcher, log } = setUp();
    const signerBefore = watcher.current().signer!;
    writeFileSync(path('switch.key.pem'), otherSwitch.keyPem); // half-way through a rotation
    assert.equal(watcher.check(), 'kept');
    assert.equal(watcher.current().signer, signerBefore);
    assert.match(log.records.at(-1)!.message, /still signing with the last good pair/);
    writeFileSync(path('switch.cert.pem'), otherSwitch.certPem);
    assert.equal(watcher.check(), 'reloaded');
    assert.equal(watcher.current().signer!.certPem, otherSwitch.certPem);
  });

  it("a CRL that revokes the switch's own certificate is taken (banks' revocations apply) and reported as an error", () => {
    const { path, watcher, log } = setUp();
    writeFileSync(path('crl.pem'), crlOf([bankA.serial, switchCert.serial]));
    assert.equal(watcher.check(), 'reloaded');
    assert.equal(verdictFor(watcher, bankA, 'BANKDEFFXXX'), 'DS0C');
    assert.ok(log.records.some((r) => r.level === 'error' && /switch's own certificate is refused/.test(r.message)));
  });

  it('refuses to start on broken material (serve exits 2 with the message)', () => {
    const { path } = setUp();
    writeFileSync(path('crl.pem'), 'garbage');
    assert.throws(() => TrustMaterialWatcher.load({ sources: { ca: [path('ca.cert.pem')], crl: [path('crl.pem')] }, log: recorder() }),
      (error: Error) => error instanceof TrustMaterialError && /not a revocation list/.test(error.message));
  });
});
