/**
 * The reference reader for differential tests: saxes, a conforming, namespace-aware XML 1.0 parser
 * (end-of-line and attribute-value normalisation, character and entity references, CDATA, comments,
 * processing instructions, namespace scoping), builds a small element tree, and the facts of a
 * message are read from that tree by expanded name ({namespace}local) following the module's
 * FactSpec paths. Nothing here shares code with the switch's own readers.
 */
import { SaxesParser } from 'saxes';
import type { AmountText, GroupFacts, Located, MessageModule, TransactionFacts } from '../../switch/iso/message.ts';

export interface OracleElement {
  readonly uri: string;
  readonly local: string;
  /** Attributes that are not namespace declarations, by expanded name `{uri}local` (`local` when unqualified). */
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: OracleElement[];
  /** Character data directly in this element (text and CDATA), in order, joined. */
  text: string;
}

const XMLNS = 'http://www.w3.org/2000/xmlns/';

/** Parse a whole document; throws on any well-formedness or namespace error. */
export function parseOracle(xml: string): OracleElement {
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: OracleElement[] = [];
  let root: OracleElement | undefined;
  let failure: Error | undefined;
  parser.on('error', (error) => { failure ??= error; });
  parser.on('opentag', (tag) => {
    const attributes = new Map<string, string>();
    for (const attribute of Object.values(tag.attributes)) {
      if (typeof attribute === 'string') throw new Error('saxes gave an attribute without its namespace');
      if (attribute.uri === XMLNS || attribute.name === 'xmlns') continue;
      attributes.set(attribute.uri ? `{${attribute.uri}}${attribute.local}` : attribute.local, attribute.value);
    }
    const element: OracleElement = { uri: tag.uri ?? '', local: tag.local ?? tag.name, attributes, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('text', (text) => { const top = stack[stack.length - 1]; if (top) top.text += text; });
  parser.on('cdata', (text) => { const top = stack[stack.length - 1]; if (top) top.text += text; });
  parser.on('closetag', () => { stack.pop(); });
  parser.write(xml).close();
  if (failure) throw failure;
  if (!root) throw new Error('no root element');
  return root;
}

type FactSpecOf = NonNullable<MessageModule<unknown>['factSpec']>;

/** The first element reached from `from` by children with these local names in `uri`. */
function at(from: OracleElement, path: string, uri: string): OracleElement | undefined {
  let current: OracleElement | undefined = from;
  for (const local of path.split('/')) {
    current = current?.children.find((c) => c.uri === uri && c.local === local);
    if (current === undefined) return undefined;
  }
  return current;
}

function* descendants(element: OracleElement, path: string[]): Generator<{ element: OracleElement; path: string[] }> {
  for (const child of element.children) {
    const childPath = [...path, child.local];
    yield { element: child, path: childPath };
    yield* descendants(child, childPath);
  }
}

/** The Document element of a bare Document or of an envelope (AppHdr + Document). */
export function documentOf(root: OracleElement): OracleElement | undefined {
  if (root.local === 'Document') return root;
  return root.children.find((c) => c.local === 'Document');
}

/** Facts of a message as the reference reader sees them, in the shape of the switch's MessageFacts. */
export function oracleFacts(module: MessageModule<unknown>, xml: string): { group: GroupFacts; transactions: TransactionFacts[] } {
  const spec = module.factSpec!;
  const document = documentOf(parseOracle(xml));
  if (!document || document.uri !== module.namespace) throw new Error(`no Document in ${module.namespace}`);
  const uri = module.namespace;
  const messageRoot = document.children.find((c) => c.uri === uri && c.local === module.rootElement);
  if (!messageRoot) throw new Error(`no <${module.rootElement}>`);
  const group: Record<string, string | AmountText> = {};
  for (const [key, path] of Object.entries(spec.group)) {
    const element = at(messageRoot, path!, uri);
    if (element === undefined) continue;
    group[key] = key === 'totalAmount' ? amountOf(element) : element.text;
  }
  const transactions = messageRoot.children.filter((c) => c.uri === uri && c.local === module.transactionElement)
    .map((element, index) => oracleTransaction(element, index, spec, module.transactionElement!, uri));
  return { group: group as unknown as GroupFacts, transactions };
}

/** One transaction element's facts (index and path as the switch numbers them). */
export function oracleTransaction(element: OracleElement, index: number, spec: FactSpecOf, transactionElement: string,
  uri: string): TransactionFacts {
  const path = `${transactionElement}[${index}]`;
  const fields: Record<string, unknown> = {};
  for (const [key, fieldPath] of Object.entries(spec.transaction)) {
    const found = at(element, fieldPath!, uri);
    if (found === undefined) continue;
    fields[key] = key === 'amount' ? amountOf(found) : found.text;
  }
  const excluded = (spec.excludeUnder ?? []).map((prefix) => `${prefix}/`);
  const ibans: Located[] = [];
  const bics: Located[] = [];
  for (const { element: e, path: names } of descendants(element, [])) {
    if (e.uri !== uri) continue;
    const relative = names.join('/');
    if (excluded.some((prefix) => relative.startsWith(prefix))) continue;
    if (e.local === spec.ibanElement) ibans.push({ path: `${path}/${relative}`, value: e.text });
    if (e.local === spec.bicElement) bics.push({ path: `${path}/${relative}`, value: e.text });
  }
  const amountElement = spec.transaction.amount && spec.transaction.amount !== 'IntrBkSttlmAmt' && fields.amount
    ? { amountElement: spec.transaction.amount } : {};
  return { index, path, ...fields, ...amountElement, ibans, bics } as TransactionFacts;
}

function amountOf(element: OracleElement): AmountText {
  return { currency: element.attributes.get('Ccy') ?? '', value: element.text };
}

/**
 * The transactions of a forwarded pacs.008 (as the creditor agent reads it), each without its index
 * and path, to compare with what the switch recorded.
 */
export function oracleForwardedTransactions(module: MessageModule<unknown>, xml: string): Omit<TransactionFacts, 'index' | 'path' | 'ibans' | 'bics'>[] {
  return oracleFacts(module, xml).transactions.map(withoutPosition);
}

/** A transaction's facts without where it stands (index, path, and the paths of its IBANs and BICs). */
export function withoutPosition(facts: TransactionFacts): Omit<TransactionFacts, 'index' | 'path' | 'ibans' | 'bics'> & {
  ibans: string[]; bics: string[];
} {
  const { index: _index, path: _path, ibans, bics, ...rest } = facts;
  return { ...rest, ibans: ibans.map((i) => i.value), bics: bics.map((b) => b.value) };
}
