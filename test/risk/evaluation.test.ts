/**
 * `clearhouse risk evaluate`'s replay (switch/risk/evaluation.ts) on the embedded store: on seed 1 the
 * default scoring holds most of the labelled fraud with few honest payments, above stated floors; with
 * a feature's weight zeroed the fraud it exists for slips through and the floors are no longer met; the
 * same seed gives the same scores; and the command prints the report.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { evaluateScoring, type EvaluationReport } from '../../switch/risk/evaluation.ts';
import { SCORING_DEFAULTS, type ScoringConfig, type ScoringFeatureName } from '../../switch/risk/scoring-config.ts';
import { syntheticDay } from '../../switch/risk/synthetic-day.ts';
import type { Database } from '../../switch/store/database.ts';
import { openStore } from './support.ts';

/** The floors the defaults must keep on seed 1, 500 payments (measured: docs/risk.md "Scoring"). */
const FLOORS = { precisionAtHold: 0.6, recallAtHold: 0.55, takeoverRecallAtHold: 0.6, muleRecallAtHold: 0.35, precisionAtReject: 0.6 } as const;
const SEED = 1;
const PAYMENTS = 500;

async function evaluate(config: ScoringConfig, payments = PAYMENTS): Promise<EvaluationReport> {
  const db: Database = await openStore('pglite');
  try {
    return await evaluateScoring(db, { seed: SEED, payments, config });
  } finally {
    await db.close();
  }
}

function without(feature: ScoringFeatureName): ScoringConfig {
  return { ...SCORING_DEFAULTS, weights: { ...SCORING_DEFAULTS.weights, [feature]: 0 } };
}

describe('risk evaluate on seed 1', () => {
  let defaults: EvaluationReport;
  before(async () => { defaults = await evaluate(SCORING_DEFAULTS); });
  after(() => { console.log(JSON.stringify({ hold: defaults.hold, reject: defaults.reject, byKind: defaults.byKind })); });

  it('holds the labelled fraud above the floors, and rejects only with confidence', () => {
    assert.equal(defaults.payments, PAYMENTS);
    assert.ok(defaults.fraud >= 25, `${defaults.fraud} fraud payments`);
    assert.ok(defaults.hold.precision >= FLOORS.precisionAtHold, `precision at hold ${defaults.hold.precision}`);
    assert.ok(defaults.hold.recall >= FLOORS.recallAtHold, `recall at hold ${defaults.hold.recall}`);
    assert.ok(defaults.byKind.takeover.recallAtHold >= FLOORS.takeoverRecallAtHold, `takeover ${defaults.byKind.takeover.recallAtHold}`);
    assert.ok(defaults.byKind.mule.recallAtHold >= FLOORS.muleRecallAtHold, `mule ${defaults.byKind.mule.recallAtHold}`);
    assert.ok(defaults.reject.flagged > 0 && defaults.reject.precision >= FLOORS.precisionAtReject, `precision at reject ${defaults.reject.precision}`);
    assert.ok(defaults.reject.flagged < defaults.hold.flagged);
    assert.ok(defaults.costMicrosecondsPerPayment.total > 0);
  });

  it('without the mule fan-in feature the mule rings pass and recall falls below its floor', async () => {
    const broken = await evaluate(without('muleFanIn'));
    assert.ok(broken.byKind.mule.recallAtHold < 0.1, `mule recall ${broken.byKind.mule.recallAtHold}`);
    assert.ok(broken.hold.recall < FLOORS.recallAtHold, `recall ${broken.hold.recall}`);
    assert.equal(broken.byKind.takeover.recallAtHold, defaults.byKind.takeover.recallAtHold, 'takeovers unaffected');
  });

  it('without the amount feature the account takeovers pass and recall falls below its floor', async () => {
    const broken = await evaluate(without('amount'));
    assert.ok(broken.byKind.takeover.recallAtHold < 0.2, `takeover recall ${broken.byKind.takeover.recallAtHold}`);
    assert.ok(broken.hold.recall < FLOORS.recallAtHold, `recall ${broken.hold.recall}`);
  });

  it('the same seed gives the same day and the same scores; another seed another', async () => {
    assert.deepEqual(syntheticDay(SEED, 100), syntheticDay(SEED, 100));
    assert.notDeepEqual(syntheticDay(SEED, 100).payments, syntheticDay(SEED + 1, 100).payments);
    const [a, b] = [await evaluate(SCORING_DEFAULTS, 100), await evaluate(SCORING_DEFAULTS, 100)];
    assert.equal(a.scoresDigest, b.scoresDigest);
    assert.deepEqual({ ...a, costMicrosecondsPerPayment: 0 }, { ...b, costMicrosecondsPerPayment: 0 });
  });
});

describe('clearhouse risk evaluate', () => {
  it('prints the report as JSON, and refuses a size out of bounds (exit 2)', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['bin/clearhouse.js', 'risk', 'evaluate', ...args], { encoding: 'utf8' });
    const ok = run(['--seed', '7', '--payments', '100', '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as EvaluationReport & { config: ScoringConfig };
    assert.equal(report.seed, 7);
    assert.equal(report.payments, 100);
    assert.equal(report.config.holdThreshold, SCORING_DEFAULTS.holdThreshold);
    assert.ok(report.hold.flagged > 0);
    const refused = run(['--payments', '99']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--payments takes a whole number from 100 to 200000, not 99/);
  });
});
