/**
 * The validation pipeline for one inbound file, with every result as data:
 *
 *   (a) hardening scan (scan.ts): size, UTF-8, no DTD/entities, depth; records the structure
 *   (b) envelope: a bare Document, or a wrapper holding AppHdr (head.001.001.02) + Document
 *   (c) XSD validation against the scheme schemas (xsd-pool.ts), in windows of transactions for
 *       large files, run in a worker thread WHILE the main thread parses the same windows
 *   (d) group-header and transaction rules (rules.ts) over the facts the message module extracts
 *   (e) file outcome: ACCP (all pass), PART (some transactions rejected), RJCT (file rejected)
 *
 * Every finding carries an ISO reason code, an element path, a line and a plain message. All findings
 * are collected (up to limits.findingsPerFileMax), not just the first.
 */
import type { Finding } from '../iso/finding.ts';
import type { GroupFacts, MessageModule, TransactionFacts } from '../iso/message.ts';
import { createParser, type XmlElement } from '../iso/xml.ts';
import { moduleForNamespace, NAMESPACE_PREFIX } from '../iso/registry.ts';
import { REASON } from '../iso/reason-codes.ts';
import { limits } from '../limits.ts';
import { MessageChecker, type FutureDateRules, type RuleOptions } from './rules.ts';
import { scanXml, type ElementSpan, type ScanResult } from './scan.ts';
import { extractFactsInTurns } from './facts.ts';
import { invariant } from '../clearing/invariant.ts';
import type { XsdError, XsdFile, XsdValidator } from './xsd-pool.ts';
import type { SchemeDirectory } from './directory.ts';
import { sameInstitution } from '../iso/bic.ts';
import * as head from '../iso/messages/head.001.001.02/index.ts';

export type FileStatus = 'ACCP' | 'PART' | 'RJCT';

export interface TransactionStatus {
  readonly index: number;
  readonly id?: string;
  readonly status: 'ACCP' | 'RJCT';
  readonly reasons: readonly string[];
}

export interface BusinessHeader {
  readonly from: string;
  readonly to: string;
  readonly businessMessageId: string;
  readonly messageDefinitionId: string;
  readonly creationDate: string;
  readonly possibleDuplicate?: boolean;
}

export interface FileReport {
  /** e.g. 'pacs.008.001.08'; absent when the file was refused before the message was identified. */
  readonly messageId?: string;
  /** e.g. 'pacs.008' */
  readonly messageType?: string;
  /** e.g. '001.08' */
  readonly version?: string;
  readonly status: FileStatus;
  readonly header?: BusinessHeader;
  readonly group?: GroupFacts;
  readonly findings: readonly Finding[];
  /** Findings beyond limits.findingsPerFileMax that were counted but not kept. */
  readonly findingsDropped: number;
  readonly transactionCount: number;
  readonly transactions: readonly TransactionStatus[];
}

export interface ValidateOptions {
  readonly xsd: XsdValidator;
  /** The authenticated sending participant's BIC: BAH From and GrpHdr InstgAgt must be it. */
  readonly sender?: string;
  /** Current business date of the scheme calendar (YYYY-MM-DD): enables settlement-date rules. */
  readonly businessDate?: string;
  /** Participant directory and limits: enables directory rules. */
  readonly directory?: SchemeDirectory;
  /** Rules for pacs.008 dated after the business date (rules.ts FutureDateRules); without them any later date passes. */
  readonly futureDates?: FutureDateRules;
  /** Called with each parsed window's model, in order (forces the fast-xml-parser path). */
  readonly onModel?: (model: unknown, firstTransactionIndex: number) => void;
  /**
   * Called with each transaction's facts and the byte range of its element in the file, in order,
   * as the rules see them (intake keeps these to create payments without parsing the file again).
   * Called before the schema verdict is known: use them only when the report is not RJCT.
   */
  readonly onTransaction?: (tx: TransactionFacts, element: ElementSpan | undefined) => void;
  /** Transactions per XSD window (default limits.xsdWindowTransactionCount; tests lower it). */
  readonly windowTransactionCount?: number;
  /**
   * Leaves to read besides the facts, in the same walk (paths relative to the transaction element): each
   * transaction's first value of each is handed over in TransactionFacts.leaves (the risk stage's facts).
   * Only where the module has a FactSpec; otherwise no `leaves`.
   */
  readonly extraLeaves?: ReadonlySet<string>;
}

