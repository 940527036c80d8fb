/**
 * Reconciliation (docs/reports.md "Reconciliation"): per cycle and per business day, what became of
 * the payments (received, rejected, accepted, netted, unwound, settled, delivered) per participant and
 * currency, three ways — the payments' states now, their recorded transitions, and what left the
 * switch (the settlement agent's pacs.009 and its pacs.002 answers, the bulk pacs.008 files and the
 * deliveries) — and every identity that must hold between them checked. A mismatch is listed, never
 * adjusted: `ok` is false and the CLI exits 1.
 */
import { formatAmount, parseAmount } from '../iso/amount.ts';
import { limits } from '../limits.ts';
import { parseXml as parsePacs009 } from '../iso/messages/pacs.009.001.08/index.ts';
import { parseXml as parsePacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import type { Engine } from '../engine/engine.ts';
import type { CycleRow, FigureRow, MessageRow, ReportReads, ReportScope } from '../engine/report-reads.ts';
import { checkRequest, dateRange, periodLabel, receiptWindow, ReportRequestError, type ReportRequest } from './scope.ts';

/** A count and a sum in minor units of one currency. */
export interface Figure {
  readonly count: number;
  readonly sumMinor: bigint;
}

/** The figures of one participant in one currency within a section (docs/reports.md lists each). */
export interface ReconciliationRow {
  readonly participant: string;
  readonly currency: string;
  readonly figures: Readonly<Record<FigureName, Figure>>;
}

export const FIGURE_NAMES = [
  // As debtor agent (the payments it sent), by their state now.
  'received', 'rejected', 'cancelledBeforeAcceptance', 'inFlight', 'accepted', 'open', 'cancelled', 'nettedUnsettled', 'settled', 'unwound',
  // As debtor agent, by the recorded transitions.
  'historyNetted', 'historyUnwound', 'historySettled',
  // As creditor agent (the payments it was sent).
  'incomingAccepted', 'incomingSettledBatch', 'delivered', 'deliveredBatch', 'deliveredRealtime',
  // Settlement: the net position, what the ledger booked, what the settlement agent confirmed (count: instructions).
  'position', 'paymentsNet', 'ledgerSettled', 'agentConfirmed',
] as const;
export type FigureName = typeof FIGURE_NAMES[number];

export interface Mismatch {
  readonly identity: IdentityName;
  readonly section: string;
  readonly participant?: string;
  readonly currency?: string;
  readonly expected: string;
  readonly actual: string;
  readonly detail: string;
}

export const IDENTITIES = {
  knownStates: 'received = accepted + rejected + cancelled before acceptance + in flight (every payment in a known state)',
  acceptedNetted: 'accepted = netted (transitions) + cancelled + still open',
  unwoundRejected: 'unwound (transitions) = unwound and rejected (state)',
  settledHistory: 'settled (state) = settled (transitions)',
  settledCycle: 'in a settled cycle: netted - unwound = settled',
  sumZero: 'the net positions of a cycle sum to zero per currency',
  positionPayments: 'net position = credits - debits of the payments kept in the cycle',
  instructionMessage: 'each settlement instruction in the ledger = the pacs.009 sent (amount, direction)',
  instructionAnswer: 'an instruction is SETTLED in the ledger exactly when the agent answered ACSC (once)',
  agentConfirmed: 'settled per participant (ledger) = the amount the settlement agent confirmed',
  positionSettled: 'in a settled cycle: net position = the amount the settlement agent confirmed',
  deliveredSettled: 'batch payments settled to a creditor = delivered to it in bulk files (count and sum)',
  deliveredAccepted: 'delivered <= accepted (per creditor)',
  bulkFileDelivered: 'every bulk file of the day was delivered',
} as const;
export type IdentityName = keyof typeof IDENTITIES;

export interface ReconciliationSection {
  /** 'cycle 12' or 'business day 2026-11-26' / 'month 2026-11'. */
  readonly name: string;
  readonly cycle?: { readonly id: string; readonly businessDate: string; readonly sequence: number; readonly state: string };
  readonly rows: readonly ReconciliationRow[];
}

export interface ReconciliationReport {
  readonly kind: 'reconciliation';
  readonly period: string;
  readonly participant?: string;
  readonly sections: readonly ReconciliationSection[];
  /** Transactions refused at validation (no payment was made of them), per sender and reason code. */
  readonly refusedAtValidation: ReadonlyArray<{ readonly participant: string; readonly reason: string; readonly count: number }>;
  /** How many times each identity was checked (so a clean report is not a vacuous one). */
  readonly checked: Readonly<Record<IdentityName, number>>;
  readonly mismatches: readonly Mismatch[];
  /** Mismatches beyond limits.reportMismatchesMax, counted only. */
  readonly mismatchesDropped: number;
  readonly ok: boolean;
}

const ZERO: Figure = { count: 0, sumMinor: 0n };

/** Per participant and currency, the figures of a section as they are filled in. */
class Table {
  private readonly rows = new Map<string, Map<FigureName, Figure>>();

  add(participant: string, currency: string, name: FigureName, figure: Figure): void {
    const key = `${participant} ${currency}`;
    const row = this.rows.get(key) ?? new Map<FigureName, Figure>();
    const had = row.get(name) ?? ZERO;
    row.set(name, { count: had.count + figure.count, sumMinor: had.sumMinor + figure.sumMinor });
    this.rows.set(key, row);
  }

  get(participant: string, currency: string, name: FigureName): Figure {
    return this.rows.get(`${participant} ${currency}`)?.get(name) ?? ZERO;
  }

  keys(): Array<{ participant: string; currency: string }> {
    return [...this.rows.keys()].sort().map((k) => { const [participant, currency] = k.split(' ') as [string, string]; return { participant, currency }; });
  }

  toRows(): ReconciliationRow[] {
    return this.keys().map(({ participant, currency }) => ({
      participant, currency,
      figures: Object.fromEntries(FIGURE_NAMES.map((n) => [n, this.get(participant, currency, n)])) as Record<FigureName, Figure>,
    }));
  }
}

class Checks {
  readonly checked = Object.fromEntries(Object.keys(IDENTITIES).map((k) => [k, 0])) as Record<IdentityName, number>;
  readonly mismatches: Mismatch[] = [];
  dropped = 0;

  /** Checks `expected` = `actual` (or <= with `atMost`); a difference is recorded with what it names. */
  equal(identity: IdentityName, where: Omit<Mismatch, 'identity' | 'expected' | 'actual' | 'detail'>, expected: Figure | bigint, actual: Figure | bigint,
    detail: string, atMost = false): void {
    this.checked[identity]++;
    const e = typeof expected === 'bigint' ? { count: -1, sumMinor: expected } : expected;
    const a = typeof actual === 'bigint' ? { count: -1, sumMinor: actual } : actual;
    const holds = atMost ? a.count <= e.count && a.sumMinor <= e.sumMinor : a.count === e.count && a.sumMinor === e.sumMinor;
    if (holds) return;
    this.fail({ identity, ...where, expected: show(e, where.currency), actual: show(a, where.currency), detail });
  }

  fail(mismatch: Mismatch): void {
    if (this.mismatches.length < limits.reportMismatchesMax) this.mismatches.push(mismatch);
    else this.dropped++;
  }
}

function show(f: Figure, currency: string | undefined): string {
  const amount = currency ? `${formatSignedOrPlain(f.sumMinor, currency)} ${currency}` : f.sumMinor.toString();
  return f.count < 0 ? amount : `${f.count} payments, ${amount}`;
}

function formatSignedOrPlain(minor: bigint, currency: string): string {
  return minor < 0n ? `-${formatAmount(-minor, currency)}` : formatAmount(minor, currency);
}

const plus = (...figures: Figure[]): Figure => figures.reduce((a, b) => ({ count: a.count + b.count, sumMinor: a.sumMinor + b.sumMinor }), ZERO);
const minus = (a: Figure, b: Figure): Figure => ({ count: a.count - b.count, sumMinor: a.sumMinor - b.sumMinor });

/** Where a class of the ledger's figures goes (report-reads.ts paymentFigures). */
const SENT: Readonly<Record<string, FigureName>> = {
  rejected: 'rejected', 'cancelled-before-acceptance': 'cancelledBeforeAcceptance', 'in-flight': 'inFlight', open: 'open', cancelled: 'cancelled',
  'netted-unsettled': 'nettedUnsettled', settled: 'settled', unwound: 'unwound',
};
const HISTORY: Readonly<Record<string, FigureName>> = { 'history.netted': 'historyNetted', 'history.unwound': 'historyUnwound', 'history.settled': 'historySettled' };

/**
 * The reconciliation report of a day, a month or a cycle (one participant's own with
 * `request.participant`). Reads through the engine's report reads only; changes nothing.
 */
export async function reconciliationReport(engine: Engine, request: ReportRequest): Promise<ReconciliationReport> {
  checkRequest(request);
  const reads = engine.reportReads();
  const period = request.period;
  const cycles = 'cycle' in period ? await reads.cycles({ id: period.cycle }) : await reads.cycles({ fromDate: dateRange(period).from, toDate: dateRange(period).to });
  if ('cycle' in period && cycles.length === 0) throw new ReportRequestError(`cycle ${period.cycle} does not exist`);
  const checks = new Checks();
  const participant = request.participant;
  const agent = await agentBook(reads, engine.settlementAgentBic, engine.switchBic, cycles.map((c) => c.id));
  const sections: ReconciliationSection[] = [];
  for (const cycle of cycles) {
    const table = await section(reads, { cycleIds: [cycle.id], participant }, checks, `cycle ${cycle.id}`);
    await settlementChecks(reads, cycle, table, agent, checks, participant);
    sections.push({ name: `cycle ${cycle.id}`, cycle: { id: cycle.id.toString(), businessDate: cycle.businessDate, sequence: cycle.sequence, state: cycle.state },
      rows: table.toRows() });
  }
  let refusedAtValidation: ReconciliationReport['refusedAtValidation'] = [];
  if (!('cycle' in period)) {
    const { from, to } = dateRange(period);
    const name = periodLabel(period);
    const table = await section(reads, { cycleIds: cycles.map((c) => c.id), fromDate: from, toDate: to, participant }, checks, name);
    for (const cycle of cycles) {
      for (const p of await reads.positions([cycle.id])) {
        if (participant === undefined || p.participant === participant) table.add(p.participant, p.currency, 'position', { count: 0, sumMinor: p.netMinor });
      }
    }
    for (const [key, confirmed] of agent.confirmed) {
      const [, bic, currency] = key.split(' ') as [string, string, string];
      if (participant === undefined || bic === participant) table.add(bic, currency, 'agentConfirmed', confirmed);
    }
    await deliveryChecks(reads, { cycleIds: cycles.map((c) => c.id), fromDate: from, toDate: to, participant }, table, checks, name);
    sections.push({ name, rows: table.toRows() });
    const window = receiptWindow(from, to, engine.configuration.calendar);
    refusedAtValidation = (await reads.validationRefusals(window.start, window.end, participant))
      .map((r) => ({ participant: r.key[0]!, reason: r.key[1]!, count: Number(r.count) }));
  }
  return {
    kind: 'reconciliation', period: periodLabel(period), ...(participant ? { participant } : {}), sections, refusedAtValidation,
    checked: checks.checked, mismatches: checks.mismatches, mismatchesDropped: checks.dropped, ok: checks.mismatches.length === 0 && checks.dropped === 0,
  };
}

/** The payment figures of a scope and the identities among them. */
async function section(reads: ReportReads, scope: ReportScope, checks: Checks, name: string): Promise<Table> {
  const table = new Table();
  const byParticipant = (row: FigureRow) => scope.participant === undefined || row.participant === scope.participant;
  const figure = (row: FigureRow): Figure => ({ count: Number(row.count), sumMinor: row.sumMinor });
  for (const row of (await reads.paymentFigures(scope)).filter(byParticipant)) {
    const [side, cls, mode, kind] = row.figure.split('.') as [string, string, string, string];
    if (side === 'sent') {
      table.add(row.participant, row.currency, 'received', figure(row));
      const target = SENT[cls];
      if (target) table.add(row.participant, row.currency, target, figure(row));
      else checks.fail({ identity: 'knownStates', section: name, participant: row.participant, currency: row.currency, expected: '0 payments',
        actual: `${row.count} payments`, detail: `payments in a state no payment of this kind can be in (${cls})` });
      if (cls === 'open' || cls === 'cancelled' || cls === 'netted-unsettled' || cls === 'settled' || cls === 'unwound') {
        table.add(row.participant, row.currency, 'accepted', figure(row));
      }
    } else {
      const accepted = ['open', 'netted-unsettled', 'settled', 'unwound'].includes(cls) || (cls === 'cancelled' && mode === 'batch');
      if (accepted) table.add(row.participant, row.currency, 'incomingAccepted', figure(row));
      if (cls === 'settled' && mode === 'batch' && kind === 'credit') table.add(row.participant, row.currency, 'incomingSettledBatch', figure(row));
    }
  }
  for (const row of (await reads.historyFigures(scope)).filter(byParticipant)) {
    const target = HISTORY[row.figure];
    if (target) table.add(row.participant, row.currency, target, figure(row));
  }
  for (const { participant, currency } of table.keys()) {
    const f = (n: FigureName) => table.get(participant, currency, n);
    const where = { section: name, participant, currency };
    checks.equal('knownStates', where, f('received'), plus(f('accepted'), f('rejected'), f('cancelledBeforeAcceptance'), f('inFlight')),
      `payments ${participant} sent in ${currency}: received against the sum of their outcomes`);
    checks.equal('acceptedNetted', where, f('accepted'), plus(f('historyNetted'), f('cancelled'), f('open')),
      `payments ${participant} sent in ${currency}: accepted (state) against netted (transitions) + cancelled + open`);
    checks.equal('unwoundRejected', where, f('historyUnwound'), f('unwound'),
      `payments ${participant} sent in ${currency}: recorded as unwound against unwound and rejected now`);
    checks.equal('settledHistory', where, f('historySettled'), f('settled'),
      `payments ${participant} sent in ${currency}: recorded as settled against SETTLED or RETURNED now`);
  }
  return table;
}

/** One settlement instruction as the agent saw it: the pacs.009 sent, and the answers to it. */
interface AgentInstruction {
  readonly cycleId: bigint;
  readonly participant: string;
  readonly currency: string;
  readonly signedMinor: bigint;
  readonly answers: string[];
}

interface AgentBook {
  readonly instructions: Map<string, AgentInstruction>;
  /** 'cycle bic currency' → net confirmed (ACSC) by the agent; count: instructions. */
  readonly confirmed: Map<string, Figure>;
}

/** The settlement agent's book from its messages alone: pacs.009 received, pacs.002 answered (docs/reports.md). */
async function agentBook(reads: ReportReads, agentBic: string, switchBic: string, cycleIds: readonly bigint[]): Promise<AgentBook> {
  const instructions = new Map<string, AgentInstruction>();
  const answers: Array<{ id: string; status: string }> = [];
  const wanted = new Set(cycleIds.map(String));
  await reads.agentMessages(agentBic, cycleIds, (rows: MessageRow[]) => {
    for (const m of rows) {
      const xml = Buffer.from(m.bytes).toString('utf8');
      if (m.direction === 'out' && m.messageType === 'pacs.009.001.08') {
        for (const t of parsePacs009(xml).transactions) {
          const id = t.paymentIdentification.transactionId ?? t.paymentIdentification.instructionId ?? '';
          const cycle = /^C(\d+)-A\d+-/.exec(id)?.[1];
          if (cycle === undefined || !wanted.has(cycle)) continue;
          const debit = t.debtor !== switchBic;
          const amount = parseAmount(t.interbankSettlementAmount.value, t.interbankSettlementAmount.currency);
          const minor = amount.ok ? amount.minor : 0n;
          instructions.set(id, { cycleId: BigInt(cycle), participant: debit ? t.debtor : t.creditor, currency: t.interbankSettlementAmount.currency,
            signedMinor: debit ? -minor : minor, answers: [] });
        }
      } else if (m.direction === 'in' && m.messageType === 'pacs.002.001.10') {
        const message = parsePacs002(xml);
        const groupStatus = message.originalGroups[0]?.groupStatus;
        for (const t of message.transactions) {
          if (t.originalTransactionId) answers.push({ id: t.originalTransactionId, status: t.transactionStatus ?? groupStatus ?? '' });
        }
      }
    }
  });
  for (const a of answers) instructions.get(a.id)?.answers.push(a.status);
  const confirmed = new Map<string, Figure>();
  for (const i of instructions.values()) {
    if (!i.answers.includes('ACSC')) continue;
    const key = `${i.cycleId} ${i.participant} ${i.currency}`;
    const had = confirmed.get(key) ?? ZERO;
    confirmed.set(key, { count: had.count + 1, sumMinor: had.sumMinor + i.signedMinor });
  }
  return { instructions, confirmed };
}

/** A cycle's positions against its payments, the ledger's instructions and the agent's messages. */
async function settlementChecks(reads: ReportReads, cycle: CycleRow, table: Table, agent: AgentBook, checks: Checks, participant?: string): Promise<void> {
  const name = `cycle ${cycle.id}`;
  const mine = <T extends { participant: string }>(rows: T[]): T[] => rows.filter((r) => participant === undefined || r.participant === participant);
  const allPositions = await reads.positions([cycle.id]);
  const netted = !['OPEN', 'CUT_OFF'].includes(cycle.state);
  if (netted) {
    // Zero-sum holds over every participant: checked on the whole cycle even for one participant's report.
    const sums = new Map<string, bigint>();
    for (const p of allPositions) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.netMinor);
    for (const [currency, sum] of sums) checks.equal('sumZero', { section: name, currency }, 0n, sum, `net positions of cycle ${cycle.id} in ${currency}`);
  }
  for (const p of mine(allPositions)) table.add(p.participant, p.currency, 'position', { count: 0, sumMinor: p.netMinor });
  for (const n of mine(await reads.paymentNets({ cycleIds: [cycle.id] }))) table.add(n.participant, n.currency, 'paymentsNet', { count: 0, sumMinor: n.netMinor });
  const ledger = mine(await reads.instructions([cycle.id]));
  for (const i of ledger) {
    const where = { section: name, participant: i.participant, currency: i.currency };
    const sent = agent.instructions.get(i.instructionId);
    const signed = i.direction === 'DEBIT' ? -i.amountMinor : i.amountMinor;
    checks.equal('instructionMessage', where, sent?.signedMinor ?? 0n, signed,
      sent ? `instruction ${i.instructionId}: the ledger's amount against its pacs.009's` : `instruction ${i.instructionId}: no pacs.009 to the settlement agent carries it`);
    const acsc = sent?.answers.filter((a) => a === 'ACSC').length ?? 0;
    checks.equal('instructionAnswer', where, i.state === 'SETTLED' ? 1n : 0n, BigInt(acsc),
      `instruction ${i.instructionId}: ${i.state} in the ledger, answered ${sent?.answers.join(', ') || 'nothing'} by the settlement agent`);
    if (i.state === 'SETTLED') table.add(i.participant, i.currency, 'ledgerSettled', { count: 1, sumMinor: signed });
  }
  for (const [key, figure] of agent.confirmed) {
    const [cycleId, bic, currency] = key.split(' ') as [string, string, string];
    if (cycleId === cycle.id.toString() && (participant === undefined || bic === participant)) table.add(bic, currency, 'agentConfirmed', figure);
  }
  for (const { participant: bic, currency } of table.keys()) {
    const f = (n: FigureName) => table.get(bic, currency, n);
    const where = { section: name, participant: bic, currency };
    checks.equal('agentConfirmed', where, f('agentConfirmed').sumMinor, f('ledgerSettled').sumMinor,
      `cycle ${cycle.id}, ${bic} in ${currency}: settled in the ledger against confirmed by the settlement agent (ACSC)`);
    if (netted) {
      checks.equal('positionPayments', where, f('position').sumMinor, f('paymentsNet').sumMinor,
        `cycle ${cycle.id}, ${bic} in ${currency}: the stored net position against the payments kept in the cycle`);
    }
    if (cycle.state === 'SETTLED') {
      checks.equal('positionSettled', where, f('position').sumMinor, f('agentConfirmed').sumMinor,
        `cycle ${cycle.id} settled, ${bic} in ${currency}: net position against the amount the settlement agent confirmed`);
      checks.equal('settledCycle', where, minus(f('historyNetted'), f('historyUnwound')), f('historySettled'),
        `cycle ${cycle.id} settled, payments ${bic} sent in ${currency}: netted less unwound against settled`);
    }
  }
}

