/**
 * Risk reference data over HTTPS (docs/api.md "Risk reference data"): a participant streams the risk
 * profiles of its own accounts (CSV or JSON Lines) and only its own (the BIC of its client certificate:
 * another's is 403, and nothing of the other is touched); an operator streams a screening list in the
 * formats the CLI reads; a bad line refuses the file whole with its line and reason (problem+json, 422)
 * and nothing is loaded; a loaded profile and a loaded list act on the next payment.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../../switch/config.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { schemeConfig } from '../engine/support.ts';
import { apiHarness, type ApiHarness } from './support.ts';

const ACCOUNT_HIGH = 'DE89370400440532013000';
const ACCOUNT_OTHER = 'DE02120300000000202051';
const LISTED = 'Nordwind Handelskontor GmbH';
const csv = (body: string) => ({ xml: body, headers: { 'content-type': 'text/csv' } });

/** One batch payment of BANKDEFFXXX of `value` EUR from `account`, its creditor named `creditor`. */
function payment(seed: number, value: string, account: string, creditor?: string): string {
  const model = bulkCreditTransfer({
    seed, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 1, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `BANKDEFF-UPLOAD${seed}`,
  });
  const t = model.transactions[0]!;
  return buildPacs008({ groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
    transactions: [{ ...t, interbankSettlementAmount: { currency: 'EUR', value }, debtorAccount: { iban: account },
      ...(creditor ? { creditor: { name: creditor } } : {}) }] });
}

