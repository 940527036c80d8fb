/**
 * The scheme PKI, built with node-forge: the scheme CA, participant signing certificates and the
 * revocation list (CRL). Pure functions: PEM strings in, PEM strings out; the CLI does the file I/O.
 *
 * Where the BIC is bound: the participant certificate's subject is
 *   CN=<BIC>, O=<the CA's O, i.e. the scheme>, OU=Participant signing
 * and the verifier (cms.ts) reads the BIC from that single CN. See docs/signing.md.
 */
import { randomBytes, X509Certificate, verify as cryptoVerify } from 'node:crypto';
import forge from 'node-forge';
import { limits } from '../../switch/limits.ts';
import { isBic } from '../../switch/iso/bic.ts';
import { systemClock } from '../../switch/clock.ts';

const { asn1, pki } = forge;
type Asn1 = forge.asn1.Asn1;

/** Organisation name of a scheme CA created without one. */
export const DEFAULT_SCHEME_NAME = 'Clearhouse Scheme';
const PARTICIPANT_UNIT = 'Participant signing';
const DAY_MS = 86_400_000;
const OID = {
  sha256WithRSA: '1.2.840.113549.1.1.11',
  authorityKeyIdentifier: '2.5.29.35',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
} as const;

/** A key pair's private key (PKCS#8 PEM) and its certificate (PEM). */
export interface KeyAndCertificate {
  readonly keyPem: string;
  readonly certPem: string;
}

/** A freshly made certificate. `keyPem` is present when the key was generated here. */
export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem?: string;
  /** Serial number, lowercase hex without leading zeros (see normalizeSerial). */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export { isBic };

/** A BIC in its 11-character form (BIC8 + 'XXX'), so 'BANKDEFF' and 'BANKDEFFXXX' compare equal. */
export function normalizeBic(bic: string): string {
  const upper = bic.trim().toUpperCase();
  return upper.length === 8 ? `${upper}XXX` : upper;
}

/** A serial number as lowercase hex without leading zeros ('0A1B' and '0a1b' and 'a1b' are equal). */
export function normalizeSerial(hex: string): string {
  return hex.replace(/[:\s]/g, '').toLowerCase().replace(/^0+(?=.)/, '');
}

/** Creates a self-signed scheme CA (basicConstraints CA, keyCertSign and cRLSign). */
export function createCa(options: {
  commonName: string;
  organization?: string;
  validDays: number;
  keyBits?: number;
  notBefore?: Date;
}): KeyAndCertificate & IssuedCertificate {
  const keyBits = options.keyBits ?? limits.signingKeyBitsMin;
  if (!Number.isInteger(keyBits) || keyBits < limits.signingKeyBitsMin) {
    throw new RangeError(`createCa: keyBits must be at least ${limits.signingKeyBitsMin}`);
  }
  checkDays(options.validDays, Infinity);
  const keys = pki.rsa.generateKeyPair({ bits: keyBits, e: 0x10001 });
  const subject = [
    { shortName: 'CN', value: options.commonName },
    { shortName: 'O', value: options.organization ?? DEFAULT_SCHEME_NAME },
  ];
  const cert = newCertificate(keys.publicKey, subject, subject, options.notBefore, options.validDays);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { ...describe(cert), keyPem: privateKeyPem(keys.privateKey) };
}

/**
 * Issues a participant signing certificate for `bic`, signed by the scheme CA. The key is the bank's
 * own (`publicKeyPem`, or `csrPem` whose self-signature proves possession) or, with neither, a new
 * key generated here and returned as `keyPem`. The CA sets the whole subject; a CSR's subject is
 * ignored. Throws (this is operator tooling) on a bad BIC, a weak key, a bad CSR or a non-CA issuer.
 */
