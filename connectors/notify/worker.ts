/**
 * The notification worker (docs/notifications.md): leases due notifications from the store, sends each
 * through its channel (webhook or e-mail), records the outcome. Run by every `serve` process, which
 * share the table through the lease (FOR UPDATE SKIP LOCKED), on the embedded store as on PostgreSQL.
 */
import { limits } from '../../switch/limits.ts';
import { payloadOf, type DueNotification } from '../../switch/notify/events.ts';
import type { AttemptResult, NotificationStore } from '../../switch/notify/store.ts';
import type { Logger } from '../../switch/log.ts';
import { postWebhook, type WebhookOptions } from './webhook.ts';
import type { Mailer } from './email.ts';

export interface WorkerOptions {
  readonly webhook: WebhookOptions;
  /** Without it, e-mail notifications fail their attempts (and are retried) with "no SMTP server configured". */
  readonly mailer?: Mailer;
  readonly log?: Logger;
  /** Jitter source, [0, 1). */
  readonly random?: () => number;
}

export interface PassResult {
  readonly delivered: number;
  readonly retried: number;
  readonly dead: number;
}

export class NotificationWorker {
  constructor(private readonly store: NotificationStore, private readonly options: WorkerOptions) {}

  /** One pass: lease what is due (up to limits.notify.batchMax), send it, record it. */
  async runOnce(): Promise<PassResult> {
    const due = await this.store.lease(limits.notify.batchMax);
    let delivered = 0;
    let retried = 0;
    let dead = 0;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < due.length) {
        const n = due[next++]!;
        const result = await this.send(n);
        const outcome = await this.store.record(n, result, (this.options.random ?? Math.random)());
        const fields = { notification: n.id.toString(), subscription: n.subscription.id.toString(), kind: n.kind, channel: n.subscription.channel,
          attempt: n.attempt, statusCode: result.statusCode, latencyMs: Math.round(result.latencyMs), ...(result.error ? { reason: result.error } : {}) };
        if (outcome === 'delivered') { delivered++; this.options.log?.info(fields, 'notification delivered'); }
        else if (outcome === 'dead') { dead++; this.options.log?.error(fields, 'notification given up after its last attempt'); }
        else if (outcome === 'retry') { retried++; this.options.log?.warn(fields, 'notification attempt failed; retried later'); }
        else this.options.log?.warn(fields, 'notification attempt recorded after its lease ran out');
      }
    };
    await Promise.all(Array.from({ length: Math.min(limits.notify.sendConcurrencyMax, due.length) }, lane));
    return { delivered, retried, dead };
  }

  /** Passes until nothing is due now. */
  async drain(): Promise<PassResult> {
    const total = { delivered: 0, retried: 0, dead: 0 };
    for (;;) {
      const pass = await this.runOnce();
      total.delivered += pass.delivered; total.retried += pass.retried; total.dead += pass.dead;
      if (pass.delivered + pass.retried + pass.dead === 0) return total;
    }
  }

  private async send(n: DueNotification): Promise<AttemptResult> {
    const payload = payloadOf(n);
    if (n.subscription.channel === 'webhook') return postWebhook(n, payload, this.options.webhook);
    if (!this.options.mailer) return { ok: false, latencyMs: 0, error: 'no SMTP server configured (CLEARHOUSE_SMTP_URL)' };
    return this.options.mailer.send(n, payload);
  }
}
