/**
 * An API under test: an engine (test/engine/support.ts) on either backend, the scheme PKI of the five
 * banks on disk (test/support/scheme-pki.ts), a server certificate for 127.0.0.1 issued by the same CA,
 * the API on a free loopback port over real HTTPS, one person enrolled per role, and a client that
 * speaks HTTPS with or without a bank's client certificate.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { TrustMaterialWatcher } from '../../connectors/signing/reload.ts';
import { ManualClock } from '../../switch/clock.ts';
import { base32Decode, hashPassword, newTotpSecret, totp } from '../../switch/api/credentials.ts';
import { startApi, type ApiOptions, type RunningApi } from '../../switch/api/server.ts';
import type { PersonRole } from '../../switch/engine/access.ts';
import type { EngineEventSink } from '../../switch/engine/context.ts';
import type { SchemeConfig } from '../../switch/config.ts';
import { silentLogger } from '../../switch/log.ts';
import type { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { writeSchemePki, type SchemePki } from '../support/scheme-pki.ts';
import { BANKS, harness, schemeConfig, type Backend, type Harness } from '../engine/support.ts';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

export interface Credentials {
  /** A bank whose client certificate is presented. */
  readonly bank?: string;
  /** A session token (Authorization: Bearer). */
  readonly token?: string;
}

export interface ApiHarness {
  readonly h: Harness;
  readonly api: RunningApi;
  readonly pki: SchemePki;
  readonly directory: string;
  readonly watcher: TrustMaterialWatcher;
  /** The API's clock for people (sessions, TOTP): real time at the start, moved by tests. */
  readonly clock: ManualClock;
  /** Enrolled people: name → their password and TOTP secret. */
  readonly people: Map<string, { role: PersonRole; password: string; secret: string }>;
  call(method: string, path: string, options?: Credentials & { body?: unknown; xml?: string | Uint8Array; headers?: Record<string, string> }): Promise<Answer>;
  /** Logs `name` in with a fresh TOTP code (the clock moves on one step first, since a code is accepted once). */
  login(name: string): Promise<string>;
  /** The same, keeping the whole answer (cookie, CSRF token). */
  loginAnswer(name: string): Promise<Answer>;
  enrol(name: string, role: PersonRole): Promise<void>;
  close(): Promise<void>;
}

const SERVER_KEY_BITS = 2048;

/** A TLS server certificate for 127.0.0.1 and localhost, issued by the scheme test CA. */
export function serverCertificate(caDirectory: string, now: Date): { keyPem: string; certPem: string } {
  const caCert = forge.pki.certificateFromPem(readFileSync(join(caDirectory, 'ca.cert.pem'), 'utf8'));
  const caKey = forge.pki.privateKeyFromPem(readFileSync(join(caDirectory, 'ca.key.pem'), 'utf8'));
  const keys = forge.pki.rsa.generateKeyPair({ bits: SERVER_KEY_BITS, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '0a' + forge.util.bytesToHex(forge.random.getBytesSync(8));
  cert.validity.notBefore = new Date(now.getTime() - 3_600_000);
  cert.validity.notAfter = new Date(now.getTime() + 30 * 86_400_000);
  cert.setSubject([{ shortName: 'CN', value: 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true }, { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { keyPem: forge.pki.privateKeyToPem(keys.privateKey), certPem: forge.pki.certificateToPem(cert) };
}

/** One HTTPS request to `baseUrl` (server certificate checked against `caPem` for the name localhost), with a client certificate or a bearer token. */
export function httpsRequest(baseUrl: string, caPem: string, method: string, path: string,
  options: { key?: Buffer; cert?: Buffer; token?: string; body?: unknown; xml?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.xml !== undefined ? Buffer.from(options.xml) : options.body !== undefined ? Buffer.from(JSON.stringify(options.body)) : undefined;
    const req = request(`${baseUrl}${path}`, {
      method, ca: caPem, servername: 'localhost', agent: false,
      ...(options.key && options.cert ? { key: options.key, cert: options.cert } : {}),
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(body ? { 'content-type': options.xml !== undefined ? 'application/xml' : 'application/json', 'content-length': body.length } : {}),
        ...options.headers,
      },
    }, (res) => {
      // An event stream never ends by itself: its status and headers are the answer (test/api/events.test.ts reads streams).
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', json: undefined });
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text.length > 0 ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const PEOPLE: ReadonlyArray<[string, PersonRole]> = [
  ['olivia', 'operator'], ['sam', 'supervisor'], ['sue', 'supervisor'], ['rita', 'regulator'], ['aaron', 'auditor'],
];

export interface HarnessOptions {
  /** More API options (lower rates, a metrics token, an event hub). */
  readonly api?: Partial<ApiOptions>;
  readonly config?: SchemeConfig;
  /** The engine's event sink (serve's: the API's live events fan it out). */
  readonly events?: EngineEventSink;
}

export async function apiHarness(backend: Backend, xsd?: XsdValidator, options: HarnessOptions = {}): Promise<ApiHarness> {
  const h = await harness(backend, options.config ?? schemeConfig(), xsd, undefined, options.events);
  const extra = options.api ?? {};
  const directory = mkdtempSync(join(tmpdir(), 'clearhouse-api-'));
  const clock = new ManualClock(new Date());
  // The scheme PKI at the engine's time (client certificates are judged at it); the server certificate at real time (the client checks it).
  const pki = writeSchemePki(directory, BANKS, h.clock.now());
  const tls = serverCertificate(pki.ca, clock.now());
  const watcher = TrustMaterialWatcher.load({ sources: { ca: [pki.ca], crl: [pki.crl] }, log: silentLogger, now: () => h.clock.now() });
  const api = await startApi(h.engine, { host: '127.0.0.1', port: 0, tls, trust: () => watcher.current().trust, clock, ...extra });
  const caPem = readFileSync(join(pki.ca, 'ca.cert.pem'), 'utf8');
  const people = new Map<string, { role: PersonRole; password: string; secret: string }>();

  const call: ApiHarness['call'] = (method, path, options = {}) => httpsRequest(api.url, caPem, method, path, {
    ...options, ...(options.bank ? { key: readFileSync(pki.keyOf(options.bank)), cert: readFileSync(pki.certOf(options.bank)) } : {}),
  });

  const harnessApi: ApiHarness = {
    h, api, pki, directory, watcher, clock, people, call,
    async enrol(name, role) {
      const password = `pw-${name}-${newTotpSecret().slice(0, 8)}`;
      const secret = newTotpSecret();
      await h.engine.access().addUser({ name, role, passwordHash: await hashPassword(password), totpSecret: secret }, clock.now());
      people.set(name, { role, password, secret });
    },
    async loginAnswer(name) {
      const person = people.get(name)!;
      clock.advance(30_000);
      const answer = await call('POST', '/login', { body: { name, password: person.password, totp: totp(base32Decode(person.secret), clock.now()) } });
      if (answer.status !== 200) throw new Error(`login of ${name}: ${answer.status} ${answer.text}`);
      return answer;
    },
    async login(name) {
      return (await harnessApi.loginAnswer(name)).json.token as string;
    },
    async close() {
      await api.close();
      watcher.stop();
      await h.close();
    },
  };
  for (const [name, role] of PEOPLE) await harnessApi.enrol(name, role);
  return harnessApi;
}
