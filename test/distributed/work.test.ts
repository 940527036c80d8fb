/**
 * switch/work/distributed.ts against a real Redis (a private redis-server per test, no persistence)
 * and real PostgreSQL (a fresh schema), two engines standing for two serve processes:
 * - the work is shared: every outbox message is delivered exactly once, by one of the two, and both
 *   take part; a participant's mailbox is never worked by both at the same moment (poll lease);
 * - Redis restarting without its data (the job schedulers gone with it) does not stop the switch:
 *   the schedulers are re-created and a message stored after the restart is still delivered.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../switch/engine/engine.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { DistributedWork } from '../../switch/work/distributed.ts';
import { redisConnection } from '../../connectors/registry.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { businessDateOf } from '../../batch/calendar.ts';
import type { OutboundMessage } from '../../switch/engine/transport.ts';
import { BANKS, freshPostgresUrl, schemeConfig } from '../engine/support.ts';
import { RedisServer, until } from '../support/redis-server.ts';

const encoder = new TextEncoder();
const FAST = { pollMs: 50, relayMs: 50, sweepMs: 500 } as const;
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const config = schemeConfig();

function file(seed: number): Uint8Array {
  const sender = DEMO_BANKS[seed % DEMO_BANKS.length]!;
  return encoder.encode(buildPacs008(bulkCreditTransfer({
    seed, sender, receivers: DEMO_BANKS.filter((b) => b.bic !== sender.bic), transactionCount: 3,
    settlementDate: businessDateOf(new Date(), config.calendar), createdAt: '2026-11-27T08:00:00', messageId: `${sender.bic.slice(0, 8)}-W${seed}`,
  })));
}

async function pendingOutbox(engine: Engine): Promise<number> {
  const [row] = await engine.storeForTests().query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE state <> 'DELIVERED'`);
  return row!.n;
}

describe('distributed work (BullMQ) shared by serve processes', () => {
  it('two workers: each outbox message delivered once, both deliver, no mailbox polled by both at once', { timeout: 120_000 }, async () => {
    const redis = await RedisServer.start({ persistent: false });
    const databaseUrl = await freshPostgresUrl();
    const engines = [await Engine.open({ config, databaseUrl, xsd }), await Engine.open({ config, databaseUrl, xsd })];
    const delivered: { worker: number; outboxId: bigint }[] = [];
    const polling = new Map<string, number>();
    const polled = new Set<string>();
    let overlap = 0;
    const works = engines.map((engine, worker) => new DistributedWork({
      engine, connection: redisConnection(redis.url), participants: BANKS, periods: FAST, log: () => {},
      takeInbound: async (participant) => {
        const active = (polling.get(participant) ?? 0) + 1;
        polling.set(participant, active);
        if (active > 1) overlap++;
        polled.add(participant);
        await new Promise((resolve) => setTimeout(resolve, 20));
        polling.set(participant, (polling.get(participant) ?? 1) - 1);
      },
      deliver: async (message: OutboundMessage) => {
        await new Promise((resolve) => setTimeout(resolve, 5)); // a connector takes a moment
        delivered.push({ worker, outboxId: message.outboxId });
      },
    }));
    try {
      for (let seed = 1; seed <= 30; seed++) {
        const result = await engines[0]!.submit({ bytes: file(seed), sender: DEMO_BANKS[seed % DEMO_BANKS.length]!.bic });
        assert.equal(result.status, 'ACCP', JSON.stringify(result.report.findings));
      }
      const total = (await engines[0]!.storeForTests().query<{ n: number }>('SELECT count(*)::int AS n FROM outbox'))[0]!.n;
      assert.ok(total >= 30, 'every file has an answer waiting');
      for (const work of works) await work.start();
      await until('every outbox message delivered', async () => ((await pendingOutbox(engines[0]!)) === 0 ? true : undefined), 60_000);
      await new Promise((resolve) => setTimeout(resolve, 300)); // late duplicates, if any, would show now

      assert.equal(delivered.length, total, 'one delivery per outbox message');
      assert.equal(new Set(delivered.map((d) => d.outboxId)).size, total, 'no message delivered twice');
      const [twice] = await engines[0]!.storeForTests().query<{ n: number }>(
        'SELECT count(*)::int AS n FROM (SELECT outbox_id FROM deliveries WHERE ok GROUP BY outbox_id HAVING count(*) > 1) d');
      assert.equal(twice!.n, 0);
      const byWorker = [0, 1].map((w) => delivered.filter((d) => d.worker === w).length);
      assert.ok(byWorker.every((n) => n > 0), `both workers delivered: ${byWorker.join(' / ')}`);
      assert.deepEqual([...polled].sort(), [...BANKS].sort(), 'every participant is polled');
      assert.equal(overlap, 0, 'a mailbox was never worked by two at once');
    } finally {
      for (const work of works) await work.stop();
      for (const engine of engines) await engine.close();
      await redis.stop();
    }
  });

  it('Redis restarted without its data: schedulers re-created, later messages still delivered', { timeout: 120_000 }, async () => {
    const redis = await RedisServer.start({ persistent: false });
    const engine = await Engine.open({ config, databaseUrl: await freshPostgresUrl(), xsd });
    const delivered = new Set<bigint>();
    const logged: string[] = [];
    const work = new DistributedWork({
      engine, connection: redisConnection(redis.url), participants: BANKS, periods: FAST, log: (line) => logged.push(line),
      takeInbound: async () => {}, deliver: async (message) => { delivered.add(message.outboxId); },
    });
    try {
      await work.start();
      await engine.submit({ bytes: file(101), sender: DEMO_BANKS[101 % DEMO_BANKS.length]!.bic });
      await until('the first answer delivered', async () => ((await pendingOutbox(engine)) === 0 ? true : undefined), 20_000);
      const before = delivered.size;

      await redis.restart(); // SIGKILL, back empty: no schedulers, no jobs
      await engine.submit({ bytes: file(102), sender: DEMO_BANKS[102 % DEMO_BANKS.length]!.bic });
      await until('the answer stored after the restart delivered', async () => ((await pendingOutbox(engine)) === 0 ? true : undefined), 45_000);
      assert.ok(delivered.size > before);
      assert.ok(logged.some((line) => /schedulers missing from Redis/.test(line)), logged.join('\n'));
    } finally {
      await work.stop();
      await engine.close();
      await redis.stop();
    }
  });

  it('the register changes while serve runs: a participant added is polled, one retired no longer', { timeout: 60_000 }, async () => {
    const redis = await RedisServer.start({ persistent: false });
    const engine = await Engine.open({ config, databaseUrl: await freshPostgresUrl(), xsd });
    const polled: string[] = [];
    const [first, added, ...rest] = BANKS;
    const work = new DistributedWork({
      engine, connection: redisConnection(redis.url), participants: [first!, ...rest], periods: FAST, log: () => {},
      takeInbound: async (participant) => { polled.push(participant); }, deliver: async () => {},
    });
    try {
      await work.start();
      await until('the first participant polled', async () => (polled.includes(first!) ? true : undefined), 20_000);
      assert.ok(!polled.includes(added!), 'not a participant yet: not polled');
      await work.setParticipants([added!, ...rest]); // `added` joins, `first` retires
      await until('the participant added polled', async () => (polled.includes(added!) ? true : undefined), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 300)); // a poll of it already due when it retired may still run
      polled.length = 0;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.ok(polled.length > 0 && !polled.includes(first!), `the retired participant is no longer polled: ${polled.join(', ')}`);
    } finally {
      await work.stop();
      await engine.close();
      await redis.stop();
    }
  });
});
