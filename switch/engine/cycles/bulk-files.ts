/**
 * The bulk pacs.008 files of a settled cycle, one per receiving participant and currency, built from
 * byte spans of the stored inbound files.
 */
import { createHash } from 'node:crypto';
import { formatAmount } from '../../iso/amount.ts';
import { invariant } from '../../clearing/invariant.ts';
import { limits } from '../../limits.ts';
import type { Queryable } from '../../store/database.ts';
import { copyBinaryBytea } from '../../store/copy-binary.ts';
import { arrayLiteral } from '../../store/packed-columns.ts';
import { forwardableElement } from '../../validation/forward.ts';
import { transactionElementSpans } from '../../validation/pipeline.ts';
import type { ElementSpan } from '../../validation/scan.ts';
import { isoDateTime, nextMessageId, type EngineContext } from '../context.ts';
import { forwardedCreditTransfer } from '../outbound.ts';

/**
 * Settlement before delivery: one bulk pacs.008 per receiving participant and currency. Each
 * transaction is the element the sender sent, taken from the stored inbound file it came in (a
 * payment keeps its message and its transaction's index in it; the stored bytes never change): the
 * span validation found, copied as bytes when it is plain, else rewritten as forwardableElement does
 * at intake. The bytes are the UTF-8 of the group header built here, the transactions in acceptance
 * order joined by newlines, and the trailer: the same document forwardedCreditTransfer returns for
 * them. Each file is stored as its composition (migration 033, switch/engine/message-bytes.ts): the
 * header and trailer bytes and each transaction's inbound message and span, with the length and
 * SHA-256 of the bytes, computed here as they stream by; its bytes are never stored, and the dispatcher
 * composes them again while the connector writes them (docs/decisions.md). The inbound files are read
 * once each while they fit in limits.bulkSourceBytesMax. The group header's
 * IntrBkSttlmDt is the cycle's business date: the day the cycle settled for.
 */
export async function deliverBulkFiles(ctx: EngineContext, tx: Queryable, businessDate: string, files: readonly SettledFile[]): Promise<void> {
  const sources = new InboundSources(tx);
  for (const file of files) {
    const messages = file.messages.split(','), indexes = file.indexes.split(',');
    invariant(messages.length === file.count && indexes.length === file.count, `bulk file for ${file.creditor_agent}: payments do not match its count`);
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    // The document as forwardedCreditTransfer builds it, cut where its transactions go.
    const [head, tail, ...rest] = forwardedCreditTransfer({
      messageId, createdAt: isoDateTime(ctx.clock.now()), settlementDate: businessDate,
      currency: file.currency, totalText: formatAmount(file.total_minor, file.currency), count: file.count,
      instructingAgent: ctx.switchBic, instructedAgent: file.creditor_agent,
    }, [TRANSACTIONS_MARK]).split(TRANSACTIONS_MARK);
    invariant(head !== undefined && tail !== undefined && rest.length === 0, 'bulk file template without a single place for its transactions');
    // Stored as its composition (migration 033): the header and trailer built here and, per
    // transaction, where its element sits in its inbound file; the bytes are hashed as they would be
    // delivered (never joined into one buffer) for the length and SHA-256 every message records.
    // Consecutive transactions mostly come from the same inbound file (acceptance order): its spans
    // are looked up once per run of them, not awaited per transaction.
    const headBytes = Buffer.from(head, 'utf8'), tailBytes = Buffer.from(tail, 'utf8');
    const starts: number[] = new Array<number>(file.count), ends: number[] = new Array<number>(file.count), plain: boolean[] = new Array<boolean>(file.count);
    let sourceKey: string | undefined, spans: readonly (Span | undefined)[] = [];
    for (let i = 0; i < file.count; i++) {
      const key = messages[i]!, index = Number(indexes[i]);
      if (key !== sourceKey) {
        spans = (await sources.file(BigInt(key))).spans;
        sourceKey = key;
      }
      const span = spanAt(spans, key, index);
      starts[i] = span.start;
      ends[i] = span.end;
      plain[i] = span.plain;
    }
    const composition: Composition = { head: headBytes, tail: tailBytes, sources: messages, starts, ends, plain };
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of compositionChunks(composition, sources)) {
      hash.update(chunk);
      size += chunk.length;
    }
    const sha256 = hash.digest('hex');
    // Stored and queued as emit() does, the bytes left NULL: message_compositions determines them.
    const [stored] = await tx.query<{ id: bigint }>(
      `INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
       VALUES ('out', $1, 'pacs.008.001.08', $2, $3, $4, NULL) RETURNING id`, [file.creditor_agent, messageId, sha256, size]);
    // The arrays as their text literals, made here by joins (node-postgres' array serialiser quotes and
    // escapes every element), and cast by the server as before.
    await tx.query(`INSERT INTO message_compositions (message_id, head, tail, sources, starts, ends, plain)
                    VALUES ($1, $2, $3, $4::text::bigint[], $5::text::int[], $6::text::int[], $7::text::boolean[])`,
    [stored!.id, headBytes, tailBytes, `{${file.messages}}`, arrayLiteral(starts), arrayLiteral(ends), arrayLiteral(plain)]);
    await tx.query("INSERT INTO outbox (message_id, recipient, state, next_attempt_at) VALUES ($1, $2, 'PENDING', '-infinity')",
      [stored!.id, file.creditor_agent]);
  }
  if (files.length > 0) handOverInboundFiles(ctx.db, sources);
}

