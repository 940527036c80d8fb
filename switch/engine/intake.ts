/**
 * Intake, exactly once. A message is validated, then in ONE database transaction: its bytes are
 * stored, its idempotency keys claimed (unique constraints), its payments created and its answer
 * queued in the outbox. Nothing is acknowledged before that transaction commits; a crash before it
 * leaves nothing behind, and the sender's retry is processed as new.
 *
 * Replays: the same bytes from the same sender get the stored answer again, and nothing else happens.
 * The same message id with different content is a duplicate: DU01 (message level: BAH BizMsgIdr or
 * MsgId already used by this sender), AM05 (TxId already used by this instructing agent) or DUPL
 * (UETR already seen), each on what it concerns.
 */
import type { Finding } from '../iso/finding.ts';
import type { Located, TransactionFacts } from '../iso/message.ts';
import { REASON } from '../iso/reason-codes.ts';
import { parseAmount } from '../iso/amount.ts';
import { limits } from '../limits.ts';
import { errorCode, type Queryable } from '../store/database.ts';
import { copyField } from '../store/copy-text.ts';
import { copyBinaryRow } from '../store/copy-binary.ts';
import type { FileReport, TransactionStatus } from '../validation/pipeline.ts';
import type { ElementSpan } from '../validation/scan.ts';
import type { EngineContext } from './context.ts';
import { forwardableElement } from '../validation/forward.ts';
import { acceptBatchPayments, openCycle, warehouseBatchPayments } from './cycles/open.ts';
import { recordTransactionSpans } from './cycles/bulk-files.ts';
import { reserveNewRealtimePayments } from './realtime.ts';
import { handleParsedMessage } from './messages.ts';
import { admittedState } from './transitions.ts';
import { crashPoint } from './crash.ts';
import type { SchemeDirectory } from '../validation/directory.ts';
import { sameInstitution } from '../iso/bic.ts';
import { invariant } from '../clearing/invariant.ts';
import { claimBatchDebits } from './ceilings.ts';
import { answerSender } from './answer-sender.ts';
import { realtimeService } from './realtime-service.ts';
import type { IntakeResult, Submission } from './transport.ts';
import { refusedBytesToStore } from './refused-storage.ts';
import { currentBusinessDate } from './business-date.ts';
import { assessPayments, recordAssessed } from './risk.ts';
import { holdNewPayments, refuseRiskRejected } from './risk-holds.ts';

/** A transaction of an accepted pacs.008 as intake keeps it to create its payment. */
export interface AcceptedTransaction {
  readonly facts: TransactionFacts;
  readonly xml: string;
}

/** A transaction's facts as validation read them, with its element's place in the bytes. */
export interface CollectedTransaction {
  readonly facts: TransactionFacts;
  readonly span: ElementSpan | undefined;
}

/** A submission after validation, ready to be stored: by itself (`intakeAlone`) or in a real-time group. */
export interface Validated {
  readonly submission: Submission;
  readonly sha256: string;
  readonly report: FileReport;
  readonly transactions: readonly CollectedTransaction[];
}

const decoder = new TextDecoder('utf-8');
const MIB = 1024 * 1024;
/** Intake never reads a transaction's IBANs and BICs (the rules did): not keeping them spares a bulk
 * file's worth of small objects while the file is validated. */
export const NONE: readonly Located[] = [];

/**
 * Store a validated submission in its own transaction: its bytes, its idempotency keys, its payments
 * (and their reservation, for real-time ones), its outcome and its answer. Throws a unique violation
 * when the same bytes from the same sender were stored meanwhile (see `intakeOnce`).
 */
