/**
 * The hardening scan: one pass over the raw bytes of an inbound file BEFORE any XML parser sees it.
 *
 * It refuses what no ISO 20022 message needs and what attacks parsers: a DOCTYPE or any other markup
 * declaration (so no DTD, no external entity, no entity expansion), entity references other than the
 * five predefined ones and character references, input that is not UTF-8, files over the size limit
 * and nesting over the depth limit. While it walks the file it also records the structure the rest of
 * the pipeline needs without parsing twice: the root element, the AppHdr and Document elements of an
 * envelope with their namespaces, and the byte range and line of every transaction element, so that
 * large files can be validated and parsed in windows.
 *
 * It is not a full XML parser: well-formedness is checked later by libxml2 (XSD step). It only has to be
 * right about markup boundaries, which it is, because it tracks comments, CDATA, processing
 * instructions and quoted attribute values.
 */
import { isUtf8 } from 'node:buffer';
import { limits } from '../limits.ts';
import type { Finding } from '../iso/finding.ts';
import { REASON } from '../iso/reason-codes.ts';

export interface ElementSpan {
  readonly name: string;
  /** Local name without prefix. */
  readonly localName: string;
  /** Byte offset of '<' of the start tag. */
  readonly start: number;
  /** Byte offset just past the end tag's '>' (or the '/>' of an empty element). */
  readonly end: number;
  /** 1-based line of the start tag. */
  readonly line: number;
  /** Namespace declarations on this element: prefix ('' for default) -> URI. */
  readonly namespaces: ReadonlyMap<string, string>;
  /** Namespace of this element, resolved against its own and its ancestors' declarations. */
  readonly namespace: string | undefined;
}

export interface ScanResult {
  readonly findings: Finding[];
  /** The root element (Document for a bare message, the wrapper for an envelope). */
  readonly root?: ElementSpan;
  /** Children of the root (depth 2): AppHdr and Document in an envelope, the message root otherwise. */
  readonly rootChildren: ElementSpan[];
  /** Elements at depth 3 (children of the root's children). */
  readonly depth3: ElementSpan[];
  /** Elements at depth 4. In an envelope, these are the transactions' parents' children. */
  readonly depth4: ElementSpan[];
  readonly byteLength: number;
}

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QUESTION = 0x3f, AMP = 0x26, SEMI = 0x3b;
const QUOT = 0x22, APOS = 0x27, EQ = 0x3d, NL = 0x0a, DASH = 0x2d, LBRACKET = 0x5b;

const PREDEFINED_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
/** Elements deeper than this are checked but not recorded (the pipeline needs depths 1 to 4). */
const RECORDED_DEPTH_MAX = 4;
const NO_NAMESPACES: Map<string, string> = new Map();

function isNameChar(c: number): boolean {
  return c > 0x7f || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f || c === 0x3a || c === DASH || c === 0x2e;
}
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

interface OpenElement {
  /** Byte range of the qualified name in the start tag; compared byte-wise with the end tag. */
  nameStart: number;
  nameEnd: number;
  /** Materialised only for the shallow elements the pipeline records (and for messages). */
  name: string;
  start: number;
  line: number;
  namespaces: Map<string, string>;
  namespace: string | undefined;
}

class Refusal extends Error {
  constructor(readonly finding: Finding) {
    super(finding.message);
  }
}

/**
 * Scan `bytes`. Never throws for bad input: problems come back as findings (the scan stops at the
 * first refusal, since nothing after a DOCTYPE or broken encoding can be trusted).
 */
export function scanXml(bytes: Uint8Array): ScanResult {
  const rootChildren: ElementSpan[] = [];
  const depth3: ElementSpan[] = [];
  const depth4: ElementSpan[] = [];
  const result = (findings: Finding[], root?: ElementSpan): ScanResult =>
    ({ findings, root, rootChildren, depth3, depth4, byteLength: bytes.length });

  if (bytes.length > limits.fileSizeBytesMax) {
    return result([{
      code: REASON.fileTooLarge, path: '/', line: 1,
      message: `file is ${bytes.length} bytes; the limit is ${limits.fileSizeBytesMax} bytes`,
    }]);
  }
  if (bytes.length === 0) {
    return result([{ code: REASON.notWellFormed, path: '/', line: 1, message: 'file is empty' }]);
  }
  if (!isUtf8(bytes)) {
    return result([{ code: REASON.notUtf8, path: '/', line: 1, message: 'file is not valid UTF-8' }]);
  }
  try {
    const root = walk(bytes, rootChildren, depth3, depth4);
    return result([], root);
  } catch (error) {
    if (error instanceof Refusal) return result([error.finding]);
    throw error;
  }
}

