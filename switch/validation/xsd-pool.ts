/**
 * XSD validation service: a small pool of warm xmllint-wasm worker threads (xsd-worker.cjs) for the
 * windows of large files, and per schema a lane with a worker of its own for single messages.
 *
 * Large files arrive already cut into windows and go as jobs of their own to the pool: one xmllint run
 * per job (fresh instance, schema compiled, several milliseconds for pacs.008, then every file); a
 * scanned file's windows are read first without building their trees (validateFiles 'stream-first').
 *
 * Single messages (validateOne, up to limits.xsdLaneMessageBytesMax) go to their schema's lane. The
 * lane's worker keeps one xmllint run going across jobs, so the schema is compiled once per run of
 * many messages, not once per job: that fixed part (about 6 ms of CPU per job) was most of the XSD
 * CPU of a real-time payment (two lanes, head.001 and the message, one job each per window). Messages
 * are still batched per lane: a message that finds no job of its lane in flight and the lane's last
 * job started at least limits.xsdBatchWindowMs ago (or holding a single message) goes at once (with
 * whatever arrived in the same turn of the event loop); otherwise it waits, and the lane's next job
 * takes everything waiting (up to limits.xsdBatchMessageCountMax). Light load gets the lowest
 * latency; under load a lane's jobs start at most once per window, which bounds the wake-ups of its
 * worker and the messages passed between threads.
 */
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { limits } from '../limits.ts';

export interface XsdFile {
  readonly fileName: string;
  readonly contents: Uint8Array;
  /**
   * The contents own their whole buffer and nobody else uses it: hand it to the worker instead of
   * copying (a large file's windows would otherwise exist twice, once per thread).
   */
  readonly transfer?: boolean;
}

/** How xmllint reads a job's files (validateFiles). */
export type XsdReading = 'tree' | 'stream' | 'stream-first';

export interface XsdError {
  readonly fileName: string;
  readonly line: number | undefined;
  readonly message: string;
}

export interface XsdResult {
  /** Per file name: its errors (empty when the file is valid). */
  readonly errors: ReadonlyMap<string, XsdError[]>;
}

interface WorkerReply { id: number; exitCode: number; stderr: string }

const schemaDirectory = join(fileURLToPath(import.meta.url), '..', '..', '..', 'schemas');

