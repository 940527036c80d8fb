/**
 * Detached CMS (PKCS#7) SignedData over the exact file bytes: SHA-256, RSA PKCS#1 v1.5, one signer.
 * Signing uses node-forge; forge cannot verify PKCS#7, so verification reads the structure with
 * forge.asn1 and does every cryptographic check with node:crypto. No I/O: bytes and PEM in, data out.
 *
 * Refusals, in the order they are checked (first failure wins), by the ISO ExternalStatusReason1Code
 * definitions in schemas/codes/ExternalStatusReason1Code.json:
 *
 * | Situation                                                             | REASON key                        | Code |
 * |-----------------------------------------------------------------------|-----------------------------------|------|
 * | No signature: .p7s absent or empty                                    | signatureMissing                  | DS0A |
 * | .p7s too large, not DER, not SignedData, content not detached, not    | signatureFormatInvalid            | DS0B |
 * | exactly one signer, digest not SHA-256, signature not RSA PKCS#1 v1.5,|                                   |      |
 * | signed attributes (contentType=data, messageDigest) missing, RSA key  |                                   |      |
 * | under limits.signingKeyBitsMin                                        |                                   |      |
 * | The signer's certificate is not in the SignedData, or unreadable      | signerCertificateMissing          | DS0E |
 * | Certificate not issued by a trusted scheme CA (or that CA has expired)| signerCertificateAuthorityUnknown | DS0F |
 * | Certificate on a CRL of its CA, revocation date reached               | signerCertificateRevoked          | DS0C |
 * | Certificate expired or not yet valid at `now`                         | signerCertificateNotValid         | DS0D |
 * | Certificate CN is not a BIC: the signer is no participant             | signerUnknown                     | DS14 |
 * | Certificate BIC is not the expected (authenticated) participant       | signerCertificateMissing          | DS0E |
 * | messageDigest attribute differs from SHA-256 of the bytes (data changed) | signatureDoesNotMatch          | DS17 |
 * | RSA signature over the signed attributes does not verify              | signatureDoesNotMatch             | DS17 |
 *
 * DS0E "IncorrectSignerCertificate: the signer certificate is not present" covers the wrong signer:
 * the certificate of the participant that sent the file is not the one that signed it.
 */
import { createHash, sign as cryptoSign, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { REASON } from '../../switch/iso/reason-codes.ts';
import { limits } from '../../switch/limits.ts';
import { systemClock } from '../../switch/clock.ts';
import {
  certificateExtension, children, crlIssuedBy, fromDer, isBic, isUniversal, nameNode, normalizeBic, normalizeSerial, parseCrl, toDer,
  type KeyAndCertificate,
} from './pki.ts';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
} as const;

/** The REASON keys a signature can be refused with. */
export type SignatureReason =
  | 'signatureMissing' | 'signatureFormatInvalid' | 'signatureDoesNotMatch' | 'signerCertificateRevoked'
  | 'signerCertificateNotValid' | 'signerCertificateMissing' | 'signerCertificateAuthorityUnknown' | 'signerUnknown';
export type SignatureCode = (typeof REASON)[SignatureReason];

export type VerifyResult =
  | { readonly ok: true; readonly signer: { readonly bic: string; readonly serial: string; readonly notAfter: Date } }
  | { readonly ok: false; readonly code: SignatureCode; readonly message: string };

export interface VerifyOptions {
  /** Trust anchors: the scheme CA certificates (current and, during a CA rollover, previous). */
  readonly caCertPems: readonly string[];
  /** CRLs (PEM) of those CAs. A CRL is applied to the CA that signed it. */
  readonly crls?: readonly string[];
  /** The authenticated participant: the certificate must carry this BIC. Omit to accept any participant. */
  readonly expectedSigner?: string;
  readonly now: Date;
}

/** Thrown only for a broken trust configuration (the switch's own CA or CRL files), never for input. */
export class SigningConfigError extends Error {
  override readonly name = 'SigningConfigError';
}

