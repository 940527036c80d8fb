/**
 * The notification core (switch/notify/): which engine events are operator alerts, subscription
 * checks, retry delays, the webhook signature, the e-mail templates.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alertFor, checkSubscription, payloadOf, reconciliationAlert, retryDelayMs, signatureHeader, SubscriptionError, verifySignature,
  type DueNotification } from '../../switch/notify/events.ts';
import { emailOf } from '../../switch/notify/templates.ts';
import { limits } from '../../switch/limits.ts';

describe('notification core', () => {
  it('turns the engine events that need an operator into alerts, keyed by the event', () => {
    assert.deepEqual(alertFor({ event: 'settlement.rejected', cycle: 4n, participants: ['BANKFRPPXXX'] }),
      { kind: 'alert.settlement-failed', key: 'settlement.rejected:4', details: { event: 'settlement.rejected', cycle: '4', participants: ['BANKFRPPXXX'] } });
    assert.equal(alertFor({ event: 'cycle.partially-settled', cycle: 4n, participants: [] })?.kind, 'alert.settlement-failed');
    assert.equal(alertFor({ event: 'settlement.overdue', cycle: 4n, attempt: 2, sentAt: new Date(0), unanswered: 1 })?.key, 'settlement.overdue:4:2');
    assert.equal(alertFor({ event: 'delivery.failed', outboxId: 9n, recipient: 'X', messageId: 'M', attempt: 3, final: false, reason: 'r' }), undefined,
      'a delivery still being retried is no alert');
    assert.equal(alertFor({ event: 'delivery.failed', outboxId: 9n, recipient: 'X', messageId: 'M', attempt: 12, final: true, reason: 'r' })?.kind, 'alert.delivery-failing');
    for (const event of ['risk.hold', 'risk.timeout', 'risk.screening-hit']) {
      assert.equal(alertFor({ event, id: 5n, actor: 'stage', reason: 'r', details: {} })?.key, `${event}:5`);
    }
    for (const event of ['cycle.cut-off', 'cycle.netted', 'cycle.settled', 'settlement.instructed', 'risk.score', 'risk.release']) {
      assert.equal(alertFor({ event, cycle: 1n, id: 1n }), undefined, event);
    }
    assert.equal(reconciliationAlert('2026-11-26', [], 0), undefined);
    assert.equal(reconciliationAlert('2026-11-26', [{ check: 'x' }], 3)?.details.mismatchCount, 4);
  });

  it('checks subscriptions: events by owner, https only, addresses, secrets', () => {
    assert.deepEqual(checkSubscription({ participant: 'BANKDEFFXXX', channel: 'webhook', target: 'https://h.example/x', events: ['payment.settled', 'payment.settled'] }).events,
      ['payment.settled']);
    const refused: [Parameters<typeof checkSubscription>[0], RegExp][] = [
      [{ participant: 'BANKDEFFXXX', channel: 'webhook', target: 'https://h.example/x', events: ['alert.risk'] }, /not an event for a participant/],
      [{ channel: 'webhook', target: 'https://h.example/x', events: ['payment.settled'] }, /not an event for operators/],
      [{ channel: 'webhook', target: 'http://h.example/x', events: ['alert.risk'] }, /https/],
      [{ channel: 'webhook', target: 'https://u:p@h.example/x', events: ['alert.risk'] }, /credentials/],
      [{ channel: 'webhook', target: 'https://h.example/x', events: ['alert.risk'], secret: 'short' }, /16 characters/],
      [{ channel: 'email', target: 'not an address', events: ['alert.risk'] }, /not an e-mail address/],
      [{ channel: 'email', target: 'a@b.test\r\nBcc: x@y.test', events: ['alert.risk'] }, /not an e-mail address/],
      [{ channel: 'email', target: 'a@b.test', events: [] }, /at least one event/],
    ];
    for (const [request, message] of refused) assert.throws(() => checkSubscription(request), (e: Error) => e instanceof SubscriptionError && message.test(e.message));
  });

  it('delays retries exponentially with jitter, capped', () => {
    const { retryBaseMs, retryDelayMsMax } = limits.notify;
    assert.equal(retryDelayMs(1, 0), retryBaseMs / 2);
    assert.equal(retryDelayMs(1, 0.999999), retryBaseMs);
    assert.equal(retryDelayMs(4, 0), 4 * retryBaseMs);
    for (let attempt = 1; attempt <= 30; attempt++) {
      const low = retryDelayMs(attempt, 0);
      const high = retryDelayMs(attempt, 0.999999);
      assert.ok(low <= high && high <= retryDelayMsMax && low >= Math.min(retryBaseMs * 2 ** (attempt - 1), retryDelayMsMax) / 2);
    }
    assert.equal(retryDelayMs(40, 0), retryDelayMsMax / 2);
    assert.ok(retryDelayMs(40, 0.999999) > retryDelayMsMax - 10 && retryDelayMs(40, 0.999999) <= retryDelayMsMax);
  });

  it('signs timestamp and body; the check refuses another secret, body, timestamp or a malformed header', () => {
    const body = '{"id":"clearhouse-notification-1"}';
    const header = signatureHeader('s3cret-s3cret-s3cret', 1_800_000_000, body);
    assert.match(header, /^t=1800000000,v1=[0-9a-f]{64}$/);
    assert.equal(verifySignature(header, body, 's3cret-s3cret-s3cret', 1_800_000_100), undefined);
    assert.match(verifySignature(header, body, 'another-secret-xxxx', 1_800_000_000)!, /does not match/);
    assert.match(verifySignature(header, body + ' ', 's3cret-s3cret-s3cret', 1_800_000_000)!, /does not match/);
    assert.match(verifySignature(header.replace('t=1800000000', 't=1800000001'), body, 's3cret-s3cret-s3cret', 1_800_000_000)!, /does not match/);
    assert.match(verifySignature(header, body, 's3cret-s3cret-s3cret', 1_800_000_000 + limits.notify.signatureToleranceSeconds + 1)!, /replay window/);
    assert.match(verifySignature(undefined, body, 's', 0)!, /no signature/);
    assert.match(verifySignature('v1=abc', body, 's', 0)!, /no timestamp/);
  });

  it('renders each payload as an e-mail with the facts, escaped in the HTML', () => {
    const n: DueNotification = {
      id: 7n, kind: 'payment.received', eventKey: 'payment.received:3', attempt: 1, createdAt: new Date('2026-11-26T10:00:00Z'), details: {},
      subscription: { id: 1n, participant: 'BANKFRPPXXX', channel: 'email', target: 'b@bank-b.test', secret: null },
      payment: { id: 3n, kind: 'CREDIT', mode: 'realtime', transactionId: 'T<1>', endToEndId: 'E2E&"x"', uetr: null, debtorAgent: 'BANKDEFFXXX',
        creditorAgent: 'BANKFRPPXXX', currency: 'EUR', amountMinor: 123456n, state: 'COMMITTED', cycleId: 2n, settlementDate: '2026-11-26' },
    };
    const payload = payloadOf(n);
    assert.equal(payload.id, 'clearhouse-notification-7');
    assert.deepEqual((payload.data.payment as Record<string, unknown>).amount, '1234.56');
    const mail = emailOf(payload);
    assert.equal(mail.subject, '[clearhouse] Payment received 1234.56 EUR E2E&"x"');
    assert.match(mail.text, /Amount +1234\.56 EUR/);
    assert.ok(mail.html.includes('E2E&amp;&quot;x&quot;') && mail.html.includes('T&lt;1&gt;') && !mail.html.includes('T<1>'));
    const alert = emailOf(payloadOf({ ...n, kind: 'alert.risk', payment: undefined, subscription: { ...n.subscription, participant: null },
      details: { event: 'risk.hold', reason: 'name <script>' } } as DueNotification));
    assert.match(alert.subject, /^\[clearhouse\] ALERT: risk$/);
    assert.ok(alert.html.includes('name &lt;script&gt;') && alert.text.includes('for the scheme operators'));
  });
});
