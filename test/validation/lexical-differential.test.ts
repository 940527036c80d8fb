/**
 * Issue 8: one reading of every message. A differential test of the facts the switch acts on against
 * a conforming, namespace-aware XML parser (saxes, test/support/xml-oracle.ts).
 *
 * Valid pacs.008 documents (fixtures, an envelope with a business application header, documents built
 * from the sample models, generated bulk files) get random lexical mutations: namespace prefixes on
 * subtrees, extra namespace declarations (a prefix named Ccy, declarations whose value holds
 * ` Ccy='USD'`), extra attributes with look-alike text, attributes reordered, requoted and re-spaced,
 * other currency spellings, character and entity references, whitespace (also CR, tab, U+00A0 and the
 * other characters JavaScript's trim removes, U+0085, and whitespace written as references) around and
 * inside values, comments, CDATA and processing
 * instructions inside values and between elements, CRLF line ends, whitespace inside tags.
 *
 * For every document the pipeline does NOT refuse outright: the group facts and every transaction's
 * facts it hands on (what the rules and intake see) equal what the conforming parser reads, so do the
 * facts read through fast-xml-parser and the typed model (the switch's other reader), and the
 * transaction XML intake forwards (acceptedTransactions, inside the forwarded pacs.008) is
 * schema-valid and reads, with the same parser, as exactly the recorded values. Refused documents
 * are fine. Seeded: set LEXICAL_SEED to replay a run (the seed is in every failure message).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessageModule, TransactionFacts } from '../../switch/iso/message.ts';
import { build as buildPacs008, module as pacs008, parseXml as parsePacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { validateFile } from '../../switch/validation/pipeline.ts';
import type { ElementSpan } from '../../switch/validation/scan.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { acceptedTransactions } from '../../switch/engine/intake.ts';
import { forwardedCreditTransfer } from '../../switch/engine/outbound.ts';
import { documentText } from '../../switch/engine/inbound-message.ts';
import { parseTree, type XmlNode } from '../conformance/mutate.ts';
import { pacs008Samples } from '../iso/payment-samples.ts';
import { oracleFacts, parseOracle, withoutPosition, type OracleElement } from '../support/xml-oracle.ts';

const fixtures = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures');
const module = pacs008 as MessageModule<unknown>;
const NS = module.namespace;
const HEAD_NS = 'urn:iso:std:iso:20022:tech:xsd:head.001.001.02';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const encoder = new TextEncoder();
const CASES = 320;

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const bases: readonly string[] = [
  readFileSync(join(fixtures, 'pacs.008.001.08', 'valid-minimal.xml'), 'utf8'),
  readFileSync(join(fixtures, 'envelope', 'valid-envelope-bah.xml'), 'utf8'),
  ...Object.values(pacs008Samples).map((m) => buildPacs008(m)),
  buildPacs008(bulkCreditTransfer({
    seed: 5, sender: DEMO_BANKS[0]!, receivers: DEMO_BANKS.slice(1), transactionCount: 4, settlementDate: '2026-11-27',
    createdAt: '2026-11-26T10:00:00Z', messageId: 'LEXICAL-5', localInstrument: 'INST',
  })),
];

// ---------------------------------------------------------------- seeded randomness

class Random {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }
  chance(p: number): boolean { return this.next() < p; }
}

// ---------------------------------------------------------------- mutations (each a splice of the text)

interface Edit { readonly at: number; readonly end: number; readonly text: string }

function apply(xml: string, edits: Edit[]): string {
  let out = xml;
  for (const e of [...edits].sort((a, b) => b.at - a.at || b.end - a.end)) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

function* subtree(node: XmlNode): Generator<XmlNode> {
  yield node;
  for (const c of node.children) yield* subtree(c);
}

/** The part a mutation works on, and its namespace: the Document, or (one time in five) an envelope's AppHdr. */
function target(root: XmlNode, r: Random): { node: XmlNode; ns: string } {
  const appHdr = root.children.find((c) => c.localName === 'AppHdr');
  if (appHdr && r.chance(0.2)) return { node: appHdr, ns: HEAD_NS };
  return { node: root.localName === 'Document' ? root : root.children.find((c) => c.localName === 'Document')!, ns: NS };
}

/** A whole other (valid) pacs.008 Document inside a comment. */
const LOOK_ALIKE = `<!-- ${buildPacs008(pacs008Samples.single!).replace(/^<\?xml[^>]*>\s*/, '')} -->`;

