/**
 * The queue connector on BullMQ/Redis (docs/scheme-rules.md "Transport and signatures", docs/connectors.md "Queues"). Each
 * participant has two queues under the prefix (default `clearhouse`, keys `clearhouse:in-<BIC>:*`):
 *
 *   in-<BIC>   the bank produces, the switch consumes (QueueConnector.receive/acknowledge)
 *   out-<BIC>  the switch produces (QueueConnector.deliver), the bank consumes (BankQueueClient)
 *
 * A job carries one file: `{ fileName, bytes (base64), signature? (base64), sha256 }`; its id is
 * derived from the file name (`fileJobId`), so producing the same file twice leaves one job (BullMQ
 * ignores an add whose job id exists, for as long as the job is kept).
 *
 * Receiving is two-phase with manual fetching: `receive` moves waiting jobs to active under a lock
 * (worker.getNextJob with a fresh token per job) and renews those locks while the switch stores the
 * files; `acknowledge` completes the job (job.moveToCompleted). Nothing else removes an inbound job.
 * A switch that crashes (or never acknowledges within `holdMsMax`) stops renewing, the lock expires,
 * BullMQ's stalled-job check puts the job back in the queue, and the next receive hands it out
 * again: intake answers the same bytes as a replay, so at-least-once delivery plus the idempotent
 * intake is effectively once. A file that stalls more than `maxStalledCount` times (it crashes every
 * switch that takes it) is failed and becomes a dead letter (connectors/dead-letters.ts).
 *
 * Delivery is at least once with retries on the consumer side: each out-<BIC> job has `attempts` and
 * exponential backoff; a bank consumer that keeps failing exhausts them and the job is failed, which
 * the dead-letter recorder stores for operators.
 *
 * The sender of an inbound file is the participant whose queue it came from: the queue is the
 * authenticated channel (per-bank Redis ACLs restrict who may write `in-<BIC>`), and intake checks
 * the BAH From / InstgAgt against it as for every connector.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { limits } from '../switch/limits.ts';
import { isBic } from '../switch/iso/bic.ts';
import type { Connector, InboundFile, OutboundFile } from './connector.ts';
import { bodyBytes } from '../switch/engine/transport.ts';

/** Limits of the queue transport, named once with their reasons. */
export const queueLimits = {
  /** Attempts of a delivered job before it is failed (a dead letter): 1 s, 2 s, 4 s … ≈ 17 minutes of
   * a bank's consumer failing, comparable to the outbox's own retry span for other connectors. */
  deliveryAttemptsMax: 10,
  deliveryBackoffMs: 1_000,
  /** Lock on a received job. The connector renews it every half lock while the switch stores the file,
   * so this only bounds how long a crashed switch keeps a file from the next consumer. */
  lockDurationMs: 30_000,
  /** How often each consumer looks for jobs whose lock expired (BullMQ default). */
  stalledIntervalMs: 30_000,
  /** Longest time a received file is held unacknowledged before the connector stops renewing its lock
   * and lets it return to the queue (a switch stuck on one file must not keep it forever). */
  holdMsMax: 10 * 60_000,
  /** Times a received file may return to the queue through a crash before it is failed: a file that
   * takes down five switch processes in a row is a poison message for operators, not for a sixth. */
  inboundStalledCountMax: 5,
  /** Files one receive() call takes from one participant's queue; bounds memory per call. */
  receiveBatchMax: 100,
  /** Files held (received, not yet acknowledged) across all participants, each with a renewed lock. */
  heldCountMax: 1_000,
  /** Completed jobs are kept this long (and at most this many per queue), so producing a file again
   * (a dispatcher retry after a crash, a bank re-sending) is recognised by its job id. */
  keepCompletedSeconds: 7 * 24 * 3600,
  keepCompletedCountMax: 10_000,
  /** Failed jobs stay in Redis for inspection and manual retry; the dead_letters table keeps them for good. */
  keepFailedSeconds: 35 * 24 * 3600,
  /** How long close() waits to put held files back in their queues before it lets their locks expire. */
  closeReleaseMsMax: 5_000,
  /** File names travel in job ids and the database; 255 is the usual file-system bound. */
  fileNameLengthMax: 255,
  /** Largest file carried: the switch's inbound bound (base64 makes it 4/3 larger in Redis). */
  fileSizeBytesMax: limits.fileSizeBytesMax,
  signatureBytesMax: limits.signatureFileBytesMax,
} as const;

