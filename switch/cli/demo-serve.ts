/**
 * `clearhouse demo --serve`: after the demo's story, the HTTPS API and the web console on the demo's
 * embedded store, until Ctrl-C (docs/api.md "Console", README):
 *
 * - the scheme PKI under DIR/pki/ (CA, empty CRL, one client certificate per participant: a bank opens
 *   the console, or calls the API, with its certificate and key), and a self-signed server certificate
 *   for localhost, 127.0.0.1 and ::1 under DIR/tls/;
 * - one person per role enrolled (operator, two supervisors so that maker and checker can differ,
 *   regulator, auditor), each printed once with the generated password and the otpauth:// URI of their
 *   TOTP secret;
 * - the switch's business clock runs on from where the story ended (Friday 27 November 2026, 09:30 in
 *   Frankfurt) at real speed, so the next cut-off comes half an hour later: cut-offs on schedule, the
 *   settlement agent and the banks simulated in-process (deliveries, settlement answers, real-time
 *   answers, time-outs), every second.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { calendarSchedule, TimerScheduler } from '../../batch/scheduler.ts';
import { DirectoryMailboxes, PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from '../../connectors/directory.ts';
import { createCa, createCrl, issueCertificate } from '../../connectors/signing/pki.ts';
import { TrustMaterialWatcher } from '../../connectors/signing/reload.ts';
import { generatePassword, hashPassword, newTotpSecret, otpauthUri } from '../api/credentials.ts';
import { EventHub } from '../api/events.ts';
import { startApi } from '../api/server.ts';
import { RunningClock, systemClock } from '../clock.ts';
import type { SchemeConfig } from '../config.ts';
import { BankSimulator, SettlementAgentSimulator } from '../demo/simulators.ts';
import type { PersonRole } from '../engine/access.ts';
import { Engine } from '../engine/engine.ts';
import { limits } from '../limits.ts';
import { createLogger, silentLogger } from '../log.ts';
import { XsdValidator } from '../validation/xsd-pool.ts';
import { parseListen } from './http.ts';

export interface DemoServeOptions {
  /** The demo's output folder (absolute). */
  readonly out: string;
  readonly config: SchemeConfig;
  /** HOST:PORT to listen on (port 0: a free one). */
  readonly listen: string;
  /** The business instant the story ended at: the clock runs on from it. */
  readonly resumeAt: string;
  /** The instant the demo's PKI is valid from (the story's start, less a margin). */
  readonly pkiFrom: Date;
}

/** The people enrolled, in the order printed. */
const DEMO_PEOPLE: ReadonlyArray<[string, PersonRole]> = [
  ['operator', 'operator'], ['supervisor', 'supervisor'], ['supervisor2', 'supervisor'], ['regulator', 'regulator'], ['auditor', 'auditor'],
];
/** How often the in-process simulation (deliveries, the agent's and banks' answers, time-outs) runs. */
const PASS_INTERVAL_MS = 1000;
const SERVER_CERT_DAYS = 30;
const KEY_BITS = 2048;

function rsaKeyPair(): { publicKeyPem: string; privateKeyPkcs1Pem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: KEY_BITS });
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPkcs1Pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** A self-signed TLS server certificate for this machine's loopback names, valid from now (real time: browsers check it). */
function selfSignedServerCertificate(): { keyPem: string; certPem: string } {
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(8));
  const now = systemClock.now();
  cert.validity.notBefore = new Date(now.getTime() - 3_600_000);
  cert.validity.notAfter = new Date(now.getTime() + SERVER_CERT_DAYS * 86_400_000);
  const subject = [{ shortName: 'CN', value: 'localhost' }, { shortName: 'O', value: 'clearhouse demo' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPkcs1Pem), forge.md.sha256.create());
  return { keyPem: keys.privateKeyPem, certPem: forge.pki.certificateToPem(cert) };
}

