/**
 * The hardening scan: one pass over the raw bytes of an inbound file BEFORE any XML parser sees it.
 *
 * It refuses what no ISO 20022 message needs and what attacks parsers: a DOCTYPE or any other markup
 * declaration (so no DTD, no external entity, no entity expansion), entity references other than the
 * five predefined ones and character references, input that is not UTF-8, files over the size limit
 * and nesting over the depth limit.
 *
 * It also holds every file to the scheme's lexical profile (docs/validation.md#the-lexical-profile):
 * the spellings under which every reader of the switch (the fact extractor, fast-xml-parser for the
 * typed models, the forwarding of transactions) reads exactly what a conforming namespace-aware XML
 * parser, and so libxml2's schema validation, reads. No CDATA, no processing instruction but the XML
 * declaration, comments only where whitespace may stand, no space character (XML whitespace, or one
 * JavaScript's trim removes) around a value and no carriage return inside it, no reference to a space
 * character, attribute values without references, and without
 * whitespace where the switch reads them, no prefixed attribute but xsi:schemaLocation and
 * xsi:noNamespaceSchemaLocation, every prefix declared, and inside the Document every element in the
 * Document's namespace and no other namespace declared (except the XML Schema instance one).
 *
 * While it walks the file it records the structure the rest of the pipeline needs without parsing
 * twice: the root element, the AppHdr and Document elements of an envelope with their namespaces, and
 * the byte range and line of every transaction element, so that large files can be validated and
 * parsed in windows.
 *
 * It is not a full XML parser: well-formedness is checked later by libxml2 (XSD step), which sees every
 * byte of the AppHdr and the Document. It only has to be right about markup boundaries, which it is,
 * because it tracks comments, processing instructions and quoted attribute values, and about names
 * and namespaces, which it resolves as the Namespaces in XML recommendation says.
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
  /**
   * Nothing in the element (its start tag included) has a namespace prefix, a namespace declaration,
   * a prefixed attribute or a comment: inside a Document, its bytes mean the same under any parent
   * whose default namespace is the Document's (switch/validation/forward.ts).
   */
  readonly plain: boolean;
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
const QUOT = 0x22, APOS = 0x27, EQ = 0x3d, NL = 0x0a, CR = 0x0d, DASH = 0x2d, LBRACKET = 0x5b, COLON = 0x3a;

