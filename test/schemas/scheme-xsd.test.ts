/**
 * The scheme's usage-guideline XSDs (schemas/<id>.xsd):
 *  (a) each of the 16 schemas exists and compiles (validated with xmllint-wasm on its sample);
 *  (b) its targetNamespace is the official one;
 *  (c) test/fixtures/<id>/valid-minimal.xml is valid against ours AND against the official XSD;
 *  (d) each kind of restriction rejects a message that the official XSD accepts
 *      (test/fixtures/<id>/invalid-<defect>.xml);
 * plus structural invariants of the restrictions and a check that the committed files are what
 * tools/derive-schemas.ts derives from the profiles (the official XSDs needed: test/support/prerequisites.ts).
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML } from 'xmllint-wasm';
import {
  DOCS_BEGIN,
  DOCS_END,
  attr,
  deriveAll,
  deriveSchema,
  docsBlock,
  parseXsd,
  type XNode,
} from '../../tools/derive-schemas.ts';
import type { Profile } from '../../tools/scheme-profiles.ts';
import { officialXsdDirectory } from '../iso/official-xsd.ts';
import { requireOrSkip } from '../support/prerequisites.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The official XSDs (read-only, outside the repo: test/iso/official-xsd.ts). */
const OFFICIAL_DIR = officialXsdDirectory;
const HAVE_OFFICIAL = existsSync(OFFICIAL_DIR);
const SKIP = `official ISO XSDs not found at ${OFFICIAL_DIR}`;

const MESSAGES = [
  'head.001.001.02',
  'pacs.008.001.08',
  'pacs.009.001.08',
  'pacs.004.001.09',
  'pacs.002.001.10',
  'pacs.028.001.03',
  'camt.056.001.08',
  'camt.029.001.09',
  'camt.052.001.08',
  'camt.053.001.08',
  'camt.054.001.08',
  'camt.060.001.05',
  'admi.002.001.01',
  'admi.004.001.02',
  'acmt.023.001.04',
  'acmt.024.001.04',
] as const;

/** One invalid-by-restriction fixture: ours must reject it at `element`, ISO must accept it. */
interface RestrictionCase {
  id: string;
  file: string;
  kind: string;
  /** Local name of the element our schema must complain about. */
  element: string;
  /** A facet failure (enumeration / pattern) rather than an unexpected element. */
  facet?: 'enumeration' | 'pattern';
}

