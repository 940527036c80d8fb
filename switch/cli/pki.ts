/**
 * `clearhouse pki ...`: the scheme PKI and detached signatures from the command line, for the scheme
 * operator and for banks' own tooling (docs/signing.md). Exit codes: 0 done / signature good,
 * 1 signature refused (the DS code and reason are printed), 2 usage, file or configuration error.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { Command } from 'commander';
import {
  CRL_REASONS, createCa, createCrl, crlIssuedBy, issueCertificate, normalizeSerial, parseCrl,
  type CrlReason, type KeyAndCertificate, type RevokedEntry,
} from '../../connectors/signing/pki.ts';
import { signDetached, verifyDetached } from '../../connectors/signing/cms.ts';
import { caCertificateFile } from '../../connectors/signing/material.ts';
import { reasonCode } from '../iso/reason-codes.ts';
import { limits } from '../limits.ts';
import { processClock } from '../clock.ts';
import { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from '../../connectors/directory.ts';

const CA_VALID_DAYS_DEFAULT = 3650;

/** A usage or file problem: printed, exit 2. */
class UsageError extends Error {}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerPkiCommands(program: Command): void {
  const pki = program.command('pki').description('scheme PKI: CA, participant certificates, CRL, detached CMS signatures');

  pki.command('init')
    .description('create the scheme CA: writes DIR/ca.key.pem and DIR/ca.cert.pem')
    .requiredOption('--out <dir>', 'directory for the CA key and certificate')
    .option('--cn <name>', 'CA common name', 'Clearhouse Scheme CA')
    .option('--org <name>', 'scheme name (O of the CA and of every certificate it issues)')
    .option('--days <n>', 'validity in days', String(CA_VALID_DAYS_DEFAULT))
    .action((options) => run('init', () => {
      const key = join(options.out, 'ca.key.pem');
      if (existsSync(key)) throw new UsageError(`${key} exists: a CA key is never overwritten`);
      const ca = createCa({ commonName: options.cn, organization: options.org, validDays: integer(options.days, '--days'), notBefore: processClock().now() });
      mkdirSync(options.out, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
      writeFileSync(key, ca.keyPem, { mode: PRIVATE_FILE_MODE });
      writeFileSync(join(options.out, 'ca.cert.pem'), ca.certPem, { mode: PRIVATE_FILE_MODE });
      say(`scheme CA ${ca.serial} valid until ${ca.notAfter.toISOString()} in ${options.out}`);
      return 0;
    }));

  pki.command('issue')
    .description('issue a participant signing certificate: writes DIR2/<BIC>.cert.pem (and <BIC>.key.pem unless --csr)')
    .requiredOption('--ca <dir>', 'the CA directory (ca.key.pem, ca.cert.pem)')
    .requiredOption('--bic <bic>', 'the participant BIC (becomes the certificate CN)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--csr <file>', "certify the bank's own key from this PKCS#10 request (PEM)")
    .option('--days <n>', `validity in days (at most ${limits.signingCertificateValidDaysMax})`, String(limits.signingCertificateValidDaysMax))
    .option('--not-before <time>', 'start of validity (ISO 8601), e.g. for a rotation overlap')
    .action((options) => run('issue', () => {
      const bic = String(options.bic).toUpperCase();
      const issued = issueCertificate({
        ca: readCa(options.ca), bic,
        csrPem: options.csr === undefined ? undefined : read(options.csr),
        validDays: integer(options.days, '--days'),
        notBefore: options.notBefore === undefined ? processClock().now() : time(options.notBefore, '--not-before'),
      });
      mkdirSync(options.out, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
      if (issued.keyPem !== undefined) writeFileSync(join(options.out, `${bic}.key.pem`), issued.keyPem, { mode: PRIVATE_FILE_MODE });
      writeFileSync(join(options.out, `${bic}.cert.pem`), issued.certPem, { mode: PRIVATE_FILE_MODE });
      say(`${bic} certificate ${issued.serial} valid ${issued.notBefore.toISOString()} to ${issued.notAfter.toISOString()}`);
      return 0;
    }));

  pki.command('revoke')
    .description('revoke a certificate: adds it to the CA revocation list (default DIR/crl.pem)')
    .requiredOption('--ca <dir>', 'the CA directory')
    .requiredOption('--cert <file>', 'the certificate to revoke')
    .option('--crl <file>', 'the CRL to update (created when absent)')
    .option('--reason <reason>', `one of ${Object.keys(CRL_REASONS).join(', ')}`)
    .option('--date <time>', 'revocation date (ISO 8601; default now)')
    .action((options) => run('revoke', () => {
      const ca = readCa(options.ca);
      const caCert = new X509Certificate(ca.certPem);
      const cert = new X509Certificate(read(options.cert));
      if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) throw new UsageError(`${options.cert} is not issued by this CA`);
      if (options.reason !== undefined && !(options.reason in CRL_REASONS)) throw new UsageError(`--reason: unknown reason ${options.reason}`);
      const file = options.crl ?? join(options.ca, 'crl.pem');
      let revoked: RevokedEntry[] = [];
      let crlNumber = 0;
      if (existsSync(file)) {
        const crl = parseCrl(read(file));
        if (!crlIssuedBy(crl, caCert)) throw new UsageError(`${file} is not a CRL of this CA`);
        revoked = [...crl.revoked];
        crlNumber = crl.crlNumber ?? 0;
      }
      const serial = normalizeSerial(cert.serialNumber);
      if (!revoked.some((entry) => entry.serial === serial)) {
        const date = options.date === undefined ? processClock().now() : time(options.date, '--date');
        revoked.push({ serial, date, ...(options.reason ? { reason: options.reason as CrlReason } : {}) });
      }
      const now = processClock().now();
      // Written aside and renamed into place: a serve reloading its trust material never reads half a CRL.
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, createCrl({
        ca, revoked, thisUpdate: now, crlNumber: crlNumber + 1,
        nextUpdate: new Date(now.getTime() + limits.crlNextUpdateDays * 86_400_000),
      }), { mode: PRIVATE_FILE_MODE });
      renameSync(temporary, file);
      say(`revoked ${serial} (${cert.subject.replace(/\n/g, ', ')}); ${file} lists ${revoked.length} certificate(s)`);
      return 0;
    }));

