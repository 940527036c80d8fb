/**
 * Deliveries given up are listed and can be retried (issue 10: "three outbox rows reached FAILED
 * while `dead-letters` said there were none"): engine.failedDeliveries lists FAILED outbox rows with
 * the dead queue jobs, `clearhouse dead-letters` shows them, and `dead-letters retry ID|--all`
 * (engine.retryFailedDeliveries, recorded first) puts them back to PENDING for the next dispatch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { Engine } from '../../switch/engine/engine.ts';
import { DELIVERY_ATTEMPTS_MAX } from '../../switch/engine/dispatcher.ts';
import { cli, root, sharedClock } from '../support/cli-workspace.ts';
import { CLOCK_VARIABLE } from '../../switch/clock.ts';
import { backends, freshPostgresUrl, schemeConfig, TestClock } from './support.ts';
import { migratedTemplate } from '../support/store-template.ts';

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const who = { actor: 'ops-bob', reason: 'TICKET-9 bank B back up' };

for (const backend of backends) {
  describe(`failed deliveries (${backend})`, () => {
    it('FAILED outbox rows are listed, retried (recorded) and delivered', async () => {
      const clock = new TestClock();
      const databaseUrl = backend === 'postgres' ? await freshPostgresUrl() : undefined;
      const engine = await Engine.open({ config: schemeConfig(), clock, xsd, ...(databaseUrl ? { databaseUrl } : { startFrom: await migratedTemplate() }) });
      try {
        // The cycle opened (COPN) and a bank suspended (PSUS): admi.004s for every participant.
        await engine.suspendParticipant('BANKFRPPXXX', who);
        const down = async () => { throw new Error('mailbox of bank B unreachable'); };
        for (let attempt = 0; attempt < DELIVERY_ATTEMPTS_MAX; attempt++) {
          await engine.dispatch(async (m) => (m.recipient === 'BANKFRPPXXX' || m.recipient === 'BANKNL2AXXX' ? down() : undefined));
          clock.advance(10 * 60_000);
        }
        const failed = await engine.failedDeliveries();
        assert.deepEqual([...new Set(failed.map((f) => f.participant))].sort(), ['BANKFRPPXXX', 'BANKNL2AXXX']);
        assert.equal(failed.length, 4, 'two notices each for the two unreachable banks');
        assert.ok(failed.every((f) => f.kind === 'outbox' && f.attempts === DELIVERY_ATTEMPTS_MAX && /unreachable/.test(f.lastError ?? '')));

        if (databaseUrl) {
          const listed = spawnSync(process.execPath, [cli, 'dead-letters', '--json'], {
            cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: '' }, encoding: 'utf8', timeout: 60_000,
          });
          assert.equal(listed.status, 0, listed.stderr);
          assert.deepEqual((JSON.parse(listed.stdout) as Array<{ id: string }>).map((r) => r.id).sort(), failed.map((f) => f.id).sort());
        }

        const first = failed.find((f) => f.participant === 'BANKFRPPXXX')!;
        assert.deepEqual(await engine.retryFailedDeliveries(first.outboxId!, who), [first.outboxId]);
        assert.equal((await engine.failedDeliveries()).length, failed.length - 1);
        if (databaseUrl) {
          // The operator's command: `dead-letters retry --all`, recorded, refused without a reason.
          // On the engine's clock: the rows become due at the command's now.
          const retry = (...args: string[]) => spawnSync(process.execPath, [cli, 'dead-letters', 'retry', ...args], {
            cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: '', [CLOCK_VARIABLE]: sharedClock(clock.now()).setting },
            encoding: 'utf8', timeout: 60_000,
          });
          assert.equal(retry('--all', '--operator', who.actor).status, 2);
          const retried = retry('--all', '--operator', who.actor, '--reason', who.reason);
          assert.equal(retried.status, 0, retried.stderr);
          assert.match(retried.stdout, /3 delivery\(ies\) due again/);
        } else {
          await engine.retryFailedDeliveries('all', who);
        }
        assert.equal((await engine.failedDeliveries()).length, 0);
        await assert.rejects(engine.retryFailedDeliveries('all', who), /no failed outbox delivery/);
        clock.advance(60_000); // past the command's now (its clock ran on while it started)
        const delivered: string[] = [];
        while ((await engine.dispatch(async (m) => { delivered.push(m.recipient); })) > 0) { /* all due */ }
        assert.deepEqual(delivered.sort(), ['BANKFRPPXXX', 'BANKFRPPXXX', 'BANKNL2AXXX', 'BANKNL2AXXX']);
        const journal = (await engine.operatorActions()).filter((a) => a.action === 'delivery.retry');
        assert.deepEqual(journal.map((a) => a.subject).reverse(), [`outbox:${first.outboxId}`, 'outbox']);
      } finally {
        await engine.close();
      }
    });
  });
}