/** DIR/pki: the scheme CA, its (empty) CRL and a client certificate and key per participant. */
function writeDemoPki(out: string, bics: readonly string[], from: Date): { ca: string; crl: string; files: Array<{ bic: string; cert: string; key: string }> } {
  const directory = join(out, 'pki');
  const caDirectory = join(directory, 'ca');
  mkdirSync(caDirectory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  const ca = createCa({ commonName: 'Clearhouse Demo Scheme CA', validDays: 3650, notBefore: from });
  writeFileSync(join(caDirectory, 'ca.key.pem'), ca.keyPem, { mode: PRIVATE_FILE_MODE });
  writeFileSync(join(caDirectory, 'ca.cert.pem'), ca.certPem, { mode: PRIVATE_FILE_MODE });
  const crl = join(caDirectory, 'crl.pem');
  writeFileSync(crl, createCrl({ ca, revoked: [], thisUpdate: from, nextUpdate: new Date(from.getTime() + 300 * 86_400_000), crlNumber: 1 }),
    { mode: PRIVATE_FILE_MODE });
  const files = bics.map((bic) => {
    const keys = rsaKeyPair();
    const issued = issueCertificate({ ca, bic, publicKeyPem: keys.publicKeyPem, validDays: limits.signingCertificateValidDaysMax, notBefore: from });
    const cert = join(directory, `${bic}.cert.pem`);
    const key = join(directory, `${bic}.key.pem`);
    writeFileSync(cert, issued.certPem, { mode: PRIVATE_FILE_MODE });
    writeFileSync(key, keys.privateKeyPem, { mode: PRIVATE_FILE_MODE });
    return { bic, cert, key };
  });
  return { ca: caDirectory, crl, files };
}

/** Serves the demo's store until SIGINT or SIGTERM; returns the exit code. */
export async function demoServe(options: DemoServeOptions): Promise<number> {
  const listen = parseListen(options.listen);
  const print = (line: string): void => { process.stdout.write(line + '\n'); };
  const pki = writeDemoPki(options.out, options.config.participants.map((p) => p.bic), options.pkiFrom);
  const tlsDirectory = join(options.out, 'tls');
  mkdirSync(tlsDirectory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  const tls = selfSignedServerCertificate();
  writeFileSync(join(tlsDirectory, 'server.key.pem'), tls.keyPem, { mode: PRIVATE_FILE_MODE });
  writeFileSync(join(tlsDirectory, 'server.cert.pem'), tls.certPem, { mode: PRIVATE_FILE_MODE });

  const clock = new RunningClock(Date.parse(options.resumeAt), systemClock.now().getTime());
  const xsd = new XsdValidator();
  // The engine's events feed the console's live views (GET /events), as serve's do.
  const hub = new EventHub();
  const engine = await Engine.open({ config: options.config, clock, xsd, dataDirectory: join(options.out, 'db'), events: (e) => hub.publish(e) });
  // Logins, refusals and failures as readable lines on standard error; the standard output stays the demo's.
  const logger = createLogger({ format: 'pretty' });
  const stopping = new AbortController();
  const stop = (): void => stopping.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  let watcher: TrustMaterialWatcher | undefined;
  let scheduler: TimerScheduler | undefined;
  let pass: NodeJS.Timeout | undefined;
  try {
    const people: Array<{ name: string; role: PersonRole; password: string; uri: string }> = [];
    for (const [name, role] of DEMO_PEOPLE) {
      const password = generatePassword();
      const secret = newTotpSecret();
      await engine.access().addUser({ name, role, passwordHash: await hashPassword(password), totpSecret: secret }, systemClock.now());
      people.push({ name, role, password, uri: otpauthUri(`clearhouse ${options.config.name}`, name, secret) });
    }
    watcher = TrustMaterialWatcher.load({ sources: { ca: [pki.ca], crl: [pki.crl] }, log: silentLogger, now: () => engine.clock.now() });
    const trust = watcher;
    api = await startApi(engine, { ...listen, tls, trust: () => trust.current().trust, log: logger, events: hub });

    // The rest of the scheme, simulated in-process: deliveries into DIR/mailboxes, the settlement agent's
    // answers, the banks' answers to real-time payments, time-outs; cut-offs on the calendar.
    const mailboxes = new DirectoryMailboxes(join(options.out, 'mailboxes'));
    const agent = new SettlementAgentSimulator(engine, mailboxes, options.config.settlementAgent!.bic, new Set(), { fileAnswers: true });
    const banks = options.config.participants.map((p) => new BankSimulator(engine, mailboxes, p.bic, () => 'accept', true));
    let busy = false;
    const simulate = async (): Promise<void> => {
      if (busy || stopping.signal.aborted) return;
      busy = true;
      try {
        await engine.dispatch((m) => mailboxes.deliver(m), 1000);
        for (const bank of banks) await bank.answerRealtime();
        await agent.answerAll();
        await engine.sweep();
        await engine.dispatch((m) => mailboxes.deliver(m), 1000);
      } catch (error) {
        logger.error({ err: error }, 'demo simulation pass failed; tried again in a second');
      } finally {
        busy = false;
      }
    };
    pass = setInterval(() => void simulate(), PASS_INTERVAL_MS);
    scheduler = new TimerScheduler({ schedule: calendarSchedule(options.config.calendar, options.config.cycles), clock,
      lastFiredCutOff: clock.now(), onError: (error) => logger.error({ err: error }, 'scheduled cut-off failed; retried') });
    await scheduler.start(async (cycle) => { await engine.closeCycle({ dueAt: cycle.cutOffAt }); });

    const port = new URL(api.url).port;
    const consoleUrl = `https://localhost:${port}/console`;
    print(`\nThe console and the API are serving the demo's store (${join(options.out, 'db')}):`);
    print(`  ${consoleUrl}`);
    print(`  (listening on ${api.url}; the server certificate is self-signed: ${join(tlsDirectory, 'server.cert.pem')};`);
    print('   a browser asks you to accept it once, curl takes --cacert with it)');
    print(`The switch's clock runs on from ${options.resumeAt} (next cut-off ${engine.nextCutOff().cutOffAt.toISOString()}).`);
    print('\nPeople (log in with name, password and the code of an authenticator app holding the otpauth URI,');
    print('or `oathtool --totp -b SECRET` with the URI\'s secret); shown once, new at every run:');
    for (const p of people) print(`  ${p.name.padEnd(12)} ${p.role.padEnd(11)} password: ${p.password}\n  ${''.padEnd(24)} totp: ${p.uri}`);
    print('\nBanks (open the console or call the API with the client certificate and key; no login):');
    for (const f of pki.files) print(`  ${f.bic}  cert: ${f.cert}\n${''.padEnd(15)}key:  ${f.key}`);
    print(`  e.g. curl --cacert ${join(tlsDirectory, 'server.cert.pem')} --cert ${pki.files[0]!.cert} --key ${pki.files[0]!.key} https://localhost:${port}/positions`);
    print('\nCtrl-C stops it.');
    await new Promise<void>((resolve) => {
      if (stopping.signal.aborted) resolve();
      stopping.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    print('Stopping.');
    return 0;
  } finally {
    if (pass) clearInterval(pass);
    await scheduler?.stop();
    await api?.close();
    watcher?.stop();
    await engine.close();
    await xsd.close();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
