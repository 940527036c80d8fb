/**
 * Detached CMS signatures: a good signature is accepted, and every refusal comes with its DS code
 * (the mapping table at the top of connectors/signing/cms.ts). Rotation overlap and CA rollover.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import forge from 'node-forge';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { signDetached, signDetachedDigest, SigningConfigError, verifyDetached, type VerifyOptions } from '../../connectors/signing/cms.ts';
import { createCrl } from '../../connectors/signing/pki.ts';
import { REASON } from '../../switch/iso/reason-codes.ts';
import { limits } from '../../switch/limits.ts';
import { at, participant, schemeCas } from './support.ts';

const { scheme, foreign } = schemeCas();
const bank = participant(scheme, 'BANKDEFFXXX', at(0));
const other = participant(scheme, 'BANKFRPPXXX', at(0));
const stranger = participant(foreign, 'BANKDEFFXXX', at(0));
const file = new TextEncoder().encode('<Document>pacs.008 ... 100.00 EUR</Document>\n');
const now = at(10);
const trust: VerifyOptions = { caCertPems: [scheme.certPem], expectedSigner: 'BANKDEFFXXX', now };
const signature = signDetached(file, { ...bank, signingTime: now });

function refusal(bytes: Uint8Array, sig: Uint8Array | undefined, options: VerifyOptions = trust): string {
  const result = verifyDetached(bytes, sig, options);
  assert.equal(result.ok, false, 'expected a refusal');
  return result.ok ? '' : result.code;
}

/** A SignedData built with forge directly, for the shapes signDetached never produces. */
function forgeSigned(options: { detached?: boolean; digest?: string; withCertificate?: boolean; attributes?: boolean; keyPem?: string; certPem?: string } = {}): Uint8Array {
  const certPem = options.certPem ?? bank.certPem;
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(Buffer.from(file).toString('latin1'));
  if (options.withCertificate !== false) p7.addCertificate(certPem);
  p7.addSigner({
    key: forge.pki.privateKeyFromPem(options.keyPem ?? bank.keyPem),
    certificate: certPem,
    digestAlgorithm: options.digest ?? (forge.pki.oids.sha256 as string),
    authenticatedAttributes: options.attributes === false ? [] : [
      { type: forge.pki.oids.contentType as string, value: forge.pki.oids.data as string },
      { type: forge.pki.oids.messageDigest as string },
    ],
  });
  p7.sign({ detached: options.detached ?? true });
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'latin1');
}

describe('verifyDetached accepts', () => {
  it('a signature by the expected participant over the exact bytes', () => {
    const result = verifyDetached(file, signature, trust);
    assert.deepEqual(result, { ok: true, signer: { bic: 'BANKDEFFXXX', serial: bank.serial, notAfter: bank.notAfter } });
  });

  it('BIC8 and BIC11 of the same participant as the same signer', () => {
    assert.equal(verifyDetached(file, signature, { ...trust, expectedSigner: 'BANKDEFF' }).ok, true);
  });

  it('any participant of the scheme when no signer is expected', () => {
    assert.equal(verifyDetached(file, signDetached(file, other), { ...trust, expectedSigner: undefined }).ok, true);
  });

  it('a signature whose certificate is on a CRL with a revocation date still ahead', () => {
    const crl = createCrl({ ca: scheme, revoked: [{ serial: bank.serial, date: at(20) }], thisUpdate: at(5), nextUpdate: at(12) });
    assert.equal(verifyDetached(file, signature, { ...trust, crls: [crl] }).ok, true);
  });
});

describe('signDetachedDigest (a streamed file signed over its recorded SHA-256)', () => {
  const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

  it('makes byte for byte the SignedData signDetached makes of the bytes themselves', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3_000 }), fc.integer({ min: 0, max: 2_000_000_000 }), (bytes, seconds) => {
      const signingTime = new Date(Date.UTC(2026, 0, 1) + seconds * 1000);
      assert.deepEqual(Buffer.from(signDetachedDigest(sha256(bytes), { ...bank, signingTime })), Buffer.from(signDetached(bytes, { ...bank, signingTime })));
    }), { numRuns: 25 });
  });

  it('verifies over the bytes and only over them', () => {
    const bytes = new TextEncoder().encode('<Document>bulk</Document>\n'.repeat(1_000));
    const signed = signDetachedDigest(sha256(bytes), { ...bank, signingTime: now });
    assert.equal(verifyDetached(bytes, signed, trust).ok, true);
    assert.equal(refusal(bytes.subarray(1), signed), REASON.signatureDoesNotMatch);
    assert.throws(() => signDetachedDigest(new Uint8Array(20), bank), /32 bytes/);
  });
});

