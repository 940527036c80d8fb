/**
 * The pure scoring (switch/risk/scoring.ts) and its configuration (switch/risk/scoring-config.ts):
 * each feature's value, contribution and explanation from given statistics; the score's cap and order;
 * the thresholds; the `risk.scoring` section's check.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accountKey, localMinutes, scoreBand, scorePayment, type ScoringStatistics } from '../../switch/risk/scoring.ts';
import { checkScoringConfig, SCORING_DEFAULTS, type ScoringConfig } from '../../switch/risk/scoring-config.ts';
import type { RiskScore } from '../../switch/risk/types.ts';
import { facts } from './support.ts';

const quiet: ScoringStatistics = { debtorPaymentsLastHour: 0, debtorPaymentsLastDay: 0, creditorNewDebtorsLastDay: 0,
  pairFirstSeenAt: new Date('2026-10-01T00:00:00Z'), creditorFirstSeenAt: new Date('2026-01-01T00:00:00Z') };
/** Ten payments of about EUR 100.00, ln spread 0.2. */
const history = { count: 10, logAmountMean: Math.log(10_000), logAmountM2: 0.04 * 9 };
const W = SCORING_DEFAULTS.weights;

function featureOf(score: RiskScore, name: string) {
  const found = score.features.find((f) => f.name === name);
  assert.ok(found, `feature ${name} present`);
  return found;
}

describe('scoring features', () => {
  const cases: Array<{ name: string; feature: string; statistics?: Partial<ScoringStatistics>; facts?: Parameters<typeof facts>[0];
    levels?: { debtor?: 'low' | 'medium' | 'high'; creditor?: 'low' | 'medium' | 'high' }; contribution: number; explains: RegExp }> = [
    { name: 'amount at its usual size', feature: 'amount', statistics: { debtorHistory: history }, contribution: 0, explains: /0\.0 standard deviations/ },
    { name: 'amount e^1 times the usual: 5 deviations, full weight', feature: 'amount', statistics: { debtorHistory: history },
      facts: { amount: BigInt(Math.round(10_000 * Math.E)) }, contribution: W.amount, explains: /5\.0 standard deviations/ },
    { name: 'amount 3 deviations: half weight', feature: 'amount', statistics: { debtorHistory: history },
      facts: { amount: BigInt(Math.round(10_000 * Math.exp(0.6))) }, contribution: W.amount / 2, explains: /3\.0 standard deviations/ },
    { name: 'amount without a baseline counts nothing', feature: 'amount', statistics: { debtorHistory: { ...history, count: 2 } },
      facts: { amount: 10_000_000n }, contribution: 0, explains: /2 earlier EUR payments by the debtor account \(fewer than 3\): no baseline yet/ },
    { name: 'smaller than usual counts nothing', feature: 'amount', statistics: { debtorHistory: history }, facts: { amount: 100n },
      contribution: 0, explains: /-23\.0 standard deviations/ },
    { name: 'two payments in the hour are usual', feature: 'velocity', statistics: { debtorPaymentsLastHour: 1, debtorPaymentsLastDay: 2 },
      contribution: 0, explains: /^2 payments by the debtor account in the last hour \(usual up to 2\), 3 in the last 24 hours/ },
    { name: 'five in the hour: full weight', feature: 'velocity', statistics: { debtorPaymentsLastHour: 4, debtorPaymentsLastDay: 4 },
      contribution: W.velocity, explains: /^5 payments/ },
    { name: 'twenty in the day: half weight', feature: 'velocity', statistics: { debtorPaymentsLastHour: 0, debtorPaymentsLastDay: 19 },
      contribution: W.velocity / 2, explains: /20 in the last 24 hours/ },
    { name: 'a known creditor', feature: 'newCreditor', contribution: 0, explains: /has paid this creditor account since 2026-10-01/ },
    { name: 'a first payment to this creditor', feature: 'newCreditor', statistics: { pairFirstSeenAt: undefined },
      contribution: W.newCreditor, explains: /first payment from the debtor account to this creditor account/ },
    { name: 'one new debtor is no fan-in', feature: 'muleFanIn', statistics: { pairFirstSeenAt: undefined, creditorFirstSeenAt: undefined },
      contribution: 0, explains: /^1 distinct debtor accounts .* paid for the first time/ },
    { name: 'the fifth new debtor of a new creditor account: full weight', feature: 'muleFanIn',
      statistics: { pairFirstSeenAt: undefined, creditorNewDebtorsLastDay: 4, creditorFirstSeenAt: new Date('2026-11-26T09:00:00Z') },
      contribution: W.muleFanIn, explains: /^5 distinct .* new \(first paid 3\.0 h ago\)/ },
    { name: 'five new debtors of an old creditor account: half', feature: 'muleFanIn',
      statistics: { pairFirstSeenAt: undefined, creditorNewDebtorsLastDay: 4 }, contribution: W.muleFanIn / 2, explains: /known .*counted half/ },
    { name: 'a known pair adds no new debtor', feature: 'muleFanIn', statistics: { creditorNewDebtorsLastDay: 1,
      creditorFirstSeenAt: new Date('2026-11-26T09:00:00Z') }, contribution: 0, explains: /^1 distinct/ },
    { name: 'noon is usual', feature: 'timeOfDay', contribution: 0, explains: /received at 13:00 Europe\/Berlin, within/ },
    { name: '03:30 in Berlin is not', feature: 'timeOfDay', facts: { receivedAt: new Date('2026-11-26T02:30:00Z') },
      contribution: W.timeOfDay, explains: /received at 03:30 Europe\/Berlin, outside the usual hours 06:00–23:00/ },
    { name: '04:30 UTC in July is 06:30 in Berlin (summer time): usual', feature: 'timeOfDay',
      facts: { receivedAt: new Date('2026-07-01T04:30:00Z') }, contribution: 0, explains: /06:30/ },
    { name: '04:30 UTC in November is 05:30 in Berlin: not', feature: 'timeOfDay',
      facts: { receivedAt: new Date('2026-11-26T04:30:00Z') }, contribution: W.timeOfDay, explains: /05:30/ },
    { name: 'unknown risk levels count nothing', feature: 'accountRisk', contribution: 0, explains: /unknown/ },
    { name: 'a high-risk creditor account counts in full', feature: 'accountRisk', levels: { debtor: 'low', creditor: 'high' },
      contribution: W.accountRisk, explains: /debtor account risk level low, creditor account high/ },
    { name: 'a medium-risk debtor account counts 0.4', feature: 'accountRisk', levels: { debtor: 'medium' },
      contribution: W.accountRisk * 0.4, explains: /medium/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const score = scorePayment(facts(c.facts), { ...quiet, ...c.statistics }, c.levels ?? {}, SCORING_DEFAULTS, 'Europe/Berlin');
      const f = featureOf(score, c.feature);
      assert.equal(f.contribution, c.contribution);
      assert.match(f.explanation, c.explains);
    });
  }
});