/** Where the scheme's XSDs live; an alternative directory (the official XSDs) can be given instead. */
export class XsdValidator {
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  private readonly pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  private readonly schemas = new Map<string, Uint8Array>();
  /** Per message id, its lane's wrapper schema (laneSchema). */
  private readonly laneSchemas = new Map<string, Uint8Array | undefined>();
  /** Per worker, the schemas it already holds: each is sent to a worker once, not with every job. */
  private readonly sentSchemas: Set<string>[] = [];
  private readonly lanes = new Map<string, Lane>();
  /** Per schema, the worker that validates its single messages in one long xmllint run (see top). */
  private readonly laneWorkers = new Map<string, LaneWorker>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly directory: string = schemaDirectory,
    workerCount: number = limits.xsdWorkerCount,
  ) {
    for (let w = 0; w < workerCount; w++) {
      const worker = new Worker(new URL('./xsd-worker.cjs', import.meta.url));
      worker.on('message', (reply: WorkerReply) => {
        const waiter = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if (--this.busy[w]! === 0) worker.unref();
        waiter?.resolve(reply);
      });
      worker.on('error', (error) => {
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
      worker.unref();
      this.workers.push(worker);
      this.busy.push(0);
      this.sentSchemas.push(new Set());
    }
  }

  /** True when this validator has a schema for the message id (e.g. 'pacs.008.001.08'). */
  get workerCount(): number {
    return this.workers.length;
  }

  hasSchema(messageId: string): boolean {
    try {
      this.schema(messageId);
      return true;
    } catch {
      return false;
    }
  }

  private schema(messageId: string): Uint8Array {
    let bytes = this.schemas.get(messageId);
    if (!bytes) {
      if (!/^[a-z]{4}\.\d{3}\.\d{3}\.\d{2}$/.test(messageId)) throw new Error(`bad message id ${messageId}`);
      bytes = readFileSync(join(this.directory, `${messageId}.xsd`));
      this.schemas.set(messageId, bytes);
    }
    return bytes;
  }

  /**
   * Validate several files against one schema in one xmllint run. `reading` (xsd-worker.cjs runJob):
   * 'tree' (the default) parses each file into a document and validates it; 'stream' validates the
   * parser's events without a tree; 'stream-first', for input that passed the hardening scan only, takes
   * the streaming run's answer when it found every file valid, and the tree run's otherwise.
   */
  async validateFiles(messageId: string, files: readonly XsdFile[], reading?: XsdReading): Promise<XsdResult> {
    if (this.closed) throw new Error('XsdValidator is closed');
    const schema = this.schema(messageId);
    const id = this.nextId++;
    const worker = this.leastBusy();
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.busy[worker]!++ === 0) this.workers[worker]!.ref();
      const transfer = files.filter((f) => f.transfer).map((f) => f.contents.buffer as ArrayBuffer);
      // The schema (70–100 KB) travels to each worker once; a copy per job cost as much as the messages.
      const schemaName = `${messageId}.xsd`;
      const sent = this.sentSchemas[worker]!;
      const firstTime = !sent.has(schemaName);
      sent.add(schemaName);
      this.workers[worker]!.postMessage({
        id, schemaName, ...(firstTime ? { schema } : {}), ...(reading ? { reading } : {}),
        files: files.map((f) => ({ fileName: f.fileName, contents: f.contents })),
        maxMemoryPages: limits.xsdMemoryPagesMax,
      }, transfer);
    });
    return { errors: parseXmllintOutput(reply, files) };
  }

  /** Validate one small document, batched adaptively with others for the same schema (see top). */
  validateOne(messageId: string, contents: Uint8Array): Promise<XsdError[]> {
    // Refused at once: a job with a non-byte file would fail in the worker, far from its caller.
    if (!(contents instanceof Uint8Array)) return Promise.reject(new TypeError(`validateOne(${messageId}): contents must be bytes`));
    if (this.closed) return Promise.reject(new Error('XsdValidator is closed'));
    // A large document (a whole file of one window) goes to a job of its own on the shared workers:
    // a lane's long run would keep its WebAssembly memory grown to that size.
    if (contents.byteLength > limits.xsdLaneMessageBytesMax) {
      return this.validateFiles(messageId, [{ fileName: 'm0.xml', contents }]).then((r) => r.errors.get('m0.xml') ?? []);
    }
    let lane = this.lanes.get(messageId);
    if (!lane) {
      lane = { waiting: undefined, inFlight: 0, sentAt: -Infinity, sentCount: 0, scheduled: false };
      this.lanes.set(messageId, lane);
    }
    const batch = lane.waiting ??= { files: [], waiters: [] };
    const fileName = `m${batch.files.length}.xml`;
    batch.files.push({ fileName, contents });
    const promise = new Promise<XsdError[]>((resolve, reject) => batch.waiters.push({ fileName, resolve, reject }));
    if (batch.files.length >= limits.xsdBatchMessageCountMax) this.send(messageId, lane);
    else this.pump(messageId, lane);
    return promise;
  }

  /**
   * Start the lane's waiting batch when it may go: no job of this lane in flight, a worker idle, and
   * at least limits.xsdBatchWindowMs since the lane's previous job started (when that job held more
   * than one message). So a message after a quiet spell, or from a lone sender, goes at once (with
   * whatever arrives in the same turn of the event loop), and under load jobs start at most once per
   * window, each with everything that arrived meanwhile.
   */
  private pump(messageId: string, lane: Lane): void {
    if (!lane.waiting || lane.inFlight > 0 || lane.scheduled || this.closed) return;
    lane.scheduled = true;
    const go = (): void => {
      lane.scheduled = false;
      if (lane.inFlight === 0) this.send(messageId, lane);
    };
    // The window only pays when messages arrive concurrently: a lone sender waiting for each answer
    // (its previous job held one message) gains nothing from waiting, so it goes at once.
    const wait = lane.sentCount > 1 ? lane.sentAt + limits.xsdBatchWindowMs - performance.now() : 0;
    if (wait > 0) setTimeout(go, wait);
    else setImmediate(go);
  }

  private send(messageId: string, lane: Lane): void {
    const batch = lane.waiting;
    if (!batch) return;
    lane.waiting = undefined;
    lane.inFlight++;
    lane.sentAt = performance.now();
    lane.sentCount = batch.files.length;
    this.validateOnLane(messageId, batch.files).then(
      (errors) => { for (const w of batch.waiters) w.resolve(errors.get(w.fileName) ?? []); },
      (error: Error) => { for (const w of batch.waiters) w.reject(error); },
    ).finally(() => {
      lane.inFlight--;
      this.pump(messageId, lane);
    });
  }

  /**
   * A lane's job, for its worker's long xmllint run: woken through the shared signal (see xsd-worker.cjs).
   *
   * Several messages are validated first as ONE document (laneWrappers): libxml2 spends about as much
   * per document (a parser and a validation context set up and freed, ~70 µs natively, ~90 µs in
   * WebAssembly) as on a whole single-transaction message, so a job of 50 messages cost 50 of those.
   * Each message stands in its own wrapper element whose content is exactly one element of the
   * message schema's namespace, validated strictly against that schema's global declarations: what
   * a document of its own is validated against. The wrapper is only a fast path for the common case:
   * when every wrapper validates, every message does; when anything in it fails (an invalid or
   * ill-formed message, or anything the wrapper might read differently), the messages are validated
   * one document each, as before, and their verdicts and errors are those (docs/validation.md,
   * "XSD lanes").
   */
  private async validateOnLane(messageId: string, files: readonly XsdFile[]): Promise<Map<string, XsdError[]>> {
    if (files.length >= 2) {
      const wrapped = this.laneSchema(messageId) === undefined ? undefined : laneWrappers(files, limits.xsdLaneWrapperBytesMax);
      if (wrapped !== undefined) {
        const errors = await this.runOnLane(messageId, true, wrapped);
        if ([...errors.values()].every((e) => e.length === 0)) return new Map(files.map((f) => [f.fileName, []]));
      }
    }
    return this.runOnLane(messageId, false, files);
  }

  private async runOnLane(messageId: string, wrapped: boolean, files: readonly XsdFile[]): Promise<Map<string, XsdError[]>> {
    const plainName = `${messageId}.xsd`;
    const schemaName = wrapped ? `${messageId}.lane.xsd` : plainName;
    const schema = wrapped ? this.laneSchema(messageId)! : this.schema(messageId);
    const lw = this.laneWorker(messageId);
    const id = this.nextId++;
    // The job's messages packed into one buffer that is handed over, not cloned: each message's bytes
    // are usually a view of a larger buffer (the submission, Node's pooled slab), and cloning a view
    // copies its whole buffer, one allocation per message on both threads (docs/performance.md,
    // "Session 14"). One copy here, none in between.
    let size = 0;
    for (const f of files) size += f.contents.byteLength;
    const packed = new Uint8Array(size);
    let at = 0;
    const sent = files.map((f) => {
      packed.set(f.contents, at);
      const contents = packed.subarray(at, at + f.contents.byteLength);
      at += f.contents.byteLength;
      return { fileName: f.fileName, contents };
    });
    // Each schema travels to the lane's worker once; the wrapper's run also needs the message schema it imports.
    const imports = wrapped ? [{ name: plainName, ...(lw.schemasSent.has(plainName) ? {} : { contents: this.schema(messageId) }) }] : undefined;
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      lw.ids.add(id);
      if (lw.ids.size === 1) lw.worker.ref();
      lw.worker.postMessage({
        id, schemaName, persistent: true, ...(lw.schemasSent.has(schemaName) ? {} : { schema }), ...(imports ? { imports } : {}),
        files: sent, maxMemoryPages: limits.xsdMemoryPagesMax,
      }, [packed.buffer]);
      lw.schemasSent.add(schemaName);
      if (wrapped) lw.schemasSent.add(plainName);
      // After the post: the worker looks for jobs, then waits only while the signal is unchanged.
      Atomics.add(lw.signal, 0, 1);
      Atomics.notify(lw.signal, 0);
    });
    return parseXmllintOutput(reply, files);
  }

  /**
   * The wrapper schema of a lane (see validateOnLane): a Lane of elements M0, M1, … (one per message,
   * each named after its place), each holding exactly one element of the message schema's target
   * namespace, validated strictly (so it must be one of that schema's global elements, as a document's
   * root must). Undefined when the message schema has no target namespace (never for ISO 20022
   * messages): those are validated one document each.
   */
  private laneSchema(messageId: string): Uint8Array | undefined {
    if (this.laneSchemas.has(messageId)) return this.laneSchemas.get(messageId);
    const target = /\stargetNamespace="([^"]+)"/.exec(new TextDecoder().decode(this.schema(messageId)))?.[1];
    const bytes = target === undefined ? undefined : encoder.encode(
      `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:l="${LANE_NAMESPACE}" targetNamespace="${LANE_NAMESPACE}" elementFormDefault="qualified">
  <xs:import namespace="${target}" schemaLocation="${messageId}.xsd"/>
  <xs:complexType name="M">
    <xs:sequence>
      <xs:any namespace="${target}" processContents="strict"/>
    </xs:sequence>
  </xs:complexType>
  <xs:element name="Lane">
    <xs:complexType>
      <xs:sequence>
${Array.from({ length: limits.xsdBatchMessageCountMax }, (_, i) => `        <xs:element name="M${i}" type="l:M" minOccurs="0"/>\n`).join('')}      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
`);
    this.laneSchemas.set(messageId, bytes);
    return bytes;
  }

  private laneWorker(messageId: string): LaneWorker {
    const existing = this.laneWorkers.get(messageId);
    if (existing) return existing;
    const shared = new SharedArrayBuffer(4);
    const worker = new Worker(new URL('./xsd-worker.cjs', import.meta.url), { workerData: { signal: shared } });
    const lw: LaneWorker = { worker, signal: new Int32Array(shared), ids: new Set(), schemasSent: new Set() };
    worker.on('message', (reply: WorkerReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      lw.ids.delete(reply.id);
      if (lw.ids.size === 0) worker.unref();
      waiter?.resolve(reply);
    });
    worker.on('error', (error) => {
      // The lane's next job starts a new worker; the jobs this one held fail.
      if (this.laneWorkers.get(messageId) === lw) this.laneWorkers.delete(messageId);
      for (const id of lw.ids) {
        this.pending.get(id)?.reject(error);
        this.pending.delete(id);
      }
      lw.ids.clear();
    });
    worker.unref();
    this.laneWorkers.set(messageId, lw);
    return lw;
  }

  private leastBusy(): number {
    let best = 0;
    for (let w = 1; w < this.busy.length; w++) if (this.busy[w]! < this.busy[best]!) best = w;
    return best;
  }

  async close(): Promise<void> {
    for (const [id, lane] of this.lanes) this.send(id, lane);
    this.closed = true;
    await Promise.all([...this.workers, ...[...this.laneWorkers.values()].map((lw) => lw.worker)].map((w) => w.terminate()));
  }
}

