/**
 * One process at a time on an embedded (PGlite) store (docs/operations.md "One writer on the embedded
 * store"). PGlite is PostgreSQL compiled to WebAssembly inside one process: two processes opening one
 * data directory each believe they own it, and corrupt it (an index that disagrees with its table,
 * every file answered twice). So opening takes `<directory>.lock`, created exclusively (O_EXCL) with
 * the owner's pid and its start time; a second process is refused with who holds it. A lock whose
 * process is gone (SIGKILL, a crash, a reboot) is stale and taken over: the pid is not running, or
 * is running but started at another time (a reused pid, Linux /proc). Reading commands take the lock
 * too: PGlite cannot open a directory that another process is writing, even to read.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { processStartedAt } from '../clock.ts';

export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';
}

interface LockOwner {
  readonly pid: number;
  /** /proc/<pid>/stat field 22 (clock ticks after boot), when the system has /proc. */
  readonly startTicks?: string;
  readonly host: string;
  readonly command: string;
  readonly since: string;
}

/** A process's start time in clock ticks after boot (Linux), undefined elsewhere or when it is gone. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function running(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // another machine's process (a shared volume): never assumed gone
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const ticks = startTicks(owner.pid);
  return owner.startTicks === undefined || ticks === undefined || ticks === owner.startTicks;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined; // gone meanwhile, or half written by a process killed while writing it
  }
}

/**
 * Takes the lock of the embedded store in `directory` for this process; returns its release. Throws
 * StoreLockedError when a running process holds it.
 */
export function lockEmbeddedStore(directory: string): () => void {
  const path = `${directory}.lock`;
  const me: LockOwner = {
    pid: process.pid, host: hostname(), command: process.argv.slice(2, 4).join(' '), since: processStartedAt().toISOString(),
    ...(startTicks(process.pid) === undefined ? {} : { startTicks: startTicks(process.pid)! }),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(path);
      if (owner && running(owner)) {
        throw new StoreLockedError(`the embedded store ${directory} is in use by process ${owner.pid} (clearhouse ${owner.command}, ` +
          `since ${owner.since}): one process at a time on the embedded store — stop it first, or use PostgreSQL (DATABASE_URL) ` +
          'for several processes (docs/operations.md)');
      }
      try { unlinkSync(path); } catch { /* another process took it over first: try again */ }
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    const release = (): void => {
      process.removeListener('exit', release);
      if (readOwner(path)?.pid === process.pid) {
        try { unlinkSync(path); } catch { /* already gone */ }
      }
    };
    process.on('exit', release);
    return release;
  }
  throw new StoreLockedError(`the embedded store ${directory}: its lock ${path} changed hands while this process tried to take it; try again`);
}