const PREDEFINED_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
/** Elements deeper than this are checked but not recorded (the pipeline needs depths 1 to 4). */
const RECORDED_DEPTH_MAX = 4;
const NO_NAMESPACES: Map<string, string> = new Map();
const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';
/** The only prefixed attributes of the profile: schema-location hints, which no reader uses. */
const SCHEMA_LOCATION_ATTRIBUTES = new Set(['schemaLocation', 'noNamespaceSchemaLocation']);
const XML_DECLARATION = /^<\?xml\s+version\s*=\s*(["'])1\.0\1(?:\s+encoding\s*=\s*(["'])[A-Za-z][\w.-]*\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*$/;

/** Bytes that may stand in a name (as the scan reads names: any byte of a multi-byte character, ASCII letters,
 * digits, '_', ':', '-', '.'), as a table: the test runs for every byte of every tag name of a bulk file. */
const NAME_BYTES = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  NAME_BYTES[c] = c > 0x7f || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f || c === COLON || c === DASH || c === 0x2e ? 1 : 0;
}
function isNameChar(c: number): boolean {
  return NAME_BYTES[c] === 1;
}
function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === NL || c === CR;
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
  /** Offset just past the start tag: where the content begins. */
  contentStart: number;
  /** A child element started: the element's character data is not a value. */
  hasChild: boolean;
  /** The bindings this element's declarations replaced, restored when it closes (none declared: undefined). */
  restore: [string, string | undefined][] | undefined;
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
  const openAtDepth: OpenElement[] = [];
  // A bare Document's transactions are at depth 3, an envelope's at depth 4: record no deeper.
  let recordedDepth = RECORDED_DEPTH_MAX;
  let rootIsDocument = false;
  // Namespaces in scope (prefix, '' for the default, -> URI), changed as elements declare and close.
  const bindings = new Map<string, string>();
  let bindingsVersion = 0;
  // The Document being walked: its namespace, and its index in the stack (-1 outside any Document).
  let documentNamespace: string | undefined;
  let documentLevel = -1;
  // Cached answers, valid while bindingsVersion does not change: is the default namespace the
  // Document's; which URI the last prefix seen (by its bytes) is bound to.
  let defaultVersion = -1;
  let defaultIsDocument = false;
  let prefixStart = -1, prefixEnd = -1, prefixVersion = -1;
  let prefixUri: string | undefined;
  // Where the last markup ended (comments must have only whitespace since), the next carriage return
  // at or after a value's start (n: none), and the last prefix, declaration or comment (for `plain`).
  let lastMarkupEnd = 0;
  let nextCarriageReturn = -1;
  let lastImpurity = -1;
  // No closures over the loop's variables: V8 keeps them in registers only when nothing captures them.
  // Skip a UTF-8 byte order mark.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  const bodyStart = i;

  while (i < n) {
    const c = bytes[i]!;
    if (c !== LT && c !== AMP && stack.length > 0) {
      // Text inside the root element (indentation, values): only '<', '&' and line ends matter, so they
      // are looked for in a loop of their own, not by a turn of the whole loop for every byte.
      let k = i;
      for (; k < n; k++) {
        const d = bytes[k]!;
        if (d === LT || d === AMP) break;
        if (d === NL) line++;
      }
      i = k;
      continue;
    }
    if (c === NL) { line++; i++; continue; }
    if (c === AMP) {
      // Entity or character reference in text.
      if (stack.length === 0) refuse(bytes, stack, line, REASON.notWellFormed, 'text outside the root element');
      const end = bytes.indexOf(SEMI, i);
      const name = end > i && end - i < 12 ? ascii(bytes, i + 1, end) : '';
      if (!PREDEFINED_ENTITIES.has(name)) {
        const code = characterReference(name);
        if (code < 0) {
          refuse(bytes, stack, line, REASON.entityRefused, `entity reference '&${name || '...'}' refused: only the five predefined ` +
            'entities and character references are allowed');
        }
        if (!isXmlCharacter(code)) refuse(bytes, stack, line, REASON.notWellFormed, `character reference &${name}; is not an XML character`);
        if (isSpaceCharacter(code)) {
          refuse(bytes, stack, line, REASON.outsideLexicalProfile, `character reference &${name}; writes a space character: ` +
            'the lexical profile has space characters written as themselves');
        }
      }
      i = end + 1;
      continue;
    }
    if (c !== LT) {
      if (stack.length === 0 && !isSpace(c)) refuse(bytes, stack, line, REASON.notWellFormed, 'text outside the root element');
      i++;
      continue;
    }
    const next = bytes[i + 1];
    if (next === QUESTION) {
      const end = indexOfSeq(bytes, i + 2, [QUESTION, GT]);
      if (end < 0) refuse(bytes, stack, line, REASON.notWellFormed, 'unterminated processing instruction');
      const target = ascii(bytes, i + 2, Math.min(end, i + 40)).split(/\s/)[0]!;
      if (target.toLowerCase() !== 'xml') {
        refuse(bytes, stack, line, REASON.outsideLexicalProfile, `processing instruction <?${target}> refused: the lexical profile has none`);
      }
      if (i !== bodyStart) refuse(bytes, stack, line, REASON.notWellFormed, 'the XML declaration must stand at the start of the file');
      const declaration = ascii(bytes, i, end);
      const encoding = /encoding\s*=\s*["']([^"']+)["']/.exec(declaration)?.[1];
      if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
        refuse(bytes, stack, line, REASON.notUtf8, `declared encoding '${encoding}' refused: only UTF-8 is accepted`);
      }
      if (!XML_DECLARATION.test(declaration)) {
        refuse(bytes, stack, line, REASON.notWellFormed, 'malformed XML declaration (version="1.0", then optionally encoding and standalone)');
      }
      line += countLines(bytes, i, end);
      i = end + 2;
      lastMarkupEnd = i;
      continue;
    }
    if (next === BANG) {
      if (bytes[i + 2] === DASH && bytes[i + 3] === DASH) {
        const end = indexOfSeq(bytes, i + 4, [DASH, DASH, GT]);
        if (end < 0) refuse(bytes, stack, line, REASON.notWellFormed, 'unterminated comment');
        if (indexOfSeq(bytes, i + 4, [DASH, DASH]) !== end) refuse(bytes, stack, line, REASON.notWellFormed, "'--' inside a comment");
        if (stack.length > 0) {
          // Inside the root a comment may stand only where whitespace may: never next to a value's text.
          const following = bytes.indexOf(LT, end + 3);
          if (!onlySpace(bytes, lastMarkupEnd, i) || !onlySpace(bytes, end + 3, following < 0 ? n : following)) {
            refuse(bytes, stack, line, REASON.outsideLexicalProfile, 'comment next to character data: in the lexical profile ' +
              'comments stand only between elements');
          }
          lastImpurity = i;
        }
        line += countLines(bytes, i, end);
        i = end + 3;
        lastMarkupEnd = i;
        continue;
      }
      if (bytes[i + 2] === LBRACKET && ascii(bytes, i + 3, i + 9) === 'CDATA[') {
        refuse(bytes, stack, line, REASON.outsideLexicalProfile, 'CDATA section refused: the lexical profile has values written as text');
      }
      const keyword = ascii(bytes, i + 2, Math.min(n, i + 10)).toUpperCase();
      if (keyword.startsWith('DOCTYPE')) {
        refuse(bytes, stack, line, REASON.dtdRefused, 'DOCTYPE refused: DTDs, external entities and entity declarations are not accepted');
      }
      refuse(bytes, stack, line, REASON.dtdRefused, `markup declaration '<!${keyword.split(/\s/)[0]}' refused`);
    }
    if (next === SLASH) {
      // End tag.
      let k = i + 2;
      while (k < n && isNameChar(bytes[k]!)) k++;
      const nameEnd = k;
      while (k < n && isSpace(bytes[k]!)) { if (bytes[k] === NL) line++; k++; }
      if (bytes[k] !== GT) refuse(bytes, stack, line, REASON.notWellFormed, `malformed end tag </${utf8(bytes, i + 2, nameEnd)}`);
      const open = stack[stack.length - 1];
      if (!open || !sameBytes(bytes, open.nameStart, open.nameEnd, i + 2, nameEnd)) {
        refuse(bytes, stack, line, REASON.notWellFormed, `end tag </${utf8(bytes, i + 2, nameEnd)}> does not match ` +
          (open ? `<${utf8(bytes, open.nameStart, open.nameEnd)}>` : 'any open element'));
      }
      if (!open!.hasChild && i > open!.contentStart) {
        // A value: no whitespace around it, no carriage return in it (see the profile).
        if (isSpaceCharacter(firstCharacter(bytes, open!.contentStart)) || isSpaceCharacter(lastCharacter(bytes, i))) {
          refuse(bytes, stack, open!.line, REASON.outsideLexicalProfile, `whitespace around the value of <${utf8(bytes, open!.nameStart, open!.nameEnd)}>: ` +
            'the lexical profile has values without leading or trailing space characters');
        }
        if (nextCarriageReturn < open!.contentStart) {
          nextCarriageReturn = bytes.indexOf(CR, open!.contentStart);
          if (nextCarriageReturn < 0) nextCarriageReturn = n;
        }
        if (nextCarriageReturn < i) {
          refuse(bytes, stack, open!.line, REASON.outsideLexicalProfile, `carriage return inside the value of <${utf8(bytes, open!.nameStart, open!.nameEnd)}>`);
        }
      }
      stack.pop();
      if (open!.restore) { restoreBindings(bindings, open!.restore); bindingsVersion++; }
      if (stack.length === documentLevel) documentLevel = -1;
      const depth = stack.length + 1;
      if (depth <= recordedDepth) {
        const span = close(open!, k + 1, lastImpurity < open!.start);
        record(span, depth);
        if (depth === 1) root = span;
      }
      i = k + 1;
      lastMarkupEnd = i;
      continue;
    }
    // Start tag.
    if (stack.length === 0 && root !== undefined) refuse(bytes, stack, line, REASON.notWellFormed, 'a second root element');
    let k = i + 1;
    let colon = -1;
    while (k < n && isNameChar(bytes[k]!)) {
      if (bytes[k] === COLON) {
        if (colon >= 0) refuse(bytes, stack, line, REASON.notWellFormed, `element name ${utf8(bytes, i + 1, k)}... has two colons`);
        colon = k;
      }
      k++;
    }
    const nameEnd = k;
    if (nameEnd === i + 1) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, "'<' not followed by a name");
    if (nameEnd - i - 1 > limits.nameLengthMax) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `element name longer than ${limits.nameLengthMax}`);
    if (colon === i + 1 || colon === nameEnd - 1) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `malformed element name ${utf8(bytes, i + 1, nameEnd)}`);
    if (stack.length > 0) stack[stack.length - 1]!.hasChild = true;
    const depthIndex = stack.length;
    const shallow = depthIndex < recordedDepth;
    const name = shallow ? utf8(bytes, i + 1, nameEnd) : '';
    const localName = colon < 0 ? name : name.slice(colon - i);
    if (depthIndex === 0 && localName === 'Document') {
      recordedDepth = 3;
      rootIsDocument = true;
    }
    const isDocument = documentLevel < 0 && (depthIndex === 0 ? rootIsDocument : depthIndex === 1 && !rootIsDocument && localName === 'Document');
    const inDocument = documentLevel >= 0 || isDocument;
    const startLine = line;
    let declarations: [string, string][] | undefined;
    let prefixedAttributes: [string, string][] | undefined;
    let attributeCount = 0;
    let selfClosing = false;
    for (;;) {
      const before = k;
      while (k < n && isSpace(bytes[k]!)) { if (bytes[k] === NL) line++; k++; }
      const b = bytes[k];
      if (b === undefined) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `unterminated start tag <${name}`);
      if (b === GT) { k++; break; }
      if (b === SLASH && bytes[k + 1] === GT) { selfClosing = true; k += 2; break; }
      if (k === before) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `no whitespace before an attribute in <${utf8(bytes, i + 1, nameEnd)}>`);
      const nameStart = k;
      let attributeColon = -1;
      while (k < n && isNameChar(bytes[k]!)) {
        if (bytes[k] === COLON) {
          if (attributeColon >= 0) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `attribute name with two colons in <${utf8(bytes, i + 1, nameEnd)}>`);
          attributeColon = k;
        }
        k++;
      }
      if (k === nameStart) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `malformed attribute in <${utf8(bytes, i + 1, nameEnd)}>`);
      const attributeNameEnd = k;
      // The attribute's name is decoded where a refusal needs it, inline: no closure per attribute (under
      // tsx's keepNames each cost a naming call, decision 85).
      if (attributeColon === nameStart || attributeColon === attributeNameEnd - 1) {
        refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `malformed attribute name ${ascii(bytes, nameStart, attributeNameEnd)}`);
      }
      while (k < n && isSpace(bytes[k]!)) { if (bytes[k] === NL) line++; k++; }
      if (bytes[k] !== EQ) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `attribute ${ascii(bytes, nameStart, attributeNameEnd)} without a value in <${name}>`);
      k++;
      while (k < n && isSpace(bytes[k]!)) { if (bytes[k] === NL) line++; k++; }
      const quote = bytes[k];
      if (quote !== QUOT && quote !== APOS) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `unquoted attribute ${ascii(bytes, nameStart, attributeNameEnd)} in <${name}>`);
      const valueEnd = bytes.indexOf(quote!, k + 1);
      if (valueEnd < 0) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `unterminated attribute ${ascii(bytes, nameStart, attributeNameEnd)} in <${name}>`);
      const declaration = isNamespaceDeclaration(bytes, nameStart, attributeNameEnd);
      // Values the switch reads (unprefixed attributes, namespace URIs) have no whitespace to normalise.
      const valueRead = declaration || attributeColon < 0;
      for (let v = k + 1; v < valueEnd; v++) {
        const b = bytes[v]!;
        if (b === NL) line++;
        if (b === LT) refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `'<' in attribute ${ascii(bytes, nameStart, attributeNameEnd)} of <${name}>`);
        if (b === AMP) {
          refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.outsideLexicalProfile, `reference in the value of attribute ${ascii(bytes, nameStart, attributeNameEnd)}: ` +
            'the lexical profile has attribute values written literally');
        }
        if (valueRead && isSpace(b)) {
          refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.outsideLexicalProfile, `whitespace in the value of attribute ${ascii(bytes, nameStart, attributeNameEnd)}`);
        }
      }
      if (++attributeCount > limits.attributesPerElementMax) {
        refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `more than ${limits.attributesPerElementMax} attributes on <${name}>`);
      }
      if (declaration) {
        (declarations ??= []).push([attributeNameEnd - nameStart === 5 ? '' : ascii(bytes, nameStart + 6, attributeNameEnd), utf8(bytes, k + 1, valueEnd)]);
        lastImpurity = i;
      } else if (attributeColon >= 0) {
        (prefixedAttributes ??= []).push([ascii(bytes, nameStart, attributeColon), ascii(bytes, attributeColon + 1, attributeNameEnd)]);
        lastImpurity = i;
      }
      if (attributeCount > 1 && repeatsAttribute(bytes, i, nameStart, attributeNameEnd)) {
        refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `attribute ${ascii(bytes, nameStart, attributeNameEnd)} appears twice in <${name}>`);
      }
      k = valueEnd + 1;
    }
    // Declarations first: they apply to the element's own name and attributes, whatever their order.
    let restore: [string, string | undefined][] | undefined;
    let namespaces = NO_NAMESPACES;
    if (declarations) {
      restore = [];
      for (const [prefix, uri] of declarations) {
        if (prefix === 'xml' || prefix === 'xmlns' || (prefix !== '' && uri === '')) {
          refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `namespace declaration xmlns:${prefix}="${uri}" is not allowed`);
        }
        restore.push([prefix, bindings.get(prefix)]);
        bindings.set(prefix, uri);
      }
      bindingsVersion++;
      if (shallow) namespaces = new Map(declarations);
    }
    let namespace: string | undefined;
    if (colon < 0) {
      if (shallow) namespace = bindings.get('') || undefined;
      if (inDocument && !isDocument) {
        if (defaultVersion !== bindingsVersion) {
          defaultIsDocument = bindings.get('') === documentNamespace;
          defaultVersion = bindingsVersion;
        }
        if (!defaultIsDocument) outsideDocumentNamespace(bytes, stack, line, i, nameEnd, bindings.get(''), documentNamespace);
      }
    } else {
      if (prefixVersion !== bindingsVersion || !sameBytes(bytes, prefixStart, prefixEnd, i + 1, colon)) {
        prefixStart = i + 1;
        prefixEnd = colon;
        prefixVersion = bindingsVersion;
        prefixUri = bindings.get(ascii(bytes, i + 1, colon));
      }
      if (prefixUri === undefined) {
        refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.notWellFormed, `namespace prefix ${ascii(bytes, i + 1, colon)} of <${utf8(bytes, i + 1, nameEnd)}> is not declared`);
      }
      namespace = prefixUri;
      lastImpurity = i;
      if (inDocument && !isDocument && prefixUri !== documentNamespace) outsideDocumentNamespace(bytes, stack, line, i, nameEnd, prefixUri, documentNamespace);
    }
    if (isDocument) {
      documentNamespace = namespace ?? '';
      documentLevel = depthIndex;
      bindingsVersion++;
    }
    if (inDocument && declarations) {
      for (const [prefix, uri] of declarations) {
        if (uri !== documentNamespace && !(prefix !== '' && uri === XSI_NAMESPACE)) {
          refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.outsideLexicalProfile, `namespace declaration ${prefix ? `xmlns:${prefix}` : 'xmlns'}="${uri}" ` +
            `inside the Document: there the lexical profile declares only the message's namespace (and ${XSI_NAMESPACE})`);
        }
      }
    }
    if (prefixedAttributes) {
      for (const [prefix, local] of prefixedAttributes) {
        if (bindings.get(prefix) !== XSI_NAMESPACE || !SCHEMA_LOCATION_ATTRIBUTES.has(local)) {
          refuseInTag(bytes, stack, i + 1, nameEnd, line, REASON.outsideLexicalProfile, `attribute ${prefix}:${local} refused: the only prefixed attributes ` +
            'of the lexical profile are xsi:schemaLocation and xsi:noNamespaceSchemaLocation');
        }
      }
    }
    // One OpenElement per depth, reused by the next element opened there (nothing keeps it once its
    // element closed: close() copies what a span needs): a bulk file opens some 300,000 elements.
    let open = openAtDepth[depthIndex];
    if (open === undefined) {
      open = { nameStart: i + 1, nameEnd, name, start: i, line: startLine, namespaces, namespace, contentStart: k, hasChild: false, restore };
      openAtDepth[depthIndex] = open;
    } else {
      open.nameStart = i + 1;
      open.nameEnd = nameEnd;
      open.name = name;
      open.start = i;
      open.line = startLine;
      open.namespaces = namespaces;
      open.namespace = namespace;
      open.contentStart = k;
      open.hasChild = false;
      open.restore = restore;
    }
    if (stack.length + 1 > limits.nestingDepthMax) {
      stack.push(open);
      refuse(bytes, stack, line, REASON.nestingTooDeep, `element nesting deeper than ${limits.nestingDepthMax} levels`);
    }
    if (selfClosing) {
      if (restore) { restoreBindings(bindings, restore); bindingsVersion++; }
      if (isDocument) documentLevel = -1;
      if (shallow) {
        const span = close(open, k, lastImpurity < i);
        record(span, stack.length + 1);
        if (stack.length === 0) root = span;
      }
    } else {
      stack.push(open);
    }
    i = k;
    lastMarkupEnd = k;
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1]!;
    refuse(bytes, stack, line, REASON.notWellFormed, `end of file inside <${utf8(bytes, open.nameStart, open.nameEnd)}>`);
  }
  if (root === undefined) refuse(bytes, stack, line, REASON.notWellFormed, 'no root element');
  return root;

  function record(span: ElementSpan, depth: number): void {
    if (depth === 2) rootChildren.push(span);
    else if (depth === 3) depth3.push(span);
    else if (depth === 4) depth4.push(span);
  }
}

