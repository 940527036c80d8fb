/**
 * Scheme PKI material on disk for command-line tests, laid out as `clearhouse pki init` and
 * `pki issue` write it (DIR/ca/ca.key.pem, DIR/ca/ca.cert.pem, DIR/<BIC>.key.pem, DIR/<BIC>.cert.pem)
 * plus an empty CRL (DIR/ca/crl.pem), made in-process: each `clearhouse` start costs seconds, and
 * `pki init`/`issue` themselves are tested in test/signing/cli.test.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, createCrl, issueCertificate } from '../../connectors/signing/pki.ts';

export interface SchemePki {
  /** The CA directory (for --ca and `pki revoke --ca`). */
  readonly ca: string;
  /** The CA's CRL file (for --crl). */
  readonly crl: string;
  keyOf(bic: string): string;
  certOf(bic: string): string;
}

/** `now`: the clock the commands using the material run on (a CLI workspace's clock), so that the CA,
 * the certificates and the CRL are valid at the time those commands see. */
export function writeSchemePki(directory: string, bics: readonly string[], now: Date = new Date()): SchemePki {
  const caDirectory = join(directory, 'ca');
  mkdirSync(caDirectory, { recursive: true });
  const ca = createCa({ commonName: 'Clearhouse Test CA', validDays: 3650, notBefore: new Date(now.getTime() - 86_400_000) });
  writeFileSync(join(caDirectory, 'ca.key.pem'), ca.keyPem, { mode: 0o600 });
  writeFileSync(join(caDirectory, 'ca.cert.pem'), ca.certPem);
  writeFileSync(join(caDirectory, 'crl.pem'), createCrl({ ca, revoked: [], thisUpdate: now, nextUpdate: new Date(now.getTime() + 7 * 86_400_000), crlNumber: 1 }));
  for (const bic of bics) {
    const issued = issueCertificate({ ca, bic, validDays: 364, notBefore: new Date(now.getTime() - 3_600_000) });
    writeFileSync(join(directory, `${bic}.key.pem`), issued.keyPem!, { mode: 0o600 });
    writeFileSync(join(directory, `${bic}.cert.pem`), issued.certPem);
  }
  return {
    ca: caDirectory, crl: join(caDirectory, 'crl.pem'),
    keyOf: (bic) => join(directory, `${bic}.key.pem`), certOf: (bic) => join(directory, `${bic}.cert.pem`),
  };
}
