/**
 * Reports (docs/reports.md): the reconciliation and the regulator statistics, for the CLI
 * (`clearhouse report`) and the HTTP API. Reading only: they change nothing in the store.
 *
 *   reconciliationReport(engine, request) → ReconciliationReport     (ok false: mismatches listed)
 *   statisticsReport(engine, request)     → StatisticsReport
 *   renderReport(report, format, { generatedAt }) → bytes of csv | json | html | pdf
 */
import { statisticsCharts, type Chart } from './charts.ts';
import { htmlToPdf } from './pdf.ts';
import { toCsv, toHtml, toJson, type Report } from './render.ts';

export { reconciliationReport, FIGURE_NAMES, IDENTITIES, type ReconciliationReport, type Mismatch, type Figure } from './reconciliation.ts';
export { statisticsReport, type StatisticsReport } from './statistics.ts';
export { ReportRequestError, type ReportRequest, type Period } from './scope.ts';
export { PdfRendererMissingError } from './pdf.ts';
export { statisticsCharts, type Chart } from './charts.ts';
export type { Report } from './render.ts';

export const REPORT_FORMATS = ['csv', 'json', 'html', 'pdf'] as const;
export type ReportFormat = typeof REPORT_FORMATS[number];

/** A report in `format`; `generatedAt` (ISO text) is printed in the HTML and PDF heading. */
export async function renderReport(report: Report, format: ReportFormat, options: { readonly generatedAt: string }): Promise<Uint8Array> {
  if (format === 'json') return Buffer.from(toJson(report), 'utf8');
  if (format === 'csv') return Buffer.from(toCsv(report), 'utf8');
  const charts: Chart[] = report.kind === 'statistics' ? await statisticsCharts(report) : [];
  const html = toHtml(report, charts, options.generatedAt);
  return format === 'html' ? Buffer.from(html, 'utf8') : htmlToPdf(html);
}
