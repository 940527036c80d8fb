/**
 * `clearhouse report <kind>` (docs/reports.md): the reconciliation or the regulator statistics of a
 * business day (--date), a month (--month) or, for the reconciliation, a cycle (--cycle), all
 * participants or one (--participant, its own data), as CSV, JSON, HTML or PDF, to --out or standard
 * output. A reading command: the engine is opened read-only and nothing is written to the store.
 *
 * Exit codes: 0 done (a reconciliation that reconciled), 1 a reconciliation with mismatches (the
 * report is still written, listing them), 2 usage or configuration error.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isoDateTime } from '../engine/context.ts';
import {
  PdfRendererMissingError, REPORT_FORMATS, reconciliationReport, renderReport, ReportRequestError, statisticsReport,
  type Period, type Report, type ReportFormat,
} from '../reports/index.ts';
import { openReadOnly, withEngine, type CommonOptions } from './clearing.ts';

export const REPORT_KINDS = ['reconciliation', 'statistics'] as const;

interface ReportOptions extends CommonOptions {
  readonly date?: string;
  readonly month?: string;
  readonly cycle?: string;
  readonly participant?: string;
  readonly format?: string;
  readonly out?: string;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('reports: reconciliation (exit 1 on a mismatch) and regulator statistics, as csv, json, html or pdf (docs/reports.md)')
    .argument('<kind>', REPORT_KINDS.join(' | '))
    .option('--date <YYYY-MM-DD>', 'a business day')
    .option('--month <YYYY-MM>', 'the business days of a month')
    .option('--cycle <id>', 'one cycle (reconciliation only)')
    .option('--participant <bic>', "only this participant's own data")
    .option('--format <format>', REPORT_FORMATS.join(' | '), 'json')
    .option('--out <path>', 'write the report here (default: standard output; required for pdf)')
    .option('--config <file>', 'scheme configuration')
    .action(async (kind: string, options: ReportOptions) => {
      process.exitCode = await reportCommand(kind, options);
    });
}

function usage(message: string): number {
  process.stderr.write(`clearhouse report: ${message}\n`);
  return 2;
}

function periodOf(options: ReportOptions): Period | string {
  const given = [options.date, options.month, options.cycle].filter((v) => v !== undefined);
  if (given.length !== 1) return 'give exactly one of --date, --month, --cycle';
  if (options.date !== undefined) return { date: options.date };
  if (options.month !== undefined) return { month: options.month };
  if (!/^[1-9][0-9]{0,17}$/.test(options.cycle!)) return `${JSON.stringify(options.cycle)} is not a cycle id`;
  return { cycle: BigInt(options.cycle!) };
}

export async function reportCommand(kind: string, options: ReportOptions): Promise<number> {
  if (!(REPORT_KINDS as readonly string[]).includes(kind)) return usage(`unknown report ${JSON.stringify(kind)}: ${REPORT_KINDS.join(' | ')}`);
  const format = options.format ?? 'json';
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) return usage(`unknown format ${JSON.stringify(format)}: ${REPORT_FORMATS.join(' | ')}`);
  if (format === 'pdf' && options.out === undefined) return usage('--format pdf needs --out PATH');
  const period = periodOf(options);
  if (typeof period === 'string') return usage(period);
  return withEngine(options, async (engine) => {
    let report: Report;
    try {
      const request = { period, ...(options.participant !== undefined ? { participant: options.participant } : {}) };
      report = kind === 'reconciliation' ? await reconciliationReport(engine, request) : await statisticsReport(engine, request);
    } catch (error) {
      if (error instanceof ReportRequestError) return usage(error.message);
      throw error;
    }
    let bytes: Uint8Array;
    try {
      bytes = await renderReport(report, format as ReportFormat, { generatedAt: isoDateTime(engine.clock.now()) });
    } catch (error) {
      if (error instanceof PdfRendererMissingError) return usage(error.message);
      throw error;
    }
    if (options.out === undefined) process.stdout.write(bytes);
    else writeFileSync(options.out, bytes);
    const outcome = report.kind === 'reconciliation'
      ? (report.ok ? 'reconciled' : `${report.mismatches.length + report.mismatchesDropped} mismatch(es)`) : 'done';
    const line = `${report.kind}, ${report.period}${report.participant ? `, ${report.participant}` : ''}: ${outcome}${options.out ? ` (${options.out})` : ''}\n`;
    // With the report on standard output, the summary goes to standard error so the output stays one document.
    (options.out === undefined ? process.stderr : process.stdout).write(line);
    return report.kind === 'reconciliation' && !report.ok ? 1 : 0;
  }, openReadOnly);
}
