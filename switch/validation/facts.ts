/**
 * Streaming fact extraction: the MessageFacts the rules need, read straight from the bytes by a
 * light tag walk guided by the module's FactSpec, without building an object tree.
 *
 * Why: building fast-xml-parser trees is the slowest step of validating a bulk file (several times
 * slower than libxml2's schema validation of the same bytes). The rules need only a few dozen leaf
 * values per transaction. The walk runs only after the hardening scan has accepted the file.
 *
 * What it reads is what a conforming XML parser reads (docs/validation.md#one-reading-of-every-message):
 * a value is the element's character data with line ends normalised and references replaced (CDATA
 * taken as it stands, comments and processing instructions left out), never trimmed; an attribute is
 * found by its exact unprefixed name and its value normalised as XML normalises a CDATA attribute.
 * Elements are matched by local name, which names them exactly because the hardening scan's lexical
 * profile puts every element of the Document in the message's namespace. A differential test holds
 * these facts equal to a conforming namespace-aware parser's reading on generated documents, and
 * another to module.facts(module.parse(...)) on every fixture and on generated messages.
 */
import { Buffer } from 'node:buffer';
import type { AmountText, FactSpec, GroupFacts, Located, MessageFacts, TransactionFacts } from '../iso/message.ts';
import type { ElementSpan } from './scan.ts';
import { limits } from '../limits.ts';

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QUESTION = 0x3f, QUOT = 0x22, APOS = 0x27, EQ = 0x3d;
const decoder = new TextDecoder('utf-8');

/** An element's place below the walk's start: its path ('Dbtr/Nm') and local name, each made once per walk. */
interface PathNode {
  readonly path: string;
  readonly local: string;
  readonly children: Map<string, PathNode>;
}

/** What a walk calls for each wanted element: its place, its character data and its Ccy attribute. */
type LeafVisitor = (node: PathNode, text: string, currency: string | undefined) => void;

/**
 * Walk bytes[from, to) (a well-formed run of sibling elements, as the hardening scan established),
 * calling `visit` for each element whose local name is in `names`, with its path relative to `from`
 * and its character data as a conforming parser reports it: the runs of text (line ends normalised,
 * then references replaced) and CDATA sections (line ends normalised) in order; comments and
 * processing instructions end a run and add nothing.
 */
function walkLeaves(bytes: Uint8Array, from: number, to: number, names: ReadonlySet<string>, visit: LeafVisitor,
  localNames: LocalNames = new LocalNames(), paths: Paths = new Paths()): void {
  const stack: PathNode[] = [];
  let i = bytes.indexOf(LT, from);
  let textStart = -1;
  let wanted: string | undefined;
  let currency: string | undefined;
  /** Character data of the wanted element so far. */
  let text = '';
  while (i >= 0 && i < to) {
    const next = bytes[i + 1];
    if (next === BANG || next === QUESTION) {
      const cdata = next === BANG && bytes[i + 2] === 0x5b;
      const end = cdata ? indexOf3(bytes, i + 9, 0x5d, 0x5d, GT) + 3
        : next === BANG ? indexOf3(bytes, i + 4, 0x2d, 0x2d, GT) + 3 : indexOf2(bytes, i + 2, QUESTION, GT) + 2;
      if (wanted !== undefined) {
        text += characterData(bytes, textStart, i);
        if (cdata) text += normaliseLineEnds(decoder.decode(bytes.subarray(i + 9, end - 3)));
      }
      textStart = end;
      i = bytes.indexOf(LT, end);
      continue;
    }
    if (next === SLASH) {
      // An end tag holds a name and maybe whitespace, no quotes (the scan checked its form): its '>' is the next one.
      const gt = bytes.indexOf(GT, i + 2);
      const close = gt < 0 ? bytes.length : gt;
      if (wanted !== undefined) {
        text += characterData(bytes, textStart, i);
        visit(stack[stack.length - 1]!, text, currency);
        wanted = undefined;
        currency = undefined;
        text = '';
      }
      stack.pop();
      textStart = -1;
      i = bytes.indexOf(LT, close + 1);
      continue;
    }
    let k = i + 1;
    let colon = -1;
    while (k < to && !isSpace(bytes[k]!) && bytes[k] !== SLASH && bytes[k] !== GT) {
      if (bytes[k] === 0x3a) colon = k;
      k++;
    }
    // The tag's '>' from the end of its name on (a name holds no quotes).
    const close = tagEnd(bytes, k - 1);
    const local = localNames.get(bytes, colon >= 0 ? colon + 1 : i + 1, k);
    const selfClosing = bytes[close - 1] === SLASH;
    const node = paths.child(stack.length === 0 ? paths.root : stack[stack.length - 1]!, local);
    stack.push(node);
    text = '';
    if (names.has(local)) {
      wanted = local;
      currency = k < close ? attributeValue(bytes, k, close, 'Ccy') : undefined;
      if (selfClosing) {
        visit(node, '', currency);
        wanted = undefined;
      }
    } else {
      wanted = undefined;
    }
    if (selfClosing) stack.pop();
    textStart = close + 1;
    i = bytes.indexOf(LT, close + 1);
  }
}

