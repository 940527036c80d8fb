/**
 * The demo's notifications (issue 13, docs/notifications.md "In the demo"): before cycle 2 the demo
 * starts a small HTTPS webhook receiver on 127.0.0.1 (a random port, a self-signed certificate made
 * now) and subscribes
 *
 *   - one participant (Bank A, BANKDEFFXXX) to its payment events (received, settled, returned), and
 *   - the operators to every alert (settlement failed, reconciliation mismatch, delivery failing, risk),
 *
 * both by webhook (the demo runs on bare Node: no SMTP server). What happens from then on (cycle 2's
 * return, real-time payments and refused settlement, the risk step, the next business day's cycle) is
 * queued by the engine as it happens; at the end the notification worker delivers it, the receiver
 * checks every request's signature (`t=…,v1=…`, HMAC-SHA256 under the subscription's secret, at the
 * demo's clock) and the demo writes under its output folder
 *
 *   notifications/received.jsonl   one line per request received: receiver, headers, raw body, signature check
 *   notifications/receivers.json   each subscription: owner, URL, events, secret (to check the signatures again)
 *   notifications/README.txt       what the two files are
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import type { Engine } from '../engine/engine.ts';
import { systemClock } from '../clock.ts';
import { ALERT_EVENTS, HEADERS, PAYMENT_EVENTS, verifySignature } from '../notify/events.ts';
import { NotificationWorker } from '../../connectors/notify/worker.ts';

/** The participant the demo subscribes to its payment events: Bank A. */
export const NOTIFIED_PARTICIPANT = 'BANKDEFFXXX';
/** Requests the receiver keeps at most (the demo sends a few dozen). */
const REQUESTS_MAX = 10_000;
const BODY_BYTES_MAX = 1_000_000;

export interface NotificationsDemoOptions {
  readonly out: string;
  readonly operator: string;
  readonly fileMode: number;
  readonly directoryMode: number;
  readonly log: (line: string) => void;
}

export interface NotificationsSummary {
  readonly requests: number;
  readonly signaturesValid: number;
  readonly participant: string;
  readonly paymentEvents: Readonly<Record<string, number>>;
  readonly alerts: Readonly<Record<string, number>>;
  readonly file: string;
}

export interface NotificationsDemo {
  /** Delivers what is due, checks and writes what the receiver got, stops the receiver. */
  finish(): Promise<NotificationsSummary>;
}