/** A bulk file's payments (settle.ts settledGroups): its recipient and currency, and its payments' inbound messages and indexes in acceptance order. */
export interface SettledFile {
  readonly creditor_agent: string;
  readonly currency: string;
  readonly count: number;
  readonly total_minor: bigint;
  /** Comma-separated row ids of the inbound messages, and the transactions' indexes in them. */
  readonly messages: string;
  readonly indexes: string;
}

/** A bulk file as stored (migration 033): element k is bytes [starts[k], ends[k]) of inbound message sources[k]. */
export interface Composition {
  readonly head: Uint8Array;
  readonly tail: Uint8Array;
  readonly sources: readonly (bigint | string)[];
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly plain: readonly boolean[];
}

/** Chunks a composition's bytes are made in: elements copied into buffers of about this size. */
export const COMPOSITION_CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/**
 * The bytes a composition stands for: its head, the transaction elements separated by newlines, its
 * tail, copied into chunks of about `chunkBytes` (a larger piece gets a chunk of its own size). The one
 * definition of a bulk file's layout: settlement hashes these chunks, and every reader composes them
 * (message-bytes.ts). Each chunk is a new buffer, the reader's to keep. The loop awaits only to read an
 * inbound file (when the source changes from one element to the next) and to hand over a full chunk:
 * an await and a view per element made 200,000 transactions cost more than hashing them.
 */
export async function* compositionChunks(composition: Composition, sources: InboundSources, chunkBytes = COMPOSITION_CHUNK_BYTES): AsyncGenerator<Buffer> {
  const count = composition.sources.length;
  let chunk = Buffer.allocUnsafe(Math.max(chunkBytes, composition.head.length));
  chunk.set(composition.head, 0);
  let at = composition.head.length;
  let sourceKey: bigint | string | undefined, bytes: Buffer | undefined;
  for (let k = 0; k < count; k++) {
    const key = composition.sources[k]!;
    if (key !== sourceKey || bytes === undefined) {
      bytes = (await sources.file(BigInt(key))).bytes;
      sourceKey = key;
    }
    const span = { start: composition.starts[k]!, end: composition.ends[k]!, plain: composition.plain[k]! };
    checkSpan(bytes, key, span);
    const rewritten = span.plain ? undefined : Buffer.from(forwardableElement(bytes, span), 'utf8');
    const length = (k > 0 ? 1 : 0) + (rewritten ? rewritten.length : span.end - span.start);
    if (at + length > chunk.length) {
      yield chunk.subarray(0, at);
      chunk = Buffer.allocUnsafe(Math.max(chunkBytes, length));
      at = 0;
    }
    if (k > 0) chunk[at++] = NEWLINE;
    at += rewritten ? rewritten.copy(chunk, at) : bytes.copy(chunk, at, span.start, span.end);
  }
  if (at + composition.tail.length > chunk.length) {
    yield chunk.subarray(0, at);
    chunk = Buffer.allocUnsafe(Math.max(chunkBytes, composition.tail.length));
    at = 0;
  }
  chunk.set(composition.tail, at);
  at += composition.tail.length;
  yield chunk.subarray(0, at);
}

