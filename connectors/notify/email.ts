/**
 * E-mail over SMTP with nodemailer (docs/notifications.md): plain text and HTML from the event's
 * template (switch/notify/templates.ts). The Message-ID is derived from the idempotency key, so a mail
 * sent again after an interrupted attempt is recognisably the same message. An SMTP 2xx for the DATA
 * delivers (the MTA took responsibility); a refusal or a connection error is retried.
 */
import { createTransport, type Transporter } from 'nodemailer';
import { idempotencyKey, type DueNotification, type NotificationPayload } from '../../switch/notify/events.ts';
import { emailOf } from '../../switch/notify/templates.ts';
import type { AttemptResult } from '../../switch/notify/store.ts';
import { limits } from '../../switch/limits.ts';

export interface MailerOptions {
  /** smtp://host:port or smtps://user:password@host:port (nodemailer's URL form). */
  readonly url: string;
  /** The From address. */
  readonly from: string;
}

export class Mailer {
  private readonly transport: Transporter;

  constructor(private readonly options: MailerOptions) {
    const timeout = limits.notify.webhookTimeoutMs;
    this.transport = createTransport({ url: options.url, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout });
  }

  async send(n: DueNotification, payload: NotificationPayload): Promise<AttemptResult> {
    const started = performance.now();
    const mail = emailOf(payload);
    const key = idempotencyKey(n.id);
    try {
      const info = await this.transport.sendMail({
        from: this.options.from, to: n.subscription.target, subject: mail.subject, text: mail.text, html: mail.html,
        messageId: `<${key}@clearhouse.invalid>`,
        headers: { 'X-Clearhouse-Event': n.kind, 'X-Clearhouse-Idempotency-Key': key },
      }) as { response?: string; rejected?: unknown[] };
      const code = Number(/^(\d{3})/.exec(info.response ?? '')?.[1] ?? 0) || undefined;
      const rejected = info.rejected?.length ?? 0;
      return rejected > 0
        ? { ok: false, ...(code ? { statusCode: code } : {}), latencyMs: performance.now() - started, error: `recipient refused: ${info.response ?? ''}` }
        : { ok: true, ...(code ? { statusCode: code } : {}), latencyMs: performance.now() - started };
    } catch (error) {
      const e = error as Error & { responseCode?: number };
      return { ok: false, ...(e.responseCode ? { statusCode: e.responseCode } : {}), latencyMs: performance.now() - started, error: e.message };
    }
  }

  close(): void {
    this.transport.close();
  }
}
