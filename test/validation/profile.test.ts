/**
 * The lexical profile (docs/validation.md#the-lexical-profile), rule by rule, through validateFile:
 * each spelling outside it is refused with its code, the path of the element where it stands and its
 * line; the spellings inside it that participants write (prefixes, hints, comments between elements,
 * single quotes, CRLF) are accepted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateFile } from '../../switch/validation/pipeline.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';

const fixtures = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures');
const schemas = join(fileURLToPath(import.meta.url), '..', '..', '..', 'schemas');
const minimal = readFileSync(join(fixtures, 'pacs.008.001.08', 'valid-minimal.xml'), 'utf8');
const envelope = readFileSync(join(fixtures, 'envelope', 'valid-envelope-bah.xml'), 'utf8');
const NS = 'urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

function edit(xml: string, from: string | RegExp, to: string): string {
  const edited = xml.replace(from, to);
  assert.notEqual(edited, xml, `edit did not apply: ${from}`);
  return edited;
}

const AMOUNT = '<IntrBkSttlmAmt Ccy="EUR">1250.00</IntrBkSttlmAmt>';
const AMOUNT_PATH = '/Document/FIToFICstmrCdtTrf/CdtTrfTxInf/IntrBkSttlmAmt';
const AMOUNT_LINE = 37;

describe('refused: outside the lexical profile', () => {
  const cases: Array<{ what: string; xml: string; code: string; path: string; line: number; message: RegExp }> = [
    { what: 'a namespace prefix named Ccy', xml: edit(minimal, AMOUNT, '<IntrBkSttlmAmt xmlns:Ccy="EUR" Ccy="USD">1250.00</IntrBkSttlmAmt>'),
      code: 'FF01', path: AMOUNT_PATH, line: AMOUNT_LINE, message: /namespace declaration xmlns:Ccy="EUR" inside the Document/ },
    { what: 'a prefixed attribute', xml: edit(minimal, AMOUNT, `<IntrBkSttlmAmt xmlns:a="${NS}" a:Ccy="USD" Ccy="EUR">1250.00</IntrBkSttlmAmt>`),
      code: 'FF01', path: AMOUNT_PATH, line: AMOUNT_LINE, message: /attribute a:Ccy refused/ },
    { what: 'xsi:type', xml: edit(minimal, AMOUNT, `<IntrBkSttlmAmt xmlns:xsi="${XSI}" xsi:type="X" Ccy="EUR">1250.00</IntrBkSttlmAmt>`),
      code: 'FF01', path: AMOUNT_PATH, line: AMOUNT_LINE, message: /attribute xsi:type refused/ },
    { what: 'a reference in an attribute value', xml: edit(minimal, AMOUNT, '<IntrBkSttlmAmt Ccy="&#69;UR">1250.00</IntrBkSttlmAmt>'),
      code: 'FF01', path: AMOUNT_PATH, line: AMOUNT_LINE, message: /reference in the value of attribute Ccy/ },
    { what: 'whitespace in a currency', xml: edit(minimal, AMOUNT, '<IntrBkSttlmAmt Ccy="EUR\t">1250.00</IntrBkSttlmAmt>'),
      code: 'FF01', path: AMOUNT_PATH, line: AMOUNT_LINE, message: /whitespace in the value of attribute Ccy/ },
    { what: 'an element in another namespace', xml: edit(minimal, AMOUNT, '<IntrBkSttlmAmt xmlns="urn:other" Ccy="EUR">1250.00</IntrBkSttlmAmt>'),
      code: 'FF01', path: AMOUNT_PATH, line: AMOUNT_LINE, message: /<IntrBkSttlmAmt> is in namespace urn:other, not the Document's/ },
    { what: 'an undeclared prefix', xml: edit(minimal, AMOUNT, '<q:IntrBkSttlmAmt Ccy="EUR">1250.00</q:IntrBkSttlmAmt>'),
      code: 'FF02', path: '/Document/FIToFICstmrCdtTrf/CdtTrfTxInf/IntrBkSttlmAmt', line: AMOUNT_LINE, message: /prefix q .* not declared/ },
    { what: 'whitespace around an amount', xml: edit(minimal, AMOUNT, '<IntrBkSttlmAmt Ccy="EUR"> 1250.00</IntrBkSttlmAmt>'),
      code: 'FF01', path: AMOUNT_PATH, line: AMOUNT_LINE, message: /whitespace around the value of <IntrBkSttlmAmt>/ },
    { what: 'an XML declaration not at the start',
      xml: edit(minimal, '<Document', '<?xml version="1.0"?><Document'), code: 'FF02', path: '/', line: 2, message: /XML declaration must stand at the start/ },
    { what: 'a processing instruction before the root', xml: edit(minimal, '<Document', '<?xml-stylesheet href="a"?>\n<Document'),
      code: 'FF01', path: '/', line: 2, message: /processing instruction <\?xml-stylesheet> refused/ },
    { what: 'an element between two transactions', xml: edit(minimal, /(<\/CdtTrfTxInf>)(\s*<CdtTrfTxInf>)/, '$1<Foo/>$2'),
      code: 'FF01', path: '/Document/FIToFICstmrCdtTrf', line: 68, message: /an element between two CdtTrfTxInf elements/ },
    { what: 'text after the last transaction is the schema\'s to refuse', xml: edit(minimal, /(<\/CdtTrfTxInf>)(\s*<\/FIToFICstmrCdtTrf>)/, '$1EUR$2'),
      code: 'FF01', path: '/Document/FIToFICstmrCdtTrf', line: 3, message: /Element 'FIToFICstmrCdtTrf': Character content other than whitespace is not allowed/ },
    { what: 'text in the envelope', xml: edit(envelope, '</AppHdr>', '</AppHdr>EUR'),
      code: 'FF01', path: '/BusMsg', line: 2, message: /the envelope holds text besides AppHdr and Document/ },
  ];
  for (const c of cases) {
    it(`${c.what}: ${c.code} at ${c.path} line ${c.line}`, async () => {
      const report = await validateFile(encoder.encode(c.xml), { xsd });
      assert.equal(report.status, 'RJCT');
      assert.equal(report.findings.length, 1, JSON.stringify(report.findings));
      const [finding] = report.findings;
      assert.equal(finding!.code, c.code);
      assert.equal(finding!.path, c.path);
      assert.equal(finding!.line, c.line);
      assert.match(finding!.message, c.message);
    });
  }
});

describe('accepted: spellings inside the profile', () => {
  const cases: Array<{ what: string; xml: string }> = [
    { what: 'every element prefixed, the prefix declared on Document, a schema-location hint',
      xml: minimal.replace(/<(\/?)([A-Za-z][\w.-]*)(?=[\s/>])/g, '<$1ns2:$2')
        .replace(' xmlns="', ` xmlns:xsi="${XSI}" xsi:schemaLocation="${NS} pacs.008.001.08.xsd" xmlns:ns2="`) },
    { what: 'the message namespace declared again below, as default and under a prefix',
      xml: edit(minimal, AMOUNT, `<p:IntrBkSttlmAmt xmlns:p="${NS}" xmlns="${NS}" Ccy='EUR'>1250.00</p:IntrBkSttlmAmt>`) },
    { what: 'comments before the root, between elements and after the root; CRLF line ends',
      xml: edit(minimal, '<Document', '<!-- generated -->\n<Document').replace(AMOUNT, `<!-- Ccy="USD" -->${AMOUNT}`)
        .replace(/\n/g, '\r\n') + '<!-- end -->\r\n' },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      const report = await validateFile(encoder.encode(c.xml), { xsd });
      assert.equal(report.status, 'ACCP', JSON.stringify(report.findings));
      assert.equal(report.group?.totalAmount?.currency, 'EUR');
    });
  }
});

describe('the premises of the profile, read from the scheme schemas', () => {
  const files = readdirSync(schemas).filter((f) => f.endsWith('.xsd'));
  const text = (f: string): string => readFileSync(join(schemas, f), 'utf8');

  it('no wildcard but the XML signature in the BAH (Sgntr): every element in a Document is one its schema declares', () => {
    const wildcards = files.flatMap((f) => [...text(f).matchAll(/<xs:any(Attribute)?\b[^>]*>/g)].map((m) => `${f}: ${m[0]}`));
    assert.deepEqual(wildcards, ['head.001.001.02.xsd: <xs:any namespace="http://www.w3.org/2000/09/xmldsig#" processContents="lax"/>']);
  });

  it('the only attribute any schema declares is the unqualified Ccy (so the profile admits no other attribute that matters)', () => {
    const attributes = new Set(files.flatMap((f) => [...text(f).matchAll(/<xs:attribute\b[^>]*name="([^"]+)"/g)].map((m) => m[1])));
    assert.deepEqual([...attributes], ['Ccy']);
    assert.ok(files.every((f) => !/attributeFormDefault="qualified"/.test(text(f))));
  });

  it('no whitespace facet and no token type: a string value is the text as written, which the profile keeps unpadded', () => {
    for (const f of files) assert.doesNotMatch(text(f), /xs:whiteSpace|xs:token|xs:normalizedString|xs:NMTOKEN|xs:Name\b|xs:anyURI/, f);
  });
});
