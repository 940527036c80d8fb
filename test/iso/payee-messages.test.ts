/**
 * The payee verification message modules (acmt.023.001.04, acmt.024.001.04): round trip of their
 * fixtures and of built models, every built document valid against the scheme's and the official
 * XSD, the facts the rules read, and the parties bound to the authenticated sender (an attacker holding
 * one bank's key cannot ask or answer in another bank's name).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as acmt023 from '../../switch/iso/messages/acmt.023.001.04/index.ts';
import * as acmt024 from '../../switch/iso/messages/acmt.024.001.04/index.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { validateFile } from '../../switch/validation/pipeline.ts';
import { directoryFromConfig } from '../../switch/validation/directory.ts';
import { officialSchemaErrors, officialSchemaMissing } from './official-xsd.ts';
import { requireOrSkip } from '../support/prerequisites.ts';
import { schemeConfig, SWITCH } from '../engine/support.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const fixture = (id: string): string => readFileSync(join(ROOT, 'test', 'fixtures', id, 'valid-minimal.xml'), 'utf8');
const encoder = new TextEncoder();
const xsd = new XsdValidator();
after(() => xsd.close());

const PAYER = 'BANKDEFFXXX';
const PAYEE = 'BANKFRPPXXX';
const request: acmt023.Acmt023 = {
  assignment: { messageId: 'VOP-1', creationDateTime: '2026-11-26T09:00:00Z', firstAgent: PAYER, assigner: PAYER, assignee: SWITCH },
  verifications: [{ id: 'VOP-1-1', partyAndAccount: { party: { name: 'Émile Zola' }, account: { iban: 'FR1420041010050500013M02606' }, agent: PAYEE } }],
};
const report: acmt024.Acmt024 = {
  assignment: { messageId: 'VOPR-1', creationDateTime: '2026-11-26T09:00:01Z', firstAgent: PAYER, assigner: PAYEE, assignee: SWITCH },
  originalAssignment: { messageId: 'CLHS-1' },
  reports: [{ originalId: 'VOP-1-1', verified: false, reasonCode: 'CMTC',
    original: { party: { name: 'Emile Zolla' }, account: { iban: 'FR1420041010050500013M02606' }, agent: PAYEE },
    updated: { party: { name: 'Émile Zola' } } }],
};

test('acmt.023 and acmt.024: fixtures and built models round-trip through parse and build', () => {
  for (const m of [acmt023, acmt024] as const) {
    const parsed = m.parseXml(fixture(m.module.id));
    assert.deepEqual(m.parseXml((m.build as (x: unknown) => string)(parsed)), parsed, m.module.id);
  }
  assert.deepEqual(acmt023.parseXml(acmt023.build(request)), request);
  assert.deepEqual(acmt024.parseXml(acmt024.build(report)), report);
  const fromFixture = acmt024.parseXml(fixture('acmt.024.001.04'));
  assert.equal(fromFixture.reports[0]!.reasonCode, 'CMTC');
  assert.equal(fromFixture.reports[0]!.verified, false);
  assert.equal(fromFixture.reports[0]!.updated?.party?.name, 'Anna Müller');
});

test('built documents are valid against the scheme XSDs and the official ones', async (t) => {
  const built = { 'acmt.023.001.04': acmt023.build(request), 'acmt.024.001.04': acmt024.build(report) };
  for (const [id, xml] of Object.entries(built)) {
    assert.deepEqual(await xsd.validateOne(id, encoder.encode(xml)), [], id);
  }
  for (const [id, xml] of Object.entries(built)) {
    if (requireOrSkip(t, officialSchemaMissing(id))) return;
    assert.deepEqual(await officialSchemaErrors(id, [{ name: id, xml }]), [], id);
  }
});

test('facts: the assigner is the instructing agent, the first agent is bound to the sender, the agent asked is the creditor agent', () => {
  const facts = acmt023.module.facts(request);
  assert.equal(facts.group.instructingAgent, PAYER);
  assert.equal(facts.group.instructedAgent, SWITCH);
  assert.deepEqual(facts.group.senderParties, [{ path: 'Assgnmt/FrstAgt/FinInstnId/BICFI', value: PAYER }]);
  assert.equal(facts.transactions[0]!.creditorAgent, PAYEE);
  assert.equal(facts.transactions[0]!.transactionId, 'VOP-1-1');
  assert.deepEqual(facts.transactions[0]!.ibans.map((i) => i.value), ['FR1420041010050500013M02606']);
});

const directory = directoryFromConfig(schemeConfig());
async function verdict(xml: string, sender: string): Promise<{ status: string; codes: string[]; paths: string[] }> {
  const r = await validateFile(encoder.encode(xml), { xsd, sender, directory });
  return { status: r.status, codes: r.findings.map((f) => f.code), paths: r.findings.map((f) => f.path) };
}

test('a request is accepted from the bank that asks, and refused (AG08) when it names another bank as assigner or first agent', async () => {
  assert.equal((await verdict(acmt023.build(request), PAYER)).status, 'ACCP');
  const otherAssigner = await verdict(acmt023.build({ ...request, assignment: { ...request.assignment, assigner: PAYEE } }), PAYER);
  assert.equal(otherAssigner.status, 'RJCT');
  assert.ok(otherAssigner.codes.includes('AG08'));
  const otherFirstAgent = await verdict(acmt023.build({ ...request, assignment: { ...request.assignment, firstAgent: 'BANKNL2AXXX' } }), PAYER);
  assert.equal(otherFirstAgent.status, 'RJCT');
  assert.deepEqual(otherFirstAgent.codes, ['AG08']);
  assert.match(otherFirstAgent.paths[0]!, /Assgnmt\/FrstAgt\/FinInstnId\/BICFI$/);
  // The BIC8 form of the sender is the sender.
  assert.equal((await verdict(acmt023.build({ ...request, assignment: { ...request.assignment, firstAgent: 'BANKDEFF' } }), PAYER)).status, 'ACCP');
});

test('a request for an account at a bank outside the scheme, or at the switch, is refused', async () => {
  const outside = acmt023.build({ ...request, verifications: [{ ...request.verifications[0]!,
    partyAndAccount: { ...request.verifications[0]!.partyAndAccount, agent: 'BANKESMMXXX' } }] });
  const refused = await verdict(outside, PAYER);
  assert.equal(refused.status, 'RJCT');
  assert.ok(refused.codes.includes('RC02'), refused.codes.join());
  const atSwitch = acmt023.build({ ...request, verifications: [{ ...request.verifications[0]!,
    partyAndAccount: { ...request.verifications[0]!.partyAndAccount, agent: SWITCH } }] });
  assert.equal((await verdict(atSwitch, PAYER)).status, 'RJCT');
});

test('a report is accepted from the payee bank about its own account, refused (AG08) for another bank\'s account or in another bank\'s name', async () => {
  assert.equal((await verdict(acmt024.build(report), PAYEE)).status, 'ACCP');
  const aboutOther = await verdict(acmt024.build(report), 'BANKNL2AXXX');
  assert.equal(aboutOther.status, 'RJCT');
  assert.ok(aboutOther.codes.every((c) => c === 'AG08'));
  assert.ok(aboutOther.paths.some((p) => p.endsWith('OrgnlPtyAndAcctId/Agt/FinInstnId/BICFI')), aboutOther.paths.join());
  assert.ok(aboutOther.paths.some((p) => p.endsWith('Assgnmt/Assgnr/Agt/FinInstnId/BICFI')), aboutOther.paths.join());
});