interface Batch {
  files: XsdFile[];
  waiters: { fileName: string; resolve: (e: XsdError[]) => void; reject: (e: Error) => void }[];
}

/** A lane's worker: its jobs in flight, and the signal it waits on between them. */
interface LaneWorker {
  readonly worker: Worker;
  readonly signal: Int32Array;
  readonly ids: Set<number>;
  /** The schemas this worker already holds (each is sent once). */
  readonly schemasSent: Set<string>;
}

/** Single messages of one schema: the batch gathering, and the lane's job in flight. */
interface Lane {
  waiting: Batch | undefined;
  inFlight: number;
  /** performance.now() when the lane's last job started, and how many messages it held. */
  sentAt: number;
  sentCount: number;
  /** A start is already scheduled (setImmediate or the window's timer). */
  scheduled: boolean;
}

/**
 * xmllint prints, per invalid file, lines "name:line: element X: Schemas validity error : ..." and a
 * final "name fails to validate"; a valid file prints "name validates". A file it cannot parse prints
 * parser errors ("name:line: parser error : ...") followed by source excerpt lines.
 */
export function parseXmllintOutput(reply: WorkerReply, files: readonly XsdFile[]): Map<string, XsdError[]> {
  const errors = new Map<string, XsdError[]>(files.map((f) => [f.fileName, []]));
  const known = new Set(errors.keys());
  const seenVerdict = new Set<string>();
  for (const line of reply.stderr.split('\n')) {
    if (line.length === 0) continue;
    const verdict = /^(\S+) (validates|fails to validate|validation generated an internal error)$/.exec(line);
    if (verdict && known.has(verdict[1]!)) {
      seenVerdict.add(verdict[1]!);
      if (verdict[2] !== 'validates' && errors.get(verdict[1]!)!.length === 0) {
        errors.get(verdict[1]!)!.push({ fileName: verdict[1]!, line: undefined, message: `schema validation: ${verdict[2]}` });
      }
      continue;
    }
    const located = /^(\S+?):(\d+): (.*)$/.exec(line);
    if (located && known.has(located[1]!)) {
      const message = located[3]!.replace(/^element \S+: /, '').replace(/\{urn:iso:std:iso:20022:tech:xsd:[^}]+\}/g, '');
      errors.get(located[1]!)!.push({ fileName: located[1]!, line: Number(located[2]), message });
    }
  }
  // A file without a verdict was never validated (xmllint aborted before reaching it): never a pass.
  for (const f of files) {
    if (!seenVerdict.has(f.fileName) && errors.get(f.fileName)!.length === 0) {
      errors.get(f.fileName)!.push({
        fileName: f.fileName, line: undefined,
        message: `schema validation did not complete (exit ${reply.exitCode}): ${reply.stderr.slice(0, 200)}`,
      });
    }
  }
  return errors;
}

