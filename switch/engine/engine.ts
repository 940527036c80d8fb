/**
 * The clearing engine as one object: opens the store (PostgreSQL when a URL is given, else the
 * embedded PGlite), brings the schema up to date, synchronises participants and caps from the scheme
 * configuration, resumes any cycle a crash interrupted, and exposes the operations the CLI, the
 * connectors and the tests use.
 */
import { createHash } from 'node:crypto';
import { formatAmount, parseAmount } from '../iso/amount.ts';
import { limits } from '../limits.ts';
import { clearingConfig, type ParticipantConfig, type SchemeConfig } from '../config.ts';
import { openDatabase, type Database, type Queryable } from '../store/database.ts';
import { migrate, requireCurrentSchema } from '../store/migrate.ts';
import { cycleFor } from '../../batch/calendar.ts';
import { broadcastEvent } from './notices.ts';
import {
  loadRegister, lockRegister, registerChanges, registerOf, registerVersion, withRegister, writeRegister,
  type RegisterChange, type SchemeRegister,
} from './register.ts';
import { failedDeliveries, retryFailedDelivery, type FailedDelivery } from './deliveries.ts';
import { directoryFromConfig } from '../validation/directory.ts';
import { XsdValidator } from '../validation/xsd-pool.ts';
import { freeze, listFreezes, listHolds, listRiskEvents, type RiskEventFilter, rejectHeld, releaseHeld, releaseHeldIn, RiskDecisionError, sweepHeldTimeouts, unfreeze, unfreezeIn,
  type HeldPayment } from './risk-holds.ts';
import { listProfileVersions, loadProfiles, type ProfileLoad, type ProfileVersion } from './risk-profiles.ts';
import { isoDateTime, systemClock, type Clock, type EngineContext, type EngineEventSink, type RiskPorts } from './context.ts';
import { pruneScoringBuckets, StatisticsScorer } from '../risk/statistics.ts';
import { currentBusinessDate } from './business-date.ts';
import { submitOnce } from './submit.ts';
import type { Deliver, IntakeResult, RefusedFile, Submission } from './transport.ts';
import { refuseFile, submitReceived } from './received-files.ts';
import { listOperatorActions, recordOperatorAction, type OperatorAction, type RecordedOperatorAction } from './operator-actions.ts';
import { realtimeGroupStats, type RealtimeGroupStats } from './realtime-intake.ts';
import { sameInstitution } from '../iso/bic.ts';
import { statementDocument } from './statements.ts';
import { dateText } from './date-column.ts';
import { closeBusinessDays, type ClosedDay } from './day-close.ts';
import { sendIntradayReports, type IntradayReportsSent } from './intraday-reports.ts';
import { closeCycle, cyclePositions, listCycles, openCycleId, querySettlement, raiseSettlementAlerts, resolvePartialSettlement, resumeCycles, SETTLEMENT_RESOLUTIONS,
  SettlementResolutionError, type SettlementAlert, type SettlementResolution,
  type StalledCycle } from './cycles/index.ts';
import { sweepTimeouts } from './realtime.ts';
import { expireRecallCases } from './exceptions.ts';
import { directoryVersions, listVerifications, loadDirectory, sweepVerificationTimeouts, type DirectoryVersion, type VerificationSummary } from './payee.ts';
import { parseDirectoryFile } from '../risk/payee-directory.ts';
import { dispatchOnce, dispatchOne, dueOutbox } from './dispatcher.ts';
import { accessStore, type AccessStore } from './access.ts';
import {
  ScreeningLists, screeningListVersions, storeScreeningList, type ScreeningListLoad, type ScreeningListVersion,
} from './screening-lists.ts';
import { reportReads, type ReportReads } from './report-reads.ts';
import { notificationStore } from './notifications.ts';
import type { NotificationStore } from '../notify/store.ts';
import { cycleState, exposures, messageBytes, metricsSnapshot, participantViews, paymentDetail, queuedPayments, queueDepths, searchPayments, settlementInstructions, storeAnswers,
  type PaymentFilter } from './api-reads.ts';
import { capExists, decideAction, DecisionError, listPendingActions, proposeAction, pendingAction, type CapChange, type DecisionRefusal, type PendingKind,
  type PendingPayloads, type RiskReleaseChange, type RiskUnfreezeChange, type SettlementChange } from './approvals.ts';
import { listDeadLetters } from '../store/dead-letters.ts';
import {
  auditTick, journalHead, listCheckpoints, proveMessage, verifyAudit, type Checkpoint, type InclusionProof, type JournalHead, type ProofQuery, type VerifyRange,
  type VerifyReport,
} from '../audit/index.ts';
import type { KeyAndCertificate } from '../../connectors/signing/pki.ts';
import { firstSettledBatchPayment, messageDirectionCounts, paymentStateCounts, realtimeOutcomes, unwoundByDebtor, warehousedCount } from './queries.ts';

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
  /**
   * Open to read only: no migration (a schema that is not current is refused: run `clearhouse
   * migrate`), no register seeding, no cycle opened or resumed, every transaction READ ONLY, and every
   * method that changes something throws ReadOnlyEngineError. Works with a role that may only SELECT.
   */
  readonly readOnly?: boolean;
  /** Seed an empty store's scheme register from `config` (default true; `config apply` does not: it records its own first version). */
  readonly seedRegister?: boolean;
  /** Where the engine reports its steps (serve logs them: docs/operations.md "Logs"). */
  readonly events?: EngineEventSink;
  /** The risk stage's screening and scoring ports (docs/risk.md); none: no screening or scoring. */
  readonly risk?: RiskPorts;
  /** Test-only: the in-memory PGlite store starts from this migrated data directory (DatabaseOptions.startFrom). */
  readonly startFrom?: Blob | undefined;
}

/** A method that changes something was called on an engine opened with `readOnly`. */
export class ReadOnlyEngineError extends Error {
  override readonly name = 'ReadOnlyEngineError';
}

/** An operator's register change that cannot be made (unknown participant, already suspended, …): nothing recorded. */
export class RegisterChangeError extends Error {
  override readonly name = 'RegisterChangeError';
}

