/**
 * Fault injection for the crash tests (test/reliability/): when CLEARHOUSE_CRASH_AT names a point,
 * the process kills itself with SIGKILL the Nth time it passes that point (N = CLEARHOUSE_CRASH_AFTER,
 * default 1) — no cleanup, no flush, as a power cut would. Unset in production: a no-op.
 */
const target = process.env.CLEARHOUSE_CRASH_AT;
let remaining = Number(process.env.CLEARHOUSE_CRASH_AFTER ?? '1');

export const crashPoints = [
  'intake.before-commit', 'intake.after-commit', 'cut-off.after-commit', 'netting.before-commit',
  'settlement.after-instructions', 'settlement.mid-answers', 'dispatch.after-deliver',
] as const;
export type CrashPoint = (typeof crashPoints)[number];
/** Points outside the payment flow's crash matrix (test/reliability/crash.test.ts): the business-day close's own test kills at them. */
export const closeCrashPoints = ['day-close.after-message'] as const;
export type CloseCrashPoint = (typeof closeCrashPoints)[number];

export function crashPoint(point: CrashPoint | CloseCrashPoint): void {
  if (target !== point) return;
  if (--remaining > 0) return;
  process.kill(process.pid, 'SIGKILL');
}
