/**
 * The SFTP connector (docs/scheme-rules.md "Transport and signatures", docs/connectors.md): one SFTP mailbox per participant on
 * the scheme's SFTP server, with the folders
 *
 *   inbound/   the bank uploads FILE and FILE.p7s here; the switch picks up complete pairs only
 *   outbound/  the switch delivers FILE and FILE.p7s here (data first, then its signature)
 *   archive/   the switch moves picked-up inbound pairs here once they are stored (acknowledge), the
 *              data file's modification time set to that moment (a restore re-reads by it)
 *
 * Writers (both sides) upload under a temporary name (`NAME.part`) and rename, so a reader never sees
 * half a file. Readers ignore names starting with '.' or ending in `.part` / `.tmp`, and a data file
 * whose `.p7s` has not arrived yet: the pair is complete when both are there, in either order.
 *
 * Security: each mailbox is its own SSH account with its own private key, and the server's host key
 * is pinned by its SHA-256 fingerprint (as `ssh-keygen -lf` prints it); a server presenting any other
 * key is refused before authentication (HostKeyMismatchError, never retried).
 *
 * Robustness: one SSH connection per mailbox, reused for every step and reopened when lost; every
 * step (connect + operation) has a timeout and is retried with exponential backoff within bounded
 * attempts and total time (limits.sftp). Every step is idempotent, so a retry after a lost answer is
 * harmless: uploads overwrite the same `.part` and posix-rename onto the same deterministic name (a
 * plain SFTP rename cannot overwrite on OpenSSH), archiving a file that is already archived is a no-op.
 * When a mailbox stays unreachable through all attempts, its circuit opens for limits.sftp.circuitOpenMs
 * and steps for it fail at once; the outbox retries deliveries later with its own backoff.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import type { Connector, InboundFile, OutboundFile } from './connector.ts';
import type { FileBody } from '../switch/engine/transport.ts';
import { limits } from '../switch/limits.ts';
import { silentLogger, toLogger, type LogSink, type Logger } from '../switch/log.ts';

export interface SftpMailbox {
  /** The participant (BIC) this mailbox belongs to: the authenticated sender of what it uploads. */
  readonly participant: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** The switch's private key for this account (OpenSSH or PEM format). */
  readonly privateKey: string | Buffer;
  /** The server's host key fingerprint, `SHA256:<base64>` as printed by `ssh-keygen -lf`. */
  readonly hostKeySha256: string;
  /** The mailbox's folder on the server (default '/', i.e. the chroot of the account). */
  readonly directory?: string;
}

export type SftpLimits = { readonly [K in keyof typeof limits.sftp]: number };

export interface SftpConnectorOptions {
  readonly mailboxes: readonly SftpMailbox[];
  /** Overrides of limits.sftp (tests use shorter retries). */
  readonly limits?: Partial<SftpLimits>;
  /** One record per notable event (reconnects, retries, refusals). Default: silent. */
  readonly log?: LogSink;
}

/** A transient transport failure (connection lost, timeout, short upload): the step is retried. */
export class SftpTransientError extends Error {
  override readonly name = 'SftpTransientError';
}

/** The bytes streamed to a mailbox were not the ones recorded for the message: never retried here. */
export class SftpContentError extends Error {
  override readonly name = 'SftpContentError';
}

/** The mailbox could not be reached within the bounded attempts, or its circuit is open. */
export class SftpUnavailableError extends Error {
  override readonly name = 'SftpUnavailableError';
}

/** The server presented a host key other than the pinned one: never retried, never authenticated. */
export class HostKeyMismatchError extends Error {
  override readonly name = 'HostKeyMismatchError';
}

/** One SSH connection; `lost` once the client reports an error, end or close. */
class Session {
  lost = false;
  readonly client: SftpClient;
  constructor(name: string) {
    const mark = (): void => { this.lost = true; };
    this.client = new SftpClient(name, { error: mark, end: mark, close: mark });
  }
}

interface InboundHandle {
  readonly participant: string;
  readonly name: string;
}

type Side = 'inbound' | 'outbound' | 'archive';