export function issueCertificate(options: {
  ca: KeyAndCertificate;
  bic: string;
  publicKeyPem?: string;
  csrPem?: string;
  validDays: number;
  notBefore?: Date;
  keyBits?: number;
}): IssuedCertificate {
  const bic = options.bic.trim().toUpperCase();
  if (!isBic(bic)) throw new RangeError(`issueCertificate: ${JSON.stringify(options.bic)} is not a BIC`);
  checkDays(options.validDays, limits.signingCertificateValidDaysMax);
  const { caKey, caCert } = readCa(options.ca);

  let publicKey: forge.pki.rsa.PublicKey;
  let keyPem: string | undefined;
  if (options.csrPem !== undefined) {
    const csr = pki.certificationRequestFromPem(options.csrPem);
    if (!verifiesItself(csr)) throw new Error('issueCertificate: the CSR signature does not verify');
    publicKey = csr.publicKey as forge.pki.rsa.PublicKey;
  } else if (options.publicKeyPem !== undefined) {
    publicKey = pki.publicKeyFromPem(options.publicKeyPem);
  } else {
    const keys = pki.rsa.generateKeyPair({ bits: options.keyBits ?? limits.signingKeyBitsMin, e: 0x10001 });
    publicKey = keys.publicKey;
    keyPem = privateKeyPem(keys.privateKey);
  }
  if (publicKey.n.bitLength() < limits.signingKeyBitsMin) {
    throw new RangeError(`issueCertificate: the key has ${publicKey.n.bitLength()} bits, at least ${limits.signingKeyBitsMin} are required`);
  }

  const organization = caCert.subject.getField('O')?.value ?? DEFAULT_SCHEME_NAME;
  const subject = [
    { shortName: 'CN', value: bic },
    { shortName: 'O', value: organization },
    { shortName: 'OU', value: PARTICIPANT_UNIT },
  ];
  const cert = newCertificate(publicKey, subject, caCert.subject.attributes, options.notBefore, options.validDays);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caKeyIdentifier(caCert) },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return keyPem === undefined ? describe(cert) : { ...describe(cert), keyPem };
}

/** RFC 5280 CRLReason values. */
export const CRL_REASONS = {
  unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4,
  cessationOfOperation: 5, certificateHold: 6, privilegeWithdrawn: 9,
} as const;
export type CrlReason = keyof typeof CRL_REASONS;

export interface RevokedEntry {
  /** Serial number in hex (any case, leading zeros and colons allowed). */
  readonly serial: string;
  /** When the certificate stops being accepted. */
  readonly date: Date;
  readonly reason?: CrlReason;
}

/**
 * Writes a v2 X.509 CRL (PEM) signed by the CA, with the cRLNumber and authorityKeyIdentifier
 * extensions. node-forge has no CRL support, so the DER is built here with forge.asn1.
 */
export function createCrl(options: {
  ca: KeyAndCertificate;
  revoked: readonly RevokedEntry[];
  nextUpdate: Date;
  thisUpdate?: Date;
  crlNumber?: number;
}): string {
  const { caKey, caCert } = readCa(options.ca);
  const thisUpdate = options.thisUpdate ?? systemClock.now();
  if (!(options.nextUpdate > thisUpdate)) throw new RangeError('createCrl: nextUpdate must be after thisUpdate');
  const C = asn1.Class.UNIVERSAL;
  const T = asn1.Type;
  const sequence = (value: Asn1[]) => asn1.create(C, T.SEQUENCE, true, value);
  const extension = (oid: string, value: Asn1) => sequence([
    asn1.create(C, T.OID, false, asn1.oidToDer(oid).getBytes()),
    asn1.create(C, T.OCTETSTRING, false, asn1.toDer(value).getBytes()),
  ]);
  const entries = options.revoked.map((entry) => {
    const fields = [integerFromHex(entry.serial), time(entry.date)];
    if (entry.reason !== undefined) {
      const reason = asn1.create(C, T.ENUMERATED, false, String.fromCharCode(CRL_REASONS[entry.reason]));
      fields.push(sequence([extension(OID.crlReason, reason)]));
    }
    return sequence(fields);
  });
  const crlNumber = asn1.create(C, T.INTEGER, false, asn1.integerToDer(options.crlNumber ?? 1).getBytes());
  const authorityKeyId = sequence([asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, caKeyIdentifier(caCert))]);
  const tbs = sequence([
    asn1.create(C, T.INTEGER, false, asn1.integerToDer(1).getBytes()), // v2
    sha256WithRsa(),
    nameNode(derOfPem(options.ca.certPem), 'subject'),
    time(thisUpdate),
    time(options.nextUpdate),
    ...(entries.length > 0 ? [sequence(entries)] : []),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      sequence([extension(OID.authorityKeyIdentifier, authorityKeyId), extension(OID.crlNumber, crlNumber)]),
    ]),
  ]);
  const md = forge.md.sha256.create();
  md.update(asn1.toDer(tbs).getBytes());
  const signature = caKey.sign(md);
  const crl = sequence([tbs, sha256WithRsa(), asn1.create(C, T.BITSTRING, false, `\x00${signature}`)]);
  return forge.pem.encode({ type: 'X509 CRL', body: asn1.toDer(crl).getBytes() });
}

/** A CRL as read by parseCrl. Its signature is not checked there: see crlIssuedBy. */
export interface ParsedCrl {
  readonly issuerDer: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly crlNumber: number | undefined;
  readonly revoked: readonly RevokedEntry[];
  readonly tbsDer: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
}

