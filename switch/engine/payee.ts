/**
 * Payee verification (docs/risk.md, "Payee verification"; docs/scheme-rules.md, "Payee verification").
 *
 *  acmt.023 from a payer's bank: one verification (name + account + the payee's bank, a participant).
 *    - the account is in the payee bank's directory (its newest version): the switch answers at once,
 *      from the name on the account (switch/risk/payee-match.ts);
 *    - otherwise the request goes to the payee's bank (a new acmt.023 assigned by the switch, first
 *      agent the payer's bank), whose answer is due within limits.payee.answerTimeoutMs.
 *  acmt.024 from the payee's bank: accepted only from the bank asked, for a request still waiting, with
 *    a result the scheme knows (MTCH, CMTC with the name on the account, NMTC without it, NOAP); its
 *    result (and for a close match the name on the account, nothing else) goes to the payer's bank in an
 *    acmt.024 from the switch. Anything else is refused to its
 *    sender with the reason (pacs.002 RJCT), and changes nothing.
 *  Timeout (the sweep, or an answer arriving late): the payer's bank is answered from the directory if
 *    the account is in it by then, else acmt.024 NOAP (verification not possible), Vrfctn false.
 *
 * Every acmt.024 to a payer's bank: Vrfctn true only for MTCH; Rsn/Cd the result; OrgnlPtyAndAcctId
 * what was asked; UpdtdPtyAndAcctId/Pty/Nm the name on the account for CMTC only (a no-match never
 * discloses the holder's name).
 */