function outsideDocumentNamespace(bytes: Uint8Array, stack: OpenElement[], line: number, start: number, nameEnd: number,
  namespace: string | undefined, documentNamespace: string | undefined): never {
  refuseInTag(bytes, stack, start + 1, nameEnd, line, REASON.outsideLexicalProfile, `<${utf8(bytes, start + 1, nameEnd)}> is in namespace ` +
    `${namespace || '(none)'}, not the Document's ${documentNamespace || '(none)'}`);
}

function restoreBindings(bindings: Map<string, string>, restore: readonly [string, string | undefined][]): void {
  for (let r = restore.length - 1; r >= 0; r--) {
    const [prefix, previous] = restore[r]!;
    if (previous === undefined) bindings.delete(prefix);
    else bindings.set(prefix, previous);
  }
}

/** True for 'xmlns' and 'xmlns:...' (bytes[from, to) is an attribute name). */
function isNamespaceDeclaration(bytes: Uint8Array, from: number, to: number): boolean {
  return bytes[from] === 0x78 && bytes[from + 1] === 0x6d && bytes[from + 2] === 0x6c && bytes[from + 3] === 0x6e &&
    bytes[from + 4] === 0x73 && (to - from === 5 || bytes[from + 5] === COLON);
}

/** True when the attribute name bytes[from, to) appeared before in the start tag at `tagStart` (rare: a second attribute). */
function repeatsAttribute(bytes: Uint8Array, tagStart: number, from: number, to: number): boolean {
  // Re-walk the tag's earlier attributes: names are separated from values by '=' and values are quoted.
  let k = tagStart + 1;
  while (isNameChar(bytes[k]!)) k++;
  while (k < from) {
    while (isSpace(bytes[k])) k++;
    const nameStart = k;
    while (isNameChar(bytes[k]!)) k++;
    if (k >= from) return false;
    if (sameBytes(bytes, nameStart, k, from, to)) return true;
    while (bytes[k] !== QUOT && bytes[k] !== APOS) k++;
    k = bytes.indexOf(bytes[k]!, k + 1) + 1;
  }
  return false;
}