function walk(bytes: Uint8Array, rootChildren: ElementSpan[], depth3: ElementSpan[], depth4: ElementSpan[]):
  ElementSpan | undefined {
  const n = bytes.length;
  let i = 0;
  let line = 1;
  let root: ElementSpan | undefined;
  const stack: OpenElement[] = [];
  // A bare Document's transactions are at depth 3, an envelope's at depth 4: record no deeper.
  let recordedDepth = RECORDED_DEPTH_MAX;
  // No closures over the loop's variables: V8 keeps them in registers only when nothing captures them.
  // Skip a UTF-8 byte order mark.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;

  while (i < n) {
    const c = bytes[i]!;
    if (c === NL) { line++; i++; continue; }
    if (c === AMP) {
      // Entity or character reference in text.
      const end = bytes.indexOf(SEMI, i);
      const name = end > i && end - i < 12 ? ascii(bytes, i + 1, end) : '';
      if (!(PREDEFINED_ENTITIES.has(name) || /^#(\d{1,7}|x[0-9a-fA-F]{1,6})$/.test(name))) {
        refuse(stack, line, REASON.entityRefused, `entity reference '&${name || '...'}' refused: only the five predefined ` +
          'entities and character references are allowed');
      }
      i = end + 1;
      continue;
    }
    if (c !== LT) {
      if (stack.length === 0 && !isSpace(c)) refuse(stack, line, REASON.notWellFormed, 'text outside the root element');
      i++;
      continue;
    }
    const next = bytes[i + 1];
    if (next === QUESTION) {
      const end = indexOfSeq(bytes, i + 2, [QUESTION, GT]);
      if (end < 0) refuse(stack, line, REASON.notWellFormed, 'unterminated processing instruction');
      const target = ascii(bytes, i + 2, Math.min(end, i + 40)).split(/\s/)[0]!;
      if (target.toLowerCase() === 'xml') {
        const declaration = ascii(bytes, i, end);
        const encoding = /encoding\s*=\s*["']([^"']+)["']/.exec(declaration)?.[1];
        if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
          refuse(stack, line, REASON.notUtf8, `declared encoding '${encoding}' refused: only UTF-8 is accepted`);
        }
      }
      line += countLines(bytes, i, end);
      i = end + 2;
      continue;
    }
    if (next === BANG) {
      if (bytes[i + 2] === DASH && bytes[i + 3] === DASH) {
        const end = indexOfSeq(bytes, i + 4, [DASH, DASH, GT]);
        if (end < 0) refuse(stack, line, REASON.notWellFormed, 'unterminated comment');
        line += countLines(bytes, i, end);
        i = end + 3;
        continue;
      }
      if (bytes[i + 2] === LBRACKET && ascii(bytes, i + 3, i + 9) === 'CDATA[') {
        if (stack.length === 0) refuse(stack, line, REASON.notWellFormed, 'CDATA outside the root element');
        const end = indexOfSeq(bytes, i + 9, [0x5d, 0x5d, GT]);
        if (end < 0) refuse(stack, line, REASON.notWellFormed, 'unterminated CDATA section');
        line += countLines(bytes, i, end);
        i = end + 3;
        continue;
      }
      const keyword = ascii(bytes, i + 2, Math.min(n, i + 10)).toUpperCase();
      if (keyword.startsWith('DOCTYPE')) {
        refuse(stack, line, REASON.dtdRefused, 'DOCTYPE refused: DTDs, external entities and entity declarations are not accepted');
      }
      refuse(stack, line, REASON.dtdRefused, `markup declaration '<!${keyword.split(/\s/)[0]}' refused`);
    }
    if (next === SLASH) {
      // End tag.
      let k = i + 2;
      while (k < n && isNameChar(bytes[k]!)) k++;
      const nameEnd = k;
      while (k < n && isSpace(bytes[k]!)) { if (bytes[k] === NL) line++; k++; }
      if (bytes[k] !== GT) refuse(stack, line, REASON.notWellFormed, `malformed end tag </${utf8(bytes, i + 2, nameEnd)}`);
      const open = stack.pop();
      if (!open || !sameBytes(bytes, open.nameStart, open.nameEnd, i + 2, nameEnd)) {
        refuse(stack, line, REASON.notWellFormed, `end tag </${utf8(bytes, i + 2, nameEnd)}> does not match ` +
          (open ? `<${utf8(bytes, open.nameStart, open.nameEnd)}>` : 'any open element'));
      }
      const depth = stack.length + 1;
      if (depth <= recordedDepth) {
        const span = close(open!, k + 1);
        record(span, depth);
        if (depth === 1) root = span;
      }
      i = k + 1;
      continue;
    }
    // Start tag.
    if (stack.length === 0 && root !== undefined) refuse(stack, line, REASON.notWellFormed, 'a second root element');
    let k = i + 1;
    while (k < n && isNameChar(bytes[k]!)) k++;
    const nameEnd = k;
    if (nameEnd === i + 1) refuse(stack, line, REASON.notWellFormed, "'<' not followed by a name");
    if (nameEnd - i - 1 > limits.nameLengthMax) refuse(stack, line, REASON.notWellFormed, `element name longer than ${limits.nameLengthMax}`);
    const shallow = stack.length < recordedDepth;
    const name = shallow ? utf8(bytes, i + 1, nameEnd) : '';
    if (stack.length === 0 && name.slice(name.indexOf(':') + 1) === 'Document') recordedDepth = 3;
    const startLine = line;
    // Allocated on the first namespace declaration only: most elements declare none.
    let namespaces = NO_NAMESPACES;
    let attributeCount = 0;
    let selfClosing = false;
    for (;;) {
      while (k < n && isSpace(bytes[k]!)) { if (bytes[k] === NL) line++; k++; }
      const b = bytes[k];
      if (b === undefined) refuse(stack, line, REASON.notWellFormed, `unterminated start tag <${name}`);
      if (b === GT) { k++; break; }
      if (b === SLASH && bytes[k + 1] === GT) { selfClosing = true; k += 2; break; }
      const nameStart = k;
      while (k < n && isNameChar(bytes[k]!)) k++;
      if (k === nameStart) refuse(stack, line, REASON.notWellFormed, `malformed attribute in <${name}>`);
      const attributeNameEnd = k;
      while (k < n && isSpace(bytes[k]!)) { if (bytes[k] === NL) line++; k++; }
      const attributeName = (): string => ascii(bytes, nameStart, attributeNameEnd); // only on error paths
      if (bytes[k] !== EQ) refuse(stack, line, REASON.notWellFormed, `attribute ${attributeName()} without a value in <${name}>`);
      k++;
      while (k < n && isSpace(bytes[k]!)) { if (bytes[k] === NL) line++; k++; }
      const quote = bytes[k];
      if (quote !== QUOT && quote !== APOS) refuse(stack, line, REASON.notWellFormed, `unquoted attribute ${attributeName()} in <${name}>`);
      const valueEnd = bytes.indexOf(quote!, k + 1);
      if (valueEnd < 0) refuse(stack, line, REASON.notWellFormed, `unterminated attribute ${attributeName()} in <${name}>`);
      for (let v = k + 1; v < valueEnd; v++) {
        const b = bytes[v]!;
        if (b === NL) line++;
        else if (b === LT) refuse(stack, line, REASON.notWellFormed, `'<' in attribute ${attributeName()} of <${name}>`);
        else if (b === AMP) {
          const value = utf8(bytes, k + 1, valueEnd);
          for (const m of value.matchAll(/&([^;]{0,12});?/g)) {
            if (!(PREDEFINED_ENTITIES.has(m[1]!) || /^#(\d{1,7}|x[0-9a-fA-F]{1,6})$/.test(m[1]!)) || !m[0].endsWith(';')) {
              refuse(stack, line, REASON.entityRefused, `entity reference '&${m[1]};' refused in attribute ${attributeName()}`);
            }
          }
          break;
        }
      }
      if (++attributeCount > limits.attributesPerElementMax) {
        refuse(stack, line, REASON.notWellFormed, `more than ${limits.attributesPerElementMax} attributes on <${name}>`);
      }
      // Namespace declarations matter only where the pipeline reads them (the shallow elements).
      if (shallow && bytes[nameStart] === 0x78 /* x */ && bytes[nameStart + 1] === 0x6d /* m */) {
        const attribute = attributeName();
        const value = utf8(bytes, k + 1, valueEnd);
        if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) {
          if (namespaces === NO_NAMESPACES) namespaces = new Map();
          namespaces.set(attribute === 'xmlns' ? '' : attribute.slice(6), value);
        }
      }
      k = valueEnd + 1;
    }
    const colon = name.indexOf(':');
    const prefix = colon < 0 ? '' : name.slice(0, colon);
    const open: OpenElement = {
      nameStart: i + 1, nameEnd, name, start: i, line: startLine, namespaces,
      namespace: shallow ? namespaces.get(prefix) ?? lookupNamespace(stack, prefix) : undefined,
    };
    if (stack.length + 1 > limits.nestingDepthMax) {
      stack.push(open);
      refuse(stack, line, REASON.nestingTooDeep, `element nesting deeper than ${limits.nestingDepthMax} levels`);
    }
    if (selfClosing) {
      if (shallow) {
        const span = close(open, k);
        record(span, stack.length + 1);
        if (stack.length === 0) root = span;
      }
    } else {
      stack.push(open);
    }
    i = k;
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1]!;
    refuse(stack, line, REASON.notWellFormed, `end of file inside <${utf8(bytes, open.nameStart, open.nameEnd)}>`);
  }
  if (root === undefined) refuse(stack, line, REASON.notWellFormed, 'no root element');
  return root;

  function record(span: ElementSpan, depth: number): void {
    if (depth === 2) rootChildren.push(span);
    else if (depth === 3) depth3.push(span);
    else if (depth === 4) depth4.push(span);
  }
}

