/**
 * Real-time intake in groups (a group commit). Single-transaction INST messages arrive concurrently by
 * the thousand per second, and alone each costs a transaction of about sixteen sequential statements,
 * most of PostgreSQL's CPU going to parsing, planning and switching between processes rather than to
 * the work. So a validated real-time message does not open its own transaction: it joins the group
 * being gathered, and each group is committed in ONE transaction of a few set-based statements,
 * whatever its size:
 *
 *   1. the inbound messages, in one INSERT; the same bytes from the same sender already stored (or
 *      twice in the group) are a replay: ON CONFLICT DO NOTHING, answered after the commit with the
 *      stored outcome, as intake answers any replay;
 *   2. in the same statement, the idempotency keys of every message stored, ON CONFLICT DO NOTHING;
 *      each member's outcome (DU01, AM05, DUPL) is worked out from the keys it won by the same
 *      functions as for a message alone (intake.ts);
 *   3. one statement: the intake rows (each member's outcome) and one MsgId per payment;
 *   4. with the risk stage, its daily counters locked in key order (its other steps ran before step 3,
 *      locking nothing every group needs: docs/risk.md "Counters", decision 100); the exposure rows of
 *      every debtor and currency involved, locked in one SELECT … FOR UPDATE in (BIC, currency) order;
 *      and, when the scheme queues, which lanes already hold queued payments;
 *   5. reserve, queue or reject each payment in arrival order, in memory (`admit`, the domain core,
 *      switch/clearing/realtime.ts): what one conditional UPDATE per payment would have decided;
 *   6. the forwarded pacs.008s and the pacs.002s (PDNG / RJCT AM04), built in memory;
 *   7. one statement: the reserved amounts added to the exposures (the UPDATE re-checks each headroom
 *      on the locked row: a count that does not match aborts the group), the payments inserted in
 *      their resulting state with their RECEIVED → state transitions, and the messages they cause
 *      with their outbox rows (with the risk stage, the counters' new values and usage rows too, then
 *      its scoring statistics); then COMMIT.
 *
 * So a group costs six round trips (seven when the scheme queues), BEGIN and COMMIT included,
 * whatever its size; a message alone costs about sixteen.
 *
 * Nothing is acknowledged before the commit: each member's promise resolves after it. Groups form by
 * themselves: a group starts as soon as fewer than limits.realtimeIntakeGroupsInFlight groups are
 * being committed, with the messages validated meanwhile (up to limits.realtimeIntakeGroupMax), so at
 * low rates a group is one message and adds no latency, and at high rates the commit and every
 * statement are shared by many payments. Two groups in flight overlap their first statements and
 * commits; their decisions never overlap, because each holds its debtors' exposure rows from its
 * decisions to its commit (the second sees what the first committed). Between concurrent groups, as
 * between concurrent messages alone, there is no arrival order to keep: a sender that waits for one
 * message's answer before sending the next always has the first decided first.
 *
 * When a group fails (anything but a deadlock or serialization failure, which the transaction retries),
 * no member is failed for another: each is run again alone, on the path a message takes by itself.
 * So is a group whose members' keys interact in a way the set-based claim cannot reproduce (a key lost
 * to an earlier member of the group that is itself refused as a duplicate message, and so would have
 * given the key back before the later member claimed it).
 *
 * Not grouped (they take the path of a message alone): schemes that commit on forward
 * (`receiverConfirmation: false`: a commit raises the creditor's headroom before the next payment is
 * decided, and may release its queue), and messages whose transactions are not all INST.
 */
import type { Queryable } from '../store/database.ts';
import { packColumn, unpackedColumn as u } from '../store/packed-columns.ts';
import type { FileReport } from '../validation/pipeline.ts';
import { limits } from '../limits.ts';
import { REASON } from '../iso/reason-codes.ts';
import { invariant } from '../clearing/invariant.ts';
import type { PaymentState } from '../clearing/payment-state.ts';
import { admittedState } from './transitions.ts';
import { admit, laneOf, type Admission, type Exposure } from '../clearing/realtime.ts';
import { formatMessageIds, INCARNATION_SQL, type EngineContext } from './context.ts';
import { crashPoint } from './crash.ts';
import { blob, outboundRows, type OutboundMessage } from './outbound.ts';
import { statusReportXml } from './notices.ts';
import { ADMISSION_CAUSE, admissionReport, confirmationTimeoutMs, forwardedPaymentXml } from './realtime.ts';
import {
  acceptedTransactions, claimId, claimOutcome, findReplay, idempotencyClaims, intakeOnce, paymentRows,
  type KeyClaims, type PaymentRow, type Validated,
} from './intake.ts';
import { answerSender } from './answer-sender.ts';
import { realtimeService } from './realtime-service.ts';
import type { IntakeResult } from './transport.ts';
import {
  counterColumns, counterLockSql, counterWrites, decideCounters, judgePayments, newCountersCte, newCountersRaced, recordAssessed, usageOf,
  type Assessed, type DecidedCounters, type JudgedPayments, type LockedCounter,
} from './risk.ts';
import { holdNewPayments, refuseRiskRejected } from './risk-holds.ts';

/** True when the validated message goes through the real-time group rather than its own transaction. */
export function joinsRealtimeGroup(ctx: EngineContext, validated: Validated): boolean {
  const { report, transactions } = validated;
  if (report.status === 'RJCT' || report.messageId !== 'pacs.008.001.08' || !report.group) return false;
  const service = realtimeService(ctx);
  if (!service || service.receiverConfirmation === false) return false;
  return transactions.length > 0 && transactions.every((t) => t.facts.localInstrument === 'INST');
}

