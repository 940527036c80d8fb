/**
 * The scheme PKI: CA and participant certificates (subject, BIC binding, extensions, serials,
 * validity bound), certification of a bank's own key from a CSR, and CRLs read back.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import {
  certificateExtension, createCa, createCrl, crlIssuedBy, issueCertificate, normalizeBic, normalizeSerial, parseCrl,
} from '../../connectors/signing/pki.ts';
import { limits } from '../../switch/limits.ts';
import { at, schemeCas } from './support.ts';

const { scheme, foreign } = schemeCas();
const bankKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyPem = bankKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('createCa', () => {
  it('is a self-signed CA certificate with the scheme as O', () => {
    const ca = new X509Certificate(scheme.certPem);
    assert.equal(ca.ca, true);
    assert.ok(ca.checkIssued(ca) && ca.verify(ca.publicKey));
    assert.equal(ca.subject, 'CN=Clearhouse Test CA\nO=Clearhouse Scheme');
    assert.equal(ca.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  });

  it('refuses keys under 2048 bits', () => {
    assert.throws(() => createCa({ commonName: 'weak', validDays: 10, keyBits: 1024 }), /keyBits/);
  });
});

describe('issueCertificate', () => {
  it('binds the BIC as the CN under the scheme O, signed by the CA, not a CA itself', () => {
    const issued = issueCertificate({ ca: scheme, bic: 'bankdeff', publicKeyPem, validDays: 364, notBefore: at(0) });
    const cert = new X509Certificate(issued.certPem);
    assert.equal(cert.subject, 'CN=BANKDEFF\nO=Clearhouse Scheme\nOU=Participant signing');
    assert.equal(cert.ca, false);
    assert.ok(cert.checkIssued(new X509Certificate(scheme.certPem)) && cert.verify(new X509Certificate(scheme.certPem).publicKey));
    assert.equal(issued.keyPem, undefined, 'no key is generated when the bank brings its own');
    assert.equal(issued.notAfter.getTime() - issued.notBefore.getTime(), 364 * 86_400_000);
    assert.ok(certificateExtension(cert.raw, '2.5.29.35'), 'authorityKeyIdentifier present');
  });

  it('gives unique, positive 16-byte serial numbers', () => {
    const serials = Array.from({ length: 50 }, () => issueCertificate({ ca: scheme, bic: 'BANKDEFFXXX', publicKeyPem, validDays: 30 }).serial);
    assert.equal(new Set(serials).size, serials.length);
    for (const serial of serials) assert.match(serial, /^[4-7][0-9a-f]{31}$/);
  });

  it(`refuses a validity over ${limits.signingCertificateValidDaysMax} days, a non-BIC, a weak key and a non-CA issuer`, () => {
    assert.throws(() => issueCertificate({ ca: scheme, bic: 'BANKDEFFXXX', publicKeyPem, validDays: 365 }), /validDays/);
    assert.throws(() => issueCertificate({ ca: scheme, bic: 'BANK-DE', publicKeyPem, validDays: 30 }), /not a BIC/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.throws(() => issueCertificate({ ca: scheme, bic: 'BANKDEFFXXX', publicKeyPem: weak, validDays: 30 }), /at least 2048/);
    const leaf = issueCertificate({ ca: scheme, bic: 'BANKDEFFXXX', validDays: 30 });
    assert.throws(() => issueCertificate({ ca: { keyPem: leaf.keyPem as string, certPem: leaf.certPem }, bic: 'BANKFRPPXXX', publicKeyPem, validDays: 30 }), /not a CA/);
    assert.throws(() => issueCertificate({ ca: { keyPem: foreign.keyPem, certPem: scheme.certPem }, bic: 'BANKFRPPXXX', publicKeyPem, validDays: 30 }), /does not belong/);
  });

  it("certifies a bank's own key from a CSR and ignores the CSR's subject; a forged CSR is refused", () => {
    const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = keys.publicKey;
    csr.setSubject([{ shortName: 'CN', value: 'I am the CA' }]);
    csr.sign(keys.privateKey, forge.md.sha256.create());
    const issued = issueCertificate({ ca: scheme, bic: 'BANKFRPPXXX', csrPem: forge.pki.certificationRequestToPem(csr), validDays: 90 });
    const cert = forge.pki.certificateFromPem(issued.certPem);
    assert.equal(cert.subject.getField('CN').value, 'BANKFRPPXXX');
    assert.equal((cert.publicKey as forge.pki.rsa.PublicKey).n.toString(16), keys.publicKey.n.toString(16));

    const der = forge.asn1.toDer(forge.pki.certificationRequestToAsn1(csr)).getBytes();
    const forged = forge.pem.encode({ type: 'CERTIFICATE REQUEST', body: `${der.slice(0, -1)}${String.fromCharCode(der.charCodeAt(der.length - 1) ^ 1)}` });
    assert.throws(() => issueCertificate({ ca: scheme, bic: 'BANKFRPPXXX', csrPem: forged, validDays: 90 }), /CSR signature/);
  });
});

describe('createCrl and parseCrl', () => {
  it('round-trip the revoked serials, dates, reasons and CRL number; the signature binds the CA', () => {
    const pem = createCrl({
      ca: scheme,
      revoked: [{ serial: '00:FF', date: at(3), reason: 'keyCompromise' }, { serial: '7a0b', date: at(4) }],
      thisUpdate: at(5), nextUpdate: at(12), crlNumber: 7,
    });
    const crl = parseCrl(pem);
    assert.deepEqual(crl.revoked, [{ serial: 'ff', date: at(3), reason: 'keyCompromise' }, { serial: '7a0b', date: at(4) }]);
    assert.deepEqual([crl.thisUpdate, crl.nextUpdate, crl.crlNumber], [at(5), at(12), 7]);
    assert.equal(crlIssuedBy(crl, new X509Certificate(scheme.certPem)), true);
    assert.equal(crlIssuedBy(crl, new X509Certificate(foreign.certPem)), false);
    assert.equal(parseCrl(createCrl({ ca: scheme, revoked: [], thisUpdate: at(5), nextUpdate: at(6) })).revoked.length, 0);
  });

  it('uses GeneralizedTime from 2050 and refuses nextUpdate before thisUpdate', () => {
    const late = new Date('2051-06-01T00:00:00Z');
    const crl = parseCrl(createCrl({ ca: scheme, revoked: [{ serial: '01', date: late }], thisUpdate: late, nextUpdate: new Date('2051-06-08T00:00:00Z') }));
    assert.deepEqual(crl.revoked[0]?.date, late);
    assert.throws(() => createCrl({ ca: scheme, revoked: [], thisUpdate: at(5), nextUpdate: at(4) }), /nextUpdate/);
  });
});

describe('identifiers', () => {
  it('normalizes BICs and serial numbers for comparison', () => {
    assert.equal(normalizeBic('bankdeff'), 'BANKDEFFXXX');
    assert.equal(normalizeBic('BANKDEFF100'), 'BANKDEFF100');
    assert.equal(normalizeSerial('00:0A:1b'), 'a1b');
    assert.equal(normalizeSerial('0'), '0');
  });
});
