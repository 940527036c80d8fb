/**
 * `clearhouse serve` (split from switch/cli/clearing.ts so that the read commands do not load the
 * transport, the scheduler and the signing modules).
 */
import { join } from 'node:path';
import type { SchemeConfig } from '../config.ts';
import type { EngineEvent, EngineEventSink } from '../engine/context.ts';
import { limits } from '../limits.ts';
import { HttpOptionError, startHttp, type HttpOptions } from './http.ts';
import { EventHub } from '../api/events.ts';
import type { RunningApi } from '../api/server.ts';
import { createLogger, LOG_FORMATS, type LogFormat } from '../log.ts';
import { DatabaseOutage } from '../store/availability.ts';
import { DirectoryMailboxes } from '../../connectors/directory.ts';
import type { Connector } from '../../connectors/connector.ts';
import { pollInbound } from '../../connectors/inbound.ts';
import { signingDeliver } from '../../connectors/outbound.ts';
import { buildConnectors, redisConnection } from '../../connectors/registry.ts';
import { trustSources } from '../../connectors/signing/material.ts';
import { TrustMaterialWatcher } from '../../connectors/signing/reload.ts';
import type { Deliver } from '../engine/transport.ts';
import { CLOCK_VARIABLE, describeClock, processClock } from '../clock.ts';
import { SettlementAgentSimulator } from '../demo/simulators.ts';
import { DistributedWork } from '../work/distributed.ts';
import { BullmqScheduler, calendarSchedule, TimerScheduler, type CutOffScheduler } from '../../batch/scheduler.ts';
import { guardedPass, openEngineWhenReachable, pollUnsigned, sleep } from './serve-loop.ts';
import { openEngine, withEngine, type CommonOptions } from './clearing.ts';
import { checkRedisUrl } from './errors.ts';
import { AlertSink, reconcileClosedDay, runNotifier } from './serve-notify.ts';

/** Level and message of each engine step's log record (its fields carry the cycle, counts, participants, reason). */
const ENGINE_EVENTS: Record<EngineEvent['event'], { readonly level: 'info' | 'warn' | 'error'; readonly text: string }> = {
  'cycle.cut-off': { level: 'info', text: 'cycle cut off' },
  'cycle.netted': { level: 'info', text: 'cycle netted' },
  'cycle.unwind': { level: 'warn', text: 'payments unwound from the cycle' },
  'settlement.instructed': { level: 'info', text: 'settlement instructed to the settlement agent' },
  'settlement.rejected': { level: 'warn', text: 'the settlement agent rejected settlement of participants' },
  'settlement.overdue': { level: 'error', text: 'settlement not answered by the settlement agent in time' },
  'cycle.partially-settled': { level: 'error', text: 'cycle partially settled: an operator must resolve it (clearhouse settlement resolve)' },
  'cycle.settled': { level: 'info', text: 'cycle settled' },
  'business-day.closed': { level: 'info', text: 'business day closed: statements (camt.053) and admi.004 DCLS sent' },
  'delivery.failed': { level: 'warn', text: 'delivery failed' },
  'risk.limit-breach': { level: 'warn', text: 'risk: payment over a limit, rejected' },
  'risk.screening-hit': { level: 'warn', text: 'risk: screening hit' },
  'risk.score': { level: 'warn', text: 'risk: score at or above a threshold' },
  'risk.hold': { level: 'warn', text: 'risk: payment held for review (clearhouse risk holds)' },
  'risk.release': { level: 'info', text: 'risk: held payment released by an operator' },
  'risk.reject': { level: 'warn', text: 'risk: payment rejected' },
  'risk.freeze': { level: 'warn', text: 'risk: account or participant frozen' },
  'risk.unfreeze': { level: 'info', text: 'risk: account or participant unfrozen' },
  'risk.timeout': { level: 'warn', text: 'risk: held real-time payment not decided in time, rejected' },
  'risk.frozen': { level: 'warn', text: 'risk: payment from or to a frozen account refused' },
};

/** Serve loop periods: short enough for real-time traffic on the directory connector, light when idle. */
const POLL_INTERVAL_MS = 200;
const SWEEP_INTERVAL_MS = 1_000;
/** How often serve seals the audit journal and makes the checkpoints that are due (docs/audit.md). */
const AUDIT_INTERVAL_MS = 5_000;
/** How long a stop waits for connections that cannot close (Redis unreachable) before serve returns anyway. */
const STOP_GRACE_MS = 2_000;