/** Store a validated real-time message with the next group; resolves once that group has committed. */
export function submitRealtime(ctx: EngineContext, validated: Validated): Promise<IntakeResult> {
  let committer = committers.get(ctx);
  if (!committer) {
    committer = new GroupCommitter(ctx);
    committers.set(ctx, committer);
  }
  return committer.submit(validated);
}

/** One committer per engine (its context). */
const committers = new WeakMap<EngineContext, GroupCommitter>();

/** What the engine's real-time groups did so far (tests and the benchmark read it). */
export interface RealtimeGroupStats {
  /** Groups committed, and the messages they held (replays included). */
  readonly groups: number;
  readonly members: number;
  readonly largest: number;
  /** Groups that failed and whose members were run alone, and why the last one failed. */
  readonly failed: number;
  readonly lastFailure?: string;
}

export function realtimeGroupStats(ctx: EngineContext): RealtimeGroupStats {
  return committers.get(ctx)?.stats ?? { groups: 0, members: 0, largest: 0, failed: 0 };
}

interface Member {
  readonly validated: Validated;
  readonly resolve: (result: IntakeResult) => void;
  readonly reject: (error: unknown) => void;
}

class GroupCommitter {
  private gathering: Member[] = [];
  private committing = 0;
  private scheduled = false;
  stats: RealtimeGroupStats = { groups: 0, members: 0, largest: 0, failed: 0 };

  constructor(private readonly ctx: EngineContext) {}