/**
 * A space character: XML whitespace, and the other characters JavaScript's String.prototype.trim removes
 * (no-break space, the Unicode space separators, line and paragraph separators, byte order mark), which
 * fast-xml-parser (trimValues) strips from the ends of a value while a conforming parser keeps them.
 */
function isSpaceCharacter(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x0b || code === 0x0c ||
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

/** The code point of the UTF-8 character starting at `at` (the scan checked the bytes are UTF-8). */
function firstCharacter(bytes: Uint8Array, at: number): number {
  const b = bytes[at]!;
  if (b < 0x80) return b;
  const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
  let code = b & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) code = (code << 6) | (bytes[at + k]! & 0x3f);
  return code;
}

/** The code point of the UTF-8 character ending just before `end`. */
function lastCharacter(bytes: Uint8Array, end: number): number {
  let start = end - 1;
  while ((bytes[start]! & 0xc0) === 0x80) start--;
  return firstCharacter(bytes, start);
}

/** The code point of a character reference name ('#65', '#x41'), or -1 when `name` is not one. */
function characterReference(name: string): number {
  const match = /^#(?:(\d{1,7})|x([0-9a-fA-F]{1,6}))$/.exec(name);
  if (!match) return -1;
  return match[1] !== undefined ? Number(match[1]) : parseInt(match[2]!, 16);
}

