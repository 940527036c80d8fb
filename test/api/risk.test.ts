/**
 * The risk routes over real HTTPS (docs/api.md "Risk review and freezes"): payments held by the risk
 * stage (the product's screening against a scheme list loaded here: a name hit holds) listed for staff,
 * released and rejected by an operator (recorded with who, why and from where), a release above
 * limits.api.releaseWithoutCheckerMaxMinor only when a supervisor approves it; an account frozen (its
 * payments refused AC06) and unfrozen only when a second person approves; a participant sees no hold, no
 * freeze and no risk event, and a payment's history shows a participant no hold's words; the creditor
 * agent sees neither a held payment nor the hold in a released one's history (tipping-off).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../../switch/config.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { hashed } from '../../switch/engine/screening-lists.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { limits } from '../../switch/limits.ts';
import { parseSchemeList } from '../../switch/risk/screening/parse-scheme.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { schemeConfig } from '../engine/support.ts';
import { apiHarness, type ApiHarness } from './support.ts';

const LISTED = 'Shell Front Trading Ltd';
const ACCOUNT_CLEAN = 'DE02120300000000202051';
const ACCOUNT_MULE = 'DE89370400440532013000';

/** One batch payment of BANKDEFFXXX to BANKFRPPXXX of `value` EUR from `account`, its debtor named `debtorName`. */
function payment(seed: number, value: string, account: string, debtorName?: string): string {
  const model = bulkCreditTransfer({
    seed, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 1, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `BANKDEFF-RISKAPI${seed}`,
  });
  const t = model.transactions[0]!;
  return buildPacs008({ groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
    transactions: [{ ...t, interbankSettlementAmount: { currency: 'EUR', value }, debtorAccount: { iban: account },
      ...(debtorName ? { debtor: { ...t.debtor, name: debtorName } } : {}) }] });
}

