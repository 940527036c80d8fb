/**
 * A deterministic mutation generator for ISO 20022 messages (test helper).
 *
 * Works on the XML text: a small tag tokenizer (tokenize / parseTree) finds every element with the
 * byte range of its start tag, content and end tag, and each mutation is a single splice of the
 * original text, so everything the mutation does not touch stays byte-identical.
 *
 * Kinds (each mutant is labelled "<kind> <element path> [detail]"):
 *   remove           one element removed (every element in scope, in document order)
 *   remove-attribute one attribute removed (Ccy)
 *   empty            a text emptied
 *   code             a code value replaced by 'XXXX', by its lowercase form, and by other values of the
 *                    official enumeration (valid ISO, possibly not allowed by the scheme)
 *   pattern          BIC, IBAN, date, date-time, UUID, currency, numeric texts broken
 *   too-long         a text one character over its schema maxLength (141 without a schema)
 *   amount           too many decimals, negative, 19 integer digits, decimal comma
 *   namespace        previous / next / made-up message version, namespace removed
 *   duplicate        a copy of a non-repeating element right after it
 *   unknown-element  an element no schema defines, inserted as the first child
 *
 * Scope: where an element repeats (transactions, balances), only the first occurrence is mutated and
 * descended into; the others stay as they are. This keeps a bulk file's corpus the size of a
 * one-transaction file's.
 */

// ---------------------------------------------------------------------------------------------
// Tokenizer and element tree
// ---------------------------------------------------------------------------------------------

export interface XmlAttribute {
  readonly name: string;
  readonly value: string;
  /** Offsets of the whole attribute (name="value") and of its value, in the document text. */
  readonly start: number;
  readonly end: number;
  readonly valueStart: number;
  readonly valueEnd: number;
}

export interface XmlNode {
  /** Qualified name as written. */
  readonly name: string;
  readonly localName: string;
  /** Offset of '<' of the start tag. */
  readonly start: number;
  /** Offset just past the start tag's '>'. */
  readonly openEnd: number;
  /** Offset of the end tag's '<' (-1 for an empty element written <a/>). */
  closeStart: number;
  /** Offset just past the end tag (or the '/>'). */
  end: number;
  readonly attributes: readonly XmlAttribute[];
  readonly children: XmlNode[];
  readonly parent: XmlNode | undefined;
  /** Local names from the root element down to this one. */
  readonly names: readonly string[];
  /** Element path with 1-based indexes where siblings share a name, e.g. /Document/X/Y[2]/Z. */
  path: string;
}

const NAME = '[A-Za-z_][\\w.:-]*';
const TOKEN = new RegExp(
  `<!--[\\s\\S]*?-->|<\\?[\\s\\S]*?\\?>|<!\\[CDATA\\[[\\s\\S]*?\\]\\]>|<!DOCTYPE[^>]*>` +
  `|<\\/(${NAME})\\s*>` +
  `|<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(\\/?)>`,
  'g',
);
const ATTRIBUTE = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');

const localOf = (name: string): string => name.slice(name.indexOf(':') + 1);