/** OpenSSH-style fingerprint of a raw SSH public key blob: `SHA256:` + unpadded base64. */
export function hostKeyFingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Names a reader never picks up: hidden, or still being written. */
export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.part') || name.endsWith('.tmp');
}

export class SftpConnector implements Connector {
  private readonly boxes = new Map<string, SftpMailbox>();
  private readonly sessions = new Map<string, Session>();
  /** Per mailbox: the tail of its step chain (steps on one connection run one at a time). */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Per mailbox: until when its circuit is open (ms since epoch). */
  private readonly openUntil = new Map<string, number>();
  private readonly limits: SftpLimits;
  private readonly log: Logger;
  private closed = false;

  constructor(options: SftpConnectorOptions) {
    for (const box of options.mailboxes) {
      if (this.boxes.has(box.participant)) throw new Error(`SftpConnector: two mailboxes for ${box.participant}`);
      this.boxes.set(box.participant, box);
    }
    this.limits = { ...limits.sftp, ...options.limits };
    this.log = options.log === undefined ? silentLogger : toLogger(options.log).child({ component: 'sftp' });
  }

  async receive(participant: string): Promise<InboundFile[]> {
    const box = this.mailbox(participant);
    const inbound = this.path(box, 'inbound');
    const listing = await this.step(box, 'list inbound/', (c) => c.list(inbound));
    // Regular files only ('-'): a subdirectory, link or special file in inbound/ is left alone.
    const names = new Set(listing.filter((entry) => entry.type === '-').map((entry) => entry.name));
    const complete = [...names]
      .filter((name) => !isTemporaryName(name) && !name.endsWith('.p7s') && names.has(`${name}.p7s`))
      .sort()
      .slice(0, this.limits.receiveFilesMax);
    const files: InboundFile[] = [];
    for (const name of complete) {
      let bytes: Uint8Array;
      let signature: Uint8Array;
      try {
        bytes = await this.step(box, `download ${name}`, (c) => download(c, posix.join(inbound, name)));
        signature = await this.step(box, `download ${name}.p7s`, (c) => download(c, posix.join(inbound, `${name}.p7s`)));
      } catch (error) {
        if (!isServerStatus(error)) throw error;
        // Gone or unreadable since the listing (the bank removed or replaced it): next time, if at all.
        this.log.warn({ participant, fileName: name, err: error }, 'inbound file not readable now; left for the next poll');
        continue;
      }
      const handle: InboundHandle = { participant, name };
      files.push({ sender: participant, fileName: name, bytes, signature, handle });
    }
    return files;
  }

  /**
   * Moves the data file, then its signature, from inbound/ to archive/. Idempotent: a file no longer
   * in inbound/ counts as archived. When archive/ already holds that name (the bank sent the same name
   * again), the pair is archived as `NAME.dup-<time>` and `NAME.dup-<time>.p7s`, so nothing is lost.
   */
  async acknowledge(file: InboundFile): Promise<void> {
    const handle = file.handle as InboundHandle;
    const box = this.mailbox(handle.participant);
    const archivedAs = await this.archive(box, handle.name, handle.name);
    await this.archive(box, `${handle.name}.p7s`, `${archivedAs}.p7s`);
  }