/** Who changes the register and why (recorded in operator_actions before the change takes effect). */
/** A payee directory file refused whole (docs/risk.md, "Payee verification"): nothing was recorded or loaded. */
export class PayeeDirectoryError extends Error {
  override readonly name = 'PayeeDirectoryError';
  constructor(message: string, readonly line?: number) {
    super(message);
  }
}

export interface OperatorIdentity {
  readonly actor: string;
  readonly reason: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The outcome of a register change: the differences, and the version in force after it. */
export interface RegisterUpdate {
  readonly changes: readonly RegisterChange[];
  /** The register version in force afterwards (unchanged for a dry run or no difference). */
  readonly version: bigint;
  readonly applied: boolean;
  /** The operator action recorded for it (absent when nothing was applied). */
  readonly actionId?: bigint;
}

/**
 * The risk stage's ports in the product (docs/risk.md): screening against the lists in force (kept current
 * in the background by ScreeningLists), and the statistics scorer under the configuration's `risk.scoring`
 * section, read at each payment (the register may change it); without that section a payment is not scored
 * (a neutral score, nothing read or recorded).
 */
function productRiskPorts(config: () => SchemeConfig, lists: () => ScreeningLists): RiskPorts {
  const scorerOf = (): StatisticsScorer | undefined => {
    const c = config();
    return c.risk?.scoring ? new StatisticsScorer({ config: c.risk.scoring, timeZone: c.calendar?.timeZone ?? 'UTC' }) : undefined;
  };
  return {
    screener: { screen: (facts) => lists().current().screen(facts) },
    scorer: {
      score: (tx, facts) => scorerOf()?.score(tx, facts) ?? Promise.resolve({ score: 0, features: [] }),
      record: (tx, facts) => scorerOf()?.record(tx, facts) ?? Promise.resolve(),
      scoreAll: (tx, facts) => scorerOf()?.scoreAll(tx, facts) ?? Promise.resolve(facts.map(() => ({ score: 0, features: [] }))),
      recordAll: (tx, facts) => scorerOf()?.recordAll(tx, facts) ?? Promise.resolve(),
    },
  };
}

export class Engine {
  /** The register version in force here, and when (performance.now()) the store was last asked for a newer one. */
  private registerVersion = 0n;
  private registerCheckedAt = -Infinity;
  /** The business date whose day roll last pruned the scoring buckets here (pruneScoringAtDayRoll). */
  private scoringPrunedFor: string | undefined;
  /** The sanctions and negative lists in force here, built on first use (screeningLists()). */
  private screening: ScreeningLists | undefined;

  private constructor(private readonly context: EngineContext, private readonly ownsXsd: boolean, private readonly log: (line: string) => void,
    private readonly fileConfig: SchemeConfig, readonly readOnly: boolean) {}

  static async open(options: EngineOptions): Promise<Engine> {
    const fileConfig = clearingConfig(options.config);
    const readOnly = options.readOnly ?? false;
    const clock = options.clock ?? systemClock;
    const db = await openDatabase({ url: options.databaseUrl, directory: options.dataDirectory, readOnly,
      ...(options.startFrom ? { startFrom: options.startFrom } : {}) });
    let engine: Engine;
    try {
      if (readOnly) await requireCurrentSchema(db);
      else await migrate(db);
      const xsd = options.xsd ?? new XsdValidator();
      const context: EngineContext = {
        db, config: fileConfig, directory: directoryFromConfig(fileConfig), xsd, clock,
        switchBic: fileConfig.switchBic, settlementAgentBic: fileConfig.settlementAgent.bic,
        refusedBytesPerSenderPerDayMax: options.refusedBytesPerSenderPerDayMax,
        ...(options.events ? { events: options.events } : {}),
        // The risk stage's ports: the ones given, else the product's (the lists in force, the statistics scorer).
        risk: options.risk ?? productRiskPorts(() => context.config, () => engine.screeningLists()),
      };
      engine = new Engine(context, options.xsd === undefined, options.log ?? ((line) => console.error(line)), fileConfig, readOnly);
      // The lists in force before the first payment (screeningLists().current() screens against nothing until then).
      if (!readOnly && options.risk === undefined) await engine.screeningLists().refresh();
    } catch (error) {
      await db.close();
      throw error;
    }
    if (!readOnly && (options.seedRegister ?? true)) await seedRegister(db, fileConfig, clock);
    await engine.refreshConfiguration();
    if (readOnly) return engine;
    await db.transaction((tx) => openCycleId(engine.context, tx));
    // A cycle that cannot go on is reported and left where it is: the engine opens and serves.
    engine.report(await resumeCycles(engine.context));
    await engine.closeBusinessDays();
    return engine;
  }

  private writable(what: string): void {
    if (this.readOnly) throw new ReadOnlyEngineError(`${what}: this engine was opened read-only`);
  }

  /**
   * Picks up a newer scheme register version (another process's `config apply`, `participant …`);
   * returns true when one was taken. Every engine entry point that acts on traffic calls it at most
   * every limits.registerPollIntervalMs; `serve` calls it on every pass.
   */
  async refreshConfiguration(): Promise<boolean> {
    this.registerCheckedAt = performance.now();
    const version = await registerVersion(this.context.db);
    if (version === this.registerVersion) return false;
    const stored = await loadRegister(this.context.db);
    if (!stored) return false;
    this.install(clearingConfig(withRegister(this.fileConfig, stored.register)), stored.version);
    return true;
  }

  private install(config: SchemeConfig, version: bigint): void {
    this.context.config = config;
    this.context.directory = directoryFromConfig(config);
    this.registerVersion = version;
  }

  private async fresh(): Promise<void> {
    if (performance.now() - this.registerCheckedAt >= limits.registerPollIntervalMs) await this.refreshConfiguration();
  }

  /** The configuration in force: the file's settings with the newest scheme register. */
  get configuration(): SchemeConfig {
    return this.context.config;
  }

  /** The scheme register version in force in this engine (0: the store has none yet, read-only engines only). */
  get configurationVersion(): bigint {
    return this.registerVersion;
  }

