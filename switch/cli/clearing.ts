/**
 * The operator's commands: serve, cycle open|close|status|list, positions (submit: switch/cli/submit.ts).
 *
 * Store: PostgreSQL when DATABASE_URL is set (many processes may share it), otherwise the embedded
 * PGlite in <dataDirectory>/db (one process at a time: stop `serve` before running other commands
 * against the same directory). Scheduler: BullMQ on REDIS_URL when set, otherwise in-process timers.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type SchemeConfig } from '../config.ts';
import { Engine } from '../engine/engine.ts';
import { formatAmount, formatSignedAmount } from '../iso/amount.ts';
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
import { CLOCK_VARIABLE, describeClock, processClock, processStartedAt } from '../clock.ts';
import { SettlementAgentSimulator } from '../demo/simulators.ts';
import { DistributedWork } from '../work/distributed.ts';
import { BullmqScheduler, calendarSchedule, TimerScheduler, type CutOffScheduler } from '../../batch/scheduler.ts';
import { guardedPass, openEngineWhenReachable, pollUnsigned, sleep } from './serve-loop.ts';

const defaultConfig = join(fileURLToPath(import.meta.url), '..', '..', '..', 'config', 'demo-scheme.json');

export interface CommonOptions {
  readonly config?: string;
  readonly json?: boolean;
}

/** Serve loop periods: short enough for real-time traffic on the directory connector, light when idle. */
const POLL_INTERVAL_MS = 200;
const SWEEP_INTERVAL_MS = 1_000;

export function readConfig(options: CommonOptions): SchemeConfig {
  return loadConfig(options.config ?? process.env.CLEARHOUSE_CONFIG ?? defaultConfig);
}

async function openEngine(config: SchemeConfig): Promise<Engine> {
  const url = process.env.DATABASE_URL;
  // The process clock: the system clock, or CLEARHOUSE_CLOCK's (tests and simulations only).
  return Engine.open({ config, clock: processClock(), ...(url ? { databaseUrl: url } : { dataDirectory: join(config.dataDirectory, 'db') }) });
}

/**
 * Run `work` with an engine; configuration problems are usage errors (exit 2). `open` replaces how
 * the engine is opened (serve waits for an unreachable database); undefined from it means stop.
 */
export async function withEngine(options: CommonOptions, work: (engine: Engine, config: SchemeConfig) => Promise<number>,
  open: (config: SchemeConfig) => Promise<Engine | undefined> = openEngine): Promise<number> {
  let config: SchemeConfig;
  try {
    config = readConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`clearhouse: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const engine = await open(config);
  if (engine === undefined) return 0;
  try {
    return await work(engine, config);
  } finally {
    await engine.close();
  }
}

export function print(options: CommonOptions, value: unknown, text: string): void {
  process.stdout.write(options.json ? JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n' : text);
}

export function cycleCommand(action: string, options: CommonOptions): Promise<number> {
  // `cycle close` closes the cycle that was open when the operator issued it (this process's start:
  // loading the code and opening the store take seconds): two operators (or a retried command)
  // closing at the same moment close one cycle, not that one and the next.
  const issuedAt = processStartedAt();
  return withEngine(options, async (engine) => {
    if (action === 'close') {
      const id = await engine.closeCycle({ dueAt: issuedAt });
      if (id === undefined) {
        const open = (await engine.cycles()).find((c) => c.state === 'OPEN');
        print(options, { closed: null, open: open?.id ?? null }, open
          ? `cycle ${open.id} was opened after this command was issued (another close ran meanwhile): left open\n`
          : 'no open cycle\n');
        return 0;
      }
      print(options, { closed: id }, `cycle ${id} cut off, netted and instructed for settlement\n`);
      return 0;
    }
    const cycles = await engine.cycles();
    if (action === 'open') {
      const open = cycles.find((c) => c.state === 'OPEN');
      print(options, { open: open ?? null }, open ? `cycle ${open.id} is open (${open.businessDate} #${open.sequence})\n` : 'no open cycle\n');
      return 0;
    }
    if (action === 'status') {
      const open = cycles.find((c) => c.state === 'OPEN');
      const pending = cycles.filter((c) => !['OPEN', 'SETTLED'].includes(c.state));
      print(options, { open: open ?? null, inProgress: pending },
        `open: ${open ? `cycle ${open.id} (${open.businessDate} #${open.sequence}), ${open.payments} payment(s)` : 'none'}\n` +
        (pending.length ? `in progress: ${pending.map((c) => `cycle ${c.id} ${c.state}`).join(', ')}\n` : '') +
        pending.filter((c) => c.settlementAlertAt).map((c) => `ALERT: cycle ${c.id}: the settlement agent has not answered (since ${c.settlementAlertAt!.toISOString()})\n`).join(''));
      return 0;
    }
    if (action === 'list') {
      print(options, cycles, cycles.map((c) => `${String(c.id).padStart(5)}  ${c.businessDate} #${c.sequence}  ${c.state.padEnd(17)} ${c.payments} payment(s)\n`).join(''));
      return 0;
    }
    process.stderr.write(`clearhouse cycle: unknown action ${action} (open, close, status, list)\n`);
    return 2;
  });
}

