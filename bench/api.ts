/**
 * The HTTP API's cost (docs/performance.md "HTTP API"), on PostgreSQL, in one process and one run:
 *
 *  submit     single INST pacs.008 messages, closed loop with CLIENTS concurrent clients: first over
 *             HTTPS (POST /messages, mutual TLS with each bank's scheme certificate, keep-alive
 *             connections), then the same number of fresh messages through engine.submit on the same
 *             engine (the direct path the connectors use); throughput of each and their ratio.
 *  dashboard  while a child process (bench/api-flow.ts: its own engine on the same schema) offers
 *             real-time payments to engine.submit at RATE/s (open loop), an operator's dashboard is
 *             refreshed over HTTPS at a steady REFRESHES/s (open loop): each refresh the console's reads
 *             together (cycles, positions, the latest 500 payments, delivery failures, queues); p50/p99
 *             per route, the payment rate achieved meanwhile and the machine's load average.
 *
 *   node --import tsx bench/api.ts [--quick]      (also `npm run bench -- --only api`)
 *
 * The API's request rates are lifted for the run (every client comes from 127.0.0.1): the limits bound
 * abuse, this measures cost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Agent, request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FlowResult } from './api-flow.ts';
import { Engine } from '../switch/engine/engine.ts';
import { startApi, type RunningApi } from '../switch/api/server.ts';
import { hashPassword, newTotpSecret, totp, base32Decode } from '../switch/api/credentials.ts';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';
import { TrustMaterialWatcher } from '../connectors/signing/reload.ts';
import { silentLogger } from '../switch/log.ts';
import { writeSchemePki } from '../test/support/scheme-pki.ts';
import { serverCertificate } from '../test/api/support.ts';
import { benchBanks, benchScheme, freshSchema, percentile, settlementDate, SingleMessages } from './engine.ts';
import { TYPESCRIPT_IMPORT } from '../switch/typescript-import.ts';

export const API_FULL = { submitMessages: 4_000, clients: 16, dashboardSeconds: 30, rate: 1_000, refreshesPerSecond: 2 } as const;
export const API_QUICK = { submitMessages: 600, clients: 16, dashboardSeconds: 5, rate: 1_000, refreshesPerSecond: 2 } as const;

export interface ApiBenchResult {
  readonly submit: { messages: number; clients: number; apiPerSecond: number; directPerSecond: number; ratio: number; apiP99Ms: number; directP99Ms: number;
    apiAccepted: number; directAccepted: number };
  readonly dashboard: { seconds: number; offeredRate: number; achievedRate: number; accepted: number; refreshesPerSecond: number; refreshes: number;
    refreshesSkipped: number; loadAverage: { before: number; after: number };
    reads: { route: string; count: number; p50Ms: number; p99Ms: number; maxMs: number }[] };
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

    // An operator's dashboard while the real-time path carries RATE payments a second, driven by a child process.
    const secret = newTotpSecret();
    const password = 'bench-password-0123456789';
    await engine.access().addUser({ name: 'bench', role: 'operator', passwordHash: await hashPassword(password), totpSecret: secret }, new Date());
    const login = await post(api.url, ca, undefined, undefined, 'POST', '/login',
      Buffer.from(JSON.stringify({ name: 'bench', password, totp: totp(base32Decode(secret), new Date()) })), 'application/json');
    const token = (JSON.parse(login.text) as { token: string }).token;
    const flow = await startFlow(schema.url, shape.rate, shape.dashboardSeconds);
    const loadBefore = loadavg()[0]!;
    const latencies = new Map(DASHBOARD_ROUTES.map((r) => [r, [] as number[]]));
    const reads = steadyReads(shape.refreshesPerSecond, async () => {
      // One dashboard refresh: the console's reads, together, as the page makes them.
      await Promise.all(DASHBOARD_ROUTES.map(async (route) => {
        const started = performance.now();
        const answer = await post(api!.url, ca, undefined, token, 'GET', route);
        if (answer.status !== 200) throw new Error(`GET ${route}: ${answer.status} ${answer.text.slice(0, 200)}`);
        latencies.get(route)!.push(performance.now() - started);
      }));
    });
    const flowed = await flow.go();
    const refreshes = await reads.stop();
    const loadAfter = loadavg()[0]!;
    return {
      submit: { messages: shape.submitMessages, clients: shape.clients, apiPerSecond: viaApi.perSecond, directPerSecond: direct.perSecond,
        ratio: Math.round((viaApi.perSecond / direct.perSecond) * 100) / 100, apiP99Ms: viaApi.p99Ms, directP99Ms: direct.p99Ms,
        apiAccepted: viaApi.accepted, directAccepted: direct.accepted },
      dashboard: { seconds: flowed.seconds, offeredRate: shape.rate, achievedRate: flowed.achievedRate, accepted: flowed.accepted,
        refreshesPerSecond: shape.refreshesPerSecond, refreshes: refreshes.done, refreshesSkipped: refreshes.skipped,
        loadAverage: { before: round(loadBefore), after: round(loadAfter) },
        reads: DASHBOARD_ROUTES.map((route) => {
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

/** The console dashboard's reads for an operator (switch/api/console/console.js, views.dashboard). */
export const DASHBOARD_ROUTES = ['/cycles', '/positions', '/payments?limit=500', '/deliveries/failures?limit=20', '/queues'] as const;

/**
 * `refresh` started `perSecond` times a second on a fixed schedule, whether or not the previous ones have
 * answered (open loop: a slow answer does not slow the readers down and hide itself); beyond 20 refreshes
 * in flight one is skipped and counted.
 */
function steadyReads(perSecond: number, refresh: () => Promise<void>): { stop(): Promise<{ done: number; skipped: number }> } {
  const pending = new Set<Promise<void>>();
  let done = 0;
  let skipped = 0;
  let failure: unknown;
  const timer = setInterval(() => {
    if (pending.size >= 20) {
      skipped++;
      return;
    }
    const p: Promise<void> = refresh().then(() => { done++; }, (error: unknown) => { failure ??= error; }).finally(() => pending.delete(p));
    pending.add(p);
  }, 1000 / perSecond);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...pending]);
      if (failure) throw failure;
      return { done, skipped };
    },
  };
}

/** The payment flow in a child process (bench/api-flow.ts): started and warmed now, run by go(). */
async function startFlow(url: string, rate: number, seconds: number): Promise<{ go(): Promise<FlowResult> }> {
  const child = spawn(process.execPath, [...TYPESCRIPT_IMPORT, fileURLToPath(new URL('./api-flow.ts', import.meta.url)), JSON.stringify({ url, rate, seconds })],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const line = async (): Promise<string> => {
    const next = await Promise.race([lines.next(), exited.then((code) => ({ done: true, value: `exit ${code}` }))]);
    if (next.done) throw new Error(`the payment flow process ended (${String(next.value)})`);
    return next.value as string;
  };
  const ready = await line();
  if (ready !== 'ready') throw new Error(`the payment flow process said ${ready}`);
  return {
    async go() {
      child.stdin!.write('go\n');
      const result = JSON.parse(await line()) as FlowResult;
      child.stdin!.end();
      await exited;
      return result;
    },
  };
}

const isMain = process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const result = await benchmarkApi(process.argv.includes('--quick'));
  console.log(JSON.stringify(result, null, 2));
  dashboardAgent.destroy();
}
