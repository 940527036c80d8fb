/**
 * The windows of a scanned file are read first without a tree (`xmllint --sax --schema`,
 * xsd-worker.cjs runJob 'stream-first') and again as a tree when that reading did not find every window
 * valid. The fast path is sound only if, on input the hardening scan accepts, the streaming reading
 * calls valid exactly what the tree reading calls valid. Checked here on generated inputs: every valid
 * fixture of the 16 messages, their schema mutants (test/conformance/mutate.ts: elements removed,
 * duplicated, unknown; codes, patterns, lengths, amounts, namespaces broken) and lexical variants
 * (ill-formed, references, CDATA, comments, declarations, BOM, namespace declarations, xml: and xsi:
 * attributes), each read both ways; and the 'stream-first' answer, job by job, equal to the tree
 * reading's (verdicts, lines, messages). Input the scan refuses may differ (the streaming run prints no
 * parser warnings): one such case is pinned below, as the reason the fast path is for scanned input only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XsdValidator, type XsdError, type XsdFile } from '../../switch/validation/xsd-pool.ts';
import { mutate, SchemaInfo } from '../conformance/mutate.ts';
import { scanXml } from '../../switch/validation/scan.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const MESSAGES = readdirSync(join(ROOT, 'schemas')).filter((f) => /^[a-z]{4}\.\d{3}\.\d{3}\.\d{2}\.xsd$/.test(f)).map((f) => f.slice(0, -4)).sort();
/** Schema mutants per message compared reading against reading (one job per reading). */
const MUTANTS_PER_MESSAGE = 150;
/** Of those, validated in jobs of their own by default and compared with the tree reading's answer. */
const DEFAULT_JOBS_PER_MESSAGE = 24;

const encoder = new TextEncoder();

interface Case { readonly label: string; readonly bytes: Uint8Array }

/** Lexical variants of one valid document: each is valid or not for reasons of form, not of content. */
function lexicalVariants(xml: string): Case[] {
  const body = xml.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
  const firstValue = /<([A-Za-z]+)>([^<]+)<\/\1>/.exec(body);
  const at = firstValue ? body.indexOf(firstValue[0]) : -1;
  const inValue = (make: (name: string, value: string) => string): string => (firstValue
    ? body.slice(0, at) + make(firstValue[1]!, firstValue[2]!) + body.slice(at + firstValue[0].length) : body);
  const rootEnd = body.indexOf('>');
  const variants: [string, string | Uint8Array][] = [
    ['no declaration', body],
    ['declaration standalone', `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${body}`],
    ['byte order mark', `\uFEFF${xml}`],
    ['latin-1 declared, ASCII only', xml.replace(/encoding="UTF-8"/i, 'encoding="ISO-8859-1"')],
    ['truncated in the middle', body.slice(0, Math.floor(body.length / 2))],
    ['truncated by one character', body.slice(0, -2)],
    ['end tag misspelt', inValue((n, v) => `<${n}>${v}</${n}x>`)],
    ['undeclared entity', inValue((n, v) => `<${n}>${v}&undeclared;</${n}>`)],
    ['predefined entity', inValue((n, v) => `<${n}>${v.slice(0, 1)}&amp;${v.slice(2)}</${n}>`)],
    ['character reference', inValue((n, v) => `<${n}>&#${v.charCodeAt(0)};${v.slice(1)}</${n}>`)],
    ['character reference to a control character', inValue((n, v) => `<${n}>&#1;${v.slice(1)}</${n}>`)],
    ['CDATA value', inValue((n, v) => `<${n}><![CDATA[${v}]]></${n}>`)],
    ['comment inside a value', inValue((n, v) => `<${n}>${v.slice(0, 1)}<!-- c -->${v.slice(1)}</${n}>`)],
    ['processing instruction inside a value', inValue((n, v) => `<${n}><?pi x?>${v}</${n}>`)],
    ['whitespace around a value', inValue((n, v) => `<${n}> ${v}\n</${n}>`)],
    ['text between elements', inValue((n, v) => `stray<${n}>${v}</${n}>`)],
    ['duplicate attribute on the root', `${body.slice(0, rootEnd)} a="1" a="2"${body.slice(rootEnd)}`],
    ['xsi:nil on a value', inValue((n, v) => `<${n} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true">${v}</${n}>`)],
    ['xsi:type unknown', inValue((n, v) => `<${n} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Nope">${v}</${n}>`)],
    ['two roots', `${body}\n${body}`],
    ['DOCTYPE', `<!DOCTYPE Document [<!ENTITY e "x">]>\n${body}`],
    ['XML 1.1 declaration', xml.replace('version="1.0"', 'version="1.1"')],
    ['namespace declaration, relative URI', `${body.slice(0, rootEnd)} xmlns:r="relative/path"${body.slice(rootEnd)}`],
    ['namespace declaration, not a URI', `${body.slice(0, rootEnd)} xmlns:r="a b"${body.slice(rootEnd)}`],
    ['xsi:schemaLocation', `${body.slice(0, rootEnd)} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:x other.xsd"${body.slice(rootEnd)}`],
    ['xsi:noNamespaceSchemaLocation', `${body.slice(0, rootEnd)} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://example.com/x.xsd"${body.slice(rootEnd)}`],
    ['xml:lang, invalid value', `${body.slice(0, rootEnd)} xml:lang="!!"${body.slice(rootEnd)}`],
    ['xml:space, invalid value', `${body.slice(0, rootEnd)} xml:space="sometimes"${body.slice(rootEnd)}`],
    ['invalid UTF-8 byte', encoder.encode(inValue((n, v) => `<${n}>${v}\u0001</${n}>`)).map((b) => (b === 0x01 ? 0xff : b))],
  ];
  return variants.map(([label, v]) => ({ label, bytes: typeof v === 'string' ? encoder.encode(v) : v }));
}

