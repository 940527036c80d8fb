/**
 * The conformance mutation corpus: "no false accepts".
 *
 * For every valid fixture of the 16 messages (test/fixtures/<id>/valid-*.xml) test/conformance/mutate.ts
 * generates mutants (element removed, code / pattern broken, text too long, bad amounts, wrong namespace
 * version, duplicated and unknown elements...). Every mutant is validated
 *   - against the OFFICIAL ISO XSD (the oracle),
 *   - against OUR scheme XSD (schemas/<id>.xsd),
 *   - by the switch's full pipeline, validateFile (hardening scan, XSD, rules),
 * each as one batched xmllint run per message. Whenever the official XSD rejects a mutant, ours must
 * reject it and validateFile must answer RJCT (for a wrong namespace: RJCT with FF01).
 *
 * head.001 fixtures are bare AppHdr documents: they are validated with the XsdValidator against
 * head.001.001.02, and the pipeline sees each mutant as the AppHdr of an envelope around the valid
 * pacs.008 fixture.
 *
 * The official parts need the official XSDs (where they are looked for: test/iso/official-xsd.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XsdValidator, type XsdError } from '../../switch/validation/xsd-pool.ts';
import { validateFile, type FileReport } from '../../switch/validation/pipeline.ts';
import { officialXsdDirectory } from '../iso/official-xsd.ts';
import { mutate, SchemaInfo, type Mutant } from './mutate.ts';
import { requireOrNote, requireOrSkip } from '../support/prerequisites.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const HAVE_OFFICIAL = existsSync(officialXsdDirectory);
const SKIP = `official ISO XSDs not found at ${officialXsdDirectory}: conformance not checked`;
const HEAD_ID = 'head.001.001.02';

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

/** Mutants kept per message (all fixtures together), spread evenly over the generated list. */
const MUTANTS_PER_MESSAGE_MAX = 400;
/** The corpus must not be trivial: at least this many mutants per message... */
function mutantsMin(id: string): number {
  return id.startsWith('pacs') || id.startsWith('camt') ? 30 : id.startsWith('head') ? 20 : 15;
}
/** ...and the official XSD must reject at least this share of them. */
const OFFICIAL_REJECT_SHARE_MIN = 0.5;
/** Violations printed when the no-false-accept assertion fails. */
const VIOLATIONS_SHOWN = 20;

interface Case {
  readonly name: string;
  readonly fixture: string;
  readonly label: string;
  readonly kind: Mutant['kind'] | 'fixture';
  readonly xml: string;
}

interface Outcome {
  readonly official?: XsdError[];
  readonly ours: XsdError[];
  readonly report: FileReport;
}

const encoder = new TextEncoder();
const stripDeclaration = (xml: string): string => xml.replace(/^\s*<\?xml[^>]*\?>\s*/, '').trimEnd();

function validFixtures(id: string): { file: string; xml: string }[] {
  const dir = join(FIXTURES, id);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^valid-.*\.xml$/.test(f)).sort()
    .map((file) => ({ file, xml: readFileSync(join(dir, file), 'utf8') }));
}

/** Schema facts for the generator: the official XSD when present (its lengths are the ones that matter). */
function schemaInfo(id: string): SchemaInfo {
  const official = join(officialXsdDirectory, `${id}.xsd`);
  return new SchemaInfo(readFileSync(HAVE_OFFICIAL && existsSync(official) ? official : join(ROOT, 'schemas', `${id}.xsd`), 'utf8'));
}

function corpus(id: string): { fixtures: Case[]; mutants: Case[] } {
  const fixtures = validFixtures(id);
  const schema = schemaInfo(id);
  const perFixture = Math.max(1, Math.floor(MUTANTS_PER_MESSAGE_MAX / Math.max(1, fixtures.length)));
  const mutants: Case[] = [];
  for (const f of fixtures) {
    for (const m of mutate(f.xml, { schema, max: perFixture })) {
      mutants.push({ name: `m${String(mutants.length).padStart(4, '0')}.xml`, fixture: f.file, label: `${f.file}: ${m.label}`, kind: m.kind, xml: m.xml });
    }
  }
  return {
    fixtures: fixtures.map((f, i) => ({ name: `f${i}.xml`, fixture: f.file, label: f.file, kind: 'fixture', xml: f.xml })),
    mutants,
  };
}

/** The bytes the pipeline sees: the document itself, or for head.001 an envelope around a valid pacs.008. */
function pipelineInput(id: string, xml: string, envelopeDocument: string): Uint8Array {
  if (id !== HEAD_ID) return encoder.encode(xml);
  return encoder.encode(`<?xml version="1.0" encoding="UTF-8"?>\n<BusMsg>\n${stripDeclaration(xml)}\n${envelopeDocument}\n</BusMsg>\n`);
}