/** Character data bytes[from, to) as a conforming parser reports it: line ends normalised, then references replaced. */
function characterData(bytes: Uint8Array, from: number, to: number): string {
  if (from < 0 || from >= to) return '';
  return decodeReferences(normaliseLineEnds(utf8Text(bytes, from, to)));
}

/**
 * Node's Latin-1 slice of bytes (Buffer.prototype.latin1Slice, which takes any Uint8Array): for ASCII
 * bytes the same string as UTF-8 decoding, made without the view (a Buffer object) and the decoder call
 * that `decoder.decode(bytes.subarray(…))` costs — some 150,000 of each per bulk file.
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Uint8Array, from: number, to: number) => string }).latin1Slice;

/** bytes[from, to) decoded as UTF-8 (the scan established that the file is): ASCII runs by latin1Slice. */
function utf8Text(bytes: Uint8Array, from: number, to: number): string {
  if (latin1Slice === undefined) return decoder.decode(bytes.subarray(from, to));
  for (let k = from; k < to; k++) if (bytes[k]! >= 0x80) return decoder.decode(bytes.subarray(from, to));
  return latin1Slice.call(bytes, from, to);
}

/** XML end-of-line handling: CR LF and a lone CR read as LF. */
function normaliseLineEnds(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/** Offset of the '>' closing the tag that starts at `start`, skipping quoted attribute values. */
function tagEnd(bytes: Uint8Array, start: number): number {
  let k = start + 1;
  for (;;) {
    const b = bytes[k];
    if (b === GT || b === undefined) return k;
    if (b === QUOT || b === APOS) {
      k = bytes.indexOf(b, k + 1);
      if (k < 0) return bytes.length;
    }
    k++;
  }
}

/**
 * The value of the attribute whose qualified name is exactly `name` (so unprefixed: no namespace) in
 * the start tag bytes[from, to) (`from` just past the element name, `to` the closing '>'), normalised as
 * XML normalises an attribute of type CDATA (line ends, then each tab or line feed as a space, then
 * references replaced); undefined when the tag has no such attribute. Namespace declarations and
 * prefixed attributes are other names, whatever their values hold.
 */
function attributeValue(bytes: Uint8Array, from: number, to: number, name: string): string | undefined {
  let k = from;
  for (;;) {
    while (k < to && isSpace(bytes[k])) k++;
    if (k >= to || bytes[k] === SLASH) return undefined;
    const nameStart = k;
    while (k < to && bytes[k] !== EQ && !isSpace(bytes[k])) k++;
    const nameEnd = k;
    while (k < to && bytes[k] !== QUOT && bytes[k] !== APOS) k++;
    const valueEnd = bytes.indexOf(bytes[k]!, k + 1);
    if (k >= to || valueEnd < 0) return undefined;
    if (nameEnd - nameStart === name.length && ascii(bytes, nameStart, nameEnd) === name) {
      const raw = normaliseLineEnds(decoder.decode(bytes.subarray(k + 1, valueEnd)));
      return decodeReferences(raw.replace(/[\t\n]/g, ' '));
    }
    k = valueEnd + 1;
  }
}

function indexOf3(bytes: Uint8Array, from: number, a: number, b: number, c: number): number {
  for (let k = bytes.indexOf(a, from); k >= 0; k = bytes.indexOf(a, k + 1)) {
    if (bytes[k + 1] === b && bytes[k + 2] === c) return k;
  }
  return bytes.length;
}

function indexOf2(bytes: Uint8Array, from: number, a: number, b: number): number {
  for (let k = bytes.indexOf(a, from); k >= 0; k = bytes.indexOf(a, k + 1)) {
    if (bytes[k + 1] === b) return k;
  }
  return bytes.length;
}

/**
 * Element local names as strings, each made once per walk of a message: a bulk file has some 50 elements
 * per transaction but only a few dozen distinct names, and making each name's string again (one
 * allocation per character) was a large share of the walk's garbage. A name is found by a hash of its
 * bytes and its string compared with them, so a collision is never a wrong name (it is made anew).
 */
class LocalNames {
  private readonly byHash = new Map<number, string>();
  get(bytes: Uint8Array, from: number, to: number): string {
    let h = to - from;
    for (let k = from; k < to; k++) h = (Math.imul(h, 31) + bytes[k]!) | 0;
    const known = this.byHash.get(h);
    if (known !== undefined && known.length === to - from) {
      let same = true;
      for (let k = from; k < to && same; k++) same = known.charCodeAt(k - from) === bytes[k];
      if (same) return known;
    }
    const made = ascii(bytes, from, to);
    if (known === undefined && this.byHash.size < limits.factWalkNamesRememberedMax) this.byHash.set(h, made);
    return made;
  }
}

/**
 * Element paths as strings, each made once per walk of a message: a transaction's wanted leaves had
 * their path joined from the stack at each visit (some 20 strings per transaction). Bounded like the
 * names (limits.factWalkNamesRememberedMax): past it, a path is made each time met.
 */
class Paths {
  readonly root: PathNode = { path: '', local: '', children: new Map() };
  private remembered = 0;
  child(parent: PathNode, local: string): PathNode {
    const known = parent.children.get(local);
    if (known !== undefined) return known;
    const node: PathNode = { path: parent === this.root ? local : `${parent.path}/${local}`, local, children: new Map() };
    if (this.remembered < limits.factWalkNamesRememberedMax) {
      parent.children.set(local, node);
      this.remembered++;
    }
    return node;
  }
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let k = from; k < to; k++) s += String.fromCharCode(bytes[k]!);
  return s;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** Replace the five predefined entity references and character references (the scan allows no others). */
function decodeReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENTITIES[e]!);
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Extract MessageFacts from the message root element's bytes. `transactions` are the spans of the
 * transaction elements (from the hardening scan), in document order.
 */
