/**
 * Regulator statistics (docs/reports.md "Statistics"), for a business day or a month: volume and
 * value per participant, currency and service; per hour (a day) or per business day (a month);
 * rejections by reason code; unwinds and settlement failures; cap utilisation; peak throughput; the
 * bilateral flows. Every figure is an aggregation the database does (GROUP BY): the report's memory
 * depends on the number of participants, currencies and hours, not on the number of payments.
 */
import type { Engine } from '../engine/engine.ts';
import type { KeyedRow, ReportScope } from '../engine/report-reads.ts';
import { checkRequest, dateRange, periodLabel, receiptWindow, ReportRequestError, type ReportRequest } from './scope.ts';

export interface Volume {
  readonly currency: string;
  readonly count: number;
  readonly sumMinor: bigint;
}

export interface StatisticsReport {
  readonly kind: 'statistics';
  readonly period: string;
  readonly granularity: 'hour' | 'day';
  readonly participant?: string;
  /** The scheme's time zone: the hours of the series are local to it. */
  readonly timeZone: string;
  readonly cycles: ReadonlyArray<{ readonly id: string; readonly businessDate: string; readonly sequence: number; readonly state: string }>;
  /** Every payment of the period, per currency (all outcomes). */
  readonly totals: readonly Volume[];
  /** Payments accepted into clearing (not refused, released, cancelled or in flight), per currency. */
  readonly accepted: readonly Volume[];
  readonly sentByParticipant: ReadonlyArray<Volume & { readonly participant: string }>;
  readonly receivedByParticipant: ReadonlyArray<Volume & { readonly participant: string }>;
  /** Per service: mode (batch, realtime) and kind (CREDIT transfer, RETURN). */
  readonly byService: ReadonlyArray<Volume & { readonly mode: string; readonly kind: string }>;
  readonly byState: ReadonlyArray<{ readonly mode: string; readonly state: string; readonly count: number; readonly sumMinor: bigint }>;
  /** Per hour (scheme time, by the store's receipt time) or per business day. */
  readonly series: ReadonlyArray<Volume & { readonly at: string }>;
  /** Payments rejected or released, per debtor agent, ISO reason code and state. */
  readonly rejections: ReadonlyArray<{ readonly participant: string; readonly reason: string; readonly state: string; readonly count: number; readonly sumMinor: bigint }>;
  /** Transactions refused at validation (no payment made), per sender and reason code: counts only. */
  readonly refusedAtValidation: ReadonlyArray<{ readonly participant: string; readonly reason: string; readonly count: number }>;
  readonly unwinds: ReadonlyArray<Volume & { readonly participant: string; readonly reason: string }>;
  /** Settlement instructions the agent refused (pacs.002 RJCT). */
  readonly settlementFailures: ReadonlyArray<{ readonly cycle: string; readonly participant: string; readonly currency: string;
    readonly direction: string; readonly amountMinor: bigint; readonly reason: string }>;
  /** Peak net debit at netting over the period's cycles against the net debit cap in force now. */
  readonly capUtilisation: ReadonlyArray<{ readonly participant: string; readonly currency: string; readonly peakDebitMinor: bigint;
    readonly cycle: string | null; readonly capMinor: bigint | null; readonly utilisationPercent: string | null }>;
  readonly peakThroughput: { readonly perSecond: number; readonly secondAt: string | null; readonly perMinute: number; readonly minuteAt: string | null };
  /** Payments accepted into clearing per debtor agent, creditor agent and currency. */
  readonly bilateral: ReadonlyArray<Volume & { readonly debtor: string; readonly creditor: string }>;
}

const volume = (row: KeyedRow) => ({ count: Number(row.count), sumMinor: row.sumMinor });

