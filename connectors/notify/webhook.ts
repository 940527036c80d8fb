/**
 * Webhooks (docs/notifications.md): one HTTPS POST per attempt with the notification's JSON payload,
 * signed with the subscription's secret (Clearhouse-Signature: t=…,v1=HMAC-SHA256 of "t.body"), the
 * same Idempotency-Key on every attempt. A 2xx answer delivers; anything else (another status, a
 * redirect, a TLS or connection error, no answer within limits.notify.webhookTimeoutMs) is retried.
 */
import { request } from 'node:https';
import { limits } from '../../switch/limits.ts';
import { HEADERS, idempotencyKey, signatureHeader, type DueNotification, type NotificationPayload } from '../../switch/notify/events.ts';
import type { AttemptResult } from '../../switch/notify/store.ts';

export interface WebhookOptions {
  /** The signature's timestamp: the switch's clock. */
  readonly now: () => Date;
  /** CA certificates to trust instead of the system's (a scheme that runs its own, or a test's). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly timeoutMs?: number;
}

export function postWebhook(n: DueNotification, payload: NotificationPayload, options: WebhookOptions): Promise<AttemptResult> {
  const body = JSON.stringify(payload);
  const secret = n.subscription.secret;
  const started = performance.now();
  const latency = (): number => performance.now() - started;
  return new Promise((resolve) => {
    if (secret === null) {
      resolve({ ok: false, latencyMs: 0, error: 'the subscription has no secret' });
      return;
    }
    let url: URL;
    try {
      url = new URL(n.subscription.target);
      if (url.protocol !== 'https:') throw new Error('not https');
    } catch {
      resolve({ ok: false, latencyMs: 0, error: `not an https URL: ${n.subscription.target}` });
      return;
    }
    let settled = false;
    const finish = (result: AttemptResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const timestamp = Math.floor(options.now().getTime() / 1000);
    const req = request(url, {
      method: 'POST',
      ...(options.ca ? { ca: options.ca as string | Buffer | (string | Buffer)[] } : {}),
      agent: false,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'User-Agent': 'clearhouse-notify/1',
        [HEADERS.signature]: signatureHeader(secret, timestamp, body),
        [HEADERS.idempotencyKey]: idempotencyKey(n.id),
        [HEADERS.event]: n.kind,
        [HEADERS.attempt]: String(n.attempt),
      },
      timeout: options.timeoutMs ?? limits.notify.webhookTimeoutMs,
    }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < limits.notify.responseBytesMax) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        const ok = status >= 200 && status < 300;
        const text = Buffer.concat(chunks).toString('utf8').slice(0, limits.notify.responseBytesMax).replace(/\s+/g, ' ').trim();
        finish({ ok, statusCode: status, latencyMs: latency(), ...(ok ? {} : { error: `HTTP ${status}${text ? `: ${text}` : ''}` }) });
      });
      res.on('error', (error) => finish({ ok: false, statusCode: status, latencyMs: latency(), error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? limits.notify.webhookTimeoutMs} ms`)));
    req.on('error', (error) => finish({ ok: false, latencyMs: latency(), error: error.message }));
    req.end(body);
  });
}
