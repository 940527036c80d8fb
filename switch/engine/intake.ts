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
import type { TransactionFacts } from '../iso/message.ts';
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
import { unprefixed } from './outbound.ts';
import { acceptBatchPayments, openCycleId } from './cycles.ts';
import { reserveNewRealtimePayments } from './realtime.ts';
import { handleParsedMessage } from './messages.ts';
import { crashPoint } from './crash.ts';
import { businessDateOf } from '../../batch/calendar.ts';
import type { RealtimeServiceConfig } from '../config.ts';

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
interface AcceptedTransaction {
  readonly facts: TransactionFacts;
  readonly xml: string;
}

const decoder = new TextDecoder('utf-8');

export async function submit(ctx: EngineContext, submission: Submission): Promise<IntakeResult> {
  const { bytes, sender } = submission;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const replay = await findReplay(ctx, sender, sha256);
  if (replay) return replay;

  const transactions: { facts: TransactionFacts; span: ElementSpan | undefined }[] = [];
  const report = await validateFile(bytes, {
    xsd: ctx.xsd, sender, directory: ctx.directory, businessDate: currentBusinessDate(ctx),
    onTransaction: (facts, span) => transactions.push({ facts, span }),
  });

  const result = await ctx.db.transaction(async (tx): Promise<IntakeResult> => {
    const messageRowId = await storeInbound(tx, submission, sha256, report);
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
        return { messageRowId, status: outcome.status, report: outcome, replay: false };
      }
    } else if (outcome.status !== 'RJCT' && outcome.messageId) {
      // Returns, recalls, answers and status requests: small messages, read through their typed model.
      const handled = await handleParsedMessage(ctx, tx, { messageRowId, sender, bytes, report: outcome });
      if (handled.answered) {
        await recordIntake(tx, messageRowId, handled.report, handled.answerRowId);
        return { messageRowId, status: handled.report.status, report: handled.report, answerXml: handled.answerXml, replay: false };
      }
      outcome = handled.report;
    }
    const answer = await answerSender(ctx, tx, outcome, sender, submission.fileName);
    await recordIntake(tx, messageRowId, outcome, answer.rowId);
    crashPoint('intake.before-commit');
    return { messageRowId, status: outcome.status, report: outcome, answerXml: answer.xml, replay: false };
  });
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
    if (errorCode(error) !== UNIQUE_VIOLATION) throw error;
    const sha256 = createHash('sha256').update(submission.bytes).digest('hex');
    const replay = await findReplay(ctx, submission.sender, sha256);
    if (!replay) throw error;
    return replay;
  }
}

const UNIQUE_VIOLATION = '23505';

/** The business date used for settlement-date rules: the scheme calendar's, from the engine clock. */
export function currentBusinessDate(ctx: EngineContext): string {
  return businessDateOf(ctx.clock.now(), ctx.config.calendar);
}