const HEAD_ID = 'head.001.001.02';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

export async function validateFile(bytes: Uint8Array, options: ValidateOptions): Promise<FileReport> {
  const scan = scanXml(bytes);
  if (scan.findings.length > 0 || !scan.root) return rejected(scan.findings);

  const located = locate(bytes, scan);
  if ('finding' in located) return rejected([located.finding]);
  const { document, appHdr, messageRoot, module } = located;
  const messageId = module.id;
  const identity = { messageId, messageType: messageId.slice(0, 8), version: messageId.slice(9) };

  // (b) Business application header, when present: validated and checked against the Document.
  const findings: Finding[] = [];
  let header: BusinessHeader | undefined;
  const headerCheck = appHdr ? checkHeader(bytes, scan, appHdr, messageId, options) : undefined;

  // (c) XSD in the worker while (d) parsing runs here.
  const transactionSpans = module.transactionElement
    ? spansInside(scan, messageRoot, module.transactionElement)
    : [];
  const between = contentBetween(bytes, transactionSpans, messageRoot);
  if (between) return report(identity, 'RJCT', undefined, undefined, [between], transactionSpans.length, []);
  const windows = makeWindows(bytes, document, transactionSpans, inheritedNamespaces(scan, document),
    options.windowTransactionCount ?? limits.xsdWindowTransactionCount);
  const xsdPromise = validateWindows(options.xsd, messageId, windows);
  // Both are awaited after the fact walk, which gives the event loop turns meanwhile: a failure of
  // either (a worker lost) is thrown there, not reported as an unhandled rejection during the walk.
  xsdPromise.catch(() => {});
  headerCheck?.catch(() => {});
  // (d) rules run on each transaction's facts as they are read, so a bulk file's facts are never all
  // held at once; the outcome needs only each transaction's id and reason codes.
  // The fact walk gives transaction element k the index k (its path is `${element}[k]`); the parsed
  // windows may give several facts per element, whose element is read from the path.
  const walked = module.factSpec !== undefined && !options.onModel;
  const elementOf = (tx: TransactionFacts): number | undefined => (walked ? tx.index : containerIndex(tx.path));
  const ruleOptions: RuleOptions = {
    rootPath: rootPath(document, messageRoot),
    businessDate: options.businessDate,
    ...(options.futureDates ? { futureDates: options.futureDates } : {}),
    sender: options.sender,
    directory: options.directory,
    messageId,
    transactionLine: (tx) => {
      const container = elementOf(tx);
      return container === undefined ? messageRoot.line : transactionSpans[container]?.line;
    },
    groupLine: messageRoot.line,
  };
  const checker = new MessageChecker(ruleOptions);
  // Findings are kept up to limits.findingsPerFileMax and counted beyond, as they arrive: a file wrong
  // everywhere must not hold a finding per transaction (docs/validation.md#memory-and-storage-bounds).
  const transactionFindings: Finding[] = [];
  let transactionFindingsDropped = 0;
  const outcomes: { index: number; id?: string; reasons: string[] }[] = [];
  const check = (tx: TransactionFacts): void => {
    const found = checker.add(tx);
    const reasons: string[] = [];
    for (const f of found) {
      if (!reasons.includes(f.code)) reasons.push(f.code);
      if (transactionFindings.length < limits.findingsPerFileMax) transactionFindings.push(f);
      else transactionFindingsDropped++;
    }
    outcomes.push({ index: tx.index, id: tx.transactionId, reasons });
    if (options.onTransaction) {
      const container = elementOf(tx);
      options.onTransaction(tx, container === undefined ? undefined : transactionSpans[container]);
    }
  };
  const parsed = walked
    ? { group: (await extractFactsInTurns(bytes, messageRoot, module.transactionElement, transactionSpans, module.factSpec, check,
      options.extraLeaves, limits.factWalkTransactionsPerTurn)).group }
    : parseWindows(module, windows, options.onModel, check);

  if (headerCheck) {
    const result = await headerCheck;
    findings.push(...result.findings);
    header = result.header;
  }
  const xsdErrors = await xsdPromise;
  if (xsdErrors.errors.length > 0) {
    findings.push(...schemaFindings(bytes, xsdErrors.errors, messageRoot));
    return report(identity, 'RJCT', header, undefined, findings, transactionSpans.length, [], xsdErrors.dropped);
  }
  if ('error' in parsed) {
    findings.push({ code: REASON.schemaInvalid, path: rootPath(document, messageRoot), line: messageRoot.line, message: parsed.error });
    return report(identity, 'RJCT', header, undefined, findings, transactionSpans.length, []);
  }

  findings.push(...checker.finish(parsed.group), ...transactionFindings);

  // (e) outcome: any finding without a transaction index rejects the whole file.
  const fileRejected = findings.some((f) => f.transactionIndex === undefined);
  const transactions: TransactionStatus[] = outcomes.map((o) => ({
    index: o.index, ...(o.id !== undefined ? { id: o.id } : {}),
    status: fileRejected || o.reasons.length > 0 ? 'RJCT' : 'ACCP', reasons: o.reasons,
  }));
  const rejectedCount = transactions.filter((t) => t.status === 'RJCT').length;
  const status: FileStatus = fileRejected || (transactions.length > 0 && rejectedCount === transactions.length)
    ? 'RJCT' : rejectedCount > 0 ? 'PART' : 'ACCP';
  return report(identity, status, header, parsed.group, findings, transactions.length, transactions, transactionFindingsDropped);
}

