/**
 * The scoring statistics in the store (switch/risk/statistics.ts, migration 018) on PGlite and
 * PostgreSQL: Welford's mean and variance of ln(amount) equal a direct computation; velocity and fan-in
 * windows; first payment to a creditor; old buckets pruned; and, on PostgreSQL, payments recorded by
 * concurrent transactions all counted exactly (a pair paid at once by two transactions is one new debtor).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pruneScoringBuckets, readScoringStatistics, recordScoringStatistics, StatisticsScorer } from '../../switch/risk/statistics.ts';
import { SCORING_DEFAULTS } from '../../switch/risk/scoring-config.ts';
import type { Database } from '../../switch/store/database.ts';
import { backends, facts, openStore } from './support.ts';

const at = (iso: string): Date => new Date(iso);
const MINUTE = 60_000;

for (const backend of backends) {
  describe(`scoring statistics on ${backend}`, () => {
    let db: Database;
    before(async () => { db = await openStore(backend); });
    after(async () => { await db.close(); });

    it("keeps Welford's mean and M2 of ln(amount) per debtor account and currency", async () => {
      const amounts = [1_000n, 2_500n, 400n, 99_999n, 12_345n, 7n, 5_000n];
      const debtorAccount = 'DE00WELFORD';
      for (const [i, amount] of amounts.entries()) {
        await db.transaction((tx) => recordScoringStatistics(tx, facts({ debtorAccount, amount, receivedAt: at(`2026-11-2${i % 3 + 1}T10:00:00Z`) })));
      }
      await db.transaction((tx) => recordScoringStatistics(tx, facts({ debtorAccount, currency: 'SEK', amount: 1n })));
      const logs = amounts.map((a) => Math.log(Number(a)));
      const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
      const m2 = logs.reduce((s, x) => s + (x - mean) ** 2, 0);
      const statistics = await db.transaction((tx) => readScoringStatistics(tx, facts({ debtorAccount })));
      assert.equal(statistics.debtorHistory?.count, amounts.length);
      assert.ok(Math.abs(statistics.debtorHistory!.logAmountMean - mean) < 1e-9);
      assert.ok(Math.abs(statistics.debtorHistory!.logAmountM2 - m2) < 1e-9);
      const sek = await db.transaction((tx) => readScoringStatistics(tx, facts({ debtorAccount, currency: 'SEK' })));
      assert.equal(sek.debtorHistory?.count, 1);
      assert.equal(sek.debtorHistory?.logAmountM2, 0);
    });

    it('counts a debtor account\'s payments in the last hour and day by 5-minute buckets', async () => {
      const debtorAccount = 'DE00VELOCITY';
      const noon = at('2026-11-26T12:00:00Z').getTime();
      // 26 h ago (pruned when the account is next recorded), 23 h ago, 90 min ago, 50 and 2 minutes ago.
      for (const minutesAgo of [26 * 60, 23 * 60, 90, 50, 2]) {
        await db.transaction((tx) => recordScoringStatistics(tx, facts({ debtorAccount, receivedAt: new Date(noon - minutesAgo * MINUTE) })));
      }
      const statistics = await db.transaction((tx) => readScoringStatistics(tx, facts({ debtorAccount, receivedAt: new Date(noon) })));
      assert.equal(statistics.debtorPaymentsLastHour, 2);
      assert.equal(statistics.debtorPaymentsLastDay, 4);
      const [rows] = await db.query<{ n: bigint }>("SELECT count(*) AS n FROM scoring_debtor_velocity WHERE debtor_account LIKE '%/DE00VELOCITY'");
      assert.equal(rows?.n, 4n, 'the 26-hour-old bucket was deleted when the account was recorded later');
      const later = await db.transaction((tx) => readScoringStatistics(tx, facts({ debtorAccount, receivedAt: new Date(noon + 2 * 60 * MINUTE) })));
      assert.equal(later.debtorPaymentsLastHour, 0);
      assert.equal(later.debtorPaymentsLastDay, 3);
    });

    it('knows the first payment to a creditor and counts distinct new debtors of a creditor over 24 hours', async () => {
      const creditorAccount = 'NL00MULE';
      const start = at('2026-11-26T08:00:00Z').getTime();
      const before = await db.transaction((tx) => readScoringStatistics(tx, facts({ debtorAccount: 'D1', creditorAccount, receivedAt: new Date(start) })));
      assert.equal(before.pairFirstSeenAt, undefined);
      assert.equal(before.creditorFirstSeenAt, undefined);
      // Six debtors, one of them three times; the first 30 hours earlier (outside the day).
      const payments = [['D0', -30 * 60], ['D1', 0], ['D2', 10], ['D1', 20], ['D3', 30], ['D1', 40], ['D4', 50]] as const;
      for (const [debtorAccount, minutes] of payments) {
        await db.transaction((tx) => recordScoringStatistics(tx, facts({ debtorAccount, creditorAccount, receivedAt: new Date(start + minutes * MINUTE) })));
      }
      const now = new Date(start + 60 * MINUTE);
      const known = await db.transaction((tx) => readScoringStatistics(tx, facts({ debtorAccount: 'D1', creditorAccount, receivedAt: now })));
      assert.deepEqual(known.pairFirstSeenAt, new Date(start));
      assert.equal(known.creditorNewDebtorsLastDay, 4, 'D1..D4: distinct, within 24 hours');
      assert.deepEqual(known.creditorFirstSeenAt, new Date(start - 30 * 60 * MINUTE));
      const fresh = await db.transaction((tx) => readScoringStatistics(tx, facts({ debtorAccount: 'D5', creditorAccount, receivedAt: now })));
      assert.equal(fresh.pairFirstSeenAt, undefined);
    });

    it('scores through the port: a fifth new debtor of a creditor is a mule pattern, with its explanation', async () => {
      const scorer = new StatisticsScorer({ config: SCORING_DEFAULTS, timeZone: 'Europe/Berlin',
        accountRiskLevel: (_agent, account) => (account === 'NL00HIGH' ? 'high' : undefined) });
      const creditorAccount = 'NL00HIGH';
      const start = at('2026-11-26T09:00:00Z').getTime();
      for (let i = 0; i < 4; i++) {
        await db.transaction((tx) => scorer.record(tx, facts({ debtorAccount: `DM${i}`, creditorAccount, receivedAt: new Date(start + i * MINUTE) })));
      }
      const score = await db.transaction((tx) => scorer.score(tx, facts({ debtorAccount: 'DM9', creditorAccount, receivedAt: new Date(start + 10 * MINUTE) })));
      const mule = score.features.find((f) => f.name === 'muleFanIn')!;
      assert.equal(mule.value, 5);
      assert.equal(mule.contribution, SCORING_DEFAULTS.weights.muleFanIn);
      assert.match(mule.explanation, /5 distinct debtor accounts .* new \(first paid 0\.2 h ago\)/);
      assert.equal(score.features.find((f) => f.name === 'accountRisk')!.contribution, SCORING_DEFAULTS.weights.accountRisk);
      const w = SCORING_DEFAULTS.weights;
      assert.equal(score.score, w.muleFanIn + w.accountRisk + w.newCreditor, 'fan-in, a high-risk creditor, a new pair; nothing else');
      assert.equal(score.features[0]!.name, 'muleFanIn');
    });

    it('prunes every account\'s buckets older than 25 hours at the day roll', async () => {
      const old = at('2026-11-20T10:00:00Z');
      await db.transaction((tx) => recordScoringStatistics(tx, facts({ debtorAccount: 'DE00QUIET', creditorAccount: 'FR00QUIET', receivedAt: old })));
      const deleted = await db.transaction((tx) => pruneScoringBuckets(tx, at('2026-11-27T00:00:00Z')));
      assert.ok(deleted >= 2, `deleted ${deleted}`);
      const [left] = await db.query<{ n: bigint }>(`SELECT (SELECT count(*) FROM scoring_debtor_velocity WHERE bucket_start < $1)
        + (SELECT count(*) FROM scoring_creditor_new_debtors WHERE bucket_start < $1) AS n`, [at('2026-11-25T23:00:00Z')]);
      assert.equal(left?.n, 0n);
      const history = await db.transaction((tx) => readScoringStatistics(tx, facts({ debtorAccount: 'DE00QUIET', creditorAccount: 'FR00QUIET' })));
      assert.equal(history.debtorHistory?.count, 1, 'the amount history and pairs are kept');
      assert.ok(history.pairFirstSeenAt);
    });

    if (backend === 'postgres') {
      it('counts every payment recorded by concurrent transactions, and a pair paid at once as one new debtor', async () => {
        const receivedAt = at('2026-11-26T15:00:00Z');
        const amounts = Array.from({ length: 40 }, (_, i) => BigInt(1_000 + i * 137));
        // 40 payments of one debtor account at once, and 8 debtors × 5 simultaneous payments to one creditor.
        await Promise.all([
          ...amounts.map((amount) => db.transaction((tx) => recordScoringStatistics(tx, facts({ debtorAccount: 'DE00RACE', amount, receivedAt })))),
          ...Array.from({ length: 40 }, (_, i) => db.transaction((tx) =>
            recordScoringStatistics(tx, facts({ debtorAccount: `DR${i % 8}`, creditorAccount: 'FR00RACE', receivedAt })))),
        ]);
        const race = await db.transaction((tx) => readScoringStatistics(tx, facts({ debtorAccount: 'DE00RACE', creditorAccount: 'FR00RACE', receivedAt })));
        const logs = amounts.map((a) => Math.log(Number(a)));
        const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
        assert.equal(race.debtorHistory?.count, 40);
        assert.ok(Math.abs(race.debtorHistory!.logAmountMean - mean) < 1e-9);
        assert.ok(Math.abs(race.debtorHistory!.logAmountM2 - logs.reduce((s, x) => s + (x - mean) ** 2, 0)) < 1e-9);
        assert.equal(race.debtorPaymentsLastHour, 40);
        assert.equal(race.creditorNewDebtorsLastDay, 8);
      });
    }
  });
}