describe('the score', () => {
  it('is the sum of the contributions, sorted largest first, capped at 100', () => {
    const mild = scorePayment(facts({ receivedAt: new Date('2026-11-26T02:30:00Z') }), { ...quiet, pairFirstSeenAt: undefined },
      {}, SCORING_DEFAULTS, 'Europe/Berlin');
    assert.equal(mild.score, W.timeOfDay + W.newCreditor);
    assert.deepEqual(mild.features.slice(0, 2).map((f) => f.name), ['timeOfDay', 'newCreditor']);
    assert.equal(mild.features.length, 6);
    for (let i = 1; i < mild.features.length; i++) assert.ok(mild.features[i - 1]!.contribution >= mild.features[i]!.contribution);
    const takeover = scorePayment(facts({ amount: 10_000_000n, receivedAt: new Date('2026-11-26T02:30:00Z') }),
      { ...quiet, debtorHistory: history, pairFirstSeenAt: undefined, debtorPaymentsLastHour: 9 }, { debtor: 'high' }, SCORING_DEFAULTS, 'UTC');
    assert.equal(takeover.score, 100);
    assert.equal(takeover.features[0]!.name, 'amount');
  });

  it('a zero weight silences its feature, whatever its value', () => {
    const config: ScoringConfig = { ...SCORING_DEFAULTS, weights: { ...SCORING_DEFAULTS.weights, timeOfDay: 0 } };
    const score = scorePayment(facts({ receivedAt: new Date('2026-11-26T02:30:00Z') }), quiet, {}, config, 'Europe/Berlin');
    assert.equal(featureOf(score, 'timeOfDay').value, 1);
    assert.equal(score.score, 0);
  });

  it('bands by the thresholds: hold from holdThreshold, reject from rejectThreshold', () => {
    assert.equal(scoreBand(SCORING_DEFAULTS.holdThreshold - 0.1, SCORING_DEFAULTS), 'pass');
    assert.equal(scoreBand(SCORING_DEFAULTS.holdThreshold, SCORING_DEFAULTS), 'hold');
    assert.equal(scoreBand(SCORING_DEFAULTS.rejectThreshold, SCORING_DEFAULTS), 'reject');
  });

  it('keys an account by its institution (BIC8 and BIC11 alike) and identifier', () => {
    assert.equal(accountKey('BANKDEFF', 'DE01'), accountKey('BANKDEFFXXX', 'DE01'));
    assert.notEqual(accountKey('BANKDEFFXXX', '123'), accountKey('BANKFRPPXXX', '123'));
  });

  it('reads local time in the scheme time zone', () => {
    assert.equal(localMinutes(new Date('2026-03-29T00:30:00Z'), 'Europe/Berlin'), 90);
    assert.equal(localMinutes(new Date('2026-03-29T01:30:00Z'), 'Europe/Berlin'), 3 * 60 + 30);
  });
});