  submit(validated: Validated): Promise<IntakeResult> {
    return new Promise<IntakeResult>((resolve, reject) => {
      this.gathering.push({ validated, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.committing >= limits.realtimeIntakeGroupsInFlight || this.scheduled) return;
    this.scheduled = true;
    // Messages validated in one XSD batch finish validation in the same turn of the event loop:
    // setImmediate lets all of them join before the group starts.
    setImmediate(() => {
      this.scheduled = false;
      void this.commitNext();
    });
  }

  private async commitNext(): Promise<void> {
    if (this.committing >= limits.realtimeIntakeGroupsInFlight || this.gathering.length === 0) return;
    this.committing++;
    const group = this.gathering.splice(0, limits.realtimeIntakeGroupMax);
    try {
      const failure = await commitGroup(this.ctx, group);
      const { stats } = this;
      this.stats = failure === undefined
        ? { ...stats, groups: stats.groups + 1, members: stats.members + group.length, largest: Math.max(stats.largest, group.length) }
        : { ...stats, failed: stats.failed + 1, lastFailure: failure };
    } finally {
      this.committing--;
      if (this.gathering.length > 0) this.schedule();
    }
  }
}

/**
 * Commit one group and settle every member's promise (never rejects). Returns why the group failed,
 * when it did (its members were then run alone).
 */
async function commitGroup(ctx: EngineContext, members: readonly Member[]): Promise<string | undefined> {
  let outcomes: (IntakeResult | undefined)[];
  try {
    outcomes = await ctx.db.transaction((tx) => writeGroup(ctx, tx, members.map((m) => m.validated)), { retryable: true });
  } catch (error) {
    // Whatever failed the group (one bad member, a key interaction, a database error), each member is
    // retried alone, in order, and gets its own outcome or error.
    for (const member of members) await settle(member, () => intakeOnce(ctx, member.validated));
    return (error as Error).message ?? String(error);
  }
  for (const [i, member] of members.entries()) {
    const outcome = outcomes[i];
    if (outcome) {
      crashPoint('intake.after-commit');
      member.resolve(outcome);
    } else {
      // A replay: the stored outcome, now committed. Were it missing (it cannot be), the member runs alone.
      const { sender } = member.validated.submission;
      await settle(member, async () => (await findReplay(ctx, sender, member.validated.sha256)) ?? intakeOnce(ctx, member.validated));
    }
  }
  return undefined;
}

async function settle(member: Member, work: () => Promise<IntakeResult>): Promise<void> {
  try {
    member.resolve(await work());
  } catch (error) {
    member.reject(error);
  }
}

/** Thrown inside the group transaction when the group cannot reproduce what members alone would do. */
class GroupNotSetBased extends Error {}

/** A member stored in this group (not a replay), and what became of it. */
interface Stored {
  readonly index: number;
  readonly validated: Validated;
  readonly rowId: bigint;
  outcome: FileReport;
  payments: PaymentRow[];
  answerRowId?: bigint;
  answerXml?: string;
}

/**
 * The group's transaction. Returns each member's result in order, undefined for a replay (answered
 * after the commit from what is stored).
 */
async function writeGroup(ctx: EngineContext, tx: Queryable, group: readonly Validated[]): Promise<(IntakeResult | undefined)[]> {
  const stored = await storeAndClaim(tx, group);

  // Members refused by their keys, or left without a payment to create, are answered as alone.
  const accepted: Stored[] = [];
  for (const member of stored) {
    const { submission, transactions } = member.validated;
    if (member.outcome.status !== 'RJCT') {
      member.payments = paymentRows(member.outcome, acceptedTransactions(member.outcome, transactions, submission.bytes), submission.sender, ctx.directory);
    }
    if (member.payments.length > 0) {
      accepted.push(member);
      continue;
    }
    const answer = await answerSender(ctx, tx, member.outcome, submission.sender, submission.fileName);
    member.answerRowId = answer.rowId;
    member.answerXml = answer.xml;
  }
  // The risk stage's steps 1–4 (no counter locked): payments it rejects leave their members now; its
  // counters are taken next to the exposures (createRealtimePayments).
  const risk = await judgeRealtime(ctx, tx, accepted);
  await createRealtimePayments(ctx, tx, stored, accepted.filter((m) => m.payments.length > 0), risk);
  for (let i = 0; i < stored.length; i++) crashPoint('intake.before-commit');

  const results: (IntakeResult | undefined)[] = group.map(() => undefined);
  for (const m of stored) {
    results[m.index] = {
      messageRowId: m.rowId, status: m.outcome.status, report: m.outcome, replay: false, ...(m.answerXml !== undefined ? { answerXml: m.answerXml } : {}),
    };
  }
  return results;
}

/** The risk stage's judgement of the group's payments (steps 1–4), its counters not yet taken. */
interface RiskGroup {
  readonly judged: JudgedPayments;
  /** The group's payments as judged, in the order of `judged.judged`. */
  readonly payments: readonly { member: Stored; row: PaymentRow }[];
}

/**
 * The risk stage's steps 1–4 for the group's payments (docs/risk.md), before any hot row is locked:
 * profiles, screening, scoring and the decision before the counters. Payments it rejects leave their
 * member (its outcome RJCT or PART with the stage's code and text; a member left without a payment is
 * answered now). The counters (step 5) are taken with the exposures (createRealtimePayments, step 4).
 */
async function judgeRealtime(ctx: EngineContext, tx: Queryable, accepted: readonly Stored[]): Promise<RiskGroup | undefined> {
  const payments = accepted.flatMap((member) => member.payments.map((row) => ({ member, row })));
  const judged = await judgePayments(ctx, tx, payments.map((p) => p.row), 'realtime');
  if (judged === undefined) return undefined;
  const rejected = (i: number): boolean => judged.judged[i]!.disposal.kind === 'reject';
  if (payments.some((_, i) => rejected(i))) {
    await refuseMembers(ctx, tx, accepted, payments, payments.map((_, i) => ({ ...judged.judged[i]!, took: [] })), false);
  }
  return { judged, payments };
}

/**
 * Refuse the payments `assessed` rejects, member by member (their keys given back, the member's outcome
 * RJCT or PART), and answer a member left without a payment (held ones were answered PDNG). The
 * members keep the payments not rejected. `recorded`: the members' intake rows exist (written with the
 * outcome before), so a changed outcome is written over them.
 */
async function refuseMembers(ctx: EngineContext, tx: Queryable, members: readonly Stored[], payments: readonly { member: Stored; row: PaymentRow }[],
  assessed: readonly Assessed[], recorded: boolean): Promise<void> {
  // Each member's payments with their place in the group, in one pass (not a pass over the group per member).
  const byMember = new Map<Stored, { row: PaymentRow; i: number }[]>(members.map((m) => [m, []]));
  payments.forEach((p, i) => byMember.get(p.member)?.push({ row: p.row, i }));
  for (const member of members) {
    const mine = byMember.get(member)!;
    if (!mine.some((p) => assessed[p.i]!.disposal.kind === 'reject')) continue;
    const refused = await refuseRiskRejected(tx, member.rowId, member.outcome, mine.map((p) => p.row), mine.map((p) => assessed[p.i]!));
    if (refused === undefined) continue;
    member.outcome = refused;
    member.payments = mine.filter((p) => assessed[p.i]!.disposal.kind !== 'reject').map((p) => p.row);
    if (member.payments.length === 0 && refused.status === 'RJCT') {
      const { submission } = member.validated;
      const answer = await answerSender(ctx, tx, member.outcome, submission.sender, submission.fileName);
      member.answerRowId = answer.rowId;
      member.answerXml = answer.xml;
    }
    if (recorded) {
      await tx.query('UPDATE intake SET status = $2, report = $3::jsonb, answer_message_id = $4 WHERE message_id = $1',
        [member.rowId, member.outcome.status, JSON.stringify(member.outcome), member.answerRowId ?? null]);
    }
  }
}

/**
 * The SQL (CTEs, parameters from `first` on) that writes what the group took of the daily counters
 * once decided: the new counters inserted with their values in key order (one another transaction
 * created meanwhile is not overwritten: `new_counters` then counts fewer rows than asked, and the group
 * fails as a serialization failure), the existing ones written back on their locked rows, and one usage
 * row per payment that took any (a held payment by its id; a created one, when `created` names the
 * payments' INSERT … RETURNING id, message_id, transaction_index, by its message and index).
 */
function counterWriteCtes(first: number, businessDate: string, writes: ReturnType<typeof counterWrites>,
  usage: { held: Usage[]; created: (Usage & { messageRowId: bigint; index: number })[] }, created: boolean): { ctes: string; params: unknown[] } {
  const $ = (k: number): string => `$${first + k}`;
  const { inserted, changed } = writes;
  return {
    ctes: `${newCountersCte(first)},
     moved_counters AS (
       UPDATE risk_counters r SET amount_minor = t.a::bigint, count = t.n
         FROM unnest(${u($(6), 'text')}, ${u($(7), 'text')}, ${u($(8), 'text')}, ${u($(9), 'text')}, ${u($(10), 'int')}) AS t(s, k, c, a, n)
        WHERE r.business_date = ${$(0)}::date AND r.scope = t.s AND r.key = t.k AND r.currency = t.c RETURNING 1),
     usage AS (
       INSERT INTO risk_payment_usage (payment_id, business_date, debtor_key, creditor_key, participant_key)
       SELECT i::bigint, ${$(0)}::date, d, k, p FROM unnest(${u($(11), 'text')}, ${u($(12), 'text')}, ${u($(13), 'text')}, ${u($(14), 'text')}) AS t(i, d, k, p)
       ${created ? `UNION ALL
       SELECT c.id, ${$(0)}::date, t.d, t.k, t.p
         FROM unnest(${u($(15), 'text')}, ${u($(16), 'int')}, ${u($(17), 'text')}, ${u($(18), 'text')}, ${u($(19), 'text')}) AS t(m, i, d, k, p)
         JOIN created c ON c.message_id = t.m::bigint AND c.transaction_index = t.i` : ''}
       RETURNING 1)`,
    params: [businessDate, ...counterColumns(inserted), ...counterColumns(changed),
      ...[usage.held.map((h) => h.id!.toString()), usage.held.map((h) => h.debtor), usage.held.map((h) => h.creditor), usage.held.map((h) => h.participant)].map(packColumn),
      ...(created ? [usage.created.map((c) => c.messageRowId.toString()), usage.created.map((c) => c.index), usage.created.map((c) => c.debtor),
        usage.created.map((c) => c.creditor), usage.created.map((c) => c.participant)].map(packColumn) : [])],
  };
}

/** The key a payment took in each scope (null: not taken), and the held payment's id. */
interface Usage extends ReturnType<typeof usageOf> { readonly id?: bigint }

/**
 * What the group took of the daily counters, once its payments are decided: the counters' writes (the
 * takes of `created` payments refused over headroom given back first, so they never count) and the
 * usage rows of the held payments and of the created ones that were not refused.
 */
function riskWrites(decided: DecidedCounters, heldIds: ReadonlyMap<number, bigint>,
  created: readonly { member: Stored; row: PaymentRow; i: number; admission: Admission }[]):
  { writes: ReturnType<typeof counterWrites>; usage: { held: Usage[]; created: (Usage & { messageRowId: bigint; index: number })[] } } {
  const results = decided.results;
  const givenBack = created.filter((c) => c.admission === 'REJECTED').flatMap((c) => results[c.i]!.took);
  const writes = decided.counters === undefined ? { inserted: [], changed: [] } : counterWrites(decided.counters, givenBack);
  const held: Usage[] = [];
  for (const [i, id] of heldIds) if (results[i]!.took.length > 0) held.push({ id, ...usageOf(results[i]!.took) });
  const fresh = created.filter((c) => c.admission !== 'REJECTED' && results[c.i]!.took.length > 0)
    .map((c) => ({ messageRowId: c.member.rowId, index: c.row.index, ...usageOf(results[c.i]!.took) }));
  return { writes, usage: { held, created: fresh } };
}

/**
 * After the group's payments exist: its counters and usage rows when no payment was created (all held
 * or refused; otherwise they were written with the payments), then the stage's events and the scoring
 * statistics of the payments created (recordAssessed).
 */
async function recordRisk(ctx: EngineContext, tx: Queryable, risk: RiskGroup, decided: DecidedCounters, heldIds: ReadonlyMap<number, bigint>,
  created: readonly { messageRowId: bigint; index: number; i: number }[] | undefined): Promise<void> {
  const results = decided.results;
  if (created === undefined) {
    const { writes, usage } = riskWrites(decided, heldIds, []);
    if (writes.inserted.length > 0 || writes.changed.length > 0 || usage.held.length > 0) {
      const ctes = counterWriteCtes(1, risk.judged.businessDate, writes, usage, false);
      const [row] = await tx.query<{ n: number }>(`WITH ${ctes.ctes} SELECT (SELECT COUNT(*) FROM new_counters)::int AS n, (SELECT COUNT(*) FROM usage) AS u`,
        ctes.params);
      if (row!.n !== writes.inserted.length) throw newCountersRaced(writes.inserted.length, row!.n);
    }
  }
  const ids: (bigint | undefined)[] = risk.payments.map((_, i) => heldIds.get(i));
  const made = created ?? [];
  // A created payment's id is needed only for its events (a passed payment has some only with findings,
  // e.g. a screening hit below the threshold); the statistics need only that it was created.
  if (made.some((c) => results[c.i]!.findings.length > 0)) {
    const rows = await tx.query<{ id: bigint; message_id: bigint; transaction_index: number }>(
      `SELECT p.id, p.message_id, p.transaction_index FROM payments p
         JOIN unnest($1::bigint[], $2::int[]) AS k(m, i) ON p.message_id = k.m AND p.transaction_index = k.i`,
      [made.map((c) => c.messageRowId.toString()), made.map((c) => c.index)]);
    const byKey = new Map(rows.map((r) => [`${r.message_id} ${r.transaction_index}`, r.id]));
    for (const c of made) ids[c.i] = byKey.get(`${c.messageRowId} ${c.index}`);
  } else {
    for (const c of made) ids[c.i] = CREATED_WITHOUT_ID;
  }
  await recordAssessed(ctx, tx, results, ids, risk.payments.map((p) => p.row.transactionId), { usageWritten: true });
}

/** Stands for a created payment's id where nothing recorded names it (a passed payment without findings has no event). */
const CREATED_WITHOUT_ID = 0n;


/** Real-time payments the risk stage held, inserted HELD (their transitions and answers: holdNewPayments). */
async function insertHeldRealtime(tx: Queryable, messageRowId: bigint, rows: readonly PaymentRow[]):
  Promise<{ id: bigint; transaction_index: number }[]> {
  return tx.query<{ id: bigint; transaction_index: number }>(
    `INSERT INTO payments (message_id, transaction_index, kind, mode, transaction_id, end_to_end_id, uetr, instructing_agent,
        debtor_agent, creditor_agent, currency, amount_minor, settlement_date, state, transaction_xml)
     SELECT $1, i, 'CREDIT', 'realtime', t, e, u, ia, da, ca, c, a::bigint, d::date, $2, x
       FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
            AS p(i, t, e, u, ia, da, ca, c, a, d, x)
     ORDER BY i RETURNING id, transaction_index`,
    [messageRowId, admittedState('HOLD'), rows.map((r) => r.index), rows.map((r) => r.transactionId), rows.map((r) => r.endToEndId),
      rows.map((r) => r.uetr), rows.map((r) => r.instructingAgent), rows.map((r) => r.debtorAgent), rows.map((r) => r.creditorAgent),
      rows.map((r) => r.currency), rows.map((r) => r.amountMinor.toString()), rows.map((r) => r.settlementDate), rows.map((r) => r.xml)]);
}

/**
 * Steps 1 and 2, one statement: the inbound bytes, once per sender and SHA-256 (the bytes travel as
 * ONE bytea parameter that each row cuts its part from), and the idempotency keys of the messages
 * stored, in member order, so that of two members claiming one key the earlier wins, as if they had
 * come one after the other. Then each member's outcome, from the keys it won.
 */
async function storeAndClaim(tx: Queryable, group: readonly Validated[]): Promise<Stored[]> {
  const first = new Map<string, number>();
  group.forEach((v, i) => {
    const key = `${v.submission.sender}\u0000${v.sha256}`;
    if (!first.has(key)) first.set(key, i);
  });
  const candidates = [...first.values()];
  const bytes = blob(candidates.map((i) => group[i]!.submission.bytes));
  const claims = new Map<number, KeyClaims>();
  const keys = { kind: [] as string[], scope: [] as string[], key: [] as string[], participant: [] as string[], sha256: [] as string[] };
  for (const i of candidates) {
    const { report, transactions, submission, sha256 } = group[i]!;
    const own = idempotencyClaims(report, transactions.map((t) => t.facts), submission.sender);
    claims.set(i, own);
    keys.kind.push(...own.kinds);
    keys.scope.push(...own.scopes);
    keys.key.push(...own.keys);
    for (let k = 0; k < own.kinds.length; k++) {
      keys.participant.push(submission.sender);
      keys.sha256.push(sha256);
    }
  }
  const rows = await tx.query<{ t: 'm' | 'k'; message_id: bigint; a: string; b: string; c: string | null }>(
    `WITH stored AS (
       INSERT INTO messages (direction, participant, message_type, message_id, business_message_id, file_name, sha256, size_bytes, bytes)
       SELECT 'in', p, t, i, b, f, h, l, substring($9::bytea FROM o FOR l)
         FROM unnest(${u('$1', 'text')}, ${u('$2', 'text')}, ${u('$3', 'text')}, ${u('$4', 'text')}, $5::text[], ${u('$6', 'text')}, ${u('$7', 'int')}, ${u('$8', 'int')})
              WITH ORDINALITY AS m(p, t, i, b, f, h, o, l, n)
        ORDER BY n
       ON CONFLICT (participant, sha256) WHERE direction = 'in' DO NOTHING
       RETURNING id, participant, sha256),
     claimed AS (
       INSERT INTO idempotency_keys (kind, scope, key, message_id)
       SELECT k.kind, k.scope, k.key, s.id
         FROM unnest(${u('$10', 'text')}, ${u('$11', 'text')}, ${u('$12', 'text')}, ${u('$13', 'text')}, ${u('$14', 'text')}) WITH ORDINALITY AS k(kind, scope, key, p, h, n)
         JOIN stored s ON s.participant = k.p AND s.sha256 = k.h
        ORDER BY k.n
       ON CONFLICT DO NOTHING RETURNING kind, scope, key, message_id)
     SELECT 'm' AS t, id AS message_id, participant AS a, sha256 AS b, NULL AS c FROM stored
     UNION ALL SELECT 'k', message_id, kind, scope, key FROM claimed`,
    // Packed columns (store/packed-columns.ts: node-postgres quotes and escapes every element of an array
    // parameter, about a tenth of the real-time main thread): each value is a BIC, a message's identifier
    // or key (XML, which cannot carry the separators), a hash or a number. The file name, which a
    // connector gives, stays an array.
    [packColumn(candidates.map((i) => group[i]!.submission.sender)), packColumn(candidates.map((i) => group[i]!.report.messageId ?? null)),
      packColumn(candidates.map((i) => group[i]!.report.group?.messageId ?? null)), packColumn(candidates.map((i) => group[i]!.report.header?.businessMessageId ?? null)),
      candidates.map((i) => group[i]!.submission.fileName ?? null), packColumn(candidates.map((i) => group[i]!.sha256)), packColumn(bytes.offsets),
      packColumn(bytes.lengths), bytes.blob, packColumn(keys.kind), packColumn(keys.scope), packColumn(keys.key), packColumn(keys.participant), packColumn(keys.sha256)]);

  const stored: Stored[] = [];
  const wonBy = new Map<string, bigint>();
  for (const r of rows) {
    if (r.t === 'k') {
      wonBy.set(claimId(r.a, r.b, r.c!), r.message_id);
      continue;
    }
    const index = first.get(`${r.a}\u0000${r.b}`)!;
    stored.push({ index, validated: group[index]!, rowId: r.message_id, outcome: group[index]!.report, payments: [] });
  }
  stored.sort((x, y) => x.index - y.index);

  const messageRejected = new Set<bigint>();
  const lostInGroup: bigint[] = [];
  for (const member of stored) {
    const own = claims.get(member.index)!;
    const wanted = new Set<string>();
    const won = new Set<string>();
    for (let k = 0; k < own.kinds.length; k++) {
      const id = claimId(own.kinds[k]!, own.scopes[k]!, own.keys[k]!);
      wanted.add(id);
      const winner = wonBy.get(id);
      if (winner === member.rowId) won.add(id);
      else if (winner !== undefined) lostInGroup.push(winner);
    }
    if (won.size === wanted.size) continue;
    const { report, transactions, submission } = member.validated;
    const outcome = claimOutcome(report, transactions.map((t) => t.facts), submission.sender, own, won);
    member.outcome = outcome.report;
    if (outcome.messageRejected) messageRejected.add(member.rowId);
  }
  // Alone, a message refused as a duplicate gives its keys back before the next message claims them.
  if (lostInGroup.some((winner) => messageRejected.has(winner))) throw new GroupNotSetBased('a key was lost to a member refused as a duplicate message');
  if (messageRejected.size > 0) {
    await tx.query('DELETE FROM idempotency_keys WHERE message_id = ANY($1::bigint[])', [[...messageRejected].map(String)]);
  }
  return stored;
}

/**
 * Steps 3 to 8: record every member's outcome, and reserve, queue or reject the accepted members'
 * payments, create them in their resulting state, and emit what each one causes (forward, or pacs.002
 * to the sender).
 */
async function createRealtimePayments(ctx: EngineContext, tx: Queryable, stored: readonly Stored[], accepted: readonly Stored[],
  risk: RiskGroup | undefined): Promise<void> {
  const all = accepted.flatMap((member) => member.payments.map((row) => ({ member, row })));
  // With the risk stage, the payments it held (judged so far) are created HELD once their counters are
  // taken; the others may still be refused by their counters: a number left unused is a gap.
  const place = risk === undefined ? undefined : new Map(risk.payments.map((p, i) => [p.row, i]));
  const judgedPass = (row: PaymentRow): boolean => risk!.judged.judged[place!.get(row)!]!.disposal.kind === 'pass';
  let payments = risk === undefined ? all : all.filter((p) => judgedPass(p.row));
  // 3. The outcomes (they do not depend on headroom; one the counters change is written again) and one
  // MsgId per payment (its forward, or the pacs.002 telling its sender it waits or is refused), before
  // the exposures are locked: a second group gets this far while the first holds the locks.
  const reports = blob(stored.map((m) => Buffer.from(JSON.stringify(m.outcome), 'utf8')));
  const numbers = await tx.query<{ n: bigint; incarnation: string | null }>(
    `WITH recorded AS (
       INSERT INTO intake (message_id, status, report, answer_message_id)
       SELECT m::bigint, s, convert_from(substring($4::bytea FROM o FOR l), 'UTF8')::jsonb, a::bigint
         FROM unnest(${u('$1', 'text')}, ${u('$2', 'text')}, ${u('$3', 'text')}, ${u('$5', 'int')}, ${u('$6', 'int')}) AS i(m, s, a, o, l)
       RETURNING 1)
     SELECT nextval('outbound_message_number') AS n, ${INCARNATION_SQL} AS incarnation FROM generate_series(1, $7::int)`,
    [packColumn(stored.map((m) => m.rowId.toString())), packColumn(stored.map((m) => m.outcome.status)), packColumn(stored.map((m) => m.answerRowId?.toString() ?? null)),
      reports.blob, packColumn(reports.offsets), packColumn(reports.lengths), payments.length]);
  if (all.length === 0) {
    // Every payment refused by the stage's first steps: nothing took a counter; their events recorded.
    if (risk !== undefined) await recordRisk(ctx, tx, risk, decideCounters(risk.judged, []), new Map(), undefined);
    return;
  }
  const messageIds = formatMessageIds(numbers.map((r) => r.n), numbers[0]?.incarnation ?? null, ctx.clock, ctx.switchBic);
  const service = realtimeService(ctx)!;
  const overCap = service.overCap === 'queue' ? 'queue' : 'reject';

  // 4. The risk stage's daily counters (step 5, docs/risk.md), then the exposures involved, each locked
  // in key order (counters before exposures, always), so that groups (and other engines' groups, and
  // messages alone) never deadlock one another. Taken here, next to the exposures, the hot rows every
  // group touches (a participant's counter) are held only from here to the commit.
  const counterLock = risk === undefined || risk.judged.counterKeys.length === 0 ? undefined : counterLockSql(risk.judged, 1);
  const decided = risk === undefined ? undefined
    : decideCounters(risk.judged, counterLock === undefined ? [] : await tx.query<LockedCounter>(counterLock.sql, counterLock.params));
  const lanes = new Map<string, { bic: string; currency: string }>();
  for (const { row } of payments) lanes.set(laneOf(row.debtorAgent, row.currency), { bic: row.debtorAgent, currency: row.currency });
  const laneList = [...lanes.values()];
  const locked = laneList.length === 0 ? [] : await tx.query<{ bic: string; currency: string; cap_minor: bigint; net_minor: bigint; reserved_minor: bigint;
    debits_minor: bigint }>(
    `SELECT e.bic, e.currency, e.cap_minor, e.net_minor, e.reserved_minor, e.debits_minor
       FROM exposures e JOIN unnest($1::text[], $2::text[]) AS l(bic, currency) ON e.bic = l.bic AND e.currency = l.currency
      ORDER BY e.bic, e.currency FOR UPDATE OF e`, [laneList.map((l) => l.bic), laneList.map((l) => l.currency)]);
  const exposures = new Map<string, Map<string, Exposure>>();
  for (const e of locked) {
    const byBic = exposures.get(e.currency) ?? new Map<string, Exposure>();
    exposures.set(e.currency, byBic.set(e.bic, { capMinor: e.cap_minor, netPositionMinor: e.net_minor, reservedMinor: e.reserved_minor,
      debitsMinor: e.debits_minor }));
  }
  // The counters' decision: payments over a daily limit refused (their members' outcomes written
  // again), held ones created HELD and answered PDNG; the others go on to their exposures.
  const results = decided?.results;
  const heldIds = new Map<number, bigint>();
  if (risk !== undefined && results !== undefined) {
    const live = risk.payments.map((p, i) => ({ p, i })).filter(({ i }) => risk.judged.judged[i]!.disposal.kind !== 'reject');
    if (live.some(({ i }) => results[i]!.disposal.kind === 'reject')) {
      await refuseMembers(ctx, tx, accepted, live.map(({ p }) => p), live.map(({ i }) => results[i]!), true);
    }
    for (const member of accepted) {
      const held = live.filter(({ p, i }) => p.member === member && results[i]!.disposal.kind === 'hold');
      if (held.length === 0) continue;
      const ids = await insertHeldRealtime(tx, member.rowId, held.map(({ p }) => p.row));
      held.forEach(({ i }, k) => heldIds.set(i, ids[k]!.id));
      await holdNewPayments(ctx, tx, 'realtime', ids, [], [], member.validated.submission.sender, member.validated.report);
      member.payments = member.payments.filter((row) => results[place!.get(row)!]!.disposal.kind !== 'hold');
    }
    payments = payments.filter((p) => results[place!.get(p.row)!]!.disposal.kind === 'pass');
  }
  if (payments.length === 0) {
    if (risk !== undefined && decided !== undefined) await recordRisk(ctx, tx, risk, decided, heldIds, undefined);
    return;
  }

  // First in, first out: a lane that already holds queued payments takes no new reservation. Read
  // after the lock: a queue only moves under its debtor's exposure lock (releaseQueue).
  const waiting = new Set<string>();
  if (overCap === 'queue') {
    const queued = await tx.query<{ debtor_agent: string; currency: string }>(
      `SELECT DISTINCT p.debtor_agent, p.currency FROM payments p JOIN unnest($1::text[], $2::text[]) AS l(bic, currency)
          ON p.debtor_agent = l.bic AND p.currency = l.currency
        WHERE p.pending_state = 'QUEUED'`, [laneList.map((l) => l.bic), laneList.map((l) => l.currency)]);
    for (const q of queued) waiting.add(laneOf(q.debtor_agent, q.currency));
  }

  // 5. Decide, in arrival order.
  const { admissions } = admit(payments.map(({ row }) => ({ debtor: row.debtorAgent, currency: row.currency, amountMinor: row.amountMinor })),
    exposures, waiting, overCap);
  // Inserted in their resulting state: the machine's RECEIVED events name it (switch/engine/transitions.ts).
  const admitted: Record<Admission, PaymentState> = { RESERVED: admittedState('RESERVE'), QUEUED: admittedState('QUEUE'), REJECTED: admittedState('REJECT') };
  for (const admission of admissions) invariant(admitted[admission] === admission, `RECEIVED → ${admission} is not a legal transition`);
  const reservedByLane = new Map<string, { bic: string; currency: string; amountMinor: bigint }>();
  payments.forEach(({ row }, i) => {
    if (admissions[i] !== 'RESERVED') return;
    const lane = laneOf(row.debtorAgent, row.currency);
    const sum = reservedByLane.get(lane) ?? { bic: row.debtorAgent, currency: row.currency, amountMinor: 0n };
    reservedByLane.set(lane, { ...sum, amountMinor: sum.amountMinor + row.amountMinor });
  });

  // 6. What each payment causes: its forward, or the pacs.002 telling its sender it waits or is refused.
  const now = ctx.clock.now();
  const confirmBy = new Date(now.getTime() + confirmationTimeoutMs(ctx)).toISOString();
  const outbound: OutboundMessage[] = payments.map(({ member, row }, i) => {
    const admission = admissions[i]!;
    const messageId = messageIds[i]!;
    if (admission === 'RESERVED') {
      const xml = forwardedPaymentXml(ctx, { amount_minor: row.amountMinor, currency: row.currency, settlement_date: row.settlementDate,
        creditor_agent: row.creditorAgent, transaction_xml: row.xml }, messageId, now);
      return { recipient: row.creditorAgent, messageType: 'pacs.008.001.08', messageId, xml };
    }
    const { report, submission } = member.validated;
    const xml = statusReportXml(ctx, messageId, admissionReport({
      sender: submission.sender, original_message_id: report.group!.messageId!, message_type: report.messageId!,
      transaction_id: row.transactionId, end_to_end_id: row.endToEndId, uetr: row.uetr,
    }, admission));
    return { recipient: submission.sender, messageType: 'pacs.002.001.10', messageId, xml };
  });

  // 7. One statement: the reservations (the UPDATE re-checks each headroom on the locked row), the
  // payments in their resulting state, their transitions, and the messages they cause with their
  // outbox rows. A payment's transaction element is not copied: it stays in the stored inbound message
  // (migration 036), read from there by whoever needs it again.
  const reserved = [...reservedByLane.values()];
  const reservedOnly = (value: string, i: number): string | null => (admissions[i] === 'RESERVED' ? value : null);
  const emitted = outboundRows(outbound, 22);
  // With the risk stage, in the same statement: what the group took of the daily counters (those of the
  // payments refused over headroom given back before they are written) and each payment's usage row.
  const riskWrite = risk === undefined || decided === undefined ? undefined
    : riskWrites(decided, heldIds, payments.map((p, k) => ({ ...p, i: place!.get(p.row)!, admission: admissions[k]! })));
  const riskCtes = riskWrite === undefined ? undefined
    : counterWriteCtes(22 + emitted.params.length, risk!.judged.businessDate, riskWrite.writes, riskWrite.usage, true);
  const [applied] = await tx.query<{ lanes: number; transitions: number; emitted: number; new_counters: number | null; usage: number | null }>(
    `WITH reserved AS (
       UPDATE exposures e SET reserved_minor = e.reserved_minor + r.amount, debits_minor = e.debits_minor + r.amount
         FROM (SELECT b, c, a::bigint AS amount FROM unnest(${u('$1', 'text')}, ${u('$2', 'text')}, ${u('$3', 'text')}) AS r(b, c, a)) r
        WHERE e.bic = r.b AND e.currency = r.c AND e.cap_minor + e.net_minor - e.reserved_minor >= r.amount
          AND e.debits_minor + r.amount <= ${limits.amounts.participantRealtimeDebitsMinorMax}
        RETURNING e.bic),
     created AS (
       INSERT INTO payments (message_id, transaction_index, kind, mode, transaction_id, end_to_end_id, uetr, instructing_agent,
           debtor_agent, creditor_agent, currency, amount_minor, settlement_date, state, reason_code, forwarded_message_id, confirm_by)
       SELECT m::bigint, i, 'CREDIT', 'realtime', t, e, u, ia, da, ca, c, a::bigint, d::date, s, rc, f, cb::timestamptz
         FROM unnest(${u('$4', 'text')}, ${u('$5', 'int')}, ${[6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18].map((k) => u(`$${k}`, 'text')).join(', ')})
              WITH ORDINALITY AS p(m, i, t, e, u, ia, da, ca, c, a, d, s, rc, f, cb, n)
        ORDER BY n
       RETURNING id, state, reason_code, message_id, transaction_index),
     moved AS (
       INSERT INTO payment_transitions (payment_id, from_state, to_state, cause, reason_code)
       SELECT id, 'RECEIVED', state, CASE state WHEN 'RESERVED' THEN $19 WHEN 'QUEUED' THEN $20 ELSE $21 END, reason_code
         FROM created ORDER BY id
       RETURNING 1),
     ${emitted.ctes}${riskCtes === undefined ? '' : `,
     ${riskCtes.ctes}`}
     SELECT (SELECT COUNT(*) FROM reserved)::int AS lanes, (SELECT COUNT(*) FROM moved)::int AS transitions,
            (SELECT COUNT(*) FROM ${emitted.last})::int AS emitted,
            ${riskCtes === undefined ? 'NULL::int AS new_counters, NULL::int AS usage'
    : '(SELECT COUNT(*) FROM new_counters)::int AS new_counters, (SELECT COUNT(*) FROM usage)::int AS usage'}`,
    // Packed columns, as in storeAndClaim.
    [...[reserved.map((r) => r.bic), reserved.map((r) => r.currency), reserved.map((r) => r.amountMinor.toString()),
      payments.map(({ member }) => member.rowId.toString()), payments.map(({ row }) => row.index),
      payments.map(({ row }) => row.transactionId), payments.map(({ row }) => row.endToEndId), payments.map(({ row }) => row.uetr),
      payments.map(({ row }) => row.instructingAgent), payments.map(({ row }) => row.debtorAgent), payments.map(({ row }) => row.creditorAgent),
      payments.map(({ row }) => row.currency), payments.map(({ row }) => row.amountMinor.toString()), payments.map(({ row }) => row.settlementDate),
      admissions, admissions.map((a: Admission) => (a === 'REJECTED' ? REASON.insufficientFunds : null)),
      messageIds.slice(0, payments.length).map(reservedOnly), messageIds.slice(0, payments.length).map((_, i) => reservedOnly(confirmBy, i))].map(packColumn),
      ADMISSION_CAUSE.RESERVED, ADMISSION_CAUSE.QUEUED, ADMISSION_CAUSE.REJECTED, ...emitted.params, ...(riskCtes?.params ?? [])]);
  // The decisions were made on rows this transaction holds locked, so every lane's UPDATE must have
  // found its headroom; anything else is a bug, and the group is retried member by member.
  invariant(applied!.lanes === reserved.length, `reserved on ${applied!.lanes} exposures, decided on ${reserved.length}`);
  invariant(applied!.transitions === payments.length, `${applied!.transitions} transitions for ${payments.length} payments`);
  invariant(applied!.emitted === outbound.length, `${applied!.emitted} messages queued for ${outbound.length}`);
  if (riskWrite !== undefined) {
    if (applied!.new_counters !== riskWrite.writes.inserted.length) throw newCountersRaced(riskWrite.writes.inserted.length, applied!.new_counters ?? 0);
    invariant(applied!.usage === riskWrite.usage.held.length + riskWrite.usage.created.length,
      `${applied!.usage} usage rows for ${riskWrite.usage.held.length + riskWrite.usage.created.length}`);
    await recordRisk(ctx, tx, risk!, decided!, heldIds, payments.map((p) => ({ messageRowId: p.member.rowId, index: p.row.index, i: place!.get(p.row)! })));
  }
}
