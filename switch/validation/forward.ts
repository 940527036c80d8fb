/**
 * A transaction element of an accepted message, as text the switch can put into a document of its
 * own (the forwarded pacs.008, whose default namespace is the message's) and have it mean exactly
 * what was validated and recorded.
 *
 * Why this is exact (docs/validation.md#forwarding): the hardening scan's lexical profile guarantees
 * that inside the Document every element is in the message's namespace, that the only attributes
 * are unprefixed ones (no namespace) and schema-location hints (which no reader uses), and that there
 * is no CDATA and no processing instruction. So a conforming parser reads the element the same with
 * every start tag rewritten as its local name plus its unprefixed attributes copied byte for byte,
 * every end tag as its local name, namespace declarations, hints and comments left out, and all
 * character data (references included) copied byte for byte: the names resolve to the same
 * {namespace}local under the new parent, attributes keep their (empty) namespace and their exact
 * value text, and character data does not depend on where it stands. An element the scan found
 * `plain` (none of those spellings inside) is copied as it is.
 */
import type { ElementSpan } from './scan.ts';

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QUESTION = 0x3f, QUOT = 0x22, APOS = 0x27, COLON = 0x3a;
const decoder = new TextDecoder('utf-8');

/** The element bytes[span.start, span.end) without prefixes, namespace declarations, hints and comments. */
export function forwardableElement(bytes: Uint8Array, span: Pick<ElementSpan, 'start' | 'end' | 'plain'>): string {
  if (span.plain) return decoder.decode(bytes.subarray(span.start, span.end));
  const parts: string[] = [];
  let copied = span.start;
  for (let i = bytes.indexOf(LT, span.start); i >= 0 && i < span.end; i = bytes.indexOf(LT, i + 1)) {
    const next = bytes[i + 1];
    if (next === QUESTION || (next === BANG && bytes[i + 2] === 0x5b)) {
      // The lexical profile has neither: the scan refused the file before it could be accepted.
      throw new Error(`forwardableElement: CDATA or processing instruction at byte ${i} (the hardening scan admits none)`);
    }
    parts.push(decoder.decode(bytes.subarray(copied, i)));
    if (next === BANG) {
      copied = commentEnd(bytes, i);
      i = copied - 1;
      continue;
    }
    const close = tagEnd(bytes, i);
    parts.push(next === SLASH ? `</${localName(bytes, i + 2)}>` : startTag(bytes, i, close));
    copied = close + 1;
    i = close;
  }
  parts.push(decoder.decode(bytes.subarray(copied, span.end)));
  return parts.join('');
}

/** A start tag as its local name and its unprefixed attributes (each copied as written, quotes included). */
function startTag(bytes: Uint8Array, start: number, close: number): string {
  let k = start + 1;
  while (k < close && !isSpace(bytes[k]) && bytes[k] !== SLASH && bytes[k] !== GT) k++;
  let tag = `<${localName(bytes, start + 1)}`;
  for (;;) {
    while (k < close && isSpace(bytes[k])) k++;
    if (k >= close || bytes[k] === SLASH) break;
    const nameStart = k;
    let prefixed = false;
    while (bytes[k] !== 0x3d && !isSpace(bytes[k])) {
      if (bytes[k] === COLON) prefixed = true;
      k++;
    }
    const declaration = k - nameStart === 5 && decoder.decode(bytes.subarray(nameStart, k)) === 'xmlns';
    while (bytes[k] !== QUOT && bytes[k] !== APOS) k++;
    const valueEnd = bytes.indexOf(bytes[k]!, k + 1);
    if (!prefixed && !declaration) tag += ` ${decoder.decode(bytes.subarray(nameStart, valueEnd + 1))}`;
    k = valueEnd + 1;
  }
  return tag + (bytes[close - 1] === SLASH ? '/>' : '>');
}

/** The local part of the qualified name starting at `from`. */
function localName(bytes: Uint8Array, from: number): string {
  let k = from;
  let localStart = from;
  while (!isSpace(bytes[k]) && bytes[k] !== SLASH && bytes[k] !== GT) {
    if (bytes[k] === COLON) localStart = k + 1;
    k++;
  }
  return decoder.decode(bytes.subarray(localStart, k));
}

function commentEnd(bytes: Uint8Array, start: number): number {
  for (let k = bytes.indexOf(0x2d, start + 4); k >= 0; k = bytes.indexOf(0x2d, k + 1)) {
    if (bytes[k + 1] === 0x2d && bytes[k + 2] === GT) return k + 3;
  }
  throw new Error(`forwardableElement: unterminated comment at byte ${start}`);
}

function tagEnd(bytes: Uint8Array, start: number): number {
  let k = start + 1;
  for (;;) {
    const b = bytes[k];
    if (b === GT) return k;
    if (b === undefined) throw new Error(`forwardableElement: unterminated tag at byte ${start}`);
    if (b === QUOT || b === APOS) k = bytes.indexOf(b, k + 1);
    k++;
  }
}

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}
