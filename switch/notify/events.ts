/**
 * Notifications, the core (docs/notifications.md): which events there are and who may subscribe to
 * them, the operator alert an engine event becomes, the JSON payload, the webhook signature and the
 * retry delays. No I/O: the store (switch/engine/notifications.ts) and the senders (connectors/notify/)
 * do that.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { limits } from '../limits.ts';
import { formatAmount } from '../iso/amount.ts';

/** What a participant may subscribe to: its own payments. */
export const PAYMENT_EVENTS = ['payment.received', 'payment.settled', 'payment.returned'] as const;
/** What the scheme's operators may subscribe to. */
export const ALERT_EVENTS = ['alert.settlement-failed', 'alert.reconciliation-mismatch', 'alert.delivery-failing', 'alert.risk'] as const;
export type PaymentEventKind = (typeof PAYMENT_EVENTS)[number];
export type AlertKind = (typeof ALERT_EVENTS)[number];
export type NotificationKind = PaymentEventKind | AlertKind;

export const CHANNELS = ['webhook', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

/** A subscription as asked for (CLI or API); `participant` undefined: the operators' alerts. */
export interface SubscriptionRequest {
  readonly participant?: string;
  readonly channel: Channel;
  readonly target: string;
  readonly events: readonly string[];
  readonly secret?: string;
}

export class SubscriptionError extends Error {
  override readonly name = 'SubscriptionError';
}

const EMAIL = /^[^\s@<>",;]{1,64}@[A-Za-z0-9.-]{1,253}$/;

/** Checks a subscription; returns its events deduplicated. Throws SubscriptionError with the reason. */
export function checkSubscription(request: SubscriptionRequest): { events: NotificationKind[] } {
  if (!CHANNELS.includes(request.channel)) throw new SubscriptionError(`channel must be ${CHANNELS.join(' or ')}`);
  const allowed: readonly string[] = request.participant === undefined ? ALERT_EVENTS : PAYMENT_EVENTS;
  const events = [...new Set(request.events.map((e) => e.trim()).filter((e) => e.length > 0))];
  if (events.length === 0) throw new SubscriptionError(`name at least one event: ${allowed.join(', ')}`);
  for (const event of events) {
    if (!allowed.includes(event)) {
      throw new SubscriptionError(`${JSON.stringify(event)} is not an event ${request.participant === undefined ? 'for operators' : 'for a participant'} ` +
        `(${allowed.join(', ')})`);
    }
  }
  if (request.channel === 'webhook') {
    let url: URL;
    try {
      url = new URL(request.target);
    } catch {
      throw new SubscriptionError(`${JSON.stringify(request.target)} is not a URL`);
    }
    // Signed bodies over plain HTTP would still tell anyone on the path every payment: HTTPS only.
    if (url.protocol !== 'https:') throw new SubscriptionError('a webhook URL must be https://');
    if (url.username || url.password) throw new SubscriptionError('a webhook URL carries no credentials (the signature authenticates the switch)');
    if (request.secret !== undefined && request.secret.length < 16) throw new SubscriptionError('a webhook secret has at least 16 characters');
  } else {
    if (!EMAIL.test(request.target)) throw new SubscriptionError(`${JSON.stringify(request.target)} is not an e-mail address`);
    if (request.secret !== undefined) throw new SubscriptionError('an e-mail subscription has no secret');
  }
  return { events: events as NotificationKind[] };
}

/** What the engine's event sink hands over: its event, minus the TypeScript union (this module stays free of the engine). */
export interface EngineEventLike {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** An operator alert: its kind, the key that makes a repeated report one notification, and its fields. */
export interface Alert {
  readonly kind: AlertKind;
  readonly key: string;
  readonly details: Record<string, unknown>;
}

/**
 * The alert an engine event is for operators, or undefined: a rejected, partial or overdue settlement
 * (settlement-failed), a delivery given up (delivery-failing), a payment held for review or timed out in
 * review, a screening hit (risk). The same events the API's live stream marks `alert`, plus the hit.
 */
export function alertFor(event: EngineEventLike): Alert | undefined {
  const { event: type, ...fields } = event;
  const details = jsonSafe({ event: type, ...fields }) as Record<string, unknown>;
  switch (type) {
    case 'settlement.rejected': case 'cycle.partially-settled':
      return { kind: 'alert.settlement-failed', key: `${type}:${String(fields.cycle)}`, details };
    case 'settlement.overdue':
      return { kind: 'alert.settlement-failed', key: `${type}:${String(fields.cycle)}:${String(fields.attempt)}`, details };
    case 'delivery.failed':
      return fields.final === true ? { kind: 'alert.delivery-failing', key: `${type}:${String(fields.outboxId)}`, details } : undefined;
    case 'risk.hold': case 'risk.timeout': case 'risk.screening-hit':
      return { kind: 'alert.risk', key: `${type}:${String(fields.id)}`, details };
    default:
      return undefined;
  }
}

/** The alert of a reconciliation that found mismatches (switch/reports/reconciliation.ts), keyed by its scope. */
export function reconciliationAlert(scope: string, mismatches: readonly unknown[], dropped: number): Alert | undefined {
  if (mismatches.length === 0 && dropped === 0) return undefined;
  return { kind: 'alert.reconciliation-mismatch', key: `reconciliation:${scope}`,
    details: jsonSafe({ scope, mismatches: mismatches.slice(0, 20), mismatchCount: mismatches.length + dropped }) as Record<string, unknown> };
}

/** The alert of a notification given up (a webhook or mailbox that kept failing). */
export function deadNotificationAlert(id: bigint, subscriptionId: bigint, channel: Channel, target: string, attempts: number, lastError: string): Alert {
  return { kind: 'alert.delivery-failing', key: `notification.dead:${id}`,
    details: { event: 'notification.dead', notification: id.toString(), subscription: subscriptionId.toString(), channel, target, attempts, lastError } };
}

/** bigints as decimal strings, Dates as ISO text: what JSON and jsonb can hold. */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** A payment as a notification tells it (what the participant's own messages already told it). */
export interface PaymentFacts {
  readonly id: bigint;
  readonly kind: string;
  readonly mode: string;
  readonly transactionId: string | null;
  readonly endToEndId: string | null;
  readonly uetr: string | null;
  readonly debtorAgent: string;
  readonly creditorAgent: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly state: string;
  readonly cycleId: bigint | null;
  readonly settlementDate: string | null;
}

/** One notification to send, as the store leases it. */
export interface DueNotification {
  readonly id: bigint;
  readonly kind: NotificationKind;
  readonly eventKey: string;
  readonly attempt: number;
  readonly createdAt: Date;
  readonly subscription: { readonly id: bigint; readonly participant: string | null; readonly channel: Channel; readonly target: string; readonly secret: string | null };
  readonly payment?: PaymentFacts;
  readonly details: Record<string, unknown>;
}

/** The JSON body of a webhook (and the facts of an e-mail): the same on every attempt. */
export interface NotificationPayload {
  readonly id: string;
  readonly type: NotificationKind;
  readonly createdAt: string;
  readonly participant: string | null;
  readonly data: Record<string, unknown>;
}

export function payloadOf(n: DueNotification): NotificationPayload {
  const p = n.payment;
  const data: Record<string, unknown> = p
    ? {
      payment: {
        id: p.id.toString(), kind: p.kind, mode: p.mode, transactionId: p.transactionId, endToEndId: p.endToEndId, uetr: p.uetr,
        debtorAgent: p.debtorAgent, creditorAgent: p.creditorAgent, currency: p.currency,
        amount: formatAmount(p.amountMinor, p.currency), amountMinor: p.amountMinor.toString(),
        cycle: p.cycleId === null ? null : p.cycleId.toString(), settlementDate: p.settlementDate,
      },
    }
    : { ...n.details };
  return { id: idempotencyKey(n.id), type: n.kind, createdAt: n.createdAt.toISOString(), participant: n.subscription.participant, data };
}

/** The idempotency key of a notification: the same on every attempt, never the same for two notifications. */
export function idempotencyKey(id: bigint): string {
  return `clearhouse-notification-${id}`;
}

/** Header names of a webhook request (docs/notifications.md). */
export const HEADERS = {
  signature: 'Clearhouse-Signature',
  idempotencyKey: 'Idempotency-Key',
  event: 'Clearhouse-Event',
  attempt: 'Clearhouse-Attempt',
} as const;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`. */
export function signatureHeader(secret: string, timestampSeconds: number, body: string): string {
  return `t=${timestampSeconds},v1=${hmac(secret, timestampSeconds, body)}`;
}

function hmac(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}

/**
 * What a receiver does with a request (and what the tests do): the header parses, its timestamp is
 * within the replay window of the receiver's clock, and one of its v1 signatures is the HMAC of
 * timestamp + body under the secret (compared in constant time). Returns the reason it fails, or undefined.
 */
export function verifySignature(header: string | undefined, body: string, secret: string, nowSeconds: number,
  toleranceSeconds: number = limits.notify.signatureToleranceSeconds): string | undefined {
  if (!header) return 'no signature header';
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined) return 'no timestamp in the signature header';
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return 'timestamp outside the replay window';
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  return signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected)) ? undefined : 'signature does not match';
}

/**
 * Delay before attempt `attempt + 1` after attempt `attempt` failed: exponential from retryBaseMs, capped
 * at retryDelayMsMax, with "equal jitter" (half fixed, half random) so receivers coming back from an
 * outage are not hit by every switch process at once; `random` in [0, 1).
 */
export function retryDelayMs(attempt: number, random: number): number {
  const { retryBaseMs, retryDelayMsMax } = limits.notify;
  const ceiling = Math.min(retryBaseMs * 2 ** Math.max(0, attempt - 1), retryDelayMsMax);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/** A fresh webhook secret: 32 random bytes, base64url. */
export function newSecret(randomBytes: (n: number) => Buffer): string {
  return randomBytes(32).toString('base64url');
}
