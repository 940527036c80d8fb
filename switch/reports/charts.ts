/**
 * The statistics' charts as SVG, rendered on the server by Vega-Lite compiled to Vega (headless, no
 * canvas): a time series per hour or day, bars per participant, a heat map of bilateral flows per
 * currency. The same SVG goes into the HTML report, the PDF, and later the console
 * (docs/decisions.md, "Report charts: Vega-Lite to SVG on the server").
 *
 * Chart scales need numbers: amounts are drawn in major units converted from their exact decimal
 * text (Number of formatAmount), for drawing only; every figure in a table stays exact.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { formatAmount } from '../iso/amount.ts';
import type { StatisticsReport } from './statistics.ts';

export interface Chart {
  readonly title: string;
  readonly svg: string;
}

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const CONFIG = { font: FONT, view: { stroke: 'transparent' }, axis: { labelFontSize: 10, titleFontSize: 11 }, legend: { labelFontSize: 10 } };

async function svgOf(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: CONFIG } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const major = (minor: bigint, currency: string): number => Number(formatAmount(minor, currency));

export async function statisticsCharts(report: StatisticsReport): Promise<Chart[]> {
  const charts: Chart[] = [];
  const unit = report.granularity === 'hour' ? 'hour' : 'business day';
  if (report.series.length > 0) {
    charts.push({
      title: `Payments per ${unit} (${report.granularity === 'hour' ? `received, ${report.timeZone}` : 'by business day'})`,
      svg: await svgOf({
        width: 640, height: 220,
        data: { values: report.series.map((s) => ({ at: s.at, currency: s.currency, payments: s.count })) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'at', type: 'ordinal', title: unit, sort: 'ascending' },
          y: { field: 'payments', type: 'quantitative', title: 'payments' },
          color: { field: 'currency', type: 'nominal' },
        },
      }),
    });
  }
  const sent = report.sentByParticipant;
  if (sent.length > 0) {
    charts.push({
      title: 'Value sent per participant (major units, per currency)',
      svg: await svgOf({
        width: 640, height: 220,
        data: { values: sent.map((s) => ({ participant: s.participant, currency: s.currency, value: major(s.sumMinor, s.currency), payments: s.count })) },
        mark: 'bar',
        encoding: {
          x: { field: 'participant', type: 'nominal', title: 'participant (debtor agent)', axis: { labelAngle: -30 } },
          xOffset: { field: 'currency' },
          y: { field: 'value', type: 'quantitative', title: 'value' },
          color: { field: 'currency', type: 'nominal' },
        },
      }),
    });
  }
  const currencies = [...new Set(report.bilateral.map((b) => b.currency))].sort();
  for (const currency of currencies) {
    const flows = report.bilateral.filter((b) => b.currency === currency);
    // Counts on the darker half of the colour scale are written in white, to stay legible. The scale
    // spans the values' extent (min to max, not 0 to max): its middle is (min + max) / 2 — half the
    // maximum put white counts on the palest cells whenever the flows were alike (seen in the PDF).
    const sums = flows.map((b) => b.sumMinor);
    const light = (sums.reduce((m, v) => (v < m ? v : m), sums[0] ?? 0n) + sums.reduce((m, v) => (v > m ? v : m), 0n)) / 2n;
    charts.push({
      title: `Bilateral flows in ${currency} (value accepted, debtor agent to creditor agent)`,
      svg: await svgOf({
        width: 360, height: 300,
        data: { values: flows.map((b) => ({ debtor: b.debtor, creditor: b.creditor, value: major(b.sumMinor, currency), payments: b.count })) },
        layer: [
          { mark: 'rect', encoding: {
            x: { field: 'creditor', type: 'nominal', title: 'creditor agent', axis: { labelAngle: -30 } },
            y: { field: 'debtor', type: 'nominal', title: 'debtor agent' },
            color: { field: 'value', type: 'quantitative', title: currency, scale: { scheme: 'blues' } },
          } },
          { mark: { type: 'text', fontSize: 9 }, encoding: {
            x: { field: 'creditor', type: 'nominal' }, y: { field: 'debtor', type: 'nominal' }, text: { field: 'payments', type: 'quantitative' },
            color: { condition: { test: `datum.value > ${major(light, currency)}`, value: 'white' }, value: 'black' },
          } },
        ],
      } as TopLevelSpec),
    });
  }
  return charts;
}
