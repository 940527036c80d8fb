/**
 * One database interface, two engines with the same SQL: PostgreSQL (node-postgres, chosen when a
 * DATABASE_URL is given: the production shape, shared by many worker processes) and PGlite (the
 * embedded default: PostgreSQL compiled to WebAssembly, in-process, data in a directory).
 *
 * Both return int8 columns as bigint (money is bigint minor units), bytea as Uint8Array/Buffer, and
 * everything else as node-postgres does.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFromStream, to as copyTo } from 'pg-copy-streams';
import { limits } from '../limits.ts';
import { lockEmbeddedStore } from './embedded-lock.ts';
export { StoreLockedError } from './embedded-lock.ts';

export type Row = Record<string, unknown>;

export interface Queryable {
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /**
   * PostgreSQL only, inside a transaction (backup, switch/store/backup.ts): a `COPY … TO STDOUT` as a
   * stream of its bytes, on the transaction's own connection (pg-copy-streams). Absent on PGlite and
   * outside transactions.
   */
  copyTo?(sql: string): Readable;
  /**
   * PostgreSQL only, inside a transaction (batch intake, switch/engine/intake.ts): a `COPY … FROM STDIN`
   * of `data` (text format, already escaped: switch/store/copy-text.ts; or binary format as chunks
   * written in order, switch/store/copy-binary.ts copyBinaryRow), on the transaction's own connection.
   * Fails as the COPY does (a unique violation is the caller's to handle). Absent on PGlite and outside
   * transactions.
   */
  copyFrom?(sql: string, data: string | readonly Uint8Array[]): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Run `work` in one transaction (READ COMMITTED); commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

export interface TransactionOptions {
  /**
   * The work has no effect outside the transaction (it only reads and writes the database, and keeps
   * its results in values it returns), so when PostgreSQL aborts it as a deadlock victim (40P01) or
   * for a serialization failure (40001) it is simply run again, in a new transaction, up to
   * limits.transactionAttemptsMax times. Deadlocks are possible whenever two paths lock the same rows
   * in different orders (e.g. the real-time group locks exposures in BIC order, a timeout sweep in
   * payment order); PostgreSQL resolves them by aborting one side, and this option makes that side
   * retry instead of failing its caller. Never set it for work that delivers or signals anything.
   */
  readonly retryable?: boolean;
}

const DEADLOCK_DETECTED = '40P01';
const SERIALIZATION_FAILURE = '40001';

export interface DatabaseOptions {
  /** postgres://... : use PostgreSQL. */
  readonly url?: string;
  /** PGlite data directory; in memory when absent. */
  readonly directory?: string;
  /** PostgreSQL pool size (one connection per concurrent transaction). */
  readonly poolSize?: number;
  /**
   * Every transaction READ ONLY (default_transaction_read_only): the reading commands' store, which
   * works with a role that has only SELECT and USAGE, and cannot change anything even by mistake.
   */
  readonly readOnly?: boolean;
  /**
   * Test-only (test/support/store-template.ts): an in-memory PGlite store starts from this data
   * directory (a PGlite dumpDataDir tarball of a migrated store) instead of an empty cluster made by
   * initdb, which costs most of opening one. Ignored for PostgreSQL and for a data directory; the
   * product never sets it.
   */
  readonly startFrom?: Blob | undefined;
}

const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (value: string) => BigInt(value));
/** A `date` (business and settlement dates) stays its "YYYY-MM-DD" text: pg would make it local
 * midnight, a Date that reads as the day before in any process whose time zone is east of UTC. */
const DATE_OID = 1082;
pg.types.setTypeParser(DATE_OID, (value: string) => value);

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.poolSize ?? 10, options.readOnly ?? false)
    : openPglite(options.directory, options.readOnly ?? false, options.directory === undefined ? options.startFrom : undefined);
}

