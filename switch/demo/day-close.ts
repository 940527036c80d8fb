/**
 * The demo's business-day close (issue 13): once its day is closed (engine.closeBusinessDays, at the
 * settlement of the day's last cycle), the demo writes under its output folder
 *
 *   statements/<date>/<BIC>_<CCY>.camt.053.xml   each participant's camt.053 of the day, streamed from
 *                                                 the store (the same statement the participant was
 *                                                 delivered, under its own MsgId)
 *   reports/<date>/reconciliation.{csv,json,html,pdf}
 *   reports/<date>/statistics.{csv,json,html,pdf}  the regulator's daily report, with its charts
 *
 * The PDFs need Chromium (switch/reports/pdf.ts); without it they are left out and the demo says so.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Engine } from '../engine/engine.ts';
import { PdfRendererMissingError, reconciliationReport, renderReport, REPORT_FORMATS, statisticsReport, type Report } from '../reports/index.ts';
import { isoDateTime } from '../engine/context.ts';
import { formatSignedAmount } from '../iso/amount.ts';

export interface DayCloseOutput {
  readonly businessDate: string;
  readonly statements: readonly string[];
  readonly reports: readonly string[];
  readonly reconciled: boolean;
  readonly pdfMissing?: string;
}

export async function writeDayClose(engine: Engine, out: string, businessDate: string, options: {
  readonly fileMode: number;
  readonly directoryMode: number;
  readonly log: (line: string) => void;
}): Promise<DayCloseOutput> {
  await engine.closeBusinessDays();
  const day = (await engine.closedDays()).find((d) => d.businessDate === businessDate);
  if (!day) throw new Error(`business day ${businessDate} is not closed: a cycle of it has not settled`);
  const statementsDir = join(out, 'statements', businessDate);
  const reportsDir = join(out, 'reports', businessDate);
  mkdirSync(statementsDir, { recursive: true, mode: options.directoryMode });
  mkdirSync(reportsDir, { recursive: true, mode: options.directoryMode });
  const statements: string[] = [];
  const rows = await engine.dayStatements(businessDate);
  for (const s of rows) {
    const file = join(statementsDir, `${s.bic}_${s.currency}.camt.053.xml`);
    const messageId = `STM-FILE-${businessDate.replaceAll('-', '')}-${s.bic}-${s.currency}`;
    await pipeline(Readable.from(engine.statementDocument(businessDate, s.bic, s.currency, messageId)),
      createWriteStream(file, { mode: options.fileMode }));
    statements.push(file);
  }
  options.log(`   business day ${businessDate} closed (${day.cycles} cycles): ${rows.length} camt.053 statements delivered, ` +
    'admi.004 DCLS to every participant');
  for (const s of rows.filter((r) => r.entries > 0n)) {
    options.log(`     ${s.bic} ${s.currency}: opening ${formatSignedAmount(s.openingMinor, s.currency)}, ${s.entries} entries, ` +
      `closing ${formatSignedAmount(s.closingMinor, s.currency)}`);
  }
  const generatedAt = isoDateTime(engine.clock.now());
  const reconciliation = await reconciliationReport(engine, { period: { date: businessDate } });
  const statistics = await statisticsReport(engine, { period: { date: businessDate } });
  const reports: string[] = [];
  let pdfMissing: string | undefined;
  for (const report of [reconciliation, statistics] as Report[]) {
    for (const format of REPORT_FORMATS) {
      if (format === 'pdf' && pdfMissing !== undefined) continue;
      let bytes: Uint8Array;
      try {
        bytes = await renderReport(report, format, { generatedAt });
      } catch (error) {
        if (!(error instanceof PdfRendererMissingError)) throw error;
        pdfMissing = error.message;
        continue;
      }
      const file = join(reportsDir, `${report.kind}.${format}`);
      writeFileSync(file, bytes, { mode: options.fileMode });
      reports.push(file);
    }
  }
  options.log(`   reports: reconciliation (${reconciliation.ok ? 'reconciled' : `${reconciliation.mismatches.length} mismatch(es)`}) and ` +
    `the regulator's statistics, as ${REPORT_FORMATS.join(', ')}${pdfMissing ? ` (no PDF: ${pdfMissing})` : ''}, under reports/${businessDate}/`);
  return { businessDate, statements, reports, reconciled: reconciliation.ok, ...(pdfMissing ? { pdfMissing } : {}) };
}
