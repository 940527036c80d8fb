/**
 * Connector benchmark, on loopback:
 *
 *  sftp   a real OpenSSH sshd with a chrooted bank mailbox (test/support/sftp-server.ts; needs root,
 *         skipped with the reason otherwise). Outbound: SftpConnector.deliver of N signed files
 *         (data + detached .p7s, each `.part` + posix-rename). Inbound: the bank uploads N signed
 *         pairs (`.part` + rename, ssh2-sftp-client), the switch side receives and acknowledges them
 *         (archive), then verifyDetached on each, timed separately. Reference in the same run: the
 *         OpenSSH `sftp -b` client doing the same operations on the same files (one process, one
 *         connection per batch).
 *  queue  Redis (BENCH_REDIS_URL / TEST_REDIS_URL / 127.0.0.1:6379, a unique key prefix, deleted
 *         afterwards): a bank produces K messages into in-<BIC> (BankQueueClient.send, 64 in flight),
 *         then consumer child processes drain it with QueueConnector.receive + acknowledge (one file
 *         at a time, as the switch does); once with one consumer, once with two on the same queue.
 *         Every job id taken is counted: each must be taken exactly once.
 *
 * A consumer alone: `node --import tsx bench/connectors.ts queue-consume URL PREFIX BIC` (waits for a
 * line on stdin, then drains and prints its job ids as JSON).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { BankQueueClient, QueueConnector } from '../connectors/queue.ts';
import { SftpConnector } from '../connectors/sftp.ts';
import type { InboundFile } from '../connectors/connector.ts';
import { signDetached, verifyDetached } from '../connectors/signing/cms.ts';
import { createCa, issueCertificate } from '../connectors/signing/pki.ts';
import { startSftpServer, type SftpTestServer } from '../test/support/sftp-server.ts';
import type { Row } from './validation.ts';
import { TYPESCRIPT_IMPORT } from '../switch/typescript-import.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const BANK = 'BANKDEFFXXX';

export const SFTP_FULL = [{ files: 200, bytes: 10_000 }, { files: 20, bytes: 1_000_000 }] as const;
export const SFTP_QUICK = [{ files: 50, bytes: 10_000 }, { files: 5, bytes: 1_000_000 }] as const;
export const QUEUE_FULL = { messages: 5_000, bytes: 2_000 } as const;
export const QUEUE_QUICK = { messages: 1_000, bytes: 2_000 } as const;

const rate = (count: number, ms: number): number => count / (ms / 1000);

// ---------------------------------------------------------------------------------------------------
// SFTP

interface SignedFile { readonly name: string; readonly bytes: Uint8Array; readonly signature: Uint8Array }

/** Pseudo-XML bytes of the given size (compressibility like a payment file; SSH does not compress here). */
function payload(size: number, seed: number): Uint8Array {
  const text = `<Doc seq="${seed}">` + randomBytes(Math.ceil(size / 2)).toString('hex');
  return new TextEncoder().encode(text.slice(0, size));
}