export const DEFAULT_PREFIX = 'clearhouse';
/** BullMQ job name of every file job. */
export const FILE_JOB = 'file';

/** What a job carries. Bytes and signature are base64; sha256 is the hex digest of the decoded bytes. */
export interface QueuePayload {
  readonly fileName: string;
  readonly bytes: string;
  readonly signature?: string;
  readonly sha256: string;
}

/** A file as it travels over a queue (either direction). */
export interface QueueFile {
  readonly fileName: string;
  readonly bytes: Uint8Array;
  readonly signature?: Uint8Array;
}

function checkBic(bic: string): string {
  if (!isBic(bic)) throw new Error(`queue connector: ${JSON.stringify(bic)} is not a BIC`);
  return bic;
}

export const inboundQueueName = (bic: string): string => `in-${checkBic(bic)}`;
export const outboundQueueName = (bic: string): string => `out-${checkBic(bic)}`;

/** The participant of a queue name (`in-<BIC>` / `out-<BIC>`), undefined for any other name. */
export function participantOfQueue(queueName: string): string | undefined {
  const match = /^(?:in|out)-(.+)$/.exec(queueName);
  return match && isBic(match[1]!) ? match[1] : undefined;
}

/**
 * The job id of a file: the same file name always gives the same id, so a second add is a no-op.
 * encodeURIComponent is injective and removes ':' (BullMQ refuses it in custom ids).
 */
export function fileJobId(fileName: string): string {
  return `file-${encodeURIComponent(checkFileName(fileName))}`;
}

function checkFileName(fileName: string): string {
  if (fileName.length === 0 || fileName.length > queueLimits.fileNameLengthMax || /[/\\\0]/.test(fileName)) {
    throw new Error(`queue connector: file name ${JSON.stringify(fileName.slice(0, 80))} is empty, too long or has a path separator`);
  }
  return fileName;
}