const encoder = new TextEncoder();
/** The namespace of a lane's wrapper elements (validateOnLane); no message uses it. */
const LANE_NAMESPACE = 'urn:clearhouse:xsd-lane:1';
const LANE_OPEN = encoder.encode(`<clhl:Lane xmlns:clhl="${LANE_NAMESPACE}">`);
const LANE_CLOSE = encoder.encode('</clhl:Lane>\n');
/** The wrapper elements' prefix: a message that contains it anywhere is never wrapped (laneWrappers). */
const LANE_PREFIX = encoder.encode('clhl:');

/**
 * The messages of a lane's job as wrapper documents (validateOnLane) of at most `bytesMax` and
 * limits.xsdBatchMessageCountMax messages each (a larger message alone in one), or undefined when some
 * message cannot stand in a wrapper unchanged.
 *
 * A wrapper that validates must mean that each message, alone, would. So:
 * - message k of a wrapper stands in an element named Mk: a message that leaves a comment, processing
 *   instruction, CDATA section, tag or attribute value open swallows its own closing tag and the next
 *   one's opening tag, and the next closing tag then names another element: not well-formed;
 * - no message may contain the wrappers' prefix at all (so none can close or open a wrapper element);
 * - each Mk takes exactly one element and no text: a message with two roots, text around its root or
 *   no root fails its Mk;
 * - a message's plain XML declaration (PLAIN_XML_DECLARATION) and byte order mark are left out; a
 *   message with any other declaration (another encoding, whose bytes a wrapper would read as UTF-8;
 *   version 1.1; one libxml2 would refuse) is not wrapped;
 * - the wrapper declares no default namespace, so a message's elements keep the namespaces it gives
 *   them (a root without one stays without one, and is refused as alone).
 */
