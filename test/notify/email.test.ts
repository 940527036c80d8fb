/**
 * E-mail notifications through a real MTA on loopback (OpenSMTPD delivering to a maildir,
 * test/support/smtp-server.ts): a participant's payment event and an operator alert arrive as
 * multipart plain text + HTML from their templates, with the idempotency key in the Message-ID; a
 * recipient the MTA refuses is recorded with its SMTP code and retried.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { idempotencyKey } from '../../switch/notify/events.ts';
import { Mailer } from '../../connectors/notify/email.ts';
import { NotificationWorker } from '../../connectors/notify/worker.ts';
import { harness, type Harness } from '../engine/support.ts';
import { startSmtpServer, type SmtpTestServer } from '../support/smtp-server.ts';
import { requireOrSkip } from '../support/prerequisites.ts';
import { waitFor } from '../support/serve-observer.ts';

let xsd: XsdValidator;
let smtp: SmtpTestServer | string;
before(async () => { xsd = new XsdValidator(); smtp = await startSmtpServer(); });
after(async () => { await xsd.close(); if (typeof smtp !== 'string') await smtp.stop(); });

const who = { actor: 'olivia', reason: 'ticket NOTIFY-2' };

function server(t: TestContext): SmtpTestServer | undefined {
  return requireOrSkip(t, typeof smtp === 'string' ? smtp : false) ? undefined : smtp as SmtpTestServer;
}

/** The message whose text contains `needle`, once the MTA has delivered it. */
async function delivered(mta: SmtpTestServer, needle: string): Promise<string> {
  const found = await waitFor(() => mta.messages().find((m) => m.includes(needle)), 15_000);
  assert.ok(found, `a message with ${needle} reached the maildir (smtpd: ${mta.log().slice(-500)})`);
  return found;
}

describe('e-mail notifications over SMTP', () => {
  it('mails a bank its settled payment and the operators an alert, as text and HTML from their templates', async (t) => {
    const mta = server(t);
    if (!mta) return;
    const h: Harness = await harness('pglite', undefined, xsd);
    const mailer = new Mailer({ url: mta.url, from: 'clearhouse <notify@clearhouse.test>' });
    try {
      const store = h.engine.notifications();
      const bank = DEMO_BANKS[0]!.bic;
      await store.subscribe({ participant: bank, channel: 'email', target: 'payments@bank-a.test', events: ['payment.settled'] }, who);
      await store.subscribe({ channel: 'email', target: 'ops@clearhouse.test', events: ['alert.settlement-failed'] }, who);
      const model = bulkCreditTransfer({ seed: 11, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 1,
        settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: 'BANKDEFF-M11' });
      await h.engine.submit({ bytes: new TextEncoder().encode(buildPacs008(model)), sender: bank });
      await h.closeAndSettle();
      await store.enqueueAlert({ kind: 'alert.settlement-failed', key: 'cycle.partially-settled:9', details: { event: 'cycle.partially-settled', cycle: '9', participants: ['BANKFRPPXXX'] } });
      const worker = new NotificationWorker(store, { webhook: { now: () => h.clock.now() }, mailer });
      assert.deepEqual(await worker.drain(), { delivered: 2, retried: 0, dead: 0 });

      const tx = model.transactions[0]!;
      const payment = await delivered(mta, tx.paymentIdentification.endToEndId);
      assert.match(payment, /^To: payments@bank-a\.test$/m);
      assert.match(payment, /^Subject: \[clearhouse\] Payment settled /m);
      assert.match(payment, /^X-Clearhouse-Event: payment\.settled$/m);
      const [n] = await store.notifications({ state: 'DELIVERED', limit: 10 }).then((all) => all.filter((x) => x.kind === 'payment.settled'));
      assert.match(payment, new RegExp(`^Message-ID: <${idempotencyKey(n!.id)}@clearhouse\\.invalid>$`, 'mi'));
      assert.match(payment, /Content-Type: text\/plain/);
      assert.match(payment, /Content-Type: text\/html/);
      assert.ok(payment.includes(tx.interbankSettlementAmount.value), 'the amount is in the mail');
      assert.match(payment, /The payment settled with its clearing cycle/);

      const alert = await delivered(mta, 'ALERT: settlement failed');
      assert.match(alert, /^To: ops@clearhouse\.test$/m);
      assert.match(alert, /cycle\.partially-settled/);
      assert.match(alert, /for the scheme operators/);
      const attempts = await store.attempts(n!.id);
      assert.equal(attempts.length, 1);
      assert.equal(attempts[0]!.ok, true);
      assert.equal(attempts[0]!.statusCode, 250, 'the MTA\'s reply code is recorded');
    } finally {
      mailer.close();
      await h.close();
    }
  });

  it('records a refused recipient with the SMTP code and retries it', async (t) => {
    const mta = server(t);
    if (!mta) return;
    const h: Harness = await harness('pglite', undefined, xsd);
    const mailer = new Mailer({ url: mta.url, from: 'notify@clearhouse.test' });
    try {
      const store = h.engine.notifications();
      const sub = await store.subscribe({ channel: 'email', target: 'nobody@refused.test', events: ['alert.risk'] }, who);
      await store.enqueueAlert({ kind: 'alert.risk', key: 'risk.hold:1', details: { event: 'risk.hold', id: '1' } });
      const worker = new NotificationWorker(store, { webhook: { now: () => h.clock.now() }, mailer });
      assert.deepEqual(await worker.runOnce(), { delivered: 0, retried: 1, dead: 0 });
      const [n] = await store.notifications({ subscriptionId: sub.id });
      assert.equal(n!.state, 'PENDING');
      assert.ok(n!.nextAttemptAt!.getTime() > h.clock.now().getTime(), 'retried later');
      const [attempt] = await store.attempts(n!.id);
      assert.equal(attempt!.ok, false);
      assert.equal(attempt!.statusCode, 550);
      assert.match(attempt!.error ?? '', /550/);
    } finally {
      mailer.close();
      await h.close();
    }
  });
});