export function positionsCommand(options: CommonOptions & { cycle?: string }): Promise<number> {
  return withEngine(options, async (engine, config) => {
    if (options.cycle !== undefined && !/^\d+$/.test(options.cycle)) {
      process.stderr.write('clearhouse positions: --cycle takes a cycle id\n');
      return 2;
    }
    const result = await engine.positions(options.cycle === undefined ? undefined : BigInt(options.cycle));
    if (!result) {
      print(options, null, 'no netted cycle yet\n');
      return 0;
    }
    const names = new Map(config.participants.map((p) => [p.bic, p.name]));
    const text = `cycle ${result.cycle.id} (${result.cycle.businessDate} #${result.cycle.sequence}) ${result.cycle.state}\n` +
      result.positions.map((p) => `  ${p.bic}  ${(names.get(p.bic) ?? '').padEnd(20)} ${formatSignedAmount(p.net_minor, p.currency).padStart(18)} ${p.currency}\n`).join('') +
      'bilateral (debtor → creditor, gross):\n' +
      result.bilateral.map((b) => `  ${b.debtor} → ${b.creditor}  ${formatAmount(b.gross_minor, b.currency).padStart(16)} ${b.currency}  ${b.payment_count} payment(s)\n`).join('');
    print(options, result, text);
    return 0;
  });
}


export interface ServeOptions extends CommonOptions {
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
  const logger = createLogger({ format });
  const log = logger.child({ component: 'serve' });
  const outage = new DatabaseOutage(logger.child({ component: 'database' }));
  const stopping = new AbortController();
  const stop = (): void => { stopping.abort(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const open = (config: SchemeConfig) => openEngineWhenReachable(() => openEngine(config), outage, stopping.signal);
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
    try {
      connector = buildConnectors(config, {
        redisUrl: process.env.REDIS_URL || undefined,
        // The simulator reads every file of the agent's outbound/: no .p7s files there.
        ...(options.simulateSettlement && agentBic ? { unsignedDelivery: new Set([agentBic]) } : {}),
        log: logger.child({ component: 'connector' }),
      });
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
      else await connector.deliver({ recipient: m.recipient, fileName: m.fileName, bytes: m.bytes });
      outboundLog.info({ participant: m.recipient, msgId: m.messageId, messageType: m.messageType, fileName: m.fileName,
        outboxId: m.outboxId }, 'delivered');
    };
    // Every counterparty whose files serve reads: the participants, and the settlement agent unless simulated in-process.
    const participants = [...config.participants.map((p) => p.bic), ...(options.simulateSettlement || !agentBic ? [] : [agentBic])];
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
    await scheduler.start(async (cycle) => {
      const id = await engine.closeCycle({ dueAt: cycle.cutOffAt });
      schedulerLog.info({ ...(id === undefined ? {} : { cycle: id }), businessDate: cycle.businessDate, sequence: cycle.sequence },
        id === undefined ? 'scheduled cut-off: no cycle opened before it is open (closed already)' : 'scheduled cut-off: cycle cut off, netted and instructed');
    });
    log.info({ store: engine.storeKind, inboundSignatures: trust ? 'verified' : 'not required (embedded/demo mode)', outbound: signer ? 'signed' : 'unsigned' },
      `serving ${config.name}`);
    const takeInbound = async (only: readonly string[]): Promise<void> => {
      const material = watcher.current();
      if (material.trust) await pollInbound(engine, connector, only, material.trust, engine.clock.now(), { log: inboundLog });
      else await pollUnsigned(engine, connector, only, inboundLog);
    };
    // Redis mode: the recurring work is BullMQ jobs shared by every serve process (switch/work/distributed.ts).
    // --once (and the embedded mode) runs it all in this process, one pass after another.
    const work = process.env.REDIS_URL && !options.once
      ? new DistributedWork({
        engine, connection: redisConnection(process.env.REDIS_URL), participants, takeInbound: (p) => takeInbound([p]), deliver,
        log: logger.child({ component: 'work' }), outage,
      })
      : undefined;
    let lastSweep = -Infinity;
    try {
      if (trust || signer) watcher.start();
      await work?.start();
      log.info({ pid: process.pid }, work ? 'sharing the work queue on Redis with every other serve process' : 'running every pass in this process');
      while (!stopping.signal.aborted) {
        let answered = 0;
        const waitMs = await guardedPass(outage, 'serve pass', async () => {
          if (!work) {
            await takeInbound(participants);
            // Sweep before dispatching, so what a timeout produces (the sender's RJCT AB05) leaves in this pass.
            if (performance.now() - lastSweep > SWEEP_INTERVAL_MS) {
              const swept = await engine.sweep();
              if (swept.timedOut + swept.expiredCases > 0) log.info({ timedOut: swept.timedOut, expiredCases: swept.expiredCases }, 'sweep');
              for (const alert of await engine.settlementAlerts()) {
                log.error({ cycle: alert.cycleId, attempt: alert.attempt, sentAt: alert.sentAt, unanswered: alert.unanswered },
                  `settlement of cycle ${alert.cycleId} not answered by the settlement agent in time (${alert.unanswered} instruction(s) unanswered)`);
              }
              lastSweep = performance.now();
            }
            while ((await engine.dispatch(deliver)) > 0) { /* deliver everything due */ }
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
      watcher.stop();
      await work?.stop();
      await scheduler.stop();
      await connector.close();
    }
    return 0;
  }, open);
}