export function laneWrappers(files: readonly XsdFile[], bytesMax: number): XsdFile[] | undefined {
  const bodies: Uint8Array[] = [];
  for (const f of files) {
    const body = withoutXmlDeclaration(f.contents);
    if (body === undefined || Buffer.from(body.buffer, body.byteOffset, body.byteLength).indexOf(LANE_PREFIX) >= 0) return undefined;
    bodies.push(body);
  }
  const wrappers: XsdFile[] = [];
  let group: Uint8Array[] = [];
  let groupBytes = 0;
  const flush = (): void => {
    if (group.length === 0) return;
    const tags = group.map((_, k) => laneTags(k));
    const size = LANE_OPEN.length + LANE_CLOSE.length + group.reduce((sum, b, k) => sum + b.length + tags[k]![0].length + tags[k]![1].length, 0);
    const out = new Uint8Array(size);
    let at = 0;
    const put = (b: Uint8Array): void => { out.set(b, at); at += b.length; };
    put(LANE_OPEN);
    group.forEach((b, k) => { put(tags[k]![0]); put(b); put(tags[k]![1]); });
    put(LANE_CLOSE);
    wrappers.push({ fileName: `lane${wrappers.length}.xml`, contents: out });
    group = [];
    groupBytes = 0;
  };
  for (const body of bodies) {
    if (group.length > 0 && (groupBytes + body.length > bytesMax || group.length === limits.xsdBatchMessageCountMax)) flush();
    group.push(body);
    groupBytes += body.length;
  }
  flush();
  return wrappers;
}

