/**
 * The simulation's `crash` fault (docs/simulation.md): the switch runs in a child process that kills
 * itself with SIGKILL at a crash point (switch/engine/crash.ts) and is started again on the same store
 * while the banks, the agent and the judge carry on. For every crash point a seed's day killed there
 * holds every invariant; the same seed and crash give the same files; and the judge is not blind to a
 * restart gone wrong: a delivery the recipient had already fetched made again, or a switch started
 * again on an empty store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { crashPlanOf, simulateDay, type SimulationResult } from '../../switch/sim/day.ts';
import { crashPoints, type CrashPoint } from '../../switch/engine/crash.ts';
import { parseFaults } from '../../switch/sim/faults.ts';
import { freshPostgresUrl } from '../engine/support.ts';

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const scratch = (): string => mkdtempSync(join(tmpdir(), 'clearhouse-sim-crash-'));

/** The engine call the switch was serving when it died at each point (the sim's calls: day.ts). */
const servingAt: Record<CrashPoint, readonly string[]> = {
  'intake.before-commit': ['submit'], 'intake.after-commit': ['submit'], 'cut-off.after-commit': ['closeCycle'],
  'netting.before-commit': ['closeCycle'], 'settlement.after-instructions': ['closeCycle'], 'settlement.mid-answers': ['submit'],
  'dispatch.after-deliver': ['dispatch'],
};

function assertHeldAfterCrash(result: SimulationResult, point: CrashPoint): void {
  assert.ok(result.crash, 'the crash fault is on by default');
  assert.equal(result.crash.plan.point, point);
  assert.equal(result.crash.restarted, true, `seed ${result.seed}: the switch never reached ${point} #${result.crash.plan.occurrence}`);
  assert.ok(servingAt[point].includes(result.crash.during!), `died in ${result.crash.during}`);
  assert.equal(result.counts['crash restarts'], 1);
  assert.ok(result.verdict.ok, `seed ${result.seed}, SIGKILL at ${point} #${result.crash.plan.occurrence}: ${result.verdict.problems.join('\n')}`);
  for (const invariant of ['deliveredOnce', 'creditorOnce', 'oneFinal', 'settledDelivered', 'bookedOnce', 'settledNet', 'sumZero']) {
    assert.ok((result.verdict.checked[invariant] ?? 0) > 0, `seed ${result.seed}: ${invariant} never checked`);
  }
}

/** Drop and create again the schema of a freshPostgresUrl: the store as a new installation would find it. */
async function emptySchema(url: string): Promise<void> {
  const parsed = new URL(url);
  const schema = /search_path=(\w+)/.exec(parsed.searchParams.get('options') ?? '')![1]!;
  parsed.searchParams.delete('options');
  const client = new pg.Client({ connectionString: parsed.toString() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
}

describe('clearhouse simulate: SIGKILL of the switch at its crash points, and restart', () => {
  const killed = new Map<CrashPoint, SimulationResult>();
  // One seed per crash point (seed 101 + the point's index), killed at that seed's pass of the point.
  for (const [index, point] of crashPoints.entries()) {
    const seed = 101 + index;
    it(`seed ${seed}: killed at ${point} #${crashPlanOf(seed, point).occurrence}, restarted on the same PostgreSQL schema, holds every invariant`, async () => {
      const result = await simulateDay({ seed, out: scratch(), xsd, databaseUrl: await freshPostgresUrl(), crash: crashPlanOf(seed, point) });
      assertHeldAfterCrash(result, point);
      killed.set(point, result);
    });
  }

  it('the crash is the seed\'s, drawn apart from its traffic', () => {
    const plan = crashPlanOf(5);
    assert.ok(crashPoints.includes(plan.point) && plan.occurrence >= 1);
    assert.deepEqual(crashPlanOf(5), plan, 'the same seed, the same crash');
    assert.ok(new Set(Array.from({ length: 40 }, (_, i) => crashPlanOf(i + 1).point)).size === crashPoints.length, 'seeds 1..40 go over every crash point');
  });

  it('the same seed and crash give the same files (a kill before a commit: message numbers lost with it, the same each time)', async () => {
    const first = killed.get('netting.before-commit');
    assert.ok(first, 'the netting.before-commit day ran');
    const again = await simulateDay({ seed: first.seed, out: scratch(), xsd, databaseUrl: await freshPostgresUrl(), crash: first.crash!.plan });
    assert.equal(again.digest, first.digest);
    assert.deepEqual(again.counts, first.counts);
  });

  it('a kill between a delivery and its commit changes no file: the day without the crash has the same bytes', async () => {
    const crashed = killed.get('dispatch.after-deliver');
    assert.ok(crashed, 'the dispatch.after-deliver day ran');
    assert.ok((crashed.counts['deliveries repeated onto the waiting file'] ?? 0) > 0, 'the delivery made again found its first copy waiting');
    const crashFree = await simulateDay({ seed: crashed.seed, out: scratch(), xsd, databaseUrl: await freshPostgresUrl(), faults: parseFaults('default,-crash') });
    assert.equal(crashFree.crash, undefined);
    assert.equal(crashFree.counts['crash restarts'], undefined);
    assert.equal(crashed.digest, crashFree.digest);
  });

  it('the judge reports a delivery made again after the recipient had fetched the first copy', async () => {
    const plan = killed.get('dispatch.after-deliver')?.crash?.plan;
    assert.ok(plan);
    const result = await simulateDay({ seed: 101 + crashPoints.indexOf('dispatch.after-deliver'), out: scratch(), xsd, databaseUrl: await freshPostgresUrl(), crash: plan,
      // The recipient fetches the file delivered just before the kill, before the new switch process delivers it again.
      brokenRestart: (report, mailboxes) => { mailboxes.archiveOutbound(report.lastDelivery!.recipient, report.lastDelivery!.fileName); } });
    assert.equal(result.crash?.restarted, true);
    assert.equal(result.verdict.ok, false);
    assert.ok(result.verdict.problems.some((p) => p.startsWith('nothing delivered twice')), result.verdict.problems.join('\n'));
  });

  it('the judge reports a switch started again on an empty store (everything before the kill lost)', async () => {
    const databaseUrl = await freshPostgresUrl();
    const result = await simulateDay({ seed: 6, out: scratch(), xsd, databaseUrl, crash: { point: 'settlement.mid-answers', occurrence: 2 },
      brokenRestart: () => emptySchema(databaseUrl) });
    assert.equal(result.crash?.restarted, true);
    assert.equal(result.verdict.ok, false);
    assert.ok(result.verdict.problems.some((p) => p.startsWith('every transaction has exactly one final status to its sender')), result.verdict.problems.join('\n'));
  });
});
