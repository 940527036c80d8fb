/**
 * Notification subscriptions through the API: a participant subscribes, lists and removes only its
 * own (another's is 403 to create, invisible to list, 404 to remove), payment events only; an operator
 * subscribes the operators to alerts; secrets are returned once and never listed; every change is in
 * the journal with who and why.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { apiHarness, type ApiHarness } from './support.ts';

describe('notification subscriptions over the API', () => {
  let a: ApiHarness;
  let xsd: XsdValidator;
  before(async () => { xsd = new XsdValidator(); a = await apiHarness('pglite', xsd); });
  after(async () => { await a.close(); await xsd.close(); });

  it('a participant manages only its own; an operator the operators\' alerts', async () => {
    const mine = await a.call('POST', '/notifications/subscriptions', { bank: 'BANKDEFFXXX',
      body: { channel: 'webhook', target: 'https://hooks.bank-a.example/ch', events: ['payment.settled'], reason: 'our app' } });
    assert.equal(mine.status, 201, mine.text);
    assert.match(mine.json.secret, /^[A-Za-z0-9_-]{43}$/);
    const other = await a.call('POST', '/notifications/subscriptions', { bank: 'BANKDEFFXXX',
      body: { participant: 'BANKFRPPXXX', channel: 'email', target: 'x@y.test', events: ['payment.settled'], reason: 'not mine' } });
    assert.equal(other.status, 403);
    const alert = await a.call('POST', '/notifications/subscriptions', { bank: 'BANKDEFFXXX',
      body: { channel: 'email', target: 'x@y.test', events: ['alert.risk'], reason: 'tipping-off' } });
    assert.equal(alert.status, 400, 'a participant is never told of alerts');
    const olivia = await a.login('olivia');
    const ops = await a.call('POST', '/notifications/subscriptions', { token: olivia,
      body: { channel: 'email', target: 'ops@scheme.test', events: ['alert.risk', 'alert.settlement-failed'], reason: 'on call' } });
    assert.equal(ops.status, 201, ops.text);
    assert.equal(ops.json.secret, undefined, 'e-mail has no secret');

    const seenByB = await a.call('GET', '/notifications/subscriptions', { bank: 'BANKFRPPXXX' });
    assert.deepEqual(seenByB.json.subscriptions, [], 'B sees none of A\'s or the operators\'');
    const seenByA = await a.call('GET', '/notifications/subscriptions', { bank: 'BANKDEFFXXX' });
    assert.equal(seenByA.json.subscriptions.length, 1);
    assert.ok(!seenByA.text.includes(mine.json.secret), 'never the secret');
    const seenByOps = await a.call('GET', '/notifications/subscriptions', { token: olivia });
    assert.equal(seenByOps.json.subscriptions.length, 2);

    const byB = await a.call('POST', `/notifications/subscriptions/${mine.json.id}/remove`, { bank: 'BANKFRPPXXX', body: { reason: 'not mine either' } });
    assert.equal(byB.status, 404);
    const byA = await a.call('POST', `/notifications/subscriptions/${mine.json.id}/remove`, { bank: 'BANKDEFFXXX', body: { reason: 'moving to e-mail' } });
    assert.equal(byA.status, 200, byA.text);
    const journal = await a.h.engine.operatorActions();
    const notify = journal.filter((j) => j.action.startsWith('notify.')).map((j) => [j.action, j.subject, j.reason]).reverse();
    assert.deepEqual(notify, [['notify.subscribe', 'BANKDEFFXXX', 'our app'], ['notify.subscribe', 'operators', 'on call'], ['notify.remove', 'BANKDEFFXXX', 'moving to e-mail']]);
  });
});
