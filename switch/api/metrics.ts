/**
 * Prometheus metrics of the switch at GET /metrics (docs/api.md "Metrics"), with prom-client on a
 * registry of this API's own (several APIs in one process, as in the tests, do not mix).
 *
 * Two sources: what the store holds, read when scraped (payments by service, state and reason; cycles;
 * positions, caps and headroom; outbox depth and failed deliveries; dead letters: grouped counts, one
 * statement each, reading only), and what this process saw (HTTP request durations, the intake latency
 * of messages submitted through the API, the engine's events such as failed delivery attempts).
 *
 * Money gauges are minor units as floating-point numbers (Prometheus has no integers): exact up to
 * 2^53 minor units (90 trillion in a two-decimal currency), which covers every cap the limits allow.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineEvent } from '../engine/context.ts';
import type { Engine } from '../engine/engine.ts';

/** Latency buckets in seconds: real-time intake aims at a p99 of 250 ms; batch files take seconds. */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly payments = new Gauge({ name: 'clearhouse_payments', help: 'Payments in the store by service (kind/mode), outcome (accepted or rejected), state and ISO reason code',
    labelNames: ['service', 'outcome', 'state', 'reason'] as const, registers: [this.registry] });
  private readonly cycles = new Gauge({ name: 'clearhouse_cycles', help: 'Cycles by state', labelNames: ['state'] as const, registers: [this.registry] });
  private readonly openCycle = new Gauge({ name: 'clearhouse_open_cycle_id', help: 'Id of the open cycle', registers: [this.registry] });
  private readonly nextCutOff = new Gauge({ name: 'clearhouse_next_cut_off_timestamp_seconds', help: 'When the next scheduled cut-off is due (Unix time, engine clock)',
    registers: [this.registry] });
  private readonly net = new Gauge({ name: 'clearhouse_net_position_minor', help: 'Live net position of the open cycle (committed real-time), minor units',
    labelNames: ['bic', 'currency'] as const, registers: [this.registry] });
  private readonly cap = new Gauge({ name: 'clearhouse_net_debit_cap_minor', help: 'Net debit cap, minor units', labelNames: ['bic', 'currency'] as const, registers: [this.registry] });
  private readonly reserved = new Gauge({ name: 'clearhouse_reserved_minor', help: 'Reserved for real-time payments awaiting the creditor agent, minor units',
    labelNames: ['bic', 'currency'] as const, registers: [this.registry] });
  private readonly headroom = new Gauge({ name: 'clearhouse_headroom_minor', help: 'What the participant may still send in real time now, minor units',
    labelNames: ['bic', 'currency'] as const, registers: [this.registry] });
  private readonly outbox = new Gauge({ name: 'clearhouse_outbox_messages', help: 'Outbox messages not delivered: PENDING (waiting) and FAILED (given up)',
    labelNames: ['state'] as const, registers: [this.registry] });
  private readonly deadLetters = new Gauge({ name: 'clearhouse_dead_letters', help: 'Queue jobs given up on', registers: [this.registry] });
  private readonly deliveryFailures = new Counter({ name: 'clearhouse_delivery_failures_total', help: 'Failed delivery attempts seen by this process (final: no attempt left)',
    labelNames: ['final'] as const, registers: [this.registry] });
  private readonly engineEvents = new Counter({ name: 'clearhouse_engine_events_total', help: 'Engine events seen by this process', labelNames: ['event'] as const,
    registers: [this.registry] });
  private readonly intake = new Histogram({ name: 'clearhouse_intake_duration_seconds', help: 'Messages submitted through the API: from body received to answer, by answer status',
    labelNames: ['status'] as const, buckets: SECONDS, registers: [this.registry] });
  private readonly http = new Histogram({ name: 'clearhouse_http_request_duration_seconds', help: 'HTTP API requests by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const, buckets: SECONDS, registers: [this.registry] });
  /** Scrapes one after another: each sets the store's gauges afresh and reads them. */
  private scraping: Promise<unknown> = Promise.resolve();

  constructor(private readonly engine: Engine) {
    collectDefaultMetrics({ register: this.registry, prefix: 'clearhouse_process_' });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.http.observe({ method, route, status: String(status) }, seconds);
  }

  observeIntake(status: string, seconds: number): void {
    this.intake.observe({ status }, seconds);
  }

  observeEvent(event: EngineEvent): void {
    this.engineEvents.inc({ event: event.event });
    if (event.event === 'delivery.failed') this.deliveryFailures.inc({ final: String(event.final) });
  }

  /** The text exposition: the store's gauges read now, then everything. */
  scrape(): Promise<string> {
    const next = this.scraping.then(() => this.readStore()).then(() => this.registry.metrics());
    this.scraping = next.catch(() => undefined);
    return next;
  }

  private async readStore(): Promise<void> {
    const snapshot = await this.engine.metricsSnapshot();
    const exposures = await this.engine.exposures();
    for (const gauge of [this.payments, this.cycles, this.outbox, this.net, this.cap, this.reserved, this.headroom]) gauge.reset();
    for (const p of snapshot.payments) {
      this.payments.inc({ service: `${p.kind.toLowerCase()}/${p.mode}`, outcome: p.state === 'REJECTED' ? 'rejected' : 'accepted', state: p.state,
        reason: p.reasonCode ?? '' }, p.count);
    }
    for (const c of snapshot.cycles) this.cycles.set({ state: c.state }, c.count);
    if (snapshot.openCycleId !== null) this.openCycle.set(Number(snapshot.openCycleId));
    this.nextCutOff.set(this.engine.nextCutOff().cutOffAt.getTime() / 1000);
    for (const state of ['PENDING', 'FAILED']) this.outbox.set({ state }, snapshot.outbox.find((o) => o.state === state)?.count ?? 0);
    this.deadLetters.set(snapshot.deadLetters);
    for (const e of exposures) {
      const labels = { bic: e.bic, currency: e.currency };
      this.net.set(labels, Number(e.netMinor));
      this.cap.set(labels, Number(e.capMinor));
      this.reserved.set(labels, Number(e.reservedMinor));
      this.headroom.set(labels, Number(e.headroomMinor));
    }
  }
}
