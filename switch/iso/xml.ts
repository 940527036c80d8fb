/**
 * The one place where fast-xml-parser is configured. Every option is set explicitly, because the
 * defaults are wrong for money: they turn "1.10" into 1.1 and "0007" into 7, and a repeating element
 * that occurs once into an object instead of an array.
 *
 * Input reaching this parser has already passed the hardening scan (switch/validation/hardening.ts):
 * no DOCTYPE, no entity declarations, UTF-8, bounded size and depth. The parser settings repeat those
 * guards (no entity expansion beyond the five predefined and character references, nesting bounded).
 */
import { XMLBuilder, XMLParser, type X2jOptions, type XmlBuilderOptions } from 'fast-xml-parser';
import { limits } from '../limits.ts';

/** A parsed element: text-only leaves are strings; elements with attributes or children are objects. */
export type XmlNode = string | XmlElement;
export interface XmlElement {
  [name: string]: XmlNode | XmlNode[] | undefined;
}

export const TEXT = '#text';
export const ATTR = '@_';

/**
 * A parser for one message version. `repeating` lists the local names of elements whose maxOccurs is
 * above one in that version's schema: those always come back as arrays, even when they occur once.
 */
export function createParser(repeating: ReadonlySet<string>): XMLParser {
  const options: X2jOptions = {
    preserveOrder: false,
    attributeNamePrefix: ATTR,
    attributesGroupName: false,
    textNodeName: TEXT,
    ignoreAttributes: false,
    removeNSPrefix: true,
    allowBooleanAttributes: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    cdataPropName: false,
    commentPropName: false,
    stopNodes: [],
    unpairedTags: [],
    alwaysCreateTextNode: false,
    isArray: (tagName: string, _path: unknown, _leaf: boolean, isAttribute: boolean) =>
      !isAttribute && repeating.has(tagName),
    // The five predefined entities and character references (&#65; &#x42;) must be decoded, as XML
    // says. fast-xml-parser decodes character references only together with its HTML entity table;
    // that is safe here because the hardening scan refuses every other entity reference (&nbsp; too)
    // before the parser runs, and DOCTYPEs never get this far.
    processEntities: true,
    htmlEntities: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    transformTagName: false,
    transformAttributeName: false,
    maxNestedTags: limits.nestingDepthMax,
  };
  return new XMLParser(options);
}

const builderOptions: XmlBuilderOptions = {
  attributeNamePrefix: ATTR,
  attributesGroupName: false,
  textNodeName: TEXT,
  ignoreAttributes: false,
  cdataPropName: false,
  commentPropName: false,
  format: true,
  indentBy: '  ',
  arrayNodeName: undefined,
  suppressEmptyNode: false,
  suppressUnpairedNode: true,
  suppressBooleanAttributes: false,
  unpairedTags: [],
  processEntities: true,
  preserveOrder: false,
};
const builder = new XMLBuilder(builderOptions);

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Serialise an element tree (object key order = element order, which builders keep in XSD order). */
export function buildXml(tree: XmlElement): string {
  return builder.build(tree) as string;
}

/** Wrap a message body in <Document xmlns="urn:iso:std:iso:20022:tech:xsd:ID">. */
export function buildDocument(messageId: string, rootElement: string, body: XmlElement): string {
  return XML_DECLARATION + buildXml({
    Document: { [`${ATTR}xmlns`]: `urn:iso:std:iso:20022:tech:xsd:${messageId}`, [rootElement]: body },
  });
}

// ---- reading helpers: total functions over the parsed tree ----

/** The text of a leaf (string or {#text}), or undefined when absent. */
export function text(node: XmlNode | XmlNode[] | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (Array.isArray(node)) return text(node[0]);
  if (typeof node === 'string') return node;
  const t = node[TEXT];
  return typeof t === 'string' ? t : t === undefined ? '' : undefined;
}

/** An attribute of an element node. */
export function attr(node: XmlNode | XmlNode[] | undefined, name: string): string | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  if (Array.isArray(node)) return attr(node[0], name);
  const v = node[ATTR + name];
  return typeof v === 'string' ? v : undefined;
}

/** A child element as an object (first occurrence when repeated), or undefined. */
export function child(node: XmlNode | XmlNode[] | undefined, name: string): XmlElement | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  if (Array.isArray(node)) return child(node[0], name);
  const c = node[name];
  const first = Array.isArray(c) ? c[0] : c;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? { [TEXT]: first } : first;
}

/** All occurrences of a child element, always as an array of element objects. */
export function children(node: XmlNode | XmlNode[] | undefined, name: string): XmlElement[] {
  if (node === undefined || typeof node === 'string') return [];
  if (Array.isArray(node)) return children(node[0], name);
  const c = node[name];
  if (c === undefined) return [];
  const list = Array.isArray(c) ? c : [c];
  return list.map((n) => (typeof n === 'string' ? { [TEXT]: n } : n));
}

/** Text of a descendant reached by a path of child names. */
export function textAt(node: XmlNode | undefined, ...path: string[]): string | undefined {
  let current: XmlNode | XmlNode[] | undefined = node;
  for (const name of path) {
    if (current === undefined || typeof current === 'string') return undefined;
    const el: XmlNode | undefined = Array.isArray(current) ? current[0] : current;
    if (el === undefined || typeof el === 'string') return undefined;
    current = el[name];
  }
  return text(current);
}

/** Drop undefined members so builders can write `{ A: maybe, B: maybe }` in XSD order. */
export function compact(tree: Record<string, XmlNode | XmlNode[] | undefined>): XmlElement {
  const out: XmlElement = {};
  for (const [k, v] of Object.entries(tree)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** An amount element: <X Ccy="EUR">10.00</X>. */
export function amountNode(currency: string, decimalText: string): XmlElement {
  return { [`${ATTR}Ccy`]: currency, [TEXT]: decimalText };
}
