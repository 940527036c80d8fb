/**
 * Maker-checker (docs/api.md "Maker-checker"): a change with money at stake is proposed by one person
 * (the maker) as a pending action, and takes effect only when a different person (the checker)
 * approves it. Proposal, approval and rejection are each an operator action in the journal; the
 * approval applies the change in the same transaction that marks the action approved, so an action is
 * applied once or not at all. The database refuses a checker equal to the maker (CHECK in migration 014)
 * as a second line behind the check here.
 *
 * The kinds of pending action are a closed list (`PendingKind`): the net debit cap (applied here, or
 * through the register by the engine), the resolution of a partially settled cycle, the release of a
 * held payment over the release threshold and the lifting of a freeze (these three applied by the
 * engine in the decision's transaction).
 */
import type { Queryable } from '../store/database.ts';
import { recordOperatorAction } from './operator-actions.ts';

export interface CapChange {
  readonly bic: string;
  readonly currency: string;
  /** The new cap, minor units as decimal text (JSON keeps no bigint). */
  readonly amountMinor: string;
}

/** A resolution of a PARTIALLY_SETTLED cycle (engine.resolveSettlement's), waiting for its checker. */
export interface SettlementChange {
  /** The cycle id as decimal text. */
  readonly cycleId: string;
  readonly resolution: string;
}

/** The release of a held payment over limits.api.releaseWithoutCheckerMaxMinor (engine.releaseHeldPayment's), waiting for its checker. */
export interface RiskReleaseChange {
  /** The payment id as decimal text. */
  readonly paymentId: string;
}

/** Lifting a freeze (engine.unfreezeAccount's or unfreezeParticipant's; `account` '' is the participant), waiting for its checker. */
export interface RiskUnfreezeChange {
  readonly bic: string;
  readonly account: string;
}

export interface PendingPayloads {
  readonly 'participant.cap.set': CapChange;
  readonly 'settlement.resolve': SettlementChange;
  readonly 'risk.release': RiskReleaseChange;
  readonly 'risk.unfreeze': RiskUnfreezeChange;
}
export type PendingKind = keyof PendingPayloads;
export type PendingPayload = PendingPayloads[PendingKind];

export interface PendingAction {
  readonly id: bigint;
  readonly action: PendingKind;
  readonly subject: string;
  readonly payload: PendingPayload;
  readonly maker: string;
  readonly reason: string;
  readonly createdAt: Date;
  readonly state: 'PENDING' | 'APPROVED' | 'REJECTED';
  readonly checker: string | null;
  readonly decidedAt: Date | null;
}

/** Why a decision was refused: no such pending action, already decided, or the maker deciding their own. */
export type DecisionRefusal = 'not-found' | 'decided' | 'same-person' | 'not-applicable';

/** Sets a participant's net debit cap in one currency; false when the participant has no such currency. */
export async function setCap(db: Queryable, change: CapChange): Promise<boolean> {
  const rows = await db.query('UPDATE exposures SET cap_minor = $3 WHERE bic = $1 AND currency = $2 RETURNING bic',
    [change.bic, change.currency, BigInt(change.amountMinor)]);
  return rows.length === 1;
}

/** Kinds applied here when approved (the others are applied by the engine, which passes `apply: false`). */
const APPLY: { readonly [K in PendingKind]?: (db: Queryable, payload: PendingPayloads[K]) => Promise<boolean> } = {
  'participant.cap.set': setCap,
};

export async function capExists(db: Queryable, bic: string, currency: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM exposures WHERE bic = $1 AND currency = $2', [bic, currency])).length === 1;
}

export async function proposeAction<K extends PendingKind>(db: Queryable, kind: K, subject: string, payload: PendingPayloads[K], maker: string, reason: string,
  details: Record<string, unknown>, at: Date): Promise<bigint> {
  await recordOperatorAction(db, { actor: maker, action: 'approval.propose', subject, reason, details: { ...details, kind, payload } }, at);
  const [row] = await db.query<{ id: bigint }>(
    `INSERT INTO pending_actions (action, subject, payload, maker, reason, created_at, state) VALUES ($1, $2, $3::jsonb, $4, $5, $6, 'PENDING')
     RETURNING id`, [kind, subject, JSON.stringify(payload), maker, reason, at]);
  return row!.id;
}

/** One pending action's kind, payload and state, if it exists. */
export async function pendingAction(db: Queryable, id: bigint): Promise<{ action: PendingKind; payload: PendingPayload; state: string; maker: string } | undefined> {
  const [row] = await db.query<{ action: PendingKind; payload: PendingPayload; state: string; maker: string }>(
    'SELECT action, payload, state, maker FROM pending_actions WHERE id = $1', [id]);
  return row;
}

export async function listPendingActions(db: Queryable, state?: string): Promise<PendingAction[]> {
  const rows = await db.query<{ id: bigint; action: PendingKind; subject: string; payload: PendingPayload; maker: string; reason: string; created_at: Date;
    state: PendingAction['state']; checker: string | null; decided_at: Date | null }>(
    'SELECT * FROM pending_actions WHERE $1::text IS NULL OR state = $1 ORDER BY id DESC LIMIT 1000', [state ?? null]);
  return rows.map((r) => ({ id: r.id, action: r.action, subject: r.subject, payload: r.payload, maker: r.maker, reason: r.reason,
    createdAt: new Date(r.created_at), state: r.state, checker: r.checker, decidedAt: r.decided_at === null ? null : new Date(r.decided_at) }));
}

/**
 * The checker's decision, in the caller's transaction: the row is locked, the checker must differ from
 * the maker, the decision is journaled, and an approval applies the change.
 */
export async function decideAction(tx: Queryable, id: bigint, checker: string, approve: boolean, reason: string,
  details: Record<string, unknown>, at: Date, options: { readonly apply?: boolean } = {}): Promise<{ ok: true } | { ok: false; refusal: DecisionRefusal }> {
  const [row] = await tx.query<{ action: PendingKind; subject: string; payload: PendingPayload; maker: string; state: string }>(
    'SELECT action, subject, payload, maker, state FROM pending_actions WHERE id = $1 FOR UPDATE', [id]);
  if (!row) return { ok: false, refusal: 'not-found' };
  if (row.state !== 'PENDING') return { ok: false, refusal: 'decided' };
  if (row.maker === checker) return { ok: false, refusal: 'same-person' };
  await recordOperatorAction(tx, { actor: checker, action: approve ? 'approval.approve' : 'approval.reject', subject: row.subject, reason,
    details: { ...details, pendingActionId: id.toString(), kind: row.action, payload: row.payload, maker: row.maker } }, at);
  await tx.query('UPDATE pending_actions SET state = $2, checker = $3, decided_at = $4 WHERE id = $1',
    [id, approve ? 'APPROVED' : 'REJECTED', checker, at]);
  const apply = APPLY[row.action] as ((db: Queryable, payload: PendingPayload) => Promise<boolean>) | undefined;
  if (approve && (options.apply ?? true) && apply && !(await apply(tx, row.payload))) throw new DecisionError('not-applicable');
  return { ok: true };
}

/** Rolls the decision's transaction back when the approved change no longer applies. */
export class DecisionError extends Error {
  override readonly name = 'DecisionError';
  constructor(readonly refusal: DecisionRefusal) {
    super(`the pending action cannot be applied (${refusal})`);
  }
}