export async function intakeAlone(ctx: EngineContext, validated: Validated): Promise<IntakeResult> {
  const { submission, sha256, report, transactions } = validated;
  const { bytes, sender } = submission;
  const result = await ctx.db.transaction(async (tx): Promise<IntakeResult> => {
    const messageRowId = await storeInbound(tx, submission, sha256, report, report.status === 'RJCT'
      ? await refusedBytesToStore(tx, sender, currentBusinessDate(ctx), bytes.length, ctx.refusedBytesPerSenderPerDayMax)
      : bytes.length);
    let outcome = report;
    if (outcome.status !== 'RJCT' && outcome.group) {
      outcome = await claimKeys(tx, messageRowId, sender, outcome, transactions.map((t) => t.facts));
    }
    if (outcome.status !== 'RJCT' && outcome.messageId === 'pacs.008.001.08') {
      const accepted = acceptedTransactions(outcome, transactions, bytes);
      const created = await createPayments(ctx, tx, messageRowId, sender, outcome, accepted);
      const realtime = 'refused' in created ? [] : created.realtime;
      if ('refused' in created) outcome = created.refused;
      else if (created.report) outcome = created.report;
      // A batch message's transaction spans, for its bulk files (cycles/bulk-files.ts).
      if (accepted.length > 0 && !('refused' in created) && created.realtime.length === 0 && created.heldRealtime === 0) {
        await recordTransactionSpans(tx, messageRowId, transactions);
      }
      // A held real-time payment was answered PDNG (risk-holds.ts), as a queued one.
      if (realtime.length > 0 || ('heldRealtime' in created && created.heldRealtime > 0)) {
        // Real-time payments are answered when the creditor agent answers, or now if refused/queued.
        await reserveNewRealtimePayments(ctx, tx, realtime);
        await recordIntake(tx, messageRowId, outcome, undefined);
        crashPoint('intake.before-commit');
        return { messageRowId, status: outcome.status, report: outcome, replay: false };
      }
    } else if (outcome.status !== 'RJCT' && outcome.messageId) {
      // Returns, recalls, answers and status requests: small messages, read through their typed model.
      const handled = await handleParsedMessage(ctx, tx, { messageRowId, sender, bytes, report: outcome });
      if (handled.answered) {
        await recordIntake(tx, messageRowId, handled.report, handled.answerRowId);
        crashPoint('intake.before-commit');
        return { messageRowId, status: handled.report.status, report: handled.report, answerXml: handled.answerXml, replay: false };
      }
      outcome = handled.report;
    }
    const answer = await answerSender(ctx, tx, outcome, sender, submission.fileName);
    await recordIntake(tx, messageRowId, outcome, answer.rowId);
    crashPoint('intake.before-commit');
    return { messageRowId, status: outcome.status, report: outcome, answerXml: answer.xml, replay: false };
  }, { retryable: true });
  crashPoint('intake.after-commit');
  return result;
}

/** `intakeAlone`, answering a concurrent submission of the same bytes as a replay (as `submitOnce`). */
export async function intakeOnce(ctx: EngineContext, validated: Validated): Promise<IntakeResult> {
  try {
    return await intakeAlone(ctx, validated);
  } catch (error) {
    return replayAfter(ctx, error, validated.submission.sender, validated.sha256);
  }
}

export async function replayAfter(ctx: EngineContext, error: unknown, sender: string, sha256: string): Promise<IntakeResult> {
  if (errorCode(error) !== UNIQUE_VIOLATION) throw error;
  const replay = await findReplay(ctx, sender, sha256);
  if (!replay) throw error;
  return replay;
}

const UNIQUE_VIOLATION = '23505';

/** The stored outcome of the same bytes from the same sender, if they were received before. */
export async function findReplay(ctx: EngineContext, sender: string, sha256: string): Promise<IntakeResult | undefined> {
  const [prior] = await ctx.db.query<{ id: bigint; status: FileReport['status']; report: FileReport; answer: Uint8Array | null }>(
    `SELECT m.id, i.status, i.report, a.bytes AS answer
       FROM messages m JOIN intake i ON i.message_id = m.id LEFT JOIN messages a ON a.id = i.answer_message_id
      WHERE m.direction = 'in' AND m.participant = $1 AND m.sha256 = $2
      ORDER BY m.id LIMIT 1`, [sender, sha256]);
  if (!prior) return undefined;
  return {
    messageRowId: prior.id, status: prior.status, report: prior.report, replay: true,
    ...(prior.answer ? { answerXml: decoder.decode(prior.answer) } : {}),
  };
}

