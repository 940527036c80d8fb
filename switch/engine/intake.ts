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
import { createHash } from 'node:crypto';
import type { Finding } from '../iso/finding.ts';
import type { Located, TransactionFacts } from '../iso/message.ts';
import { REASON } from '../iso/reason-codes.ts';
import { answerFor } from '../status/answers.ts';
import { build as buildPacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { build as buildAdmi002 } from '../iso/messages/admi.002.001.01/index.ts';
import { parseAmount } from '../iso/amount.ts';
import { errorCode, type Queryable } from '../store/database.ts';
import { validateFile, type FileReport, type TransactionStatus } from '../validation/pipeline.ts';
import type { ElementSpan } from '../validation/scan.ts';
import { emit } from './outbound.ts';
import { isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { forwardableElement } from '../validation/forward.ts';
import { acceptBatchPayments, openCycleId } from './cycles.ts';
import { reserveNewRealtimePayments } from './realtime.ts';
import { joinsRealtimeGroup, submitRealtime } from './realtime-intake.ts';
import { limits } from '../limits.ts';
import { handleParsedMessage } from './messages.ts';
import { crashPoint } from './crash.ts';
import { refusedBytesToStore } from './refused-storage.ts';
import { addDays, businessDateOf, localDateTime, localTimeToUtc, rollInstant } from '../../batch/calendar.ts';
import type { CalendarConfig, RealtimeServiceConfig } from '../config.ts';

export interface Submission {
  readonly bytes: Uint8Array;
  /** The authenticated sending participant (from the connector: signature, SFTP account, queue). */
  readonly sender: string;
  readonly fileName?: string;
}

export interface IntakeResult {
  /** Row id of the stored inbound message. */
  readonly messageRowId: bigint;
  readonly status: FileReport['status'];
  readonly report: FileReport;
  /** The answer the switch queued for the sender (pacs.002 or admi.002), if any. */
  readonly answerXml?: string;
  /** True when these exact bytes had been received from this sender before. */
  readonly replay: boolean;
}

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
const NONE: readonly Located[] = [];

export async function submit(ctx: EngineContext, submission: Submission): Promise<IntakeResult> {
  const { bytes, sender } = submission;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length >= limits.replayCheckBeforeValidationBytesMin) {
    const replay = await findReplay(ctx, sender, sha256);
    if (replay) return replay;
  }

  const transactions: CollectedTransaction[] = [];
  const report = await validateFile(bytes, {
    xsd: ctx.xsd, sender, directory: ctx.directory, businessDate: currentBusinessDate(ctx),
    // Intake never reads a transaction's IBANs and BICs (the rules did): not keeping them spares a bulk
    // file's worth of small objects while the file is validated.
    onTransaction: (facts, span) => transactions.push({ facts: { ...facts, ibans: NONE, bics: NONE }, span }),
  });
  const validated: Validated = { submission, sha256, report, transactions };
  // Single real-time payments arrive concurrently by the thousand: they share one transaction.
  if (joinsRealtimeGroup(ctx, validated)) return submitRealtime(ctx, validated);
  return intakeAlone(ctx, validated);
}

/**
 * Store a validated submission in its own transaction: its bytes, its idempotency keys, its payments
 * (and their reservation, for real-time ones), its outcome and its answer. Throws a unique violation
 * when the same bytes from the same sender were stored meanwhile (see `intakeOnce`).
 */
async function intakeAlone(ctx: EngineContext, validated: Validated): Promise<IntakeResult> {
  const { submission, sha256, report, transactions } = validated;
  const { bytes, sender } = submission;
  const result = await ctx.db.transaction(async (tx): Promise<IntakeResult> => {
    const messageRowId = await storeInbound(tx, submission, sha256, report, report.status === 'RJCT'
      ? await refusedBytesToStore(tx, sender, currentBusinessDate(ctx), bytes.length, ctx.refusedBytesPerSenderPerDayMax)
      : bytes.length);
    let outcome = report;
    if (outcome.status !== 'RJCT' && outcome.group) {
      outcome = await claimKeys(tx, messageRowId, sha256, sender, outcome, transactions.map((t) => t.facts));
    }
    if (outcome.status !== 'RJCT' && outcome.messageId === 'pacs.008.001.08') {
      const accepted = acceptedTransactions(outcome, transactions, bytes);
      const realtime = await createPayments(ctx, tx, messageRowId, outcome, accepted);
      if (realtime.length > 0) {
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

/**
 * Submit, and when a concurrent submission of the same bytes won the race (unique index
 * messages_inbound_once), answer as the replay it is.
 */
export async function submitOnce(ctx: EngineContext, submission: Submission): Promise<IntakeResult> {
  try {
    return await submit(ctx, submission);
  } catch (error) {
    const sha256 = createHash('sha256').update(submission.bytes).digest('hex');
    return replayAfter(ctx, error, submission.sender, sha256);
  }
}

/** `intakeAlone`, answering a concurrent submission of the same bytes as a replay (as `submitOnce`). */
export async function intakeOnce(ctx: EngineContext, validated: Validated): Promise<IntakeResult> {
  try {
    return await intakeAlone(ctx, validated);
  } catch (error) {
    return replayAfter(ctx, error, validated.submission.sender, validated.sha256);
  }
}

async function replayAfter(ctx: EngineContext, error: unknown, sender: string, sha256: string): Promise<IntakeResult> {
  if (errorCode(error) !== UNIQUE_VIOLATION) throw error;
  const replay = await findReplay(ctx, sender, sha256);
  if (!replay) throw error;
  return replay;
}

const UNIQUE_VIOLATION = '23505';

/**
 * The business date used for settlement-date rules: the scheme calendar's, from the engine clock. It
 * can change only at local midnight and at the roll time, so it is worked out once per such interval
 * and reused until the clock leaves it: working it out takes several time-zone conversions (Intl),
 * about 0.1 ms, a tenth of a real-time message's whole intake.
 */
export function currentBusinessDate(ctx: EngineContext): string {
  const { calendar } = ctx.config;
  const ms = ctx.clock.now().getTime();
  const known = businessDates.get(calendar);
  if (known && ms >= known.from && ms < known.until) return known.date;
  const date = businessDateOf(ms, calendar);
  // businessDateOf reads the local date and compares with that date's roll instant: both hold until
  // the next local midnight, and the comparison also flips at the roll.
  const localDate = localDateTime(ms, calendar.timeZone).date;
  const midnight = localTimeToUtc(addDays(localDate, 1), '00:00', calendar.timeZone).getTime();
  const roll = rollInstant(localDate, calendar).getTime();
  businessDates.set(calendar, { from: ms, until: ms < roll ? Math.min(roll, midnight) : midnight, date });
  return date;
}

const businessDates = new WeakMap<CalendarConfig, { readonly from: number; readonly until: number; readonly date: string }>();

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
  const [row] = await tx.query<{ id: bigint }>(
    `INSERT INTO messages (direction, participant, message_type, message_id, business_message_id, file_name, sha256, size_bytes, bytes, bytes_truncated)
     VALUES ('in', $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [submission.sender, report.messageId ?? null, report.group?.messageId ?? null, report.header?.businessMessageId ?? null,
      submission.fileName ?? null, sha256, bytes.length, keptBytes < bytes.length ? bytes.subarray(0, keptBytes) : bytes, keptBytes < bytes.length]);
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
 * transfers and returns each accepted transaction's TxId (TX, per instructing agent) and UETR.
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
  const transactionKeys = new Map<string, number>();
  if (report.messageId === 'pacs.008.001.08' || report.messageId === 'pacs.004.001.09') {
    for (const f of facts) {
      if (!accepted.has(f.index)) continue;
      const agent = f.instructingAgent ?? report.group!.instructingAgent ?? sender;
      add('TX', agent, f.transactionId);
      if (f.transactionId) transactionKeys.set(claimId('TX', agent, f.transactionId), f.index);
      add('UETR', '', f.uetr);
      if (f.uetr) transactionKeys.set(claimId('UETR', '', f.uetr), f.index);
    }
  }
  return { kinds, scopes, keys, transactionKeys };
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
async function claimKeys(tx: Queryable, messageRowId: bigint, sha256: string, sender: string, report: FileReport,
  facts: readonly TransactionFacts[]): Promise<FileReport> {
  const claims = idempotencyClaims(report, facts, sender);
  const claimed = await tx.query<{ kind: string; scope: string; key: string }>(
    `INSERT INTO idempotency_keys (kind, scope, key, message_id, sha256)
     SELECT k, s, v, $4, $5 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(k, s, v)
     ON CONFLICT DO NOTHING RETURNING kind, scope, key`, [claims.kinds, claims.scopes, claims.keys, messageRowId, sha256]);
  if (claimed.length === claims.kinds.length) return report;
  const outcome = claimOutcome(report, facts, sender, claims, new Set(claimed.map((c) => claimId(c.kind, c.scope, c.key))));
  if (outcome.messageRejected) {
    // A message-level duplicate claims nothing: undo the keys this message did win.
    await tx.query('DELETE FROM idempotency_keys WHERE message_id = $1', [messageRowId]);
  }
  return outcome.report;
}

/**
 * The accepted transactions of a pacs.008 with their elements as text, forwarded as received: without
 * namespace prefixes, declarations and comments, meaning exactly what was validated (validation/forward.ts).
 */
export function acceptedTransactions(report: FileReport, collected: readonly CollectedTransaction[], bytes: Uint8Array): AcceptedTransaction[] {
  const accepted = new Set(report.transactions.filter((t) => t.status === 'ACCP').map((t) => t.index));
  return collected.filter((c) => accepted.has(c.facts.index) && c.span)
    .map((c) => ({ facts: c.facts, xml: forwardableElement(bytes, c.span!) }));
}

/**
 * Create the payments of an accepted pacs.008. Batch payments join the open cycle (ACCEPTED); real-time
 * payments (LclInstrm INST) are created RECEIVED and returned for reservation.
 */
async function createPayments(ctx: EngineContext, tx: Queryable, messageRowId: bigint, report: FileReport,
  accepted: readonly AcceptedTransaction[]): Promise<bigint[]> {
  if (accepted.length === 0) return [];
  const realtime = accepted[0]!.facts.localInstrument === 'INST' && realtimeService(ctx) !== undefined;
  const cycleId = realtime ? null : await openCycleId(ctx, tx);
  const rows = paymentRows(report, accepted);
  const columns = {
    index: rows.map((r) => r.index), txId: rows.map((r) => r.transactionId), e2e: rows.map((r) => r.endToEndId), uetr: rows.map((r) => r.uetr),
    instructing: rows.map((r) => r.instructingAgent), debtor: rows.map((r) => r.debtorAgent), creditor: rows.map((r) => r.creditorAgent),
    currency: rows.map((r) => r.currency), amount: rows.map((r) => r.amountMinor.toString()), date: rows.map((r) => r.settlementDate),
    xml: rows.map((r) => r.xml),
  };
  const state = realtime ? 'RECEIVED' : 'ACCEPTED';
  // A batch payment's XML is kept apart (acceptBatchPayments), out of the row netting and settlement update.
  const created = await tx.query<{ id: bigint; transaction_index: number }>(
    `INSERT INTO payments (message_id, transaction_index, kind, mode, transaction_id, end_to_end_id, uetr, instructing_agent,
        debtor_agent, creditor_agent, currency, amount_minor, settlement_date, state, cycle_id, transaction_xml)
     SELECT $1, i, 'CREDIT', $2, t, e, u, ia, da, ca, c, a::bigint, d::date, $3, $4, x
       FROM unnest($5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                   $13::text[], $14::text[], $15::text[]) AS p(i, t, e, u, ia, da, ca, c, a, d, x)
     ORDER BY i
     RETURNING id, transaction_index`,
    [messageRowId, realtime ? 'realtime' : 'batch', state, cycleId, columns.index, columns.txId, columns.e2e, columns.uetr,
      columns.instructing, columns.debtor, columns.creditor, columns.currency, columns.amount, columns.date,
      realtime ? columns.xml : columns.xml.map(() => null)]);
  if (realtime) return created.map((r) => r.id);
  await acceptBatchPayments(tx, cycleId!, created, columns.index, columns.xml);
  return [];
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
}

export function paymentRows(report: FileReport, accepted: readonly AcceptedTransaction[]): PaymentRow[] {
  return accepted.map(({ facts, xml }) => {
    const amount = parseAmount(facts.amount!.value, facts.amount!.currency);
    if (!amount.ok) throw new Error(`accepted transaction ${facts.index} has an invalid amount`);
    return {
      index: facts.index, transactionId: facts.transactionId ?? null, endToEndId: facts.endToEndId ?? null, uetr: facts.uetr ?? null,
      instructingAgent: facts.instructingAgent ?? report.group!.instructingAgent!, debtorAgent: facts.debtorAgent!,
      creditorAgent: facts.creditorAgent!, currency: facts.amount!.currency, amountMinor: amount.minor,
      settlementDate: facts.settlementDate ?? report.group!.settlementDate ?? null, xml,
    };
  });
}

export function realtimeService(ctx: EngineContext): RealtimeServiceConfig | undefined {
  return ctx.config.services.find((s): s is RealtimeServiceConfig => s.messageType === 'pacs.008' && s.mode === 'realtime');
}

/** Build, store and queue the sender's answer: pacs.002 (ACTC / PART / RJCT) or admi.002. */
export async function answerSender(ctx: EngineContext, tx: Queryable, report: FileReport, sender: string, fileName?: string):
  Promise<{ rowId: bigint; xml: string }> {
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  const answer = answerFor(report, {
    switchBic: ctx.switchBic, messageId, createdAt: isoDateTime(ctx.clock.now()), recipientBic: sender,
    fileReference: fileName ?? report.header?.businessMessageId ?? report.group?.messageId ?? 'UNKNOWN',
  });
  const xml = answer.kind === 'pacs.002.001.10' ? buildPacs002(answer.message) : buildAdmi002(answer.message);
  const emitted = await emit(tx, { recipient: sender, messageType: answer.kind, messageId, xml });
  return { rowId: emitted.messageRowId, xml };
}