const FACT_LEAVES = new Set(['TxId', 'EndToEndId', 'UETR', 'BICFI', 'IBAN', 'IntrBkSttlmAmt', 'TtlIntrBkSttlmAmt', 'Cd', 'MsgId',
  'NbOfTxs', 'CtrlSum', 'SttlmMtd', 'IntrBkSttlmDt', 'CreDtTm']);

/** Where a start tag's name ends (attributes may be inserted there). */
const nameEnd = (n: XmlNode): number => n.start + 1 + n.name.length;

const MUTATIONS: Record<string, (xml: string, doc: XmlNode, r: Random, ns: string) => string> = {
  'prefix a subtree': (xml, doc, r, ns) => {
    const top = r.pick([...subtree(doc)]);
    const prefix = r.pick(['p', 'ns2', 'Ccy', 'x']);
    const uri = r.chance(0.85) ? ns : r.pick([XSI, 'urn:other', 'EUR']);
    const edits: Edit[] = [];
    for (const n of subtree(top)) {
      edits.push({ at: n.start + 1, end: nameEnd(n), text: `${prefix}:${n.localName}${n === top ? ` xmlns:${prefix}="${uri}"` : ''}` });
      if (n.closeStart >= 0) edits.push({ at: n.closeStart + 2, end: n.closeStart + 2 + n.name.length, text: `${prefix}:${n.localName}` });
    }
    return apply(xml, edits);
  },
  'declare a namespace': (xml, doc, r, ns) => {
    const n = r.pick([...subtree(doc)]);
    const name = r.pick(['xmlns:Ccy', 'xmlns:x', 'xmlns:xsi', 'xmlns:p', 'xmlns']);
    const value = name === 'xmlns' && r.chance(0.7) ? ns : r.pick([ns, XSI, 'EUR', 'USD', "urn:a Ccy='USD'", 'urn:other']);
    return apply(xml, [{ at: nameEnd(n), end: nameEnd(n), text: ` ${name}="${value}"` }]);
  },
  'add an attribute': (xml, doc, r) => {
    const amounts = [...subtree(doc)].filter((n) => n.attributes.some((a) => a.name.endsWith('Ccy')));
    const n = amounts.length > 0 && r.chance(0.8) ? r.pick(amounts) : r.pick([...subtree(doc)]);
    const attribute = r.pick([
      `xmlns:xsi="${XSI}" xsi:schemaLocation="urn:x Ccy='USD'"`, `xsi:schemaLocation="${NS} p.xsd" xmlns:xsi="${XSI}"`,
      `xmlns:xsi="${XSI}" xsi:type="ActiveOrHistoricCurrencyAndAmount"`, `xmlns:foo="urn:foo" foo:Ccy="USD"`,
      `Dummy=" Ccy='USD'"`, `xmlns:xsi="${XSI}" xsi:Ccy="USD"`, 'xml:lang="en"',
    ]);
    const at = r.chance(0.5) || n.attributes.length === 0 ? nameEnd(n) : n.attributes[n.attributes.length - 1]!.end;
    return apply(xml, [{ at, end: at, text: ` ${attribute}` }]);
  },
  'respell a start tag': (xml, doc, r) => {
    const withAttributes = [...subtree(doc)].filter((n) => n.attributes.length > 0);
    const n = withAttributes.length > 0 && r.chance(0.8) ? r.pick(withAttributes) : r.pick([...subtree(doc)]);
    const attributes = [...n.attributes].sort(() => r.next() - 0.5).map((a) => {
      const quote = a.value.includes('"') ? "'" : a.value.includes("'") ? '"' : r.pick(['"', "'"]);
      return `${r.pick([' ', '\t', '\n', '\r\n', '  '])}${a.name}${r.pick(['=', ' = ', '\n=\t'])}${quote}${a.value}${quote}`;
    });
    const end = n.closeStart < 0 ? '/>' : '>';
    return apply(xml, [{ at: n.start, end: n.openEnd, text: `<${n.name}${attributes.join('')}${r.pick(['', ' ', '\n', '\r\n\t'])}${end}` }]);
  },
  'spell the currency': (xml, doc, r) => {
    const amounts = [...subtree(doc)].filter((n) => n.attributes.some((a) => a.name === 'Ccy'));
    if (amounts.length === 0) return xml;
    const attribute = r.pick(amounts).attributes.find((a) => a.name === 'Ccy')!;
    const value = r.pick(['USD', 'EUR', ' EUR', 'EUR ', 'E&#85;R', '&#x45;UR', 'eur', 'E\tUR', 'EU&#x52;', 'JPY', 'E\nUR']);
    return apply(xml, [{ at: attribute.valueStart, end: attribute.valueEnd, text: value }]);
  },
  'change a value': (xml, doc, r) => {
    const leaves = [...subtree(doc)].filter((n) => n.children.length === 0 && n.closeStart >= 0);
    const facts = leaves.filter((n) => FACT_LEAVES.has(n.localName));
    const n = facts.length > 0 && r.chance(0.75) ? r.pick(facts) : r.pick(leaves);
    const text = xml.slice(n.openEnd, n.closeStart);
    const k = r.int(text.length + 1);
    const inside = (insert: string): string => text.slice(0, k) + insert + text.slice(k);
    const code = text.length > 0 ? text.charCodeAt(Math.min(k, text.length - 1)) : 65;
    const variant = r.pick(['pad', 'charref', 'amp', 'cdata', 'cdata-part', 'comment', 'pi', 'ws-ref', 'cr', 'nbsp', 'tab', 'empty'] as const);
    const changed = {
      pad: `${r.pick(['', ' ', '\n', '\t', '\r\n'])}${text}${r.pick([' ', '\n  ', '\r\n', ''])}`,
      charref: text.length > 0 && !text.includes('&')
        ? text.slice(0, Math.min(k, text.length - 1)) + (r.chance(0.5) ? `&#${code};` : `&#x${code.toString(16)};`) + text.slice(Math.min(k, text.length - 1) + 1)
        : text,
      amp: inside(r.pick(['&amp;', '&lt;', '&gt;', '&quot;', "&apos;"])),
      cdata: text.includes('&') ? text : `<![CDATA[${text}]]>`,
      'cdata-part': inside('<![CDATA[') + ']]>',
      comment: inside(r.pick(['<!-- c -->', '<!---->', '<!-- <Ccy>USD</Ccy> -->'])),
      pi: inside('<?pi Ccy="USD"?>'),
      'ws-ref': r.chance(0.5) ? `&#32;${text}` : `${text}${r.pick(['&#x20;', '&#9;', '&#10;', '&#13;'])}`,
      cr: inside(r.pick(['\r\n', '\r', '\n'])),
      nbsp: ((space: string) => r.chance(0.5) ? `${space}${text}` : `${text}${space}`)(r.pick(['\u00a0', '\ufeff', '\u2028', '\u3000', '\u0085', '&#160;'])),
      tab: inside('\t'),
      empty: '',
    }[variant];
    return apply(xml, [{ at: n.openEnd, end: n.closeStart, text: changed }]);
  },
  'put something between elements': (xml, doc, r) => {
    const parents = [...subtree(doc)].filter((n) => n.children.length > 0);
    const n = r.pick(parents);
    const child = r.pick(n.children);
    const at = r.chance(0.5) ? child.start : child.end;
    return apply(xml, [{ at, end: at, text: r.pick(['<!-- <Ccy>USD</Ccy> Ccy="USD" -->', '<?pi Ccy="USD"?>', '\n  ', '<!---->', ' \r\n', '\t', LOOK_ALIKE]) }]);
  },
  'CRLF line ends': (xml) => xml.replace(/\r?\n/g, '\r\n'),
  'whitespace inside a tag': (xml, doc, r) => {
    const n = r.pick([...subtree(doc)]);
    if (n.closeStart >= 0 && r.chance(0.5)) {
      const at = n.closeStart + 2 + n.name.length;
      return apply(xml, [{ at, end: at, text: r.pick(['\n', ' ', '\r\n\t']) }]);
    }
    const at = n.openEnd - (n.closeStart < 0 ? 2 : 1);
    return apply(xml, [{ at, end: at, text: r.pick(['\n', ' ', '\r\n\t']) }]);
  },
};

