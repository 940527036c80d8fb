/**
 * The clearing engine as one object: opens the store (PostgreSQL when a URL is given, else the
 * embedded PGlite), brings the schema up to date, synchronises participants and caps from the scheme
 * configuration, resumes any cycle a crash interrupted, and exposes the operations the CLI, the
 * connectors and the tests use.
 */
import { parseAmount } from '../iso/amount.ts';
import { limits } from '../limits.ts';
import { clearingConfig, type SchemeConfig } from '../config.ts';
import { openDatabase, type Database } from '../store/database.ts';
import { migrate } from '../store/migrate.ts';
import { directoryFromConfig } from '../validation/directory.ts';
import { XsdValidator } from '../validation/xsd-pool.ts';
import { systemClock, type Clock, type EngineContext } from './context.ts';
import { submitOnce } from './submit.ts';
import type { Deliver, IntakeResult, RefusedFile, Submission } from './transport.ts';
import { refuseFile, submitReceived } from './received-files.ts';
import { listOperatorActions, recordOperatorAction, type OperatorAction, type RecordedOperatorAction } from './operator-actions.ts';
import { realtimeGroupStats, type RealtimeGroupStats } from './realtime-intake.ts';
import { closeCycle, cyclePositions, listCycles, openCycleId, querySettlement, raiseSettlementAlerts, resolvePartialSettlement, resumeCycles, SettlementResolutionError, type SettlementAlert, type SettlementResolution,
  type StalledCycle } from './cycles/index.ts';
import { sweepTimeouts } from './realtime.ts';
import { expireRecallCases } from './exceptions.ts';
import { dispatchOnce, dispatchOne, dueOutbox } from './dispatcher.ts';
import { firstSettledBatchPayment, messageDirectionCounts, paymentStateCounts, realtimeOutcomes, unwoundByDebtor } from './queries.ts';

export interface EngineOptions {
  readonly config: SchemeConfig;
  /** postgres://… for PostgreSQL; otherwise PGlite in `dataDirectory` (in memory when absent). */
  readonly databaseUrl?: string;
  readonly dataDirectory?: string;
  readonly clock?: Clock;
  /** Share an existing XSD validator (tests, benchmarks); the engine closes only its own. */
  readonly xsd?: XsdValidator;
  /** Where the engine reports what needs an operator (a stalled cycle); default standard error. */
  readonly log?: (line: string) => void;
  /** Quota of refused bytes stored in full per sender and business day (default: limits.ts). */
  readonly refusedBytesPerSenderPerDayMax?: number;
}

export class Engine {
  private constructor(private readonly context: EngineContext, private readonly ownsXsd: boolean, private readonly log: (line: string) => void) {}

  static async open(options: EngineOptions): Promise<Engine> {
    const config = clearingConfig(options.config);
    const db = await openDatabase({ url: options.databaseUrl, directory: options.dataDirectory });
    await migrate(db);
    const xsd = options.xsd ?? new XsdValidator();
    const context: EngineContext = {
      db, config, directory: directoryFromConfig(config), xsd, clock: options.clock ?? systemClock,
      switchBic: config.switchBic, settlementAgentBic: config.settlementAgent.bic,
      refusedBytesPerSenderPerDayMax: options.refusedBytesPerSenderPerDayMax,
    };
    await synchroniseParticipants(db, config);
    const engine = new Engine(context, options.xsd === undefined, options.log ?? ((line) => console.error(line)));
    await db.transaction((tx) => openCycleId(context, tx));
    // A cycle that cannot go on is reported and left where it is: the engine opens and serves.
    engine.report(await resumeCycles(context));
    return engine;
  }

  submit(submission: Submission): Promise<IntakeResult> {
    return submitOnce(this.context, submission);
  }

  /** A file a transport received, its signature good: intake, and a replay answered again (received-files.ts). */
  submitReceived(submission: Submission): Promise<IntakeResult> {
    return submitReceived(this.context, submission);
  }

  /** A file a transport received whose signature was refused: answered with an admi.002; returns its MsgId. */
  refuseFile(file: RefusedFile, sha256: string, code: string, reason: string): Promise<string> {
    return refuseFile(this.context, file, sha256, code, reason);
  }