/** Per place k, the opening and closing tags of Mk, encoded once. */
const laneTagCache: (readonly [Uint8Array, Uint8Array])[] = [];
function laneTags(k: number): readonly [Uint8Array, Uint8Array] {
  return laneTagCache[k] ??= [encoder.encode(`<clhl:M${k}>`), encoder.encode(`</clhl:M${k}>\n`)];
}
/**
 * An XML declaration that a wrapper may leave out: version 1.0 (a 1.1 document reads line ends and
 * control characters otherwise), UTF-8 or no encoding, standalone yes or no, in the grammar's order.
 * Any other declaration, well-formed or not, keeps its message out of a wrapper, so that its verdict is
 * libxml2's reading of it alone.
 */
const PLAIN_XML_DECLARATION = /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.0\1([ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[Uu][Tt][Ff]-8\3)?([ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(yes|no)\5)?[ \t\r\n]*\?>/;

/** The bytes after a leading byte order mark and XML declaration; undefined when that declaration is not a plain one (PLAIN_XML_DECLARATION). */
function withoutXmlDeclaration(bytes: Uint8Array): Uint8Array | undefined {
  const at = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  // Whatever starts as a declaration would ('<?xml', '<?XML', …, then whitespace or its end) must be a
  // plain one; anything else (a processing instruction such as '<?xml-stylesheet', or none) stays.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(bytes.length - at, 200)).toString('latin1');
  if (!/^<\?[xX][mM][lL](?:[ \t\r\n?]|$)/.test(head)) return bytes.subarray(at);
  const declaration = PLAIN_XML_DECLARATION.exec(head);
  return declaration === null ? undefined : bytes.subarray(at + declaration[0].length);
}