import { build as buildAcmt023, parseXml as parseAcmt023 } from '../iso/messages/acmt.023.001.04/index.ts';
import { build as buildAcmt024, parseXml as parseAcmt024, type VerificationReport } from '../iso/messages/acmt.024.001.04/index.ts';
import type { PartyAndAccount } from '../iso/messages/acmt-common.ts';
import { REASON } from '../iso/reason-codes.ts';
import { sameInstitution } from '../iso/bic.ts';
import { limits } from '../limits.ts';
import { compareNames } from '../risk/payee-match.ts';
import type { DirectoryEntry } from '../risk/payee-directory.ts';
import type { Queryable } from '../store/database.ts';
import { isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { emit } from './outbound.ts';
import { recordOperatorAction, type OperatorAction } from './operator-actions.ts';
import { documentText, refuse, type Handled, type ParsedInbound } from './inbound-message.ts';

/** The results of a verification (ExternalVerificationReason1Code values the scheme uses). */
export const VERIFICATION_RESULTS = ['MTCH', 'CMTC', 'NMTC', 'NOAP'] as const;
export type VerificationResult = (typeof VERIFICATION_RESULTS)[number];

interface VerificationRow {
  readonly id: bigint;
  readonly requester: string;
  readonly request_msg_id: string;
  readonly request_created: string;
  readonly verification_id: string;
  readonly payee_agent: string;
  readonly account_kind: 'iban' | 'other';
  readonly account: string;
  readonly name: string;
  readonly state: 'FORWARDED' | 'ANSWERED';
  readonly answer_by: Date | null;
  readonly answered_by: string | null;
}

const COLUMNS = `id, requester, request_msg_id, request_created, verification_id, payee_agent, account_kind, account, name, state,
  answer_by, answered_by`;

// ---------------------------------------------------------------- acmt.023 from the payer's bank

export async function handleVerificationRequest(ctx: EngineContext, tx: Queryable, inbound: ParsedInbound): Promise<Handled> {
  const request = parseAcmt023(documentText(inbound.bytes));
  // The scheme XSD admits exactly one verification with its party name, account and agent.
  const verification = request.verifications[0]!;
  const asked = verification.partyAndAccount;
  const account = asked.account!;
  const payee = ctx.directory.canonical(asked.agent!);
  const now = ctx.clock.now();
  const [row] = await tx.query<VerificationRow>(
    `INSERT INTO payee_verifications (request_message_id, requester, request_msg_id, request_created, verification_id, payee_agent,
        account_kind, account, name, state, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'ANSWERED', $10) RETURNING ${COLUMNS}`,
    [inbound.messageRowId, inbound.sender, request.assignment.messageId, request.assignment.creationDateTime, verification.id, payee,
      'iban' in account ? 'iban' : 'other', 'iban' in account ? account.iban : account.other.id.trim(), asked.party!.name!, now]);
  const onAccount = await directoryName(tx, payee, row!.account);
  if (onAccount !== undefined) {
    await answerFromDirectory(ctx, tx, row!, onAccount);
    return { answered: true, report: inbound.report };
  }
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  const xml = buildAcmt023({
    assignment: { messageId, creationDateTime: isoDateTime(now), firstAgent: inbound.sender, assigner: ctx.switchBic, assignee: payee },
    verifications: [{ id: verification.id, partyAndAccount: askedOf(row!) }],
  });
  await emit(tx, { recipient: payee, messageType: 'acmt.023.001.04', messageId, xml });
  await tx.query(`UPDATE payee_verifications SET state = 'FORWARDED', forwarded_msg_id = $2, answer_by = $3 WHERE id = $1`,
    [row!.id, messageId, new Date(now.getTime() + limits.payee.answerTimeoutMs)]);
  return { answered: true, report: inbound.report };
}

/** What the payer's bank asked, as the reports repeat it (OrgnlPtyAndAcctId) and the forwarded request carries it. */
function askedOf(row: VerificationRow): PartyAndAccount {
  return {
    party: { name: row.name },
    account: row.account_kind === 'iban' ? { iban: row.account } : { other: { id: row.account } },
    agent: row.payee_agent,
  };
}

/** The name on `account` in the newest directory version of `participant`, if it is there. */
async function directoryName(tx: Queryable, participant: string, account: string): Promise<string | undefined> {
  const [entry] = await tx.query<{ name: string }>(
    `SELECT e.name FROM payee_directory_entries e
      WHERE e.version_id = (SELECT id FROM payee_directory_versions WHERE participant = $1 ORDER BY version DESC LIMIT 1)
        AND e.account = $2`, [participant, account]);
  return entry?.name;
}

async function answerFromDirectory(ctx: EngineContext, tx: Queryable, row: VerificationRow, onAccount: string): Promise<void> {
  const { result } = compareNames(row.name, onAccount, limits.payee.closeMatchSimilarityMin);
  await answerRequester(ctx, tx, row, 'directory', {
    originalId: row.verification_id, verified: result === 'MTCH', reasonCode: result, original: askedOf(row),
    ...(result === 'CMTC' ? { updated: { party: { name: onAccount } } } : {}),
  });
}

/** The acmt.024 to the payer's bank, and the verification ANSWERED with it. */
async function answerRequester(ctx: EngineContext, tx: Queryable, row: VerificationRow, by: 'bank' | 'directory' | 'timeout',
  report: VerificationReport): Promise<void> {
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  const now = ctx.clock.now();
  const xml = buildAcmt024({
    assignment: { messageId, creationDateTime: isoDateTime(now), firstAgent: row.requester, assigner: ctx.switchBic, assignee: row.requester },
    originalAssignment: { messageId: row.request_msg_id, creationDateTime: row.request_created, firstAgent: row.requester },
    reports: [report],
  });
  const emitted = await emit(tx, { recipient: row.requester, messageType: 'acmt.024.001.04', messageId, xml });
  await tx.query(
    `UPDATE payee_verifications SET state = 'ANSWERED', result = $2, answered_by = $3, answer_message_id = $4, answered_at = $5 WHERE id = $1`,
    [row.id, report.reasonCode, by, emitted.messageRowId, now]);
}

/** At the timeout: from the directory if the account is in it by now, else NOAP. */
async function answerAtTimeout(ctx: EngineContext, tx: Queryable, row: VerificationRow): Promise<void> {
  const onAccount = await directoryName(tx, row.payee_agent, row.account);
  if (onAccount !== undefined) {
    await answerFromDirectory(ctx, tx, row, onAccount);
    return;
  }
  await answerRequester(ctx, tx, row, 'timeout', { originalId: row.verification_id, verified: false, reasonCode: 'NOAP', original: askedOf(row) });
}

// ---------------------------------------------------------------- acmt.024 from the payee's bank

export async function handleVerificationReport(ctx: EngineContext, tx: Queryable, inbound: ParsedInbound): Promise<Handled> {
  const message = parseAcmt024(documentText(inbound.bytes));
  const report = message.reports[0]!;
  const [row] = await tx.query<VerificationRow>(
    `SELECT ${COLUMNS} FROM payee_verifications WHERE forwarded_msg_id = $1 AND verification_id = $2 FOR UPDATE`,
    [message.originalAssignment.messageId, report.originalId]);
  const refused = (code: string, text: string): Handled => ({ answered: false, report: refuse(inbound.report, text, code) });
  if (!row) {
    return refused(REASON.originalNotFound,
      `no verification request ${message.originalAssignment.messageId} / ${report.originalId} was sent to a bank by the switch`);
  }
  if (!sameInstitution(row.payee_agent, inbound.sender)) {
    return refused(REASON.senderMismatch, `verification ${report.originalId} was asked of ${row.payee_agent}, not of ${inbound.sender}`);
  }
  const now = ctx.clock.now();
  if (row.state === 'FORWARDED' && row.answer_by !== null && now > row.answer_by) {
    // Late: the payer's bank is answered as at the timeout, whether or not the sweep got there first.
    await answerAtTimeout(ctx, tx, row);
    return refused(REASON.creditorAgentTimeout, 'answer after the scheme timeout: the payer\'s bank was answered without it');
  }
  if (row.state !== 'FORWARDED') {
    return row.answered_by === 'bank'
      ? refused(REASON.originalNotFound, `verification ${report.originalId} is already answered`)
      : refused(REASON.creditorAgentTimeout, 'answer after the scheme timeout: the payer\'s bank was answered without it');
  }
  const problem = reportProblem(report);
  if (problem) return refused(problem.code, problem.text);
  // The payer's bank gets its own question back and, for a close match, the name on the account: nothing
  // else the payee bank put in its report travels on.
  const name = report.updated?.party?.name;
  await answerRequester(ctx, tx, row, 'bank', {
    originalId: row.verification_id, verified: report.verified, reasonCode: report.reasonCode, original: askedOf(row),
    ...(name !== undefined ? { updated: { party: { name } } } : {}),
  });
  return { answered: true, report: inbound.report };
}

/** What makes a payee bank's report unusable, if anything: an unknown result, an inconsistent one. */
function reportProblem(report: VerificationReport): { code: string; text: string } | undefined {
  if (!(VERIFICATION_RESULTS as readonly string[]).includes(report.reasonCode)) {
    return { code: REASON.contentIncorrect, text: `result ${report.reasonCode} is not one of ${VERIFICATION_RESULTS.join(', ')}` };
  }
  if (report.verified !== (report.reasonCode === 'MTCH')) {
    return { code: REASON.contentIncorrect, text: `Vrfctn ${report.verified} contradicts ${report.reasonCode}: true for MTCH only` };
  }
  const name = report.updated?.party?.name;
  if (report.reasonCode === 'CMTC' && name === undefined) {
    return { code: REASON.requiredElementMissing, text: 'a close match (CMTC) carries the name on the account in UpdtdPtyAndAcctId/Pty/Nm' };
  }
  if (report.reasonCode !== 'CMTC' && report.updated !== undefined) {
    return { code: REASON.elementNotAllowed, text: `UpdtdPtyAndAcctId is given for a close match (CMTC) only, not with ${report.reasonCode}` };
  }
  return undefined;
}

// ---------------------------------------------------------------- the timeout

/** Answer every forwarded verification whose payee bank did not answer in time. Returns how many. */
export async function sweepVerificationTimeouts(ctx: EngineContext): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const due = await tx.query<VerificationRow>(
      `SELECT ${COLUMNS} FROM payee_verifications WHERE state = 'FORWARDED' AND answer_by < $1 ORDER BY id FOR UPDATE SKIP LOCKED`,
      [ctx.clock.now()]);
    for (const row of due) await answerAtTimeout(ctx, tx, row);
    return due.length;
  }, { retryable: true });
}

