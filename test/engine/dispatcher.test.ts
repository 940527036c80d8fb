/**
 * The outbox dispatcher's failure path: a refused delivery is recorded, retried with exponential
 * backoff, and given up (FAILED) after the last attempt; a later success delivers exactly once. A pass
 * delivers to several recipients at a time and records what happened in outbox order.
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

    it('delivers to several recipients at a time, each one\'s messages in outbox order, and records the outcomes in outbox order', async () => {
      const h = await harness(backend, undefined, xsd);
      try {
        const store = h.engine.storeForTests();
        const opening = await store.query<{ id: bigint; recipient: string; message_id: bigint }>("SELECT id, recipient, message_id FROM outbox WHERE state = 'PENDING' ORDER BY id");
        assert.ok(new Set(opening.map((r) => r.recipient)).size >= 3, 'the cycle opening went to three participants or more');
        // A second message for the first recipient, after all the others in the outbox.
        const first = opening[0]!.recipient;
        const [copy] = await store.query<{ id: bigint }>(`INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
          SELECT direction, participant, message_type, message_id || '-2', sha256, size_bytes, bytes FROM messages WHERE id = $1 RETURNING id`, [opening[0]!.message_id]);
        await store.query("INSERT INTO outbox (message_id, recipient, state, next_attempt_at) VALUES ($1, $2, 'PENDING', '-infinity')", [copy!.id, first]);
        const pending = await store.query<{ id: bigint; recipient: string }>("SELECT id, recipient FROM outbox WHERE state = 'PENDING' ORDER BY id");
        const refused = opening[1]!.recipient;
        // The first recipient's first delivery ends only once another recipient's delivery has started (it would
        // time out, and fail, if the pass delivered one message after another); the refused recipient's fails.
        const started: string[] = [];
        let otherStarted: () => void = () => {};
        const other = new Promise<void>((resolve) => { otherStarted = resolve; });
        const deliver = async (message: OutboundMessage): Promise<void> => {
          started.push(`${message.recipient} ${message.outboxId}`);
          if (message.recipient !== first) otherStarted();
          if (message.recipient === first && message.outboxId === pending[0]!.id) {
            let timer: ReturnType<typeof setTimeout> | undefined;
            await Promise.race([other, new Promise<void>((_, reject) => { timer = setTimeout(() => reject(new Error('delivered alone')), 5_000); })]);
            clearTimeout(timer);
            await new Promise((resolve) => setTimeout(resolve, 50));
            started.push(`${first} ${message.outboxId} ended`);
          }
          if (message.recipient === refused) throw new Error(`${refused} mailbox unavailable`);
        };
        assert.equal(await h.engine.dispatch(deliver), pending.length - 1);
        // One recipient's messages one after another, in outbox order: the second starts after the first ended.
        assert.deepEqual(started.filter((s) => s.startsWith(`${first} `)), [`${first} ${pending[0]!.id}`, `${first} ${pending[0]!.id} ended`, `${first} ${pending.at(-1)!.id}`]);
        assert.ok(started.indexOf(`${first} ${pending[0]!.id} ended`) > 1, 'other recipients were delivered to meanwhile');
        // Recorded in outbox order, whatever order the deliveries ended in: the deliveries rows' ids follow the outbox ids.
        const recorded = await store.query<{ outbox_id: bigint; ok: boolean }>('SELECT outbox_id, ok FROM deliveries ORDER BY id');
        assert.deepEqual(recorded.map((r) => r.outbox_id), pending.map((p) => p.id));
        assert.deepEqual(recorded.filter((r) => !r.ok).map((r) => r.outbox_id), pending.filter((p) => p.recipient === refused).map((p) => p.id));
      } finally {
        await h.close();
      }
    });
  });
}