function mutated(r: Random): { xml: string; applied: string[] } {
  let xml = r.pick(bases);
  const applied: string[] = [];
  const count = 1 + r.int(4);
  for (let m = 0; m < count; m++) {
    let root: XmlNode;
    try {
      root = parseTree(xml);
    } catch {
      break; // the tokenizer of the helper does not follow every spelling: stop mutating this one
    }
    const name = r.pick(Object.keys(MUTATIONS));
    const { node, ns } = target(root, r);
    xml = MUTATIONS[name]!(xml, node, r, ns);
    applied.push(name);
  }
  return { xml, applied };
}

// ---------------------------------------------------------------- the comparison

/** The BAH as the reference parser reads it (undefined for a bare Document). */
function oracleHeader(xml: string): Record<string, string | boolean> | undefined {
  const root = parseOracle(xml);
  const appHdr = root.children.find((c) => c.uri === HEAD_NS && c.local === 'AppHdr');
  if (!appHdr) return undefined;
  const text = (...path: string[]): string | undefined => {
    let e: OracleElement | undefined = appHdr;
    for (const local of path) e = e?.children.find((c) => c.uri === HEAD_NS && c.local === local);
    return e?.text;
  };
  const header: Record<string, string | undefined> = {
    from: text('Fr', 'FIId', 'FinInstnId', 'BICFI'), to: text('To', 'FIId', 'FinInstnId', 'BICFI'), businessMessageId: text('BizMsgIdr'),
    messageDefinitionId: text('MsgDefIdr'), creationDate: text('CreDt'),
  };
  const duplicate = text('PssblDplct');
  return { ...Object.fromEntries(Object.entries(header).filter(([, v]) => v !== undefined)) as Record<string, string>,
    ...(duplicate === undefined ? {} : { possibleDuplicate: duplicate === 'true' }) };
}