/**
 * Hardening scan, envelope and XSD only (no rules): the schema-validation cost on its own, as the
 * benchmark reports it beside native xmllint. Returns the schema findings.
 */
export async function validateSchemaOnly(bytes: Uint8Array, xsd: XsdValidator,
  options: Pick<ValidateOptions, 'windowTransactionCount'> = {}): Promise<Finding[]> {
  const scan = scanXml(bytes);
  if (scan.findings.length > 0 || !scan.root) return scan.findings;
  const located = locate(bytes, scan);
  if ('finding' in located) return [located.finding];
  const { document, messageRoot, module } = located;
  const spans = module.transactionElement ? spansInside(scan, messageRoot, module.transactionElement) : [];
  const between = contentBetween(bytes, spans, messageRoot);
  if (between) return [between];
  const windows = makeWindows(bytes, document, spans, inheritedNamespaces(scan, document),
    options.windowTransactionCount ?? limits.xsdWindowTransactionCount);
  const { errors } = await validateWindows(xsd, module.id, windows);
  return schemaFindings(bytes, errors, messageRoot);
}

function report(identity: { messageId: string; messageType: string; version: string }, status: FileStatus,
  header: BusinessHeader | undefined, group: GroupFacts | undefined, findings: Finding[], transactionCount: number,
  transactions: TransactionStatus[], droppedBefore = 0): FileReport {
  const kept = findings.slice(0, limits.findingsPerFileMax);
  return {
    ...identity, status, header, group, findings: kept, findingsDropped: droppedBefore + findings.length - kept.length,
    transactionCount, transactions,
  };
}

function rejected(findings: Finding[]): FileReport {
  return { status: 'RJCT', findings, findingsDropped: 0, transactionCount: 0, transactions: [] };
}

// ---------------------------------------------------------------- envelope

interface Located {
  readonly document: ElementSpan;
  readonly appHdr?: ElementSpan;
  readonly messageRoot: ElementSpan;
  readonly module: MessageModule<unknown>;
}

/**
 * The transaction elements of a stored message, in document order (element k is the transaction whose
 * facts had index k at intake), as validation found them: the bulk files are built from these spans of
 * the accepted inbound bytes (switch/engine/cycles/bulk-files.ts). Throws if the bytes are not a
 * readable message, which a message once accepted always is.
 */
export function transactionElementSpans(bytes: Uint8Array): ElementSpan[] {
  const scan = scanXml(bytes);
  if (scan.findings.length > 0 || !scan.root) throw new Error(`transactionElementSpans: not a readable message (${scan.findings[0]?.message ?? 'no root'})`);
  const located = locate(bytes, scan);
  if ('finding' in located) throw new Error(`transactionElementSpans: ${located.finding.message}`);
  const element = located.module.transactionElement;
  return element ? spansInside(scan, located.messageRoot, element) : [];
}

