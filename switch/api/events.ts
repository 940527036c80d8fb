/**
 * Live views (docs/api.md "Live events"): GET /events is a server-sent event stream (text/event-stream)
 * of the engine's events as `serve` reports them (EngineEventSink: an EventHub fans them out to every
 * open stream), and of `positions` snapshots every limits.api.eventsPositionsMs (one store read per
 * interval for all streams, only while a stream is open). Heartbeat comments keep proxies from closing
 * an idle stream. A participant gets only what concerns it; each principal may hold at most
 * limits.api.eventStreamsPerPrincipalMax streams at once.
 *
 * Event names: `cycle` (cut-off, netted, unwind, settled), `settlement` (instructed, rejected, overdue,
 * partially settled), `delivery` (a failed delivery attempt), `risk` (every risk event: limit breach,
 * screening hit, score, hold, decision, freeze; people only — a participant is never told of a screening hit,
 * so it cannot tip a customer off), `alert` (what needs an operator: overdue or partial settlement, a
 * rejected settlement, a delivery given up, a payment held for review or timed out in review), `positions`.
 */
import type { EngineEvent } from '../engine/context.ts';
import type { Principal } from './identity.ts';

export type StreamEventName = 'cycle' | 'settlement' | 'alert' | 'delivery' | 'positions' | 'payment' | 'risk';

/** Fans the engine's events out to listeners (serve's event sink publishes here). */
export class EventHub {
  private readonly listeners = new Set<(event: EngineEvent) => void>();