  pki.command('sign')
    .description('sign FILE: writes the detached DER CMS signature FILE.p7s')
    .requiredOption('--key <file>', 'signer private key (PEM)')
    .requiredOption('--cert <file>', 'signer certificate (PEM)')
    .option('--out <file>', 'signature file (default FILE.p7s)')
    .argument('<file>')
    .action((file: string, options) => run('sign', () => {
      const signature = signDetached(readFileSync(existing(file)), { keyPem: read(options.key), certPem: read(options.cert), signingTime: processClock().now() });
      writeFileSync(options.out ?? `${file}.p7s`, signature, { mode: PRIVATE_FILE_MODE });
      return 0;
    }));

  pki.command('verify')
    .description('verify FILE against FILE.p7s: exit 0 good, 1 refused (DS code and reason printed)')
    .requiredOption('--ca <cacert>', 'trusted scheme CA certificate, or CA directory (repeat for a CA rollover)', collect)
    .option('--crl <file>', 'revocation list (repeatable)', collect)
    .option('--bic <bic>', 'the participant that must have signed')
    .option('--signature <file>', 'signature file (default FILE.p7s)')
    .option('--at <time>', 'verify as of this time (ISO 8601; default now)')
    .argument('<file>')
    .action((file: string, options) => run('verify', () => {
      const bytes = readFileSync(existing(file));
      const signatureFile = options.signature ?? `${file}.p7s`;
      const result = verifyDetached(bytes, existsSync(signatureFile) ? readFileSync(signatureFile) : undefined, {
        caCertPems: (options.ca as string[]).map((ca) => read(caCertificateFile(existing(ca)))),
        crls: ((options.crl ?? []) as string[]).map(read),
        expectedSigner: options.bic,
        now: options.at === undefined ? processClock().now() : time(options.at, '--at'),
      });
      if (result.ok) {
        say(`${file}: signature good, signer ${result.signer.bic}, certificate ${result.signer.serial} valid until ${result.signer.notAfter.toISOString()}`);
        return 0;
      }
      say(`${file}: refused ${result.code} ${reasonCode(result.code)?.name ?? ''}: ${result.message}`);
      return 1;
    }));
}

/**
 * Runs a command body. Every error here is a usage, file or configuration problem (a missing file, a
 * bad BIC or date, a key that does not match, an unreadable CA or CRL): its message, exit 2.
 */
function run(command: string, body: () => number): void {
  try {
    process.exitCode = body();
  } catch (error) {
    process.stderr.write(`clearhouse pki ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}

function readCa(dir: string): KeyAndCertificate {
  return { keyPem: read(join(dir, 'ca.key.pem')), certPem: read(join(dir, 'ca.cert.pem')) };
}

function read(file: string): string {
  return readFileSync(existing(file), 'utf8');
}

function existing(file: string): string {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  return file;
}

function integer(text: string, option: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${option} must be a whole number`);
  return Number(text);
}

function time(text: string, option: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${option}: not a date/time: ${text}`);
  return date;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