  async submit(submission: Submission): Promise<IntakeResult> {
    this.writable('submit');
    await this.fresh();
    const result = await submitOnce(this.context, submission);
    // The settlement agent's answer may have settled a day's last cycle: the day closes now.
    if (sameInstitution(submission.sender, this.context.settlementAgentBic)) await this.closeBusinessDays();
    return result;
  }

  /**
   * Close every business day that has rolled and whose cycles all settled (day-close.ts): statements
   * (camt.053) and admi.004 DCLS out, the day unchangeable from then on. Idempotent; part of every
   * sweep, of start-up and of each settlement answer and cut-off.
   */
  async closeBusinessDays(): Promise<ClosedDay[]> {
    this.writable('close business days');
    return closeBusinessDays(this.context);
  }

  /** A file a transport received, its signature good: intake, and a replay answered again (received-files.ts). */
  async submitReceived(submission: Submission): Promise<IntakeResult> {
    this.writable('submit');
    await this.fresh();
    const result = await submitReceived(this.context, submission);
    // As in submit: a settlement answer may have settled the day's last cycle.
    if (sameInstitution(submission.sender, this.context.settlementAgentBic)) await this.closeBusinessDays();
    return result;
  }

  /** A file a transport received whose signature was refused: answered with an admi.002; returns its MsgId. */
  async refuseFile(file: RefusedFile, sha256: string, code: string, reason: string): Promise<string> {
    this.writable('refuse a file');
    return refuseFile(this.context, file, sha256, code, reason);
  }

  /**
   * `config apply`: makes the register of `config` (participants, caps, services, currencies,
   * per-payment maxima) the one in force, in every engine on this store within
   * limits.registerPollIntervalMs. Records `config.apply` first (with every difference), then writes
   * the new version; suspensions and resumptions are broadcast (admi.004). `dryRun`: only the differences.
   */
  applyConfiguration(config: SchemeConfig, who: OperatorIdentity, options: { readonly dryRun?: boolean } = {}): Promise<RegisterUpdate> {
    return this.changeRegister({ action: 'config.apply', subject: 'scheme' }, who, () => registerOf(config), options.dryRun ?? false);
  }

  /** The differences between the register in force and `config`'s (what `config apply --dry-run` shows). */
  configurationChanges(config: SchemeConfig): RegisterChange[] {
    return registerChanges(registerOf(this.context.config), registerOf(config));
  }

  /**
   * Suspends a participant: admi.004 PSUS to every participant (the suspended one included), then its
   * files are refused (AG10 AgentSuspended, as sender) and so are payments to it (AG10, as creditor
   * agent) until resumeParticipant.
   */
  suspendParticipant(bic: string, who: OperatorIdentity): Promise<RegisterUpdate> {
    return this.changeRegister({ action: 'participant.suspend', subject: bic }, who,
      (r) => withParticipant(r, bic, (p) => {
        if (p.status === 'suspended') throw new RegisterChangeError(`participant ${bic} is already suspended`);
        return { ...p, status: 'suspended' };
      }));
  }

  /** Resumes a suspended participant: admi.004 PREA to every participant; its traffic is accepted again. */
  resumeParticipant(bic: string, who: OperatorIdentity): Promise<RegisterUpdate> {
    return this.changeRegister({ action: 'participant.resume', subject: bic }, who,
      (r) => withParticipant(r, bic, (p) => {
        if (p.status === 'active') throw new RegisterChangeError(`participant ${bic} is not suspended`);
        return { ...p, status: 'active' };
      }));
  }

  /** Sets a participant's net debit cap in one of its currencies (`amount`: decimal text, e.g. "250000.00"). */
  async setNetDebitCap(bic: string, currency: string, amount: string, who: OperatorIdentity,
    within?: (tx: Queryable) => Promise<void>): Promise<RegisterUpdate> {
    const parsed = parseAmount(amount, currency);
    if (!parsed.ok || parsed.minor < 0n) throw new RegisterChangeError(`${amount} is not an amount in ${currency}`);
    return this.changeRegister({ action: 'participant.cap', subject: bic, details: { currency, amount } }, who,
      (r) => withParticipant(r, bic, (p) => {
        if (!p.currencies.includes(currency)) throw new RegisterChangeError(`participant ${bic} does not clear ${currency} (${p.currencies.join(', ')})`);
        return { ...p, netDebitCap: { ...p.netDebitCap, [currency]: amount } };
      }), false, within);
  }

  /**
   * Adds a participant (checked like a configuration file entry: docs/configuration.md). Active at
   * once unless `status` says suspended; its caps as given (zero when absent: fail-safe).
   */
  addParticipant(participant: Omit<ParticipantConfig, 'connector' | 'netDebitCap' | 'status'> & Partial<ParticipantConfig>,
    who: OperatorIdentity): Promise<RegisterUpdate> {
    return this.changeRegister({ action: 'participant.add', subject: participant.bic }, who, (r) => {
      if (r.participants.some((p) => p.bic === participant.bic)) throw new RegisterChangeError(`participant ${participant.bic} is already in the register`);
      return { ...r, participants: [...r.participants, { status: 'active', ...participant } as ParticipantConfig] };
    });
  }

  /** Retires a participant: it leaves the register (payments naming it are refused RC02); its rows stay. */
  retireParticipant(bic: string, who: OperatorIdentity): Promise<RegisterUpdate> {
    return this.changeRegister({ action: 'participant.retire', subject: bic }, who, (r) => {
      if (!r.participants.some((p) => p.bic === bic)) throw new RegisterChangeError(`${bic} is not a participant`);
      return { ...r, participants: r.participants.filter((p) => p.bic !== bic) };
    });
  }

