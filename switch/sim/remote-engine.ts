/**
 * The engine of a simulated day in a child process (engine-child.ts), for the `crash` fault
 * (docs/simulation.md): the first child carries CLEARHOUSE_CRASH_AT / CLEARHOUSE_CRASH_AFTER and kills
 * itself with SIGKILL at that crash point; this side — the banks, the agent, the connector and the judge,
 * which are not the switch and do not die with it — then starts a new child on the same store (PGlite
 * directory or PostgreSQL schema; Engine.open carries on a cycle cut off before the kill) and does what a
 * party does when the switch went away in the middle of its request:
 *
 *   submit              the sender submits the same bytes again (answered as a replay when they were stored)
 *   dispatch, sweep,    the call is made again (the outbox row of a delivery whose transaction died is still
 *   cycles              PENDING: delivered again at once, before any party fetched the first copy)
 *   closeCycle          the operator reads the cycles: the one it closed is cut off (carried on by the new
 *                       process) or still open (closed again)
 *   resolveSettlement   the operator reads the cycle: no longer PARTIALLY_SETTLED, it was resolved; else again
 *
 * The clock stays the parent's: every call carries its time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../clock.ts';
import type { Engine } from '../engine/engine.ts';
import { bytesContent, type Deliver, type OutboundMessage } from '../engine/transport.ts';
import type { ChildMessage, ChildOptions, RelayedMessage, RemoteMethod } from './engine-child.ts';
import type { CrashPoint } from '../engine/crash.ts';
import { TYPESCRIPT_IMPORT } from '../typescript-import.ts';

const CHILD = fileURLToPath(new URL('./engine-child.ts', import.meta.url));
/** A child that has not answered one call in this time is taken for hung and the day fails. */
const CALL_TIMEOUT_MS = 300_000;

/** The engine calls the simulated day makes (day.ts, books.ts, the bank simulator). */
export type DayEngine = Pick<Engine, 'submit' | 'dispatch' | 'sweep' | 'closeCycle' | 'cycles' | 'resolveSettlement' | 'suspendParticipant'
  | 'resumeParticipant' | 'close' | 'clock' | 'switchBic'>;

/** The switch process died (SIGKILL at a crash point) while serving a call. */
class ChildDied extends Error {}

export interface CrashPlan {
  readonly point: CrashPoint;
  /** The child dies the Nth time it passes the point (it may never get that far: then it does not die). */
  readonly occurrence: number;
}

export interface CrashReport {
  readonly plan: CrashPlan;
  /** True once the child died there and was started again. */
  restarted: boolean;
  /** The engine call the child was serving when it died. */
  during?: RemoteMethod;
  /** The last delivery made through the parent's connector before the kill (a dispatch.after-deliver kill: delivered again). */
  lastDelivery?: OutboundMessage;
}

export class RemoteEngine implements DayEngine {
  private child!: ChildProcess;
  private callNumber = 0;
  private incarnations = 0;
  private pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private deliverNow: Deliver | undefined;
  private stderr = '';
  readonly crash: CrashReport;

  private constructor(private readonly options: Omit<ChildOptions, 'nowMs'>, readonly clock: Clock, readonly switchBic: string, plan: CrashPlan,
    /** Called once the child died, before the new one starts (tests break the restart with it). */
    private readonly beforeRestart: (report: CrashReport) => Promise<void>) {
    this.crash = { plan, restarted: false };
  }

  static async open(options: Omit<ChildOptions, 'nowMs'>, clock: Clock, plan: CrashPlan,
    beforeRestart: (report: CrashReport) => Promise<void> = async () => {}): Promise<RemoteEngine> {
    const switchBic = options.config.switchBic;
    if (switchBic === undefined) throw new Error('the simulated scheme names its switch BIC');
    const engine = new RemoteEngine(options, clock, switchBic, plan, beforeRestart);
    await engine.start(plan);
    return engine;
  }