function locate(bytes: Uint8Array, scan: ScanResult): Located | { finding: Finding } {
  const root = scan.root!;
  const refuse = (code: string, path: string, line: number, message: string) => ({ finding: { code, path, line, message } });
  let document: ElementSpan;
  let appHdr: ElementSpan | undefined;
  let messageRoots: ElementSpan[];
  if (root.localName === 'Document') {
    document = root;
    messageRoots = scan.rootChildren;
  } else {
    const [first, second, ...rest] = scan.rootChildren;
    if (!first || !second || rest.length > 0 || first.localName !== 'AppHdr' || second.localName !== 'Document') {
      return refuse(REASON.unsupportedMessage, `/${root.localName}`, root.line,
        `expected a Document, or an envelope holding exactly AppHdr then Document; found <${root.localName}> holding ` +
        (scan.rootChildren.map((c) => `<${c.localName}>`).join(', ') || 'nothing'));
    }
    appHdr = first;
    document = second;
    const stray = strayEnvelopeContent(bytes, root, appHdr, document);
    if (stray !== undefined) {
      return refuse(REASON.outsideLexicalProfile, `/${root.localName}`, root.line,
        `the envelope holds ${stray} besides AppHdr and Document; only whitespace and comments may stand there`);
    }
    messageRoots = scan.depth3.filter((e) => e.start > document.start && e.end <= document.end);
    if (appHdr.namespace !== NAMESPACE_PREFIX + HEAD_ID) {
      return refuse(REASON.unsupportedMessage, `/${root.localName}/AppHdr`, appHdr.line,
        `AppHdr namespace ${appHdr.namespace ?? '(none)'} is not ${NAMESPACE_PREFIX + HEAD_ID}`);
    }
  }
  const namespace = document.namespace ?? '';
  const module = moduleForNamespace(namespace);
  const documentPath = rootPath(document);
  if (!module) {
    return refuse(REASON.unsupportedMessage, documentPath, document.line,
      `namespace ${namespace || '(none)'} is not a message version this scheme accepts`);
  }
  const [messageRoot, ...others] = messageRoots;
  if (!messageRoot || others.length > 0 || messageRoot.localName !== module.rootElement) {
    return refuse(REASON.schemaInvalid, documentPath, document.line,
      `Document must hold exactly one <${module.rootElement}> for ${module.id}`);
  }
  return { document, appHdr, messageRoot, module };
}

function rootPath(document: ElementSpan, messageRoot?: ElementSpan): string {
  return `/${document.localName}${messageRoot ? '/' + messageRoot.localName : ''}`;
}

async function checkHeader(bytes: Uint8Array, scan: ScanResult, appHdr: ElementSpan, messageId: string,
  options: ValidateOptions): Promise<{ findings: Finding[]; header?: BusinessHeader }> {
  const path = `/${scan.root!.localName}/AppHdr`;
  const slice = withNamespaces(bytes.subarray(appHdr.start, appHdr.end), inheritedNamespaces(scan, appHdr));
  const errors = await options.xsd.validateOne(HEAD_ID, slice);
  if (errors.length > 0) {
    return { findings: errors.map((e) => ({ code: REASON.schemaInvalid, path, line: mapLine(appHdr.line, e.line), message: e.message })) };
  }
  const model = head.parseXml(decoder.decode(slice));
  const header: BusinessHeader = {
    from: model.from, to: model.to, businessMessageId: model.businessMessageId,
    messageDefinitionId: model.messageDefinitionId, creationDate: model.creationDate,
    possibleDuplicate: model.possibleDuplicate,
  };
  const findings: Finding[] = [];
  if (header.messageDefinitionId !== messageId) {
    findings.push({ code: REASON.headerMismatch, path: `${path}/MsgDefIdr`, line: appHdr.line,
      message: `MsgDefIdr ${header.messageDefinitionId} does not match the Document's message ${messageId}` });
  }
  if (options.sender !== undefined && !sameInstitution(header.from, options.sender)) {
    findings.push({ code: REASON.senderMismatch, path: `${path}/Fr/FIId/FinInstnId/BICFI`, line: appHdr.line,
      message: `BAH sender ${header.from} is not the authenticated participant ${options.sender}` });
  }
  return { findings, header };
}

function mapLine(startLine: number, line: number | undefined): number | undefined {
  return line === undefined ? undefined : startLine + line - 1;
}

// ---------------------------------------------------------------- windows