describe('risk reference data over HTTPS', () => {
  let xsd: XsdValidator;
  let a: ApiHarness;
  let olivia: string;
  before(async () => {
    xsd = new XsdValidator();
    // High-risk accounts may send at most 100.00 EUR at a time.
    const config = checkConfig({ ...JSON.parse(JSON.stringify(schemeConfig())), risk: { limits: [{ currency: 'EUR', riskLevel: 'high', perTransaction: '100.00' }] } });
    a = await apiHarness('pglite', xsd, { config });
    olivia = await a.login('olivia');
  });
  after(async () => {
    await a.close();
    await xsd.close();
  });
  const submit = async (xml: string) => (await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml })).json as { status: string; answer: string };

  it('a participant loads its own profiles (CSV, JSON Lines); they act on its next payment; another\'s BIC is refused', async () => {
    assert.equal((await submit(payment(1, '500.00', ACCOUNT_HIGH))).status, 'ACCP', 'no profile yet: medium risk, no limit');
    const loaded = await a.call('POST', '/risk/profiles/BANKDEFFXXX?reason=monthly%20refresh&fileName=profiles.csv',
      { bank: 'BANKDEFFXXX', ...csv(`kind,id,account_type,risk_level,customer\naccount,${ACCOUNT_HIGH},personal,high,CUST-1\ncustomer,CUST-1,,high,\n`) });
    assert.equal(loaded.status, 200, loaded.text);
    assert.deepEqual([loaded.json.accounts, loaded.json.customers], [1, 1]);
    const refused = await submit(payment(2, '500.00', ACCOUNT_HIGH));
    assert.equal(refused.status, 'RJCT', 'the profile is in force at once');
    assert.match(refused.answer, /<Cd>AM02<\/Cd>/);
    const jsonl = await a.call('POST', '/risk/profiles/BANKDEFFXXX?reason=json%20lines', { bank: 'BANKDEFFXXX',
      xml: `{"kind":"account","id":"${ACCOUNT_OTHER}","accountType":"business","riskLevel":"low"}\n`, headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(jsonl.status, 200, jsonl.text);
    assert.equal(jsonl.json.accounts, 1);
    // A whole version replaces the last: ACCOUNT_HIGH has no profile any more.
    assert.equal((await submit(payment(3, '500.00', ACCOUNT_HIGH))).status, 'ACCP');

    // Isolation: Bank A may not load Bank B's profiles, whatever it sends; nothing of Bank B's changes.
    const before = await a.h.engine.riskProfileVersions('BANKFRPPXXX');
    const other = await a.call('POST', '/risk/profiles/BANKFRPPXXX?reason=x', { bank: 'BANKDEFFXXX', ...csv(`kind,id,account_type,risk_level,customer\naccount,${ACCOUNT_OTHER},personal,high,\n`) });
    assert.equal(other.status, 403, other.text);
    assert.equal(other.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.deepEqual(await a.h.engine.riskProfileVersions('BANKFRPPXXX'), before);
    // People do not load banks' profiles (the bank knows its customers); an operator is refused.
    assert.equal((await a.call('POST', '/risk/profiles/BANKFRPPXXX?reason=x', { token: olivia, ...csv('kind,id,account_type,risk_level,customer\n') })).status, 403);
    // Without a file type it can read: 415.
    assert.equal((await a.call('POST', '/risk/profiles/BANKDEFFXXX?reason=x', { bank: 'BANKDEFFXXX', xml: '<a/>' })).status, 415);
    // Its versions: its own only (another's is not found for it); people see any.
    const mine = await a.call('GET', '/risk/profiles/BANKDEFFXXX', { bank: 'BANKDEFFXXX' });
    assert.equal(mine.status, 200, mine.text);
    assert.deepEqual(mine.json.versions.map((v: { accounts: number; loadedBy: string }) => [v.accounts, v.loadedBy]), [[1, 'BANKDEFFXXX'], [1, 'BANKDEFFXXX']]);
    assert.equal((await a.call('GET', '/risk/profiles/BANKFRPPXXX', { bank: 'BANKDEFFXXX' })).status, 404);
    assert.equal((await a.call('GET', '/risk/profiles/BANKDEFFXXX', { token: olivia })).json.versions.length, 2);
    const journal = (await a.h.engine.operatorActions({ subject: 'BANKDEFFXXX' })).filter((x) => x.action === 'risk.profiles_load');
    assert.deepEqual(journal.map((x) => [x.actor, x.reason]).sort(), [['BANKDEFFXXX', 'json lines'], ['BANKDEFFXXX', 'monthly refresh']]);
  });

  it('a bad profile line refuses the file whole: 422 with the line and reason, nothing loaded', async () => {
    const versions = (await a.h.engine.riskProfileVersions('BANKDEFFXXX')).length;
    const lines = ['kind,id,account_type,risk_level,customer'];
    for (let i = 0; i < 20_000; i++) lines.push(`account,ACC${i},personal,low,`);
    lines.push('account,ACC-BAD,personal,extreme,');
    const bad = await a.call('POST', '/risk/profiles/BANKDEFFXXX?reason=bad', { bank: 'BANKDEFFXXX', ...csv(lines.join('\n') + '\n') });
    assert.equal(bad.status, 422, bad.text);
    assert.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(bad.json.line, 20_002);
    assert.match(bad.json.reason, /risk level "extreme"/);
    assert.match(bad.json.detail, /nothing was loaded/);
    assert.equal((await a.h.engine.riskProfileVersions('BANKDEFFXXX')).length, versions, 'no version recorded');
    const dup = await a.call('POST', '/risk/profiles/BANKDEFFXXX?reason=dup', { bank: 'BANKDEFFXXX', xml: '{"kind":"account"}\n', headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(dup.status, 422, dup.text);
    assert.equal(dup.json.line, 1);
  });

  it('an operator loads a screening list (scheme CSV streamed); it screens the next payment; a bad row refuses it whole; a bank may not', async () => {
    const list = `id,kind,value,remarks\nS-1,name,${LISTED},mule account\n`;
    const byBank = await a.call('POST', '/risk/lists/scheme?format=scheme&reason=x', { bank: 'BANKDEFFXXX', xml: list, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(byBank.status, 403, byBank.text);
    assert.deepEqual(await a.h.engine.screeningListVersions(), []);
    const bad = await a.call('POST', '/risk/lists/scheme?format=scheme&reason=bad', { token: olivia,
      xml: `${list}S-2,bic,NOTABIC,\n`, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual([bad.json.line, bad.json.reason], [3, '"NOTABIC" is not a BIC']);
    assert.deepEqual(await a.h.engine.screeningListVersions(), [], 'nothing loaded');
    const loaded = await a.call('POST', '/risk/lists/scheme?format=scheme&reason=scheme%20list%20of%2026%20Nov', { token: olivia, ...csv(list) });
    assert.equal(loaded.status, 200, loaded.text);
    assert.deepEqual([loaded.json.name, loaded.json.version, loaded.json.entries], ['scheme', 1, 1]);
    await a.h.engine.screeningLists().refresh();
    const held = await submit(payment(10, '50.00', ACCOUNT_OTHER, LISTED.toUpperCase()));
    assert.equal(held.status, 'ACCP');
    const holds = (await a.call('GET', '/risk/holds', { token: olivia })).json.holds as Array<{ transactionId: string; reasons: string }>;
    assert.ok(holds.some((h) => h.transactionId === 'BANKDEFF-UPLOAD10-000001' && /name match/.test(h.reasons)), JSON.stringify(holds));
    const lists = await a.call('GET', '/risk/lists', { token: olivia });
    assert.deepEqual(lists.json.lists.map((l: { name: string; version: number; inForce: boolean }) => [l.name, l.version, l.inForce]), [['scheme', 1, true]]);
    assert.equal((await a.call('GET', '/risk/lists', { bank: 'BANKDEFFXXX' })).status, 403, 'banks never see the lists');
    const [action] = (await a.h.engine.operatorActions({ subject: 'list scheme' })).filter((x) => x.action === 'risk.list.load');
    assert.deepEqual([action!.actor, action!.reason], ['olivia', 'scheme list of 26 Nov']);
    // The other formats the CLI reads: an OFAC sdn.csv with a bad row is refused with its line.
    const ofac = await a.call('POST', '/risk/lists/ofac-sdn?format=ofac&reason=x', { token: olivia, xml: '1,"A",individual\n', headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(ofac.status, 422, ofac.text);
    assert.equal(ofac.json.line, 1);
  });
});