/** `sftp -b` with the given commands; returns the wall time in ms. */
function nativeSftp(server: SftpTestServer, keyPath: string, username: string, commands: string[], dir: string): number {
  const batch = join(dir, 'batch.txt');
  writeFileSync(batch, commands.join('\n') + '\n');
  const started = performance.now();
  const result = spawnSync('sftp', ['-b', batch, '-i', keyPath, '-P', String(server.port), '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${username}@${server.host}`], { encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`sftp -b failed: ${result.stderr || result.error?.message}`);
  return ms;
}

export async function benchmarkSftp(quick: boolean): Promise<{ rows: Row[]; verify: Row[] } | string> {
  const started = await startSftpServer([BANK]);
  if (typeof started === 'string') return started;
  const server = started;
  const hasNative = spawnSync('sh', ['-c', 'command -v sftp']).status === 0;
  if (!hasNative) console.log('OpenSSH sftp client not found: native ratios omitted');
  const dir = mkdtempSync(join(tmpdir(), 'clearhouse-bench-sftp-'));
  const account = server.accounts.get(BANK)!;
  const switchKeyPath = join(dir, 'switch_key');
  writeFileSync(switchKeyPath, account.switchKey, { mode: 0o600 });
  const bankKeyPath = join(dir, 'bank_key');
  writeFileSync(bankKeyPath, account.bankKey, { mode: 0o600 });

  const ca = createCa({ commonName: 'Clearhouse Bench CA', validDays: 30 });
  const issued = issueCertificate({ ca, bic: BANK, validDays: 30 });
  const signer = { keyPem: issued.keyPem!, certPem: issued.certPem };
  const rows: Row[] = [];
  const verify: Row[] = [];
  try {
    for (const shape of quick ? SFTP_QUICK : SFTP_FULL) {
      const files: SignedFile[] = Array.from({ length: shape.files }, (_, i) => {
        const bytes = payload(shape.bytes, i);
        return { name: `BENCH-${shape.bytes}-${String(i).padStart(5, '0')}.xml`, bytes, signature: signDetached(bytes, signer) };
      });
      const dataBytes = shape.files * shape.bytes;
      const local = join(dir, String(shape.bytes));
      mkdirSync(local, { recursive: true });
      for (const f of files) {
        writeFileSync(join(local, f.name), f.bytes);
        writeFileSync(join(local, `${f.name}.p7s`), f.signature);
      }
      const label = `${shape.files} × ${shape.bytes >= 1e6 ? `${shape.bytes / 1e6} MB` : `${shape.bytes / 1e3} KB`}`;
      const row = (what: string, ms: number, nativeMs: number): Row => ({
        direction: what, files: label, 'files/s': rate(shape.files, ms).toFixed(1), 'MB/s': (dataBytes / 1e6 / (ms / 1000)).toFixed(1),
        'native sftp -b files/s': Number.isNaN(nativeMs) ? '—' : rate(shape.files, nativeMs).toFixed(1),
        'vs native (throughput ratio)': Number.isNaN(nativeMs) ? '—' : (nativeMs / ms).toFixed(2),
      });

      // Outbound: the connector delivers into the bank's outbound/.
      server.clear();
      let nativeMs = NaN;
      if (hasNative) {
        nativeMs = nativeSftp(server, switchKeyPath, account.username, files.flatMap((f) => [
          `put ${join(local, f.name)} /outbound/${f.name}.part`, `rename /outbound/${f.name}.part /outbound/${f.name}`,
          `put ${join(local, `${f.name}.p7s`)} /outbound/${f.name}.p7s.part`, `rename /outbound/${f.name}.p7s.part /outbound/${f.name}.p7s`,
        ]), dir);
        server.clear();
      }
      const connector = new SftpConnector({ mailboxes: [server.mailbox(BANK)] });
      try {
        let t = performance.now();
        for (const f of files) await connector.deliver({ recipient: BANK, fileName: f.name, bytes: f.bytes, signature: f.signature });
        rows.push(row('outbound: SftpConnector.deliver', performance.now() - t, nativeMs));

        // Inbound: the bank uploads (timed too), then the switch side takes the pairs.
        server.clear();
        const bank = await server.bank(BANK);
        const upload = async (): Promise<number> => {
          const s = performance.now();
          for (const f of files) await bank.upload(f.name, f.bytes, f.signature);
          return performance.now() - s;
        };
        try {
          let uploadMs = await upload();
          if (hasNative) {
            nativeMs = nativeSftp(server, switchKeyPath, account.username, ['ls -1 /inbound', ...files.flatMap((f) => [
              `get /inbound/${f.name} ${join(dir, 'got')}`, `get /inbound/${f.name}.p7s ${join(dir, 'got.p7s')}`,
              `rename /inbound/${f.name} /archive/${f.name}`, `rename /inbound/${f.name}.p7s /archive/${f.name}.p7s`,
            ])], dir);
            server.clear();
            uploadMs = await upload();
          }
          rows.push({ ...row('inbound: bank upload (ssh2-sftp-client, .part + rename)', uploadMs, NaN) });
          t = performance.now();
          const received: InboundFile[] = [];
          for (;;) {
            const batch = await connector.receive(BANK);
            if (batch.length === 0) break;
            for (const file of batch) {
              await connector.acknowledge(file);
              received.push(file);
            }
          }
          const receiveMs = performance.now() - t;
          if (received.length !== shape.files) throw new Error(`sftp inbound: received ${received.length} of ${shape.files} files`);
          rows.push(row('inbound: SftpConnector.receive + acknowledge', receiveMs, nativeMs));
          t = performance.now();
          for (const file of received) {
            const result = verifyDetached(file.bytes, file.signature, { caCertPems: [ca.certPem], expectedSigner: BANK, now: new Date() });
            if (!result.ok) throw new Error(`sftp inbound: ${file.fileName}: ${result.message}`);
          }
          const verifyMs = performance.now() - t;
          verify.push({ files: label, 'verifyDetached files/s': rate(shape.files, verifyMs).toFixed(0), 'MB/s': (dataBytes / 1e6 / (verifyMs / 1000)).toFixed(1),
            'receive + ack + verify files/s': rate(shape.files, receiveMs + verifyMs).toFixed(1) });
        } finally {
          await bank.end();
        }
      } finally {
        await connector.close();
      }
    }
  } finally {
    await server.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, verify };
}

// ---------------------------------------------------------------------------------------------------
// Queue

export function redisUrl(): string {
  return process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

async function redisReachable(url: string): Promise<boolean> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

interface ConsumerOutput { readonly ids: string[]; readonly startedAt: number; readonly endedAt: number }

/** Starts a consumer child; resolves `ready` once it is loaded, `done` with its output after `go()`. */
function consumerChild(url: string, prefix: string): { ready: Promise<void>; go: () => void; done: Promise<ConsumerOutput> } {
  const child = spawn(process.execPath, [...TYPESCRIPT_IMPORT, fileURLToPath(import.meta.url), 'queue-consume', url, prefix, BANK],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => { markReady = r; });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.includes('ready\n')) markReady();
  });
  const done = new Promise<ConsumerOutput>((resolveDone, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench/connectors.ts queue-consume exited with ${code}`));
      try { resolveDone(JSON.parse(out.trim().split('\n').pop() ?? '') as ConsumerOutput); } catch { reject(new Error('queue-consume: no result')); }
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}

async function consumeChild(url: string, prefix: string, bic: string): Promise<ConsumerOutput> {
  const connector = new QueueConnector({ connection: { url }, prefix });
  console.log('ready');
  await new Promise<void>((r) => process.stdin.once('data', () => r()));
  const startedAt = Date.now();
  const ids: string[] = [];
  try {
    for (;;) {
      const files = await connector.receive(bic);
      if (files.length === 0) break;
      for (const file of files) {
        await connector.acknowledge(file);
        ids.push(String((file.handle as { job: { id?: string } }).job.id));
      }
    }
  } finally {
    await connector.close();
  }
  return { ids, startedAt, endedAt: Date.now() };
}

export async function benchmarkQueue(quick: boolean): Promise<Row[] | string> {
  const url = redisUrl();
  if (!(await redisReachable(url))) return `Redis not reachable at ${url} (BENCH_REDIS_URL / TEST_REDIS_URL)`;
  const shape = quick ? QUEUE_QUICK : QUEUE_FULL;
  const rows: Row[] = [];
  for (const consumers of [1, 2]) {
    const prefix = `clearhouse-bench-queue-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const bank = new BankQueueClient({ connection: { url }, bic: BANK, prefix });
      const started = performance.now();
      try {
        let next = 0;
        await Promise.all(Array.from({ length: 64 }, async () => {
          for (let i = next++; i < shape.messages; i = next++) {
            await bank.send({ fileName: `BENCH-Q-${String(i).padStart(6, '0')}.xml`, bytes: payload(shape.bytes, i) });
          }
        }));
      } finally {
        await bank.close();
      }
      const produceMs = performance.now() - started;
      const children = Array.from({ length: consumers }, () => consumerChild(url, prefix));
      await Promise.all(children.map((c) => c.ready));
      const goAt = Date.now();
      for (const c of children) c.go();
      const outputs = await Promise.all(children.map((c) => c.done));
      const drainMs = Math.max(...outputs.map((o) => o.endedAt)) - goAt;
      const all = outputs.flatMap((o) => o.ids);
      const unique = new Set(all).size;
      if (all.length !== shape.messages || unique !== shape.messages) {
        throw new Error(`queue: ${consumers} consumer(s) took ${all.length} jobs (${unique} distinct) of ${shape.messages}`);
      }
      rows.push({
        consumers, messages: shape.messages, 'message size': `${shape.bytes / 1e3} KB`,
        'produce msg/s (BankQueueClient, 64 in flight)': Math.round(rate(shape.messages, produceMs)),
        'drain msg/s (receive + acknowledge)': Math.round(rate(shape.messages, drainMs)),
        'taken per consumer': outputs.map((o) => o.ids.length).join(' + '),
        'taken exactly once': `${unique}/${shape.messages}`,
      });
    } finally {
      await deletePrefix(url, prefix);
    }
  }
  return rows;
}

const isMain = process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'queue-consume') console.log(JSON.stringify(await consumeChild(args[0]!, args[1]!, args[2]!)));
  else throw new Error('usage: bench/connectors.ts queue-consume URL PREFIX BIC');
}