describe('risk.scoring configuration', () => {
  it('absent: the defaults', () => {
    const problems: string[] = [];
    assert.deepEqual(checkScoringConfig('risk.scoring', undefined, problems), SCORING_DEFAULTS);
    assert.deepEqual(problems, []);
  });

  it('takes partial weights and keeps the other defaults', () => {
    const problems: string[] = [];
    const config = checkScoringConfig('risk.scoring', { weights: { amount: 60 }, holdThreshold: 40 }, problems);
    assert.deepEqual(problems, []);
    assert.equal(config.weights.amount, 60);
    assert.equal(config.weights.muleFanIn, SCORING_DEFAULTS.weights.muleFanIn);
    assert.equal(config.holdThreshold, 40);
  });

  it('collects every problem with its path', () => {
    const problems: string[] = [];
    checkScoringConfig('risk.scoring', { weights: { amount: -1, mules: 3 }, holdThreshold: 90, rejectThreshold: 70,
      usualHoursFrom: '7am', velocityHourUsual: 2.5, colour: 'red' }, problems);
    assert.deepEqual(problems.sort(), [
      'risk.scoring.colour: unknown field (known: weights, holdThreshold, rejectThreshold, usualHoursFrom, usualHoursUntil, amountZFrom, ' +
        'amountZFull, amountHistoryMin, velocityHourUsual, velocityHourFull, velocityDayUsual, velocityDayFull, muleDebtorsFull, newCreditorAccountHours)',
      'risk.scoring.rejectThreshold: must not be below holdThreshold',
      'risk.scoring.usualHoursFrom: "7am" must be a local time "HH:MM"',
      'risk.scoring.velocityHourUsual: 2.5 must be a whole number from 0 to 1000000',
      'risk.scoring.weights.amount: -1 must be a number from 0 to 100',
      'risk.scoring.weights.mules: unknown feature (known: amount, velocity, newCreditor, muleFanIn, timeOfDay, accountRisk)',
    ]);
  });
});

describe('the scheme configuration carries risk.scoring', () => {
  const base = { name: 's', currencies: ['EUR'], participants: [{ bic: 'BANKDEFFXXX', name: 'A', status: 'active', currencies: ['EUR'] }] };
  it('checked with the rest of the file', async () => {
    const { checkConfig, ConfigError } = await import('../../switch/config.ts');
    assert.equal(checkConfig({ ...base, risk: { scoring: { rejectThreshold: 95 } } }).risk?.scoring?.rejectThreshold, 95);
    assert.equal(checkConfig(base).risk, undefined);
    assert.throws(() => checkConfig({ ...base, risk: { scoring: { holdThreshold: 'high' } } }),
      (e: unknown) => e instanceof ConfigError && /risk\.scoring\.holdThreshold: "high" must be a number from 0 to 100/.test(e.message));
  });
});