describe('verifyDetached refuses with the DS code', () => {
  it('DS0A when the signature is missing or empty', () => {
    assert.equal(refusal(file, undefined), REASON.signatureMissing);
    assert.equal(refusal(file, new Uint8Array()), 'DS0A');
  });

  it('DS17 when a byte of the file is flipped, added or removed (data changed)', () => {
    for (const index of [0, 17, file.length - 1]) {
      const changed = Uint8Array.from(file);
      changed[index] = (changed[index] as number) ^ 0x01;
      assert.equal(refusal(changed, signature), REASON.signatureDoesNotMatch);
    }
    assert.equal(refusal(Uint8Array.from([...file, 0x20]), signature), 'DS17');
    assert.equal(refusal(file.subarray(1), signature), 'DS17');
  });

  it('DS17 when the signature value is altered', () => {
    const altered = Uint8Array.from(signature);
    altered[altered.length - 1] = (altered[altered.length - 1] as number) ^ 0x01; // the RSA signature ends the DER
    const result = verifyDetached(file, altered, trust);
    assert.deepEqual([result.ok, !result.ok && result.code, !result.ok && /does not verify/.test(result.message)], [false, 'DS17', true]);
  });

  it('DS17 when the key that signed is not the key of the certificate presented', () => {
    const substituted = forgeSigned({ keyPem: bank.keyPem, certPem: other.certPem });
    assert.equal(refusal(file, substituted, { ...trust, expectedSigner: 'BANKFRPPXXX' }), 'DS17');
    assert.throws(() => signDetached(file, { keyPem: bank.keyPem, certPem: other.certPem }), /does not belong/);
  });

  it('DS0E when signed by another participant than the expected one (wrong signer)', () => {
    assert.equal(refusal(file, signDetached(file, other)), REASON.signerCertificateMissing);
  });

  it('DS0E when the SignedData does not carry the signer certificate', () => {
    assert.equal(refusal(file, forgeSigned({ withCertificate: false })), 'DS0E');
  });

  it('DS0F when the certificate is issued by a CA the scheme does not trust', () => {
    assert.equal(refusal(file, signDetached(file, stranger)), REASON.signerCertificateAuthorityUnknown);
  });

  it('DS0F when the issuing scheme CA itself has expired', () => {
    assert.equal(refusal(file, signature, { ...trust, now: at(3650) }), 'DS0F');
  });

  it('DS0D when the certificate has expired or is not yet valid', () => {
    assert.equal(refusal(file, signature, { ...trust, now: at(365) }), REASON.signerCertificateNotValid);
    assert.equal(refusal(file, signature, { ...trust, now: at(-0.5) }), 'DS0D');
    assert.equal(verifyDetached(file, signature, { ...trust, now: at(363.9) }).ok, true);
  });

  it('DS0C when the certificate is on the CRL of its CA', () => {
    const crl = createCrl({
      ca: scheme, revoked: [{ serial: other.serial, date: at(1) }, { serial: bank.serial.toUpperCase(), date: at(3), reason: 'keyCompromise' }],
      thisUpdate: at(5), nextUpdate: at(12), crlNumber: 2,
    });
    assert.equal(refusal(file, signature, { ...trust, crls: [crl] }), REASON.signerCertificateRevoked);
  });

  it('DS14 when the certificate names no participant BIC (here: the CA signing a file itself)', () => {
    assert.equal(refusal(file, signDetached(file, scheme), { ...trust, expectedSigner: undefined }), REASON.signerUnknown);
  });

  it('DS0B when the .p7s is truncated, garbage, padded, oversized or not a PKCS#7 SignedData', () => {
    assert.equal(refusal(file, signature.subarray(0, signature.length - 40)), REASON.signatureFormatInvalid);
    assert.equal(refusal(file, signature.subarray(0, 10)), 'DS0B');
    assert.equal(refusal(file, new TextEncoder().encode('-----BEGIN PKCS7-----\nnot base64\n')), 'DS0B');
    assert.equal(refusal(file, Uint8Array.from([...signature, 0])), 'DS0B');
    assert.equal(refusal(file, new Uint8Array(limits.signatureFileBytesMax + 1)), 'DS0B');
    assert.equal(refusal(file, Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(bank.certPem))).getBytes(), 'latin1')), 'DS0B');
  });

  it('DS0B when the signature is attached, uses SHA-1, or has no signed attributes', () => {
    assert.equal(refusal(file, forgeSigned({ detached: false })), 'DS0B');
    assert.equal(refusal(file, forgeSigned({ digest: forge.pki.oids.sha1 as string })), 'DS0B');
    assert.equal(refusal(file, forgeSigned({ attributes: false })), 'DS0B');
  });

  it('never throws for any bytes or any mutation of a good signature', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (garbage) => {
      assert.equal(verifyDetached(file, garbage, trust).ok, false);
    }), { numRuns: 200 });
    fc.assert(fc.property(fc.nat(signature.length - 1), fc.integer({ min: 1, max: 255 }), (index, mask) => {
      const mutated = Uint8Array.from(signature);
      mutated[index] = (mutated[index] as number) ^ mask;
      verifyDetached(file, mutated, trust);
    }), { numRuns: 300 });
  });
});