interface Received {
  readonly receiver: 'participant' | 'operators';
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Starts the receiver and subscribes the participant and the operators (each recorded as an operator action). */
export async function startNotificationsDemo(engine: Engine, options: NotificationsDemoOptions): Promise<NotificationsDemo> {
  const certificate = selfSignedLoopbackCertificate();
  const received: Received[] = [];
  const server: Server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => { size += chunk.length; if (size <= BODY_BYTES_MAX) chunks.push(chunk); });
    req.on('end', () => {
      const path = req.url ?? '';
      const receiver = path === '/hooks/operators' ? 'operators' : path === `/hooks/${NOTIFIED_PARTICIPANT}` ? 'participant' : undefined;
      if (!receiver || req.method !== 'POST' || size > BODY_BYTES_MAX || received.length >= REQUESTS_MAX) {
        res.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of [HEADERS.signature, HEADERS.idempotencyKey, HEADERS.event, HEADERS.attempt, 'content-type']) {
        const value = req.headers[name.toLowerCase()];
        if (typeof value === 'string') headers[name] = value;
      }
      // The raw bytes, as received: the signature is over them, not over a re-serialised parse.
      received.push({ receiver, path, headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const who = { actor: options.operator, reason: 'demo: webhook receiver on loopback' };
  const store = engine.notifications();
  const subscriptions = [
    { receiver: 'participant' as const, owner: NOTIFIED_PARTICIPANT, url: `${base}/${NOTIFIED_PARTICIPANT}`, events: [...PAYMENT_EVENTS],
      ...(await store.subscribe({ participant: NOTIFIED_PARTICIPANT, channel: 'webhook', target: `${base}/${NOTIFIED_PARTICIPANT}`, events: [...PAYMENT_EVENTS] }, who)) },
    { receiver: 'operators' as const, owner: 'operators', url: `${base}/operators`, events: [...ALERT_EVENTS],
      ...(await store.subscribe({ channel: 'webhook', target: `${base}/operators`, events: [...ALERT_EVENTS] }, who)) },
  ];
  options.log(`   notifications: ${NOTIFIED_PARTICIPANT} subscribed to its payment events and the operators to alerts, by webhook to ${base}/…`);

  return {
    async finish() {
      try {
        const worker = new NotificationWorker(store, { webhook: { now: () => engine.clock.now(), ca: certificate.certPem } });
        await worker.drain();
      } finally {
        await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
      }
      // The receiver's check (docs/notifications.md "Checking the signature"), at the demo's clock: the switch signs with it.
      const nowSeconds = Math.floor(engine.clock.now().getTime() / 1000);
      const lines = received.map((r) => {
        const secret = subscriptions.find((s) => s.receiver === r.receiver)!.secret!;
        const problem = verifySignature(r.headers[HEADERS.signature], r.body, secret, nowSeconds);
        return { ...r, signatureValid: problem === undefined, ...(problem ? { signatureProblem: problem } : {}) };
      });
      const dir = join(options.out, 'notifications');
      mkdirSync(dir, { recursive: true, mode: options.directoryMode });
      const file = join(dir, 'received.jsonl');
      writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length > 0 ? '\n' : ''), { mode: options.fileMode });
      writeFileSync(join(dir, 'receivers.json'), JSON.stringify(subscriptions.map((s) => ({
        receiver: s.receiver, subscription: s.id.toString(), owner: s.owner, url: s.url, events: s.events, secret: s.secret,
      })), null, 2) + '\n', { mode: options.fileMode });
      writeFileSync(join(dir, 'README.txt'), README, { mode: options.fileMode });
      const count = (receiver: Received['receiver']): Record<string, number> => {
        const counts: Record<string, number> = {};
        for (const l of lines.filter((x) => x.receiver === receiver)) {
          const event = l.headers[HEADERS.event] ?? '?';
          counts[event] = (counts[event] ?? 0) + 1;
        }
        return counts;
      };
      const summary: NotificationsSummary = {
        requests: lines.length, signaturesValid: lines.filter((l) => l.signatureValid).length, participant: NOTIFIED_PARTICIPANT,
        paymentEvents: count('participant'), alerts: count('operators'), file: 'notifications/received.jsonl',
      };
      const list = (counts: Record<string, number>): string => Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
      options.log(`   ${summary.requests} webhook requests received, ${summary.signaturesValid} with a valid signature: ` +
        `${NOTIFIED_PARTICIPANT} ${list(summary.paymentEvents)}; operators ${list(summary.alerts)} → ${summary.file}`);
      return summary;
    },
  };
}

const README = `The demo's webhook receiver (docs/notifications.md).

receivers.json   the two subscriptions the demo made before cycle 2: Bank A (BANKDEFFXXX) to its payment
                 events (payment.received, payment.settled, payment.returned) and the operators to every
                 alert, each with its URL on 127.0.0.1 and its secret.
received.jsonl   one JSON object per request the receiver got: which receiver, the path, the headers
                 (Clearhouse-Signature t=…,v1=…, Idempotency-Key, Clearhouse-Event, Clearhouse-Attempt),
                 the raw body, and the receiver's signature check (signatureValid).

Check a signature yourself: HMAC-SHA256 under the receiver's secret of "<t>.<body>" (t from the
header, body the raw text), in hex, equals the header's v1. The timestamps are the demo's clock.
`;

/** A self-signed TLS certificate for 127.0.0.1, valid from an hour ago (real time: TLS checks it against the system clock). */
function selfSignedLoopbackCertificate(): { keyPem: string; certPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(8));
  const now = systemClock.now().getTime();
  cert.validity.notBefore = new Date(now - 3_600_000);
  cert.validity.notAfter = new Date(now + 86_400_000);
  const subject = [{ shortName: 'CN', value: '127.0.0.1' }, { shortName: 'O', value: 'clearhouse demo webhook receiver' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true }, { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: forge.pki.certificateToPem(cert) };
}
