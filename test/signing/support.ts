/**
 * Shared fixtures for the signing tests: a scheme CA, a foreign CA and participant certificates with
 * validity windows placed around a fixed instant T0, so each test injects its own `now`.
 */
import { spawnSync } from 'node:child_process';
import { createCa, issueCertificate, type IssuedCertificate, type KeyAndCertificate } from '../../connectors/signing/pki.ts';

export const T0 = new Date('2030-01-01T00:00:00Z');
const DAY_MS = 86_400_000;

/** T0 plus `days` days. */
export function at(days: number): Date {
  return new Date(T0.getTime() + days * DAY_MS);
}

export type Participant = KeyAndCertificate & IssuedCertificate;

export function participant(ca: KeyAndCertificate, bic: string, notBefore: Date, validDays = 364): Participant {
  const issued = issueCertificate({ ca, bic, notBefore, validDays });
  return { ...issued, keyPem: issued.keyPem as string };
}

/** The scheme CA (valid for ten years from T0 - 1 day, or `notBefore`) and a CA the scheme does not trust. */
export function schemeCas(notBefore = at(-1)): { scheme: KeyAndCertificate; foreign: KeyAndCertificate } {
  return {
    scheme: createCa({ commonName: 'Clearhouse Test CA', validDays: 3650, notBefore }),
    foreign: createCa({ commonName: 'Some Other CA', organization: 'Elsewhere', validDays: 3650, notBefore }),
  };
}

/** Why the openssl tests are skipped, or false when `openssl` is on the PATH. */
export function opensslMissing(): string | false {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return probe.status === 0 ? false : 'openssl is not installed: interoperability tests with `openssl cms` skipped';
}