async function findReplay(ctx: EngineContext, sender: string, sha256: string): Promise<IntakeResult | undefined> {
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

async function storeInbound(tx: Queryable, submission: Submission, sha256: string, report: FileReport): Promise<bigint> {
  const [row] = await tx.query<{ id: bigint }>(
    `INSERT INTO messages (direction, participant, message_type, message_id, business_message_id, file_name, sha256, size_bytes, bytes)
     VALUES ('in', $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [submission.sender, report.messageId ?? null, report.group?.messageId ?? null, report.header?.businessMessageId ?? null,
      submission.fileName ?? null, sha256, submission.bytes.length, submission.bytes]);
  return row!.id;
}

async function recordIntake(tx: Queryable, messageRowId: bigint, report: FileReport, answerRowId: bigint | undefined): Promise<void> {
  await tx.query('INSERT INTO intake (message_id, status, report, answer_message_id) VALUES ($1, $2, $3, $4)',
    [messageRowId, report.status, JSON.stringify(report), answerRowId ?? null]);
}

/**
 * Claim the message's idempotency keys. A message-level key already taken rejects the message (DU01);
 * a transaction key already taken rejects that transaction (AM05 TxId, DUPL UETR).
 */
async function claimKeys(tx: Queryable, messageRowId: bigint, sha256: string, sender: string, report: FileReport,
  facts: readonly TransactionFacts[]): Promise<FileReport> {
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
      if (f.transactionId) transactionKeys.set(`TX\u0000${agent}\u0000${f.transactionId}`, f.index);
      add('UETR', '', f.uetr);
      if (f.uetr) transactionKeys.set(`UETR\u0000\u0000${f.uetr}`, f.index);
    }
  }
  const claimed = await tx.query<{ kind: string; scope: string; key: string }>(
    `INSERT INTO idempotency_keys (kind, scope, key, message_id, sha256)
     SELECT k, s, v, $4, $5 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(k, s, v)
     ON CONFLICT DO NOTHING RETURNING kind, scope, key`, [kinds, scopes, keys, messageRowId, sha256]);
  if (claimed.length === kinds.length) return report;
  const won = new Set(claimed.map((c) => `${c.kind}\u0000${c.scope}\u0000${c.key}`));
  const findings: Finding[] = [];
  const rejectedIndexes = new Map<number, string>();
  for (let i = 0; i < kinds.length; i++) {
    const id = `${kinds[i]}\u0000${scopes[i]}\u0000${keys[i]}`;
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
  if (messageRejected) {
    // A message-level duplicate claims nothing: undo the keys this message did win.
    await tx.query('DELETE FROM idempotency_keys WHERE message_id = $1', [messageRowId]);
  }
  return { ...report, status, findings: [...report.findings, ...findings], transactions };
}

function acceptedTransactions(report: FileReport, collected: readonly { facts: TransactionFacts; span: ElementSpan | undefined }[],
  bytes: Uint8Array): AcceptedTransaction[] {
  const accepted = new Set(report.transactions.filter((t) => t.status === 'ACCP').map((t) => t.index));
  return collected.filter((c) => accepted.has(c.facts.index) && c.span)
    .map((c) => ({ facts: c.facts, xml: unprefixed(decoder.decode(bytes.subarray(c.span!.start, c.span!.end))) }));
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
  const columns = {
    index: [] as number[], txId: [] as (string | null)[], e2e: [] as (string | null)[], uetr: [] as (string | null)[],
    instructing: [] as string[], debtor: [] as string[], creditor: [] as string[], currency: [] as string[],
    amount: [] as string[], date: [] as (string | null)[], xml: [] as string[],
  };
  for (const { facts, xml } of accepted) {
    const amount = parseAmount(facts.amount!.value, facts.amount!.currency);
    if (!amount.ok) throw new Error(`accepted transaction ${facts.index} has an invalid amount`);
    columns.index.push(facts.index);
    columns.txId.push(facts.transactionId ?? null);
    columns.e2e.push(facts.endToEndId ?? null);
    columns.uetr.push(facts.uetr ?? null);
    columns.instructing.push(facts.instructingAgent ?? report.group!.instructingAgent!);
    columns.debtor.push(facts.debtorAgent!);
    columns.creditor.push(facts.creditorAgent!);
    columns.currency.push(facts.amount!.currency);
    columns.amount.push(amount.minor.toString());
    columns.date.push(facts.settlementDate ?? report.group!.settlementDate ?? null);
    columns.xml.push(xml);
  }
  const state = realtime ? 'RECEIVED' : 'ACCEPTED';
  // A batch payment's XML is kept apart (acceptBatchPayments), out of the row netting and settlement update.
  const rows = await tx.query<{ id: bigint; transaction_index: number }>(
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
  if (realtime) return rows.map((r) => r.id);
  await acceptBatchPayments(tx, cycleId!, rows, columns.index, columns.xml);
  return [];
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
