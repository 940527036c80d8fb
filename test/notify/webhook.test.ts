/**
 * Webhooks against a real HTTPS server on loopback (test/notify/support.ts): payment events written
 * with the settlement that causes them, signed bodies that verify, retries after 500s with the same
 * idempotency key and growing delays, the last attempt dead-lettered and alerted, every attempt
 * recorded, and a restart in the middle of a retry that loses nothing and sends nothing twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { Engine } from '../../switch/engine/engine.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { limits } from '../../switch/limits.ts';
import { HEADERS, verifySignature } from '../../switch/notify/events.ts';
import { NotificationWorker } from '../../connectors/notify/worker.ts';
import { backends, freshPostgresUrl, harness, schemeConfig, TestClock, type Backend } from '../engine/support.ts';
import { startReceiver, type Receiver } from './support.ts';

let xsd: XsdValidator;
let receiver: Receiver;
before(async () => { xsd = new XsdValidator(); receiver = await startReceiver(); });
after(async () => { await xsd.close(); await receiver.close(); });

const SECRET = 'test-secret-0123456789abcdef';
const who = { actor: 'olivia', reason: 'ticket NOTIFY-1' };

function worker(engine: Engine, random = () => 0.5): NotificationWorker {
  return new NotificationWorker(engine.notifications(), { webhook: { now: () => engine.clock.now(), ca: receiver.caPem }, random });
}

function fresh(): void {
  receiver.requests.length = 0;
  receiver.statuses.length = 0;
}

for (const backend of backends) {
  describe(`webhooks on ${backend}`, () => {
    it('sends each bank its settled and received payments, signed, once, written with the settlement', async () => {
      fresh();
      const h = await harness(backend, undefined, xsd);
      try {
        const [a, b] = [DEMO_BANKS[0]!.bic, DEMO_BANKS[1]!.bic];
        const nA = await h.engine.notifications().subscribe({ participant: a, channel: 'webhook', target: receiver.url, events: ['payment.settled'], secret: SECRET }, who);
        await h.engine.notifications().subscribe({ participant: b, channel: 'webhook', target: receiver.url, events: ['payment.received', 'payment.settled'], secret: SECRET }, who);
        const model = bulkCreditTransfer({ seed: 7, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!, DEMO_BANKS[2]!], transactionCount: 6,
          settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: 'BANKDEFF-N7' });
        assert.equal((await h.engine.submit({ bytes: new TextEncoder().encode(buildPacs008(model)), sender: a })).status, 'ACCP');
        assert.equal((await h.engine.notifications().notifications()).length, 0, 'nothing before the payments settle');
        await h.closeAndSettle();
        const toB = model.transactions.filter((t) => t.creditorAgent === b).length;
        assert.ok(toB > 0 && toB < 6, 'some payments to B, some to C');
        const queued = await h.engine.notifications().notifications({ limit: 1000 });
        // A: settled for each of its 6 payments; B: settled and received for each payment to it; C subscribed to nothing.
        assert.equal(queued.length, 6 + 2 * toB);
        const passed = await worker(h.engine).drain();
        assert.deepEqual(passed, { delivered: 6 + 2 * toB, retried: 0, dead: 0 });
        assert.equal(receiver.requests.length, 6 + 2 * toB);
        const now = Math.floor(h.clock.now().getTime() / 1000);
        for (const r of receiver.requests) {
          assert.equal(r.method, 'POST');
          assert.equal(r.path, '/hooks/clearhouse');
          assert.equal(r.headers['content-type'], 'application/json');
          assert.equal(verifySignature(r.headers[HEADERS.signature.toLowerCase()] as string, r.body, SECRET, now), undefined, 'the signature verifies');
          assert.match(verifySignature(r.headers[HEADERS.signature.toLowerCase()] as string, r.body.replace('"amount"', '"amount "'), SECRET, now) ?? '',
            /does not match/, 'a changed body does not verify');
          assert.match(verifySignature(r.headers[HEADERS.signature.toLowerCase()] as string, r.body, SECRET, now + limits.notify.signatureToleranceSeconds + 1) ?? '',
            /replay window/, 'an old request is refused');
          const payload = JSON.parse(r.body);
          assert.equal(payload.id, r.headers['idempotency-key']);
          assert.equal(r.headers[HEADERS.event.toLowerCase()], payload.type);
        }
        const toA = receiver.requests.map((r) => JSON.parse(r.body)).filter((p) => p.participant === a);
        assert.equal(toA.length, 6);
        assert.ok(toA.every((p) => p.type === 'payment.settled' && p.data.payment.debtorAgent === a));
        const ends = new Set(model.transactions.map((t) => t.paymentIdentification.endToEndId));
        assert.deepEqual(new Set(toA.map((p) => p.data.payment.endToEndId)), ends, 'one per payment, with its end-to-end id');
        const toBPayloads = receiver.requests.map((r) => JSON.parse(r.body)).filter((p) => p.participant === b);
        assert.ok(toBPayloads.every((p) => p.data.payment.creditorAgent === b), 'B hears only of payments to it');
        const sample = model.transactions.find((t) => t.creditorAgent === b)!;
        const seen = toBPayloads.find((p) => p.data.payment.endToEndId === sample.paymentIdentification.endToEndId);
        assert.equal(seen.data.payment.amount, sample.interbankSettlementAmount.value);
        assert.equal(seen.data.payment.currency, 'EUR');
        // The subscription's owner and the attempts are on record; nothing more is sent.
        assert.equal((await worker(h.engine).drain()).delivered, 0);
        assert.equal(receiver.requests.length, 6 + 2 * toB);
        const attempts = await h.engine.notifications().attempts((await h.engine.notifications().notifications({ subscriptionId: nA.id, limit: 1 }))[0]!.id);
        assert.equal(attempts.length, 1);
        assert.equal(attempts[0]!.ok, true);
        assert.equal(attempts[0]!.statusCode, 200);
        assert.ok(attempts[0]!.latencyMs !== null && attempts[0]!.latencyMs >= 0);
        const journal = await h.engine.operatorActions({ subject: a });
        assert.ok(journal.some((j) => j.action === 'notify.subscribe' && j.actor === 'olivia' && j.reason === 'ticket NOTIFY-1'));
        assert.ok(!JSON.stringify(journal, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).includes(SECRET), 'the journal never holds the secret');
      } finally {
        await h.close();
      }
    });

    it('retries 500s with the same idempotency key and growing delays, gives up after the last attempt and alerts the operators', async () => {
      fresh();
      const h = await harness(backend, undefined, xsd);
      try {
        const store = h.engine.notifications();
        const participantSub = await store.subscribe({ participant: DEMO_BANKS[0]!.bic, channel: 'webhook', target: receiver.url, events: ['payment.settled'], secret: SECRET }, who);
        await store.subscribe({ channel: 'webhook', target: `${receiver.url}/ops`, events: ['alert.delivery-failing'], secret: SECRET }, who);
        // A notification for the bank, made the way the settlement makes them (an event of one of its payments).
        const model = bulkCreditTransfer({ seed: 9, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 1,
          settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: 'BANKDEFF-N9' });
        await h.engine.submit({ bytes: new TextEncoder().encode(buildPacs008(model)), sender: DEMO_BANKS[0]!.bic });
        await h.closeAndSettle();
        const [n] = await store.notifications({ subscriptionId: participantSub.id });
        assert.ok(n);
        const max = limits.notify.attemptsMax;
        receiver.statuses.push(...Array.from({ length: max }, () => 500));
        const w = worker(h.engine, () => 0);
        let previousDelay = 0;
        for (let attempt = 1; attempt <= max; attempt++) {
          const pass = await w.runOnce();
          assert.equal(pass.delivered, 0);
          assert.deepEqual([pass.retried, pass.dead], attempt < max ? [1, 0] : [0, 1], `attempt ${attempt}`);
          const [row] = await store.notifications({ subscriptionId: participantSub.id });
          if (attempt < max) {
            const delay = row!.nextAttemptAt!.getTime() - h.clock.now().getTime();
            assert.ok(delay >= previousDelay, `attempt ${attempt}: the delay does not shrink (${delay} after ${previousDelay})`);
            assert.equal(delay, Math.min(limits.notify.retryBaseMs * 2 ** (attempt - 1), limits.notify.retryDelayMsMax) / 2, 'exponential, half of it jitter');
            assert.equal((await w.runOnce()).retried, 0, 'not due before its delay');
            previousDelay = delay;
            h.clock.advance(delay);
          }
        }
        const [dead] = await store.notifications({ subscriptionId: participantSub.id });
        assert.equal(dead!.state, 'DEAD');
        assert.match(dead!.lastError ?? '', /HTTP 500: receiver says 500/);
        const keys = new Set(receiver.requests.map((r) => r.headers['idempotency-key']));
        assert.equal(receiver.requests.length, max);
        assert.equal(keys.size, 1, 'the same idempotency key on every attempt');
        assert.deepEqual(receiver.requests.map((r) => r.headers[HEADERS.attempt.toLowerCase()]), Array.from({ length: max }, (_, i) => String(i + 1)));
        const attempts = await store.attempts(n.id);
        assert.equal(attempts.length, max);
        assert.ok(attempts.every((a) => a.ok === false && a.statusCode === 500 && a.finishedAt !== null && a.latencyMs !== null));
        // The operators hear of it (their own alert subscription), once.
        assert.equal((await w.drain()).delivered, 1);
        const alert = JSON.parse(receiver.requests.at(-1)!.body);
        assert.equal(receiver.requests.at(-1)!.path, '/hooks/clearhouse/ops');
        assert.equal(alert.type, 'alert.delivery-failing');
        assert.equal(alert.data.notification, n.id.toString());
        assert.equal(alert.participant, null);
      } finally {
        await h.close();
      }
    });

    it('survives a restart in the middle of a retry: nothing lost, nothing sent again after its success', async () => {
      fresh();
      const store = await openStore(backend);
      let engine = await store.open();
      try {
        const sub = await engine.notifications().subscribe({ channel: 'webhook', target: receiver.url, events: ['alert.settlement-failed'], secret: SECRET }, who);
        assert.equal(await engine.notifications().enqueueAlert({ kind: 'alert.settlement-failed', key: 'settlement.rejected:1', details: { cycle: '1' } }), 1);
        assert.equal(await engine.notifications().enqueueAlert({ kind: 'alert.settlement-failed', key: 'settlement.rejected:1', details: { cycle: '1' } }), 0,
          'the same event reported again is the same notification');
        receiver.statuses.push(500);
        assert.equal((await worker(engine).runOnce()).retried, 1);
        // The retry is leased (being sent) when the process stops: its outcome is never recorded.
        store.clock.advance(10 * 60_000);
        const leased = await engine.notifications().lease(10);
        assert.equal(leased.length, 1);
        assert.equal(leased[0]!.attempt, 2);
        await engine.close();

        engine = await store.open();
        assert.equal((await worker(engine).runOnce()).delivered, 0, 'the lease holds until it ends');
        store.clock.advance(limits.notify.leaseMs);
        assert.equal((await worker(engine).runOnce()).delivered, 1, 'after the lease the retry is made');
        const [row] = await engine.notifications().notifications({ subscriptionId: sub.id });
        assert.equal(row!.state, 'DELIVERED');
        const attempts = await engine.notifications().attempts(row!.id);
        assert.deepEqual(attempts.map((a) => [a.attempt, a.ok, a.statusCode]), [[1, false, 500], [2, null, null], [3, true, 200]]);
        assert.match(attempts[1]!.error ?? '', /interrupted/);
        await engine.close();

        engine = await store.open();
        store.clock.advance(24 * 3_600_000);
        assert.equal((await worker(engine).drain()).delivered, 0, 'delivered stays delivered across a restart');
        assert.equal(receiver.requests.length, 2, 'the 500 and the success: the interrupted attempt never reached the receiver');
        assert.equal(new Set(receiver.requests.map((r) => r.headers['idempotency-key'])).size, 1);
      } finally {
        await engine.close();
      }
    });
  });
}

/** An engine that can be closed and opened again on the same store (PGlite on disk, or a PostgreSQL schema). */
async function openStore(backend: Backend): Promise<{ clock: TestClock; open(): Promise<Engine> }> {
  const clock = new TestClock();
  const location = backend === 'postgres' ? { databaseUrl: await freshPostgresUrl() } : { dataDirectory: mkdtempSync(join(tmpdir(), 'clearhouse-notify-store-')) };
  return { clock, open: () => Engine.open({ config: schemeConfig(), clock, xsd, ...location }) };
}
