/**
 * An inbound message other than a credit transfer, as its handler receives it (messages.ts,
 * exceptions.ts), what a handler returns, and what they share: the Document as text, a refusal.
 */
import type { Finding } from '../iso/finding.ts';
import { REASON } from '../iso/reason-codes.ts';
import type { FileReport } from '../validation/pipeline.ts';
import { scanXml } from '../validation/scan.ts';

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

/**
 * The Document of a bare message or of an envelope, as text: the element the hardening scan found (and
 * validation validated), never text that only looks like one (inside a comment of the AppHdr, say).
 */
export function documentText(bytes: Uint8Array): string {
  const scan = scanXml(bytes);
  const root = scan.root;
  const document = root?.localName === 'Document' ? root : scan.rootChildren.find((c) => c.localName === 'Document');
  return decoder.decode(document ? bytes.subarray(document.start, document.end) : bytes);
}

export function refuse(report: FileReport, message: string, code: string = REASON.serviceNotAuthorized): FileReport {
  const finding: Finding = { code, path: '/Document', message };
  return { ...report, status: 'RJCT', findings: [...report.findings, finding], transactions: report.transactions.map((t) => ({ ...t, status: 'RJCT' })) };
}
