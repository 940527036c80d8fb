/**
 * Streaming fact extraction: the MessageFacts the rules need, read straight from the bytes by a
 * light tag walk guided by the module's FactSpec, without building an object tree.
 *
 * Why: building fast-xml-parser trees is the slowest step of validating a bulk file (several times
 * slower than libxml2's schema validation of the same bytes). The rules need only a few dozen leaf
 * values per transaction. The walk runs only after the hardening scan has accepted the file, and its
 * results are the same as module.facts(module.parse(...)) — a test holds the two equal on every
 * fixture and on generated messages.
 */
import type { AmountText, FactSpec, GroupFacts, Located, MessageFacts, TransactionFacts } from '../iso/message.ts';
import type { ElementSpan } from './scan.ts';

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QUESTION = 0x3f, QUOT = 0x22, APOS = 0x27;
const decoder = new TextDecoder('utf-8');

interface Leaf {
  readonly path: string;
  readonly text: string;
  readonly currency?: string;
}

/**
 * Walk bytes[from, to) (a well-formed run of sibling elements, as the hardening scan established),
 * calling `visit` for each leaf whose local name is in `names`, with its path relative to `from`.
 * `prefix` is prepended to paths.
 *
 * A leaf's text is built the way the fast-xml-parser configuration of ../iso/xml.ts builds it, so both
 * fact paths agree: character data is joined across comments; each run of character data between
 * CDATA sections and processing instructions is trimmed, then has its entities decoded; CDATA
 * content is kept verbatim (neither trimmed nor decoded); the runs are concatenated.
 */