/** Where a transaction element sits in its inbound file, and whether it is copied as is. */
type Span = Pick<ElementSpan, 'start' | 'end' | 'plain'>;

/**
 * Record where each transaction element of an accepted batch message sits in its stored bytes (in
 * intake's transaction), so that settlement need not scan the file again (migration 027).
 */
export async function recordTransactionSpans(tx: Queryable, messageRowId: bigint,
  transactions: readonly { readonly facts: { readonly index: number }; readonly span: Span | undefined }[]): Promise<void> {
  const count = transactions.reduce((n, t) => Math.max(n, t.facts.index + 1), 0);
  if (count === 0) return;
  const starts = new Array<number>(count).fill(-1), ends = new Array<number>(count).fill(-1), plain = new Array<boolean>(count).fill(false);
  for (const t of transactions) {
    if (!t.span) continue;
    starts[t.facts.index] = t.span.start;
    ends[t.facts.index] = t.span.end;
    plain[t.facts.index] = t.span.plain;
  }
  // Array literals, as for the compositions: 30,000 elements per 10,000-transaction file.
  await tx.query('INSERT INTO transaction_spans (message_id, starts, ends, plain) VALUES ($1, $2::text::int[], $3::text::int[], $4::text::boolean[])',
    [messageRowId, arrayLiteral(starts), arrayLiteral(ends), arrayLiteral(plain)]);
}

/**
 * The inbound files bulk files are built from, read when first needed with their transaction elements'
 * spans, and kept while their total stays within limits.bulkSourceBytesMax (least recently used
 * dropped). On PostgreSQL inside a transaction (settlement, the dispatcher) a file's bytes come by a
 * binary COPY, as stored; elsewhere (PGlite, a query outside a transaction) as base64 text
 * (node-postgres reads bytea as hex text, twice the volume and slower to decode). Reading 200,000
 * transactions' files as base64 took most of the settlement phase's CPU on both sides (docs/performance.md).
 */
export class InboundSources {
  private readonly held = new Map<bigint, HeldFile>();
  private readonly reading = new Map<bigint, Promise<HeldFile>>();
  private heldBytes = 0;
  /** Inbound files read so far (each read once while they fit in the budget). */
  reads = 0;

  /**
   * `withSpans` false: only span() is used (a composition names its spans), the recorded spans are not
   * read. `files`: inbound files already read (handed over by settlement, takeInboundFiles), held from the start.
   */
  constructor(private readonly tx: Queryable, private readonly budgetBytes: number = limits.bulkSourceBytesMax, private readonly withSpans = true,
    files?: ReadonlyMap<bigint, HeldFile>) {
    for (const [id, file] of files ?? []) {
      if (this.heldBytes + file.bytes.length > this.budgetBytes) break;
      this.held.set(id, file);
      this.heldBytes += file.bytes.length;
    }
  }

  /** The files held now (least recently used first): what handOverInboundFiles keeps for the dispatcher. */
  heldFiles(): ReadonlyMap<bigint, HeldFile> {
    return new Map(this.held);
  }

  /** The bytes of transaction `index` of inbound message `messageRowId`, as forwarded. */
  async element(messageRowId: bigint, index: number): Promise<Uint8Array> {
    return this.span(messageRowId, await this.spanOf(messageRowId, index));
  }