/** XML 1.0 Char production. */
function isXmlCharacter(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

function onlySpace(bytes: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(bytes[k])) return false;
  return true;
}

function refuse(bytes: Uint8Array, stack: OpenElement[], line: number, code: string, message: string): never {
  throw new Refusal({ code, path: pathOf(bytes, stack), line, message });
}

/** Refuse what a start tag holds: the path ends with the element being opened (bytes[nameStart, nameEnd) is its name). */
function refuseInTag(bytes: Uint8Array, stack: OpenElement[], nameStart: number, nameEnd: number, line: number, code: string,
  message: string): never {
  const name = utf8(bytes, nameStart, nameEnd);
  const parent = pathOf(bytes, stack);
  throw new Refusal({ code, path: `${parent === '/' ? '' : parent}/${name.slice(name.indexOf(':') + 1)}`, line, message });
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

function close(open: OpenElement, end: number, plain: boolean): ElementSpan {
  const colon = open.name.indexOf(':');
  return {
    name: open.name,
    localName: colon < 0 ? open.name : open.name.slice(colon + 1),
    start: open.start,
    end,
    line: open.line,
    namespaces: open.namespaces,
    namespace: open.namespace,
    plain,
  };
}

/** The element path of the open elements (local names), for a refusal's location. */
function pathOf(bytes: Uint8Array, stack: OpenElement[]): string {
  const local = (e: OpenElement): string => {
    const name = utf8(bytes, e.nameStart, e.nameEnd);
    return name.slice(name.indexOf(':') + 1);
  };
  return '/' + stack.slice(0, 12).map(local).join('/') + (stack.length > 12 ? `/... (${stack.length} levels)` : '');
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