  /**
   * One register change: checked against the version in force (a problem is a RegisterChangeError
   * or ConfigError and nothing is recorded), recorded in operator_actions, then written under the
   * register lock against the newest version (two operators' changes both land), broadcasting
   * suspensions before and resumptions after the participants table changes.
   */
  private async changeRegister(what: { readonly action: string; readonly subject: string; readonly details?: Record<string, unknown> },
    who: OperatorIdentity, change: (current: SchemeRegister) => SchemeRegister, dryRun = false,
    within?: (tx: Queryable) => Promise<void>): Promise<RegisterUpdate> {
    this.writable(what.action);
    await this.refreshConfiguration();
    const next = (current: SchemeRegister | undefined): { register: SchemeRegister; config: SchemeConfig } => {
      if (current === undefined && what.action !== 'config.apply') {
        throw new RegisterChangeError('the store has no scheme register yet: `clearhouse config apply FILE` (or the first `serve`) makes one');
      }
      const config = clearingConfig(withRegister(this.fileConfig, change(current ?? registerOf(this.fileConfig))));
      return { register: registerOf(config), config };
    };
    // An empty store (no register yet): everything `config apply` brings is new.
    const current = this.registerVersion === 0n ? undefined : registerOf(this.context.config);
    const planned = registerChanges(current, next(current).register);
    if (dryRun || planned.length === 0) {
      // `within` (a checker's decision) is still made when the change turns out to be none.
      if (!dryRun && within) await this.context.db.transaction(within);
      return { changes: planned, version: this.registerVersion, applied: false };
    }
    const recorded = await this.recordOperatorAction({
      actor: who.actor, action: what.action, subject: what.subject, reason: who.reason,
      details: { ...what.details, ...who.details, changes: planned },
    });
    const done = await this.context.db.transaction(async (tx) => {
      await lockRegister(tx);
      const latest = await loadRegister(tx);
      const base = latest?.register ?? current;
      const made = next(base);
      const changes = registerChanges(base, made.register);
      if (within) await within(tx);
      for (const c of changes) if (c.kind === 'participant.suspend') await broadcastEvent(this.context, tx, 'PARTICIPANT_SUSPENDED', [c.subject]);
      const version = await writeRegister(tx, made.register, recorded.id);
      for (const c of changes) if (c.kind === 'participant.resume') await broadcastEvent(this.context, tx, 'PARTICIPANT_REACTIVATED', [c.subject]);
      return { version, config: made.config, changes };
    });
    this.install(done.config, done.version);
    return { changes: done.changes, version: done.version, applied: true, actionId: recorded.id };
  }

  /** The next scheduled cut-off after the engine's now: business date, cycle of the day and instant. */
  nextCutOff(): { businessDate: string; sequence: number; cutOffAt: Date } {
    return cycleFor(this.context.clock.now(), this.context.config.calendar, this.context.config.cycles);
  }

  /** Deliveries given up: the dead_letters table (queue jobs) and FAILED outbox rows, newest first. */
  failedDeliveries(options: { readonly limit?: number } = {}): Promise<FailedDelivery[]> {
    return failedDeliveries(this.context.db, options);
  }

  /**
   * Puts FAILED outbox rows back to PENDING with fresh attempts (`outboxId`, or every one with
   * 'all'), after recording `delivery.retry`; the next dispatch pass of any serve delivers them.
   * Returns the outbox ids retried.
   */
  async retryFailedDeliveries(which: bigint | 'all', who: OperatorIdentity): Promise<bigint[]> {
    this.writable('delivery.retry');
    const failed = (await this.failedDeliveries()).filter((f) => f.kind === 'outbox' && (which === 'all' || f.outboxId === which));
    if (failed.length === 0) {
      throw new RegisterChangeError(which === 'all' ? 'no failed outbox delivery to retry' : `outbox row ${which} is not a failed delivery`);
    }
    const ids = failed.map((f) => f.outboxId!);
    await this.recordOperatorAction({ actor: who.actor, action: 'delivery.retry', subject: which === 'all' ? 'outbox' : `outbox:${which}`,
      reason: who.reason, details: { outboxIds: ids.map(String), ...who.details } });
    return retryFailedDelivery(this.context.db, ids, this.context.clock.now());
  }

  /** How the real-time intake grouped concurrent submissions so far (switch/engine/realtime-intake.ts). */
  realtimeGroups(): RealtimeGroupStats {
    return realtimeGroupStats(this.context);
  }

  /**
   * Operator or scheduled cut-off of the open cycle; carries it to settlement instructions. With
   * `dueAt` (a scheduled cut-off) it only closes a cycle opened before that time: idempotent.
   */
  async closeCycle(options: { readonly dueAt?: Date } = {}): Promise<bigint | undefined> {
    this.writable('close a cycle');
    await this.fresh();
    const closed = await closeCycle(this.context, options);
    await this.closeBusinessDays();
    return closed;
  }

