/**
 * The switch's trust material, from the scheme configuration's `signing` section or from `serve`'s
 * command-line options (which take precedence, for a one-off run): the scheme CA certificates that
 * inbound signatures must chain to, their revocation lists, and the key and certificate the switch
 * signs its deliveries with.
 *
 * Everything is checked once, at start, so that a broken file stops the switch with a clear message
 * instead of refusing every bank's file later: each CA file must hold a certificate, each CRL must
 * parse, and the switch's own key and certificate are tried together — a probe is signed and then
 * verified against the trusted CAs and CRLs as a bank would verify it, so a key that is not the
 * certificate's, a certificate from another CA, an expired or a revoked one are all refused here.
 * While `serve` runs, connectors/signing/reload.ts reads the same files again when they change.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SigningConfig } from '../../switch/config.ts';
import type { TrustAnchors } from '../inbound.ts';
import { signDetached, verifyDetached } from './cms.ts';
import { derOfPem, parseCrl, type KeyAndCertificate } from './pki.ts';

export interface TrustMaterialSources {
  /** CA certificate files, or CA directories holding ca.cert.pem (as `clearhouse pki init` writes them). */
  readonly ca: readonly string[];
  readonly crl: readonly string[];
  readonly switchKey?: string;
  readonly switchCert?: string;
}

export interface TrustMaterial {
  /** Present: every inbound file must carry a valid signature by its sender. */
  readonly trust?: TrustAnchors;
  /** Present: every delivered file is signed with it. */
  readonly signer?: KeyAndCertificate;
}

export class TrustMaterialError extends Error {
  override readonly name = 'TrustMaterialError';
}

/** Command-line options win over the configuration, each group (CAs + CRLs; key + certificate) as a whole. */
export function trustSources(config: SigningConfig | undefined, cli: Partial<TrustMaterialSources>): TrustMaterialSources {
  const cliCa = cli.ca !== undefined && cli.ca.length > 0;
  const cliSigner = cli.switchKey !== undefined || cli.switchCert !== undefined;
  const key = cliSigner ? cli.switchKey : config?.switchKey;
  const cert = cliSigner ? cli.switchCert : config?.switchCertificate;
  return {
    ca: cliCa ? cli.ca! : config?.caCertificates ?? [],
    crl: cliCa ? cli.crl ?? [] : config?.revocationLists ?? [],
    ...(key === undefined ? {} : { switchKey: key }),
    ...(cert === undefined ? {} : { switchCert: cert }),
  };
}

export function loadTrustMaterial(sources: TrustMaterialSources, now: Date, switchBic?: string): TrustMaterial {
  if ((sources.switchKey === undefined) !== (sources.switchCert === undefined)) {
    throw new TrustMaterialError('the switch key and certificate go together');
  }
  const trust = loadTrust(sources);
  const signer = loadSigner(sources);
  if (signer) checkSigner(signer, sources, trust, now, switchBic);
  return { ...(trust ? { trust } : {}), ...(signer ? { signer } : {}) };
}

/** The CA certificates and their CRLs, each file checked (absent when no CA is named). */
export function loadTrust(sources: TrustMaterialSources): TrustAnchors | undefined {
  if (sources.ca.length === 0 && sources.crl.length > 0) throw new TrustMaterialError('revocation lists need the CA certificates they belong to');
  const caCertPems = sources.ca.map((path) => {
    const file = caCertificateFile(path);
    const pem = readText(file, 'CA certificate');
    try {
      derOfPem(pem, 'CERTIFICATE');
    } catch (error) {
      throw new TrustMaterialError(`${file}: not a PEM certificate (${(error as Error).message})`);
    }
    return pem;
  });
  const crls = sources.crl.map((file) => {
    const pem = readText(file, 'revocation list');
    try {
      parseCrl(pem);
    } catch (error) {
      throw new TrustMaterialError(`${file}: not a revocation list (${(error as Error).message})`);
    }
    return pem;
  });
  return caCertPems.length > 0 ? { caCertPems, crls } : undefined;
}

/** The switch's key and certificate, read (absent when none are named). */
export function loadSigner(sources: TrustMaterialSources): KeyAndCertificate | undefined {
  if (sources.switchKey === undefined || sources.switchCert === undefined) return undefined;
  return { keyPem: readText(sources.switchKey, 'switch key'), certPem: readText(sources.switchCert, 'switch certificate') };
}

/**
 * The switch's key and certificate tried together: a probe is signed and, when CAs are trusted,
 * verified as a bank would verify it (wrong key, foreign CA, expired or revoked certificate).
 */
export function checkSigner(signer: KeyAndCertificate, sources: TrustMaterialSources, trust: TrustAnchors | undefined, now: Date, switchBic?: string): void {
  const probe = new TextEncoder().encode('clearhouse trust material probe');
  let signature: Uint8Array;
  try {
    signature = signDetached(probe, signer);
  } catch (error) {
    throw new TrustMaterialError(`${sources.switchKey} / ${sources.switchCert}: cannot sign: ${(error as Error).message}`);
  }
  if (!trust) return;
  // What every bank will check on the switch's deliveries, checked before the first one leaves.
  const verdict = verifyDetached(probe, signature, { ...trust, now, ...(switchBic ? { expectedSigner: switchBic } : {}) });
  if (!verdict.ok) {
    throw new TrustMaterialError(`${sources.switchCert}: the switch's own signatures would be refused (${verdict.code}: ${verdict.message})`);
  }
}

/**
 * The CA certificate file a `--ca` value or `caCertificates` entry names: the file itself, or
 * `<dir>/ca.cert.pem` for a CA directory as `clearhouse pki init` writes it.
 */
export function caCertificateFile(path: string): string {
  let directory = false;
  try {
    directory = statSync(path).isDirectory();
  } catch {
    // not there: the caller's read reports it under the name given
  }
  return directory ? join(path, 'ca.cert.pem') : path;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new TrustMaterialError(`${what} ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}