  /**
   * Uploads the data file, then its signature, each as `NAME.part`, checks the remote size and
   * posix-renames it onto its final name (atomic; a retry overwrites the same name, never a copy).
   * The signature lands after the data: a reader waits for the pair.
   */
  async deliver(file: OutboundFile): Promise<void> {
    const box = this.mailbox(file.recipient);
    checkName(file.fileName);
    await this.upload(box, file.fileName, file);
    if (file.signature) await this.upload(box, `${file.fileName}.p7s`, { bytes: file.signature });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.chains.values()]);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => endSession(s)));
  }

  // --- steps ------------------------------------------------------------------------------------

  /**
   * A body given whole is put from its buffer; content is streamed (each attempt reads it anew), and a
   * failure of the content itself (bytes other than recorded) fails the delivery at once, never retried
   * and without opening the circuit: the `.part` is left, never renamed.
   */
  private async upload(box: SftpMailbox, name: string, body: FileBody): Promise<void> {
    const outbound = this.path(box, 'outbound');
    const temporary = posix.join(outbound, `${name}.part`);
    const content = body.content;
    const size = content ? content.size : body.bytes!.byteLength;
    await this.step(box, `upload ${name}`, async (c) => {
      if (content) {
        let failed: Error | undefined;
        const source = Readable.from((async function* () {
          try {
            for await (const chunk of content.chunks()) yield chunk;
          } catch (error) {
            failed = error as Error;
            throw error;
          }
        })(), { objectMode: false });
        try {
          await c.put(source, temporary);
        } catch (error) {
          throw failed ? new SftpContentError(failed.message, { cause: failed }) : error;
        }
        if (failed) throw new SftpContentError(failed.message, { cause: failed });
      } else {
        const bytes = body.bytes!;
        await c.put(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), temporary);
      }
      const stat = await c.stat(temporary);
      if (stat.size !== size) {
        throw new SftpTransientError(`${temporary} has ${stat.size} bytes on the server, ${size} were sent`);
      }
      await c.posixRename(temporary, posix.join(outbound, name));
    });
  }

  /** Archives inbound/`from` as archive/`to` (or a unique variant); returns the name used. */
  private archive(box: SftpMailbox, from: string, to: string): Promise<string> {
    const source = posix.join(this.path(box, 'inbound'), from);
    const archive = this.path(box, 'archive');
    return this.step(box, `archive ${from}`, async (c) => {
      // The file's time becomes the moment it is archived, on the switch's clock (SFTP shows no change
      // time): a restore re-reads what was archived after its backup by this time (archivedSince).
      // A retried step finds the file gone from inbound/: nothing to set.
      await setModifyTime(c, source, new Date()).catch((error: unknown) => { if (!isServerStatus(error)) throw error; });
      try {
        await c.rename(source, posix.join(archive, to));
        return to;
      } catch (error) {
        if (!isServerStatus(error)) throw error;
        if ((await c.exists(source)) === false) return to; // archived before (a retried acknowledge)
        if ((await c.exists(posix.join(archive, to))) === false) throw error;
        const unique = `${to.replace(/\.p7s$/, '')}.dup-${new Date().toISOString().replace(/[-:.]/g, '')}${to.endsWith('.p7s') ? '.p7s' : ''}`;
        await c.rename(source, posix.join(archive, unique));
        this.log.warn({ participant: box.participant, fileName: from, archivedAs: unique }, 'archive already holds that name; archived under a unique name');
        return unique;
      }
    });
  }

  // --- after a restore (connectors/reread.ts) ---------------------------------------------------

  /**
   * Inbound data files in archive/ archived at or after `since`: their time is set by acknowledge to
   * the moment they were archived, on the switch's clock. SFTP carries whole seconds, so `since` is
   * taken down to its second (a file archived in the second before it is a candidate too; the restore
   * keeps only those whose bytes the store lacks). Not `.p7s` signatures, not temporary names.
   */
  async archivedSince(participant: string, since: Date): Promise<string[]> {
    const box = this.mailbox(participant);
    const archive = this.path(box, 'archive');
    const from = Math.floor(since.getTime() / 1000) * 1000;
    const listing = await this.step(box, 'list archive/', async (c) => ((await c.exists(archive)) === 'd' ? c.list(archive) : []));
    return listing
      .filter((entry) => entry.type === '-' && !isTemporaryName(entry.name) && !entry.name.endsWith('.p7s') && entry.modifyTime >= from)
      .map((entry) => entry.name)
      .sort();
  }

  /** An archived file's bytes. */
  readArchived(participant: string, name: string): Promise<Uint8Array> {
    const box = this.mailbox(participant);
    return this.step(box, `download archive/${name}`, (c) => download(c, posix.join(this.path(box, 'archive'), name)));
  }

  /**
   * Moves an archived pair back to inbound/ (the signature first, then the data file) under the name
   * the bank gave it (a `NAME.dup-<time>` archived twin goes back as NAME), to be read again; false,
   * and nothing moved, when inbound/ already holds that name or its signature.
   */
  unarchive(participant: string, name: string): Promise<boolean> {
    const box = this.mailbox(participant);
    const archive = this.path(box, 'archive');
    const inbound = this.path(box, 'inbound');
    const original = name.replace(DUPLICATE_SUFFIX, '');
    return this.step(box, `unarchive ${name}`, async (c) => {
      if ((await c.exists(posix.join(inbound, original))) !== false || (await c.exists(posix.join(inbound, `${original}.p7s`))) !== false) {
        // A retried step whose first attempt moved the pair: the data file is no longer in archive/.
        return (await c.exists(posix.join(archive, name))) === false;
      }
      if ((await c.exists(posix.join(archive, `${name}.p7s`))) === '-') await c.rename(posix.join(archive, `${name}.p7s`), posix.join(inbound, `${original}.p7s`));
      await c.rename(posix.join(archive, name), posix.join(inbound, original));
      return true;
    });
  }

  /**
   * One idempotent step on a mailbox's connection: connect if needed, run `operation` within the
   * operation timeout, and on a transient failure drop the connection, back off and try again, within
   * limits.sftp.attemptsMax attempts and retryTotalMsMax. Steps on one mailbox run one at a time.
   */
  private step<T>(box: SftpMailbox, what: string, operation: (client: SftpClient) => Promise<T>): Promise<T> {
    const previous = this.chains.get(box.participant) ?? Promise.resolve();
    const run = previous.then(() => this.attempts(box, what, operation), () => this.attempts(box, what, operation));
    this.chains.set(box.participant, run.catch(() => {}));
    return run;
  }

  private async attempts<T>(box: SftpMailbox, what: string, operation: (client: SftpClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('SftpConnector is closed');
    const L = this.limits;
    const openUntil = this.openUntil.get(box.participant) ?? 0;
    if (Date.now() < openUntil) {
      throw new SftpUnavailableError(`sftp ${box.participant}: ${what}: mailbox unreachable, circuit open for ${openUntil - Date.now()} ms more`);
    }
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await withTimeout(this.connection(box).then((c) => operation(c)), L.operationTimeoutMs, `${what} on ${box.participant}`);
        this.openUntil.delete(box.participant);
        return result;
      } catch (error) {
        if (!isTransient(error)) throw error;
        this.drop(box);
        const delay = Math.min(L.retryBaseDelayMs * 2 ** (attempt - 1), L.retryDelayMaxMs);
        const message = (error as Error).message;
        if (attempt >= L.attemptsMax || Date.now() - started + delay > L.retryTotalMsMax || this.closed) {
          this.openUntil.set(box.participant, Date.now() + L.circuitOpenMs);
          this.log.error({ participant: box.participant, step: what, attempts: attempt, circuitOpenMs: L.circuitOpenMs, err: error },
            `sftp step failed after ${attempt} attempts (${message}); circuit open`);
          throw new SftpUnavailableError(`sftp ${box.participant}: ${what} failed after ${attempt} attempts: ${message}`, { cause: error });
        }
        this.log.warn({ participant: box.participant, step: what, attempt, retryInMs: delay, err: error }, `sftp step attempt failed (${message}); retrying`);
        await sleep(delay);
      }
    }
  }

  /** The mailbox's open connection, or a new one (host key checked against the pinned fingerprint). */
  private async connection(box: SftpMailbox): Promise<SftpClient> {
    const existing = this.sessions.get(box.participant);
    if (existing && !existing.lost) return existing.client;
    if (existing) this.drop(box);
    const session = new Session(`clearhouse-${box.participant}`);
    const client = session.client;
    const expected = normaliseFingerprint(box.hostKeySha256);
    let presented: string | undefined;
    try {
      await client.connect({
        host: box.host, port: box.port, username: box.username, privateKey: box.privateKey,
        readyTimeout: this.limits.readyTimeoutMs,
        keepaliveInterval: this.limits.keepaliveIntervalMs, keepaliveCountMax: this.limits.keepaliveCountMax,
        hostVerifier: (key: Buffer): boolean => {
          const fingerprint = hostKeyFingerprint(key);
          if (fingerprint === expected) return true;
          presented = fingerprint;
          return false;
        },
      });
    } catch (error) {
      destroy(session);
      if (presented !== undefined) {
        this.log.error({ participant: box.participant, presented, expected }, 'host key is not the pinned one: refused');
        throw new HostKeyMismatchError(`sftp ${box.participant}: ${box.host}:${box.port} presented host key ${presented}, expected ${expected}`);
      }
      throw error;
    }
    this.sessions.set(box.participant, session);
    this.log.info({ participant: box.participant, host: box.host, port: box.port, username: box.username }, 'connected');
    return client;
  }

  /** Forget the mailbox's connection (closing it hard): the next step reconnects. */
  private drop(box: SftpMailbox): void {
    const session = this.sessions.get(box.participant);
    if (!session) return;
    this.sessions.delete(box.participant);
    destroy(session);
  }

  private mailbox(participant: string): SftpMailbox {
    const box = this.boxes.get(participant);
    if (!box) throw new Error(`SftpConnector: no SFTP mailbox for ${participant}`);
    return box;
  }

  private path(box: SftpMailbox, side: Side): string {
    return posix.join(box.directory ?? '/', side);
  }
}