describe('conformance mutation corpus: no false accepts', () => {
  let ours: XsdValidator;
  let official: XsdValidator | undefined;
  let envelopeDocument: string;
  const summary: string[] = [];

  before(() => {
    ours = new XsdValidator(undefined, 1);
    official = HAVE_OFFICIAL ? new XsdValidator(officialXsdDirectory, 1) : undefined;
    envelopeDocument = stripDeclaration(readFileSync(join(FIXTURES, 'pacs.008.001.08', 'valid-minimal.xml'), 'utf8'));
  });
  after(async () => {
    await Promise.all([ours?.close(), official?.close()]);
    if (summary.length > 0) console.log(['mutation corpus (mutants / official rejects / ours XSD rejects / pipeline RJCT / rejected by ours only):', ...summary].join('\n  '));
  });

  async function run(id: string, cases: readonly Case[]): Promise<Outcome[]> {
    const files = cases.map((c) => ({ fileName: c.name, contents: encoder.encode(c.xml) }));
    const [officialResult, oursResult, reports] = await Promise.all([
      official?.validateFiles(id, files),
      ours.validateFiles(id, files),
      Promise.all(cases.map((c) => validateFile(pipelineInput(id, c.xml, envelopeDocument), { xsd: ours }))),
    ]);
    return cases.map((c, i) => ({
      official: officialResult?.errors.get(c.name),
      ours: oursResult.errors.get(c.name)!,
      report: reports[i]!,
    }));
  }

  for (const id of MESSAGES) {
    test(id, async (t) => {
      const { fixtures, mutants } = corpus(id);
      assert.ok(fixtures.length > 0, `no test/fixtures/${id}/valid-*.xml`);

      const fixtureOutcomes = await run(id, fixtures);
      await t.test('every valid fixture is valid against our schema and the official schema', () => {
        fixtures.forEach((f, i) => {
          const o = fixtureOutcomes[i]!;
          assert.deepEqual(o.ours.map((e) => e.message), [], `${f.label} against schemas/${id}.xsd`);
          if (o.official) assert.deepEqual(o.official.map((e) => e.message), [], `${f.label} against the official ${id}.xsd`);
          assert.notEqual(o.report.status, 'RJCT', `${f.label}: validateFile rejects it: ${JSON.stringify(o.report.findings.slice(0, 3))}`);
        });
      });

      const outcomes = await run(id, mutants);
      const officialRejects = outcomes.filter((o) => (o.official?.length ?? 0) > 0).length;
      const oursRejects = outcomes.filter((o) => o.ours.length > 0).length;
      const pipelineRejects = outcomes.filter((o) => o.report.status === 'RJCT').length;
      const oursOnly = outcomes.filter((o) => o.official?.length === 0 && (o.ours.length > 0 || o.report.status === 'RJCT')).length;
      summary.push(`${id}: ${mutants.length} mutants, official ${HAVE_OFFICIAL ? officialRejects : '-'}, ` +
        `ours XSD ${oursRejects}, pipeline ${pipelineRejects}, ours only ${HAVE_OFFICIAL ? oursOnly : '-'}`);

      await t.test('the corpus is not trivial', (t) => {
        assert.ok(mutants.length >= mutantsMin(id), `only ${mutants.length} mutants (at least ${mutantsMin(id)} expected)`);
        if (!requireOrNote(t, !HAVE_OFFICIAL && SKIP)) return;
        assert.ok(officialRejects >= OFFICIAL_REJECT_SHARE_MIN * mutants.length,
          `the official XSD rejects only ${officialRejects} of ${mutants.length} mutants`);
        // The oracle must really have validated every file (an aborted xmllint run is no rejection).
        const aborted = mutants.filter((_, i) => outcomes[i]!.official!.some((e) => /did not complete|internal error/.test(e.message)));
        assert.deepEqual(aborted.map((m) => m.label), [], 'official validation did not complete for these mutants');
      });

      await t.test('a wrong namespace is refused with FF01', () => {
        const namespaceCases = mutants.map((m, i) => ({ m, o: outcomes[i]! })).filter(({ m }) => m.kind === 'namespace');
        assert.ok(namespaceCases.length >= 3, 'namespace mutants missing');
        for (const { m, o } of namespaceCases) {
          assert.ok(o.ours.length > 0, `${m.label}: accepted by schemas/${id}.xsd`);
          assert.equal(o.report.status, 'RJCT', `${m.label}: validateFile says ${o.report.status}`);
          assert.ok(o.report.findings.some((f) => f.code === 'FF01'), `${m.label}: no FF01 finding in ${JSON.stringify(o.report.findings)}`);
        }
      });

      await t.test('whatever the official XSD rejects, our XSD and validateFile reject', (t) => {
        if (requireOrSkip(t, !HAVE_OFFICIAL && SKIP)) return;
        const violations: string[] = [];
        mutants.forEach((m, i) => {
          const o = outcomes[i]!;
          if (o.official!.length === 0) return;
          const why = o.official![0]!.message.slice(0, 140);
          if (o.ours.length === 0) violations.push(`${m.label}: schemas/${id}.xsd accepts (official: ${why})`);
          if (o.report.status !== 'RJCT') {
            violations.push(`${m.label}: validateFile says ${o.report.status} (official: ${why})`);
          }
        });
        assert.deepEqual(violations.slice(0, VIOLATIONS_SHOWN), [],
          `${violations.length} false accepts of ${officialRejects} official rejects (first ${VIOLATIONS_SHOWN} shown)`);
      });
    });
  }
});