/** Store the inbound bytes (the first `keptBytes` of them: a refused file past its sender's quota, refused-storage.ts). */
async function storeInbound(tx: Queryable, submission: Submission, sha256: string, report: FileReport, keptBytes: number): Promise<bigint> {
  const { bytes } = submission;
  const kept = keptBytes < bytes.length ? bytes.subarray(0, keptBytes) : bytes;
  if (tx.copyFrom) {
    // On PostgreSQL by a binary COPY with its id from the sequence: the bytes go to the socket as they
    // are, where a bind parameter copied them twice into node-postgres' buffers (decisions.md #91).
    // A large file's row fits in the journal trigger's transition table (limits.inboundStoreWorkMemBytesMax),
    // set in the same round trip; transaction-local, and never lowered below the server's setting.
    const workMem = kept.length > 2 * MIB ? Math.min(kept.length + 2 * MIB, limits.inboundStoreWorkMemBytesMax) : 0;
    const [allocated] = await tx.query<{ id: string }>(workMem > 0
      ? `SELECT nextval('messages_id_seq')::text AS id, CASE WHEN pg_size_bytes(current_setting('work_mem')) < $1::bigint
           THEN set_config('work_mem', ($1::bigint / 1024)::text || 'kB', true) END AS work_mem`
      : "SELECT nextval('messages_id_seq')::text AS id", workMem > 0 ? [workMem] : undefined);
    const id = BigInt(allocated!.id);
    await tx.copyFrom(`COPY messages (id, direction, participant, message_type, message_id, business_message_id, file_name, sha256,
        size_bytes, bytes, bytes_truncated) FROM STDIN (FORMAT binary)`,
    copyBinaryRow([{ int8: id }, 'in', submission.sender, report.messageId ?? null, report.group?.messageId ?? null,
      report.header?.businessMessageId ?? null, submission.fileName ?? null, sha256, { int4: bytes.length }, kept, kept !== bytes]));
    return id;
  }
  const [row] = await tx.query<{ id: bigint }>(
    `INSERT INTO messages (direction, participant, message_type, message_id, business_message_id, file_name, sha256, size_bytes, bytes, bytes_truncated)
     VALUES ('in', $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [submission.sender, report.messageId ?? null, report.group?.messageId ?? null, report.header?.businessMessageId ?? null,
      submission.fileName ?? null, sha256, bytes.length, kept, kept !== bytes]);
  return row!.id;
}

async function recordIntake(tx: Queryable, messageRowId: bigint, report: FileReport, answerRowId: bigint | undefined): Promise<void> {
  await tx.query('INSERT INTO intake (message_id, status, report, answer_message_id) VALUES ($1, $2, $3, $4)',
    [messageRowId, report.status, JSON.stringify(report), answerRowId ?? null]);
}

/** The idempotency keys a message claims, in order, and which transaction each transaction key belongs to. */
export interface KeyClaims {
  readonly kinds: readonly string[];
  readonly scopes: readonly string[];
  readonly keys: readonly string[];
  /** claimId of a TX or UETR key → index of its transaction. */
  readonly transactionKeys: ReadonlyMap<string, number>;
}

/** One claimed key as one string (kind, scope, key), to compare what was claimed with what was won. */
export function claimId(kind: string, scope: string, key: string): string {
  return `${kind}\u0000${scope}\u0000${key}`;
}

/**
 * The keys a validated message claims: BizMsgIdr (BAH) and MsgId (MSG) per sender, and for credit
 * transfers and returns each accepted transaction's TxId (TX) and UETR, also per sender. A validated
 * message's instructing agents are its sender (a participant acts only for itself), so scoping by the
 * authenticated sender is scoping by instructing agent; and no message can claim an id in another
 * bank's name, so no bank can make another's own file a duplicate (docs/security.md).
 */
export function idempotencyClaims(report: FileReport, facts: readonly TransactionFacts[], sender: string): KeyClaims {
  const kinds: string[] = [];
  const scopes: string[] = [];
  const keys: string[] = [];
  const add = (kind: string, scope: string, key: string | undefined): void => {
    if (key === undefined || key === '') return;
    kinds.push(kind);
    scopes.push(scope);
    keys.push(key);
  };
  if (report.header) add('BAH', sender, report.header.businessMessageId);
  add('MSG', sender, `${report.messageId}:${report.group!.messageId}`);
  const accepted = new Set(report.transactions.filter((t) => t.status === 'ACCP').map((t) => t.index));
  const claimed: TransactionFacts[] = [];
  if (report.messageId === 'pacs.008.001.08' || report.messageId === 'pacs.004.001.09') {
    for (const f of facts) {
      if (!accepted.has(f.index)) continue;
      claimed.push(f);
      add('TX', sender, f.transactionId);
      add('UETR', sender, f.uetr);
    }
  }
  // Needed only when some key was taken (claimOutcome): built then, not for every message.
  let transactionKeys: Map<string, number> | undefined;
  return {
    kinds, scopes, keys,
    get transactionKeys(): ReadonlyMap<string, number> {
      if (transactionKeys === undefined) {
        transactionKeys = new Map();
        for (const f of claimed) {
          if (f.transactionId) transactionKeys.set(claimId('TX', sender, f.transactionId), f.index);
          if (f.uetr) transactionKeys.set(claimId('UETR', sender, f.uetr), f.index);
        }
      }
      return transactionKeys;
    },
  };
}

/**
 * The message's outcome once its claims are made (`won`: the claimIds it obtained). A message-level
 * key already taken rejects the message (DU01); a transaction key already taken rejects that
 * transaction (AM05 TxId, DUPL UETR). A message rejected as a duplicate must give back the keys it
 * did win (`messageRejected`).
 */
export function claimOutcome(report: FileReport, facts: readonly TransactionFacts[], sender: string, claims: KeyClaims,
  won: ReadonlySet<string>): { readonly report: FileReport; readonly messageRejected: boolean } {
  const { kinds, scopes, keys, transactionKeys } = claims;
  const findings: Finding[] = [];
  const rejectedIndexes = new Map<number, string>();
  for (let i = 0; i < kinds.length; i++) {
    const id = claimId(kinds[i]!, scopes[i]!, keys[i]!);
    if (won.has(id)) continue;
    if (kinds[i] === 'BAH' || kinds[i] === 'MSG') {
      findings.push({ code: REASON.duplicateMessage, path: kinds[i] === 'BAH' ? '/AppHdr/BizMsgIdr' : '/Document/*/GrpHdr/MsgId',
        message: `${kinds[i] === 'BAH' ? 'BizMsgIdr' : 'MsgId'} ${keys[i]} was already used by ${sender} for another message` });
    } else {
      const index = transactionKeys.get(id)!;
      if (!rejectedIndexes.has(index)) rejectedIndexes.set(index, kinds[i] === 'UETR' ? REASON.duplicatePayment : REASON.duplicate);
      findings.push({ code: kinds[i] === 'UETR' ? REASON.duplicatePayment : REASON.duplicate, path: `/Document/*/${facts[index]?.path ?? ''}`,
        message: `${kinds[i] === 'UETR' ? 'UETR' : 'TxId'} ${keys[i]} was already received in an earlier message`,
        transactionId: facts[index]?.transactionId, transactionIndex: index });
    }
  }
  const messageRejected = findings.some((f) => f.transactionIndex === undefined);
  const transactions: TransactionStatus[] = report.transactions.map((t) => {
    const code = rejectedIndexes.get(t.index);
    if (messageRejected) return { ...t, status: 'RJCT' };
    return code ? { ...t, status: 'RJCT', reasons: [...t.reasons, code] } : t;
  });
  const rejected = transactions.filter((t) => t.status === 'RJCT').length;
  const status = messageRejected || rejected === transactions.length ? 'RJCT' : rejected > 0 ? 'PART' : 'ACCP';
  return { report: { ...report, status, findings: [...report.findings, ...findings], transactions }, messageRejected };
}

/** Claim the message's idempotency keys (unique constraints) and return its outcome (see `claimOutcome`). */
async function claimKeys(tx: Queryable, messageRowId: bigint, sender: string, report: FileReport,
  facts: readonly TransactionFacts[]): Promise<FileReport> {
  const claims = idempotencyClaims(report, facts, sender);
  if (await claimAllNew(tx, claims, messageRowId)) return report;
  // Some key was taken: the precise path, which finds out which ones (claimOutcome).
  const claimed = await tx.query<{ kind: string; scope: string; key: string }>(
    `INSERT INTO idempotency_keys (kind, scope, key, message_id)
     SELECT k, s, v, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(k, s, v)
     ON CONFLICT DO NOTHING RETURNING kind, scope, key`, [claims.kinds, claims.scopes, claims.keys, messageRowId]);
  if (claimed.length === claims.kinds.length) return report;
  const outcome = claimOutcome(report, facts, sender, claims, new Set(claimed.map((c) => claimId(c.kind, c.scope, c.key))));
  if (outcome.messageRejected) {
    // A message-level duplicate claims nothing: undo the keys this message did win.
    await tx.query('DELETE FROM idempotency_keys WHERE message_id = $1', [messageRowId]);
  }
  return outcome.report;
}

/**
 * The common case, paid once: every key is new. The keys are inserted without ON CONFLICT and without
 * RETURNING (by COPY on PostgreSQL), inside a savepoint; a key already taken fails the insert with a
 * unique violation, the savepoint undoes it, and the caller takes the precise path. Returns whether
 * every key was claimed.
 */
async function claimAllNew(tx: Queryable, claims: KeyClaims, messageRowId: bigint): Promise<boolean> {
  const { kinds, scopes, keys } = claims;
  await tx.query('SAVEPOINT claim_keys');
  try {
    if (tx.copyFrom) {
      const tail = `\t${messageRowId}\n`;
      let data = '';
      for (let i = 0; i < kinds.length; i++) data += `${kinds[i]}\t${copyField(scopes[i])}\t${copyField(keys[i])}${tail}`;
      await tx.copyFrom('COPY idempotency_keys (kind, scope, key, message_id) FROM STDIN', data);
    } else {
      await tx.query(`INSERT INTO idempotency_keys (kind, scope, key, message_id)
                      SELECT k, s, v, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(k, s, v)`,
      [kinds, scopes, keys, messageRowId]);
    }
  } catch (error) {
    if (errorCode(error) !== UNIQUE_VIOLATION) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT claim_keys');
    return false;
  }
  await tx.query('RELEASE SAVEPOINT claim_keys');
  return true;
}

/**
 * The accepted transactions of a pacs.008 with their elements as text, forwarded as received: without
 * namespace prefixes, declarations and comments, meaning exactly what was validated (validation/forward.ts).
 */
export function acceptedTransactions(report: FileReport, collected: readonly CollectedTransaction[], bytes: Uint8Array): AcceptedTransaction[] {
  const accepted = new Set(report.transactions.filter((t) => t.status === 'ACCP').map((t) => t.index));
  return collected.filter((c) => accepted.has(c.facts.index) && c.span)
    .map((c) => new ElementText(c.facts, bytes, c.span!));
}

/**
 * A transaction's element as text, made when first read and then kept. A batch payment's XML is not
 * stored (it stays in the inbound file): only a held one's is read (risk-holds.ts), so a bulk file no
 * longer makes 10,000 strings of about 1 KB each that nothing reads and the collector must move.
 */
class ElementText implements AcceptedTransaction {
  private text: string | undefined;
  constructor(readonly facts: TransactionFacts, private readonly bytes: Uint8Array, private readonly span: ElementSpan) {}
  get xml(): string {
    return (this.text ??= forwardableElement(this.bytes, this.span));
  }
}

/**
 * Create the payments of an accepted pacs.008. Batch payments join the open cycle (ACCEPTED); real-time
 * payments (LclInstrm INST) are created RECEIVED and returned for reservation. A message is of one
 * service (validation refuses a mix, FF05). A batch message that would take its sender past its
 * batch debits ceiling for the cycle (limits.amounts) is refused whole, and gives back its keys.
 */
async function createPayments(ctx: EngineContext, tx: Queryable, messageRowId: bigint, sender: string, report: FileReport,
  accepted: readonly AcceptedTransaction[]): Promise<{ readonly realtime: bigint[]; readonly heldRealtime: number; readonly report?: FileReport }
  | { readonly refused: FileReport }> {
  if (accepted.length === 0) return { realtime: [], heldRealtime: 0 };
  const realtime = accepted.every((a) => a.facts.localInstrument === 'INST') && realtimeService(ctx) !== undefined;
  const cycle = realtime ? null : await openCycle(ctx, tx);
  const allRows = paymentRows(report, accepted, sender, ctx.directory);
  // A batch payment dated after the open cycle's business day (validation kept it within the horizon,
  // on a business day) is warehoused: ACCEPTED without a cycle until the first cycle of its date opens.
  const allWarehoused = allRows.map((r) => cycle !== null && isWarehoused(r.settlementDate, cycle.businessDate, currentBusinessDate(ctx)));
  if (cycle !== null) {
    const refused = await claimBatchDebits(tx, cycle.id, sender, allRows.filter((_, i) => !allWarehoused[i]));
    if (refused) {
      await tx.query('DELETE FROM idempotency_keys WHERE message_id = $1', [messageRowId]);
      return { refused: refuseWhole(report, refused) };
    }
  }
  // The risk stage (docs/risk.md), before any position: rejected payments are not created (their
  // transactions are refused in the answer), held ones wait for an operator out of every cycle.
  const assessed = await assessPayments(ctx, tx, allRows, realtime ? 'realtime' : 'batch');
  const kept = allRows.map((_, i) => assessed?.[i]?.disposal.kind !== 'reject');
  const keptAt = allRows.flatMap((_, i) => (kept[i] ? [i] : []));
  const rows = keptAt.map((i) => allRows[i]!);
  const warehoused = keptAt.map((i) => allWarehoused[i]!);
  const held = keptAt.map((i) => assessed?.[i]?.disposal.kind === 'hold');
  const outcome = assessed === undefined ? undefined : await refuseRiskRejected(tx, messageRowId, report, allRows, assessed);
  // A batch payment is created as RECEIVED --ACCEPT_BATCH--> would leave it (recorded as one set: acceptBatchPayments);
  // a held one as RECEIVED --HOLD--> leaves it (recorded by holdNewPayments).
  const state = realtime ? 'RECEIVED' : admittedState('ACCEPT_BATCH');
  const states = rows.map((_, i) => (held[i] ? admittedState('HOLD') : state));
  const cycles = rows.map((_, i) => (cycle === null || warehoused[i] || held[i] ? null : cycle.id.toString()));
  const created = rows.length === 0 ? [] : await insertPayments(tx, messageRowId, realtime ? 'realtime' : 'batch', rows, states, cycles);
  if (assessed !== undefined) {
    const idByIndex = new Map(created.map((c) => [c.transaction_index, c.id]));
    await recordAssessed(ctx, tx, assessed, allRows.map((r) => idByIndex.get(r.index)), allRows.map((r) => r.transactionId));
  }
  const heldIndexes = new Set(rows.filter((_, i) => held[i]).map((r) => r.index));
  const heldPayments = created.filter((c) => heldIndexes.has(c.transaction_index));
  if (heldPayments.length > 0) {
    await holdNewPayments(ctx, tx, realtime ? 'realtime' : 'batch', heldPayments, rows.map((r) => r.index), rows.map((r) => r.xml), sender, report);
  }
  const admitted = created.filter((c) => !heldIndexes.has(c.transaction_index));
  if (realtime) return { realtime: admitted.map((r) => r.id), heldRealtime: heldPayments.length, ...(outcome === undefined ? {} : { report: outcome }) };
  const waiting = new Set(rows.filter((_, i) => warehoused[i]).map((r) => r.index));
  await acceptBatchPayments(tx, cycle!.id, admitted.filter((c) => !waiting.has(c.transaction_index)));
  await warehouseBatchPayments(tx, admitted.filter((c) => waiting.has(c.transaction_index)));
  return { realtime: [], heldRealtime: 0, ...(outcome === undefined ? {} : { report: outcome }) };
}

/**
 * Insert the payments of one message, in transaction order, and return their ids. A batch payment's XML
 * is not copied: it stays in the stored inbound file (cycles/bulk-files.ts). On PostgreSQL the ids are
 * taken from the sequence first (one string back) and the rows sent by COPY: no parameter arrays to
 * build and parse, no row per payment back; PGlite inserts from arrays with RETURNING, as before.
 */
async function insertPayments(tx: Queryable, messageRowId: bigint, mode: 'batch' | 'realtime', rows: readonly PaymentRow[],
  states: readonly string[], cycles: readonly (string | null)[]): Promise<{ id: bigint; transaction_index: number }[]> {
  const keepXml = mode === 'realtime';
  if (tx.copyFrom) {
    const [allocated] = await tx.query<{ ids: string }>(
      "SELECT string_agg(nextval('payments_id_seq')::text, ',') AS ids FROM generate_series(1, $1::int)", [rows.length]);
    const ids = allocated!.ids.split(',').map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const head = `\t${messageRowId}\t`;
    const middle = `\tCREDIT\t${mode}\t`;
    let data = '';
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      data += `${ids[i]}${head}${r.index}${middle}${copyField(r.transactionId)}\t${copyField(r.endToEndId)}\t${copyField(r.uetr)}\t`
        + `${copyField(r.instructingAgent)}\t${copyField(r.debtorAgent)}\t${copyField(r.creditorAgent)}\t${copyField(r.currency)}\t`
        + `${r.amountMinor}\t${copyField(r.settlementDate)}\t${copyField(states[i])}\t${copyField(cycles[i])}\t${keepXml ? copyField(r.xml) : '\\N'}\n`;
    }
    await tx.copyFrom(`COPY payments (id, message_id, transaction_index, kind, mode, transaction_id, end_to_end_id, uetr, instructing_agent,
        debtor_agent, creditor_agent, currency, amount_minor, settlement_date, state, cycle_id, transaction_xml) FROM STDIN`, data);
    return rows.map((r, i) => ({ id: ids[i]!, transaction_index: r.index }));
  }
  return tx.query<{ id: bigint; transaction_index: number }>(
    `INSERT INTO payments (message_id, transaction_index, kind, mode, transaction_id, end_to_end_id, uetr, instructing_agent,
        debtor_agent, creditor_agent, currency, amount_minor, settlement_date, state, cycle_id, transaction_xml)
     SELECT $1, i, 'CREDIT', $2, t, e, u, ia, da, ca, c, a::bigint, d::date, s, cy::bigint, x
       FROM unnest($4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                   $12::text[], $13::text[], $14::text[], $15::text[], $3::text[]) AS p(i, t, e, u, ia, da, ca, c, a, d, x, cy, s)
     ORDER BY i
     RETURNING id, transaction_index`,
    [messageRowId, mode, states, rows.map((r) => r.index), rows.map((r) => r.transactionId), rows.map((r) => r.endToEndId),
      rows.map((r) => r.uetr), rows.map((r) => r.instructingAgent), rows.map((r) => r.debtorAgent), rows.map((r) => r.creditorAgent),
      rows.map((r) => r.currency), rows.map((r) => r.amountMinor.toString()), rows.map((r) => r.settlementDate),
      keepXml ? rows.map((r) => r.xml) : rows.map(() => null), cycles]);
}

/**
 * A batch payment waits in the warehouse when it is dated after both the open cycle's business date
 * and the current business date (a payment dated the open cycle's day, or today, joins the open cycle).
 */
export function isWarehoused(settlementDate: string | null, cycleBusinessDate: string, businessDate: string): boolean {
  return settlementDate !== null && settlementDate > cycleBusinessDate && settlementDate > businessDate;
}

/** The report of a message refused as a whole after validation (every transaction RJCT). */
function refuseWhole(report: FileReport, finding: Finding): FileReport {
  return { ...report, status: 'RJCT', findings: [...report.findings, finding], transactions: report.transactions.map((t) => ({ ...t, status: 'RJCT' })) };
}

/** A payment as intake creates it from an accepted transaction (both intake paths). */
export interface PaymentRow {
  readonly index: number;
  readonly transactionId: string | null;
  readonly endToEndId: string | null;
  readonly uetr: string | null;
  readonly instructingAgent: string;
  readonly debtorAgent: string;
  readonly creditorAgent: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly settlementDate: string | null;
  readonly xml: string;
  /** The risk stage's leaves as validation read them (submit.ts: extraLeaves), when it read them. */
  readonly riskLeaves?: ReadonlyMap<string, string>;
}

/**
 * The payments of accepted transactions. Validation bound their instructing and debtor agents to the
 * sender, so both are the sender; every party is kept in its configured form (directory.canonical).
 */
export function paymentRows(report: FileReport, accepted: readonly AcceptedTransaction[], sender: string,
  directory: Pick<SchemeDirectory, 'canonical'>): PaymentRow[] {
  return accepted.map((transaction) => {
    const { facts } = transaction;
    const amount = parseAmount(facts.amount!.value, facts.amount!.currency);
    if (!amount.ok) throw new Error(`accepted transaction ${facts.index} has an invalid amount`);
    invariant(facts.debtorAgent !== undefined && sameInstitution(facts.debtorAgent, sender),
      `accepted transaction ${facts.index}: debtor agent ${facts.debtorAgent} is not its sender ${sender}`);
    return new Payment(facts, transaction, sender, directory.canonical(facts.creditorAgent!), amount.minor,
      facts.settlementDate ?? report.group!.settlementDate ?? null);
  });
}

/** A PaymentRow whose `xml` is its transaction's, read only when asked for (ElementText). */
class Payment implements PaymentRow {
  readonly index: number;
  readonly transactionId: string | null;
  readonly endToEndId: string | null;
  readonly uetr: string | null;
  readonly instructingAgent: string;
  readonly debtorAgent: string;
  readonly currency: string;
  readonly riskLeaves?: ReadonlyMap<string, string>;
  constructor(facts: TransactionFacts, private readonly transaction: AcceptedTransaction, sender: string, readonly creditorAgent: string,
    readonly amountMinor: bigint, readonly settlementDate: string | null) {
    this.index = facts.index;
    this.transactionId = facts.transactionId ?? null;
    this.endToEndId = facts.endToEndId ?? null;
    this.uetr = facts.uetr ?? null;
    this.instructingAgent = sender;
    this.debtorAgent = sender;
    this.currency = facts.amount!.currency;
    if (facts.leaves !== undefined) this.riskLeaves = facts.leaves;
  }
  get xml(): string {
    return this.transaction.xml;
  }
}

