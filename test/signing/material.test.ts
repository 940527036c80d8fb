/**
 * The switch's trust material (connectors/signing/material.ts): from the scheme configuration or the
 * command line, checked once at start — a switch key that is not its certificate's, a certificate
 * from another CA, an expired or revoked one, or an unreadable file stop serve with a clear message.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTrustMaterial, trustSources, TrustMaterialError } from '../../connectors/signing/material.ts';
import { signDetached, verifyDetached } from '../../connectors/signing/cms.ts';
import { createCrl } from '../../connectors/signing/pki.ts';
import { checkConfig, ConfigError } from '../../switch/config.ts';
import { at, participant, schemeCas } from './support.ts';

const { scheme, foreign } = schemeCas();
const switchCert = participant(scheme, 'CLHSDEFFXXX', at(-1));
const otherSwitch = participant(scheme, 'CLHSDEFFXXX', at(-1));
const foreignSwitch = participant(foreign, 'CLHSDEFFXXX', at(-1));
const shortLived = participant(scheme, 'CLHSDEFFXXX', at(-1), 10);

function files(entries: Record<string, string>): (name: string) => string {
  const dir = mkdtempSync(join(tmpdir(), 'clearhouse-material-'));
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(dir, name), text);
  return (name) => join(dir, name);
}

const path = files({
  'ca.cert.pem': scheme.certPem, 'foreign.cert.pem': foreign.certPem, 'switch.key.pem': switchCert.keyPem, 'switch.cert.pem': switchCert.certPem,
  'other.key.pem': otherSwitch.keyPem, 'foreign-switch.key.pem': foreignSwitch.keyPem, 'foreign-switch.cert.pem': foreignSwitch.certPem,
  'short.key.pem': shortLived.keyPem, 'short.cert.pem': shortLived.certPem, 'garbage.pem': 'not a certificate',
  'revoked.crl.pem': createCrl({ ca: scheme, revoked: [{ serial: switchCert.serial, date: at(0) }], thisUpdate: at(0), nextUpdate: at(30) }),
});
const now = at(1);

describe('trust material', () => {
  it('loads CAs, CRLs and the switch signer; what the switch signs verifies against them', () => {
    const material = loadTrustMaterial({ ca: [path('ca.cert.pem')], crl: [], switchKey: path('switch.key.pem'), switchCert: path('switch.cert.pem') }, now, 'CLHSDEFFXXX');
    assert.deepEqual(material.trust?.caCertPems, [scheme.certPem]);
    const bytes = new TextEncoder().encode('<Document/>');
    const verdict = verifyDetached(bytes, signDetached(bytes, material.signer!), { ...material.trust!, now });
    assert.equal(verdict.ok, true);
  });

  it('nothing configured: no trust (unsigned intake) and no signer', () => {
    assert.deepEqual(loadTrustMaterial({ ca: [], crl: [] }, now), {});
  });

  it('refuses a key that is not the certificate\'s, a certificate of another CA, an expired or revoked one', () => {
    const load = (key: string, cert: string, crl: string[] = []) =>
      loadTrustMaterial({ ca: [path('ca.cert.pem')], crl, switchKey: path(key), switchCert: path(cert) }, now, 'CLHSDEFFXXX');
    assert.throws(() => load('other.key.pem', 'switch.cert.pem'), (e: Error) => e instanceof TrustMaterialError && /cannot sign/.test(e.message));
    assert.throws(() => load('foreign-switch.key.pem', 'foreign-switch.cert.pem'), /would be refused \(DS0[0-9A-Z]/);
    assert.throws(() => load('switch.key.pem', 'switch.cert.pem', [path('revoked.crl.pem')]), /would be refused/);
    assert.throws(() => loadTrustMaterial({ ca: [path('ca.cert.pem')], crl: [], switchKey: path('short.key.pem'), switchCert: path('short.cert.pem') },
      at(40), 'CLHSDEFFXXX'), /would be refused/);
    // The same certificate is fine when another CA is trusted alongside (rotation overlap).
    assert.ok(loadTrustMaterial({ ca: [path('foreign.cert.pem'), path('ca.cert.pem')], crl: [], switchKey: path('switch.key.pem'),
      switchCert: path('switch.cert.pem') }, now, 'CLHSDEFFXXX').signer);
  });

  it('refuses unreadable or malformed files with their names', () => {
    assert.throws(() => loadTrustMaterial({ ca: [path('missing.pem')], crl: [] }, now), /CA certificate .*missing\.pem: no such file/);
    assert.throws(() => loadTrustMaterial({ ca: [path('garbage.pem')], crl: [] }, now), /garbage\.pem: not a PEM certificate/);
    assert.throws(() => loadTrustMaterial({ ca: [path('ca.cert.pem')], crl: [path('garbage.pem')] }, now), /garbage\.pem: not a revocation list/);
    assert.throws(() => loadTrustMaterial({ ca: [], crl: [], switchKey: path('switch.key.pem') }, now), /go together/);
  });

  it('command-line options replace the configuration, each group as a whole', () => {
    const config = { caCertificates: ['conf-ca'], revocationLists: ['conf-crl'], switchKey: 'conf-key', switchCertificate: 'conf-cert' };
    assert.deepEqual(trustSources(config, {}), { ca: ['conf-ca'], crl: ['conf-crl'], switchKey: 'conf-key', switchCert: 'conf-cert' });
    assert.deepEqual(trustSources(config, { ca: ['cli-ca'] }), { ca: ['cli-ca'], crl: [], switchKey: 'conf-key', switchCert: 'conf-cert' });
    assert.deepEqual(trustSources(config, { switchKey: 'k', switchCert: 'c' }), { ca: ['conf-ca'], crl: ['conf-crl'], switchKey: 'k', switchCert: 'c' });
    assert.deepEqual(trustSources(undefined, {}), { ca: [], crl: [] });
  });
});

describe('scheme configuration: signing section', () => {
  const base = { name: 'x', currencies: ['EUR'], participants: [{ bic: 'BANKDEFFXXX', name: 'A', status: 'active', currencies: ['EUR'] }] };
  it('accepts CA certificates, CRLs and the switch key pair', () => {
    const config = checkConfig({ ...base, signing: { caCertificates: ['ca.pem'], revocationLists: ['crl.pem'], switchKey: 'k.pem', switchCertificate: 'c.pem' } });
    assert.deepEqual(config.signing, { caCertificates: ['ca.pem'], revocationLists: ['crl.pem'], switchKey: 'k.pem', switchCertificate: 'c.pem' });
  });
  it('reports a missing CA list, a lone key and unknown keys', () => {
    assert.throws(() => checkConfig({ ...base, signing: { caCertificates: [], switchKey: 'k.pem', caFile: 'x' } }), (e: ConfigError) =>
      /signing\.caCertificates: a non-empty list/.test(e.message) && /switchKey and switchCertificate go together/.test(e.message) && /caFile/.test(e.message));
  });
});
