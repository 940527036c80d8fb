/**
 * The risk stage in the engine (docs/risk.md): between validation and the first position a payment
 * touches, on both intake paths (intake.ts for a message alone and for batch files,
 * realtime-intake.ts for the real-time group), in the intake transaction:
 *
 *   1. the facts of each payment (switch/risk/facts.ts);
 *   2. one look-up of the debtor's and creditor's account and customer profiles in force (the newest
 *      complete version of each participant effective now); the freezes and which version is in force
 *      come from memory (risk-reference.ts: refreshed within the register's poll period);
 *   3. screening and scoring through the engine's optional ports (context.risk);
 *   4. the decision before the counters (switch/risk/limits.ts `judge`);
 *   5. the daily counters of every payment not rejected, taken on locked rows: the existing counter
 *      rows are locked in (date, scope, key, currency) order by one SELECT … FOR UPDATE (so two groups or
 *      two serve processes never deadlock and never both take the last room; no row version is written
 *      to lock), decided in memory in arrival order with a missing counter at zero; the counters that
 *      did not exist are then inserted with their final values (in key order; one created meanwhile by
 *      another transaction makes this one fail as a serialization failure, and it is run again), and
 *      the existing ones that moved are written back, with what each payment took
 *      (risk_payment_usage), in one statement once the payments exist (recordAssessed). What each
 *      payment took is recorded and given back by transitions.ts when the payment is later rejected,
 *      released or cancelled.
 *
 * With no `risk` section in the configuration the stage does nothing and costs nothing.
 */
import { errorCode, type Queryable } from '../store/database.ts';
import { copyField } from '../store/copy-text.ts';
import { packColumn, unpackedColumn as u } from '../store/packed-columns.ts';
import { limits as switchLimits } from '../limits.ts';
import type { RiskConfig } from '../risk/config.ts';
import { riskFacts, declaredAccountType, type RiskPaymentRow } from '../risk/facts.ts';
import { counterBreachText, higherLevel, judge, limitResolver, type CounterScope, type Finding, type MinorDaily } from '../risk/limits.ts';
import type { AccountType, PaymentRiskFacts, RiskDisposal, RiskLevel, RiskScore, RiskService } from '../risk/types.ts';
import { REASON } from '../iso/reason-codes.ts';
import type { EngineContext, RiskEventKind } from './context.ts';
import { currentBusinessDate } from './business-date.ts';
import { riskReference } from './risk-reference.ts';
import { raiseEvents } from './alerts.ts';

/** One counter a payment takes. */
interface Take {
  readonly scope: CounterScope;
  readonly key: string;
  readonly currency: string;
  readonly amount: bigint;
  readonly limit: MinorDaily;
  /** scope, key and currency as one string: the counter's identity in the stage's maps. */
  readonly id: string;
}

/** The stage's outcome for one payment. */
export interface Assessed {
  readonly facts: PaymentRiskFacts;
  readonly disposal: RiskDisposal;
  readonly findings: readonly Finding[];
  readonly score?: RiskScore;
  /** The counters it took (pass and hold only). */
  readonly took: readonly Take[];
}