// --- helpers -------------------------------------------------------------------------------------

/** The suffix acknowledge gives a pair archived under a name archive/ already held. */
const DUPLICATE_SUFFIX = /\.dup-\d{8}T\d{9}Z$/;

/** Sets a file's modification (and access) time: ssh2's SFTP `utimes`, which ssh2-sftp-client does not wrap. */
function setModifyTime(client: SftpClient, path: string, at: Date): Promise<void> {
  const sftp = (client as unknown as { sftp?: { utimes(path: string, atime: Date, mtime: Date, callback: (error?: Error | null) => void): void } }).sftp;
  if (!sftp) return Promise.reject(new SftpTransientError('no SFTP channel (connection lost)'));
  return new Promise((resolve, reject) => sftp.utimes(path, at, at, (error) => (error ? reject(error) : resolve())));
}

async function download(client: SftpClient, path: string): Promise<Uint8Array> {
  const data = await client.get(path);
  if (!Buffer.isBuffer(data)) throw new Error(`download ${path}: no data`);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** An outbound name must stay inside outbound/ and be visible to readers. */
function checkName(name: string): void {
  if (name === '' || name.includes('/') || name.includes('\\') || isTemporaryName(name) || name.endsWith('.p7s')) {
    throw new Error(`SftpConnector: ${JSON.stringify(name)} is not a deliverable file name`);
  }
}

/** An SFTP status answered by the server (no such file, permission denied, failure): not transient. */
function isServerStatus(error: unknown): boolean {
  return typeof (error as { code?: unknown } | undefined)?.code === 'number';
}

/**
 * Transient: lost or refused connections, timeouts, short uploads. Not transient: the server's SFTP
 * status answers, a wrong host key, refused authentication, and our own programming errors.
 */
function isTransient(error: unknown): boolean {
  if (error instanceof SftpTransientError) return true;
  if (error instanceof HostKeyMismatchError || error instanceof SftpUnavailableError || error instanceof SftpContentError) return false;
  if (!(error instanceof Error) || isServerStatus(error)) return false;
  if (/authentication methods failed|not a deliverable file name|no SFTP mailbox/i.test(error.message)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || /timed out|timeout|connect|connection|socket|closed|end event|close event|reset/i.test(error.message);
}

function normaliseFingerprint(text: string): string {
  const trimmed = text.trim().replace(/=+$/, '');
  return trimmed.startsWith('SHA256:') ? trimmed : `SHA256:${trimmed}`;
}

function destroy(session: Session): void {
  session.lost = true;
  // ssh2-sftp-client keeps the ssh2 Client as `client`; destroy() closes the socket at once, where
  // end() would wait for a polite close that a dead link never answers.
  const ssh = (session.client as unknown as { client?: { destroy?: () => void } }).client;
  try {
    ssh?.destroy?.();
  } catch {
    // already gone
  }
  (session.client as unknown as { sftp?: unknown }).sftp = undefined;
}

async function endSession(session: Session): Promise<void> {
  if (session.lost) return destroy(session);
  await withTimeout(session.client.end(), 5_000, 'close').catch(() => destroy(session));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => {}); // when the timeout wins, the late rejection must not go unhandled
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SftpTransientError(`${what}: no answer within ${ms} ms (timeout)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