  /** For Engine.open's `events`: `(e) => hub.publish(e)`. A listener that throws does not stop the others. */
  publish(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A stream that cannot take the event closes itself; the engine is never disturbed by a viewer.
      }
    }
  }

  listen(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

const NAMES: Record<EngineEvent['event'], Exclude<StreamEventName, 'alert' | 'positions' | 'payment'>> = {
  'cycle.cut-off': 'cycle', 'cycle.netted': 'cycle', 'cycle.unwind': 'cycle', 'cycle.settled': 'cycle', 'business-day.closed': 'cycle',
  'settlement.instructed': 'settlement', 'settlement.rejected': 'settlement', 'settlement.overdue': 'settlement',
  'cycle.partially-settled': 'settlement', 'delivery.failed': 'delivery',
  'risk.limit-breach': 'risk', 'risk.screening-hit': 'risk', 'risk.score': 'risk', 'risk.hold': 'risk', 'risk.release': 'risk',
  'risk.reject': 'risk', 'risk.freeze': 'risk', 'risk.unfreeze': 'risk', 'risk.timeout': 'risk', 'risk.frozen': 'risk',
};

/** Whether an engine event needs an operator (it is also sent as `alert`). */
function isAlert(event: EngineEvent): boolean {
  return event.event === 'settlement.overdue' || event.event === 'cycle.partially-settled' || event.event === 'settlement.rejected' ||
    (event.event === 'delivery.failed' && event.final) || event.event === 'risk.hold' || event.event === 'risk.timeout';
}

/**
 * The stream events an engine event becomes for `principal`: people see everything; a participant sees
 * the scheme-wide cycle steps (cut-off, netting, settlement instructed, settled) and the events that
 * name it (an unwind, a rejected or partial settlement it defaulted in, a delivery to it), never an alert.
 */
export function streamEventsFor(event: EngineEvent, principal: Principal): { name: StreamEventName; data: Record<string, unknown> }[] {
  const { event: type, ...fields } = event;
  const data = { type, ...fields };
  if (principal.kind !== 'participant') {
    return [{ name: NAMES[type], data }, ...(isAlert(event) ? [{ name: 'alert' as const, data }] : [])];
  }
  const bic = principal.bic;
  const concerns = ((): boolean => {
    switch (event.event) {
      case 'cycle.cut-off': case 'cycle.netted': case 'cycle.settled': case 'settlement.instructed': case 'business-day.closed': return true;
      case 'cycle.unwind': return event.participants?.includes(bic) ?? false;
      case 'settlement.rejected': case 'cycle.partially-settled': return event.participants.includes(bic);
      case 'delivery.failed': return event.recipient === bic;
      case 'settlement.overdue': return false;
      default: return false; // risk events: people only
    }
  })();
  if (!concerns) return [];
  // What names other participants stays out: a participant learns of its own part only.
  if ('participants' in data) data.participants = [bic];
  return [{ name: NAMES[type], data }];
}

/** One server-sent event: `event:` and one `data:` line of JSON (bigints as decimal strings). */
export function formatEvent(name: StreamEventName, data: unknown, id?: number): string {
  const json = JSON.stringify(data, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${json}\n\n`;
}

export interface EventStreamOptions {
  readonly positionsMs: number;
  readonly heartbeatMs: number;
  readonly perPrincipalMax: number;
  /** Bytes a stream may have waiting for a slow reader before it is closed (the reader reconnects). */
  readonly bufferBytesMax: number;
  /** The live positions (all participants'), read once per interval for every stream. */
  readonly exposures: () => Promise<readonly { readonly bic: string }[]>;
  readonly onError: (error: unknown) => void;
}

interface Stream {
  readonly principal: Principal;
  readonly key: string;
  readonly out: Writable;
}

/** What a stream writes to (the raw HTTP response). */
export interface Writable {
  write(chunk: string): boolean;
  end(): void;
  readonly writableLength: number;
  on(event: 'close', listener: () => void): unknown;
}

/** The open streams of one API: fan-out, positions snapshots, heartbeats, the per-principal bound. */
export class EventStreams {
  private readonly streams = new Set<Stream>();
  private readonly perPrincipal = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private stopListening: (() => void) | undefined;
  private nextId = 1;

  constructor(private readonly hub: EventHub | undefined, private readonly options: EventStreamOptions) {}

  /** Whether `principal` may open another stream now. */
  mayOpen(principal: Principal): boolean {
    return (this.perPrincipal.get(keyOf(principal)) ?? 0) < this.options.perPrincipalMax;
  }

  /** Starts streaming to `out` (its headers already written); it ends when the client goes or the API closes. */
  open(principal: Principal, out: Writable): void {
    const stream: Stream = { principal, key: keyOf(principal), out };
    this.streams.add(stream);
    this.perPrincipal.set(stream.key, (this.perPrincipal.get(stream.key) ?? 0) + 1);
    out.on('close', () => this.drop(stream));
    out.write(`retry: 5000\n: ${this.hub ? 'engine events and positions' : 'positions only (this API has no engine event hub)'}\n\n`);
    if (this.streams.size === 1) this.start();
    void this.sendPositions([stream]);
  }

  get openCount(): number {
    return this.streams.size;
  }

  /** Ends every stream (the API is closing). */
  closeAll(): void {
    for (const stream of [...this.streams]) {
      stream.out.end();
      this.drop(stream);
    }
  }

  private start(): void {
    this.stopListening = this.hub?.listen((event) => {
      for (const stream of this.streams) {
        for (const e of streamEventsFor(event, stream.principal)) this.send(stream, e.name, e.data);
      }
    });
    this.timers = [
      setInterval(() => void this.sendPositions([...this.streams]), this.options.positionsMs),
      setInterval(() => { for (const stream of this.streams) this.write(stream, ': heartbeat\n\n'); }, this.options.heartbeatMs),
    ];
    for (const timer of this.timers) timer.unref();
  }

  private stop(): void {
    this.stopListening?.();
    this.stopListening = undefined;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  private drop(stream: Stream): void {
    if (!this.streams.delete(stream)) return;
    const left = (this.perPrincipal.get(stream.key) ?? 1) - 1;
    if (left === 0) this.perPrincipal.delete(stream.key);
    else this.perPrincipal.set(stream.key, left);
    if (this.streams.size === 0) this.stop();
  }

  private async sendPositions(streams: readonly Stream[]): Promise<void> {
    if (streams.length === 0) return;
    let exposures: readonly { readonly bic: string }[];
    try {
      exposures = await this.options.exposures();
    } catch (error) {
      this.options.onError(error);
      return;
    }
    for (const stream of streams) {
      const own = stream.principal.kind === 'participant' ? exposures.filter((e) => e.bic === (stream.principal as { bic: string }).bic) : exposures;
      this.send(stream, 'positions', { exposures: own });
    }
  }

  private send(stream: Stream, name: StreamEventName, data: unknown): void {
    this.write(stream, formatEvent(name, data, this.nextId++));
  }

  private write(stream: Stream, text: string): void {
    if (!this.streams.has(stream)) return;
    if (stream.out.writableLength > this.options.bufferBytesMax) {
      // A reader this far behind gets no more: the stream ends and its EventSource reconnects.
      stream.out.end();
      this.drop(stream);
      return;
    }
    stream.out.write(text);
  }
}

function keyOf(principal: Principal): string {
  return `${principal.kind} ${principal.name}`;
}
