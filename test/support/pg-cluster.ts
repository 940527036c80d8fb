/**
 * A throwaway PostgreSQL 15 cluster for one test (shared/docs/TESTING.md): initdb into a temporary
 * directory, on a free loopback port, with WAL archiving into a directory of its own; started and
 * stopped with pg_ctl. As root (the CI machine), the server's commands run as the `postgres` user,
 * which owns the directory (PostgreSQL refuses to run as root).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program (as `postgres` when the test runs as root); its output. */
export function pgCommand(program: string, args: readonly string[]): string {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, program), ...args]] : [join(PG_BIN, program), [...args]];
  return execFileSync(file as string, argv as string[], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/** A directory the server's user owns (everything under `root` is handed to it). */
export function handOver(path: string): void {
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', path]);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  readonly root: string;
  readonly data: string;
  readonly archive: string;
  readonly port: number;
  readonly url: string;
  start(): void;
  stop(): void;
  /** One SQL statement on the cluster's `postgres` database; its rows. */
  sql<R extends Record<string, unknown>>(text: string): Promise<R[]>;
}

/** Settings of every cluster made here: loopback only, its own socket directory, and WAL archived. */
function settings(root: string, archive: string, port: number): string {
  return [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${root}'`,
    'wal_level = replica',
    'archive_mode = on',
    `archive_command = 'test ! -f ${archive}/%f && cp %p ${archive}/%f'`,
    'max_wal_senders = 4',
    'fsync = off',
    '',
  ].join('\n');
}

/** Makes (initdb) a new cluster; not started. */
export async function newCluster(name: string): Promise<Cluster> {
  const root = mkdtempSync(join(tmpdir(), `clearhouse-${name}-`));
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  const archive = join(root, 'wal-archive');
  mkdirSync(archive);
  handOver(root);
  pgCommand('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  const port = await freePort();
  appendFileSync(join(data, 'postgresql.conf'), settings(root, archive, port));
  return clusterAt(root, data, archive, port);
}

/** A cluster over an existing data directory (a base backup being recovered), on its own port. */
export function clusterAt(root: string, data: string, archive: string, port: number): Cluster {
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    root, data, archive, port, url,
    start: () => { pgCommand('pg_ctl', ['-D', data, '-l', join(root, `server-${port}.log`), '-w', '-t', '120', 'start']); },
    stop: () => {
      try {
        pgCommand('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } catch {
        // not running
      }
    },
    async sql<R extends Record<string, unknown>>(text: string): Promise<R[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<R>(text)).rows;
      } finally {
        await client.end();
      }
    },
  };
}

/** Writes a file into a data directory, owned by the server's user. */
export function writeServerFile(path: string, text: string, append = false): void {
  if (append) appendFileSync(path, text);
  else writeFileSync(path, text);
  handOver(path);
}