/** Parse a document into its element tree (root element returned). Throws on malformed markup. */
export function parseTree(xml: string): XmlNode {
  let root: XmlNode | undefined;
  const stack: XmlNode[] = [];
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(xml); m; m = TOKEN.exec(xml)) {
    if (xml.slice(last, m.index).includes('<')) throw new Error(`unrecognised markup near offset ${last}`);
    last = m.index + m[0].length;
    const [, endName, startName, attributeText, selfClosing] = m;
    if (endName !== undefined) {
      const open = stack.pop();
      if (!open || open.name !== endName) throw new Error(`mismatched end tag </${endName}> at offset ${m.index}`);
      open.closeStart = m.index;
      open.end = last;
      continue;
    }
    if (startName === undefined) continue; // comment, PI, CDATA, DOCTYPE
    const attributesStart = m.index + 1 + startName.length;
    const attributes: XmlAttribute[] = [];
    ATTRIBUTE.lastIndex = 0;
    for (let a = ATTRIBUTE.exec(attributeText ?? ''); a; a = ATTRIBUTE.exec(attributeText ?? '')) {
      const start = attributesStart + a.index;
      const valueStart = start + a[0].length - 1 - (a[2] ?? a[3] ?? '').length;
      attributes.push({
        name: a[1]!, value: a[2] ?? a[3] ?? '', start, end: start + a[0].length,
        valueStart, valueEnd: start + a[0].length - 1,
      });
    }
    const parent = stack[stack.length - 1];
    if (!parent && root) throw new Error('more than one root element');
    const node: XmlNode = {
      name: startName, localName: localOf(startName), start: m.index, openEnd: last,
      closeStart: -1, end: last, attributes, children: [], parent,
      names: [...(parent?.names ?? []), localOf(startName)], path: '',
    };
    if (parent) parent.children.push(node);
    else root = node;
    if (!selfClosing) stack.push(node);
  }
  if (stack.length > 0) throw new Error(`unclosed element <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('no root element');
  assignPaths(root, `/${root.localName}`);
  return root;
}

function assignPaths(node: XmlNode, path: string): void {
  node.path = path;
  const counts = new Map<string, number>();
  for (const c of node.children) counts.set(c.localName, (counts.get(c.localName) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const c of node.children) {
    const k = (seen.get(c.localName) ?? 0) + 1;
    seen.set(c.localName, k);
    assignPaths(c, `${path}/${c.localName}${counts.get(c.localName)! > 1 ? `[${k}]` : ''}`);
  }
}

/** The raw text content of an element without child elements (undefined otherwise, or for <a/>). */
export function leafText(xml: string, node: XmlNode): string | undefined {
  if (node.children.length > 0 || node.closeStart < 0) return undefined;
  return xml.slice(node.openEnd, node.closeStart);
}

function* walk(node: XmlNode): Generator<XmlNode> {
  yield node;
  for (const c of node.children) yield* walk(c);
}

/** Elements in scope: the first of each run of same-named siblings, and their in-scope descendants. */
function* inScope(node: XmlNode): Generator<XmlNode> {
  yield node;
  const seen = new Set<string>();
  for (const c of node.children) {
    if (seen.has(c.localName)) continue;
    seen.add(c.localName);
    yield* inScope(c);
  }
}

// ---------------------------------------------------------------------------------------------
// Schema facts (from an ISO-style XSD: named types, local elements in xs:sequence / xs:choice)
// ---------------------------------------------------------------------------------------------

export interface Facets {
  readonly maxLength?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  readonly enumeration: readonly string[];
  readonly totalDigits?: number;
  readonly fractionDigits?: number;
  /** The XML Schema built-in the type restricts, e.g. 'xs:string', 'xs:decimal', 'xs:date'. */
  readonly builtIn?: string;
}

export interface ElementInfo {
  readonly type: string;
  readonly maxOccurs: number;
  /** Facets of the element's simple type (or of the simple content of an amount type). */
  readonly facets?: Facets;
}

/** Element declarations and facets of one schema, looked up by instance path (local names). */
export class SchemaInfo {
  private readonly globals = new Map<string, XmlNode>();
  private readonly complexTypes = new Map<string, XmlNode>();
  private readonly simpleTypes = new Map<string, XmlNode>();
  private readonly facetCache = new Map<string, Facets | undefined>();

  constructor(private readonly xsd: string) {
    const schema = parseTree(xsd);
    for (const c of schema.children) {
      const name = attributeValue(c, 'name');
      if (name === undefined) continue;
      if (c.localName === 'element') this.globals.set(name, c);
      else if (c.localName === 'complexType') this.complexTypes.set(name, c);
      else if (c.localName === 'simpleType') this.simpleTypes.set(name, c);
    }
  }

  element(names: readonly string[]): ElementInfo | undefined {
    let declaration = names[0] === undefined ? undefined : this.globals.get(names[0]);
    for (const name of names.slice(1)) {
      if (!declaration) return undefined;
      const type = this.complexTypes.get(attributeValue(declaration, 'type') ?? '');
      declaration = type ? findLocalElement(type, name) : undefined;
    }
    if (!declaration) return undefined;
    const type = attributeValue(declaration, 'type') ?? '';
    const max = attributeValue(declaration, 'maxOccurs') ?? '1';
    return { type, maxOccurs: max === 'unbounded' ? Infinity : Number(max), facets: this.facets(type) };
  }

  private facets(typeName: string): Facets | undefined {
    if (this.facetCache.has(typeName)) return this.facetCache.get(typeName);
    let result: Facets | undefined;
    const complex = this.complexTypes.get(typeName);
    if (complex) {
      const extension = [...walk(complex)].find((n) => n.localName === 'extension' || n.localName === 'restriction');
      const base = extension ? attributeValue(extension, 'base') : undefined;
      result = base && [...walk(complex)].some((n) => n.localName === 'simpleContent') ? this.facets(base) : undefined;
    } else {
      const simple = this.simpleTypes.get(typeName);
      const restriction = simple?.children.find((n) => n.localName === 'restriction');
      if (restriction) {
        const base = attributeValue(restriction, 'base') ?? '';
        const inherited = base.startsWith('xs:') ? { enumeration: [], builtIn: base } : this.facets(base) ?? { enumeration: [] };
        const facet = (name: string): string | undefined => {
          const n = restriction.children.find((c) => c.localName === name);
          return n ? attributeValue(n, 'value') : undefined;
        };
        const number = (name: string, fallback: number | undefined): number | undefined => {
          const v = facet(name);
          return v === undefined ? fallback : Number(v);
        };
        const enumeration = restriction.children.filter((c) => c.localName === 'enumeration')
          .map((c) => attributeValue(c, 'value') ?? '');
        result = {
          builtIn: inherited.builtIn,
          maxLength: number('maxLength', inherited.maxLength) ?? number('length', undefined),
          minLength: number('minLength', inherited.minLength) ?? number('length', undefined),
          pattern: facet('pattern') ?? inherited.pattern,
          enumeration: enumeration.length > 0 ? enumeration : inherited.enumeration,
          totalDigits: number('totalDigits', inherited.totalDigits),
          fractionDigits: number('fractionDigits', inherited.fractionDigits),
        };
      }
    }
    this.facetCache.set(typeName, result);
    return result;
  }

  /** The schema text this was built from (kept for diagnostics). */
  get source(): string {
    return this.xsd;
  }
}

function attributeValue(node: XmlNode, name: string): string | undefined {
  return node.attributes.find((a) => a.name === name)?.value;
}

/** A local element declaration named `name` in a complex type's model group (nested groups included). */
function findLocalElement(type: XmlNode, name: string): XmlNode | undefined {
  const search = (n: XmlNode): XmlNode | undefined => {
    for (const c of n.children) {
      if (c.localName === 'element' && attributeValue(c, 'name') === name) return c;
      if (c.localName === 'sequence' || c.localName === 'choice' || c.localName === 'all') {
        const found = search(c);
        if (found) return found;
      }
    }
    return undefined;
  };
  return search(type);
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

export type MutationKind =
  | 'remove' | 'remove-attribute' | 'empty' | 'code' | 'pattern' | 'too-long' | 'amount'
  | 'namespace' | 'duplicate' | 'unknown-element';

export interface Mutant {
  /** "<kind> <element path> [detail]", unique within one mutate() result. */
  readonly label: string;
  readonly kind: MutationKind;
  readonly xml: string;
}

export interface MutateOptions {
  /** Schema facts (lengths, enumerations, occurrences); without it heuristics are used. */
  readonly schema?: SchemaInfo;
  /** Keep at most this many mutants: every namespace mutant, the others spread evenly (deterministic). */
  readonly max?: number;
}

const ISO_NAMESPACE = /^(urn:iso:std:iso:20022:tech:xsd:[a-z]{4}\.\d{3}\.\d{3}\.)(\d{2})$/;
const BIC_ELEMENTS = new Set(['BICFI', 'AnyBIC', 'BIC', 'BICOrBEI']);
const CODE = /^[A-Z][A-Z0-9]{1,3}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DECIMAL = /^-?\d+\.\d+$/;
const INTEGER = /^\d+$/;
const CURRENCY = /^[A-Z]{3}$/;
/** Alternative values offered per enumeration, at most (the first ones of the official list). */
const ENUM_ALTERNATIVES_MAX = 6;
const UNKNOWN_ELEMENT = 'Xtnsn9';

const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Generate the mutants of one valid message, deterministically, in document order. */
export function mutate(xml: string, options: MutateOptions = {}): Mutant[] {
  const root = parseTree(xml);
  const out: Mutant[] = [];
  const seenXml = new Set<string>([xml]);
  const add = (kind: MutationKind, node: XmlNode | undefined, detail: string, from: number, to: number, insert: string): void => {
    const mutated = xml.slice(0, from) + insert + xml.slice(to);
    if (seenXml.has(mutated)) return;
    seenXml.add(mutated);
    out.push({ kind, label: `${kind} ${node?.path ?? ''}${detail ? ` ${detail}` : ''}`.replace(/ +$/, ''), xml: mutated });
  };
  const setText = (kind: MutationKind, node: XmlNode, value: string, detail?: string): void =>
    add(kind, node, detail ?? `'${value.length > 24 ? `${value.slice(0, 6)}...(${value.length} chars)` : value}'`,
      node.openEnd, node.closeStart, escapeText(value));
  const setAttribute = (kind: MutationKind, node: XmlNode, attribute: XmlAttribute, value: string): void =>
    add(kind, node, `@${attribute.name}='${value}'`, attribute.valueStart, attribute.valueEnd, value);

  // (f) namespace of the root
  const rootPrefix = root.name.includes(':') ? root.name.slice(0, root.name.indexOf(':')) : '';
  const declaration = root.attributes.find((a) => a.name === (rootPrefix ? `xmlns:${rootPrefix}` : 'xmlns'));
  if (declaration) {
    const version = ISO_NAMESPACE.exec(declaration.value);
    if (version) {
      const n = Number(version[2]);
      const other = (k: number): string => `${version[1]}${String(k).padStart(2, '0')}`;
      if (n > 1) setAttribute('namespace', root, declaration, other(n - 1));
      setAttribute('namespace', root, declaration, other(n + 1));
    }
    setAttribute('namespace', root, declaration, 'urn:iso:std:iso:20022:tech:xsd:zzzz.999.001.01');
    add('namespace', root, 'declaration removed', whitespaceBefore(xml, declaration.start), declaration.end, '');
  }

  for (const node of inScope(root)) {
    const info = options.schema?.element(node.names);
    const facets = info?.facets;
    const isRoot = node === root;
    const text = leafText(xml, node);

    // (a) remove
    if (!isRoot) add('remove', node, '', whitespaceBefore(xml, node.start), node.end, '');
    for (const attribute of node.attributes) {
      if (attribute.name === 'xmlns' || attribute.name.startsWith('xmlns:')) continue;
      add('remove-attribute', node, `@${attribute.name}`, whitespaceBefore(xml, attribute.start), attribute.end, '');
      // (c) currency attribute
      if (attribute.name === 'Ccy') {
        for (const v of ['EURO', 'eur', 'XXXX']) setAttribute('pattern', node, attribute, v);
      }
    }

    // (g) duplicate a non-repeating element
    const siblings = node.parent?.children.filter((c) => c.localName === node.localName).length ?? 0;
    if (!isRoot && siblings === 1 && (info === undefined || info.maxOccurs === 1)) {
      add('duplicate', node, '', node.end, node.end, `\n${indentOf(xml, node.start)}${xml.slice(node.start, node.end)}`);
    }

    // (h) unknown element as the first child of every element with children
    if (node.children.length > 0) {
      const indent = indentOf(xml, node.children[0]!.start);
      add('unknown-element', node, `<${UNKNOWN_ELEMENT}>`, node.openEnd, node.openEnd, `\n${indent}<${UNKNOWN_ELEMENT}>X</${UNKNOWN_ELEMENT}>`);
    }

    if (text === undefined) continue;
    const value = text.trim();
    setText('empty', node, '', "''");

    const builtIn = facets?.builtIn;
    const isAmount = node.attributes.some((a) => a.name === 'Ccy') || (DECIMAL.test(value) && builtIn !== 'xs:string');
    // (b) codes
    if (CODE.test(value) && !BIC_ELEMENTS.has(node.localName) && !isAmount) {
      setText('code', node, 'XXXX');
      setText('code', node, value.toLowerCase());
      const alternatives = (facets?.enumeration ?? []).filter((v) => v !== value).slice(0, ENUM_ALTERNATIVES_MAX);
      for (const v of alternatives) setText('code', node, v);
    }
    // (c) patterns
    if (BIC_ELEMENTS.has(node.localName)) {
      setText('pattern', node, 'NOTABIC');
      setText('pattern', node, value.toLowerCase());
    } else if (node.localName === 'IBAN') {
      setText('pattern', node, 'DE00 1234');
    } else if (DATE.test(value) || builtIn === 'xs:date') {
      setText('pattern', node, '2026-13-45');
      setText('pattern', node, '14.03.2025');
    } else if (DATE_TIME.test(value) || builtIn === 'xs:dateTime') {
      setText('pattern', node, '2026-13-45T25:61:00Z');
      setText('pattern', node, value.slice(0, 10));
    } else if (UUID.test(value)) {
      setText('pattern', node, 'not-a-uuid');
      setText('pattern', node, value.toUpperCase());
    } else if (node.localName === 'Ccy' || (CURRENCY.test(value) && /Ccy$/.test(node.localName))) {
      setText('pattern', node, 'EURO');
      setText('pattern', node, value.toLowerCase());
    } else if (INTEGER.test(value)) {
      setText('pattern', node, 'ABC');
      setText('pattern', node, '1.5');
      setText('pattern', node, '1'.repeat(19));
    }
    // (e) amounts
    if (isAmount) {
      setText('amount', node, '1.123456');
      setText('amount', node, '-1.00');
      setText('amount', node, '1'.repeat(19));
      setText('amount', node, '1,00');
    }
    // (d) text too long
    const maxLength = facets?.maxLength ?? (facets ? undefined : isAmount || CODE.test(value) ? undefined : 140);
    if (maxLength !== undefined) setText('too-long', node, 'A'.repeat(maxLength + 1), `(${maxLength + 1} chars)`);
  }

  if (options.max === undefined || out.length <= options.max) return out;
  // Keep every namespace mutant (there are at most four), spread the rest evenly, keep document order.
  const namespaces = out.filter((m) => m.kind === 'namespace');
  const others = out.filter((m) => m.kind !== 'namespace');
  const room = Math.max(0, options.max - namespaces.length);
  const picked = new Set(Array.from({ length: room }, (_, i) => others[Math.floor((i * others.length) / room)]!));
  return out.filter((m) => m.kind === 'namespace' || picked.has(m));
}

/** Where the run of spaces / tabs (and one line break) before `offset` starts. */
function whitespaceBefore(xml: string, offset: number): number {
  let i = offset;
  while (i > 0 && (xml[i - 1] === ' ' || xml[i - 1] === '\t')) i--;
  if (i > 0 && xml[i - 1] === '\n') i--;
  if (i > 0 && xml[i - 1] === '\r') i--;
  return i;
}

/** The indentation of the line `offset` is on (empty when the element is not first on its line). */
function indentOf(xml: string, offset: number): string {
  let i = offset;
  while (i > 0 && (xml[i - 1] === ' ' || xml[i - 1] === '\t')) i--;
  return i === 0 || xml[i - 1] === '\n' ? xml.slice(i, offset) : '';
}