  /**
   * Carry on cycles stuck between cut-off and settlement instructions for longer than
   * limits.cycleResumeAfterMs (a step that failed). Part of every sweep.
   */
  async resumeStalledCycles(): Promise<StalledCycle[]> {
    this.writable('resume cycles');
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
   * recall cases past deadline, payee verifications whose payee bank did not answer in time, the
   * current slot's periodic camt.052 reports (config intradayReports).
   */
  async sweep(): Promise<{ timedOut: number; expiredCases: number }> {
    this.writable('sweep');
    await this.fresh();
    await this.resumeStalledCycles();
    // Held real-time payments past their deadline first (counted here; the day close would reject them too).
    const heldTimedOut = await sweepHeldTimeouts(this.context);
    await this.closeBusinessDays();
    const swept = { timedOut: await sweepTimeouts(this.context) + heldTimedOut, expiredCases: await expireRecallCases(this.context) };
    await this.sweepPayeeVerifications();
    await this.sendIntradayReports();
    await this.pruneScoringAtDayRoll();
    // Settlement the agent has not answered in time: raised once per attempt, by whichever process sweeps first.
    for (const a of await this.settlementAlerts()) {
      this.context.events?.({ event: 'settlement.overdue', cycle: a.cycleId, attempt: a.attempt, sentAt: a.sentAt, unanswered: a.unanswered });
    }
    return swept;
  }

  /**
   * At the first sweep of each business day (and the first after start), every account's scoring
   * buckets older than limits.scoring.bucketRetentionMs are deleted (docs/risk.md "Pruning"): the
   * accounts that went quiet, which their own next payment would never prune. Idempotent: several
   * serve processes may each do it once a day. Returns the rows deleted (undefined: not due).
   */
  async pruneScoringAtDayRoll(): Promise<number | undefined> {
    this.writable('prune scoring statistics');
    const businessDate = currentBusinessDate(this.context);
    if (this.scoringPrunedFor === businessDate) return undefined;
    const deleted = await this.context.db.transaction((tx) => pruneScoringBuckets(tx, this.context.clock.now()));
    this.scoringPrunedFor = businessDate;
    return deleted;
  }

  /**
   * The audit ledger (docs/audit.md): seals the journal, then makes the checkpoints that are due (each
   * settled cycle, each ended business day), signed with `signer` when given, and publishes them to
   * every participant's mailbox through the outbox. Returns the checkpoints made now.
   */
  async auditTick(signer?: KeyAndCertificate): Promise<Checkpoint[]> {
    this.writable('seal the audit ledger');
    return auditTick(this.context.db, { switchBic: this.context.switchBic, now: this.context.clock.now(), signer });
  }

  /** `clearhouse audit verify`: recomputes the chain and checkpoints, compares the tables with the journal. */
  async verifyAudit(range: VerifyRange = {}): Promise<VerifyReport> {
    return verifyAudit(this.context.db, range);
  }

  /** The inclusion proof of one message in a published checkpoint (ProofError when there is none yet). */
  async proveMessage(query: ProofQuery): Promise<InclusionProof> {
    return proveMessage(this.context.db, query);
  }

  async auditCheckpoints(): Promise<Checkpoint[]> {
    return listCheckpoints(this.context.db);
  }

  async journalHead(): Promise<JournalHead> {
    return journalHead(this.context.db);
  }

  /**
   * The current slot's periodic camt.052 reports not sent yet (config intradayReports; part of every
   * sweep): once per participant, currency and slot across every serve process on the store.
   */
  async sendIntradayReports(): Promise<IntradayReportsSent> {
    this.writable('send intraday reports');
    return sendIntradayReports(this.context);
  }

  /** Payee verifications past limits.payee.answerTimeoutMs answered by the switch (part of every sweep); returns how many. */
  async sweepPayeeVerifications(): Promise<number> {
    this.writable('sweep payee verifications');
    return sweepVerificationTimeouts(this.context);
  }

  /**
   * A participant's payee directory file (CSV or JSON, switch/risk/payee-directory.ts) becomes the new
   * version of its directory, recorded with who and why, in one transaction. A file with any problem,
   * or for a party that is not a participant, is refused whole (PayeeDirectoryError, with the line)
   * before anything is recorded.
   */
  async loadPayeeDirectory(participant: string, text: string, format: 'csv' | 'json', who: OperatorIdentity):
    Promise<{ actionId: bigint; version: number; entries: number }> {
    this.writable('load a payee directory');
    await this.fresh();
    const bic = this.context.directory.canonical(participant);
    if (!this.context.config.participants.some((p) => p.bic === bic)) {
      throw new PayeeDirectoryError(`${participant} is not a participant of the scheme`);
    }
    const parsed = parseDirectoryFile(text, format);
    if (!parsed.ok) throw new PayeeDirectoryError(`line ${parsed.line}: ${parsed.reason}`, parsed.line);
    const sha256 = createHash('sha256').update(text).digest('hex');
    const loaded = await loadDirectory(this.context, bic, parsed.entries, sha256, {
      actor: who.actor, action: 'payee.directory.load', subject: bic, reason: who.reason,
      details: { ...who.details, sha256, entries: parsed.entries.length, format },
    });
    return { ...loaded, entries: parsed.entries.length };
  }

  /** Payee directory versions, newest first per participant (reading only). */
  payeeDirectoryVersions(participant?: string): Promise<DirectoryVersion[]> {
    return directoryVersions(this.context.db, participant === undefined ? undefined : this.context.directory.canonical(participant));
  }

  /** The latest payee verifications, newest first (reading only). */
  payeeVerifications(limit = 50): Promise<VerificationSummary[]> {
    return listVerifications(this.context.db, limit);
  }

  /** Deliver due outbox messages through `deliver`; returns how many were delivered. */
  async dispatch(deliver: Deliver, limit?: number): Promise<number> {
    this.writable('dispatch');
    return dispatchOnce(this.context, deliver, limit);
  }

  /** Outbox rows due for delivery, oldest first (the distributed relay turns each into a job). */
  dueOutbox(limit?: number): Promise<{ id: bigint; attempts: number }[]> {
    return dueOutbox(this.context, limit);
  }

  /** Deliver one outbox row through `deliver`, if it is still due (a distributed `deliver` job). */
  async dispatchOne(outboxId: bigint, deliver: Deliver): Promise<'delivered' | 'failed' | 'skipped'> {
    this.writable('dispatch');
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
  async querySettlement(cycleId: bigint, by: { readonly actor: string; readonly reason: string; readonly details?: Readonly<Record<string, unknown>> }):
    Promise<{ actionId: bigint; queried: number }> {
    const [cycle] = await this.context.db.query<{ state: string }>('SELECT state FROM cycles WHERE id = $1', [cycleId]);
    if (cycle?.state !== 'SETTLEMENT_SENT') {
      throw new SettlementResolutionError(cycle ? `cycle ${cycleId} is ${cycle.state}, not waiting for the settlement agent` : `cycle ${cycleId} does not exist`);
    }
    const recorded = await this.recordOperatorAction({ actor: by.actor, action: 'settlement.query', subject: `cycle ${cycleId}`, reason: by.reason,
      details: { ...by.details, cycle: cycleId.toString() } });
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
  /** The closed business days (day-close.ts), oldest first. */
  async closedDays(): Promise<Array<{ businessDate: string; closedAt: Date; cycles: number; statements: number }>> {
    const rows = await this.context.db.query<{ business_date: string | Date; closed_at: Date; cycles: number; statements: number }>(
      'SELECT business_date, closed_at, cycles, statements FROM business_days ORDER BY business_date');
    return rows.map((r) => ({ businessDate: dateText(r.business_date)!, closedAt: r.closed_at, cycles: r.cycles, statements: r.statements }));
  }

  /** The statements of a closed day: participant, currency, balances and totals (minor units). */
  async dayStatements(businessDate: string): Promise<Array<{ bic: string; currency: string; openingMinor: bigint; closingMinor: bigint;
    entries: bigint; pages: number; firstMessageId: string }>> {
    const rows = await this.context.db.query<{ bic: string; currency: string; opening_minor: bigint; closing_minor: bigint; credit_count: bigint;
      debit_count: bigint; pages: number; first_message_id: string }>(
      `SELECT bic, currency, opening_minor, closing_minor, credit_count, debit_count, pages, first_message_id FROM day_statements
        WHERE business_date = $1::date ORDER BY bic, currency`, [businessDate]);
    return rows.map((r) => ({ bic: r.bic, currency: r.currency, openingMinor: BigInt(r.opening_minor), closingMinor: BigInt(r.closing_minor),
      entries: BigInt(r.credit_count) + BigInt(r.debit_count), pages: r.pages, firstMessageId: r.first_message_id }));
  }

  /** A participant's camt.053 of a business day as text chunks, in bounded memory (statements.ts), under `messageId`. */
  statementDocument(businessDate: string, bic: string, currency: string, messageId: string): AsyncGenerator<string> {
    return statementDocument(this.context.db, { businessDate, bic, currency, switchBic: this.context.switchBic, messageId,
      createdAt: isoDateTime(this.context.clock.now()) });
  }

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

  /** How many of these batch payments are warehoused (future-dated, in no cycle yet) (demo). */
  warehousedPayments(transactionIds: readonly string[]) {
    return warehousedCount(this.context.db, transactionIds);
  }

  /** The engine's clock (injected: tests and the demo drive it). */
  /** Record an operator action (who, what, on what, why) in the journal, at the engine's time. */
  async recordOperatorAction(action: OperatorAction): Promise<{ id: bigint; at: Date }> {
    this.writable('record an operator action');
    return recordOperatorAction(this.context.db, action, this.context.clock.now());
  }

  /** The operator-action journal, newest first (reading only). */
  operatorActions(options: { readonly subject?: string; readonly limit?: number } = {}): Promise<RecordedOperatorAction[]> {
    return listOperatorActions(this.context.db, options);
  }

  // The risk stage (docs/risk.md): the review queue, freezes, profiles and events. The HTTP API calls these too.

  /** Payments held for risk review, oldest first (reading only). */
  riskHolds(): Promise<HeldPayment[]> {
    return listHolds(this.context.db);
  }

  /** Releases a held payment (batch: into the open cycle; real-time: reserved and forwarded, or refused over headroom). */
  async releaseHeldPayment(id: bigint, who: OperatorIdentity): Promise<{ state: string }> {
    this.writable('risk.release');
    await this.fresh();
    return releaseHeld(this.context, id, who.actor, who.reason, who.details);
  }

  /** Rejects a held payment (RR04 unless `code` says otherwise); its sender is told by pacs.002 RJCT. */
  async rejectHeldPayment(id: bigint, who: OperatorIdentity, code?: string): Promise<void> {
    this.writable('risk.reject');
    await this.fresh();
    return rejectHeld(this.context, id, who.actor, who.reason, code, who.details);
  }

  /** Freezes an account of a participant: every payment from or to it is refused AC06 until unfrozen. */
  async freezeAccount(bic: string, account: string, who: OperatorIdentity): Promise<void> {
    this.writable('risk.freeze_account');
    if (account === '') throw new RiskDecisionError('an account is required');
    return freeze(this.context, bic, account, who.actor, who.reason, who.details);
  }

  async unfreezeAccount(bic: string, account: string, who: OperatorIdentity): Promise<void> {
    this.writable('risk.unfreeze_account');
    if (account === '') throw new RiskDecisionError('an account is required');
    return unfreeze(this.context, bic, account, who.actor, who.reason, who.details);
  }

  /**
   * Freezes a participant: suspended in the register (its files refused AG10, payments to it refused
   * AG10: suspendParticipant) and frozen for the risk stage (any payment from or to it that still
   * reaches the stage refused AC06), recorded as a risk event.
   */
  async freezeParticipant(bic: string, who: OperatorIdentity): Promise<RegisterUpdate> {
    this.writable('risk.freeze_participant');
    await freeze(this.context, bic, '', who.actor, who.reason, who.details);
    const suspended = this.context.config.participants.find((p) => p.bic === bic)?.status === 'suspended';
    return suspended ? { changes: [], version: this.configurationVersion, applied: false } : this.suspendParticipant(bic, who);
  }

  /** Lifts a participant's freeze and resumes it in the register. */
  async unfreezeParticipant(bic: string, who: OperatorIdentity): Promise<RegisterUpdate> {
    this.writable('risk.unfreeze_participant');
    await unfreeze(this.context, bic, '', who.actor, who.reason, who.details);
    const suspended = this.context.config.participants.find((p) => p.bic === bic)?.status === 'suspended';
    return suspended ? this.resumeParticipant(bic, who) : { changes: [], version: this.configurationVersion, applied: false };
  }

  /** Loads a participant's risk profile file (CSV or JSON Lines) as a new version, whole or not at all. */
  async loadRiskProfiles(load: ProfileLoad): Promise<ProfileVersion> {
    this.writable('risk.profiles_load');
    await this.fresh();
    return loadProfiles(this.context, load);
  }

  /** Loaded profile versions, newest first (reading only). */
  riskProfileVersions(participant?: string) {
    return listProfileVersions(this.context.db, participant);
  }

  /** The freezes in force (accounts, and participants with account ''), newest first (reading only). */
  riskFreezes() {
    return listFreezes(this.context.db);
  }

  /** Risk events, newest first (reading only). */
  riskEvents(options: RiskEventFilter = {}) {
    return listRiskEvents(this.context.db, options);
  }

  /** Payments by filters, newest first, one page (API; `visibleTo` restricts to one participant's). */
  searchPayments(filter: PaymentFilter) {
    return searchPayments(this.context.db, filter);
  }

  /** One payment with its history and messages, if it exists and `visibleTo` (when given) takes part in it. */
  paymentDetail(id: bigint, visibleTo?: string) {
    return paymentDetail(this.context.db, id, visibleTo);
  }

  /** Live exposures and headroom per participant and currency. */
  exposures(visibleTo?: string) {
    return exposures(this.context.db, visibleTo);
  }

  /** Real-time payments queued over headroom, per debtor and currency, the first `perLane` of each lane (one debtor's with `visibleTo`). */
  queuedPayments(visibleTo?: string, perLane = 100) {
    return queuedPayments(this.context.db, visibleTo, perLane);
  }

  /** Queued (and with `held`, held) counts and amounts per debtor and currency, zeros included (one debtor's with `visibleTo`). */
  queueDepths(visibleTo: string | undefined, held: boolean) {
    return queueDepths(this.context.db, visibleTo, held);
  }

  /** The participants with their state (active, suspended, retired), caps and live headroom (one with `visibleTo`). */
  participantViews(visibleTo?: string) {
    return participantViews(this.context.db, visibleTo);
  }

  /** Grouped counts of payments, cycles, outbox rows and dead letters for GET /metrics (reading only). */
  metricsSnapshot() {
    return metricsSnapshot(this.context.db);
  }

  /** A cycle's state, if it exists. */
  cycleState(cycleId: bigint) {
    return cycleState(this.context.db, cycleId);
  }

  /** A cycle's settlement instructions, every attempt (one participant's with `visibleTo`). */
  settlementInstructions(cycleId: bigint, visibleTo?: string) {
    return settlementInstructions(this.context.db, cycleId, visibleTo);
  }

  /** A stored message's bytes, if `visibleTo` (when given) sent or received it. */
  messageBytes(id: bigint, visibleTo?: string) {
    return messageBytes(this.context.db, id, visibleTo);
  }

  /** Whether the store answers a trivial query now (readiness). */
  async ready(): Promise<boolean> {
    try {
      return await storeAnswers(this.context.db);
    } catch {
      return false;
    }
  }

  /** Queue jobs given up on (dead_letters), newest first. */
  deadLetters(limit?: number) {
    return listDeadLetters(this.context.db, limit === undefined ? {} : { limit });
  }

  /** The BICs of the scheme's participants (configured). */
  participantBics(): string[] {
    return this.context.config.participants.map((p) => p.bic);
  }

  /** The people and sessions of the HTTP API (switch/api/). */
  access(): AccessStore {
    return accessStore(this.context.db);
  }

  /** The reads of the reconciliation and statistics reports (switch/reports/, docs/reports.md): reading only. */
  reportReads(): ReportReads {
    return reportReads(this.context.db);
  }

  /** Notification subscriptions, the notification outbox and its attempts (docs/notifications.md). */
  notifications(): NotificationStore {
    return notificationStore(this.context.db, this.context.clock);
  }

  /** The settlement agent's BIC (its messages are the reconciliation's confirmations). */
  get settlementAgentBic(): string {
    return this.context.settlementAgentBic;
  }

  /**
   * Loads a version of a sanctions or negative list (`clearhouse risk lists load`): recorded as
   * `risk.list.load`, written whole or not at all (switch/engine/screening-lists.ts, docs/risk.md "Screening").
   */
  async loadScreeningList(load: ScreeningListLoad, who: OperatorIdentity): Promise<ScreeningListVersion> {
    this.writable('risk lists load');
    return storeScreeningList(this.context.db, load, who, this.context.clock.now());
  }

  /** Every stored list version, newest first (reads only). */
  screeningListVersions(): Promise<ScreeningListVersion[]> {
    return screeningListVersions(this.context.db);
  }

  /** The lists in force as a Screener kept current in the background (one per engine; the risk stage's). */
  screeningLists(): ScreeningLists {
    this.screening ??= new ScreeningLists(this.context.db, { onError: (error) => this.log(`screening lists: refresh failed: ${String(error)}`) });
    return this.screening;
  }

  /** Whether `bic` clears `currency` (has a cap row). */
  hasCap(bic: string, currency: string): Promise<boolean> {
    return capExists(this.context.db, bic, currency);
  }

  /** Maker: proposes a money-at-stake change (journaled); it waits for a different checker. Returns its id. */
  proposeAction<K extends PendingKind>(kind: K, subject: string, payload: PendingPayloads[K], maker: string, reason: string,
    details: Record<string, unknown> = {}): Promise<bigint> {
    return this.context.db.transaction((tx) => proposeAction(tx, kind, subject, payload, maker, reason, details, this.context.clock.now()));
  }

  pendingActions(state?: string) {
    return listPendingActions(this.context.db, state);
  }

  /**
   * Checker: approves (applies) or rejects a pending action; never the maker's own. An approved cap
   * change goes through the scheme register like `participant cap` (recorded, versioned, in force in
   * every serve and after a restart); the decision is marked in the register change's transaction, so
   * it is applied once or not at all.
   */
  async decideAction(id: bigint, checker: string, approve: boolean, reason: string, details: Record<string, unknown> = {}):
    Promise<{ ok: true } | { ok: false; refusal: DecisionRefusal }> {
    const decide = (tx: Queryable, apply: boolean) => decideAction(tx, id, checker, approve, reason, details, this.context.clock.now(), { apply });
    try {
      const pending = approve ? await pendingAction(this.context.db, id) : undefined;
      // A decision that will be refused (none, decided, the maker's own) is refused before the register is touched.
      if (!approve || pending === undefined || pending.state !== 'PENDING' || pending.maker === checker) {
        return await this.context.db.transaction((tx) => decide(tx, false));
      }
      if (pending.action === 'settlement.resolve') return await this.approveSettlementResolution(id, pending.payload as SettlementChange, checker, reason, details, decide);
      if (pending.action === 'risk.release') return await this.approveRiskRelease(id, pending.payload as RiskReleaseChange, checker, reason, details, decide);
      if (pending.action === 'risk.unfreeze') return await this.approveRiskUnfreeze(id, pending.payload as RiskUnfreezeChange, checker, reason, details, decide);
      const { bic, currency, amountMinor } = pending.payload as CapChange;
      await this.setNetDebitCap(bic, currency, formatAmount(BigInt(amountMinor), currency), {
        actor: checker, reason, details: { ...details, pendingActionId: id.toString() },
      }, async (tx) => {
        const outcome = await decide(tx, false);
        if (!outcome.ok) throw new DecisionError(outcome.refusal);
      });
      return { ok: true };
    } catch (error) {
      if (error instanceof DecisionError) return { ok: false, refusal: error.refusal };
      if (error instanceof RegisterChangeError || error instanceof SettlementResolutionError || error instanceof RiskDecisionError) {
        return { ok: false, refusal: 'not-applicable' };
      }
      throw error;
    }
  }

  /**
   * The checker's approval of a proposed settlement resolution: in one transaction the decision is
   * marked and journaled, the resolution journaled (as `settlement resolve` does, with the checker as
   * actor and the maker in the details) and applied; a cycle no longer PARTIALLY_SETTLED rolls all of
   * it back (SettlementResolutionError: 'not-applicable').
   */
  private async approveSettlementResolution(id: bigint, change: SettlementChange, checker: string, reason: string, details: Record<string, unknown>,
    decide: (tx: Queryable, apply: boolean) => ReturnType<typeof decideAction>): Promise<{ ok: true }> {
    this.writable('settlement.resolve');
    if (!(SETTLEMENT_RESOLUTIONS as readonly string[]).includes(change.resolution)) throw new SettlementResolutionError(`no resolution ${change.resolution}`);
    const cycleId = BigInt(change.cycleId);
    await this.context.db.transaction(async (tx) => {
      const outcome = await decide(tx, false);
      if (!outcome.ok) throw new DecisionError(outcome.refusal);
      await recordOperatorAction(tx, { actor: checker, action: 'settlement.resolve', subject: `cycle ${cycleId}`, reason,
        details: { ...details, cycle: change.cycleId, resolution: change.resolution, pendingActionId: id.toString() } }, this.context.clock.now());
      await resolvePartialSettlement(this.context, tx, cycleId, change.resolution as SettlementResolution);
    });
    return { ok: true };
  }

  /**
   * The checker's approval of a proposed release of a held payment: in one transaction the decision is
   * marked and journaled and the payment released (`risk.release` journaled with the checker as actor and
   * the pending action in the details); a payment no longer held, or past its real-time deadline, rolls
   * all of it back (RiskDecisionError: 'not-applicable').
   */
  private async approveRiskRelease(id: bigint, change: RiskReleaseChange, checker: string, reason: string, details: Record<string, unknown>,
    decide: (tx: Queryable, apply: boolean) => ReturnType<typeof decideAction>): Promise<{ ok: true }> {
    this.writable('risk.release');
    await this.fresh();
    await this.context.db.transaction(async (tx) => {
      const outcome = await decide(tx, false);
      if (!outcome.ok) throw new DecisionError(outcome.refusal);
      await releaseHeldIn(this.context, tx, BigInt(change.paymentId), checker, reason, { ...details, pendingActionId: id.toString() });
    }, { retryable: true });
    return { ok: true };
  }

  /**
   * The checker's approval of lifting a freeze: the decision and the unfreeze in one transaction; a
   * participant's freeze also resumes it in the register (the decision is then marked inside the
   * register change's transaction, as for a cap). Not frozen any more: 'not-applicable'.
   */
  private async approveRiskUnfreeze(id: bigint, change: RiskUnfreezeChange, checker: string, reason: string, details: Record<string, unknown>,
    decide: (tx: Queryable, apply: boolean) => ReturnType<typeof decideAction>): Promise<{ ok: true }> {
    this.writable('risk.unfreeze');
    const within = async (tx: Queryable): Promise<void> => {
      const outcome = await decide(tx, false);
      if (!outcome.ok) throw new DecisionError(outcome.refusal);
      await unfreezeIn(this.context, tx, change.bic, change.account, checker, reason, { ...details, pendingActionId: id.toString() });
    };
    const suspended = change.account === '' && this.context.config.participants.find((p) => p.bic === change.bic)?.status === 'suspended';
    if (!suspended) {
      await this.context.db.transaction(within);
      return { ok: true };
    }
    await this.changeRegister({ action: 'participant.resume', subject: change.bic },
      { actor: checker, reason, details: { ...details, pendingActionId: id.toString() } },
      (r) => withParticipant(r, change.bic, (p) => ({ ...p, status: 'active' })), false, within);
    return { ok: true };
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
    await this.screening?.close();
    await this.context.db.close();
    if (this.ownsXsd) await this.context.xsd.close();
  }
}

/**
 * The first writing start of a store without a register seeds it from the configuration file
 * (recorded as `config.initialise` by the switch itself); afterwards the file's participants, caps and
 * services are not applied again: they change only through `config apply` and the operator commands.
 */
async function seedRegister(db: Database, config: SchemeConfig, clock: Clock): Promise<void> {
  await db.transaction(async (tx) => {
    await lockRegister(tx);
    if ((await registerVersion(tx)) > 0n) return;
    const register = registerOf(config);
    const action = await recordOperatorAction(tx, {
      actor: 'clearhouse', action: 'config.initialise', subject: 'scheme',
      reason: 'first writing start of this store: scheme register seeded from the configuration file',
      details: { changes: registerChanges(undefined, register).length },
    }, clock.now());
    await writeRegister(tx, register, action.id);
  });
}

/** The register with participant `bic` changed by `change` (RegisterChangeError when it is not one). */
function withParticipant(register: SchemeRegister, bic: string, change: (p: ParticipantConfig) => ParticipantConfig): SchemeRegister {
  if (!register.participants.some((p) => p.bic === bic)) throw new RegisterChangeError(`${bic} is not a participant`);
  return { ...register, participants: register.participants.map((p) => (p.bic === bic ? change(p) : p)) };
}