export function encodePayload(file: QueueFile): QueuePayload {
  checkFileName(file.fileName);
  if (file.bytes.length > queueLimits.fileSizeBytesMax) throw new Error(`queue connector: ${file.fileName} is larger than ${queueLimits.fileSizeBytesMax} bytes`);
  if (file.signature && file.signature.length > queueLimits.signatureBytesMax) throw new Error(`queue connector: signature of ${file.fileName} is too large`);
  const bytes = Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength);
  return {
    fileName: file.fileName,
    bytes: bytes.toString('base64'),
    ...(file.signature ? { signature: Buffer.from(file.signature).toString('base64') } : {}),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

export type DecodedPayload = { readonly ok: true; readonly file: QueueFile; readonly sha256: string } | { readonly ok: false; readonly reason: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Checks a job's data: a payload that is not well formed, too large or fails its digest is refused. */
export function decodePayload(data: unknown): DecodedPayload {
  if (typeof data !== 'object' || data === null) return { ok: false, reason: 'payload is not an object' };
  const { fileName, bytes, signature, sha256 } = data as Record<string, unknown>;
  if (typeof fileName !== 'string' || fileName.length === 0 || fileName.length > queueLimits.fileNameLengthMax || /[/\\\0]/.test(fileName)) {
    return { ok: false, reason: 'fileName is missing, too long or has a path separator' };
  }
  if (typeof bytes !== 'string' || !BASE64.test(bytes)) return { ok: false, reason: 'bytes is not base64' };
  if (bytes.length > Math.ceil(queueLimits.fileSizeBytesMax / 3) * 4) return { ok: false, reason: `file is larger than ${queueLimits.fileSizeBytesMax} bytes` };
  if (signature !== undefined && (typeof signature !== 'string' || !BASE64.test(signature) || signature.length > Math.ceil(queueLimits.signatureBytesMax / 3) * 4)) {
    return { ok: false, reason: 'signature is not base64 or too large' };
  }
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return { ok: false, reason: 'sha256 is not a hex SHA-256 digest' };
  const decoded = Buffer.from(bytes, 'base64');
  const actual = createHash('sha256').update(decoded).digest('hex');
  if (actual !== sha256) return { ok: false, reason: `sha256 mismatch: payload says ${sha256}, bytes hash to ${actual}` };
  return {
    ok: true, sha256,
    file: { fileName, bytes: new Uint8Array(decoded), ...(signature === undefined ? {} : { signature: new Uint8Array(Buffer.from(signature, 'base64')) }) },
  };
}

/** Job options of a produced file: deterministic id, retries with exponential backoff, retention. */
function fileJobOptions(fileName: string, attempts: number, backoffMs: number): JobsOptions {
  return {
    jobId: fileJobId(fileName),
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnComplete: { age: queueLimits.keepCompletedSeconds, count: queueLimits.keepCompletedCountMax },
    removeOnFail: { age: queueLimits.keepFailedSeconds },
  };
}

interface Retries {
  readonly attempts: number;
  readonly backoffMs: number;
}

interface Consumption {
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
}

/** A received job under our lock: the InboundFile handle. */
interface Held {
  readonly job: Job;
  readonly token: string;
  readonly receivedAtMs: number;
}

export interface QueueConnectorOptions {
  readonly connection: ConnectionOptions;
  /** Redis key prefix; tests use their own. */
  readonly prefix?: string;
  /** Attempts and first backoff delay of each delivered job (for the bank-side consumer). */
  readonly deliveryAttempts?: number;
  readonly deliveryBackoffMs?: number;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  readonly holdMsMax?: number;
  readonly inboundStalledCountMax?: number;
  readonly receiveBatchMax?: number;
  /** Connection errors and failed lock renewals (default: console.error). */
  readonly onError?: (error: unknown) => void;
}

export class QueueConnector implements Connector {
  private readonly prefix: string;
  private readonly retries: Retries;
  private readonly consumption: Consumption;
  private readonly holdMsMax: number;
  private readonly receiveBatchMax: number;
  private readonly workers = new Map<string, Promise<Worker>>();
  private readonly queues = new Map<string, Queue>();
  /** Received, not yet acknowledged, by lock token. */
  private readonly held = new Map<string, Held>();
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  private closed = false;

  constructor(private readonly options: QueueConnectorOptions) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.retries = { attempts: options.deliveryAttempts ?? queueLimits.deliveryAttemptsMax, backoffMs: options.deliveryBackoffMs ?? queueLimits.deliveryBackoffMs };
    this.consumption = { lockDurationMs: options.lockDurationMs ?? queueLimits.lockDurationMs, stalledIntervalMs: options.stalledIntervalMs ?? queueLimits.stalledIntervalMs };
    this.holdMsMax = options.holdMsMax ?? queueLimits.holdMsMax;
    this.receiveBatchMax = options.receiveBatchMax ?? queueLimits.receiveBatchMax;
  }

  /** Waiting files from the participant's in-queue, in the order the bank produced them. */
  async receive(participant: string): Promise<InboundFile[]> {
    this.assertOpen();
    const worker = await this.inboundWorker(participant);
    const files: InboundFile[] = [];
    try {
      while (files.length < this.receiveBatchMax && this.held.size < queueLimits.heldCountMax) {
        const file = await this.takeNext(worker, participant);
        if (file === undefined) break;
        if (file !== null) files.push(file);
      }
    } catch (error) {
      // Files already taken are held under our locks: hand them over rather than strand them.
      if (files.length === 0) throw error;
      this.reportError(error);
    } finally {
      if (this.held.size > 0) this.startRenewing();
    }
    return files;
  }

  /** The next waiting file (now held), null for a job failed instead, undefined when none is waiting. */
  private async takeNext(worker: Worker, participant: string): Promise<InboundFile | null | undefined> {
    const token = randomUUID();
    const job = await worker.getNextJob(token, { block: false });
    if (job === undefined) return undefined;
    if (job.deferredFailure) {
      // Stalled more than inboundStalledCountMax times: BullMQ asks the next taker to fail it.
      await job.moveToFailed(new UnrecoverableError(job.deferredFailure), token, false);
      return null;
    }
    const decoded = decodePayload(job.data);
    if (!decoded.ok) {
      // A malformed payload never becomes valid by retrying: straight to the dead letters.
      await job.moveToFailed(new UnrecoverableError(`refused payload: ${decoded.reason}`), token, false);
      return null;
    }
    const held: Held = { job, token, receivedAtMs: Date.now() };
    this.held.set(token, held);
    return { sender: participant, ...decoded.file, handle: held };
  }

  /**
   * Completes the file's job: it is stored, the queue may forget it. Idempotent: a job already
   * completed (an earlier acknowledge whose reply was lost) is fine. If the lock was lost (held past
   * `holdMsMax`, or a Redis restart outlived it) the job is back in the queue and this throws; the
   * next receive hands the file out again and intake answers it as a replay.
   */
  async acknowledge(file: InboundFile): Promise<void> {
    const held = file.handle as Held | undefined;
    if (!held || typeof held !== 'object' || !('token' in held) || !('job' in held)) throw new Error('queue connector: not a file from QueueConnector.receive');
    try {
      await held.job.moveToCompleted('stored', held.token, false);
    } catch (error) {
      const state = await held.job.getState().catch(() => undefined);
      if (state !== 'completed') {
        this.held.delete(held.token);
        throw new Error(`queue connector: ${file.fileName} was not acknowledged (job ${held.job.id} is ${state ?? 'unreachable'}); it will be received again and answered as a replay`, { cause: error });
      }
    }
    this.held.delete(held.token);
  }

  /** Adds the file to the recipient's out-queue; a second delivery of the same file name is a no-op. */
  async deliver(file: OutboundFile): Promise<void> {
    this.assertOpen();
    // A job carries the whole file (base64): a streamed body is read whole here, and checked as it is read.
    if (file.content && file.content.size > queueLimits.fileSizeBytesMax) throw new Error(`queue connector: ${file.fileName} is larger than ${queueLimits.fileSizeBytesMax} bytes`);
    const payload = encodePayload({ fileName: file.fileName, bytes: await bodyBytes(file), ...(file.signature ? { signature: file.signature } : {}) });
    await this.outboundQueue(file.recipient).add(FILE_JOB, payload, fileJobOptions(file.fileName, this.retries.attempts, this.retries.backoffMs));
  }

  /**
   * Stops renewing, puts held (unacknowledged) files back into their queues for the next consumer,
   * and closes the connections. A crash skips all this: the locks expire and the stalled check
   * recovers the files.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    // Bounded: with Redis unreachable the release would wait for a reconnect; the locks expire anyway.
    const release = Promise.allSettled([...this.held.values()].map((held) => held.job.moveToWait(held.token)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([release, new Promise((resolve) => { timer = setTimeout(resolve, queueLimits.closeReleaseMsMax); })]);
    clearTimeout(timer);
    this.held.clear();
    const workers = await Promise.allSettled(this.workers.values());
    for (const w of workers) if (w.status === 'fulfilled') await w.value.close();
    for (const queue of this.queues.values()) await queue.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('queue connector: closed');
  }

  /** One manual-fetch worker per participant in-queue, with its stalled-job check running. */
  private inboundWorker(participant: string): Promise<Worker> {
    const name = inboundQueueName(participant);
    let worker = this.workers.get(name);
    if (worker === undefined) {
      worker = this.openWorker(name);
      this.workers.set(name, worker);
      worker.catch(() => this.workers.delete(name));
    }
    return worker;
  }

  private async openWorker(name: string): Promise<Worker> {
    const worker = new Worker(name, null, {
      connection: this.options.connection, prefix: this.prefix, autorun: false,
      lockDuration: this.consumption.lockDurationMs, stalledInterval: this.consumption.stalledIntervalMs,
      maxStalledCount: this.options.inboundStalledCountMax ?? queueLimits.inboundStalledCountMax,
    });
    worker.on('error', (error) => this.reportError(error));
    await worker.waitUntilReady();
    await worker.startStalledCheckTimer();
    return worker;
  }

  private outboundQueue(recipient: string): Queue {
    const name = outboundQueueName(recipient);
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection: this.options.connection, prefix: this.prefix });
      queue.on('error', (error) => this.reportError(error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private startRenewing(): void {
    if (this.renewTimer !== undefined) return;
    this.renewTimer = setInterval(() => void this.renewLocks(), Math.max(1, Math.floor(this.consumption.lockDurationMs / 2)));
    this.renewTimer.unref();
  }

  /** Extends the lock of every held file; a file held past holdMsMax is let go (its lock expires). */
  private async renewLocks(): Promise<void> {
    if (this.renewing) return; // a pass may wait on a reconnecting Redis: never two at once
    this.renewing = true;
    try {
      const now = Date.now();
      for (const held of [...this.held.values()]) {
        if (this.closed) return;
        if (now - held.receivedAtMs > this.holdMsMax) {
          this.held.delete(held.token);
          continue;
        }
        const extended = await held.job.extendLock(held.token, this.consumption.lockDurationMs).catch((error: unknown) => {
          this.reportError(error);
          return 1; // unknown: keep trying on the next pass
        });
        if (extended === 0) this.held.delete(held.token); // the lock is gone: the job is back in the queue
      }
    } finally {
      this.renewing = false;
    }
  }

  private reportError(error: unknown): void {
    if (this.options.onError) this.options.onError(error);
    else console.error('queue connector:', error);
  }
}

// ---- the bank's side -----------------------------------------------------------------------

/** A file the bank took from its out-queue. */
export interface DeliveredFile extends QueueFile {
  readonly sha256: string;
  /** Failed attempts before this one (0 on the first delivery). */
  readonly attemptsMade: number;
}

export interface BankQueueClientOptions {
  readonly connection: ConnectionOptions;
  readonly bic: string;
  readonly prefix?: string;
  /** Attempts and backoff of files the bank produces (used if the switch ever fails one). */
  readonly attempts?: number;
  readonly backoffMs?: number;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * The bank's end of its two queues, for tests and the bank simulator: `send` produces into
 * in-<BIC>, `take` drains out-<BIC> once, `consume` runs a BullMQ worker whose failures BullMQ
 * retries with the job's backoff until its attempts are exhausted.
 */
export class BankQueueClient {
  private readonly prefix: string;
  private inQueue: Queue | undefined;
  private fetcher: Promise<Worker> | undefined;
  private readonly consumers: Worker[] = [];

  constructor(private readonly options: BankQueueClientOptions) {
    checkBic(options.bic);
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
  }

  async send(file: QueueFile): Promise<void> {
    this.inQueue ??= this.listen(new Queue(inboundQueueName(this.options.bic), { connection: this.options.connection, prefix: this.prefix }));
    await this.inQueue.add(FILE_JOB, encodePayload(file),
      fileJobOptions(file.fileName, this.options.attempts ?? 1, this.options.backoffMs ?? queueLimits.deliveryBackoffMs));
  }

  /** Takes up to `max` waiting files and completes their jobs; a corrupt payload is failed instead. */
  async take(max = queueLimits.receiveBatchMax): Promise<DeliveredFile[]> {
    this.fetcher ??= this.openFetcher();
    const worker = await this.fetcher;
    const files: DeliveredFile[] = [];
    for (let count = 0; count < max; count++) {
      const token = randomUUID();
      const job = await worker.getNextJob(token, { block: false });
      if (job === undefined) break;
      const decoded = decodePayload(job.data);
      if (!decoded.ok) {
        await job.moveToFailed(new UnrecoverableError(`refused payload: ${decoded.reason}`), token, false);
        continue;
      }
      const attemptsMade = job.attemptsMade; // moveToCompleted counts the completion as an attempt
      await job.moveToCompleted('taken', token, false);
      files.push({ ...decoded.file, sha256: decoded.sha256, attemptsMade });
    }
    return files;
  }

  /** Runs `handler` for each delivered file; a throw fails this attempt and BullMQ retries with backoff. */
  async consume(handler: (file: DeliveredFile) => Promise<void>): Promise<void> {
    const worker = new Worker(outboundQueueName(this.options.bic), async (job: Job) => {
      const decoded = decodePayload(job.data);
      if (!decoded.ok) throw new UnrecoverableError(`refused payload: ${decoded.reason}`);
      await handler({ ...decoded.file, sha256: decoded.sha256, attemptsMade: job.attemptsMade });
    }, {
      connection: this.options.connection, prefix: this.prefix, concurrency: 1,
      lockDuration: this.options.lockDurationMs ?? queueLimits.lockDurationMs, stalledInterval: this.options.stalledIntervalMs ?? queueLimits.stalledIntervalMs,
    });
    this.consumers.push(this.listen(worker));
    await worker.waitUntilReady();
  }

  async close(): Promise<void> {
    for (const worker of this.consumers) await worker.close();
    if (this.fetcher) await (await this.fetcher).close();
    await this.inQueue?.close();
  }

  private async openFetcher(): Promise<Worker> {
    const worker = this.listen(new Worker(outboundQueueName(this.options.bic), null, {
      connection: this.options.connection, prefix: this.prefix, autorun: false,
      lockDuration: this.options.lockDurationMs ?? queueLimits.lockDurationMs, stalledInterval: this.options.stalledIntervalMs ?? queueLimits.stalledIntervalMs,
    }));
    await worker.waitUntilReady();
    await worker.startStalledCheckTimer();
    return worker;
  }

  private listen<T extends Queue | Worker>(emitter: T): T {
    (emitter as Queue).on('error', (error: Error) => {
      if (this.options.onError) this.options.onError(error);
      else console.error(`bank queue client ${this.options.bic}:`, error);
    });
    return emitter;
  }
}

// ---- after a restore (connectors/reread.ts) ------------------------------------------------

export interface ReofferResult {
  /** Files moved from completed back to waiting in in-<BIC>, to be received again. */
  readonly reoffered: readonly string[];
  /**
   * When BullMQ may already have removed jobs completed after `since` (kept keepCompletedSeconds, at
   * most keepCompletedCountMax per queue): the finishedOn of the oldest job still kept. What the
   * participant sent after `since` and before this moment, the switch can no longer re-offer.
   */
  readonly keptSince?: Date;
}

/**
 * Files the switch received from `bic` and acknowledged at or after `since` (a job's finishedOn, set
 * by the switch's clock when it completed the job) whose bytes `held` says the restored store lacks
 * are moved back to waiting (job.retry('completed')): the next receive takes them as new files. A job
 * that is not a well-formed file (never stored, failed not completed) is never among them.
 */
export async function reofferCompletedSince(options: { readonly connection: ConnectionOptions; readonly prefix?: string }, bic: string, since: Date,
  held: (sha256s: readonly string[]) => Promise<Set<string>>): Promise<ReofferResult> {
  const queue = new Queue(inboundQueueName(bic), { connection: options.connection, prefix: options.prefix ?? DEFAULT_PREFIX });
  queue.on('error', () => {}); // a failing call rejects below
  try {
    const candidates: Array<{ job: Job; fileName: string; sha256: string }> = [];
    let oldestKept: number | undefined;
    const page = 200;
    // Newest first (the completed set is ordered by finishedOn); stop at the first job before `since`.
    for (let start = 0, done = false; !done; start += page) {
      const jobs = await queue.getJobs(['completed'], start, start + page - 1, false);
      for (const job of jobs) {
        const finishedOn = job.finishedOn ?? 0;
        oldestKept = finishedOn;
        if (finishedOn < since.getTime()) { done = true; break; }
        const decoded = decodePayload(job.data);
        if (decoded.ok) candidates.push({ job: job as Job, fileName: decoded.file.fileName, sha256: decoded.sha256 });
      }
      if (jobs.length < page) done = true;
    }
    const stored = await held(candidates.map((c) => c.sha256));
    const reoffered: string[] = [];
    // Oldest first, so the files wait in the order the participant produced them.
    for (const c of candidates.reverse()) {
      if (stored.has(c.sha256)) continue;
      await c.job.retry('completed');
      reoffered.push(c.fileName);
    }
    // Every job completed since `since` is still kept if one older than it is, or none was ever removed.
    const total = await queue.getCompletedCount();
    const mayHaveLost = (oldestKept === undefined || oldestKept >= since.getTime())
      && (total + reoffered.length >= queueLimits.keepCompletedCountMax || Date.now() - since.getTime() > queueLimits.keepCompletedSeconds * 1000);
    return { reoffered, ...(mayHaveLost ? { keptSince: new Date(oldestKept ?? Date.now()) } : {}) };
  } finally {
    await queue.close();
  }
}
