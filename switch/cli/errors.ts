/**
 * How a command fails (docs/operations.md "Exit codes and errors"): one line on stderr,
 * `clearhouse[ command]: what went wrong`, never a stack trace for a problem of the input or the
 * surroundings, and an exit code that says which kind of problem it was:
 *
 *   0  done
 *   1  done, and the result is negative: a file invalid or rejected, a signature refused
 *   2  usage or configuration: unknown command or option, bad argument, missing or unreadable file,
 *      malformed scheme configuration, DATABASE_URL / REDIS_URL that is not a URL of its kind
 *   3  a service the command needs cannot be used: the database unreachable, not existing, or
 *      refusing the login; Redis unreachable
 *   4  an internal error (a defect: please report it); CLEARHOUSE_DEBUG=1 prints its stack
 */
import { ConfigError } from '../config.ts';
import { isDatabaseUnavailable } from '../store/availability.ts';
import { errorCode } from '../store/database.ts';

export const EXIT = { ok: 0, negative: 1, usage: 2, unavailable: 3, internal: 4 } as const;

/** A failure the command has already put into words, with its exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** The URL without its password, fit to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

/** DATABASE_URL must be a postgres:// (or postgresql://) URL with a host; otherwise a usage error. */
export function checkDatabaseUrl(url: string): void {
  let parsed: URL | undefined;
  try { parsed = new URL(url); } catch { /* below */ }
  if (!parsed || !['postgres:', 'postgresql:'].includes(parsed.protocol) || !parsed.hostname) {
    throw new CliError('DATABASE_URL is not a PostgreSQL URL (postgres://user@host:port/database)', EXIT.usage);
  }
}

/** REDIS_URL must be a redis:// (or rediss://) URL with a host; otherwise a usage error. */
export function checkRedisUrl(url: string): void {
  let parsed: URL | undefined;
  try { parsed = new URL(url); } catch { /* below */ }
  if (!parsed || !['redis:', 'rediss:'].includes(parsed.protocol) || !parsed.hostname) {
    throw new CliError('REDIS_URL is not a Redis URL (redis://host:port)', EXIT.usage);
  }
}

/** SQLSTATEs of a database that is there but cannot be used: missing, or the login refused. */
const DATABASE_REFUSED_STATES = new Set(['3D000', '28P01', '28000', '42501']);

/** The database at `url` failed to open: a CliError (exit 3) when it cannot be used, else `error` itself. */
export function databaseOpenFailure(url: string, error: unknown): unknown {
  const code = errorCode(error);
  const unusable = isDatabaseUnavailable(error) || (code !== undefined && (DATABASE_REFUSED_STATES.has(code) || code === 'ENOTFOUND'));
  if (!unusable) return error;
  return new CliError(`cannot use the database ${redactUrl(url)}: ${messageOf(error)}`, EXIT.unavailable, { cause: error });
}

/** An error's message; a dual-stack connect's AggregateError has none of its own. */
export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message.split('\n')[0]!;
  const inner = (error as { errors?: unknown[] }).errors?.[0];
  return inner !== undefined ? messageOf(inner) : errorCode(error) ?? error.name;
}

const FILE_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP']);

/** The line and exit code for an error a command threw. */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  if (error instanceof CliError) return { line: error.message, exitCode: error.exitCode };
  if (error instanceof ConfigError) return { line: error.message, exitCode: EXIT.usage };
  const code = errorCode(error);
  if (code !== undefined && FILE_CODES.has(code)) return { line: messageOf(error), exitCode: EXIT.usage };
  if (isDatabaseUnavailable(error)) return { line: `a service cannot be reached: ${messageOf(error)}`, exitCode: EXIT.unavailable };
  const debug = process.env.CLEARHOUSE_DEBUG === '1';
  return {
    line: `internal error: ${messageOf(error)}${debug && error instanceof Error && error.stack ? `\n${error.stack}` : ' (CLEARHOUSE_DEBUG=1 prints the stack)'}`,
    exitCode: EXIT.internal,
  };
}