function refuse(stack: OpenElement[], line: number, code: string, message: string): never {
  throw new Refusal({ code, path: pathOf(stack), line, message });
}

function indexOfSeq(bytes: Uint8Array, from: number, seq: readonly number[]): number {
  const n = bytes.length;
  for (let k = bytes.indexOf(seq[0]!, from); k >= 0 && k <= n - seq.length; k = bytes.indexOf(seq[0]!, k + 1)) {
    let s = 1;
    while (s < seq.length && bytes[k + s] === seq[s]) s++;
    if (s === seq.length) return k;
  }
  return -1;
}

function countLines(bytes: Uint8Array, from: number, to: number): number {
  let lines = 0;
  for (let k = bytes.indexOf(NL, from); k >= 0 && k < to; k = bytes.indexOf(NL, k + 1)) lines++;
  return lines;
}

function close(open: OpenElement, end: number): ElementSpan {
  const colon = open.name.indexOf(':');
  return {
    name: open.name,
    localName: colon < 0 ? open.name : open.name.slice(colon + 1),
    start: open.start,
    end,
    line: open.line,
    namespaces: open.namespaces,
    namespace: open.namespace,
  };
}

function lookupNamespace(stack: OpenElement[], prefix: string): string | undefined {
  for (let d = stack.length - 1; d >= 0; d--) {
    const uri = stack[d]!.namespaces.get(prefix);
    if (uri !== undefined) return uri;
  }
  return undefined;
}

function pathOf(stack: OpenElement[]): string {
  return '/' + stack.slice(0, 12).map((e) => e.name.slice(e.name.indexOf(':') + 1) || '*').join('/') +
    (stack.length > 12 ? `/... (${stack.length} levels)` : '');
}

function sameBytes(bytes: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (let k = 0; k < aEnd - a; k++) if (bytes[a + k] !== bytes[b + k]) return false;
  return true;
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let k = from; k < to && k < bytes.length; k++) s += String.fromCharCode(bytes[k]!);
  return s;
}

const decoder = new TextDecoder('utf-8');
function utf8(bytes: Uint8Array, from: number, to: number): string {
  return decoder.decode(bytes.subarray(from, to));
}