export interface ServeOptions extends CommonOptions, HttpOptions {
  readonly simulateSettlement?: boolean;
  readonly once?: boolean;
  /** Scheme CA certificates (PEM files, or CA directories holding ca.cert.pem): inbound signatures are verified. */
  readonly ca?: readonly string[];
  readonly crl?: readonly string[];
  /** The switch's signing key and certificate: outbound files are delivered with `<name>.p7s`. */
  readonly switchKey?: string;
  readonly switchCert?: string;
  /** json (default): one JSON record per line on stderr; pretty: readable lines (switch/log.ts). */
  readonly logFormat?: string;
}

/**
 * `clearhouse serve`: take files from every participant's connector (connectors/registry.ts), deliver
 * the outbox through them, sweep timeouts, and cut off cycles on schedule, until SIGINT/SIGTERM.
 *
 * With `--ca` every inbound file must carry a valid detached signature (pollInbound: refused files are
 * answered with an admi.002); without it (embedded/demo mode) unsigned files are accepted. With
 * `--switch-key`/`--switch-cert` every delivered file is signed (signingDeliver). The trust material
 * is read again when its files change (connectors/signing/reload.ts). A database that cannot be
 * reached is waited for, with backoff (switch/cli/serve-loop.ts); the log is JSON lines (switch/log.ts).
 */