const CASES: RestrictionCase[] = [
  // 1. settlement method and settlement information
  { id: 'pacs.008.001.08', file: 'invalid-sttlmmtd-inda.xml', kind: 'SttlmMtd INDA', element: 'SttlmMtd', facet: 'enumeration' },
  { id: 'pacs.008.001.08', file: 'invalid-sttlmacct.xml', kind: 'SttlmInf/SttlmAcct', element: 'SttlmAcct' },
  { id: 'pacs.004.001.09', file: 'invalid-sttlmmtd-inda.xml', kind: 'SttlmMtd INDA', element: 'SttlmMtd', facet: 'enumeration' },
  { id: 'pacs.009.001.08', file: 'invalid-sttlmmtd-cove.xml', kind: 'SttlmMtd COVE', element: 'SttlmMtd', facet: 'enumeration' },
  { id: 'pacs.002.001.10', file: 'invalid-sttlmmtd-cove.xml', kind: 'OrgnlTxRef SttlmMtd COVE', element: 'SttlmMtd', facet: 'enumeration' },
  // 2. charge bearer
  { id: 'pacs.008.001.08', file: 'invalid-chrgbr-shar.xml', kind: 'ChrgBr SHAR', element: 'ChrgBr', facet: 'enumeration' },
  { id: 'pacs.004.001.09', file: 'invalid-chrgbr-debt.xml', kind: 'ChrgBr DEBT', element: 'ChrgBr', facet: 'enumeration' },
  // 3. agents: BICFI only, no branch
  { id: 'pacs.008.001.08', file: 'invalid-agent-clrsysmmbid-only.xml', kind: 'agent with only ClrSysMmbId', element: 'ClrSysMmbId' },
  { id: 'pacs.008.001.08', file: 'invalid-agent-bicfi-and-nm.xml', kind: 'agent with BICFI and Nm', element: 'Nm' },
  { id: 'pacs.008.001.08', file: 'invalid-agent-brnchid.xml', kind: 'agent with BrnchId', element: 'BrnchId' },
  { id: 'pacs.009.001.08', file: 'invalid-agent-lei-only.xml', kind: 'FI creditor with only LEI', element: 'LEI' },
  { id: 'pacs.002.001.10', file: 'invalid-agent-nm-only.xml', kind: 'agent with only Nm', element: 'Nm' },
  { id: 'camt.054.001.08', file: 'invalid-svcr-clrsysmmbid-only.xml', kind: 'servicer with only ClrSysMmbId', element: 'ClrSysMmbId' },
  { id: 'camt.056.001.08', file: 'invalid-assgnr-brnchid.xml', kind: 'assigner with BrnchId', element: 'BrnchId' },
  { id: 'head.001.001.02', file: 'invalid-fr-orgid.xml', kind: 'BAH Fr as OrgId', element: 'OrgId' },
  { id: 'head.001.001.02', file: 'invalid-fr-brnchid.xml', kind: 'BAH Fr with BrnchId', element: 'BrnchId' },
  // 4. accounts: no proxy
  { id: 'pacs.008.001.08', file: 'invalid-account-prxy.xml', kind: 'DbtrAcct/Prxy', element: 'Prxy' },
  { id: 'camt.053.001.08', file: 'invalid-acct-prxy.xml', kind: 'statement Acct/Prxy', element: 'Prxy' },
  { id: 'camt.060.001.05', file: 'invalid-acct-prxy.xml', kind: 'requested Acct/Prxy', element: 'Prxy' },
  // 5. NbOfTxs at most six digits
  { id: 'pacs.008.001.08', file: 'invalid-nboftxs-7-digits.xml', kind: 'NbOfTxs 1000000', element: 'NbOfTxs', facet: 'pattern' },
  { id: 'pacs.004.001.09', file: 'invalid-nboftxs-7-digits.xml', kind: 'NbOfTxs 1234567', element: 'NbOfTxs', facet: 'pattern' },
  { id: 'camt.056.001.08', file: 'invalid-nboftxs-7-digits.xml', kind: 'CtrlData/NbOfTxs 2000000', element: 'NbOfTxs', facet: 'pattern' },
  { id: 'camt.053.001.08', file: 'invalid-btch-nboftxs-7-digits.xml', kind: 'Btch/NbOfTxs 1000000', element: 'NbOfTxs', facet: 'pattern' },
  // 6. removed elements
  { id: 'pacs.008.001.08', file: 'invalid-splmtrydata.xml', kind: 'SplmtryData', element: 'SplmtryData' },
  { id: 'pacs.002.001.10', file: 'invalid-splmtrydata.xml', kind: 'SplmtryData in TxInfAndSts', element: 'SplmtryData' },
  { id: 'pacs.028.001.03', file: 'invalid-splmtrydata.xml', kind: 'SplmtryData', element: 'SplmtryData' },
  { id: 'camt.029.001.09', file: 'invalid-splmtrydata.xml', kind: 'SplmtryData', element: 'SplmtryData' },
  { id: 'camt.052.001.08', file: 'invalid-splmtrydata.xml', kind: 'SplmtryData', element: 'SplmtryData' },
  { id: 'pacs.008.001.08', file: 'invalid-intrmyagt1.xml', kind: 'intermediary agent', element: 'IntrmyAgt1' },
  { id: 'pacs.008.001.08', file: 'invalid-chrgsinf.xml', kind: 'charges information', element: 'ChrgsInf' },
  { id: 'pacs.008.001.08', file: 'invalid-rgltryrptg.xml', kind: 'regulatory reporting', element: 'RgltryRptg' },
  { id: 'pacs.008.001.08', file: 'invalid-btchbookg.xml', kind: 'batch booking', element: 'BtchBookg' },
  { id: 'pacs.004.001.09', file: 'invalid-rtrchain-intrmyagt1.xml', kind: 'return chain intermediary', element: 'IntrmyAgt1' },
  // 7. cross-border features
  { id: 'pacs.009.001.08', file: 'invalid-undrlygcstmrcdttrf.xml', kind: 'cover payment', element: 'UndrlygCstmrCdtTrf' },
  // 8. payee verification (acmt.023 / acmt.024): agents by BIC, one verification per message, codes only
  { id: 'acmt.023.001.04', file: 'invalid-assgnr-pty.xml', kind: 'assigner as a party', element: 'Pty' },
  { id: 'acmt.023.001.04', file: 'invalid-two-verifications.xml', kind: 'two verifications', element: 'Vrfctn' },
  { id: 'acmt.023.001.04', file: 'invalid-acct-prxy.xml', kind: 'account by proxy', element: 'Prxy' },
  { id: 'acmt.023.001.04', file: 'invalid-splmtrydata.xml', kind: 'SplmtryData', element: 'SplmtryData' },
  { id: 'acmt.024.001.04', file: 'invalid-rsn-prtry.xml', kind: 'proprietary result', element: 'Prtry' },
  { id: 'acmt.024.001.04', file: 'invalid-no-orgnlassgnmt.xml', kind: 'report without the request it answers', element: 'Rpt' },
  { id: 'acmt.024.001.04', file: 'invalid-agent-nm.xml', kind: 'agent with BICFI and Nm', element: 'Nm' },
  { id: 'acmt.024.001.04', file: 'invalid-ctctdtls.xml', kind: 'contact details', element: 'CtctDtls' },
];