/** Reads a PEM (or DER) X.509 CRL. Throws when it is not one. */
export function parseCrl(crl: string | Uint8Array): ParsedCrl {
  const der = typeof crl === 'string' ? derOfPem(crl, 'X509 CRL') : Buffer.from(crl);
  const root = fromDer(der);
  const [tbs, algorithm, signature] = children(root);
  if (!tbs || !algorithm || !signature || signature.type !== asn1.Type.BITSTRING) throw new Error('parseCrl: not a CertificateList');
  const fields = children(tbs);
  let i = isUniversal(fields[0], asn1.Type.INTEGER) ? 1 : 0;
  i += 1; // signature algorithm (repeated outside the TBS, read there)
  const issuer = fields[i++];
  const thisUpdate = readTime(fields[i++]);
  if (!issuer || !thisUpdate) throw new Error('parseCrl: issuer or thisUpdate missing');
  const nextUpdate = readTime(fields[i]);
  if (nextUpdate) i += 1;
  const revoked: RevokedEntry[] = [];
  if (isUniversal(fields[i], asn1.Type.SEQUENCE)) {
    for (const entry of children(fields[i++] as Asn1)) {
      const [serial, date, extensions] = children(entry);
      const revokedAt = readTime(date);
      if (!isUniversal(serial, asn1.Type.INTEGER) || !revokedAt) throw new Error('parseCrl: bad revoked entry');
      const reasonValue = extensions ? extensionValue(extensions, OID.crlReason) : undefined;
      const reason = reasonValue === undefined ? undefined : reasonName(fromDer(reasonValue).value as string);
      revoked.push({ serial: normalizeSerial(hex(serial)), date: revokedAt, ...(reason ? { reason } : {}) });
    }
  }
  let crlNumber: number | undefined;
  const extensions = fields[i];
  if (extensions && extensions.tagClass === asn1.Class.CONTEXT_SPECIFIC && extensions.type === 0) {
    const numberDer = children(extensions)[0] && extensionValue(children(extensions)[0] as Asn1, OID.crlNumber);
    if (numberDer) crlNumber = Number.parseInt(hex(fromDer(numberDer)), 16);
  }
  return {
    issuerDer: toDer(issuer), thisUpdate, nextUpdate, crlNumber, revoked,
    tbsDer: toDer(tbs),
    signatureAlgorithm: asn1.derToOid(children(algorithm)[0]?.value as string),
    signature: Buffer.from((signature.value as string).slice(1), 'latin1'),
  };
}

/** True when `crl` names `ca` as its issuer and carries a valid SHA-256/RSA signature by its key. */
export function crlIssuedBy(crl: ParsedCrl, ca: X509Certificate): boolean {
  return crl.signatureAlgorithm === OID.sha256WithRSA
    && crl.issuerDer.equals(nameNode(ca.raw, 'subject', true))
    && cryptoVerify('sha256', crl.tbsDer, ca.publicKey, crl.signature);
}

/**
 * The DER of a certificate's subject or issuer Name, from the certificate's own bytes (no re-encoding
 * of the name, so it compares exactly with a CMS IssuerAndSerialNumber or a CRL issuer).
 */
export function nameNode(certificateDer: Uint8Array, which: 'subject' | 'issuer'): Asn1;
export function nameNode(certificateDer: Uint8Array, which: 'subject' | 'issuer', asDer: true): Buffer;
export function nameNode(certificateDer: Uint8Array, which: 'subject' | 'issuer', asDer?: true): Asn1 | Buffer {
  const tbs = children(fromDer(Buffer.from(certificateDer)))[0];
  const fields = tbs ? children(tbs) : [];
  const first = fields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0; // [0] version
  const node = fields[first + (which === 'issuer' ? 2 : 4)];
  if (!node) throw new Error('nameNode: not a certificate');
  return asDer ? toDer(node) : node;
}

/** The extnValue bytes of a certificate extension, or undefined when the certificate has none. */
export function certificateExtension(certificateDer: Uint8Array, oid: string): Buffer | undefined {
  const tbs = children(fromDer(Buffer.from(certificateDer)))[0];
  const explicit = (tbs ? children(tbs) : []).find((f) => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && f.type === 3);
  const extensions = explicit ? children(explicit)[0] : undefined;
  return extensions ? extensionValue(extensions, oid) : undefined;
}

/** The DER inside a PEM block (the first block, or the first of `type`). */
export function derOfPem(pem: string, type?: string): Buffer {
  const block = forge.pem.decode(pem).find((b) => type === undefined || b.type === type);
  if (!block) throw new Error(`derOfPem: no ${type ?? 'PEM'} block`);
  return Buffer.from(block.body, 'latin1');
}

// --- helpers -----------------------------------------------------------------------------------

function checkDays(days: number, max: number): void {
  if (!Number.isInteger(days) || days < 1 || days > max) {
    throw new RangeError(`validDays must be a whole number from 1 to ${max}`);
  }
}