export function serveCommand(options: ServeOptions): Promise<number> {
  const format = (options.logFormat ?? 'json') as LogFormat;
  if (!LOG_FORMATS.includes(format)) {
    process.stderr.write(`clearhouse serve: --log-format takes ${LOG_FORMATS.join(' or ')}\n`);
    return Promise.resolve(2);
  }
  if (process.env.REDIS_URL) checkRedisUrl(process.env.REDIS_URL);
  const logger = createLogger({ format });
  const log = logger.child({ component: 'serve' });
  const outage = new DatabaseOutage(logger.child({ component: 'database' }));
  const stopping = new AbortController();
  const stop = (): void => { stopping.abort(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // The engine's steps, one JSON record each (docs/operations.md "Logs"): cut-off, netting, unwind,
  // settlement instructed, answered and settled, and every failed delivery with its reason.
  const engineLog = logger.child({ component: 'engine' });
  // The same events reach the HTTP API's live streams and metrics (--http; docs/api.md "Live events").
  const hub = new EventHub();
  const events: EngineEventSink = (e) => {
    const { event, ...fields } = e;
    const { level, text } = ENGINE_EVENTS[event];
    // A delivery with no attempt left (FAILED) needs an operator: an error, not a warning.
    engineLog[e.event === 'delivery.failed' && e.final ? 'error' : level]({ event, ...fields }, text);
    hub.publish(e);
    alerts.observe(e);
  };
  // What needs an operator is also notified to the operators' subscriptions (docs/notifications.md).
  const alerts = new AlertSink(logger.child({ component: 'notify' }));
  const open = async (config: SchemeConfig) => {
    const engine = await openEngineWhenReachable(() => openEngine(config, false, true, events), outage, stopping.signal);
    if (engine) alerts.attach(engine.notifications(), reconcileClosedDay(engine));
    return engine;
  };
  return withEngine(options, async (engine, config) => {
    let watcher: TrustMaterialWatcher;
    try {
      // The scheme configuration's `signing` section, unless the command line names other material.
      const sources = trustSources(config.signing, {
        ...(options.ca ? { ca: options.ca } : {}), ...(options.crl ? { crl: options.crl } : {}),
        ...(options.switchKey !== undefined ? { switchKey: options.switchKey } : {}),
        ...(options.switchCert !== undefined ? { switchCert: options.switchCert } : {}),
      });
      watcher = TrustMaterialWatcher.load({
        sources, log: logger.child({ component: 'trust' }), switchBic: config.switchBic, now: () => engine.clock.now(),
      });
    } catch (error) {
      process.stderr.write(`clearhouse serve: ${(error as Error).message}\n`);
      return 2;
    }
    const { trust, signer } = watcher.current();
    const agentBic = config.settlementAgent?.bic;
    // Real mode: the agent's answers come through its own connector, verified like any participant's.
    if (!options.simulateSettlement && !config.settlementAgent?.connector) {
      process.stderr.write('clearhouse serve: no way to reach the settlement agent: configure settlementAgent.connector, or run with --simulate-settlement\n');
      return 2;
    }
    let connector: Connector;
    // The participants' connectors come from the configuration in force (the store's register): built
    // again when an operator adds, retires or re-connects a participant (docs/operations.md).
    const connectors = (): Connector => buildConnectors(engine.configuration, {
      redisUrl: process.env.REDIS_URL || undefined,
      // The simulator reads every file of the agent's outbound/: no .p7s files there.
      ...(options.simulateSettlement && agentBic ? { unsignedDelivery: new Set([agentBic]) } : {}),
      log: logger.child({ component: 'connector' }),
    });
    try {
      connector = connectors();
    } catch (error) {
      process.stderr.write(`clearhouse serve: ${(error as Error).message}\n`);
      return 2;
    }
    const mailboxes = new DirectoryMailboxes(join(config.dataDirectory, 'mailboxes'));
    const agent = options.simulateSettlement ? new SettlementAgentSimulator(engine, mailboxes, agentBic!) : undefined;
    const outboundLog = logger.child({ component: 'outbound' });
    const deliver: Deliver = async (m) => {
      // The signer in force now: a rotated switch certificate is used from the next delivery on.
      const current = watcher.current().signer;
      if (current) await signingDeliver(connector, current, engine.clock)(m);
      else await connector.deliver({ recipient: m.recipient, fileName: m.fileName, content: m.content });
      outboundLog.info({ participant: m.recipient, msgId: m.messageId, messageType: m.messageType, fileName: m.fileName,
        outboxId: m.outboxId }, 'delivered');
    };
    // Every counterparty whose files serve reads: the participants in force, and the settlement agent unless simulated in-process.
    const participants = (): string[] => [...engine.configuration.participants.map((p) => p.bic),
      ...(options.simulateSettlement || !agentBic ? [] : [agentBic])];
    // A newer scheme register (another process's `config apply`, `participant …`) is taken on the next
    // pass: within limits.registerPollIntervalMs plus one pass (docs/operations.md "Configuration workflow").
    let lastRegisterCheck = -Infinity;
    const registerLog = logger.child({ component: 'register' });
    const takeRegister = async (): Promise<void> => {
      if (performance.now() - lastRegisterCheck < limits.registerPollIntervalMs) return;
      lastRegisterCheck = performance.now();
      if (!(await engine.refreshConfiguration())) return;
      registerLog.info({ version: engine.configurationVersion.toString() }, 'scheme register changed: participants, caps and services in force now');
      try {
        const previous = connector;
        connector = connectors();
        await previous.close();
      } catch (error) {
        registerLog.error({ err: error }, 'connectors of the new register could not be built: the previous ones stay');
      }
      // Redis mode: the shared poll schedulers follow the register (a participant added is polled now).
      await work?.setParticipants(participants());
    };
    const inboundLog = logger.child({ component: 'inbound' });
    const schedule = calendarSchedule(config.calendar, config.cycles);
    const schedulerLog = logger.child({ component: 'scheduler' });
    const onSchedulerError = (error: unknown): void => {
      if (outage.failed(error, 'cut-off') === undefined) schedulerLog.error({ err: error }, 'cut-off failed; retried');
    };
    const clock = processClock();
    if (!clock.isSystem) {
      log.warn({ clock: describeClock(clock) }, `WARNING: ${CLOCK_VARIABLE} is set: ${describeClock(clock)}. Business dates, cut-offs and message dates follow it. ` +
        'For tests and simulations only, never for real payments.');
    }
    const scheduler: CutOffScheduler = process.env.REDIS_URL
      ? new BullmqScheduler({ connection: redisConnection(process.env.REDIS_URL), schedule, clock, onError: onSchedulerError })
      : new TimerScheduler({ schedule, clock, onError: onSchedulerError });
    // With Redis unreachable the BullMQ scheduler waits for it (its errors logged once per backoff
    // step); the first SIGTERM/SIGINT still stops serve: the start is abandoned, what was opened is
    // closed within STOP_GRACE_MS, and the command returns (docs/operations.md "When Redis goes away").
    const stopped = new Promise<'stopped'>((resolve) => {
      if (stopping.signal.aborted) resolve('stopped');
      stopping.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
    });
    const started = await Promise.race([scheduler.start(async (cycle) => {
      const id = await engine.closeCycle({ dueAt: cycle.cutOffAt });
      schedulerLog.info({ ...(id === undefined ? {} : { cycle: id }), businessDate: cycle.businessDate, sequence: cycle.sequence },
        id === undefined ? 'scheduled cut-off: no cycle opened before it is open (closed already)' : 'scheduled cut-off: cycle cut off, netted and instructed');
    }).then(() => 'started' as const), stopped]);
    if (started === 'stopped') {
      log.info({}, 'stopped before the cut-off scheduler had started');
      await Promise.race([Promise.allSettled([scheduler.stop(), connector.close()]), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
      watcher.stop();
      return 0;
    }
    log.info({ store: engine.storeKind, inboundSignatures: trust ? 'verified' : 'not required (embedded/demo mode)', outbound: signer ? 'signed' : 'unsigned' },
      `serving ${config.name}`);
    const differences = engine.configurationChanges(config);
    if (differences.length > 0) {
      log.warn({ differences: differences.length, registerVersion: engine.configurationVersion.toString() },
        'the configuration file\'s participants, caps or services differ from the store\'s scheme register, which is in force: ' +
        '`clearhouse config apply FILE --operator NAME --reason TEXT` applies them (docs/operations.md)');
    }
    const takeInbound = async (only: readonly string[]): Promise<void> => {
      const material = watcher.current();
      if (material.trust) await pollInbound(engine, connector, only, material.trust, engine.clock.now(), { log: inboundLog });
      else await pollUnsigned(engine, connector, only, inboundLog);
    };
    // Redis mode: the recurring work is BullMQ jobs shared by every serve process (switch/work/distributed.ts).
    // --once (and the embedded mode) runs it all in this process, one pass after another.
    const work = process.env.REDIS_URL && !options.once
      ? new DistributedWork({
        engine, connection: redisConnection(process.env.REDIS_URL), participants: participants(), takeInbound: (p) => takeInbound([p]), deliver,
        log: logger.child({ component: 'work' }), outage,
      })
      : undefined;
    let lastSweep = -Infinity;
    let lastAudit = -Infinity;
    let api: RunningApi | undefined;
    let notifier: Promise<void> | undefined;
    try {
      if (trust || signer) watcher.start();
      try {
        api = await startHttp(engine, config, options, watcher, logger, hub);
      } catch (error) {
        if (!(error instanceof HttpOptionError)) throw error;
        process.stderr.write(`clearhouse serve: ${error.message}\n`);
        return 2;
      }
      await work?.start();
      // Webhooks and e-mail: every process runs the worker (the table's lease shares the work); not with --once.
      notifier = options.once ? undefined : runNotifier(engine, logger.child({ component: 'notify' }), stopping.signal);
      log.info({ pid: process.pid }, work ? 'sharing the work queue on Redis with every other serve process' : 'running every pass in this process');
      while (!stopping.signal.aborted) {
        let answered = 0;
        const waitMs = await guardedPass(outage, 'serve pass', async () => {
          await takeRegister();
          if (!work) {
            await takeInbound(participants());
            // Sweep before dispatching, so what a timeout produces (the sender's RJCT AB05) leaves in this pass.
            if (performance.now() - lastSweep > SWEEP_INTERVAL_MS) {
              const swept = await engine.sweep();
              if (swept.timedOut + swept.expiredCases > 0) log.info({ timedOut: swept.timedOut, expiredCases: swept.expiredCases }, 'sweep');
              lastSweep = performance.now();
            }
            while ((await engine.dispatch(deliver)) > 0) { /* deliver everything due */ }
          }
          // Every serve process may seal and checkpoint: an advisory lock lets one at a time, and a
          // checkpoint is made once (docs/audit.md). What it publishes leaves with the next dispatch.
          if (performance.now() - lastAudit > AUDIT_INTERVAL_MS) {
            const made = await engine.auditTick(watcher.current().signer);
            for (const c of made) log.info({ checkpoint: c.id, kind: c.kind, subject: c.subject, entries: Number(c.lastPosition - c.firstPosition + 1n), root: c.merkleRoot }, 'audit checkpoint published');
            lastAudit = performance.now();
          }
          answered = agent ? await agent.answerAll() : 0;
        });
        if (waitMs > 0 && options.once) return 1; // one pass asked for, and it could not be made
        if (answered > 0) continue;
        if (options.once) break;
        await sleep(waitMs > 0 ? waitMs : POLL_INTERVAL_MS, stopping.signal);
      }
      log.info({}, 'stopped');
    } finally {
      stopping.abort();
      await notifier;
      await api?.close();
      watcher.stop();
      await work?.stop();
      await scheduler.stop();
      await connector.close();
    }
    return 0;
  }, open);
}
