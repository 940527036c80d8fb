/**
 * A private redis-server on a free port (never the shared one on 6379), for tests that kill and
 * restart Redis. Persistent by default: append-only file with appendfsync always, so every write
 * Redis acknowledged survives a SIGKILL; `persistent: false` is a Redis that comes back empty.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * Deletes every key starting with `prefix` on the Redis at `url` (a bounded SCAN, whatever state a
 * test left) and returns how many such keys remain afterwards, for the caller to assert on.
 */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    for (let pass = 0; pass < 10_000; pass++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    return (await redis.keys(`${prefix}*`)).length;
  } finally {
    redis.disconnect();
  }
}

/** Polls `probe` until it returns a value (not undefined), at most `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A private redis-server for the restart test (never the shared one on 6379): append-only file with
 * appendfsync always, so every write Redis acknowledged survives a SIGKILL; no RDB snapshots.
 */
export class RedisServer {
  private process: ChildProcess | undefined;
  private constructor(readonly port: number, private readonly dir: string, private readonly persistent: boolean) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: { readonly persistent?: boolean } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'clearhouse-redis-')), options.persistent ?? true);
    await server.launch();
    return server;
  }

  /** Kills the server (SIGKILL: no shutdown, no final fsync) and starts it again on the same port and data. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** SIGKILL the server and keep it down until `up()` (an outage). */
  async down(): Promise<void> {
    await this.kill();
  }

  /** Start it again on the same port and data (empty when not persistent). */
  async up(): Promise<void> {
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const durability = this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...durability,
      '--dir', this.dir], { stdio: 'ignore' });
    this.process = child;
    const probe = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await until(`redis-server on port ${this.port}`, async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        try {
          if (probe.status !== 'ready') await probe.connect();
          return (await probe.ping()) === 'PONG' ? true : undefined;
        } catch {
          probe.disconnect();
          return undefined;
        }
      }, 10_000);
    } finally {
      probe.disconnect();
    }
  }

  private async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