  /** Where transaction `index` of inbound message `messageRowId` sits in its bytes. */
  async spanOf(messageRowId: bigint, index: number): Promise<Span> {
    return spanAt((await this.file(messageRowId)).spans, messageRowId, index);
  }

  /** The element at `span` of inbound message `messageRowId`, as forwarded (copied when plain, else rewritten). */
  async span(messageRowId: bigint, span: Span): Promise<Uint8Array> {
    const source = await this.file(messageRowId);
    checkSpan(source.bytes, messageRowId, span);
    return span.plain ? source.bytes.subarray(span.start, span.end) : Buffer.from(forwardableElement(source.bytes, span), 'utf8');
  }

  /** Inbound message `messageRowId`'s bytes and recorded spans (read unless held), made the most recently used. */
  async file(messageRowId: bigint): Promise<HeldFile> {
    const source = this.held.get(messageRowId);
    if (!source) {
      // One read of a file however many compositions wait for it (a dispatcher pass composes several at a time).
      const reading = this.reading.get(messageRowId) ?? this.read(messageRowId).finally(() => this.reading.delete(messageRowId));
      this.reading.set(messageRowId, reading);
      return reading;
    }
    this.held.delete(messageRowId);
    this.held.set(messageRowId, source);
    return source;
  }

  private async read(messageRowId: bigint): Promise<HeldFile> {
    let bytes: Buffer | undefined;
    let row: { starts: number[] | null; ends: number[] | null; plain: boolean[] | null } | undefined;
    if (this.tx.copyTo) {
      // PostgreSQL in a transaction: the bytes as they are stored, by a binary COPY (no base64 text made
      // by the server and decoded here: that was most of the CPU of reading an inbound file).
      bytes = await copyBinaryBytea(this.tx.copyTo(
        `COPY (SELECT bytes FROM messages WHERE id = ${BigInt(messageRowId)} AND direction = 'in' AND NOT bytes_truncated) TO STDOUT (FORMAT binary)`));
      // The spans as comma-separated text, split here (node-postgres' array parser took most of the time).
      if (this.withSpans) {
        const [text] = await this.tx.query<{ starts: string; ends: string; plain: string }>(
          `SELECT array_to_string(starts, ',') AS starts, array_to_string(ends, ',') AS ends, array_to_string(plain, ',') AS plain
             FROM transaction_spans WHERE message_id = $1`, [messageRowId]);
        if (text !== undefined) row = { starts: numbers(text.starts), ends: numbers(text.ends), plain: text.plain === '' ? [] : text.plain.split(',').map((p) => p === 't' || p === 'true') };
      }
    } else {
      const [stored] = await this.tx.query<{ bytes_base64: string; truncated: boolean; starts: number[] | null; ends: number[] | null; plain: boolean[] | null }>(
        this.withSpans
          ? `SELECT encode(m.bytes, 'base64') AS bytes_base64, m.bytes_truncated AS truncated, s.starts, s.ends, s.plain
               FROM messages m LEFT JOIN transaction_spans s ON s.message_id = m.id WHERE m.id = $1 AND m.direction = 'in'`
          : `SELECT encode(m.bytes, 'base64') AS bytes_base64, m.bytes_truncated AS truncated FROM messages m WHERE m.id = $1 AND m.direction = 'in'`,
        [messageRowId]);
      if (stored !== undefined && !stored.truncated) bytes = Buffer.from(stored.bytes_base64, 'base64');
      row = stored;
    }
    invariant(bytes !== undefined, `inbound message ${messageRowId} of a settled payment is not stored whole`);
    this.reads++;
    // Spans recorded at intake; a message stored before migration 027 is scanned as validation did.
    const spans = !this.withSpans ? [] : row?.starts && row.ends && row.plain
      ? row.starts.map((start, k) => (start < 0 ? undefined : { start, end: row.ends![k]!, plain: row.plain![k]! }))
      : transactionElementSpans(bytes);
    const source = { bytes, spans };
    for (const [id, held] of this.held) {
      if (this.heldBytes + bytes.length <= this.budgetBytes) break;
      this.held.delete(id);
      this.heldBytes -= held.bytes.length;
    }
    this.held.set(messageRowId, source);
    this.heldBytes += bytes.length;
    return source;
  }
}

