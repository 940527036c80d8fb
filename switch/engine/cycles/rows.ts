/**
 * The cycle row as every step reads it, locked, and a grouping helper the steps' reports share.
 */
import { invariant } from '../../clearing/invariant.ts';
import type { Queryable } from '../../store/database.ts';

export type CycleState = 'OPEN' | 'CUT_OFF' | 'NETTED' | 'SETTLEMENT_SENT' | 'SETTLED' | 'PARTIALLY_SETTLED';

export interface CycleRow {
  readonly id: bigint;
  readonly business_date: string | Date;
  readonly sequence: number;
  readonly state: CycleState;
  readonly settlement_attempt: number;
}

export async function lockCycle(tx: Queryable, cycleId: bigint): Promise<CycleRow> {
  const [cycle] = await tx.query<CycleRow>('SELECT id, business_date, sequence, state, settlement_attempt FROM cycles WHERE id = $1 FOR UPDATE', [cycleId]);
  invariant(cycle !== undefined, `cycle ${cycleId} does not exist`);
  return cycle;
}

export function groupBy<T>(rows: readonly T[], key: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return [...groups.values()];
}