// ---------------------------------------------------------------- the directory

/** Rows of one INSERT of directory entries: 2 parameters (arrays) per statement, bounded memory per batch. */
const DIRECTORY_INSERT_ROWS = 5_000;

/**
 * A new version of `participant`'s directory with `entries`, recorded with the operator action that
 * loads it, in one transaction: all of it in force, or nothing.
 */
export async function loadDirectory(ctx: EngineContext, participant: string, entries: readonly DirectoryEntry[], sha256: string,
  action: OperatorAction): Promise<{ actionId: bigint; version: number }> {
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const recorded = await recordOperatorAction(tx, action, now);
    const [latest] = await tx.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM payee_directory_versions WHERE participant = $1', [participant]);
    const version = (latest?.version ?? 0) + 1;
    const [created] = await tx.query<{ id: bigint }>(
      `INSERT INTO payee_directory_versions (participant, version, entries, sha256, loaded_at, operator_action_id)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, [participant, version, entries.length, sha256, now, recorded.id]);
    for (let from = 0; from < entries.length; from += DIRECTORY_INSERT_ROWS) {
      const batch = entries.slice(from, from + DIRECTORY_INSERT_ROWS);
      await tx.query(
        `INSERT INTO payee_directory_entries (version_id, account, name) SELECT $1, a, n FROM unnest($2::text[], $3::text[]) AS t(a, n)`,
        [created!.id, batch.map((e) => e.account), batch.map((e) => e.name)]);
    }
    return { actionId: recorded.id, version };
  });
}

export interface DirectoryVersion {
  readonly participant: string;
  readonly version: number;
  readonly entries: number;
  readonly sha256: string;
  readonly loadedAt: Date;
  readonly operatorActionId: bigint;
}

/** Directory versions, newest first (reading only). */
export async function directoryVersions(db: Queryable, participant?: string): Promise<DirectoryVersion[]> {
  const rows = await db.query<{ participant: string; version: number; entries: number; sha256: string; loaded_at: Date; operator_action_id: bigint }>(
    `SELECT participant, version, entries, sha256, loaded_at, operator_action_id FROM payee_directory_versions
      WHERE $1::text IS NULL OR participant = $1 ORDER BY participant, version DESC`, [participant ?? null]);
  return rows.map((r) => ({ participant: r.participant, version: r.version, entries: r.entries, sha256: r.sha256, loadedAt: r.loaded_at,
    operatorActionId: r.operator_action_id }));
}

export interface VerificationSummary {
  readonly id: bigint;
  readonly requester: string;
  readonly payeeAgent: string;
  readonly verificationId: string;
  readonly state: string;
  readonly result: string | null;
  readonly answeredBy: string | null;
  readonly createdAt: Date;
}

/** The latest verifications, newest first (reading only). */
export async function listVerifications(db: Queryable, limit: number): Promise<VerificationSummary[]> {
  const rows = await db.query<{ id: bigint; requester: string; payee_agent: string; verification_id: string; state: string; result: string | null;
    answered_by: string | null; created_at: Date }>(
    `SELECT id, requester, payee_agent, verification_id, state, result, answered_by, created_at FROM payee_verifications ORDER BY id DESC LIMIT $1`,
    [limit]);
  return rows.map((r) => ({ id: r.id, requester: r.requester, payeeAgent: r.payee_agent, verificationId: r.verification_id, state: r.state,
    result: r.result, answeredBy: r.answered_by, createdAt: r.created_at }));
}
