/**
 * Whether the database is reachable, as a long-running `serve` needs to know it: an outage (server
 * restarted, connections terminated, network cut) is waited out with a bounded backoff, logged once
 * per backoff step, and work carries on when the database is back (docs/operations.md "When the
 * database goes away"). Everything else that fails is a real error and still stops the process.
 *
 * Nothing is lost by waiting: every unit of work is one transaction that rolls back when its
 * connection dies, and nothing is acknowledged to a connector before its transaction commits, so a
 * file whose intake failed stays on the transport and is taken again (or answered as a replay, when
 * the commit went through but its answer was lost with the connection).
 */
import { limits } from '../limits.ts';
import type { Logger } from '../log.ts';
import { errorCode } from './database.ts';

/** SQLSTATEs that mean "not now" rather than "wrong": the server is going away, starting, or full. */
const UNAVAILABLE_STATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, or a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '53300', // too_many_connections
]);

/** Socket and resolver errors of a connection that cannot be made or was lost. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTCONN', 'ECONNABORTED',
]);

/** node-postgres reports a lost or refused connection with these messages and no code. */
const UNAVAILABLE_MESSAGE = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable|Connection ended unexpectedly/i;

/** True when `error` says the database cannot be reached right now (not that a statement is wrong). */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  const code = errorCode(error);
  if (code !== undefined && (UNAVAILABLE_STATES.has(code) || code.startsWith('08') || UNAVAILABLE_SOCKET_CODES.has(code))) return true;
  if (error instanceof Error && code === undefined && UNAVAILABLE_MESSAGE.test(error.message)) return true;
  // Node wraps the attempts of a dual-stack connect in an AggregateError; errors may carry a cause.
  const nested = [...((error as { errors?: unknown[] }).errors ?? []), (error as { cause?: unknown }).cause];
  return nested.some((inner) => isDatabaseUnavailable(inner, depth + 1));
}

/**
 * One outage at a time: `failed` counts a failure that is the database's absence and says how long
 * to wait before the next attempt (limits.databaseReconnectDelayMs, doubled per failure, at most
 * databaseReconnectDelayMsMax); any other error gets undefined and is the caller's to throw. One
 * warning per backoff step, however many failures arrive within it (several jobs at once in Redis
 * mode); one line when the database answers again.
 */
export class DatabaseOutage {
  private failures = 0;
  private since: number | undefined;
  private nextLogAt = 0;

  constructor(private readonly log: Logger, private readonly now: () => number = Date.now) {}

  get down(): boolean {
    return this.since !== undefined;
  }

  failed(error: unknown, what: string): number | undefined {
    if (!isDatabaseUnavailable(error)) return undefined;
    const now = this.now();
    this.since ??= now;
    this.failures += 1;
    const delayMs = Math.min(limits.databaseReconnectDelayMs * 2 ** Math.min(this.failures - 1, 30), limits.databaseReconnectDelayMsMax);
    if (now >= this.nextLogAt) {
      this.log.warn({ what, attempt: this.failures, retryInMs: delayMs, downForMs: now - this.since, err: error },
        'database unavailable: nothing is acknowledged until it is back; waiting before the next attempt');
      this.nextLogAt = now + delayMs;
    }
    return delayMs;
  }

  succeeded(): void {
    if (this.since === undefined) return;
    this.log.info({ attempts: this.failures, downForMs: this.now() - this.since }, 'database reachable again: carrying on');
    this.since = undefined;
    this.failures = 0;
    this.nextLogAt = 0;
  }
}