/**
 * Signs `bytes` with a detached SignedData: SHA-256, signed attributes contentType, signingTime and
 * messageDigest (in DER SET OF order), the signer certificate included, no content. Returns the DER.
 * Throws when the key is not the certificate's (a signature nobody could verify).
 */
export function signDetached(bytes: Uint8Array, signer: KeyAndCertificate & { signingTime?: Date }): Uint8Array {
  const key = forge.pki.privateKeyFromPem(signer.keyPem) as forge.pki.rsa.PrivateKey;
  const certificate = forge.pki.certificateFromPem(signer.certPem);
  if (key.n.compareTo((certificate.publicKey as forge.pki.rsa.PublicKey).n) !== 0) {
    throw new Error('signDetached: the private key does not belong to the certificate');
  }
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(Buffer.from(bytes).toString('latin1'));
  p7.addCertificate(certificate);
  p7.addSigner({
    key,
    certificate,
    digestAlgorithm: forge.pki.oids.sha256 as string,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType as string, value: forge.pki.oids.data as string },
      // forge types `value` as string; it also takes a Date (and fills in "now" when absent).
      { type: forge.pki.oids.signingTime as string, value: (signer.signingTime ?? systemClock.now()) as unknown as string },
      { type: forge.pki.oids.messageDigest as string },
    ],
  });
  p7.sign({ detached: true });
  return new Uint8Array(Buffer.from(asn1.toDer(p7.toAsn1()).getBytes(), 'latin1'));
}

/**
 * The same SignedData as signDetached(bytes, signer) for bytes whose SHA-256 is `sha256` (32 bytes),
 * without the bytes: for a file streamed to its connector (a bulk file composed while it is written),
 * whose digest is recorded with the message and checked against the bytes as they stream. forge
 * always digests the content itself, so the SignedData is made over empty content and then given the
 * file's digest: the messageDigest attribute's value is replaced and the signed attributes (DER SET OF,
 * as forge signs them) signed again — RSA PKCS#1 v1.5 is deterministic, so the DER is byte for byte
 * what signDetached makes of the bytes (test/connectors/signing.test.ts holds the two equal).
 */
export function signDetachedDigest(sha256: Uint8Array, signer: KeyAndCertificate & { signingTime?: Date }): Uint8Array {
  if (sha256.length !== 32) throw new Error('signDetachedDigest: a SHA-256 digest is 32 bytes');
  const signingTime = signer.signingTime ?? systemClock.now();
  const der = signDetached(new Uint8Array(0), { ...signer, signingTime });
  const contentInfo = asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString('latin1')));
  const signedData = (contentInfo.value as Asn1[])[1]!.value[0] as Asn1;
  const signerInfos = (signedData.value as Asn1[])[(signedData.value as Asn1[]).length - 1]!;
  const signerInfo = (signerInfos.value as Asn1[])[0]!;
  const fields = signerInfo.value as Asn1[];
  const attributesAt = fields.findIndex((f) => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && f.type === 0);
  if (attributesAt < 0) throw new Error('signDetachedDigest: forge made no signed attributes');
  const attributes = fields[attributesAt]!;
  const digestAttribute = (attributes.value as Asn1[]).find((a) => asn1.derToOid((a.value as Asn1[])[0]!.value as string) === OID.messageDigest);
  if (!digestAttribute) throw new Error('signDetachedDigest: forge made no messageDigest attribute');
  ((digestAttribute.value as Asn1[])[1]!.value as Asn1[])[0]!.value = Buffer.from(sha256).toString('latin1');
  // What is signed: the attributes as a SET OF (RFC 5652 5.4), the same children as the [0] IMPLICIT field.
  const signedAttributes = asn1.toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, attributes.value as Asn1[])).getBytes();
  const signature = cryptoSign('sha256', Buffer.from(signedAttributes, 'latin1'), signer.keyPem);
  // The encryptedDigest follows the digestEncryptionAlgorithm, which follows the signed attributes.
  fields[attributesAt + 2]!.value = signature.toString('latin1');
  return new Uint8Array(Buffer.from(asn1.toDer(contentInfo).getBytes(), 'latin1'));
}

