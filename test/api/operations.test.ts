/**
 * The operations routes over real HTTPS: the real-time queue per debtor (a participant sees its own);
 * participants with state, caps and headroom (a participant sees itself); suspension and resumption by
 * an operator, recorded with who, why and from where; a partial settlement resolved by maker-checker
 * (never by one person; applied once); the settlement agent queried; payment search filters.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { schemeConfig } from '../engine/support.ts';
import { apiHarness, type ApiHarness } from './support.ts';

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

function bulk(sender: number, receivers: number[], count: number, seed: number, localInstrument?: string) {
  return bulkCreditTransfer({
    seed, sender: DEMO_BANKS[sender]!, receivers: receivers.map((i) => DEMO_BANKS[i]!), transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${DEMO_BANKS[sender]!.bic.slice(0, 8)}-OPS${seed}`, localInstrument,
  });
}

/** One real-time payment of `value` EUR. */
function instant(sender: number, receiver: number, seed: number, value: string): string {
  const model = bulk(sender, [receiver], 1, seed, 'INST');
  return buildPacs008({ ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
    transactions: [{ ...model.transactions[0]!, interbankSettlementAmount: { currency: 'EUR', value } }] });
}

describe('queue, participants, suspension', () => {
  let a: ApiHarness;
  let olivia: string;
  before(async () => {
    a = await apiHarness('pglite', xsd, { config: schemeConfig({ caps: { BANKDEFFXXX: '100.00' }, overCap: 'queue' }) });
    olivia = await a.login('olivia');
  });
  after(async () => { await a.close(); });

  it('GET /queue: payments over headroom per debtor, in release order; a participant sees only its own lane', async () => {
    for (const [seed, value] of [[1, '80.00'], [2, '50.00'], [3, '10.00']] as const) {
      const answer = await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml: instant(0, 1, seed, value) });
      assert.equal(answer.status, 200, answer.text);
    }
    const own = await a.call('GET', '/queue', { bank: 'BANKDEFFXXX' });
    assert.equal(own.status, 200, own.text);
    assert.equal(own.json.lanes.length, 1);
    const lane = own.json.lanes[0];
    assert.deepEqual([lane.bic, lane.currency, lane.count, lane.amountMinor, lane.headroomMinor], ['BANKDEFFXXX', 'EUR', 2, '6000', '2000']);
    assert.deepEqual(lane.payments.map((p: { amountMinor: string; state: string }) => [p.amountMinor, p.state]), [['5000', 'QUEUED'], ['1000', 'QUEUED']],
      'first in, first out');
    assert.deepEqual((await a.call('GET', '/queue', { bank: 'BANKFRPPXXX' })).json.lanes, [], 'the creditor never sees queued payments');
    const all = await a.call('GET', '/queue?perLane=1', { token: olivia });
    assert.equal(all.json.lanes.length, 1);
    assert.equal(all.json.lanes[0].payments.length, 1);
  });

  it('GET /participants: every participant with state, caps and headroom for staff; itself for a participant', async () => {
    const all = await a.call('GET', '/participants', { token: olivia });
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.json.participants.map((p: { bic: string }) => p.bic).sort(), [...DEMO_BANKS.map((b) => b.bic)].sort());
    const deff = all.json.participants.find((p: { bic: string }) => p.bic === 'BANKDEFFXXX');
    assert.equal(deff.state, 'active');
    assert.equal(deff.currencies[0].capMinor, '10000');
    assert.equal(deff.currencies[0].headroomMinor, '2000');
    const own = await a.call('GET', '/participants', { bank: 'BANKFRPPXXX' });
    assert.deepEqual(own.json.participants.map((p: { bic: string }) => p.bic), ['BANKFRPPXXX']);
  });

  it('an operator suspends and resumes a participant: recorded with who, why and where; traffic refused meanwhile', async () => {
    const suspended = await a.call('POST', '/participants/BANKNL2AXXX/suspend', { token: olivia, body: { reason: 'ticket 7: sanctions review' } });
    assert.equal(suspended.status, 200, suspended.text);
    assert.equal(suspended.json.state, 'suspended');
    const view = await a.call('GET', '/participants', { token: olivia });
    assert.equal(view.json.participants.find((p: { bic: string }) => p.bic === 'BANKNL2AXXX').state, 'suspended');
    const refused = await a.call('POST', '/messages', { bank: 'BANKNL2AXXX', xml: buildPacs008(bulk(2, [1], 2, 20)) });
    assert.equal(refused.json.status, 'RJCT', 'a suspended participant\'s message is refused');
    assert.match(refused.json.answer, /AG10/);
    const again = await a.call('POST', '/participants/BANKNL2AXXX/suspend', { token: olivia, body: { reason: 'twice' } });
    assert.equal(again.status, 409, again.text);
    assert.equal((await a.call('POST', '/participants/ZZZZZZZZXXX/suspend', { token: olivia, body: { reason: 'x' } })).status, 404);
    const resumed = await a.call('POST', '/participants/BANKNL2AXXX/resume', { token: olivia, body: { reason: 'ticket 7 closed' } });
    assert.equal(resumed.status, 200, resumed.text);
    assert.equal((await a.call('POST', '/participants/BANKNL2AXXX/resume', { token: olivia, body: { reason: 'twice' } })).status, 409);
    const journal = await a.h.engine.operatorActions({ subject: 'BANKNL2AXXX' });
    const [resume, suspend] = journal;
    assert.deepEqual([resume!.action, resume!.actor, resume!.reason], ['participant.resume', 'olivia', 'ticket 7 closed']);
    assert.deepEqual([suspend!.action, suspend!.actor, suspend!.reason], ['participant.suspend', 'olivia', 'ticket 7: sanctions review']);
    assert.equal((suspend!.details as { via: string }).via, 'api');
    assert.equal((suspend!.details as { address: string }).address, '127.0.0.1');
    const ok = await a.call('POST', '/messages', { bank: 'BANKNL2AXXX', xml: buildPacs008(bulk(2, [1], 2, 21)) });
    assert.equal(ok.json.status, 'ACCP');
  });
});