/**
 * One unit of XSD validation and parsing: the Document's head (everything before the first
 * transaction), a run of transactions with what follows each of them up to the next window's first
 * transaction, and the tail (everything after the last transaction), as a standalone document. A file
 * without repeating transactions, or with few, is a single window: the whole Document.
 *
 * Coverage (docs/validation.md#windows): the bodies of consecutive windows join end to start, from the
 * first transaction's start to the last one's end, so head + bodies + tail are every byte of the
 * Document, each validated by libxml2 in at least one window; `makeWindows` asserts it.
 */
interface Window {
  readonly fileName: string;
  /** Built when needed and dropped after use, so a large file is never held twice in memory. */
  readonly materialize: () => Uint8Array;
  readonly byteLength: number;
  readonly firstTransaction: number;
  readonly transactionCount: number;
  /** Maps a line of this window to a line of the original file. */
  readonly originalLine: (line: number) => number;
  /** The line is in the head or the tail, which every window repeats. */
  readonly repeated: (line: number) => boolean;
}

function makeWindows(bytes: Uint8Array, document: ElementSpan, transactions: readonly ElementSpan[],
  namespaces: ReadonlyMap<string, string>, transactionsPerWindow: number): Window[] {
  if (transactions.length <= transactionsPerWindow) {
    const whole = withNamespaces(bytes.subarray(document.start, document.end), namespaces);
    return [{
      fileName: 'w0.xml', materialize: () => whole, byteLength: whole.length,
      firstTransaction: 0, transactionCount: transactions.length,
      originalLine: (line) => document.line + line - 1, repeated: () => false,
    }];
  }
  const first = transactions[0]!;
  const last = transactions[transactions.length - 1]!;
  const headBytes = withNamespaces(bytes.subarray(document.start, first.start), namespaces);
  const tailBytes = bytes.subarray(last.end, document.end);
  const headLines = countNewlines(headBytes);
  const tailStartLine = last.line + countNewlines(bytes.subarray(last.start, last.end));
  const windows: Window[] = [];
  let covered = first.start;
  for (let from = 0, w = 0; from < transactions.length; from += transactionsPerWindow, w++) {
    const to = Math.min(from + transactionsPerWindow, transactions.length) - 1;
    // The body runs to the next window's first transaction: the gap after its last transaction is in it.
    const bodyStart = transactions[from]!.start;
    const bodyEnd = to + 1 < transactions.length ? transactions[to + 1]!.start : last.end;
    invariant(bodyStart === covered, `window ${w} starts at byte ${bodyStart}, the previous one ended at ${covered}`);
    covered = bodyEnd;
    const body = bytes.subarray(bodyStart, bodyEnd);
    const materialize = (): Uint8Array => {
      const joined = new Uint8Array(headBytes.length + body.length + tailBytes.length);
      joined.set(headBytes, 0);
      joined.set(body, headBytes.length);
      joined.set(tailBytes, headBytes.length + body.length);
      return joined;
    };
    // Synthetic line headLines + 1 is shared by the head's last line and the body's first line;
    // the body's last line is shared with the tail's first line.
    const bodyStartLine = transactions[from]!.line;
    // The body's newlines: the scan's lines of the transactions it starts at and runs to tell them.
    const bodyEndLine = to + 1 < transactions.length ? transactions[to + 1]!.line : tailStartLine;
    const bodyLastLine = headLines + 1 + (bodyEndLine - bodyStartLine);
    windows.push({
      fileName: `w${w}.xml`, materialize, byteLength: headBytes.length + body.length + tailBytes.length,
      firstTransaction: from, transactionCount: to - from + 1,
      originalLine: (line) => line <= headLines ? document.line + line - 1
        : line <= bodyLastLine ? bodyStartLine + (line - headLines - 1)
        : tailStartLine + (line - bodyLastLine),
      repeated: (line) => line <= headLines + 1 || line >= bodyLastLine,
    });
  }
  // Head [document.start, first.start), the bodies [first.start, last.end), the tail [last.end, document.end).
  invariant(covered === last.end, `the windows end at byte ${covered}, the last transaction at ${last.end}`);
  return windows;
}

/**
 * A finding when anything but whitespace and comments stands between two consecutive transactions.
 * Every scheme schema declares its transaction element as one repeated particle, so nothing else may
 * stand between two of them; refusing it here keeps each window's elements a slice of the file's
 * (head elements, a run of transactions, tail elements), which is what makes the windowed verdict the
 * whole file's (docs/validation.md#windows).
 */