  /** How the real-time intake grouped concurrent submissions so far (switch/engine/realtime-intake.ts). */
  realtimeGroups(): RealtimeGroupStats {
    return realtimeGroupStats(this.context);
  }

  /**
   * Operator or scheduled cut-off of the open cycle; carries it to settlement instructions. With
   * `dueAt` (a scheduled cut-off) it only closes a cycle opened before that time: idempotent.
   */
  closeCycle(options: { readonly dueAt?: Date } = {}): Promise<bigint | undefined> {
    return closeCycle(this.context, options);
  }

  /**
   * Carry on cycles stuck between cut-off and settlement instructions for longer than
   * limits.cycleResumeAfterMs (a step that failed). Part of every sweep.
   */
  async resumeStalledCycles(): Promise<StalledCycle[]> {
    const stalled = await resumeCycles(this.context, { cutOffBefore: new Date(this.context.clock.now().getTime() - limits.cycleResumeAfterMs) });
    this.report(stalled);
    return stalled;
  }

  private report(stalled: readonly StalledCycle[]): void {
    for (const s of stalled) {
      this.log(`cycle ${s.cycleId} stalled: ${s.error} (left in its state; tried again every ${limits.cycleResumeAfterMs / 1000} s)`);
    }
  }

  /**
   * Periodic housekeeping: stalled cycles carried on, real-time confirmations past their timeout,
   * recall cases past deadline.
   */
  async sweep(): Promise<{ timedOut: number; expiredCases: number }> {
    await this.resumeStalledCycles();
    return { timedOut: await sweepTimeouts(this.context), expiredCases: await expireRecallCases(this.context) };
  }

  /** Deliver due outbox messages through `deliver`; returns how many were delivered. */
  dispatch(deliver: Deliver, limit?: number): Promise<number> {
    return dispatchOnce(this.context, deliver, limit);
  }

  /** Outbox rows due for delivery, oldest first (the distributed relay turns each into a job). */
  dueOutbox(limit?: number): Promise<{ id: bigint; attempts: number }[]> {
    return dueOutbox(this.context, limit);
  }

  /** Deliver one outbox row through `deliver`, if it is still due (a distributed `deliver` job). */
  dispatchOne(outboxId: bigint, deliver: Deliver): Promise<'delivered' | 'failed' | 'skipped'> {
    return dispatchOne(this.context, outboxId, deliver);
  }

  cycles() {
    return listCycles(this.context);
  }

  /**
   * Cycles whose settlement the agent has not answered within settlementAgent.answerTimeoutSeconds:
   * marked (shown by `cycle status`) and returned once per attempt, for serve to log (switch/engine/cycles/overdue.ts).
   */
  /**
   * An operator re-queries the settlement agent about a cycle's unanswered instructions (pacs.028 each;
   * switch/engine/cycles/query.ts): recorded first; a cycle not waiting for the agent is refused
   * (SettlementResolutionError) before anything is recorded. Returns the journal id and how many were queried.
   */
  async querySettlement(cycleId: bigint, by: { readonly actor: string; readonly reason: string }): Promise<{ actionId: bigint; queried: number }> {
    const [cycle] = await this.context.db.query<{ state: string }>('SELECT state FROM cycles WHERE id = $1', [cycleId]);
    if (cycle?.state !== 'SETTLEMENT_SENT') {
      throw new SettlementResolutionError(cycle ? `cycle ${cycleId} is ${cycle.state}, not waiting for the settlement agent` : `cycle ${cycleId} does not exist`);
    }
    const recorded = await this.recordOperatorAction({ actor: by.actor, action: 'settlement.query', subject: `cycle ${cycleId}`, reason: by.reason,
      details: { cycle: cycleId.toString() } });
    const queried = await this.context.db.transaction((tx) => querySettlement(this.context, tx, cycleId));
    return { actionId: recorded.id, queried };
  }

  settlementAlerts(): Promise<SettlementAlert[]> {
    return raiseSettlementAlerts(this.context);
  }

