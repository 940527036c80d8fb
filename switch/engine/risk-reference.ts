/**
 * The risk stage's reference data in force, kept in memory per store (docs/risk.md "Freezes and profiles
 * in force"): the freezes, and which complete profile version of each participant is in force when.
 * Reading them for every real-time group cost two statements of each group's transaction; they change
 * only by an operator's freeze or unfreeze and a participant's profile load, each of which adds one to
 * risk_reference_generation (migration 024) in its own transaction.
 *
 * An engine asks the store for that number at most every limits.registerPollIntervalMs (the register's
 * poll period, register.ts) and reloads both when it moved; so a freeze made by another process (another
 * `serve`, the CLI, the API) refuses payments in this one within that period. In the process that made
 * the change it is in force at once: the writer notes the number its transaction wrote, and until this
 * cache has read that number (or one poll period has passed: the writer's transaction rolled back) every
 * use asks the store again.
 */
import { limits } from '../limits.ts';
import type { Queryable } from '../store/database.ts';

/** What the stage reads from the cache. */
export interface RiskReference {
  /** Whether `account` of `participant` is frozen ('' : the participant itself). */
  isFrozen(participant: string, account: string): boolean;
  /** The complete profile version of `participant` in force at `at`; undefined: none. */
  versionAt(participant: string, at: Date): bigint | undefined;
}

interface Version {
  readonly id: bigint;
  readonly from: number;
}

class Reference implements RiskReference {
  constructor(private readonly frozen: ReadonlySet<string>, private readonly versions: ReadonlyMap<string, readonly Version[]>) {}

  isFrozen(participant: string, account: string): boolean {
    return this.frozen.has(`${participant}\u0000${account}`);
  }

  versionAt(participant: string, at: Date): bigint | undefined {
    // Newest effective first, ties by the later id (the store's own order of "the newest complete version").
    const t = at.getTime();
    for (const v of this.versions.get(participant) ?? []) if (v.from <= t) return v.id;
    return undefined;
  }
}

interface Cache {
  generation: bigint;
  reference?: Reference;
  /** performance.now() of the last time the store was asked. */
  checkedAt: number;
  /** A change this process wrote: until the cache has read at least this generation (or `until` passed), ask again at every use. */
  expect?: { generation: bigint; until: number };
}

const caches = new WeakMap<object, Cache>();

function cacheOf(db: object): Cache {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = { generation: -1n, checkedAt: -Infinity };
    caches.set(db, cache);
  }
  return cache;
}

/** The reference data in force for a stage running on `db` (the engine's store), read through `tx` when stale. */
export async function riskReference(db: object, tx: Queryable, now: Date): Promise<RiskReference> {
  const cache = cacheOf(db);
  const at = performance.now();
  if (cache.expect !== undefined && (cache.generation >= cache.expect.generation || at >= cache.expect.until)) delete cache.expect;
  if (cache.reference !== undefined && cache.expect === undefined && at - cache.checkedAt < limits.registerPollIntervalMs) return cache.reference;
  const [row] = await tx.query<{ generation: bigint }>('SELECT generation FROM risk_reference_generation');
  const generation = BigInt(row?.generation ?? 0n);
  cache.checkedAt = at;
  if (cache.reference !== undefined && generation === cache.generation) return cache.reference;
  // Read after the number (each statement sees at least what the previous one saw): never older than it.
  const rows = await tx.query<{ t: string; p: string; a: string; from: Date | null }>(
    `SELECT 'f' AS t, participant AS p, account AS a, NULL::timestamptz AS "from" FROM risk_freezes
     UNION ALL
     SELECT 'v', participant, id::text, effective_from FROM (
       SELECT DISTINCT ON (participant) participant, id, effective_from FROM risk_profile_versions
        WHERE complete AND effective_from <= $1 ORDER BY participant, effective_from DESC, id DESC) AS current
     UNION ALL
     SELECT 'v', participant, id::text, effective_from FROM risk_profile_versions WHERE complete AND effective_from > $1`, [now]);
  const frozen = new Set<string>();
  const versions = new Map<string, Version[]>();
  for (const r of rows) {
    if (r.t === 'f') frozen.add(`${r.p}\u0000${r.a}`);
    else {
      let list = versions.get(r.p);
      if (list === undefined) versions.set(r.p, (list = []));
      list.push({ id: BigInt(r.a), from: new Date(r.from!).getTime() });
    }
  }
  for (const list of versions.values()) list.sort((a, b) => b.from - a.from || (b.id > a.id ? 1 : b.id < a.id ? -1 : 0));
  cache.reference = new Reference(frozen, versions);
  cache.generation = generation;
  return cache.reference;
}

/** In a writer's transaction: one more change of the reference data; returns the generation it wrote. */
export async function bumpRiskReference(tx: Queryable): Promise<bigint> {
  const [row] = await tx.query<{ generation: bigint }>(
    `INSERT INTO risk_reference_generation (id, generation) VALUES (true, 1)
     ON CONFLICT (id) DO UPDATE SET generation = risk_reference_generation.generation + 1 RETURNING generation`);
  return BigInt(row!.generation);
}

/** The writer's process takes its own change at once (see the module's comment). */
export function noteRiskReferenceChange(db: object, generation: bigint): void {
  const cache = cacheOf(db);
  cache.expect = { generation, until: performance.now() + limits.registerPollIntervalMs };
}