/** A bulk pacs.008 as its first bytes show it. */
interface BulkFile { readonly messageId: string; readonly recipient: string; readonly date: string; readonly currency: string; readonly count: number;
  readonly totalMinor: bigint; readonly delivered: boolean }

function bulkFileOf(m: MessageRow): BulkFile | undefined {
  const head = Buffer.from(m.bytes).toString('utf8');
  const group = /<GrpHdr>([\s\S]*?)<\/GrpHdr>/.exec(head)?.[1];
  if (group === undefined) return undefined;
  const text = (element: string) => new RegExp(`<${element}(?: [^>]*)?>([^<]*)</${element}>`).exec(group)?.[1];
  const currency = /<TtlIntrBkSttlmAmt Ccy="([A-Z]{3})">/.exec(group)?.[1];
  const total = text('TtlIntrBkSttlmAmt');
  const amount = currency && total ? parseAmount(total, currency) : undefined;
  return { messageId: text('MsgId') ?? '', recipient: m.participant, date: text('IntrBkSttlmDt') ?? '', currency: currency ?? '',
    count: Number(text('NbOfTxs') ?? '0'), totalMinor: amount?.ok ? amount.minor : 0n, delivered: m.outboxState === 'DELIVERED' && m.deliveredOk };
}

/** The day's deliveries: bulk files (read from their headers) and real-time forwards against what was settled and accepted. */
async function deliveryChecks(reads: ReportReads, scope: ReportScope & { fromDate: string; toDate: string }, table: Table,
  checks: Checks, name: string): Promise<void> {
  await reads.bulkFileHeads(scope, (rows) => {
    for (const m of rows) {
      const file = bulkFileOf(m);
      if (file === undefined || file.date < scope.fromDate || file.date > scope.toDate) continue;
      checks.checked.bulkFileDelivered++;
      if (file.delivered) table.add(file.recipient, file.currency, 'deliveredBatch', { count: file.count, sumMinor: file.totalMinor });
      else checks.fail({ identity: 'bulkFileDelivered', section: name, participant: file.recipient, currency: file.currency, expected: 'delivered',
        actual: `outbox ${m.outboxState ?? 'none'}, ${m.deliveredOk ? 'a successful attempt' : 'no successful delivery attempt'} recorded`,
        detail: `bulk file ${file.messageId} (${file.count} payments) to ${file.recipient} was not delivered` });
    }
  });
  for (const row of await reads.forwardedDelivered(scope)) {
    if (scope.participant === undefined || row.participant === scope.participant) {
      table.add(row.participant, row.currency, 'deliveredRealtime', { count: Number(row.count), sumMinor: row.sumMinor });
    }
  }
  for (const { participant, currency } of table.keys()) {
    const f = (n: FigureName) => table.get(participant, currency, n);
    table.add(participant, currency, 'delivered', plus(f('deliveredBatch'), f('deliveredRealtime')));
    const where = { section: name, participant, currency };
    checks.equal('deliveredAccepted', where, f('incomingAccepted'), f('delivered'),
      `payments to ${participant} in ${currency}: delivered to it against accepted for it`, true);
    // Settled payments are those of settled cycles, whose bulk files are made in the same transaction: always equal once dispatched.
    checks.equal('deliveredSettled', where, f('incomingSettledBatch'), f('deliveredBatch'),
      `batch payments to ${participant} in ${currency}: settled against delivered in bulk files`);
  }
}
