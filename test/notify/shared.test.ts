/**
 * Several processes share the notification table (PostgreSQL, FOR UPDATE SKIP LOCKED on the lease):
 * two engines on one database, each with its own worker, drain the same notifications at once; each
 * is sent exactly once, with one attempt.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { Engine } from '../../switch/engine/engine.ts';
import { NotificationWorker } from '../../connectors/notify/worker.ts';
import { freshPostgresUrl, schemeConfig, TestClock } from '../engine/support.ts';
import { startReceiver, type Receiver } from './support.ts';

let xsd: XsdValidator;
let receiver: Receiver;
before(async () => { xsd = new XsdValidator(); receiver = await startReceiver(); });
after(async () => { await xsd.close(); await receiver.close(); });

const COUNT = 120;

describe('workers of several processes share the notifications (PostgreSQL)', () => {
  it('sends each notification once when two workers drain at the same time', async () => {
    const url = await freshPostgresUrl();
    const clock = new TestClock();
    const first = await Engine.open({ config: schemeConfig(), clock, xsd, databaseUrl: url });
    const second = await Engine.open({ config: schemeConfig(), clock, xsd, databaseUrl: url });
    try {
      const sub = await first.notifications().subscribe({ channel: 'webhook', target: receiver.url, events: ['alert.risk'], secret: 'shared-secret-0123456789' },
        { actor: 'olivia', reason: 'test' });
      for (let i = 1; i <= COUNT; i++) await first.notifications().enqueueAlert({ kind: 'alert.risk', key: `risk.hold:${i}`, details: { id: String(i) } });
      const worker = (engine: Engine) => new NotificationWorker(engine.notifications(), { webhook: { now: () => clock.now(), ca: receiver.caPem } });
      const [a, b] = await Promise.all([worker(first).drain(), worker(second).drain()]);
      assert.equal(a.delivered + b.delivered, COUNT);
      assert.equal(a.retried + b.retried + a.dead + b.dead, 0);
      assert.ok(a.delivered > 0 && b.delivered > 0, `both workers took a share (${a.delivered} and ${b.delivered})`);
      assert.equal(receiver.requests.length, COUNT, 'no notification sent twice');
      assert.equal(new Set(receiver.requests.map((r) => r.headers['idempotency-key'])).size, COUNT);
      const rows = await first.notifications().notifications({ subscriptionId: sub.id, limit: 1000 });
      assert.ok(rows.every((r) => r.state === 'DELIVERED' && r.attempts === 1));
    } finally {
      await second.close();
      await first.close();
    }
  });
});