function walkLeaves(bytes: Uint8Array, from: number, to: number, names: ReadonlySet<string>, prefix: string[],
  visit: (leaf: Leaf) => void): void {
  const stack = prefix.slice();
  const base = prefix.length;
  let i = bytes.indexOf(LT, from);
  let textStart = -1;
  let wanted: string | undefined;
  let currency: string | undefined;
  /** Text of the wanted leaf so far (finished runs and CDATA). */
  let text = '';
  /** Raw character data of the current run before the last comment(s), not yet trimmed or decoded. */
  let pending = '';
  while (i >= 0 && i < to) {
    const next = bytes[i + 1];
    if (next === BANG) {
      if (bytes[i + 2] === 0x5b) {
        // CDATA: ends the current run of character data; its content is text as it stands.
        const end = indexOf3(bytes, i + 9, 0x5d, 0x5d, GT);
        if (wanted !== undefined) {
          text += finishRun(bytes, pending, textStart, i) + decoder.decode(bytes.subarray(i + 9, end));
          pending = '';
        }
        textStart = end + 3;
        i = bytes.indexOf(LT, end + 3);
        continue;
      }
      // Comment: the character data on both sides is one run.
      const end = indexOf3(bytes, i + 4, 0x2d, 0x2d, GT);
      if (wanted !== undefined && textStart >= 0) pending += decoder.decode(bytes.subarray(textStart, i));
      textStart = end + 3;
      i = bytes.indexOf(LT, end + 3);
      continue;
    }
    if (next === QUESTION) {
      // Processing instruction (ends at '?>'): ends the current run of character data.
      let end = bytes.indexOf(GT, i + 2);
      while (end > 0 && bytes[end - 1] !== QUESTION) end = bytes.indexOf(GT, end + 1);
      if (end < 0) return;
      if (wanted !== undefined) {
        text += finishRun(bytes, pending, textStart, i);
        pending = '';
      }
      textStart = end + 1;
      i = bytes.indexOf(LT, end + 1);
      continue;
    }
    const close = tagEnd(bytes, i);
    if (next === SLASH) {
      if (wanted !== undefined) {
        text += finishRun(bytes, pending, textStart, i);
        visit({ path: stack.slice(base).join('/'), text, currency });
        wanted = undefined;
        currency = undefined;
        text = '';
        pending = '';
      }
      stack.pop();
      textStart = -1;
      i = bytes.indexOf(LT, close + 1);
      continue;
    }
    let k = i + 1;
    let colon = -1;
    while (k < close && bytes[k] !== 0x20 && bytes[k] !== 0x09 && bytes[k] !== 0x0a && bytes[k] !== 0x0d && bytes[k] !== SLASH && bytes[k] !== GT) {
      if (bytes[k] === 0x3a) colon = k;
      k++;
    }
    const local = ascii(bytes, colon >= 0 ? colon + 1 : i + 1, k);
    const selfClosing = bytes[close - 1] === SLASH;
    stack.push(local);
    text = '';
    pending = '';
    if (names.has(local)) {
      wanted = local;
      currency = k < close ? attributeValue(bytes, k, close, 'Ccy') : undefined;
      if (selfClosing) {
        visit({ path: stack.slice(base).join('/'), text: '', currency });
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

/** The text of one run of character data: `pending` (before comments) and bytes[from, to), trimmed, then decoded. */
function finishRun(bytes: Uint8Array, pending: string, from: number, to: number): string {
  const raw = from >= 0 && from < to ? decoder.decode(bytes.subarray(from, to)) : '';
  return decodeEntities((pending === '' ? raw : pending + raw).trim());
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

const attributePatterns = new Map<string, RegExp>();
function attributeValue(bytes: Uint8Array, from: number, to: number, name: string): string | undefined {
  const source = decoder.decode(bytes.subarray(from, to));
  let pattern = attributePatterns.get(name);
  if (pattern === undefined) {
    pattern = new RegExp(`(?:^|\\s)(?:[\\w.-]+:)?${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
    attributePatterns.set(name, pattern);
  }
  const match = pattern.exec(source);
  return match ? decodeEntities(match[1] ?? match[2] ?? '') : undefined;
}

function indexOf3(bytes: Uint8Array, from: number, a: number, b: number, c: number): number {
  for (let k = bytes.indexOf(a, from); k >= 0; k = bytes.indexOf(a, k + 1)) {
    if (bytes[k + 1] === b && bytes[k + 2] === c) return k;
  }
  return bytes.length;
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let k = from; k < to; k++) s += String.fromCharCode(bytes[k]!);
  return s;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decodeEntities(text: string): string {
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
  transactions: readonly ElementSpan[], spec: FactSpec, onTransaction?: (tx: TransactionFacts) => void): MessageFacts {
  // Group: everything in the root outside the transactions.
  const groupPaths = new Map<string, keyof GroupFacts>();
  for (const [key, path] of Object.entries(spec.group)) groupPaths.set(path!, key as keyof GroupFacts);
  const groupNames = new Set([...groupPaths.keys()].map(lastSegment));
  const group: Record<string, string | AmountText> = {};
  const visitGroup = (leaf: Leaf): void => {
    const key = groupPaths.get(leaf.path);
    if (key === undefined || group[key] !== undefined) return;
    group[key] = key === 'totalAmount' ? { currency: leaf.currency ?? '', value: leaf.text } : leaf.text;
  };
  const contentStart = tagEnd(bytes, messageRoot.start) + 1;
  const contentEnd = closingTagStart(bytes, messageRoot.end);
  const first = transactions[0];
  const last = transactions[transactions.length - 1];
  walkLeaves(bytes, contentStart, first ? first.start : contentEnd, groupNames, [], visitGroup);
  if (last) walkLeaves(bytes, last.end, contentEnd, groupNames, [], visitGroup);

  const txPaths = new Map<string, string>();
  for (const [key, path] of Object.entries(spec.transaction)) txPaths.set(path!, key);
  const txNames = new Set([...txPaths.keys()].map(lastSegment));
  txNames.add(spec.ibanElement);
  txNames.add(spec.bicElement);
  const excludedPrefixes = (spec.excludeUnder ?? []).map((prefix) => `${prefix}/`);
  const excluded = (leafPath: string): boolean => excludedPrefixes.some((prefix) => leafPath.startsWith(prefix));
  const out: TransactionFacts[] = [];
  transactions.forEach((span, index) => {
    const path = `${transactionElement}[${index}]`;
    const fields: Record<string, unknown> = {};
    const ibans: Located[] = [];
    const bics: Located[] = [];
    walkLeaves(bytes, tagEnd(bytes, span.start) + 1, closingTagStart(bytes, span.end), txNames, [], (leaf) => {
      const local = lastSegment(leaf.path);
      if (local === spec.ibanElement && !excluded(leaf.path)) ibans.push({ path: `${path}/${leaf.path}`, value: leaf.text });
      if (local === spec.bicElement && !excluded(leaf.path)) bics.push({ path: `${path}/${leaf.path}`, value: leaf.text });
      const key = txPaths.get(leaf.path);
      if (key === undefined || fields[key] !== undefined) return;
      fields[key] = key === 'amount' ? { currency: leaf.currency ?? '', value: leaf.text } : leaf.text;
    });
    const tx = ({ index, path, ...fields, ...(spec.transaction.amount && spec.transaction.amount !== 'IntrBkSttlmAmt' && fields.amount ? { amountElement: spec.transaction.amount } : {}), ibans, bics } as TransactionFacts);
    // With a visitor, facts are handed over one by one and not kept (bulk files).
    if (onTransaction) onTransaction(tx);
    else out.push(tx);
  });
  return { group: group as unknown as GroupFacts, transactions: out };
}

/** Start of the end tag of an element that ends (exclusive) at `end`; for '/>' elements, `end`. */
function closingTagStart(bytes: Uint8Array, end: number): number {
  if (bytes[end - 2] === SLASH) return end;
  return bytes.lastIndexOf(LT, end - 1);
}