describe('settlement resolution by maker-checker, settlement query, payment filters', () => {
  let a: ApiHarness;
  before(async () => { a = await apiHarness('pglite', xsd); });
  after(async () => { await a.close(); });

  const settle = async () => {
    for (let round = 0; round < 10 && (await a.h.agent.answerAll()) > 0; round++) await a.h.dispatch();
  };

  it('a PARTIALLY_SETTLED cycle is resolved only when a second person approves; once', async () => {
    // BANKDEFFXXX's only payment is a committed real-time one and its account is empty: the cycle settles partially.
    assert.equal((await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml: instant(0, 1, 41, '250.00') })).json.status, 'ACCP');
    await a.h.dispatch();
    assert.equal(await a.h.bank('BANKFRPPXXX').answerRealtime(), 1);
    await a.h.dispatch();
    assert.equal((await a.call('POST', '/messages', { bank: 'BANKNL2AXXX', xml: buildPacs008(bulk(2, [1], 5, 42)) })).json.status, 'ACCP');
    const cycleId = (await a.h.engine.closeCycle())!;
    await a.h.dispatch();
    a.h.agent.setBalance('BANKDEFFXXX', 'EUR', 0n);
    await settle();
    assert.equal(await a.h.engine.cycleState(cycleId), 'PARTIALLY_SETTLED');

    const olivia = await a.login('olivia');
    const sam = await a.login('sam');
    const sue = await a.login('sue');
    const path = `/cycles/${cycleId}/settlement/resolve`;
    const bad = await a.call('POST', path, { token: olivia, body: { action: 'pay-anyway', reason: 'x' } });
    assert.equal(bad.status, 400, 'only the engine\'s resolutions');
    const proposed = await a.call('POST', path, { token: sam, body: { action: 'reinstruct', reason: 'BANKDEFF funded, ticket 9' } });
    assert.equal(proposed.status, 202, proposed.text);
    const id = proposed.json.pendingActionId as string;
    assert.equal(await a.h.engine.cycleState(cycleId), 'PARTIALLY_SETTLED', 'nothing happens on a proposal');
    const self = await a.call('POST', `/approvals/${id}/approve`, { token: sam, body: { reason: 'my own' } });
    assert.equal(self.status, 403, 'the maker cannot be the checker');
    assert.equal((await a.call('POST', `/approvals/${id}/approve`, { token: olivia, body: { reason: 'x' } })).status, 403, 'an operator is no checker');

    a.h.agent.setBalance('BANKDEFFXXX', 'EUR', 10n ** 12n);
    const approved = await a.call('POST', `/approvals/${id}/approve`, { token: sue, body: { reason: 'checked ticket 9' } });
    assert.equal(approved.status, 200, approved.text);
    await a.h.dispatch();
    await settle();
    assert.equal(await a.h.engine.cycleState(cycleId), 'SETTLED');
    const twice = await a.call('POST', `/approvals/${id}/approve`, { token: sue, body: { reason: 'again' } });
    assert.equal(twice.status, 409);
    const [resolved] = (await a.h.engine.operatorActions({ subject: `cycle ${cycleId}` })).filter((x) => x.action === 'settlement.resolve');
    assert.equal(resolved!.actor, 'sue');
    assert.equal((resolved!.details as { pendingActionId: string }).pendingActionId, id);
    assert.equal((resolved!.details as { resolution: string }).resolution, 'reinstruct');
    const late = await a.call('POST', path, { token: sam, body: { action: 'reinstruct', reason: 'late' } });
    assert.equal(late.status, 409, 'a settled cycle has nothing to resolve');
  });

  it('a proposal whose cycle moved on before approval is refused and changes nothing', async () => {
    const sam = await a.login('sam');
    const sue = await a.login('sue');
    const cycleId = (await a.h.engine.closeCycle())!;
    await a.h.dispatch();
    await settle();
    // Planted: a pending resolution of a cycle that is not PARTIALLY_SETTLED (as if it settled after the proposal).
    const id = await a.h.engine.proposeAction('settlement.resolve', `cycle ${cycleId}`, { cycleId: String(cycleId), resolution: 'settled-elsewhere' },
      'sam', 'stale');
    const answer = await a.call('POST', `/approvals/${id}/approve`, { token: sue, body: { reason: 'x' } });
    assert.equal(answer.status, 409, answer.text);
    const [row] = (await a.call('GET', '/approvals', { token: sam })).json.approvals.filter((p: { id: string }) => p.id === String(id));
    assert.equal(row.state, 'PENDING', 'the decision rolled back with the resolution');
  });

  it('an operator queries the agent about a cycle waiting for it; other cycles are refused', async () => {
    const olivia = await a.login('olivia');
    assert.equal((await a.call('POST', '/messages', { bank: 'BANKNL2AXXX', xml: buildPacs008(bulk(2, [1, 3], 4, 50)) })).json.status, 'ACCP');
    const cycleId = (await a.h.engine.closeCycle())!;
    await a.h.dispatch();
    assert.equal(await a.h.engine.cycleState(cycleId), 'SETTLEMENT_SENT');
    const queried = await a.call('POST', `/cycles/${cycleId}/settlement/query`, { token: olivia, body: { reason: 'no answer for 10 minutes' } });
    assert.equal(queried.status, 200, queried.text);
    assert.ok(queried.json.queried >= 1);
    const [recorded] = await a.h.engine.operatorActions({ subject: `cycle ${cycleId}` });
    assert.deepEqual([recorded!.action, recorded!.actor, (recorded!.details as { via: string }).via], ['settlement.query', 'olivia', 'api']);
    await settle();
    assert.equal((await a.call('POST', `/cycles/${cycleId}/settlement/query`, { token: olivia, body: { reason: 'x' } })).status, 409);
    assert.equal((await a.call('POST', '/cycles/999999/settlement/query', { token: olivia, body: { reason: 'x' } })).status, 404);
  });

  it('payment search filters: participant, service, amount range, dates; amounts need a currency', async () => {
    const rita = await a.login('rita');
    a.h.clock.advance(60_000);
    assert.equal((await a.call('POST', '/messages', { bank: 'BANKITMMXXX', xml: buildPacs008(bulk(4, [0, 3], 6, 60)) })).json.status, 'ACCP');
    const search = async (query: string) => {
      const answer = await a.call('GET', `/payments?limit=500&${query}`, { token: rita });
      assert.equal(answer.status, 200, answer.text);
      return answer.json.payments as { id: string; amountMinor: string; mode: string; kind: string; instructingAgent: string;
        debtorAgent: string; creditorAgent: string; createdAt: string }[];
    };
    const all = await search('');
    assert.ok(all.length > 10);
    const ofBe = await search('bic=BANKBEBBXXX');
    assert.ok(ofBe.length > 0);
    assert.deepEqual(ofBe, all.filter((p) => [p.instructingAgent, p.debtorAgent, p.creditorAgent].includes('BANKBEBBXXX')));
    const realtime = await search('mode=realtime');
    assert.deepEqual(realtime, all.filter((p) => p.mode === 'realtime'));
    assert.ok(realtime.length >= 1);
    assert.deepEqual(await search('kind=RETURN'), []);
    const amounts = all.map((p) => BigInt(p.amountMinor)).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const low = amounts[Math.floor(amounts.length / 4)]!;
    const high = amounts[Math.floor((3 * amounts.length) / 4)]!;
    const ranged = await search(`currency=EUR&minAmount=${(Number(low) / 100).toFixed(2)}&maxAmount=${(Number(high) / 100).toFixed(2)}`);
    assert.deepEqual(ranged, all.filter((p) => BigInt(p.amountMinor) >= low && BigInt(p.amountMinor) <= high));
    assert.ok(ranged.length > 0 && ranged.length < all.length);
    assert.equal((await a.call('GET', '/payments?minAmount=1.00', { token: rita })).status, 400);
    const stamps = [...new Set(all.map((p) => p.createdAt))].sort();
    const cut = stamps[Math.floor(stamps.length / 2)]!;
    const later = await search(`from=${encodeURIComponent(cut)}`);
    const earlier = await search(`to=${encodeURIComponent(cut)}`);
    assert.deepEqual(later, all.filter((p) => p.createdAt >= cut));
    assert.deepEqual(earlier, all.filter((p) => p.createdAt < cut));
    assert.equal(later.length + earlier.length, all.length);
    assert.ok(later.length > 0 && earlier.length > 0);
    assert.equal((await a.call('GET', '/payments?limit=501', { token: rita })).status, 400, 'pages are bounded');
    // A filter never widens a participant's view.
    const mine = await a.call('GET', '/payments?bic=BANKBEBBXXX&limit=500', { bank: 'BANKDEFFXXX' });
    assert.ok(mine.json.payments.every((p: { instructingAgent: string; debtorAgent: string; creditorAgent: string }) =>
      [p.instructingAgent, p.debtorAgent, p.creditorAgent].includes('BANKDEFFXXX')));
  });
});