/** The statistics of a business day or a month (one participant's own with `request.participant`). */
export async function statisticsReport(engine: Engine, request: ReportRequest): Promise<StatisticsReport> {
  checkRequest(request);
  const period = request.period;
  if ('cycle' in period) throw new ReportRequestError('statistics are per business day (--date) or month (--month), not per cycle');
  const reads = engine.reportReads();
  const { from, to } = dateRange(period);
  const cycles = await reads.cycles({ fromDate: from, toDate: to });
  const participant = request.participant;
  const scope: ReportScope = { cycleIds: cycles.map((c) => c.id), fromDate: from, toDate: to, participant };
  const timeZone = engine.configuration.calendar.timeZone;
  const granularity = 'date' in period ? 'hour' : 'day';
  const by = (dimension: Parameters<typeof reads.statistics>[1]) => reads.statistics(scope, dimension, timeZone);
  const mine = (bic: string) => participant === undefined || bic === participant;

  const states = await by('state');
  const currencies = await by('currency');
  const acceptedStates = new Set(['ACCEPTED', 'NETTED', 'COMMITTED', 'SETTLED', 'RETURNED']);
  const bilateral = (await by('bilateral')).map((r) => ({ debtor: r.key[0]!, creditor: r.key[1]!, currency: r.key[2]!, ...volume(r) }));
  const accepted = new Map<string, { count: number; sumMinor: bigint }>();
  for (const b of bilateral) {
    const had = accepted.get(b.currency) ?? { count: 0, sumMinor: 0n };
    accepted.set(b.currency, { count: had.count + b.count, sumMinor: had.sumMinor + b.sumMinor });
  }
  const positions = await reads.positions(cycles.map((c) => c.id));
  const caps = new Map((await reads.caps()).map((c) => [`${c.participant} ${c.currency}`, c.capMinor]));
  const peaks = new Map<string, { peak: bigint; cycle: string | null }>();
  for (const p of positions) {
    if (!mine(p.participant)) continue;
    const key = `${p.participant} ${p.currency}`;
    const debit = p.netMinor < 0n ? -p.netMinor : 0n;
    const had = peaks.get(key);
    if (had === undefined || debit > had.peak) peaks.set(key, { peak: debit, cycle: debit > 0n ? p.cycleId.toString() : had?.cycle ?? null });
  }
  const window = receiptWindow(from, to, engine.configuration.calendar);
  const peak = await reads.peakThroughput(scope);
  const failures = (await reads.instructions(cycles.map((c) => c.id))).filter((i) => i.state === 'REJECTED' && mine(i.participant));
  return {
    kind: 'statistics', period: periodLabel(period), granularity, ...(participant ? { participant } : {}), timeZone,
    cycles: cycles.map((c) => ({ id: c.id.toString(), businessDate: c.businessDate, sequence: c.sequence, state: c.state })),
    totals: currencies.map((r) => ({ currency: r.key[0]!, ...volume(r) })),
    accepted: [...accepted].sort(([a], [b]) => a.localeCompare(b)).map(([currency, v]) => ({ currency, ...v })),
    sentByParticipant: (await by('participant-sent')).filter((r) => mine(r.key[0]!)).map((r) => ({ participant: r.key[0]!, currency: r.key[1]!, ...volume(r) })),
    receivedByParticipant: (await by('participant-received')).filter((r) => mine(r.key[0]!)).map((r) => ({ participant: r.key[0]!, currency: r.key[1]!, ...volume(r) })),
    byService: (await by('service')).map((r) => ({ mode: r.key[0]!, kind: r.key[1]!, currency: r.key[2]!, ...volume(r) })),
    byState: states.map((r) => ({ mode: r.key[0]!, state: r.key[1]!, ...volume(r) })).filter((r) => r.count > 0 || acceptedStates.has(r.state)),
    series: (await by(granularity)).map((r) => ({ at: r.key[0]!, currency: r.key[1]!, ...volume(r) })),
    rejections: (await by('reason')).filter((r) => mine(r.key[0]!)).map((r) => ({ participant: r.key[0]!, reason: r.key[1]!, state: r.key[2]!, ...volume(r) })),
    refusedAtValidation: (await reads.validationRefusals(window.start, window.end, participant)).map((r) => ({ participant: r.key[0]!, reason: r.key[1]!, count: Number(r.count) })),
    unwinds: (await by('unwound')).filter((r) => mine(r.key[0]!)).map((r) => ({ participant: r.key[0]!, currency: r.key[1]!, reason: r.key[2]!, ...volume(r) })),
    settlementFailures: failures.map((i) => ({ cycle: i.cycleId.toString(), participant: i.participant, currency: i.currency, direction: i.direction,
      amountMinor: i.amountMinor, reason: i.reasonCode ?? 'NARR' })),
    capUtilisation: [...peaks].sort(([a], [b]) => a.localeCompare(b)).map(([key, p]) => {
      const [bic, currency] = key.split(' ') as [string, string];
      const cap = caps.get(key) ?? null;
      return { participant: bic, currency, peakDebitMinor: p.peak, cycle: p.cycle, capMinor: cap, utilisationPercent: cap ? percent(p.peak, cap) : null };
    }),
    peakThroughput: { perSecond: Number(peak.perSecond), secondAt: peak.secondAt, perMinute: Number(peak.perMinute), minuteAt: peak.minuteAt },
    bilateral,
  };
}

/** `part` as a percentage of `whole`, one decimal, in integer arithmetic (rounded half up). */
export function percent(part: bigint, whole: bigint): string {
  const tenths = (part * 1000n + whole / 2n) / whole;
  return `${tenths / 10n}.${tenths % 10n}`;
}