function cases(id: string): Case[] {
  const dir = join(FIXTURES, id);
  if (!existsSync(dir)) return [];
  const fixtures = readdirSync(dir).filter((f) => /^valid-.*\.xml$/.test(f)).sort().map((f) => ({ f, xml: readFileSync(join(dir, f), 'utf8') }));
  const schema = new SchemaInfo(readFileSync(join(ROOT, 'schemas', `${id}.xsd`), 'utf8'));
  const perFixture = Math.max(1, Math.floor(MUTANTS_PER_MESSAGE / Math.max(1, fixtures.length)));
  const out: Case[] = [];
  for (const { f, xml } of fixtures) {
    out.push({ label: f, bytes: encoder.encode(xml) });
    for (const m of mutate(xml, { schema, max: perFixture })) out.push({ label: `${f}: ${m.label}`, bytes: encoder.encode(m.xml) });
    for (const v of lexicalVariants(xml)) out.push({ label: `${f}: ${v.label}`, bytes: v.bytes });
  }
  return out;
}

const files = (cs: readonly Case[]): XsdFile[] => cs.map((c, i) => ({ fileName: `c${i}.xml`, contents: c.bytes }));
const verdicts = (errors: ReadonlyMap<string, XsdError[]>, n: number): boolean[] => Array.from({ length: n }, (_, i) => errors.get(`c${i}.xml`)!.length === 0);

describe('XSD jobs of scanned input: the streaming reading first, the tree reading when anything fails', () => {
  let xsd: XsdValidator;
  before(() => { xsd = new XsdValidator(undefined, 1); });
  after(async () => { await xsd.close(); });

  for (const id of MESSAGES) {
    test(id, async () => {
      const generated = cases(id);
      // What the pipeline validates: input the hardening scan accepted.
      const all = generated.filter((c) => scanXml(c.bytes).findings.length === 0);
      assert.ok(all.length >= 20, `${id}: only ${all.length} of ${generated.length} generated cases pass the scan`);
      const [tree, stream] = await Promise.all([xsd.validateFiles(id, files(all), 'tree'), xsd.validateFiles(id, files(all), 'stream')]);
      const treeValid = verdicts(tree.errors, all.length);
      const streamValid = verdicts(stream.errors, all.length);
      // The corpus must hold both verdicts, or the comparison says nothing.
      assert.ok(treeValid.some((v) => v) && treeValid.some((v) => !v), `${id}: the tree reading found all cases ${treeValid[0] ? 'valid' : 'invalid'}`);
      const disagree = all.flatMap((c, i) => (treeValid[i] === streamValid[i] ? [] : [`${c.label}: tree ${treeValid[i] ? 'valid' : 'invalid'}, stream ${streamValid[i] ? 'valid' : 'invalid'}`]));
      assert.deepEqual(disagree, [], `${id}: the two readings disagree`);

      // Streaming first, a job's answer is the tree reading's: jobs of one case, and of a valid and an invalid case together.
      const firstValid = all.findIndex((_, i) => treeValid[i]);
      const invalid = all.flatMap((_, i) => (treeValid[i] ? [] : [i]));
      const step = Math.max(1, Math.floor(invalid.length / DEFAULT_JOBS_PER_MESSAGE));
      const jobs: Case[][] = [[all[firstValid]!]];
      for (let k = 0; k < invalid.length; k += step) jobs.push(k % 2 === 0 ? [all[invalid[k]!]!] : [all[firstValid]!, all[invalid[k]!]!]);
      for (const job of jobs) {
        const [first, byTree] = await Promise.all([xsd.validateFiles(id, files(job), 'stream-first'), xsd.validateFiles(id, files(job), 'tree')]);
        assert.deepEqual([...first.errors], [...byTree.errors], `${id}: ${job.map((c) => c.label).join(' + ')}`);
      }
    });
  }

  test('input the scan refuses may read differently: an XML 1.1 declaration draws a warning from the tree reading only', async () => {
    const xml = readFileSync(join(FIXTURES, 'pacs.008.001.08', 'valid-minimal.xml'), 'utf8').replace('version="1.0"', 'version="1.1"');
    const bytes = encoder.encode(xml);
    assert.ok(scanXml(bytes).findings.length > 0, 'the hardening scan refuses an XML 1.1 declaration');
    const [tree, stream] = await Promise.all([
      xsd.validateFiles('pacs.008.001.08', [{ fileName: 'v.xml', contents: bytes }], 'tree'),
      xsd.validateFiles('pacs.008.001.08', [{ fileName: 'v.xml', contents: bytes }], 'stream'),
    ]);
    assert.match(tree.errors.get('v.xml')!.map((e) => e.message).join('\n'), /parser warning/);
    assert.deepEqual(stream.errors.get('v.xml'), []);
  });
});
