/**
 * The HTTP API's cost (docs/performance.md "HTTP API"), on PostgreSQL, in one process and one run:
 *
 *  submit     single INST pacs.008 messages, closed loop with CLIENTS concurrent clients: first over
 *             HTTPS (POST /messages, mutual TLS with each bank's scheme certificate, keep-alive
 *             connections), then the same number of fresh messages through engine.submit on the same
 *             engine (the direct path the connectors use); throughput of each and their ratio.
 *  dashboard  while real-time payments flow through engine.submit at RATE/s (open loop), an operator's
 *             dashboard reads GET /positions, /cycles and /payments?limit=50 over HTTPS in a loop
 *             (READERS readers); p50/p99 per route, and the payment rate achieved meanwhile.
 *
 *   node --import tsx bench/api.ts [--quick]      (also `npm run bench -- --only api`)
 *
 * The API's request rates are lifted for the run (every client comes from 127.0.0.1): the limits bound
 * abuse, this measures cost.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from '../switch/engine/engine.ts';
import { startApi, type RunningApi } from '../switch/api/server.ts';
import { hashPassword, newTotpSecret, totp, base32Decode } from '../switch/api/credentials.ts';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';
import { TrustMaterialWatcher } from '../connectors/signing/reload.ts';
import { silentLogger } from '../switch/log.ts';
import { writeSchemePki } from '../test/support/scheme-pki.ts';
import { serverCertificate } from '../test/api/support.ts';
import { benchBanks, benchScheme, freshSchema, percentile, settlementDate, SingleMessages } from './engine.ts';

export const API_FULL = { submitMessages: 4_000, clients: 16, dashboardSeconds: 30, rate: 1_000, readers: 2 } as const;
export const API_QUICK = { submitMessages: 600, clients: 16, dashboardSeconds: 5, rate: 1_000, readers: 2 } as const;

export interface ApiBenchResult {
  readonly submit: { messages: number; clients: number; apiPerSecond: number; directPerSecond: number; ratio: number; apiP99Ms: number; directP99Ms: number;
    apiAccepted: number; directAccepted: number };
  readonly dashboard: { seconds: number; offeredRate: number; achievedRate: number; reads: { route: string; count: number; p50Ms: number; p99Ms: number; maxMs: number }[] };
}

interface Client { key: Buffer; cert: Buffer; agent: Agent }

function post(url: string, ca: string, client: Client | undefined, token: string | undefined, method: string, path: string, body?: Uint8Array,
  contentType = 'application/xml'): Promise<{ status: number; text: string }> {
  return new Promise((done, fail) => {
    const req = request(`${url}${path}`, {
      method, ca, servername: 'localhost', ...(client ? { key: client.key, cert: client.cert, agent: client.agent } : { agent: dashboardAgent }),
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': contentType, 'content-length': body.length } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

const dashboardAgent = new Agent({ keepAlive: true, maxSockets: 8 });

export async function benchmarkApi(quick: boolean): Promise<ApiBenchResult> {
  const shape = quick ? API_QUICK : API_FULL;
  const banks = benchBanks(20);
  const directory = mkdtempSync(join(tmpdir(), 'clearhouse-bench-api-'));
  const pki = writeSchemePki(directory, banks.map((b) => b.bic));
  const ca = readFileSync(join(pki.ca, 'ca.cert.pem'), 'utf8');
  const watcher = TrustMaterialWatcher.load({ sources: { ca: [pki.ca], crl: [pki.crl] }, log: silentLogger });
  const schema = await freshSchema('bench_api');
  const xsd = new XsdValidator();
  const engine = await Engine.open({ config: benchScheme(banks), databaseUrl: schema.url, xsd });
  let api: RunningApi | undefined;
  try {
    api = await startApi(engine, { host: '127.0.0.1', port: 0, tls: serverCertificate(pki.ca, new Date()), trust: () => watcher.current().trust,
      rates: { perAddress: 1e9, perPrincipal: 1e9 } });
    const clients = new Map(banks.map((b) => [b.bic, { key: readFileSync(pki.keyOf(b.bic)), cert: readFileSync(pki.certOf(b.bic)),
      agent: new Agent({ keepAlive: true, maxSockets: 4 }) }]));
    const messages = new SingleMessages(banks, settlementDate());

    // Warm-up (connections, JIT, pools), not measured.
    await closedLoop(300, shape.clients, async () => {
      const m = messages.next();
      await post(api!.url, ca, clients.get(m.sender), undefined, 'POST', '/messages', m.bytes);
    });
    await closedLoop(300, shape.clients, async () => { await engine.submit(messages.next()); });

    const viaApi = await timedLoop(shape.submitMessages, shape.clients, async () => {
      const m = messages.next();
      const answer = await post(api!.url, ca, clients.get(m.sender), undefined, 'POST', '/messages', m.bytes);
      if (answer.status !== 200) throw new Error(`POST /messages: ${answer.status} ${answer.text.slice(0, 200)}`);
      return (JSON.parse(answer.text) as { status: string }).status === 'ACCP';
    });
    const direct = await timedLoop(shape.submitMessages, shape.clients, async () => (await engine.submit(messages.next())).status === 'ACCP');

    // An operator's dashboard while the real-time path carries RATE payments a second.
    const secret = newTotpSecret();
    const password = 'bench-password-0123456789';
    await engine.access().addUser({ name: 'bench', role: 'operator', passwordHash: await hashPassword(password), totpSecret: secret }, new Date());
    const login = await post(api.url, ca, undefined, undefined, 'POST', '/login',
      Buffer.from(JSON.stringify({ name: 'bench', password, totp: totp(base32Decode(secret), new Date()) })), 'application/json');
    const token = (JSON.parse(login.text) as { token: string }).token;
    const routes = ['/positions', '/cycles', '/payments?limit=50'];
    const latencies = new Map(routes.map((r) => [r, [] as number[]]));
    let flowing = true;
    const readers = Array.from({ length: shape.readers }, async () => {
      while (flowing) {
        for (const route of routes) {
          const started = performance.now();
          const answer = await post(api!.url, ca, undefined, token, 'GET', route);
          if (answer.status !== 200) throw new Error(`GET ${route}: ${answer.status} ${answer.text.slice(0, 200)}`);
          latencies.get(route)!.push(performance.now() - started);
        }
      }
    });
    const flow = await openLoop(shape.rate, shape.dashboardSeconds, () => engine.submit(messages.next()).then((r) => r.status === 'ACCP'));
    flowing = false;
    await Promise.all(readers);
    return {
      submit: { messages: shape.submitMessages, clients: shape.clients, apiPerSecond: viaApi.perSecond, directPerSecond: direct.perSecond,
        ratio: Math.round((viaApi.perSecond / direct.perSecond) * 100) / 100, apiP99Ms: viaApi.p99Ms, directP99Ms: direct.p99Ms,
        apiAccepted: viaApi.accepted, directAccepted: direct.accepted },
      dashboard: { seconds: shape.dashboardSeconds, offeredRate: shape.rate, achievedRate: flow.perSecond,
        reads: routes.map((route) => {
          const sorted = latencies.get(route)!.sort((x, y) => x - y);
          return { route, count: sorted.length, p50Ms: round(percentile(sorted, 0.5)), p99Ms: round(percentile(sorted, 0.99)), maxMs: round(sorted.at(-1) ?? NaN) };
        }) },
    };
  } finally {
    await api?.close();
    watcher.stop();
    await engine.close();
    await xsd.close();
    await schema.drop();
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

async function closedLoop(count: number, concurrency: number, work: () => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => { while (next++ < count) await work(); }));
}

async function timedLoop(count: number, concurrency: number, work: () => Promise<boolean>): Promise<{ perSecond: number; p99Ms: number; accepted: number }> {
  const latencies: number[] = [];
  let accepted = 0;
  const started = performance.now();
  await closedLoop(count, concurrency, async () => {
    const t = performance.now();
    if (await work()) accepted++;
    latencies.push(performance.now() - t);
  });
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  return { perSecond: Math.round(count / seconds), p99Ms: round(percentile(latencies, 0.99)), accepted };
}

/** `rate` submissions a second for `seconds`, not waiting for answers (at most 2,000 in flight); the rate achieved. */
async function openLoop(rate: number, seconds: number, work: () => Promise<boolean>): Promise<{ perSecond: number }> {
  const total = rate * seconds;
  const interval = 1000 / rate;
  const pending = new Set<Promise<void>>();
  let accepted = 0;
  const start = performance.now() + 20;
  let last = start;
  await new Promise<void>((scheduled) => {
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        next++;
        if (pending.size >= 2_000) continue;
        const p: Promise<void> = work().then((ok) => { if (ok) accepted++; }, () => undefined).finally(() => {
          last = performance.now();
          pending.delete(p);
        });
        pending.add(p);
      }
      if (next < total) setTimeout(tick, Math.max(0, Math.min(4, start + next * interval - now)));
      else scheduled();
    };
    setTimeout(tick, 20);
  });
  await Promise.all([...pending]);
  return { perSecond: Math.round(accepted / ((last - start) / 1000)) };
}

const isMain = process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const result = await benchmarkApi(process.argv.includes('--quick'));
  console.log(JSON.stringify(result, null, 2));
  dashboardAgent.destroy();
}