  private start(plan: CrashPlan | undefined): Promise<void> {
    const incarnation = ++this.incarnations;
    const name = (n: number): string => `clearhouse-sim-${process.pid}-${n}`;
    const options: ChildOptions = { ...this.options, nowMs: this.clock.now().getTime(),
      ...(this.options.databaseUrl ? { applicationName: name(incarnation), ...(incarnation > 1 ? { waitForGone: name(incarnation - 1) } : {}) } : {}) };
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.CLEARHOUSE_CRASH_AT;
    delete env.CLEARHOUSE_CRASH_AFTER;
    delete env.NODE_TEST_CONTEXT;
    if (plan) { env.CLEARHOUSE_CRASH_AT = plan.point; env.CLEARHOUSE_CRASH_AFTER = String(plan.occurrence); }
    this.stderr = '';
    const child = fork(CHILD, [], { env, execArgv: [...TYPESCRIPT_IMPORT], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child = child;
    child.stderr!.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000); });
    child.send({ type: 'init', options });
    return new Promise((resolve, reject) => {
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'deliver') void this.relay(message.id, message.message);
        else {
          const p = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.type === 'result') p?.resolve(message.value);
          else p?.reject(new Error(`engine (child process): ${message.message}`));
        }
      });
      child.on('exit', (code, signal) => {
        const died = signal === 'SIGKILL'
          ? new ChildDied(`the switch process died by SIGKILL (${plan ? `crash point ${plan.point} #${plan.occurrence}` : 'not a planned crash'})`)
          : new Error(`the switch process ended (code ${code}, signal ${signal}): ${this.stderr}`);
        reject(died);
        for (const p of this.pending.values()) p.reject(died);
        this.pending.clear();
      });
    });
  }

  /** A delivery the child's dispatcher makes through the parent's connector. */
  private async relay(id: number, relayed: RelayedMessage): Promise<void> {
    let error: string | undefined;
    const { bytes, sha256, ...rest } = relayed;
    const message: OutboundMessage = { ...rest, content: bytesContent(bytes, sha256) };
    try {
      await this.deliverNow!(message);
      this.crash.lastDelivery = message;
    } catch (e) {
      error = (e as Error).message;
    }
    if (this.child.connected) this.child.send({ type: 'delivered', id, ...(error === undefined ? {} : { error }) });
  }

  private call<T>(method: RemoteMethod, args: readonly unknown[]): Promise<T> {
    const id = ++this.callNumber;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`engine (child process): no answer to ${method} in ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
      this.pending.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v as T); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      this.child.send({ type: 'call', id, method, args, nowMs: this.clock.now().getTime() });
    });
  }

  /**
   * One engine call; when the child dies during it, a new child on the same store, then `again` (the
   * party's own recovery, by default the same call). Only the first child carries the crash point.
   */
  private async survive<T>(method: RemoteMethod, args: readonly unknown[], again?: () => Promise<T>): Promise<T> {
    try {
      return await this.call<T>(method, args);
    } catch (error) {
      if (!(error instanceof ChildDied) || this.crash.restarted) throw error;
      this.crash.restarted = true;
      this.crash.during = method;
      await this.beforeRestart(this.crash);
      await this.start(undefined);
      return again ? again() : this.call<T>(method, args);
    }
  }

  submit(...args: Parameters<Engine['submit']>): ReturnType<Engine['submit']> {
    return this.survive('submit', args);
  }

  async dispatch(deliver: Deliver, limit?: number): Promise<number> {
    this.deliverNow = deliver;
    try {
      return await this.survive<number>('dispatch', [limit]);
    } finally {
      this.deliverNow = undefined;
    }
  }

  sweep(): ReturnType<Engine['sweep']> {
    return this.survive('sweep', []);
  }

  cycles(): ReturnType<Engine['cycles']> {
    return this.survive('cycles', []);
  }

  async closeCycle(): Promise<bigint | undefined> {
    const open = (await this.cycles()).find((c) => c.state === 'OPEN');
    return this.survive('closeCycle', [], async () => {
      const now = (await this.call<Awaited<ReturnType<Engine['cycles']>>>('cycles', [])).find((c) => c.id === open?.id);
      return now && now.state !== 'OPEN' ? now.id : this.call<bigint | undefined>('closeCycle', []);
    });
  }

  resolveSettlement(...args: Parameters<Engine['resolveSettlement']>): ReturnType<Engine['resolveSettlement']> {
    return this.survive('resolveSettlement', args, async () => {
      const cycle = (await this.call<Awaited<ReturnType<Engine['cycles']>>>('cycles', [])).find((c) => c.id === args[0]);
      if (cycle && cycle.state !== 'PARTIALLY_SETTLED') return { actionId: 0n, state: cycle.state };
      return this.call('resolveSettlement', args);
    });
  }

  suspendParticipant(...args: Parameters<Engine['suspendParticipant']>): ReturnType<Engine['suspendParticipant']> {
    return this.survive('suspendParticipant', args);
  }

  resumeParticipant(...args: Parameters<Engine['resumeParticipant']>): ReturnType<Engine['resumeParticipant']> {
    return this.survive('resumeParticipant', args);
  }

  /** Close the child's engine and wait for it to end. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const ended = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'close' });
    await ended;
  }
}