/** Fixtures a restriction makes incomplete (a mandatory element missing): ours rejects at `parent`, ISO accepts. */
const MISSING: RestrictionCase[] = [
  { id: 'acmt.023.001.04', file: 'invalid-no-agt.xml', kind: 'verification without the agent to ask', element: 'PtyAndAcctId' },
];

// ---------------------------------------------------------------------------------------------
// Validation with xmllint-wasm, batched: one call per (message, schema) for all its documents.
// ---------------------------------------------------------------------------------------------

interface Verdict {
  valid: boolean;
  errors: string[];
}
interface Doc {
  fileName: string;
  contents: string;
}

async function validateBatch(schemaFile: string, docs: Doc[]): Promise<Map<string, Verdict>> {
  const result = await validateXML({
    xml: docs,
    schema: [{ fileName: 'schema.xsd', contents: readFileSync(schemaFile, 'utf8') }],
  });
  const lines = result.rawOutput.split('\n');
  const verdicts = new Map<string, Verdict>();
  for (const d of docs) {
    const valid = lines.includes(`${d.fileName} validates`);
    const failed = lines.includes(`${d.fileName} fails to validate`);
    assert.ok(valid !== failed, `no verdict from xmllint for ${d.fileName}:\n${result.rawOutput}`);
    verdicts.set(d.fileName, { valid, errors: lines.filter((l) => l.startsWith(`${d.fileName}:`)) });
  }
  return verdicts;
}

function fixture(id: string, file: string): Doc {
  return { fileName: `${id}--${file}`, contents: readFileSync(join(ROOT, 'test', 'fixtures', id, file), 'utf8') };
}

/** Documents checked for a message: its valid sample, its invalid fixtures, and extra variants. */
function documentsFor(id: string): Doc[] {
  const docs = [fixture(id, 'valid-minimal.xml'), ...[...CASES, ...MISSING].filter((c) => c.id === id).map((c) => fixture(id, c.file))];
  for (const [name, contents] of Object.entries(variants(id, docs[0]!.contents))) {
    docs.push({ fileName: `${id}--${name}`, contents });
  }
  return docs;
}

/** In-memory variants that the scheme must still accept (boundaries of the restrictions). */
function variants(id: string, valid: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (id === 'pacs.008.001.08') {
    // The six-digit limit still allows the required 100,000+ transactions per message.
    out['variant-nboftxs-100000.xml'] = valid.replace('<NbOfTxs>2</NbOfTxs>', '<NbOfTxs>100000</NbOfTxs>');
    out['variant-nboftxs-999999.xml'] = valid.replace('<NbOfTxs>2</NbOfTxs>', '<NbOfTxs>999999</NbOfTxs>');
  }
  if (id === 'pacs.009.001.08') {
    out['variant-sttlmmtd-clrg.xml'] = valid.replace('<SttlmMtd>INDA</SttlmMtd>', '<SttlmMtd>CLRG</SttlmMtd>');
  }
  for (const [k, v] of Object.entries(out)) assert.notEqual(v, valid, `variant ${k} did not change the sample`);
  return out;
}