/** The CSR's self-signature (proof of possession of the key); forge throws for some bad ones. */
function verifiesItself(csr: forge.pki.CertificateSigningRequest): boolean {
  try {
    return csr.verify();
  } catch {
    return false;
  }
}

function readCa(ca: KeyAndCertificate): { caKey: forge.pki.rsa.PrivateKey; caCert: forge.pki.Certificate } {
  const caKey = pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey;
  const caCert = pki.certificateFromPem(ca.certPem);
  const constraints = caCert.getExtension('basicConstraints') as { cA?: boolean } | undefined;
  if (!constraints?.cA) throw new Error('the issuer certificate is not a CA certificate');
  if (caKey.n.compareTo((caCert.publicKey as forge.pki.rsa.PublicKey).n) !== 0) {
    throw new Error('the CA key does not belong to the CA certificate');
  }
  return { caKey, caCert };
}

function newCertificate(
  publicKey: forge.pki.rsa.PublicKey,
  subject: forge.pki.CertificateField[],
  issuer: forge.pki.CertificateField[],
  notBefore: Date | undefined,
  validDays: number,
): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  const start = new Date(Math.floor((notBefore ?? systemClock.now()).getTime() / 1000) * 1000); // X.509 times have whole seconds
  cert.validity.notBefore = start;
  cert.validity.notAfter = new Date(start.getTime() + validDays * DAY_MS);
  cert.setSubject(subject);
  cert.setIssuer(issuer);
  return cert;
}

/** 16 random bytes, positive, first byte never zero (so the DER INTEGER keeps all 16 bytes). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function caKeyIdentifier(caCert: forge.pki.Certificate): string {
  const ski = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  return ski?.subjectKeyIdentifier
    ? forge.util.hexToBytes(ski.subjectKeyIdentifier)
    : caCert.generateSubjectKeyIdentifier().getBytes();
}

function describe(cert: forge.pki.Certificate): IssuedCertificate {
  return {
    certPem: pki.certificateToPem(cert),
    serial: normalizeSerial(cert.serialNumber),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
  };
}

function privateKeyPem(key: forge.pki.rsa.PrivateKey): string {
  return pki.privateKeyInfoToPem(pki.wrapRsaPrivateKey(pki.privateKeyToAsn1(key)));
}

function sha256WithRsa(): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(OID.sha256WithRSA).getBytes()),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
  ]);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function readTime(node: Asn1 | undefined): Date | undefined {
  if (node?.tagClass !== asn1.Class.UNIVERSAL) return undefined;
  if (node.type === asn1.Type.UTCTIME) return asn1.utcTimeToDate(node.value as string);
  if (node.type === asn1.Type.GENERALIZEDTIME) return asn1.generalizedTimeToDate(node.value as string);
  return undefined;
}

function integerFromHex(serial: string): Asn1 {
  const digits = normalizeSerial(serial);
  if (!/^[0-9a-f]+$/.test(digits)) throw new RangeError(`not a hex serial number: ${JSON.stringify(serial)}`);
  const even = digits.length % 2 === 1 ? `0${digits}` : digits;
  const bytes = forge.util.hexToBytes(even);
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, bytes.charCodeAt(0) & 0x80 ? `\x00${bytes}` : bytes);
}

function extensionValue(extensions: Asn1, oid: string): Buffer | undefined {
  for (const extension of children(extensions)) {
    const parts = children(extension);
    const value = parts[parts.length - 1];
    if (parts[0] && asn1.derToOid(parts[0].value as string) === oid && value) {
      return Buffer.from(value.value as string, 'latin1');
    }
  }
  return undefined;
}

function reasonName(byte: string): CrlReason | undefined {
  const code = byte.charCodeAt(0);
  return (Object.keys(CRL_REASONS) as CrlReason[]).find((name) => CRL_REASONS[name] === code);
}

/** forge.asn1.fromDer in strict DER mode over a Buffer; throws on anything else. */
export function fromDer(der: Uint8Array): Asn1 {
  // @types/node-forge lists only the old boolean `strict` argument; forge takes these options.
  const options = { strict: true, parseAllBytes: true, decodeBitStrings: false } as unknown as boolean;
  return asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString('latin1')), options);
}

export function toDer(node: Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'latin1');
}

export function children(node: Asn1): Asn1[] {
  return Array.isArray(node.value) ? node.value : [];
}

export function isUniversal(node: Asn1 | undefined, type: number): node is Asn1 {
  return node !== undefined && node.tagClass === asn1.Class.UNIVERSAL && node.type === type;
}

function hex(node: Asn1): string {
  return Buffer.from(node.value as string, 'latin1').toString('hex');
}