describe('trust configuration', () => {
  it('a CRL signed by no trusted CA, or unreadable, is a configuration error (thrown), not a refusal', () => {
    const foreignCrl = createCrl({ ca: foreign, revoked: [], thisUpdate: at(5), nextUpdate: at(12) });
    assert.throws(() => verifyDetached(file, signature, { ...trust, crls: [foreignCrl] }), SigningConfigError);
    assert.throws(() => verifyDetached(file, signature, { ...trust, crls: ['garbage'] }), SigningConfigError);
    assert.throws(() => verifyDetached(file, signature, { ...trust, caCertPems: ['garbage'] }), SigningConfigError);
  });
});

describe('rotation', () => {
  const next = participant(scheme, 'BANKDEFFXXX', at(300));
  const signedByNext = signDetached(file, next);

  it('during the overlap both the old and the new certificate are accepted', () => {
    assert.equal(verifyDetached(file, signature, { ...trust, now: at(320) }).ok, true);
    assert.equal(verifyDetached(file, signedByNext, { ...trust, now: at(320) }).ok, true);
  });

  it('after the old certificate expires only the new one is accepted', () => {
    assert.equal(refusal(file, signature, { ...trust, now: at(365) }), 'DS0D');
    assert.equal(verifyDetached(file, signedByNext, { ...trust, now: at(365) }).ok, true);
  });

  it('before the new certificate starts only the old one is accepted', () => {
    assert.equal(refusal(file, signedByNext, { ...trust, now: at(200) }), 'DS0D');
  });

  it('revoking the old certificate during the overlap leaves the new one accepted', () => {
    const crl = createCrl({ ca: scheme, revoked: [{ serial: bank.serial, date: at(310), reason: 'superseded' }], thisUpdate: at(310), nextUpdate: at(317) });
    assert.equal(refusal(file, signature, { ...trust, now: at(320), crls: [crl] }), 'DS0C');
    assert.equal(verifyDetached(file, signedByNext, { ...trust, now: at(320), crls: [crl] }).ok, true);
  });

  it('during a CA rollover certificates of the previous and the current CA are both accepted', () => {
    const { scheme: nextCa } = schemeCas();
    const underNextCa = signDetached(file, participant(nextCa, 'BANKDEFFXXX', at(0)));
    const both = { ...trust, caCertPems: [nextCa.certPem, scheme.certPem] };
    assert.equal(verifyDetached(file, signature, both).ok, true);
    assert.equal(verifyDetached(file, underNextCa, both).ok, true);
    assert.equal(refusal(file, underNextCa), 'DS0F');
  });
});
