/**
 * Cut-off (operator or scheduled) and the carrying on of cycles between cut-off and settlement
 * instructions: after a crash, or after a step that failed.
 */
import type { EngineContext } from '../context.ts';
import { crashPoint } from '../crash.ts';
import { broadcastEvent } from '../notices.ts';
import { expireQueuedPayments } from '../realtime.ts';
import { openNextCycle } from './open.ts';
import { netCycle } from './netting.ts';
import { instructSettlement } from './instruct.ts';

/**
 * Cut off the open cycle (operator command or scheduled cut-off) and carry it as far as it goes:
 * netted and instructed. Returns the id of the cycle cut off, or undefined when none was open.
 */
export async function closeCycle(ctx: EngineContext, options: { readonly dueAt?: Date } = {}): Promise<bigint | undefined> {
  const cycleId = await ctx.db.transaction(async (tx) => {
    const [open] = await tx.query<{ id: bigint; opened_at: Date }>("SELECT id, opened_at FROM cycles WHERE state = 'OPEN' FOR UPDATE");
    if (!open) return undefined;
    // A scheduled cut-off applies to the cycle that was open at its time: fired twice (two processes,
    // a retry), the second finds a cycle opened at or after it and leaves it alone.
    if (options.dueAt !== undefined && open.opened_at.getTime() >= options.dueAt.getTime()) return undefined;
    await tx.query("UPDATE cycles SET state = 'CUT_OFF', closed_at = $2, cut_off_at = $2 WHERE id = $1", [open.id, ctx.clock.now()]);
    await expireQueuedPayments(ctx, tx, open.id);
    await broadcastEvent(ctx, tx, 'CYCLE_CUT_OFF', [open.id.toString()], open.id);
    await openNextCycle(ctx, tx);
    return open.id;
  }, { retryable: true });
  crashPoint('cut-off.after-commit');
  if (cycleId !== undefined) ctx.events?.({ event: 'cycle.cut-off', cycle: cycleId });
  if (cycleId !== undefined) await advanceCycle(ctx, cycleId);
  return cycleId;
}

/**
 * Carry every cycle that is between cut-off and settlement on: at start (after a crash), and
 * periodically from serve (a step that failed, e.g. the database was unreachable for a moment, would
 * otherwise wait for the next restart). Steps are idempotent: a cycle another process is advancing is
 * waited for and then left alone.
 */
export async function resumeCycles(ctx: EngineContext, options: { readonly cutOffBefore?: Date } = {}): Promise<StalledCycle[]> {
  const pending = await ctx.db.query<{ id: bigint }>(
    "SELECT id FROM cycles WHERE state IN ('CUT_OFF', 'NETTED') AND ($1::timestamptz IS NULL OR cut_off_at < $1) ORDER BY id",
    [options.cutOffBefore ?? null]);
  // One cycle that cannot go on must not keep the others (or the engine) from going on: it stays
  // where it is, with its error, and is tried again at the next resume.
  const stalled: StalledCycle[] = [];
  for (const { id } of pending) {
    try {
      await advanceCycle(ctx, id);
    } catch (error) {
      stalled.push({ cycleId: id, error: errorText(error) });
    }
  }
  return stalled;
}

/** A cycle whose step failed: it stays in its state, and shows the error (listCycles, cycles.stalled_error). */
export interface StalledCycle {
  readonly cycleId: bigint;
  readonly error: string;
}

async function advanceCycle(ctx: EngineContext, cycleId: bigint): Promise<void> {
  // Each step locks the cycle and checks its state first, so running it again (a deadlock retry, a
  // resume by another process) does nothing twice.
  try {
    await ctx.db.transaction((tx) => netCycle(ctx, tx, cycleId), { retryable: true });
    await ctx.db.transaction((tx) => instructSettlement(ctx, tx, cycleId), { retryable: true });
  } catch (error) {
    await recordStall(ctx, cycleId, error);
    throw error;
  }
  await ctx.db.query('UPDATE cycles SET stalled_error = NULL, stalled_at = NULL WHERE id = $1 AND stalled_error IS NOT NULL', [cycleId]);
  crashPoint('settlement.after-instructions');
}

/** Keep a failed step's error on its cycle, for the operator; when even that fails, the caller still has the error. */
async function recordStall(ctx: EngineContext, cycleId: bigint, error: unknown): Promise<void> {
  try {
    await ctx.db.query('UPDATE cycles SET stalled_error = $2, stalled_at = $3 WHERE id = $1', [cycleId, errorText(error), ctx.clock.now()]);
  } catch {
    // The database itself is failing; the step's own error is what the caller reports.
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