describe('risk review and freezes over HTTPS', () => {
  let xsd: XsdValidator;
  let a: ApiHarness;
  let olivia: string;
  let sam: string;
  let rita: string;
  let aaron: string;
  before(async () => {
    xsd = new XsdValidator();
    const config = checkConfig({ ...JSON.parse(JSON.stringify(schemeConfig())), risk: { limits: [{ currency: 'EUR', perTransaction: '1000000.00' }] } });
    a = await apiHarness('pglite', xsd, { config });
    const hash = hashed();
    const list = `id,kind,value,remarks\nS-001,name,${LISTED},fraud ring\n`;
    await a.h.engine.loadScreeningList({ name: 'scheme', format: 'scheme', records: parseSchemeList(hash.wrap((async function* () { yield list; })())),
      sha256: hash.sha256, files: ['scheme.csv'] }, { actor: 'alice', reason: 'scheme list of the test' });
    await a.h.engine.screeningLists().refresh();
    [olivia, sam, rita, aaron] = [await a.login('olivia'), await a.login('sam'), await a.login('rita'), await a.login('aaron')];
  });
  after(async () => {
    await a.close();
    await xsd.close();
  });

  /** Submits one payment as BANKDEFFXXX; the payment's id when it was created (held or accepted). */
  async function send(seed: number, value: string, account: string, debtorName?: string): Promise<{ status: string; answer: string; id?: string }> {
    const answer = await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml: payment(seed, value, account, debtorName) });
    assert.equal(answer.status, 200, answer.text);
    const [row] = await a.h.engine.storeForTests().query<{ id: bigint }>(
      "SELECT p.id FROM payments p JOIN messages m ON m.id = p.message_id WHERE m.message_id = $1", [`BANKDEFF-RISKAPI${seed}`]);
    return { status: answer.json.status, answer: answer.json.answer ?? '', ...(row ? { id: String(row.id) } : {}) };
  }

  const state = async (id: string) => (await a.call('GET', `/payments/${id}`, { token: olivia })).json.payment.state as string;

  it('a held payment is listed for staff with why; an operator releases one and rejects another, each recorded', async () => {
    const small = await send(1, '50.00', ACCOUNT_CLEAN, LISTED);
    const other = await send(2, '60.00', ACCOUNT_CLEAN, LISTED);
    const clean = await send(3, '70.00', ACCOUNT_CLEAN);
    assert.equal(await state(small.id!), 'HELD');
    assert.equal(await state(other.id!), 'HELD');
    assert.equal(await state(clean.id!), 'ACCEPTED', 'no hit, no hold');

    for (const token of [olivia, sam, rita]) {
      const holds = await a.call('GET', '/risk/holds', { token });
      assert.equal(holds.status, 200, holds.text);
      assert.deepEqual(holds.json.holds.map((h: { id: string }) => h.id), [small.id, other.id]);
      assert.match(holds.json.holds[0].reasons, /Shell Front Trading/i);
      assert.equal(holds.json.holds[0].amountMinor, '5000');
    }
    const why = await a.call('GET', `/risk/events?payment=${small.id}`, { token: aaron });
    assert.equal(why.status, 200, why.text);
    assert.ok(why.json.events.some((e: { kind: string }) => e.kind === 'hold'));
    assert.ok(why.json.events.every((e: { paymentId: string }) => e.paymentId === small.id));

    const released = await a.call('POST', `/risk/holds/${small.id}/release`, { token: olivia, body: { reason: 'RISK-1: another person (date of birth)' } });
    assert.equal(released.status, 200, released.text);
    assert.deepEqual(released.json, { paymentId: small.id, state: 'ACCEPTED' });
    assert.equal(await state(small.id!), 'ACCEPTED');
    const again = await a.call('POST', `/risk/holds/${small.id}/release`, { token: olivia, body: { reason: 'twice' } });
    assert.equal(again.status, 409, 'a released payment is no longer held');
    assert.equal((await a.call('POST', '/risk/holds/999999/release', { token: olivia, body: { reason: 'x' } })).status, 404);

    assert.equal((await a.call('POST', `/risk/holds/${other.id}/reject`, { token: olivia, body: { reason: 'x', code: 'ZZZZ' } })).status, 400,
      'only ISO reason codes');
    const rejected = await a.call('POST', `/risk/holds/${other.id}/reject`, { token: olivia, body: { reason: 'RISK-2: confirmed match', code: 'RR04' } });
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal(await state(other.id!), 'REJECTED');
    assert.deepEqual((await a.call('GET', '/risk/holds', { token: olivia })).json.holds, []);

    const [release] = (await a.h.engine.operatorActions({ subject: small.id! })).filter((x) => x.action === 'risk.release');
    assert.deepEqual([release!.actor, release!.reason], ['olivia', 'RISK-1: another person (date of birth)']);
    assert.equal((release!.details as { via: string }).via, 'api');
    const [reject] = (await a.h.engine.operatorActions({ subject: other.id! })).filter((x) => x.action === 'risk.reject');
    assert.deepEqual([reject!.actor, (reject!.details as { code: string }).code], ['olivia', 'RR04']);
  });

  it('a release above the threshold waits for a supervisor: nothing happens on the proposal, once on the approval', async () => {
    const over = (limits.api.releaseWithoutCheckerMaxMinor + 1n).toString();
    const big = await send(10, `${over.slice(0, -2)}.${over.slice(-2)}`, ACCOUNT_CLEAN, LISTED);
    assert.equal(await state(big.id!), 'HELD');
    const proposed = await a.call('POST', `/risk/holds/${big.id}/release`, { token: olivia, body: { reason: 'RISK-3: cleared by compliance' } });
    assert.equal(proposed.status, 202, proposed.text);
    const id = proposed.json.pendingActionId as string;
    assert.equal(await state(big.id!), 'HELD', 'a proposal releases nothing');
    assert.equal((await a.call('POST', `/risk/holds/${big.id}/release`, { token: olivia, body: { reason: 'again' } })).status, 409, 'one proposal at a time');
    assert.equal((await a.call('POST', `/approvals/${id}/approve`, { token: olivia, body: { reason: 'mine' } })).status, 403, 'an operator is no checker');
    const approved = await a.call('POST', `/approvals/${id}/approve`, { token: sam, body: { reason: 'RISK-3 checked' } });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(await state(big.id!), 'ACCEPTED');
    assert.equal((await a.call('POST', `/approvals/${id}/approve`, { token: sam, body: { reason: 'twice' } })).status, 409);
    const [release] = (await a.h.engine.operatorActions({ subject: big.id! })).filter((x) => x.action === 'risk.release');
    assert.equal(release!.actor, 'sam', 'released by the checker');
    assert.equal((release!.details as { pendingActionId: string }).pendingActionId, id);
  });

  it('a frozen account\'s payments are refused AC06; its unfreeze needs a second person', async () => {
    const frozen = await a.call('POST', '/risk/freezes', { token: olivia, body: { bic: 'BANKDEFFXXX', account: ACCOUNT_MULE, reason: 'RISK-4: mule account' } });
    assert.equal(frozen.status, 200, frozen.text);
    assert.equal((await a.call('POST', '/risk/freezes', { token: olivia, body: { bic: 'BANKDEFFXXX', account: ACCOUNT_MULE, reason: 'twice' } })).status, 409);
    assert.equal((await a.call('POST', '/risk/freezes', { token: olivia, body: { bic: 'ZZZZZZZZXXX', account: ACCOUNT_MULE, reason: 'x' } })).status, 404);
    const listed = await a.call('GET', '/risk/freezes', { token: rita });
    assert.deepEqual(listed.json.freezes.map((f: { bic: string; account: string; frozenBy: string }) => [f.bic, f.account, f.frozenBy]),
      [['BANKDEFFXXX', ACCOUNT_MULE, 'olivia']]);

    const refused = await send(20, '10.00', ACCOUNT_MULE);
    assert.equal(refused.status, 'RJCT', refused.answer);
    assert.match(refused.answer, /AC06/);

    const proposed = await a.call('POST', '/risk/freezes/unfreeze', { token: olivia, body: { bic: 'BANKDEFFXXX', account: ACCOUNT_MULE, reason: 'RISK-4 closed' } });
    assert.equal(proposed.status, 202, proposed.text);
    assert.equal((await a.call('GET', '/risk/freezes', { token: olivia })).json.freezes.length, 1, 'still frozen on the proposal');
    assert.match((await send(21, '10.00', ACCOUNT_MULE)).answer, /AC06/);
    assert.equal((await a.call('POST', '/risk/freezes/unfreeze', { token: olivia, body: { bic: 'BANKDEFFXXX', account: ACCOUNT_CLEAN, reason: 'x' } })).status,
      404, 'not frozen');
    const approved = await a.call('POST', `/approvals/${proposed.json.pendingActionId}/approve`, { token: sam, body: { reason: 'RISK-4 checked' } });
    assert.equal(approved.status, 200, approved.text);
    assert.deepEqual((await a.call('GET', '/risk/freezes', { token: olivia })).json.freezes, []);
    assert.equal((await send(22, '10.00', ACCOUNT_MULE)).status, 'ACCP');
    const [unfreeze] = (await a.h.engine.operatorActions({ subject: `BANKDEFFXXX/${ACCOUNT_MULE}` })).filter((x) => x.action === 'risk.unfreeze_account');
    assert.equal(unfreeze!.actor, 'sam');
  });

  it('a frozen participant is suspended; lifting its freeze on a supervisor\'s approval resumes it, in the register', async () => {
    const frozen = await a.call('POST', '/risk/freezes', { token: olivia, body: { bic: 'BANKITMMXXX', reason: 'RISK-5: licence withdrawn' } });
    assert.equal(frozen.status, 200, frozen.text);
    const stateOf = async () => (await a.call('GET', '/participants', { token: olivia })).json.participants
      .find((p: { bic: string }) => p.bic === 'BANKITMMXXX').state as string;
    assert.equal(await stateOf(), 'suspended');
    const proposed = await a.call('POST', '/risk/freezes/unfreeze', { token: olivia, body: { bic: 'BANKITMMXXX', reason: 'RISK-5: licence restored' } });
    assert.equal(proposed.status, 202, proposed.text);
    assert.equal((await a.call('POST', '/risk/freezes/unfreeze', { token: olivia, body: { bic: 'BANKITMMXXX', reason: 'again' } })).status, 409,
      'one proposal at a time');
    assert.equal(await stateOf(), 'suspended', 'nothing on the proposal');
    const approved = await a.call('POST', `/approvals/${proposed.json.pendingActionId}/approve`, { token: sam, body: { reason: 'RISK-5 checked' } });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(await stateOf(), 'active');
    assert.deepEqual((await a.call('GET', '/risk/freezes', { token: olivia })).json.freezes, []);
    const journal = await a.h.engine.operatorActions({ subject: 'BANKITMMXXX' });
    assert.deepEqual(journal.slice(0, 3).map((x) => [x.action, x.actor]).sort(),
      [['approval.approve', 'sam'], ['participant.resume', 'sam'], ['risk.unfreeze_participant', 'sam']]);
  });

  it('a participant sees no hold, freeze or risk event; a regulator changes nothing', async () => {
    for (const path of ['/risk/holds', '/risk/freezes', '/risk/events']) {
      const answer = await a.call('GET', path, { bank: 'BANKDEFFXXX' });
      assert.equal(answer.status, 403, `${path}: ${answer.text}`);
      assert.doesNotMatch(answer.text, /Shell Front|hold/i);
    }
    const held = await send(30, '40.00', ACCOUNT_CLEAN, LISTED);
    // The creditor agent does not see a held payment; its sender sees it, but none of the stage's or the operator's words.
    assert.equal((await a.call('GET', `/payments/${held.id}`, { bank: 'BANKFRPPXXX' })).status, 404);
    const creditorList = await a.call('GET', '/payments?limit=500', { bank: 'BANKFRPPXXX' });
    assert.ok(!creditorList.json.payments.some((p: { id: string }) => p.id === held.id), 'not in the creditor\'s search');
    const senderView = await a.call('GET', `/payments/${held.id}`, { bank: 'BANKDEFFXXX' });
    assert.equal(senderView.status, 200, senderView.text);
    assert.doesNotMatch(JSON.stringify(senderView.json.history), /Shell Front|screen|held by/i);
    // A payment released after review (the first test's): the reason stays with the people; the creditor sees no hold in its history.
    const [released] = (await a.call('GET', '/risk/events?limit=500', { token: olivia })).json.events
      .filter((e: { kind: string; reason: string }) => e.kind === 'release' && /date of birth/.test(e.reason));
    const staffView = await a.call('GET', `/payments/${released.paymentId}`, { token: olivia });
    assert.match(JSON.stringify(staffView.json.history), /date of birth/, 'people see the operator\'s reason');
    const sent = await a.call('GET', `/payments/${released.paymentId}`, { bank: 'BANKDEFFXXX' });
    assert.doesNotMatch(JSON.stringify(sent.json.history), /date of birth|olivia/);
    const paid = await a.call('GET', `/payments/${released.paymentId}`, { bank: 'BANKFRPPXXX' });
    assert.equal(paid.status, 200, paid.text);
    assert.ok(paid.json.history.every((t: { fromState: string | null; toState: string }) => t.fromState !== 'HELD' && t.toState !== 'HELD'),
      JSON.stringify(paid.json.history));
    assert.equal((await a.call('POST', `/risk/holds/${held.id}/release`, { token: rita, body: { reason: 'x' } })).status, 403);
    assert.equal((await a.call('POST', `/risk/holds/${held.id}/release`, { bank: 'BANKDEFFXXX', body: { reason: 'x' } })).status, 403);
    assert.equal(await state(held.id!), 'HELD');
  });
});
