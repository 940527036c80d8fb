/**
 * E-mail templates (docs/notifications.md): one per event kind, plain text and HTML, from the same
 * payload a webhook carries. Every value put in the HTML is escaped; the subject has no line breaks.
 */
import type { NotificationKind, NotificationPayload } from './events.ts';

export interface Email {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const TITLES: Record<NotificationKind, string> = {
  'payment.received': 'Payment received',
  'payment.settled': 'Payment settled',
  'payment.returned': 'Payment returned',
  'alert.settlement-failed': 'ALERT: settlement failed',
  'alert.reconciliation-mismatch': 'ALERT: reconciliation mismatch',
  'alert.delivery-failing': 'ALERT: delivery failing',
  'alert.risk': 'ALERT: risk',
};

const EXPLANATIONS: Record<NotificationKind, string> = {
  'payment.received': 'A payment to your institution is final in the clearing house: a real-time payment committed, or a batch payment settled with its cycle.',
  'payment.settled': 'The payment settled with its clearing cycle at the settlement agent.',
  'payment.returned': 'The payment was returned in full (pacs.004) and the return settled.',
  'alert.settlement-failed': 'Settlement of a cycle failed, is overdue or partial: an operator must act (clearhouse settlement resolve).',
  'alert.reconciliation-mismatch': 'A reconciliation found figures that do not agree. Nothing was adjusted: investigate the listed mismatches.',
  'alert.delivery-failing': 'A delivery was given up after its last attempt: the recipient has not received it.',
  'alert.risk': 'The risk stage needs a person: a payment held for review, a screening hit, or a review that timed out.',
};

/** Field / value lines of the payload: the payment's facts, or the alert's fields. */
function lines(payload: NotificationPayload): [string, string][] {
  const payment = payload.data.payment as Record<string, unknown> | undefined;
  if (payment) {
    return [
      ['Amount', `${String(payment.amount)} ${String(payment.currency)}`],
      ['Debtor agent', String(payment.debtorAgent)],
      ['Creditor agent', String(payment.creditorAgent)],
      ['End-to-end id', String(payment.endToEndId ?? '')],
      ['Transaction id', String(payment.transactionId ?? '')],
      ['UETR', String(payment.uetr ?? '')],
      ['Kind / mode', `${String(payment.kind)} / ${String(payment.mode)}`],
      ['Cycle', String(payment.cycle ?? '')],
      ['Settlement date', String(payment.settlementDate ?? '')],
      ['Payment id', String(payment.id)],
    ];
  }
  return Object.entries(payload.data).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]);
}

export function emailOf(payload: NotificationPayload): Email {
  const title = TITLES[payload.type];
  const payment = payload.data.payment as Record<string, unknown> | undefined;
  const about = payment ? ` ${String(payment.amount)} ${String(payment.currency)} ${String(payment.endToEndId ?? payment.id)}` : '';
  const subject = `[clearhouse] ${title}${about}`.replace(/[\r\n]+/g, ' ').slice(0, 200);
  const rows = lines(payload);
  const width = Math.max(...rows.map(([k]) => k.length));
  const text = [
    title, '', EXPLANATIONS[payload.type], '',
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), '',
    `Notification ${payload.id}, ${payload.createdAt}${payload.participant ? `, for ${payload.participant}` : ', for the scheme operators'}.`,
    '',
  ].join('\n');
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family: sans-serif">
<h1 style="font-size: 1.2em">${escapeHtml(title)}</h1>
<p>${escapeHtml(EXPLANATIONS[payload.type])}</p>
<table style="border-collapse: collapse">
${rows.map(([k, v]) => `<tr><th style="text-align: left; padding-right: 1em">${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`).join('\n')}
</table>
<p style="color: #666; font-size: 0.9em">Notification ${escapeHtml(payload.id)}, ${escapeHtml(payload.createdAt)}${
  payload.participant ? `, for ${escapeHtml(payload.participant)}` : ', for the scheme operators'}.</p>
</body></html>
`;
  return { subject, text, html };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