export function extractFacts(bytes: Uint8Array, messageRoot: ElementSpan, transactionElement: string | undefined,
  transactions: readonly ElementSpan[], spec: FactSpec, onTransaction?: (tx: TransactionFacts) => void,
  extraLeaves?: ReadonlySet<string>): MessageFacts {
  const steps = factSteps(bytes, messageRoot, transactionElement, transactions, spec, onTransaction, extraLeaves, Infinity);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `extractFacts`, giving the event loop a turn after every `transactionsPerTurn` transactions: a bulk
 * file's walk is some 100 ms of the main thread, during which another file's statements and the XSD
 * workers' answers would wait (decision 103). The same facts, handed over in the same order.
 */
export async function extractFactsInTurns(bytes: Uint8Array, messageRoot: ElementSpan, transactionElement: string | undefined,
  transactions: readonly ElementSpan[], spec: FactSpec, onTransaction: ((tx: TransactionFacts) => void) | undefined,
  extraLeaves: ReadonlySet<string> | undefined, transactionsPerTurn: number): Promise<MessageFacts> {
  const steps = factSteps(bytes, messageRoot, transactionElement, transactions, spec, onTransaction, extraLeaves, transactionsPerTurn);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The walk of `extractFacts`, pausing (yield) after every `transactionsPerStep` transactions. */
function* factSteps(bytes: Uint8Array, messageRoot: ElementSpan, transactionElement: string | undefined,
  transactions: readonly ElementSpan[], spec: FactSpec, onTransaction: ((tx: TransactionFacts) => void) | undefined,
  extraLeaves: ReadonlySet<string> | undefined, transactionsPerStep: number): Generator<void, MessageFacts> {
  // Group: everything in the root outside the transactions.
  const groupPaths = new Map<string, keyof GroupFacts>();
  for (const [key, path] of Object.entries(spec.group)) groupPaths.set(path!, key as keyof GroupFacts);
  const groupNames = new Set([...groupPaths.keys()].map(lastSegment));
  const group: Record<string, string | AmountText> = {};
  const visitGroup: LeafVisitor = (node, text, currency) => {
    const key = groupPaths.get(node.path);
    if (key === undefined || group[key] !== undefined) return;
    group[key] = key === 'totalAmount' ? { currency: currency ?? '', value: text } : text;
  };
  const contentStart = tagEnd(bytes, messageRoot.start) + 1;
  const contentEnd = closingTagStart(bytes, messageRoot.end);
  const first = transactions[0];
  const last = transactions[transactions.length - 1];
  walkLeaves(bytes, contentStart, first ? first.start : contentEnd, groupNames, visitGroup);
  if (last) walkLeaves(bytes, last.end, contentEnd, groupNames, visitGroup);

  const txPaths = new Map<string, string>();
  for (const [key, path] of Object.entries(spec.transaction)) txPaths.set(path!, key);
  const txNames = new Set([...txPaths.keys()].map(lastSegment));
  txNames.add(spec.ibanElement);
  txNames.add(spec.bicElement);
  // Extra leaves (the risk stage's: switch/risk/facts.ts) read in this same walk: a leaf element is
  // visited whenever its local name is asked for, whatever other names are, so each one is read exactly
  // as a walk of its own would read it.
  if (extraLeaves !== undefined) for (const p of extraLeaves) txNames.add(lastSegment(p));
  const excludedPrefixes = (spec.excludeUnder ?? []).map((prefix) => `${prefix}/`);
  const excluded = (leafPath: string): boolean => excludedPrefixes.some((prefix) => leafPath.startsWith(prefix));
  const out: TransactionFacts[] = [];
  const localNames = new LocalNames();
  const paths = new Paths();
  // One visitor for every transaction, over the current one's state: a closure made per transaction is
  // 10,000 allocations per bulk file (and cost a naming call each under tsx's keepNames, decision 85).
  let path = '';
  let fields: Record<string, unknown> = {};
  let ibans: Located[] = [];
  let bics: Located[] = [];
  let leaves: Map<string, string> | undefined;
  const visitTransaction: LeafVisitor = (node, text, currency) => {
    const { local, path: leafPath } = node;
    if (local === spec.ibanElement && !excluded(leafPath)) ibans.push({ path: `${path}/${leafPath}`, value: text });
    if (local === spec.bicElement && !excluded(leafPath)) bics.push({ path: `${path}/${leafPath}`, value: text });
    if (leaves !== undefined && extraLeaves!.has(leafPath) && !leaves.has(leafPath)) leaves.set(leafPath, text);
    const key = txPaths.get(leafPath);
    if (key === undefined || fields[key] !== undefined) return;
    fields[key] = key === 'amount' ? { currency: currency ?? '', value: text } : text;
  };
  for (let index = 0; index < transactions.length; index++) {
    const span = transactions[index]!;
    path = `${transactionElement}[${index}]`;
    // The facts object itself, its keys in the order a spread of { index, path, ...leaves read, …} gave
    // them (no spec key is one of these): one object per transaction, not a second one copied from the first.
    fields = { index, path };
    ibans = [];
    bics = [];
    leaves = extraLeaves === undefined ? undefined : new Map<string, string>();
    walkLeaves(bytes, tagEnd(bytes, span.start) + 1, closingTagStart(bytes, span.end), txNames, visitTransaction, localNames, paths);
    if (spec.transaction.amount && spec.transaction.amount !== 'IntrBkSttlmAmt' && fields.amount) fields.amountElement = spec.transaction.amount;
    fields.ibans = ibans;
    fields.bics = bics;
    if (leaves !== undefined) fields.leaves = leaves;
    const tx = fields as unknown as TransactionFacts;
    // With a visitor, facts are handed over one by one and not kept (bulk files).
    if (onTransaction) onTransaction(tx);
    else out.push(tx);
    if ((index + 1) % transactionsPerStep === 0 && index + 1 < transactions.length) yield;
  }
  return { group: group as unknown as GroupFacts, transactions: out };
}

/** Start of the end tag of an element that ends (exclusive) at `end`; for '/>' elements, `end`. */
function closingTagStart(bytes: Uint8Array, end: number): number {
  if (bytes[end - 2] === SLASH) return end;
  return bytes.lastIndexOf(LT, end - 1);
}

/**
 * The leaves of ONE element given alone (a transaction element as intake keeps it,
 * validation/forward.ts), read as `extractFacts` reads them: `visit` is called for each element whose
 * local name is in `names`, with its path relative to the element (e.g. 'Dbtr/Nm') and its value as a
 * conforming parser reads it. The risk stage's facts (switch/risk/facts.ts) come from here.
 */
export function walkElementLeaves(bytes: Uint8Array, names: ReadonlySet<string>, visit: (path: string, text: string) => void): void {
  const start = bytes.indexOf(LT);
  if (start < 0) return;
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] !== GT) end--;
  walkLeaves(bytes, tagEnd(bytes, start) + 1, closingTagStart(bytes, end), names, (node, text) => visit(node.path, text));
}