function contentBetween(bytes: Uint8Array, transactions: readonly ElementSpan[], messageRoot: ElementSpan): Finding | undefined {
  for (let t = 1; t < transactions.length; t++) {
    const found = strayContent(bytes, transactions[t - 1]!.end, transactions[t]!.start);
    if (found !== undefined) {
      const line = transactions[t]!.line - countNewlines(bytes.subarray(found.at, transactions[t]!.start));
      return { code: REASON.schemaInvalid, path: `/Document/${messageRoot.localName}`, line,
        message: `${found.what} between two ${transactions[t]!.localName} elements: nothing but whitespace and comments may stand there` };
    }
  }
  return undefined;
}

/** What stands in an envelope besides its AppHdr and Document (text or elements), if anything. */
function strayEnvelopeContent(bytes: Uint8Array, root: ElementSpan, appHdr: ElementSpan, document: ElementSpan): string | undefined {
  let contentStart = root.start;
  while (bytes[contentStart] !== 0x3e) contentStart = bytes[contentStart] === 0x22 || bytes[contentStart] === 0x27
    ? bytes.indexOf(bytes[contentStart]!, contentStart + 1) + 1 : contentStart + 1;
  return (strayContent(bytes, contentStart + 1, appHdr.start) ?? strayContent(bytes, appHdr.end, document.start) ??
    strayContent(bytes, document.end, bytes.lastIndexOf(0x3c, root.end - 1)))?.what;
}

/** Where bytes[from, to) holds more than whitespace and comments (the scan checked their syntax), and what. */
function strayContent(bytes: Uint8Array, from: number, to: number): { what: 'text' | 'an element'; at: number } | undefined {
  for (let k = from; k < to; k++) {
    const b = bytes[k]!;
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    if (b !== 0x3c) return { what: 'text', at: k };
    if (bytes[k + 1] !== 0x21 || bytes[k + 2] !== 0x2d || bytes[k + 3] !== 0x2d) return { what: 'an element', at: k };
    for (k += 4; !(bytes[k] === 0x2d && bytes[k + 1] === 0x2d && bytes[k + 2] === 0x3e); k++);
    k += 2;
  }
  return undefined;
}

function countNewlines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

/** Elements named `localName` that are direct children of `parent`. */
function spansInside(scan: ScanResult, parent: ElementSpan, localName: string): ElementSpan[] {
  const level = scan.root!.localName === 'Document' ? scan.depth3 : scan.depth4;
  return level.filter((e) => e.localName === localName && e.start > parent.start && e.end <= parent.end);
}

/** Namespace declarations an element relies on from its ancestors (an envelope may declare prefixes). */
function inheritedNamespaces(scan: ScanResult, element: ElementSpan): Map<string, string> {
  const inherited = new Map<string, string>();
  const root = scan.root!;
  if (root === element) return inherited;
  for (const [prefix, uri] of root.namespaces) if (!element.namespaces.has(prefix)) inherited.set(prefix, uri);
  return inherited;
}

/** Copy namespace declarations into the start tag of a sliced element (on its first line). */
function withNamespaces(slice: Uint8Array, namespaces: ReadonlyMap<string, string>): Uint8Array {
  if (namespaces.size === 0) return slice;
  let nameEnd = 1;
  while (nameEnd < slice.length && ![0x20, 0x09, 0x0a, 0x0d, 0x3e, 0x2f].includes(slice[nameEnd]!)) nameEnd++;
  const declarations = [...namespaces].map(([p, uri]) => ` ${p ? `xmlns:${p}` : 'xmlns'}="${uri.replace(/"/g, '&quot;')}"`).join('');
  const inserted = encoder.encode(declarations);
  const out = new Uint8Array(slice.length + inserted.length);
  out.set(slice.subarray(0, nameEnd), 0);
  out.set(inserted, nameEnd);
  out.set(slice.subarray(nameEnd), nameEnd + inserted.length);
  return out;
}

// ---------------------------------------------------------------- XSD and parsing

interface MappedXsdError extends XsdError {
  readonly originalLine: number | undefined;
}

/**
 * Windows go to the workers in jobs of at most limits.xsdJobBytesMax bytes (a job holds at least one
 * window), at most limits.xsdJobsPerWorker of a file per worker in flight (a worker runs one at a time):
 * the reasons and the figures are with the limits (switch/limits.ts).
 */