/** A comma-separated list of integers (array_to_string of an int[]). */
function numbers(text: string): number[] {
  return text === '' ? [] : text.split(',').map(Number);
}

/** Where transaction `index` of inbound message `messageRowId` sits, from its recorded `spans`. */
function spanAt(spans: HeldFile['spans'], messageRowId: bigint | string, index: number): Span {
  const span = spans[index];
  invariant(span !== undefined, `inbound message ${messageRowId} has no transaction ${index}`);
  return span;
}

/** A span a composition names lies within its inbound message's `bytes`. */
function checkSpan(bytes: Uint8Array, messageRowId: bigint | string, span: Span): void {
  invariant(span.start >= 0 && span.start < span.end && span.end <= bytes.length, `inbound message ${messageRowId} has no element at [${span.start}, ${span.end})`);
}

/** An inbound file as held: its bytes and, when read with them, its transactions' spans. */
export interface HeldFile {
  readonly bytes: Buffer;
  readonly spans: readonly (Span | undefined)[];
}

/** Per database (an engine's), the inbound files settlement last handed over, until taken or dropped. */
const handoffs = new WeakMap<object, { readonly files: ReadonlyMap<bigint, HeldFile>; readonly timer: ReturnType<typeof setTimeout> }>();

/**
 * Settlement has read these inbound files to hash its bulk files; the dispatcher composes the same
 * files next, and would read them again. Stored messages never change (the messages_immutable trigger),
 * so the bytes read in the settlement's transaction are the ones a later transaction reads, whether
 * settlement commits or not: they are kept for the next dispatcher pass of this process on the same
 * database (`key`: its Database), which takes them once, and dropped after limits.bulkSourcesHandoffMs
 * if none does. What is delivered is still checked against the recorded length and SHA-256.
 */
export function handOverInboundFiles(key: object, sources: InboundSources): void {
  const previous = handoffs.get(key);
  if (previous) clearTimeout(previous.timer);
  const timer = setTimeout(() => handoffs.delete(key), limits.bulkSourcesHandoffMs);
  timer.unref?.();
  handoffs.set(key, { files: sources.heldFiles(), timer });
}

/** The inbound files handed over for `key` (handOverInboundFiles), taken: a second call gets none. */
export function takeInboundFiles(key: object): ReadonlyMap<bigint, HeldFile> | undefined {
  const handoff = handoffs.get(key);
  if (!handoff) return undefined;
  clearTimeout(handoff.timer);
  handoffs.delete(key);
  return handoff.files;
}

/**
 * Transaction `index` of stored inbound message `messageRowId` as the switch forwards it (the payment's
 * detail shows it); undefined if the message is not stored whole. Reads and scans the whole file: for
 * one payment at a time, not for lists.
 */
export async function storedTransactionElement(db: Queryable, messageRowId: bigint, index: number): Promise<string | undefined> {
  const [row] = await db.query<{ bytes_base64: string; truncated: boolean }>(
    "SELECT encode(bytes, 'base64') AS bytes_base64, bytes_truncated AS truncated FROM messages WHERE id = $1 AND direction = 'in'", [messageRowId]);
  if (row === undefined || row.truncated) return undefined;
  const bytes = Buffer.from(row.bytes_base64, 'base64');
  const span = transactionElementSpans(bytes)[index];
  return span === undefined ? undefined : forwardableElement(bytes, span);
}

/** Stands for the transactions in a bulk file's template; cannot occur in XML (a NUL character). */
const TRANSACTIONS_MARK = '\u0000transactions\u0000';