/** Facts as the engine reads a message through its typed model: the Document cut by documentText, then fast-xml-parser. */
function typedModelFacts(bytes: Uint8Array): ReturnType<typeof oracleFacts> {
  const facts = module.facts(parsePacs008(documentText(bytes)));
  return { group: facts.group, transactions: [...facts.transactions] };
}

it(`lexical mutations of pacs.008: what the switch records and forwards is what a conforming parser reads (${CASES} cases)`, async (t) => {
  const seed = process.env.LEXICAL_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.LEXICAL_SEED);
  const r = new Random(seed);
  let accepted = 0;
  const refusals = new Map<string, number>();
  for (let n = 0; n < CASES; n++) {
    const { xml, applied } = mutated(r);
    const where = `LEXICAL_SEED=${seed} case ${n} (${applied.join(', ')})`;
    const bytes = encoder.encode(xml);
    const collected: { facts: TransactionFacts; span: ElementSpan | undefined }[] = [];
    const report = await validateFile(bytes, { xsd, onTransaction: (facts, span) => collected.push({ facts, span }) });
    if (report.status === 'RJCT') {
      const code = report.findings[0]?.message.replace(/[<"'].*$/, '') ?? '';
      refusals.set(code, (refusals.get(code) ?? 0) + 1);
      continue;
    }
    accepted++;
    let expected: ReturnType<typeof oracleFacts>;
    try {
      expected = oracleFacts(module, xml);
    } catch (error) {
      assert.fail(`${where}: the pipeline accepted a document a conforming parser refuses: ${(error as Error).message}\n${xml}`);
    }
    assert.deepStrictEqual(report.group, expected.group, `${where}: group facts\n${xml}`);
    assert.deepStrictEqual(collected.map((c) => c.facts), expected.transactions, `${where}: transaction facts\n${xml}`);
    // The other reader of the switch, fast-xml-parser and the typed model (messages without a FactSpec,
    // the business application header), reads the same.
    assert.deepStrictEqual(typedModelFacts(bytes), expected, `${where}: facts through the typed model\n${xml}`);
    assert.deepStrictEqual(report.header && JSON.parse(JSON.stringify(report.header)), oracleHeader(xml), `${where}: business application header\n${xml}`);

    const forwarded = acceptedTransactions(report, collected, bytes);
    assert.ok(forwarded.length > 0, `${where}: some transaction accepted`);
    const document = forwardedCreditTransfer({
      messageId: 'FWD-1', createdAt: '2026-11-26T10:00:00Z', settlementDate: '2026-11-27', currency: 'EUR', totalText: '1.00',
      count: forwarded.length, instructingAgent: 'CLHSDEFFXXX', instructedAgent: 'BANKFRPPXXX',
    }, forwarded.map((t) => t.xml));
    assert.deepEqual(await xsd.validateOne(module.id, encoder.encode(document)), [], `${where}: the forwarded document is schema-valid\n${document}`);
    assert.deepStrictEqual(oracleFacts(module, document).transactions.map(withoutPosition), forwarded.map((t) => withoutPosition(t.facts)),
      `${where}: the forwarded transactions read as recorded\n${document}`);
  }
  t.diagnostic(`LEXICAL_SEED=${seed}: ${accepted} of ${CASES} accepted; refused: ${JSON.stringify([...refusals].sort((a, b) => b[1] - a[1]))}`);
  assert.ok(accepted >= CASES / 5, `LEXICAL_SEED=${seed}: only ${accepted} of ${CASES} mutated documents were accepted; the test needs more`);
});