/**
 * Verifies a detached signature over `bytes`. Never throws for anything in `bytes` or `signatureDer`;
 * returns the signer or the refusal code (table above). Throws SigningConfigError for a CA or CRL that
 * cannot be read, or a CRL signed by none of the CAs: the trust configuration is the switch's own.
 */
export function verifyDetached(bytes: Uint8Array, signatureDer: Uint8Array | null | undefined, options: VerifyOptions): VerifyResult {
  const anchors = readAnchors(options);
  try {
    return check(bytes, signatureDer, anchors, options);
  } catch (error) {
    // Safety net: every known malformation is refused above; whatever else the input trips is refused too.
    return refuse('signatureFormatInvalid', `signature cannot be processed: ${(error as Error).message}`);
  }
}

function check(bytes: Uint8Array, signatureDer: Uint8Array | null | undefined, anchors: Anchor[], options: VerifyOptions): VerifyResult {
  if (!signatureDer || signatureDer.length === 0) return refuse('signatureMissing', 'no signature (.p7s) for the file');
  if (signatureDer.length > limits.signatureFileBytesMax) {
    return refuse('signatureFormatInvalid', `signature larger than ${limits.signatureFileBytesMax} bytes`);
  }
  let parsed: ParsedSignature | string;
  try {
    parsed = parseSignedData(signatureDer);
  } catch (error) {
    parsed = `not DER-encoded CMS: ${(error as Error).message}`;
  }
  if (typeof parsed === 'string') return refuse('signatureFormatInvalid', parsed);

  const cert = parsed.certificate;
  if (!cert) return refuse('signerCertificateMissing', 'the signer certificate is not in the signature');
  if (cert.publicKey.asymmetricKeyType !== 'rsa' || (cert.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < limits.signingKeyBitsMin) {
    return refuse('signatureFormatInvalid', `signer key must be RSA of at least ${limits.signingKeyBitsMin} bits`);
  }

  const certified = checkCertificate(cert, anchors, options.now);
  if (!certified.ok) return certified;
  const { bic, serial } = certified.signer;
  const notAfter = new Date(cert.validTo);
  if (options.expectedSigner !== undefined && normalizeBic(bic) !== normalizeBic(options.expectedSigner)) {
    return refuse('signerCertificateMissing', `signed by ${bic}, not by the sending participant ${options.expectedSigner}`);
  }

  if (!createHash('sha256').update(bytes).digest().equals(parsed.messageDigest)) {
    return refuse('signatureDoesNotMatch', 'the file does not match the signed digest (data changed)');
  }
  if (!cryptoVerify('sha256', parsed.signedAttributes, cert.publicKey, parsed.signature)) {
    return refuse('signatureDoesNotMatch', 'the signature value does not verify with the signer certificate');
  }
  return { ok: true, signer: { bic, serial, notAfter } };
}

/**
 * A participant certificate judged as the verifier judges a signer's (issued by a scheme CA valid now,
 * not revoked by that CA's CRL, valid now, one CN that is a BIC): also the HTTP API's check of a
 * client certificate (switch/api/identity.ts), so both channels accept and refuse the same certificates.
 */
export function verifyParticipantCertificate(cert: X509Certificate, options: Omit<VerifyOptions, 'expectedSigner'>): VerifyResult {
  return checkCertificate(cert, cachedAnchors(options), options.now);
}

/**
 * The anchors of one set of trust material, read once: the API judges a certificate on every request,
 * and reading them means parsing each CA and CRL and verifying each CRL's signature. Keyed by the
 * (readonly) arrays themselves, which a reload replaces (connectors/signing/reload.ts): new material,
 * new arrays, new anchors; the old ones are collected with their arrays.
 */
const anchorCache = new WeakMap<readonly string[], { readonly crls: readonly string[] | undefined; readonly anchors: Anchor[] }>();

function cachedAnchors(options: Omit<VerifyOptions, 'expectedSigner'>): Anchor[] {
  const cached = anchorCache.get(options.caCertPems);
  if (cached && cached.crls === options.crls) return cached.anchors;
  const anchors = readAnchors(options);
  anchorCache.set(options.caCertPems, { crls: options.crls, anchors });
  return anchors;
}

function checkCertificate(cert: X509Certificate, anchors: Anchor[], now: Date): VerifyResult {
  const serial = normalizeSerial(cert.serialNumber);
  const issuers = anchors.filter((a) => a.ca.ca && cert.checkIssued(a.ca) && cert.verify(a.ca.publicKey));
  const anchor = issuers.find((a) => within(a.ca, now));
  if (!anchor) {
    const why = issuers.length === 0 ? 'is not issued by a scheme CA' : 'is issued by a scheme CA certificate that is not valid now';
    return refuse('signerCertificateAuthorityUnknown', `certificate ${serial} (issuer ${cert.issuer.replace(/\n/g, ', ')}) ${why}`);
  }

  const revokedAt = anchor.revoked.get(serial);
  if (revokedAt && revokedAt <= now) {
    return refuse('signerCertificateRevoked', `certificate ${serial} revoked on ${revokedAt.toISOString()}`);
  }
  const notAfter = new Date(cert.validTo);
  if (!within(cert, now)) {
    return refuse('signerCertificateNotValid', `certificate ${serial} valid from ${new Date(cert.validFrom).toISOString()} to ${notAfter.toISOString()}`);
  }

  const commonNames = cert.subject.split('\n').filter((line) => line.startsWith('CN=')).map((line) => line.slice(3));
  const bic = commonNames.length === 1 ? (commonNames[0] as string) : '';
  if (!isBic(bic)) return refuse('signerUnknown', `certificate subject ${JSON.stringify(cert.subject)} names no participant BIC`);

  return { ok: true, signer: { bic, serial, notAfter } };
}

// --- parsing ----------------------------------------------------------------------------------

interface ParsedSignature {
  readonly certificate: X509Certificate | undefined;
  /** The signed attributes re-tagged as a SET (RFC 5652 §5.4): the bytes the signature covers. */
  readonly signedAttributes: Buffer;
  readonly messageDigest: Buffer;
  readonly signature: Buffer;
}

/** Reads the SignedData; a string is the reason it is not an acceptable signature format. */
function parseSignedData(der: Uint8Array): ParsedSignature | string {
  const [type, explicit] = children(fromDer(der));
  const signedData = explicit?.tagClass === asn1.Class.CONTEXT_SPECIFIC && explicit.type === 0 ? children(explicit)[0] : undefined;
  if (oid(type) !== OID.signedData || !isUniversal(signedData, asn1.Type.SEQUENCE)) return 'not a CMS SignedData';
  const fields = children(signedData);
  const [, digestAlgorithms, encapsulated] = fields;
  const signerInfos = fields[fields.length - 1];
  if (!digestAlgorithms || !encapsulated || !signerInfos || !isUniversal(signerInfos, asn1.Type.SET)) return 'SignedData incomplete';
  const content = children(encapsulated);
  if (!content[0] || oid(content[0]) !== OID.data) return 'encapsulated content type is not id-data';
  if (content.length > 1) return 'content is attached: a detached signature is required';
  if (children(signerInfos).length !== 1) return `${children(signerInfos).length} signers: exactly one is required`;

  const info = children(children(signerInfos)[0] as Asn1);
  const [, sid, digestAlgorithm, attributes] = info;
  if (!sid || !digestAlgorithm || !attributes) return 'SignerInfo incomplete';
  if (oid(children(digestAlgorithm)[0]) !== OID.sha256) return 'digest algorithm is not SHA-256';
  if (attributes.tagClass !== asn1.Class.CONTEXT_SPECIFIC || attributes.type !== 0) return 'signed attributes are required';
  const signatureAlgorithm = oid(children(info[4] as Asn1)[0]);
  if (signatureAlgorithm !== OID.rsaEncryption && signatureAlgorithm !== OID.sha256WithRSA) return 'signature algorithm is not RSA PKCS#1 v1.5';
  const signature = info[5];
  if (!isUniversal(signature, asn1.Type.OCTETSTRING)) return 'signature value missing';

  const values = new Map<string, Asn1[]>();
  for (const attribute of children(attributes)) {
    const [attrType, set] = children(attribute);
    const key = oid(attrType);
    if (values.has(key) || !set) return `signed attribute ${key} repeated or empty`;
    values.set(key, children(set));
  }
  const contentType = values.get(OID.contentType);
  const digest = values.get(OID.messageDigest);
  if (contentType?.length !== 1 || oid(contentType[0]) !== OID.data) return 'contentType attribute missing or not id-data';
  if (digest?.length !== 1 || !isUniversal(digest[0], asn1.Type.OCTETSTRING)) return 'messageDigest attribute missing';

  const setOf = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, children(attributes));
  return {
    certificate: signerCertificate(fields, sid),
    signedAttributes: toDer(setOf),
    messageDigest: Buffer.from(digest[0].value as string, 'latin1'),
    signature: Buffer.from(signature.value as string, 'latin1'),
  };
}