/** At most this many xmllint-wasm workers at once (each call costs a schema compilation). */
const CONCURRENCY = 2;
let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(job: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await job();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const cache = new Map<string, Promise<Map<string, Verdict>>>();
function batch(which: 'ours' | 'official', id: string): Promise<Map<string, Verdict>> {
  const key = `${which}:${id}`;
  let p = cache.get(key);
  if (!p) {
    const file = which === 'ours' ? join(ROOT, 'schemas', `${id}.xsd`) : join(OFFICIAL_DIR, `${id}.xsd`);
    p = limited(() => validateBatch(file, documentsFor(id)));
    p.catch(() => undefined); // reported by the test that awaits it
    cache.set(key, p);
  }
  return p;
}
const ours = (id: string) => batch('ours', id);
const official = (id: string) => batch('official', id);
// Start every validation now, a few at a time; the tests below await the results.
for (const id of MESSAGES) {
  if (existsSync(join(ROOT, 'schemas', `${id}.xsd`))) ours(id);
  if (HAVE_OFFICIAL) official(id);
}

function verdict(map: Map<string, Verdict>, id: string, file: string): Verdict {
  const v = map.get(`${id}--${file}`);
  assert.ok(v, `no verdict for ${id}/${file}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Schema structure helpers.
// ---------------------------------------------------------------------------------------------

const schemaCache = new Map<string, XNode>();
function loadXsd(file: string): XNode {
  if (!schemaCache.has(file)) schemaCache.set(file, parseXsd(readFileSync(file, 'utf8')));
  return schemaCache.get(file)!;
}
const oursXsd = (id: string) => loadXsd(join(ROOT, 'schemas', `${id}.xsd`));
const officialXsd = (id: string) => loadXsd(join(OFFICIAL_DIR, `${id}.xsd`));

function named(schema: XNode, kind: string, name: string): XNode | undefined {
  return schema.children.find((c) => c.name === kind && attr(c, 'name') === name);
}
function elementsOf(ct: XNode): XNode[] {
  const g = ct.children.find((c) => c.name === 'xs:sequence' || c.name === 'xs:choice');
  return g ? g.children.filter((c) => c.name === 'xs:element') : [];
}
function allElements(schema: XNode): XNode[] {
  return schema.children.filter((c) => c.name === 'xs:complexType').flatMap(elementsOf);
}
function enumeration(schema: XNode, simpleType: string): string[] | undefined {
  const st = named(schema, 'xs:simpleType', simpleType);
  return st?.children[0]?.children.filter((c) => c.name === 'xs:enumeration').map((c) => attr(c, 'value')!);
}
function pattern(schema: XNode, simpleType: string): string | undefined {
  const st = named(schema, 'xs:simpleType', simpleType);
  const p = st?.children[0]?.children.find((c) => c.name === 'xs:pattern');
  return p ? attr(p, 'value') : undefined;
}
function names(ct: XNode | undefined): string[] {
  assert.ok(ct, 'complexType not found');
  return elementsOf(ct).map((e) => attr(e, 'name')!);
}

// ---------------------------------------------------------------------------------------------
// (a), (b), (c): every schema exists, compiles, has the official namespace, accepts its sample.
// ---------------------------------------------------------------------------------------------

describe('scheme XSDs: existence, namespace, minimal valid samples', () => {
  for (const id of MESSAGES) {
    test(`${id}: schema exists, compiles and accepts valid-minimal.xml`, async () => {
      const file = join(ROOT, 'schemas', `${id}.xsd`);
      assert.ok(existsSync(file), `missing ${file}`);
      // validateXML throws ("failed to compile") if the schema does not compile.
      const v = verdict(await ours(id), id, 'valid-minimal.xml');
      assert.deepEqual(v.errors, [], `valid-minimal.xml rejected by schemas/${id}.xsd`);
      assert.equal(v.valid, true);
    });

    test(`${id}: targetNamespace is the official one`, async (t: TestContext) => {
      const ns = `urn:iso:std:iso:20022:tech:xsd:${id}`;
      const schema = oursXsd(id);
      assert.equal(attr(schema, 'targetNamespace'), ns);
      assert.equal(attr(schema, 'xmlns'), ns);
      assert.equal(attr(schema, 'elementFormDefault'), 'qualified');
      await t.test('same as in the official XSD', (st: TestContext) => {
        if (requireOrSkip(st, !HAVE_OFFICIAL && SKIP)) return;
        assert.equal(attr(officialXsd(id), 'targetNamespace'), ns);
      });
    });

    test(`${id}: valid-minimal.xml is also valid against the official XSD`, async (t: TestContext) => {
      if (requireOrSkip(t, !HAVE_OFFICIAL && SKIP)) return;
      const v = verdict(await official(id), id, 'valid-minimal.xml');
      assert.deepEqual(v.errors, []);
      assert.equal(v.valid, true);
    });
  }

  test('pacs.008 sample: 2 transactions, totals match, CLRG, SLEV, group agents by BIC', () => {
    const xml = readFileSync(join(ROOT, 'test/fixtures/pacs.008.001.08/valid-minimal.xml'), 'utf8');
    const amounts = [...xml.matchAll(/<IntrBkSttlmAmt Ccy="EUR">([0-9.]+)<\/IntrBkSttlmAmt>/g)].map((m) => m[1]!);
    assert.equal(amounts.length, 2);
    for (const a of amounts) assert.match(a, /^\d+\.\d{2}$/);
    const cents = amounts.reduce((s, a) => s + Math.round(Number(a) * 100), 0);
    const sum = (cents / 100).toFixed(2);
    assert.match(xml, /<NbOfTxs>2<\/NbOfTxs>/);
    assert.ok(xml.includes(`<CtrlSum>${sum}</CtrlSum>`), `CtrlSum must be ${sum}`);
    assert.ok(xml.includes(`<TtlIntrBkSttlmAmt Ccy="EUR">${sum}</TtlIntrBkSttlmAmt>`));
    assert.match(xml, /<SttlmMtd>CLRG<\/SttlmMtd>/);
    assert.equal([...xml.matchAll(/<ChrgBr>SLEV<\/ChrgBr>/g)].length, 2);
    assert.match(xml, /<InstgAgt>\s*<FinInstnId>\s*<BICFI>[A-Z0-9]{8}([A-Z0-9]{3})?<\/BICFI>/);
    assert.match(xml, /<InstdAgt>\s*<FinInstnId>\s*<BICFI>[A-Z0-9]{8}([A-Z0-9]{3})?<\/BICFI>/);
  });

  test('boundary variants are accepted by the scheme (NbOfTxs 100000 and 999999, pacs.009 CLRG)', async () => {
    for (const id of ['pacs.008.001.08', 'pacs.009.001.08']) {
      const results = await ours(id);
      for (const name of Object.keys(variants(id, fixture(id, 'valid-minimal.xml').contents))) {
        const v = verdict(results, id, name);
        assert.deepEqual(v.errors, [], `${id} ${name}`);
        assert.equal(v.valid, true);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (d): each kind of restriction rejects what ISO accepts.
// ---------------------------------------------------------------------------------------------

describe('scheme XSDs: restrictions reject what the official XSD accepts', () => {
  for (const c of CASES) {
    test(`${c.id} ${c.file} (${c.kind}): rejected by the scheme`, async () => {
      const v = verdict(await ours(c.id), c.id, c.file);
      assert.equal(v.valid, false, `${c.file} should be rejected by schemas/${c.id}.xsd`);
      const at = v.errors.filter((e) => e.includes(`}${c.element}'`));
      assert.ok(at.length > 0, `expected an error at ${c.element}, got:\n${v.errors.join('\n')}`);
      if (c.facet) assert.ok(at.some((e) => e.includes(`[facet '${c.facet}']`)), at.join('\n'));
      else assert.ok(at.some((e) => e.includes('This element is not expected')), at.join('\n'));
    });

    test(`${c.id} ${c.file} (${c.kind}): accepted by the official XSD`, async (t: TestContext) => {
      if (requireOrSkip(t, !HAVE_OFFICIAL && SKIP)) return;
      const v = verdict(await official(c.id), c.id, c.file);
      assert.deepEqual(v.errors, [], `${c.file} must be valid ISO 20022 (the restriction is the only defect)`);
      assert.equal(v.valid, true);
    });
  }

  for (const c of MISSING) {
    test(`${c.id} ${c.file} (${c.kind}): rejected by the scheme, accepted by the official XSD`, async (t: TestContext) => {
      const v = verdict(await ours(c.id), c.id, c.file);
      assert.equal(v.valid, false);
      assert.ok(v.errors.some((e) => e.includes(`}${c.element}'`) && e.includes('Missing child element')), v.errors.join('\n'));
      if (requireOrSkip(t, !HAVE_OFFICIAL && SKIP)) return;
      const o = verdict(await official(c.id), c.id, c.file);
      assert.deepEqual(o.errors, []);
      assert.equal(o.valid, true);
    });
  }

  test('every kind of restriction has at least one rejected example', () => {
    const kinds = new Set(CASES.map((c) => c.element));
    for (const e of ['SttlmMtd', 'SttlmAcct', 'ChrgBr', 'ClrSysMmbId', 'BrnchId', 'OrgId', 'Prxy', 'NbOfTxs', 'SplmtryData', 'IntrmyAgt1', 'UndrlygCstmrCdtTrf']) {
      assert.ok(kinds.has(e), `no invalid fixture for ${e}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Structural invariants of the restrictions, on every schema.
// ---------------------------------------------------------------------------------------------

describe('scheme XSDs: structural invariants', () => {
  test('agents: FinInstnId is exactly one mandatory BICFI with the official pattern; no BrnchId', () => {
    const officialBic = '[A-Z0-9]{4,4}[A-Z]{2,2}[A-Z0-9]{2,2}([A-Z0-9]{3,3}){0,1}';
    for (const id of MESSAGES) {
      const s = oursXsd(id);
      for (const ct of s.children.filter((c) => c.name === 'xs:complexType')) {
        const name = attr(ct, 'name')!;
        if (/^FinancialInstitutionIdentification\d+$/.test(name)) {
          const els = elementsOf(ct);
          assert.equal(els.length, 1, `${id} ${name}`);
          assert.equal(attr(els[0]!, 'name'), 'BICFI');
          assert.notEqual(attr(els[0]!, 'minOccurs'), '0', `${id} ${name}/BICFI must be mandatory`);
          assert.equal(pattern(s, attr(els[0]!, 'type')!), officialBic);
        }
        if (/^BranchAndFinancialInstitutionIdentification\d+$/.test(name)) {
          assert.deepEqual(names(ct), ['FinInstnId'], `${id} ${name}`);
        }
      }
    }
    assert.deepEqual(names(named(oursXsd('head.001.001.02'), 'xs:complexType', 'Party44Choice')), ['FIId']);
  });

  test('accounts: no Prxy; Id (IBAN or Othr), Tp, Ccy, Nm kept', () => {
    for (const id of MESSAGES) {
      const s = oursXsd(id);
      for (const ct of s.children.filter((c) => c.name === 'xs:complexType' && /^CashAccount\d+$/.test(attr(c, 'name')!))) {
        const n = names(ct);
        assert.ok(!n.includes('Prxy'), `${id} ${attr(ct, 'name')} still has Prxy`);
        assert.deepEqual(n.slice(0, 4), ['Id', 'Tp', 'Ccy', 'Nm'], `${id} ${attr(ct, 'name')}`);
      }
      const acctId = named(s, 'xs:complexType', 'AccountIdentification4Choice');
      if (acctId) assert.deepEqual(names(acctId), ['IBAN', 'Othr']);
    }
  });

  test('settlement: SttlmMtd codes per message; SttlmInf keeps only SttlmMtd and ClrSys', () => {
    const expected: Record<string, string[]> = {
      'pacs.008.001.08': ['CLRG'],
      'pacs.004.001.09': ['CLRG'],
      'pacs.009.001.08': ['INDA', 'CLRG'],
      'pacs.002.001.10': ['INDA', 'CLRG'],
      'pacs.028.001.03': ['INDA', 'CLRG'],
      'camt.056.001.08': ['INDA', 'CLRG'],
      'camt.029.001.09': ['INDA', 'CLRG'],
    };
    for (const id of MESSAGES) {
      const s = oursXsd(id);
      assert.deepEqual(enumeration(s, 'SettlementMethod1Code'), expected[id], id);
      const si = named(s, 'xs:complexType', 'SettlementInstruction7');
      if (expected[id]) assert.deepEqual(names(si), ['SttlmMtd', 'ClrSys'], id);
      else assert.equal(si, undefined, id);
    }
  });

  test('charge bearer: SLEV only in pacs.008 and pacs.004, untouched elsewhere', async (t: TestContext) => {
    assert.deepEqual(enumeration(oursXsd('pacs.008.001.08'), 'ChargeBearerType1Code'), ['SLEV']);
    assert.deepEqual(enumeration(oursXsd('pacs.004.001.09'), 'ChargeBearerType1Code'), ['SLEV']);
    await t.test('camt messages keep the official code list', (st: TestContext) => {
      if (requireOrSkip(st, !HAVE_OFFICIAL && SKIP)) return;
      for (const id of ['camt.029.001.09', 'camt.052.001.08', 'camt.053.001.08', 'camt.054.001.08']) {
        const codes = enumeration(oursXsd(id), 'ChargeBearerType1Code');
        assert.deepEqual(codes, enumeration(officialXsd(id), 'ChargeBearerType1Code'), id);
        assert.equal(codes?.length, 4, id);
      }
    });
  });

  test('NbOfTxs is Max6NumericText [0-9]{1,6} everywhere; no SplmtryData; no annotations', () => {
    for (const id of MESSAGES) {
      const s = oursXsd(id);
      for (const el of allElements(s)) {
        assert.notEqual(attr(el, 'name'), 'SplmtryData', `${id} still has SplmtryData`);
        if (attr(el, 'name') === 'NbOfTxs') {
          assert.equal(attr(el, 'type'), 'Max6NumericText', id);
          assert.equal(pattern(s, 'Max6NumericText'), '[0-9]{1,6}');
        }
      }
      assert.ok(!readFileSync(join(ROOT, 'schemas', `${id}.xsd`), 'utf8').includes('xs:annotation'), id);
    }
  });

  test('elements a clearing house needs are kept', () => {
    const tx008 = names(named(oursXsd('pacs.008.001.08'), 'xs:complexType', 'CreditTransferTransaction39'));
    for (const e of ['PmtId', 'PmtTpInf', 'IntrBkSttlmAmt', 'IntrBkSttlmDt', 'AccptncDtTm', 'InstdAmt', 'XchgRate', 'ChrgBr', 'InstgAgt', 'InstdAgt', 'UltmtDbtr', 'Dbtr', 'DbtrAcct', 'DbtrAgt', 'CdtrAgt', 'Cdtr', 'CdtrAcct', 'UltmtCdtr', 'Purp', 'RmtInf']) {
      assert.ok(tx008.includes(e), `pacs.008 CdtTrfTxInf lost ${e}`);
    }
    for (const e of ['IntrmyAgt1', 'PrvsInstgAgt1', 'ChrgsInf', 'InstrForNxtAgt', 'RgltryRptg', 'Tax', 'RltdRmtInf', 'DbtrAgtAcct', 'SttlmTmReq']) {
      assert.ok(!tx008.includes(e), `pacs.008 CdtTrfTxInf still has ${e}`);
    }
    const s008 = oursXsd('pacs.008.001.08');
    assert.deepEqual(names(named(s008, 'xs:complexType', 'PaymentIdentification7')), ['InstrId', 'EndToEndId', 'TxId', 'UETR', 'ClrSysRef']);
    assert.deepEqual(names(named(s008, 'xs:complexType', 'RemittanceInformation16')), ['Ustrd', 'Strd']);
    const grp = names(named(s008, 'xs:complexType', 'GroupHeader93'));
    for (const e of ['CtrlSum', 'TtlIntrBkSttlmAmt', 'IntrBkSttlmDt', 'PmtTpInf', 'InstgAgt', 'InstdAgt']) assert.ok(grp.includes(e), e);
    const tx004 = names(named(oursXsd('pacs.004.001.09'), 'xs:complexType', 'PaymentTransaction112'));
    for (const e of ['OrgnlGrpInf', 'OrgnlInstrId', 'OrgnlEndToEndId', 'OrgnlTxId', 'OrgnlUETR', 'OrgnlIntrBkSttlmAmt', 'RtrdIntrBkSttlmAmt', 'RtrRsnInf', 'OrgnlTxRef', 'ChrgBr']) {
      assert.ok(tx004.includes(e), `pacs.004 TxInf lost ${e}`);
    }
  });

  test('no new maxOccurs limits: every kept element keeps its official maxOccurs (but the one verification per payee-verification message)', (t: TestContext) => {
    if (requireOrSkip(t, !HAVE_OFFICIAL && SKIP)) return;
    // The only deliberate ones (tools/scheme-profiles.ts, WHY_ONE_VERIFICATION), and they are exactly 1.
    const limited = new Set(['acmt.023.001.04 IdentificationVerificationRequestV04/Vrfctn', 'acmt.024.001.04 IdentificationVerificationReportV04/Rpt']);
    for (const id of MESSAGES) {
      const s = oursXsd(id);
      const o = officialXsd(id);
      for (const ct of s.children.filter((c) => c.name === 'xs:complexType')) {
        const off = named(o, 'xs:complexType', attr(ct, 'name')!);
        assert.ok(off, `${id}: complexType ${attr(ct, 'name')} is not official`);
        for (const el of elementsOf(ct)) {
          const oe: XNode | undefined = elementsOf(off).find((x) => attr(x, 'name') === attr(el, 'name'));
          assert.ok(oe, `${id}: ${attr(ct, 'name')}/${attr(el, 'name')} is not official`);
          if (limited.has(`${id} ${attr(ct, 'name')}/${attr(el, 'name')}`)) {
            assert.equal(attr(el, 'maxOccurs'), '1');
            continue;
          }
          assert.equal(attr(el, 'maxOccurs') ?? '1', attr(oe, 'maxOccurs') ?? '1', `${id} ${attr(ct, 'name')}/${attr(el, 'name')}`);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The derivation tool: committed files are up to date, and widening operations are refused.
// ---------------------------------------------------------------------------------------------

describe('tools/derive-schemas.ts', () => {
  test('committed schemas and docs tables are what the profiles derive', (t: TestContext) => {
    if (requireOrSkip(t, !HAVE_OFFICIAL && SKIP)) return;
    const derived = deriveAll(OFFICIAL_DIR);
    assert.deepEqual(derived.map((d) => d.id).sort(), [...MESSAGES].sort());
    for (const d of derived) {
      assert.equal(readFileSync(join(ROOT, 'schemas', `${d.id}.xsd`), 'utf8'), d.xsd, `schemas/${d.id}.xsd is stale: rerun the tool`);
    }
    const doc = readFileSync(join(ROOT, 'docs', 'scheme-rules.md'), 'utf8');
    const block = doc.slice(doc.indexOf(DOCS_BEGIN), doc.indexOf(DOCS_END) + DOCS_END.length);
    assert.equal(block, docsBlock(derived), 'docs/scheme-rules.md tables are stale: rerun the tool');
    assert.match(doc, /^## Limits and reason codes$/m);
  });

  test('operations that would widen the official schema are refused', (t: TestContext) => {
    if (requireOrSkip(t, !HAVE_OFFICIAL && SKIP)) return;
    const text = readFileSync(join(OFFICIAL_DIR, 'pacs.008.001.08.xsd'), 'utf8');
    const profile = (operations: Profile['operations']): Profile => ({ id: 'pacs.008.001.08', use: 'test', operations });
    assert.throws(
      () => deriveSchema(profile([{ op: 'remove', type: 'GroupHeader93', elements: ['MsgId'], why: 'x' }]), text),
      /mandatory/,
    );
    assert.throws(
      () => deriveSchema(profile([{ op: 'keepOnly', type: 'PaymentIdentification7', elements: ['TxId'], why: 'x' }]), text),
      /mandatory/,
    );
    assert.throws(
      () => deriveSchema(profile([{ op: 'enumeration', simpleType: 'SettlementMethod1Code', keep: ['CLRG', 'XXXX'], why: 'x' }]), text),
      /no value XXXX/,
    );
    assert.throws(
      () => deriveSchema(profile([{ op: 'occurs', type: 'PaymentIdentification7', element: 'EndToEndId', minOccurs: 0, why: 'x' }]), text),
      /may only grow/,
    );
    assert.throws(
      () => deriveSchema(profile([{ op: 'remove', path: 'FIToFICstmrCdtTrf/GrpHdr/SttlmInf/SttlmAcct', elements: ['Prxy'], why: 'x' }]), text),
      /used in \d+ places/,
    );
    assert.throws(
      () =>
        deriveSchema(
          {
            ...profile([{ op: 'retype', element: 'NbOfTxs', from: 'Max15NumericText', to: 'Max18NumericText', why: 'x' }]),
            newTypes: [{ name: 'Max18NumericText', restricts: 'Max15NumericText', base: 'xs:string', pattern: '[0-9]{1,18}' }],
          },
          text,
        ),
      /not narrower/,
    );
  });
});
