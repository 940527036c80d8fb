/**
 * Set-based scoring (switch/risk/statistics.ts `scoreAll`, `recordAll`) against the per-payment port
 * (`score`, `record`), on PGlite and PostgreSQL, over generated groups: two stores, one fed payment by
 * payment, the other a group at a time. Every group's scores must be the same, and after all the groups
 * the statistics the same (counts, buckets, pairs and first payments exactly; the Welford mean and M2 of
 * an account paid several times within one group to rounding).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatisticsScorer } from '../../switch/risk/statistics.ts';
import { SCORING_DEFAULTS } from '../../switch/risk/scoring-config.ts';
import type { PaymentRiskFacts, RiskLevel } from '../../switch/risk/types.ts';
import type { Database } from '../../switch/store/database.ts';
import { random } from '../../switch/demo/generate.ts';
import { backends, facts, openStore } from './support.ts';

const MINUTE = 60_000;
const LEVELS: readonly (RiskLevel | undefined)[] = [undefined, 'low', 'medium', 'high'];

/** `groups` groups of 1..14 payments among few accounts (so pairs, debtors and creditors repeat within and across groups), time moving on. */
function generatedGroups(seed: number, groups: number): PaymentRiskFacts[][] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const debtors = ['DE00D1', 'DE00D2', 'DE00D3', 'DE00D4', 'DE00D5', 'DE00D6', undefined];
  const creditors = ['FR00C1', 'FR00C2', 'FR00C3', 'FR00C4', undefined];
  let time = new Date('2026-11-25T06:00:00Z').getTime();
  const out: PaymentRiskFacts[][] = [];
  for (let g = 0; g < groups; g++) {
    // From seconds to 8 hours between groups: windows of an hour and a day open and close, old buckets pruned.
    time += Math.floor(next() * next() * 8 * 60) * MINUTE + 1_000;
    const size = 1 + Math.floor(next() * 14);
    out.push(Array.from({ length: size }, () => {
      // Half of the time one of a few regular debtors (repeats within a group), else one of many (new pairs keep coming).
      const debtorAccount = next() < 0.5 ? pick(debtors) : `DE00N${Math.floor(next() * 80)}`;
      const creditorAccount = pick(creditors);
      const debtorRiskLevel = pick(LEVELS);
      return facts({
        ...(debtorAccount === undefined ? { debtorAccount: undefined } : { debtorAccount }),
        ...(creditorAccount === undefined ? { creditorAccount: undefined } : { creditorAccount }),
        ...(debtorRiskLevel === undefined ? {} : { debtorRiskLevel }),
        currency: next() < 0.8 ? 'EUR' : 'SEK',
        amount: BigInt(1 + Math.floor(Math.exp(next() * 14))),
        receivedAt: new Date(time + Math.floor(next() * 3) * 1_000),
      });
    }).map((f) => {
      // facts() fills both accounts by default: drop the ones generated as absent.
      const copy: Record<string, unknown> = { ...f };
      for (const k of ['debtorAccount', 'creditorAccount'] as const) if (copy[k] === undefined) delete copy[k];
      return copy as unknown as PaymentRiskFacts;
    }));
  }
  return out;
}

async function table(db: Database, sql: string): Promise<Record<string, unknown>[]> {
  return (await db.query<Record<string, unknown>>(sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : String(v)])));
}

for (const backend of backends) {
  describe(`set-based scoring on ${backend}`, () => {
    let one: Database;
    let set: Database;
    before(async () => { [one, set] = await Promise.all([openStore(backend), openStore(backend)]); });
    after(async () => { await Promise.all([one.close(), set.close()]); });

    it('scores each generated group as payment-by-payment scoring does, and leaves the same statistics', async () => {
      const scorer = new StatisticsScorer({ config: SCORING_DEFAULTS, timeZone: 'Europe/Berlin' });
      let payments = 0;
      let repeatedInGroup = 0;
      // New pairs of one group counted into a creditor's fan-in bucket another new pair of it in the group also counts in.
      let newPairsSharingABucket = 0;
      const knownPairs = new Set<string>();
      for (const seed of [1, 2, 3]) {
        for (const [g, group] of generatedGroups(seed, 12).entries()) {
          const expected = await one.transaction(async (tx) => {
            const scores = [];
            for (const f of group) scores.push(await scorer.score(tx, f));
            for (const f of group) await scorer.record(tx, f);
            return scores;
          });
          const actual = await set.transaction(async (tx) => {
            const scores = await scorer.scoreAll(tx, group);
            await scorer.recordAll(tx, group);
            return scores;
          });
          assert.deepEqual(actual, expected, `seed ${seed}, group ${g}`);
          payments += group.length;
          const newPairs = new Map<string, Set<string>>();
          for (const f of group) {
            if (f.debtorAccount === undefined || f.creditorAccount === undefined || knownPairs.has(`${f.debtorAccount} ${f.creditorAccount}`)) continue;
            knownPairs.add(`${f.debtorAccount} ${f.creditorAccount}`);
            const k = `${f.creditorAccount} ${Math.floor(f.receivedAt.getTime() / 3_600_000)}`;
            if (!newPairs.has(k)) newPairs.set(k, new Set());
            newPairs.get(k)!.add(f.debtorAccount);
          }
          for (const d of newPairs.values()) if (d.size > 1) newPairsSharingABucket += d.size;
          const debtors = group.filter((f) => f.debtorAccount !== undefined).map((f) => `${f.debtorAccount} ${f.currency}`);
          repeatedInGroup += debtors.length - new Set(debtors).size;
        }
      }
      assert.ok(payments > 150 && repeatedInGroup > 20 && newPairsSharingABucket > 20,
        `generated ${payments} payments, ${repeatedInGroup} repeats of an account within a group, ${newPairsSharingABucket} new pairs sharing a fan-in bucket`);
      for (const sql of [
        'SELECT debtor_account, bucket_start, payment_count FROM scoring_debtor_velocity ORDER BY 1, 2',
        'SELECT debtor_account, creditor_account, first_seen_at FROM scoring_account_pairs ORDER BY 1, 2',
        'SELECT creditor_account, bucket_start, debtor_count FROM scoring_creditor_new_debtors ORDER BY 1, 2',
        'SELECT creditor_account, first_seen_at FROM scoring_creditor_accounts ORDER BY 1',
        'SELECT debtor_account, currency, payment_count, first_seen_at, last_seen_at FROM scoring_debtor_amounts ORDER BY 1, 2',
      ]) assert.deepEqual(await table(set, sql), await table(one, sql), sql);
      const welford = (db: Database) => db.query<{ log_amount_mean: number; log_amount_m2: number }>(
        'SELECT log_amount_mean, log_amount_m2 FROM scoring_debtor_amounts ORDER BY debtor_account, currency');
      const [a, b] = await Promise.all([welford(one), welford(set)]);
      assert.ok(a.length > 5);
      a.forEach((r, i) => {
        assert.ok(Math.abs(Number(b[i]!.log_amount_mean) - Number(r.log_amount_mean)) <= 1e-12 * Math.max(1, Math.abs(Number(r.log_amount_mean))));
        assert.ok(Math.abs(Number(b[i]!.log_amount_m2) - Number(r.log_amount_m2)) <= 1e-9 * Math.max(1, Math.abs(Number(r.log_amount_m2))));
      });
    });
  });
}