function openPostgres(url: string, poolSize: number, readOnly: boolean): Database {
  // A server that does not answer fails the connect within the limit instead of hanging the caller;
  // TCP keepalive notices a silently dead link under an idle connection.
  // A reading store's connections are read-only from their start-up packet (options: -c …), so no
  // query can ever run before the setting does.
  const pool = new pg.Pool({ connectionString: readOnly ? readOnlyUrl(url) : url, max: poolSize,
    connectionTimeoutMillis: limits.databaseConnectTimeoutMs, keepAlive: true });
  // An idle client losing its connection (server restart) must not crash the process: the pool drops
  // it, and the next query opens a new one (switch/store/availability.ts waits out an outage).
  pool.on('error', () => {});
  // A new connection can read the server's termination (pg_terminate_backend, a restart) in the same
  // socket read as its ReadyForQuery: pg-pool hands the client out and takes its idle listener off
  // within that read, and the caller of pool.connect() attaches its own only in a later microtask, so
  // the error would be emitted with no listener and kill the process. Every client gets a listener of
  // its own from birth; the pool's and the transaction's listeners still see the error and drop it.
  pool.on('connect', (client) => { client.on('error', () => {}); });
  const query = async <R>(sql: string, params?: readonly unknown[]): Promise<R[]> =>
    (await pool.query(sql, params as unknown[])).rows as R[];
  return {
    kind: 'postgres',
    query,
    async transaction<T>(work: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
      const attempts = options?.retryable ? limits.transactionAttemptsMax : 1;
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        // A checked-out client has no error listener of the pool's: a connection lost between two
        // statements (server restart, pg_terminate_backend, network cut) would be an unhandled
        // 'error' event and kill the process. Noted here instead; the next statement fails, the
        // transaction is abandoned, and the client is discarded on release.
        let lost: Error | undefined;
        const onError = (error: Error): void => { lost = error; };
        client.on('error', onError);
        try {
          await client.query('BEGIN');
          const result = await work({
            query: async <R>(sql: string, params?: readonly unknown[]) =>
              (await client.query(sql, params as unknown[])).rows as R[],
            copyTo: (sql: string) => client.query(copyTo(sql)),
            copyFrom: (sql: string, data: string | readonly Uint8Array[]) => new Promise<void>((resolveCopy, rejectCopy) => {
              const stream = client.query(copyFromStream(sql));
              stream.on('error', rejectCopy);
              stream.on('finish', () => resolveCopy());
              if (typeof data === 'string') {
                stream.end(data);
              } else {
                for (const chunk of data) stream.write(chunk);
                stream.end();
              }
            }),
          });
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          const code = errorCode(error);
          if (attempt >= attempts || (code !== DEADLOCK_DETECTED && code !== SERIALIZATION_FAILURE)) throw error;
        } finally {
          client.removeListener('error', onError);
          client.release(lost);
        }
      }
    },
    close: () => pool.end(),
  };
}

/** `url` with default_transaction_read_only=on added to its start-up options (kept: e.g. a search_path). */
function readOnlyUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const options = parsed.searchParams.get('options');
    parsed.searchParams.set('options', `${options ? `${options} ` : ''}-c default_transaction_read_only=on`);
    return parsed.toString();
  } catch {
    return url; // not a URL: pg reports it when connecting
  }
}

async function openPglite(directory: string | undefined, readOnly: boolean, startFrom: Blob | undefined): Promise<Database> {
  // Owner only: the store holds every message and position (docs/operations.md "File permissions").
  if (directory !== undefined) mkdirSync(directory, { recursive: true, mode: 0o700 });
  // One process at a time on a data directory (switch/store/embedded-lock.ts).
  const release = directory === undefined ? () => {} : lockEmbeddedStore(directory);
  // Loaded here, not at start-up: a command on PostgreSQL never needs it (docs/performance.md).
  const { PGlite } = await import('@electric-sql/pglite');
  let db: InstanceType<typeof PGlite>;
  try {
    db = await PGlite.create(directory, { ...(startFrom ? { loadDataDir: startFrom } : {}), parsers: { [INT8_OID]: (value: string) => BigInt(value), [DATE_OID]: (value: string) => value } });
    // PGlite unpacks its initial cluster with world-writable modes (0666); PostgreSQL itself insists
    // on an owner-only data directory, and so do we.
    if (directory !== undefined) ownerOnly(directory);
  } catch (error) {
    release();
    throw error;
  }
  if (readOnly) await db.query('SET default_transaction_read_only = on');
  const query = async <R>(sql: string, params?: readonly unknown[]): Promise<R[]> =>
    (await db.query<R>(sql, params as unknown[])).rows;
  return {
    kind: 'pglite',
    query,
    // PGlite has one connection: a transaction holds it, and other queries wait their turn. With one
    // connection there are no deadlocks or serialization failures, so `retryable` changes nothing.
    transaction: <T>(work: (tx: Queryable) => Promise<T>) =>
      db.transaction(async (tx) => work({
        query: async <R>(sql: string, params?: readonly unknown[]) => (await tx.query<R>(sql, params as unknown[])).rows,
      })),
    close: async () => {
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}

/** Every file under `directory` 0600 and every directory 0700 (links are left alone). */
function ownerOnly(directory: string): void {
  chmodSync(directory, 0o700);
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) ownerOnly(path);
    else if (entry.isFile() && (lstatSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
}

/** A PostgreSQL error code, when the error is one (23505 unique violation, 40001 serialization failure...). */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}
