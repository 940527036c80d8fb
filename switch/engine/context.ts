/**
 * What every part of the engine works with: the store, the scheme configuration, the XSD validator,
 * and an injected clock (so cut-offs, timeouts and whole days can be simulated in tests).
 */
import type { SchemeConfig } from '../config.ts';
import type { Database, Queryable } from '../store/database.ts';
import type { XsdValidator } from '../validation/xsd-pool.ts';
import type { SchemeDirectory } from '../validation/directory.ts';
import type { Scorer, Screener } from '../risk/types.ts';

// The one clock abstraction lives in switch/clock.ts; re-exported for the engine's modules.
import type { Clock } from '../clock.ts';
export type { Clock } from '../clock.ts';
export { systemClock } from '../clock.ts';

export interface EngineContext {
  readonly db: Database;
  /** The configuration in force: the file's settings with the newest scheme register (register.ts);
   * replaced, with the directory, when an operator changes the register. Read it at use, never keep it. */
  config: SchemeConfig;
  directory: SchemeDirectory;
  readonly xsd: XsdValidator;
  readonly clock: Clock;
  /** The clearing house's own BIC: instructing agent of everything it emits. */
  readonly switchBic: string;
  /** BIC of the settlement agent (central bank RTGS), which answers pacs.009 instructions. */
  readonly settlementAgentBic: string;
  /** Quota of refused bytes stored in full per sender and business day (default limits.refusedBytesStoredPerSenderPerDayMax). */
  readonly refusedBytesPerSenderPerDayMax?: number;
  /** Where the engine reports its steps (cut-off, netting, unwind, settlement, delivery failures): serve logs them. */
  readonly events?: EngineEventSink;
  /** The risk stage's optional ports (docs/risk.md): none, no screening or scoring (limits and freezes still apply when configured). */
  readonly risk?: RiskPorts;
}

/** Screening and scoring as the risk stage is given them (switch/risk/types.ts). */
export interface RiskPorts {
  readonly screener?: Screener;
  readonly scorer?: Scorer;
}

/** What the risk stage records (table risk_events) and raises as `risk.<kind>`. */
export type RiskEventKind = 'limit-breach' | 'screening-hit' | 'score' | 'hold' | 'release' | 'reject' | 'freeze' | 'unfreeze' | 'timeout' | 'frozen';

/**
 * A step of the engine worth a log line (docs/operations.md "Logs"). Steps made inside a transaction
 * are reported when they are made: a transaction that then rolls back is retried, and its step is
 * reported again (a log line never stands for a change that did not happen without a later one that did).
 */
export type EngineEvent =
  | { readonly event: 'cycle.cut-off'; readonly cycle: bigint }
  | { readonly event: 'cycle.netted'; readonly cycle: bigint; readonly unwound: number }
  | { readonly event: 'cycle.unwind'; readonly cycle: bigint; readonly payments: number; readonly reason: string; readonly participants?: readonly string[] }
  | { readonly event: 'settlement.instructed'; readonly cycle: bigint; readonly attempt: number; readonly instructions: number }
  | { readonly event: 'settlement.rejected'; readonly cycle: bigint; readonly participants: readonly string[] }
  | { readonly event: 'settlement.overdue'; readonly cycle: bigint; readonly attempt: number; readonly sentAt: Date; readonly unanswered: number }
  | { readonly event: 'cycle.partially-settled'; readonly cycle: bigint; readonly participants: readonly string[] }
  | { readonly event: 'cycle.settled'; readonly cycle: bigint; readonly businessDate: string }
  | { readonly event: 'business-day.closed'; readonly businessDate: string; readonly cycles: number; readonly statements: number }
  | { readonly event: 'delivery.failed'; readonly outboxId: bigint; readonly recipient: string; readonly messageId: string;
      readonly attempt: number; readonly final: boolean; readonly reason: string }
  | { readonly event: `risk.${RiskEventKind}`; readonly id: bigint; readonly actor: string; readonly reason: string;
      readonly paymentId?: bigint; readonly participant?: string; readonly details: Readonly<Record<string, unknown>> };

export type EngineEventSink = (event: EngineEvent) => void;

/** ISO date-time without milliseconds, UTC. */
export function isoDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The incarnation of the store (migration 023): the newest restore's, as an SQL expression giving NULL
 * for a store never restored. Part of every MsgId generated after a restore, so a restored store never
 * repeats an id (or a file name) that the store it replaces may have issued after its backup.
 */
export const INCARNATION_SQL = '(SELECT incarnation FROM store_restores ORDER BY id DESC LIMIT 1)';

/** A new MsgId for a message the switch emits: unique across processes (database sequence) and restores (incarnation). */
export async function nextMessageId(tx: Queryable, clock: Clock, switchBic: string): Promise<string> {
  const [row] = await tx.query<{ n: bigint; incarnation: string | null }>(
    `SELECT nextval('outbound_message_number') AS n, ${INCARNATION_SQL} AS incarnation`);
  return formatMessageId(row!.n, row!.incarnation, clock, switchBic);
}

/**
 * MsgIds from numbers of the outbound_message_number sequence (taken in bulk by the caller, with the
 * incarnation: INCARNATION_SQL in the same statement), in order.
 */
export function formatMessageIds(numbers: readonly bigint[], incarnation: string | null, clock: Clock, switchBic: string): string[] {
  const prefix = messageIdPrefix(incarnation, clock, switchBic);
  return [...numbers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((n) => `${prefix}${n.toString().padStart(8, '0')}`);
}

function formatMessageId(n: bigint, incarnation: string | null, clock: Clock, switchBic: string): string {
  return `${messageIdPrefix(incarnation, clock, switchBic)}${n.toString().padStart(8, '0')}`;
}

/** The prefix carries the calendar date (UTC) of the clock, not the business date: it only makes ids
 * readable; uniqueness comes from the sequence number and, after a restore, the incarnation
 * (BIC8-YYYYMMDD-NNNNNNNN, restored: BIC8-YYYYMMDD-iiiii-NNNNNNNN, 32 characters of Max35Text). */
function messageIdPrefix(incarnation: string | null, clock: Clock, switchBic: string): string {
  return `${switchBic.slice(0, 8)}-${isoDate(clock.now()).replaceAll('-', '')}-${incarnation === null ? '' : `${incarnation}-`}`;
}