  /**
   * An operator resolves a PARTIALLY_SETTLED cycle (switch/engine/cycles/resolve.ts): the action is
   * recorded first (who, why), then applied in one transaction. Returns the journal entry's id and the
   * cycle's state afterwards; a cycle in another state is refused (SettlementResolutionError).
   */
  async resolveSettlement(cycleId: bigint, action: SettlementResolution, by: { readonly actor: string; readonly reason: string }): Promise<{ actionId: bigint; state: string }> {
    // Refused before anything is recorded when the cycle cannot be resolved now (checked again, locked, in the transaction).
    const [cycle] = await this.context.db.query<{ state: string }>('SELECT state FROM cycles WHERE id = $1', [cycleId]);
    if (cycle?.state !== 'PARTIALLY_SETTLED') {
      throw new SettlementResolutionError(cycle ? `cycle ${cycleId} is ${cycle.state}, not PARTIALLY_SETTLED: nothing to resolve` : `cycle ${cycleId} does not exist`);
    }
    const recorded = await this.recordOperatorAction({ actor: by.actor, action: 'settlement.resolve', subject: `cycle ${cycleId}`, reason: by.reason,
      details: { cycle: cycleId.toString(), resolution: action } });
    const state = await this.context.db.transaction((tx) => resolvePartialSettlement(this.context, tx, cycleId, action));
    return { actionId: recorded.id, state };
  }

  positions(cycleId?: bigint) {
    return cyclePositions(this.context, cycleId);
  }

  /** Payments of a cycle unwound for a cap breach, per debtor (demo). */
  unwoundByDebtor(cycleId: bigint) {
    return unwoundByDebtor(this.context.db, cycleId);
  }

  /** Payments per state (demo). */
  paymentStateCounts() {
    return paymentStateCounts(this.context.db);
  }

  /** Stored messages per direction (demo). */
  messageDirectionCounts() {
    return messageDirectionCounts(this.context.db);
  }

  /** What became of the real-time payments (demo). */
  realtimeOutcomes() {
    return realtimeOutcomes(this.context.db);
  }

  /** The first settled batch payment of `debtor` (demo: the payment it returns). */
  firstSettledBatchPayment(debtor: string) {
    return firstSettledBatchPayment(this.context.db, debtor);
  }

  /** The engine's clock (injected: tests and the demo drive it). */
  /** Record an operator action (who, what, on what, why) in the journal, at the engine's time. */
  recordOperatorAction(action: OperatorAction): Promise<{ id: bigint; at: Date }> {
    return recordOperatorAction(this.context.db, action, this.context.clock.now());
  }

  /** The operator-action journal, newest first (reading only). */
  operatorActions(options: { readonly subject?: string; readonly limit?: number } = {}): Promise<RecordedOperatorAction[]> {
    return listOperatorActions(this.context.db, options);
  }

  get clock(): Clock {
    return this.context.clock;
  }

  /** The clearing house's own BIC. */
  get switchBic(): string {
    return this.context.switchBic;
  }

  /** Which store the engine runs on: 'postgres' or 'pglite'. */
  get storeKind(): Database['kind'] {
    return this.context.db.kind;
  }

  /**
   * The store itself, for tests and benchmarks only (they check from outside what the engine did, and
   * plant faults); lint forbids it in switch/, connectors/ and batch/, which go through engine methods.
   */
  storeForTests(): Database {
    return this.context.db;
  }

  async close(): Promise<void> {
    await this.context.db.close();
    if (this.ownsXsd) await this.context.xsd.close();
  }
}

/**
 * Participants and their caps come from the configuration. A cap change applies at once; net and
 * reserved amounts are the engine's and are kept.
 */
async function synchroniseParticipants(db: Database, config: SchemeConfig): Promise<void> {
  await db.transaction(async (tx) => {
    for (const p of config.participants) {
      await tx.query(`INSERT INTO participants (bic, name, status) VALUES ($1, $2, $3)
                      ON CONFLICT (bic) DO UPDATE SET name = EXCLUDED.name, status = EXCLUDED.status, updated_at = now()`,
      [p.bic, p.name, p.status]);
      for (const currency of p.currencies) {
        const text = p.netDebitCap?.[currency] ?? '0';
        const cap = parseAmount(text, currency);
        if (!cap.ok) throw new Error(`participant ${p.bic}: net debit cap ${text} ${currency} is not an amount`);
        await tx.query(`INSERT INTO exposures (bic, currency, cap_minor) VALUES ($1, $2, $3)
                        ON CONFLICT (bic, currency) DO UPDATE SET cap_minor = EXCLUDED.cap_minor`, [p.bic, currency, cap.minor]);
      }
    }
  });
}
