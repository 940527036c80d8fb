/**
 * The journal of operator actions (table operator_actions, migration 006): what a person did through
 * an operator command, on what, and why. An action is recorded before it takes effect and is never
 * changed, so the journal also shows attempts whose effect then failed: the details identify the
 * effect (e.g. the file's SHA-256, under which intake stored it), which is looked up where it lives.
 *
 * Actions are dotted verbs, object first (`message.submit`); the reason is required. Every operator
 * command that changes something goes through `recordOperatorAction`.
 */
import type { Queryable } from '../store/database.ts';

export interface OperatorAction {
  /** The operator, as they identified themselves (`--operator NAME`). */
  readonly actor: string;
  /** What was done: a dotted lower-case verb, e.g. `message.submit`. */
  readonly action: string;
  /** What it was done to: a participant BIC, a payment or cycle id. */
  readonly subject: string;
  /** Why, in the operator's words (required). */
  readonly reason: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface RecordedOperatorAction extends Required<OperatorAction> {
  readonly id: bigint;
  readonly at: Date;
}

/** Limits of an entry, so a journal row stays a journal row. */
export const operatorActionLimits = {
  /** Operator names are people or service accounts, not prose. */
  actorLengthMax: 100,
  /** A reason is a sentence or two (a ticket reference and what it asked for). */
  reasonLengthMax: 1_000,
} as const;

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;

/** A usage problem with an action (empty reason, unknown verb form): nothing is recorded. */
export class OperatorActionError extends Error {
  override readonly name = 'OperatorActionError';
}

/** Checks an action before it is recorded; returns it with actor and reason trimmed. */
export function checkOperatorAction(action: OperatorAction): OperatorAction {
  const actor = action.actor.trim();
  const reason = action.reason.trim();
  if (actor.length === 0 || actor.length > operatorActionLimits.actorLengthMax || /\p{Cc}/u.test(actor)) {
    throw new OperatorActionError(`the operator name must be 1..${operatorActionLimits.actorLengthMax} printable characters`);
  }
  if (reason.length === 0 || reason.length > operatorActionLimits.reasonLengthMax) {
    throw new OperatorActionError(`a reason of 1..${operatorActionLimits.reasonLengthMax} characters is required`);
  }
  if (!ACTION.test(action.action)) throw new OperatorActionError(`${JSON.stringify(action.action)} is not an action name`);
  if (action.subject.length === 0) throw new OperatorActionError('an action needs a subject');
  return { ...action, actor, reason };
}

/** Records one operator action (in the caller's transaction, or alone); returns its id and time. */
export async function recordOperatorAction(db: Queryable, action: OperatorAction, at?: Date): Promise<{ id: bigint; at: Date }> {
  const checked = checkOperatorAction(action);
  // `at`: the engine's clock (a simulated day records its own times); alone, the database's.
  const [row] = await db.query<{ id: bigint; at: Date }>(
    `INSERT INTO operator_actions (actor, action, subject, reason, details, at) VALUES ($1, $2, $3, $4, $5::jsonb, COALESCE($6::timestamptz, now()))
     RETURNING id, at`,
    [checked.actor, checked.action, checked.subject, checked.reason, JSON.stringify(checked.details ?? {}), at ?? null]);
  return row!;
}

/** The journal, newest first, optionally for one subject. */
export async function listOperatorActions(db: Queryable, options: { readonly subject?: string; readonly limit?: number } = {}):
  Promise<RecordedOperatorAction[]> {
  return db.query<RecordedOperatorAction>(
    `SELECT id, at, actor, action, subject, reason, details FROM operator_actions
      WHERE $1::text IS NULL OR subject = $1 ORDER BY id DESC LIMIT $2`, [options.subject ?? null, options.limit ?? 100]);
}