async function validateWindows(xsd: XsdValidator, messageId: string, windows: readonly Window[]):
  Promise<{ errors: MappedXsdError[]; dropped: number }> {
  const out: MappedXsdError[] = [];
  let dropped = 0;
  const seen = new Set<string>();
  // Errors are mapped, deduplicated and kept (up to limits.findingsPerFileMax, the rest counted) in
  // file order as each job's answer can be placed, so a file wrong everywhere holds at most a job's worth.
  const take = (w: Window, errors: readonly XsdError[]): void => {
    for (const e of errors) {
      const originalLine = e.line === undefined ? undefined : w.originalLine(e.line);
      if (e.line !== undefined && w.repeated(e.line)) {
        // The head and tail are repeated in every window: report their errors once.
        const key = `${originalLine}\u0000${e.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      if (out.length < limits.findingsPerFileMax) out.push({ ...e, originalLine });
      else dropped++;
    }
  };
  if (windows.length === 1) {
    take(windows[0]!, await xsd.validateOne(messageId, windows[0]!.materialize()));
    return { errors: out, dropped };
  }
  const jobs: Window[][] = [[]];
  let size = 0;
  for (const w of windows) {
    if (size + w.byteLength > limits.xsdJobBytesMax && jobs[jobs.length - 1]!.length > 0) {
      jobs.push([]);
      size = 0;
    }
    jobs[jobs.length - 1]!.push(w);
    size += w.byteLength;
  }
  const results: (ReadonlyMap<string, XsdError[]> | undefined)[] = new Array(jobs.length);
  let next = 0;
  let placed = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index]!;
      // Windows of a large file are built here for this job alone, so their buffers can be handed over.
      const files = job.map((w): XsdFile => ({ fileName: w.fileName, contents: w.materialize(), transfer: true }));
      // The windows passed the hardening scan: read first without a tree (xsd-worker.cjs runJob).
      results[index] = (await xsd.validateFiles(messageId, files, 'stream-first')).errors;
      for (; placed < jobs.length && results[placed] !== undefined; placed++) {
        for (const w of jobs[placed]!) take(w, results[placed]!.get(w.fileName) ?? []);
        results[placed] = undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(xsd.workerCount * limits.xsdJobsPerWorker, jobs.length) }, lane));
  return { errors: out, dropped };
}

function parseWindows(module: MessageModule<unknown>, windows: readonly Window[],
  onModel: ValidateOptions['onModel'], onTransaction: (tx: TransactionFacts) => void): { group: GroupFacts } | { error: string } {
  const parser = createParser(module.repeatingElements);
  let group: GroupFacts | undefined;
  let count = 0;
  try {
    for (const w of windows) {
      const tree = parser.parse(decoder.decode(w.materialize())) as XmlElement;
      const documentNode = tree['Document'] as XmlElement | undefined;
      const root = documentNode?.[module.rootElement];
      if (root === undefined || typeof root === 'string' || Array.isArray(root)) return { error: `no <${module.rootElement}> found` };
      const model = module.parse(root);
      onModel?.(model, w.firstTransaction);
      const facts = module.facts(model);
      group ??= facts.group;
      // A module may give several facts per transaction element (camt entries): index facts by a
      // running count, and re-base the container index in the path by the window's first element.
      for (const tx of facts.transactions) {
        onTransaction(windows.length === 1 ? tx : {
          ...tx, index: count, path: rebasePath(tx.path, module.transactionElement, w.firstTransaction),
        });
        count++;
      }
    }
  } catch (error) {
    return { error: `message could not be read: ${(error as Error).message}` };
  }
  return { group: group! };
}

function rebasePath(path: string, element: string | undefined, offset: number): string {
  if (element === undefined || offset === 0) return path;
  return path.replace(new RegExp(`^${element}\\[(\\d+)\\]`), (_m, k: string) => `${element}[${Number(k) + offset}]`);
}

/** The index of the transaction element a fact belongs to, read from its path ('CdtTrfTxInf[3]/...'). */
function containerIndex(path: string): number | undefined {
  const match = /^[A-Za-z]+\[(\d+)\]/.exec(path);
  return match ? Number(match[1]) : undefined;
}

/**
 * Findings for schema errors, located by element path. The paths of all of them come from ONE walk over
 * the message root's bytes, up to the last error's line (a light tag walk that decodes only names):
 * a file with thousands of errors costs one pass, not one pass (and one decoding of the file) each.
 */
function schemaFindings(bytes: Uint8Array, errors: readonly MappedXsdError[], messageRoot: ElementSpan): Finding[] {
  const wanted = new Map<number, Set<string>>();
  for (const e of errors) {
    const element = /Element '([^']+)'/.exec(e.message)?.[1];
    if (e.originalLine === undefined || element === undefined) continue;
    let names = wanted.get(e.originalLine);
    if (!names) wanted.set(e.originalLine, names = new Set());
    names.add(element.replace(/^.*:/, ''));
  }
  const paths = elementPaths(bytes, messageRoot, wanted);
  return errors.map((e) => {
    const element = /Element '([^']+)'/.exec(e.message)?.[1]?.replace(/^.*:/, '');
    const path = e.originalLine !== undefined && element !== undefined
      ? paths.get(`${e.originalLine}\u0000${element}`) ?? paths.get(`${e.originalLine}\u0000`) : undefined;
    return {
      code: REASON.schemaInvalid,
      path: path ?? `/Document/${messageRoot.localName}`,
      line: e.originalLine,
      message: e.message.replace(/^Schemas validity error : /, '').replace(/^parser error : /, 'not well-formed: '),
    };
  });
}

/**
 * Element paths for error locations: for each line and element name wanted, the path of the element of
 * that name whose start tag is on that line (key `line\0name`), and for each wanted line the path of the
 * element open there (key `line\0`), from one walk over the message root's bytes.
 */
function elementPaths(bytes: Uint8Array, messageRoot: ElementSpan, wanted: ReadonlyMap<number, ReadonlySet<string>>): Map<string, string> {
  const paths = new Map<string, string>();
  if (wanted.size === 0) return paths;
  const lastLine = Math.max(...wanted.keys());
  const stack: string[] = [];
  let line = messageRoot.line;
  let counted = messageRoot.start;
  /** Count the newlines before `to`, noting for each wanted line passed the element open there. */
  const advance = (to: number): void => {
    for (let k = bytes.indexOf(0x0a, counted); k >= 0 && k < to; k = bytes.indexOf(0x0a, k + 1)) {
      if (wanted.has(line) && stack.length > 0) paths.set(`${line}\u0000`, `/Document/${stack.join('/')}`);
      line++;
    }
    counted = to;
  };
  for (let i = messageRoot.start; i >= 0 && i < messageRoot.end && line <= lastLine; i = bytes.indexOf(0x3c, i + 1)) {
    advance(i);
    const next = bytes[i + 1];
    if (next === 0x21 || next === 0x3f) {
      const close = next === 0x3f ? indexOfBytes(bytes, '?>', i) : indexOfBytes(bytes, '-->', i);
      i = close < 0 ? messageRoot.end : close;
      continue;
    }
    let k = next === 0x2f ? i + 2 : i + 1;
    let localStart = k;
    while (k < bytes.length && ![0x20, 0x09, 0x0a, 0x0d, 0x2f, 0x3e].includes(bytes[k]!)) {
      if (bytes[k] === 0x3a) localStart = k + 1;
      k++;
    }
    const local = decoder.decode(bytes.subarray(localStart, k));
    let close = k;
    while (bytes[close] !== 0x3e) close = bytes[close] === 0x22 || bytes[close] === 0x27 ? bytes.indexOf(bytes[close]!, close + 1) + 1 : close + 1;
    if (next === 0x2f) {
      stack.pop();
    } else {
      if (wanted.get(line)?.has(local)) {
        const key = `${line}\u0000${local}`;
        if (!paths.has(key)) paths.set(key, `/Document/${[...stack, local].join('/')}`);
      }
      if (bytes[close - 1] !== 0x2f) stack.push(local);
    }
    i = close;
  }
  return paths;
}

function indexOfBytes(bytes: Uint8Array, text: string, from: number): number {
  const first = text.charCodeAt(0);
  for (let k = bytes.indexOf(first, from); k >= 0; k = bytes.indexOf(first, k + 1)) {
    let m = 1;
    while (m < text.length && bytes[k + m] === text.charCodeAt(m)) m++;
    if (m === text.length) return k + m - 1;
  }
  return -1;
}
