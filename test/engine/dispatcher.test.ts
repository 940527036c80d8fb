/**
 * The outbox dispatcher's failure path: a refused delivery is recorded, retried with exponential
 * backoff, and given up (FAILED) after the last attempt; a later success delivers exactly once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { DELIVERY_ATTEMPTS_MAX } from '../../switch/engine/dispatcher.ts';
import type { OutboundMessage } from '../../switch/engine/transport.ts';
import { backends, harness } from './support.ts';

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

for (const backend of backends) {
  describe(`dispatcher on ${backend}`, () => {
    it('retries with backoff, records every attempt, and gives up after the last one', async () => {
      const h = await harness(backend, undefined, xsd);
      try {
        const pending = await h.engine.storeForTests().query<{ id: bigint; recipient: string }>("SELECT id, recipient FROM outbox WHERE state = 'PENDING' ORDER BY id");
        assert.ok(pending.length > 0, 'opening the engine broadcast the cycle opening');
        const refused = pending[0]!.recipient;
        const deliverAllBut = async (message: OutboundMessage) => {
          if (message.recipient === refused) throw new Error(`${refused} mailbox unavailable`);
          await h.mailboxes.deliver(message);
        };
        assert.equal(await h.engine.dispatch(deliverAllBut), pending.length - 1);
        const [first] = await h.engine.storeForTests().query<{ attempts: number; state: string; next_attempt_at: Date; last_error: string }>(
          'SELECT attempts, state, next_attempt_at, last_error FROM outbox WHERE id = $1', [pending[0]!.id]);
        assert.equal(first!.attempts, 1);
        assert.equal(first!.state, 'PENDING');
        assert.equal(first!.next_attempt_at.getTime() - h.clock.now().getTime(), 1_000, 'first retry after 1 s');
        assert.match(first!.last_error, /unavailable/);
        assert.equal(await h.engine.dispatch(deliverAllBut), 0, 'not due yet');
        for (let attempt = 2; attempt <= DELIVERY_ATTEMPTS_MAX; attempt++) {
          h.clock.advance(10 * 60 * 1000);
          await h.engine.dispatch(deliverAllBut);
        }
        const [last] = await h.engine.storeForTests().query<{ attempts: number; state: string }>('SELECT attempts, state FROM outbox WHERE id = $1', [pending[0]!.id]);
        assert.deepEqual(last, { attempts: DELIVERY_ATTEMPTS_MAX, state: 'FAILED' });
        const attempts = await h.engine.storeForTests().query<{ ok: boolean }>('SELECT ok FROM deliveries WHERE outbox_id = $1 ORDER BY attempt', [pending[0]!.id]);
        assert.equal(attempts.length, DELIVERY_ATTEMPTS_MAX);
        assert.ok(attempts.every((a) => a.ok === false));
        // The operator re-queues it (docs/operations.md) and it is delivered once.
        await h.engine.storeForTests().query("UPDATE outbox SET state = 'PENDING', attempts = 0, next_attempt_at = '-infinity' WHERE id = $1", [pending[0]!.id]);
        assert.equal(await h.engine.dispatch((m) => h.mailboxes.deliver(m)), 1);
        assert.equal(h.mailboxes.outbound(refused).length, 1);
      } finally {
        await h.close();
      }
    });
  });
}