/** A risk event to record. */
export interface RiskEvent {
  readonly kind: RiskEventKind;
  readonly actor: string;
  readonly reason: string;
  readonly paymentId?: bigint;
  readonly participant?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

const UNIQUE_VIOLATION = '23505';

/** The actor of the stage's own events. */
export const RISK_STAGE = 'risk-stage';

export function riskConfig(ctx: EngineContext): RiskConfig | undefined {
  return ctx.config.risk;
}

interface Profile {
  readonly accountType?: AccountType;
  readonly riskLevel?: RiskLevel;
  readonly customerLevel?: RiskLevel;
}

const pair = (participant: string, id: string): string => `${participant}\u0000${id}`;

/** Steps 1–5 for the payments of one message or one real-time group, in arrival order. Undefined: no risk stage. */
export async function assessPayments(ctx: EngineContext, tx: Queryable, rows: readonly RiskPaymentRow[], service: RiskService):
  Promise<AssessedList | undefined> {
  const judged = await judgePayments(ctx, tx, rows, service);
  if (judged === undefined) return undefined;
  const decided = decideCounters(judged, await lockCounters(tx, judged));
  if (decided.counters === undefined) return decided.results;
  const { inserted, changed } = counterWrites(decided.counters);
  await insertCounters(tx, judged.businessDate, inserted);
  return Object.assign(decided.results, {
    counterWrite: { businessDate: judged.businessDate, scope: changed.map((k) => k.scope), key: changed.map((k) => k.key),
      currency: changed.map((k) => k.currency), amount: changed.map((k) => k.amount.toString()), count: changed.map((k) => k.count) },
  });
}

/** A payment judged by steps 1–4, with the counters it would take. */
interface Judged {
  readonly facts: PaymentRiskFacts;
  readonly disposal: RiskDisposal;
  readonly findings: Finding[];
  readonly score?: RiskScore;
  readonly takes: Take[];
}

/** Steps 1–4 for the payments of one call (no counter locked yet), and the counters they would take, in key order. */
export interface JudgedPayments {
  readonly businessDate: string;
  readonly judged: readonly Judged[];
  /** The counters the payments not rejected would take, sorted by (scope, key, currency): the order they are locked in. */
  readonly counterKeys: readonly CounterKey[];
}

/** A daily counter a payment takes from; `id` is its takes' id. */
interface CounterKey { readonly id: string; readonly scope: CounterScope; readonly key: string; readonly currency: string }

/** The daily counters' rows found and locked (step 5): `n`, the counter's place (from 1) in `counterKeys`. */
export interface LockedCounter { readonly n: number | string; readonly amount_minor: bigint | string; readonly count: number }

/**
 * The SQL that locks the existing counters of `judged` in key order without a new row version (FOR
 * UPDATE waits for a holder, then returns the row as it committed), with its parameters from `first`
 * on; the real-time group runs it next to its exposures, a message alone or a batch file through
 * lockCounters. One that does not exist counts from zero: it is inserted with its final value once
 * decided, or the transaction is run again.
 *
 * Each key is found by its primary key, in key order, by a LATERAL probe that locks the row it finds
 * (the subquery's FOR UPDATE keeps the planner from turning it into a join: for a file's ~20,000 keys,
 * most of them new, it chose a hash join over a scan of all of the day's counters while the table's
 * statistics were stale, as the profiles' look-up did: decision 101). The probes run in the order of the
 * keys' ordinality, so the rows are locked in key order.
 */
export function counterLockSql(judged: JudgedPayments, first: number): { sql: string; params: unknown[] } {
  const k = judged.counterKeys;
  const $ = (i: number): string => `$${first + i}`;
  return {
    sql: `SELECT t.n, r.amount_minor, r.count
       FROM unnest(${u($(1), 'text')}, ${u($(2), 'text')}, ${u($(3), 'text')}) WITH ORDINALITY AS t(s, k, c, n)
       CROSS JOIN LATERAL (SELECT r.amount_minor, r.count FROM risk_counters r
                            WHERE r.business_date = ${$(0)}::date AND r.scope = t.s AND r.key = t.k AND r.currency = t.c FOR UPDATE) r`,
    params: [judged.businessDate, packColumn(k.map((x) => x.scope)), packColumn(k.map((x) => x.key)), packColumn(k.map((x) => x.currency))],
  };
}

/** Lock the existing counters of a message alone or a batch file (counterLockSql). */
async function lockCounters(tx: Queryable, judged: JudgedPayments): Promise<LockedCounter[]> {
  if (judged.counterKeys.length === 0) return [];
  const { sql, params } = counterLockSql(judged, 1);
  return tx.query<LockedCounter>(sql, params);
}

/** A counter's value as decided, and whether its row existed (was locked) or must be inserted. */
interface CounterValue { amount: bigint; count: number; readonly stored: boolean; readonly before: number }

/** Step 5's decision, in memory, on the locked counters. */
export interface DecidedCounters {
  readonly results: Assessed[];
  /** The counters taken from (undefined: none), in key order, with their values after the decision. */
  readonly counters?: readonly (CounterKey & { value: CounterValue })[];
}

/**
 * Decide each judged payment against the daily counters in arrival order (a missing counter counts from
 * zero): one that would exceed a limit is rejected; the others take their counters.
 */
export function decideCounters(judged: JudgedPayments, locked: readonly LockedCounter[]): DecidedCounters {
  if (judged.counterKeys.length === 0) return { results: judged.judged.map((j) => ({ ...j, took: [] })) };
  const used = new Map<string, CounterValue>();
  for (const r of locked) {
    used.set(judged.counterKeys[Number(r.n) - 1]!.id, { amount: BigInt(r.amount_minor), count: Number(r.count), stored: true, before: Number(r.count) });
  }
  const counters = judged.counterKeys.map((k) => {
    let value = used.get(k.id);
    if (value === undefined) used.set(k.id, value = { amount: 0n, count: 0, stored: false, before: 0 });
    return { ...k, value };
  });
  const results: Assessed[] = [];
  for (const j of judged.judged) {
    let breach: string | undefined;
    for (const t of j.takes) {
      const u = used.get(t.id)!;
      if (t.limit.amount !== undefined && u.amount + t.amount > t.limit.amount) breach = counterBreachText(t.scope, t.key, 'amount', t.limit, t.currency, u);
      else if (t.limit.count !== undefined && u.count + 1 > t.limit.count) breach = counterBreachText(t.scope, t.key, 'count', t.limit, t.currency, u);
      if (breach !== undefined) break;
    }
    if (breach !== undefined) {
      results.push({ facts: j.facts, disposal: { kind: 'reject', code: REASON.riskDailyLimit, text: breach },
        findings: [...j.findings, { kind: 'limit-breach', text: breach }], ...(j.score === undefined ? {} : { score: j.score }), took: [] });
      continue;
    }
    for (const t of j.takes) {
      const u = used.get(t.id)!;
      u.amount += t.amount;
      u.count += 1;
    }
    results.push({ ...j, took: j.takes });
  }
  return { results, counters };
}

/**
 * The counters that moved, in key order: the new ones to insert with their values (a counter nothing
 * was taken from is not created), the existing ones to write back. `givenBack`: takes of payments that
 * failed after the decision (the real-time group's AM04), subtracted first, as if given back.
 */
export function counterWrites(counters: NonNullable<DecidedCounters['counters']>, givenBack: readonly Take[] = []):
  { inserted: CounterRow[]; changed: CounterRow[] } {
  const back = new Map<string, { amount: bigint; count: number }>();
  for (const t of givenBack) {
    const b = back.get(t.id) ?? { amount: 0n, count: 0 };
    back.set(t.id, { amount: b.amount + t.amount, count: b.count + 1 });
  }
  const inserted: CounterRow[] = [];
  const changed: CounterRow[] = [];
  for (const c of counters) {
    const b = back.get(c.id);
    const amount = c.value.amount - (b?.amount ?? 0n);
    const count = c.value.count - (b?.count ?? 0);
    if (count === c.value.before) continue;
    (c.value.stored ? changed : inserted).push({ scope: c.scope, key: c.key, currency: c.currency, amount, count });
  }
  return { inserted, changed };
}

/** Steps 1–4: facts, profiles, screening and scoring, the decision before the counters. Undefined: no risk stage. */
export async function judgePayments(ctx: EngineContext, tx: Queryable, rows: readonly RiskPaymentRow[], service: RiskService):
  Promise<JudgedPayments | undefined> {
  const config = riskConfig(ctx);
  if (config === undefined || rows.length === 0) return undefined;
  const now = ctx.clock.now();
  const businessDate = currentBusinessDate(ctx);
  const facts = rows.map((row) => riskFacts(row, service, now, businessDate));
  // A batch file's statements are planned without JIT: compiling costs more than they run (limits.ts).
  if (rows.length >= switchLimits.riskStage.planWithoutJitFromPayments) await tx.query('SET LOCAL jit = off');

  // 2. Profiles in one statement; freezes and the versions in force from the cache (risk-reference.ts).
  const reference = await riskReference(ctx.db, tx, now);
  const accountKeys = new Map<string, [string, string]>();
  const customerKeys = new Map<string, [string, string]>();
  for (const f of facts) {
    if (f.debtorAccount !== undefined) accountKeys.set(pair(f.debtorAgent, f.debtorAccount), [f.debtorAgent, f.debtorAccount]);
    if (f.creditorAccount !== undefined) accountKeys.set(pair(f.creditorAgent, f.creditorAccount), [f.creditorAgent, f.creditorAccount]);
    if (f.debtorCustomer !== undefined) customerKeys.set(pair(f.debtorAgent, f.debtorCustomer), [f.debtorAgent, f.debtorCustomer]);
  }
  const profiles = await lookUpProfiles(tx, (p) => reference.versionAt(p, now), [...accountKeys.values()], [...customerKeys.values()]);

  // 3–4. Ports and the decision before the counters.
  const judged: Judged[] = [];
  const resolveLimits = limitResolver(config);
  const prepared = facts.map((f) => {
    const debtorProfile = f.debtorAccount === undefined ? undefined : profiles.accounts.get(pair(f.debtorAgent, f.debtorAccount));
    const creditorProfile = f.creditorAccount === undefined ? undefined : profiles.accounts.get(pair(f.creditorAgent, f.creditorAccount));
    const customerLevel = f.debtorCustomer === undefined ? undefined : profiles.customers.get(pair(f.debtorAgent, f.debtorCustomer));
    const debtorType = debtorProfile?.accountType ?? declaredAccountType(f) ?? 'other';
    const debtorLevel = higherLevel(higherLevel(debtorProfile?.riskLevel ?? config.unknownRiskLevel, debtorProfile?.customerLevel), customerLevel);
    const creditorType = creditorProfile?.accountType ?? (f.creditor.identifiedAs === 'organisation' ? 'business'
      : f.creditor.identifiedAs === 'person' ? 'personal' : 'other');
    const creditorLevel = higherLevel(creditorProfile?.riskLevel ?? config.unknownRiskLevel, creditorProfile?.customerLevel);
    const limits = resolveLimits(
      { participant: f.debtorAgent, service, currency: f.currency, accountType: debtorType, riskLevel: debtorLevel },
      { participant: f.creditorAgent, service, currency: f.currency, accountType: creditorType, riskLevel: creditorLevel });
    const frozenParty = reference.isFrozen(f.debtorAgent, '') ? `participant ${f.debtorAgent}`
      : reference.isFrozen(f.creditorAgent, '') ? `participant ${f.creditorAgent}`
        : f.debtorAccount !== undefined && reference.isFrozen(f.debtorAgent, f.debtorAccount) ? `debtor account ${f.debtorAccount}`
          : f.creditorAccount !== undefined && reference.isFrozen(f.creditorAgent, f.creditorAccount) ? `creditor account ${f.creditorAccount}` : undefined;
    return { f, limits, frozenParty, debtorLevel, creditorLevel };
  });
  // Every payment not frozen scored against the statistics before the group (none of its payments is
  // recorded before all are scored): in one statement when the scorer can (scoreAll), else one by one.
  const scorer = ctx.risk?.scorer;
  const toScore = scorer === undefined ? [] : prepared.filter((p) => p.frozenParty === undefined)
    .map((p) => ({ ...p.f, debtorRiskLevel: p.debtorLevel, creditorRiskLevel: p.creditorLevel }));
  const scores: RiskScore[] = scorer === undefined || toScore.length === 0 ? []
    : scorer.scoreAll ? await scorer.scoreAll(tx, toScore) : await sequentially(toScore, (f) => scorer.score(tx, f));
  let scored = 0;
  for (const { f, limits, frozenParty } of prepared) {
    const hits = frozenParty === undefined ? ctx.risk?.screener?.screen(f) ?? [] : [];
    const score = frozenParty === undefined && scorer !== undefined ? scores[scored++] : undefined;
    const { disposal, findings } = judge(config, { currency: f.currency, amount: f.amount, limits, ...(frozenParty === undefined ? {} : { frozen: frozenParty }),
      hits, ...(score === undefined ? {} : { score }) });
    const takes: Take[] = [];
    if (disposal.kind !== 'reject') {
      const add = (scope: CounterScope, key: string | undefined, limit: MinorDaily): void => {
        if (key !== undefined && (limit.amount !== undefined || limit.count !== undefined)) {
          takes.push({ scope, key, currency: f.currency, amount: f.amount, limit, id: `${scope}\u0000${key}\u0000${f.currency}` });
        }
      };
      add('debtor-account', f.debtorAccount === undefined ? undefined : `${f.debtorAgent}/${f.debtorAccount}`, limits.debtorAccountDaily);
      add('creditor-account', f.creditorAccount === undefined ? undefined : `${f.creditorAgent}/${f.creditorAccount}`, limits.creditorAccountDaily);
      add('participant', f.debtorAgent, limits.participantDaily);
    }
    judged.push({ facts: f, disposal, findings: [...findings], ...(score === undefined ? {} : { score }), takes });
  }

  // A counter is known by its take's id everywhere below (the same string each time: its hash is
  // computed once, not a new key string built per look-up).
  const counterKeys = new Map<string, CounterKey>();
  for (const j of judged) for (const t of j.takes) counterKeys.set(t.id, { id: t.id, scope: t.scope, key: t.key, currency: t.currency });
  // Sorted by the id alone: scope, key and currency joined by U+0000, which none of them holds and which
  // sorts before every other character, so the ids sort as the (scope, key, currency) triples do (one
  // comparison per pair instead of up to three; a file has ~20,000 counters).
  const sorted = [...counterKeys.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { businessDate, judged, counterKeys: sorted };
}

/** A counter's row as decided: its key and its values after the decision. */
type CounterRow = { scope: string; key: string; currency: string; amount: bigint; count: number };

/**
 * `counters` as the five packed columns (store/packed-columns.ts) of newCountersCte and of a write-back by
 * key: scopes, keys, currencies, amounts, counts. A counter's key is an account or party identifier read
 * from a message, which cannot carry the separators.
 */
export function counterColumns(counters: readonly CounterRow[]): [string, string, string, string, string] {
  return [packColumn(counters.map((c) => c.scope)), packColumn(counters.map((c) => c.key)), packColumn(counters.map((c) => c.currency)),
    packColumn(counters.map((c) => c.amount.toString())), packColumn(counters.map((c) => c.count))];
}

/**
 * The CTE `new_counters` (parameters: the business date at `$first`, then counterColumns from `$first + 1`)
 * that creates the counters taken from that did not exist when the others were locked, with their final
 * values, in key order. A counter another transaction created in between (it found none either) is not
 * overwritten: its row conflicts, `new_counters` counts fewer rows than asked, and the caller refuses its
 * transaction as a serialization failure (newCountersRaced), which the intake transactions (retryable)
 * run again from the start, then finding and locking that row. Two serve processes therefore never both
 * count a new counter from zero.
 */
export function newCountersCte(first: number): string {
  const $ = (k: number): string => `$${first + k}`;
  return `new_counters AS (
       INSERT INTO risk_counters (business_date, scope, key, currency, amount_minor, count)
       SELECT ${$(0)}::date, s, k, c, a::bigint, n
         FROM unnest(${u($(1), 'text')}, ${u($(2), 'text')}, ${u($(3), 'text')}, ${u($(4), 'text')}, ${u($(5), 'int')}) WITH ORDINALITY AS t(s, k, c, a, n, o)
        ORDER BY o
       ON CONFLICT (business_date, scope, key, currency) DO NOTHING RETURNING 1)`;
}

/** Thrown (SQLSTATE 40001, run again) when `asked - created` of the counters new_counters inserts were created by another transaction meanwhile. */
export function newCountersRaced(asked: number, created: number): Error {
  return Object.assign(new Error(`risk counters: ${asked - created} of ${asked} new counters were created by a concurrent transaction`), { code: '40001' });
}

/** Create the counters that did not exist when the others were locked (newCountersCte). */
async function insertCounters(tx: Queryable, businessDate: string, counters: readonly CounterRow[]): Promise<void> {
  if (counters.length === 0) return;
  if (tx.copyFrom) {
    // On PostgreSQL by COPY (no parameter arrays, rows inserted in pages): a counter another transaction
    // created meanwhile fails the COPY with a unique violation (after waiting for that transaction, as the
    // insert's ON CONFLICT does), which is the same race as newCountersCte's short count: run again.
    let data = '';
    for (const c of counters) data += `${businessDate}\t${copyField(c.scope)}\t${copyField(c.key)}\t${copyField(c.currency)}\t${c.amount}\t${c.count}\n`;
    try {
      await tx.copyFrom('COPY risk_counters (business_date, scope, key, currency, amount_minor, count) FROM STDIN', data);
    } catch (error) {
      if (errorCode(error) === UNIQUE_VIOLATION) throw newCountersRaced(counters.length, 0);
      throw error;
    }
    return;
  }
  const [row] = await tx.query<{ n: number }>(`WITH ${newCountersCte(1)} SELECT COUNT(*)::int AS n FROM new_counters`,
    [businessDate, ...counterColumns(counters)]);
  if (row!.n !== counters.length) throw newCountersRaced(counters.length, row!.n);
}

/** The key a payment took in each scope (null: not taken): its usage row. */
export function usageOf(took: readonly Take[]): { debtor: string | null; creditor: string | null; participant: string | null } {
  let debtor: string | null = null, creditor: string | null = null, participant: string | null = null;
  for (const t of took) {
    if (t.scope === 'debtor-account') debtor = t.key;
    else if (t.scope === 'creditor-account') creditor = t.key;
    else participant = t.key;
  }
  return { debtor, creditor, participant };
}

/** The counters' new values (on rows locked by the stage), written by recordAssessed. */
interface CounterWrite {
  readonly businessDate: string;
  readonly scope: readonly string[];
  readonly key: readonly string[];
  readonly currency: readonly string[];
  readonly amount: readonly string[];
  readonly count: readonly number[];
}

/** The stage's outcome for the payments of one call, in their order. */
export type AssessedList = Assessed[] & { readonly counterWrite?: CounterWrite };

async function sequentially<T, R>(items: readonly T[], each: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await each(item));
  return out;
}

async function lookUpProfiles(tx: Queryable, versionOf: (participant: string) => bigint | undefined,
  accounts: readonly [string, string][], customers: readonly [string, string][]):
  Promise<{ accounts: Map<string, Profile>; customers: Map<string, RiskLevel> }> {
  const result = { accounts: new Map<string, Profile>(), customers: new Map<string, RiskLevel>() };
  // Only the keys of participants with a version in force: none, no statement.
  const withVersion = (keys: readonly [string, string][]): { v: string[]; p: string[]; k: string[] } => {
    const out = { v: [] as string[], p: [] as string[], k: [] as string[] };
    for (const [p, k] of keys) {
      const v = versionOf(p);
      if (v === undefined) continue;
      out.v.push(v.toString());
      out.p.push(p);
      out.k.push(k);
    }
    return out;
  };
  const a = withVersion(accounts);
  const c = withVersion(customers);
  if (a.v.length === 0 && c.v.length === 0) return result;
  // Each key found by its primary key, one index probe per key: the LATERAL subqueries' OFFSET 0 keeps
  // the planner from turning them into a join, which for a batch file's thousands of keys it ran as a hash
  // join over a sequential scan of the whole version (1,000,000 profiles read per file to find a few
  // thousand; docs/performance.md "s11-batchrisk"). At most one row per key (the primary keys), as before.
  const rows = await tx.query<{ t: string; p: string; k: string; account_type: AccountType | null; risk_level: RiskLevel; customer_level: RiskLevel | null }>(
    `SELECT 'a' AS t, k.p, k.k, ap.account_type, ap.risk_level,
            (SELECT cp.risk_level FROM risk_customer_profiles cp WHERE cp.version_id = k.v AND cp.customer = ap.customer) AS customer_level
       FROM unnest(${u('$1', 'bigint')}, ${u('$2', 'text')}, ${u('$3', 'text')}) AS k(v, p, k)
       CROSS JOIN LATERAL (SELECT a.account_type, a.risk_level, a.customer FROM risk_account_profiles a
                            WHERE a.version_id = k.v AND a.account = k.k OFFSET 0) ap
     UNION ALL
     SELECT 'c', k.p, k.k, NULL, cp.risk_level, NULL
       FROM unnest(${u('$4', 'bigint')}, ${u('$5', 'text')}, ${u('$6', 'text')}) AS k(v, p, k)
       CROSS JOIN LATERAL (SELECT c.risk_level FROM risk_customer_profiles c WHERE c.version_id = k.v AND c.customer = k.k OFFSET 0) cp`,
    [packColumn(a.v), packColumn(a.p), packColumn(a.k), packColumn(c.v), packColumn(c.p), packColumn(c.k)]);
  for (const r of rows) {
    if (r.t === 'a') {
      result.accounts.set(pair(r.p, r.k), { accountType: r.account_type ?? undefined, riskLevel: r.risk_level, customerLevel: r.customer_level ?? undefined });
    } else result.customers.set(pair(r.p, r.k), r.risk_level);
  }
  return result;
}

/**
 * After the payments were created: what each took of the counters (given back if it later fails),
 * its events, and the scorer's statistics of the accepted ones. `paymentIds[i]` is undefined for a
 * payment not created (rejected by the stage: it lives on only in its message's answer).
 */
export async function recordAssessed(ctx: EngineContext, tx: Queryable, assessed: readonly Assessed[], paymentIds: readonly (bigint | undefined)[],
  transactionIds: readonly (string | null)[], options: { readonly usageWritten?: boolean } = {}): Promise<void> {
  // One usage row per payment: the key it took in each scope (null: not taken); its amount and currency are the payment's.
  const usage = { id: [] as string[], debtor: [] as (string | null)[], creditor: [] as (string | null)[], participant: [] as (string | null)[] };
  const events: RiskEvent[] = [];
  const accepted: PaymentRiskFacts[] = [];
  for (const [i, a] of assessed.entries()) {
    const paymentId = paymentIds[i];
    if (paymentId !== undefined && a.took.length > 0 && options.usageWritten !== true) {
      const { debtor, creditor, participant } = usageOf(a.took);
      usage.id.push(paymentId.toString());
      usage.debtor.push(debtor);
      usage.creditor.push(creditor);
      usage.participant.push(participant);
    }
    if (a.disposal.kind === 'pass' && paymentId !== undefined) accepted.push(a.facts);
    // The events' details only for a payment with events (most have none).
    if (a.findings.length === 0 && a.disposal.kind === 'pass') continue;
    const details = {
      ...(transactionIds[i] ? { transactionId: transactionIds[i] } : {}), amount: a.facts.amount.toString(), currency: a.facts.currency,
      debtorAccount: a.facts.debtorAccount, creditorAccount: a.facts.creditorAccount,
      ...(a.score === undefined ? {} : { score: a.score.score, topFeatures: a.score.features.slice(0, 5) }),
    };
    const base = { actor: RISK_STAGE, participant: a.facts.debtorAgent, ...(paymentId === undefined ? {} : { paymentId }) };
    for (const f of a.findings) events.push({ ...base, kind: f.kind, reason: f.text, details });
    if (a.disposal.kind === 'hold') events.push({ ...base, kind: 'hold', reason: a.disposal.reasons.join('; '), details });
    if (a.disposal.kind === 'reject') events.push({ ...base, kind: 'reject', reason: `${a.disposal.code}: ${a.disposal.text}`, details: { ...details, code: a.disposal.code } });
  }
  // The accepted payments into the scoring statistics: in one statement when the scorer can (recordAll).
  const scorer = ctx.risk?.scorer;
  if (scorer !== undefined && accepted.length > 0) {
    if (scorer.recordAll) await scorer.recordAll(tx, accepted);
    else for (const f of accepted) await scorer.record(tx, f);
  }
  const counters = (assessed as AssessedList).counterWrite;
  if (usage.id.length > 0 && tx.copyFrom) {
    // On PostgreSQL the usage rows by COPY (a batch file's: one per payment, no parameter arrays), the
    // counters that moved by the UPDATE below alone.
    const date = a0(assessed).facts.businessDate;
    let data = '';
    for (let i = 0; i < usage.id.length; i++) {
      data += `${usage.id[i]}\t${date}\t${copyField(usage.debtor[i])}\t${copyField(usage.creditor[i])}\t${copyField(usage.participant[i])}\n`;
    }
    await tx.copyFrom('COPY risk_payment_usage (payment_id, business_date, debtor_key, creditor_key, participant_key) FROM STDIN', data);
    usage.id.length = 0;
    usage.debtor.length = 0;
    usage.creditor.length = 0;
    usage.participant.length = 0;
  }
  if (usage.id.length > 0 || (counters !== undefined && counters.scope.length > 0)) {
    // The counters' new values and what each payment took of them, in one statement.
    const c = counters ?? { businessDate: a0(assessed).facts.businessDate, scope: [], key: [], currency: [], amount: [], count: [] };
    await tx.query(`WITH counters AS (
                      UPDATE risk_counters r SET amount_minor = t.a::bigint, count = t.n
                        FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::int[]) AS t(s, k, c, a, n)
                       WHERE r.business_date = $11::date AND r.scope = t.s AND r.key = t.k AND r.currency = t.c RETURNING 1)
                    INSERT INTO risk_payment_usage (payment_id, business_date, debtor_key, creditor_key, participant_key)
                    SELECT i::bigint, $1::date, d, k, p FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(i, d, k, p)`,
    [a0(assessed).facts.businessDate, usage.id, usage.debtor, usage.creditor, usage.participant,
      c.scope, c.key, c.currency, c.amount, c.count, c.businessDate]);
  }
  await recordRiskEvents(ctx, tx, events);
}

function a0(assessed: readonly Assessed[]): Assessed {
  return assessed[0]!;
}

/** Store risk events and raise each on the engine's event sink as `risk.<kind>`. */
export async function recordRiskEvents(ctx: EngineContext, tx: Queryable, events: readonly RiskEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = await tx.query<{ id: bigint }>(
    `INSERT INTO risk_events (at, kind, actor, reason, payment_id, participant, details)
     SELECT $1, k, a, r, p::bigint, b, d::jsonb FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       WITH ORDINALITY AS t(k, a, r, p, b, d, n) ORDER BY n RETURNING id`,
    [ctx.clock.now(), events.map((e) => e.kind), events.map((e) => e.actor), events.map((e) => e.reason),
      events.map((e) => e.paymentId?.toString() ?? null), events.map((e) => e.participant ?? null),
      events.map((e) => JSON.stringify(e.details ?? {}))]);
  // Holds, screening hits and timeouts are operator alerts, queued in this transaction with their risk_events rows.
  await raiseEvents(ctx, tx, events.map((e, i) => ({
    event: `risk.${e.kind}` as const, id: rows[i]!.id, actor: e.actor, reason: e.reason,
    ...(e.paymentId === undefined ? {} : { paymentId: e.paymentId }), ...(e.participant === undefined ? {} : { participant: e.participant }),
    details: e.details ?? {},
  })));
}

/** The states in which a payment gives back what it took of the daily counters (transitions.ts). */
export const RISK_UNDO_STATES: ReadonlySet<string> = new Set(['REJECTED', 'RELEASED', 'CANCELLED']);

/**
 * The SQL (a CTE over `moved`, the ids a transition moved) that gives back the counters those payments
 * took: their usage rows (one per payment: the key taken in each scope) are deleted, each taken key
 * counted with the payment's own amount and currency (the payments row as the statement found it:
 * they never change), and the sums subtracted, per counter, in one statement.
 */
export const RISK_UNDO_CTES = `
       undone AS (DELETE FROM risk_payment_usage u USING moved WHERE u.payment_id = moved.id
                  RETURNING u.payment_id, u.business_date, u.debtor_key, u.creditor_key, u.participant_key),
       undone_takes AS (
         SELECT u.business_date, t.scope, t.key, p.currency, p.amount_minor
           FROM undone u JOIN payments p ON p.id = u.payment_id
           CROSS JOIN LATERAL (VALUES ('debtor-account', u.debtor_key), ('creditor-account', u.creditor_key),
                                      ('participant', u.participant_key)) AS t(scope, key)
          WHERE t.key IS NOT NULL),
       given_back AS (
         UPDATE risk_counters r SET amount_minor = r.amount_minor - g.amount, count = r.count - g.n
           FROM (SELECT business_date, scope, key, currency, SUM(amount_minor)::bigint AS amount, COUNT(*)::int AS n
                   FROM undone_takes GROUP BY business_date, scope, key, currency) g
          WHERE r.business_date = g.business_date AND r.scope = g.scope AND r.key = g.key AND r.currency = g.currency
          RETURNING 1),`;