/** The certificate of the SignedData's [0] certificates that the SignerIdentifier names. */
function signerCertificate(fields: Asn1[], sid: Asn1): X509Certificate | undefined {
  const set = fields.find((f) => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && f.type === 0);
  for (const node of set ? children(set) : []) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(toDer(node));
      void cert.publicKey; // throws when the key cannot be decoded
    } catch {
      continue;
    }
    if (sid.tagClass === asn1.Class.CONTEXT_SPECIFIC) { // [0] SubjectKeyIdentifier
      const ski = certificateExtension(cert.raw, '2.5.29.14');
      if (ski && fromDer(ski).value === sid.value) return cert;
      continue;
    }
    const [issuer, serial] = children(sid);
    if (issuer && serial && nameNode(cert.raw, 'issuer', true).equals(toDer(issuer))
      && normalizeSerial(Buffer.from(serial.value as string, 'latin1').toString('hex')) === normalizeSerial(cert.serialNumber)) {
      return cert;
    }
  }
  return undefined;
}

// --- trust configuration ----------------------------------------------------------------------

interface Anchor {
  readonly ca: X509Certificate;
  /** Revoked serial → revocation date, from the CRLs this CA signed. */
  readonly revoked: Map<string, Date>;
}

function readAnchors(options: VerifyOptions): Anchor[] {
  const anchors = options.caCertPems.map((pem, i) => {
    try {
      return { ca: new X509Certificate(pem), revoked: new Map<string, Date>() };
    } catch (error) {
      throw new SigningConfigError(`CA certificate ${i + 1} cannot be read: ${(error as Error).message}`);
    }
  });
  for (const [i, pem] of (options.crls ?? []).entries()) {
    let issuers: Anchor[];
    let crl: ReturnType<typeof parseCrl>;
    try {
      crl = parseCrl(pem);
      issuers = anchors.filter((a) => crlIssuedBy(crl, a.ca));
    } catch (error) {
      throw new SigningConfigError(`CRL ${i + 1} cannot be read: ${(error as Error).message}`);
    }
    if (issuers.length === 0) throw new SigningConfigError(`CRL ${i + 1} is not signed by any of the scheme CAs`);
    for (const anchor of issuers) {
      for (const entry of crl.revoked) {
        const known = anchor.revoked.get(entry.serial);
        if (!known || entry.date < known) anchor.revoked.set(entry.serial, entry.date);
      }
    }
  }
  return anchors;
}

function within(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

function oid(node: Asn1 | undefined): string {
  if (!isUniversal(node, asn1.Type.OID)) return '';
  try {
    return asn1.derToOid(node.value as string);
  } catch {
    return '';
  }
}

function refuse(key: SignatureReason, message: string): VerifyResult {
  return { ok: false, code: REASON[key], message };
}
