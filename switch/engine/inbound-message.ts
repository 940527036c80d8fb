/**
 * An inbound message other than a credit transfer, as its handler receives it (messages.ts,
 * exceptions.ts), what a handler returns, and what they share: the Document as text, a refusal.
 */
import type { Finding } from '../iso/finding.ts';
import { REASON } from '../iso/reason-codes.ts';
import type { FileReport } from '../validation/pipeline.ts';

export interface ParsedInbound {
  readonly messageRowId: bigint;
  readonly sender: string;
  readonly bytes: Uint8Array;
  readonly report: FileReport;
}

export interface Handled {
  /** True when the handler answered (or deliberately does not answer) the sender itself. */
  readonly answered: boolean;
  readonly report: FileReport;
  readonly answerRowId?: bigint;
  readonly answerXml?: string;
}

const decoder = new TextDecoder('utf-8');

/** The Document of a bare message or of an envelope, as text. */
export function documentText(bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  const match = /<([A-Za-z_][\w.-]*:)?Document[\s>][\s\S]*<\/([A-Za-z_][\w.-]*:)?Document>/.exec(text);
  return match ? match[0] : text;
}

export function refuse(report: FileReport, message: string, code: string = REASON.serviceNotAuthorized): FileReport {
  const finding: Finding = { code, path: '/Document', message };
  return { ...report, status: 'RJCT', findings: [...report.findings, finding], transactions: report.transactions.map((t) => ({ ...t, status: 'RJCT' })) };
}
