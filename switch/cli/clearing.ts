/**
 * The operator's commands: serve, submit, cycle open|close|status|list, positions.
 *
 * Store: PostgreSQL when DATABASE_URL is set (many processes may share it), otherwise the embedded
 * PGlite in <dataDirectory>/db (one process at a time: stop `serve` before running other commands
 * against the same directory). Scheduler: BullMQ on REDIS_URL when set, otherwise in-process timers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type SchemeConfig } from '../config.ts';
import { Engine } from '../engine/engine.ts';
import { formatAmount, formatSignedAmount } from '../iso/amount.ts';
import { DirectoryMailboxes } from '../../connectors/directory.ts';
import type { Connector, InboundFile } from '../../connectors/connector.ts';
import { pollInbound, type TrustAnchors } from '../../connectors/inbound.ts';
import { signingDeliver } from '../../connectors/outbound.ts';
import { buildConnectors, redisConnection } from '../../connectors/registry.ts';
import type { KeyAndCertificate } from '../../connectors/signing/pki.ts';
import { loadTrustMaterial, trustSources } from '../../connectors/signing/material.ts';
import type { Deliver } from '../engine/transport.ts';
import { SettlementAgentSimulator } from '../demo/simulators.ts';
import { DistributedWork } from '../work/distributed.ts';
import { BullmqScheduler, calendarSchedule, TimerScheduler, type CutOffScheduler } from '../../batch/scheduler.ts';
import { CLOCK_VARIABLE, describeClock, processClock, processStartedAt } from '../clock.ts';

const defaultConfig = join(fileURLToPath(import.meta.url), '..', '..', '..', 'config', 'demo-scheme.json');

export interface CommonOptions {
  readonly config?: string;
  readonly json?: boolean;
}

/** Serve loop periods: short enough for real-time traffic on the directory connector, light when idle. */
const POLL_INTERVAL_MS = 200;
const SWEEP_INTERVAL_MS = 1_000;

function readConfig(options: CommonOptions): SchemeConfig {
  return loadConfig(options.config ?? process.env.CLEARHOUSE_CONFIG ?? defaultConfig);
}

async function openEngine(config: SchemeConfig): Promise<Engine> {
  const url = process.env.DATABASE_URL;
  // The process clock: the system clock, or CLEARHOUSE_CLOCK's (tests and simulations only).
  return Engine.open({ config, clock: processClock(), ...(url ? { databaseUrl: url } : { dataDirectory: join(config.dataDirectory, 'db') }) });
}

/** Run `work` with an engine; configuration problems are usage errors (exit 2). */
async function withEngine(options: CommonOptions, work: (engine: Engine, config: SchemeConfig) => Promise<number>): Promise<number> {
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
  const engine = await openEngine(config);
  try {
    return await work(engine, config);
  } finally {
    await engine.close();
  }
}

function print(options: CommonOptions, value: unknown, text: string): void {
  process.stdout.write(options.json ? JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n' : text);
}

export function submitCommand(file: string, options: CommonOptions & { as: string }): Promise<number> {
  return withEngine(options, async (engine) => {
    const bytes = readFileSync(file);
    const result = await engine.submit({ bytes, sender: options.as, fileName: file.split('/').pop() });
    print(options, { status: result.status, replay: result.replay, messageId: result.report.messageId, findings: result.report.findings,
      transactions: result.report.transactions.length, answer: result.answerXml },
    `${file}: ${result.status}${result.replay ? ' (replay: stored answer)' : ''} ${result.report.messageId ?? ''}, ` +
      `${result.report.transactionCount} transaction(s)\n` + result.report.findings.map((f) => `  ${f.code} ${f.path}: ${f.message}\n`).join(''));
    return result.status === 'RJCT' ? 1 : 0;
  });
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
        (pending.length ? `in progress: ${pending.map((c) => `cycle ${c.id} ${c.state}`).join(', ')}\n` : ''));
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
}

/**
 * `clearhouse serve`: take files from every participant's connector (connectors/registry.ts), deliver
 * the outbox through them, sweep timeouts, and cut off cycles on schedule, until SIGINT/SIGTERM.
 *
 * With `--ca` every inbound file must carry a valid detached signature (pollInbound: refused files are
 * answered with an admi.002); without it (embedded/demo mode) unsigned files are accepted. With
 * `--switch-key`/`--switch-cert` every delivered file is signed (signingDeliver).
 */
export function serveCommand(options: ServeOptions): Promise<number> {
  return withEngine(options, async (engine, config) => {
    let trust: TrustAnchors | undefined;
    let signer: KeyAndCertificate | undefined;
    try {
      // The scheme configuration's `signing` section, unless the command line names other material.
      const sources = trustSources(config.signing, {
        ...(options.ca ? { ca: options.ca } : {}), ...(options.crl ? { crl: options.crl } : {}),
        ...(options.switchKey !== undefined ? { switchKey: options.switchKey } : {}),
        ...(options.switchCert !== undefined ? { switchCert: options.switchCert } : {}),
      });
      ({ trust, signer } = loadTrustMaterial(sources, engine.clock.now(), config.switchBic));
    } catch (error) {
      process.stderr.write(`clearhouse serve: ${(error as Error).message}\n`);
      return 2;
    }
    const agentBic = config.settlementAgent?.bic;
    let connector: Connector;
    try {
      connector = buildConnectors(config, {
        redisUrl: process.env.REDIS_URL || undefined,
        // The simulator reads every file of the agent's outbound/: no .p7s files there.
        ...(options.simulateSettlement && agentBic ? { unsignedDelivery: new Set([agentBic]) } : {}),
        log: (line) => process.stderr.write(`clearhouse: ${line}\n`),
      });
    } catch (error) {
      process.stderr.write(`clearhouse serve: ${(error as Error).message}\n`);
      return 2;
    }
    const mailboxes = new DirectoryMailboxes(join(config.dataDirectory, 'mailboxes'));
    const agent = options.simulateSettlement ? new SettlementAgentSimulator(engine, mailboxes, agentBic!) : undefined;
    const deliver: Deliver = signer
      ? signingDeliver(connector, signer, engine.clock)
      : (m) => connector.deliver({ recipient: m.recipient, fileName: m.fileName, bytes: m.bytes });
    const participants = config.participants.map((p) => p.bic);
    const log = (line: string): void => { process.stderr.write(`clearhouse: ${line}\n`); };
    const schedule = calendarSchedule(config.calendar, config.cycles);
    const clock = processClock();
    if (!clock.isSystem) {
      log(`WARNING: ${CLOCK_VARIABLE} is set: ${describeClock(clock)}. Business dates, cut-offs and message dates follow it. ` +
        'For tests and simulations only, never for real payments.');
    }
    const scheduler: CutOffScheduler = process.env.REDIS_URL
      ? new BullmqScheduler({ connection: redisConnection(process.env.REDIS_URL), schedule, clock })
      : new TimerScheduler({ schedule, clock });
    let stopping = false;
    const stop = (): void => { stopping = true; };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await scheduler.start(async (cycle) => { await engine.closeCycle({ dueAt: cycle.cutOffAt }); });
    process.stderr.write(`clearhouse: serving ${config.name} (${engine.storeKind}); inbound signatures ${trust ? 'verified' : 'not required (embedded/demo mode)'}, ` +
      `outbound ${signer ? 'signed' : 'unsigned'}\n`);
    const takeInbound = async (only: readonly string[]): Promise<void> => {
      if (trust) await pollInbound(engine, connector, only, trust, engine.clock.now(), { log });
      else await pollUnsigned(engine, connector, only, log);
    };
    // Redis mode: the recurring work is BullMQ jobs shared by every serve process (switch/work/distributed.ts).
    // --once (and the embedded mode) runs it all in this process, one pass after another.
    const work = process.env.REDIS_URL && !options.once
      ? new DistributedWork({ engine, connection: redisConnection(process.env.REDIS_URL), participants, takeInbound: (p) => takeInbound([p]), deliver, log })
      : undefined;
    let lastSweep = -Infinity;
    try {
      await work?.start();
      log(work ? `process ${process.pid}: sharing the work queue on Redis with every other serve process` : 'running every pass in this process');
      while (!stopping) {
        if (!work) {
          await takeInbound(participants);
          // Sweep before dispatching, so what a timeout produces (the sender's RJCT AB05) leaves in this pass.
          if (performance.now() - lastSweep > SWEEP_INTERVAL_MS) {
            await engine.sweep();
            lastSweep = performance.now();
          }
          while ((await engine.dispatch(deliver)) > 0) { /* deliver everything due */ }
        }
        if (agent && (await agent.answerAll()) > 0) continue;
        if (options.once) break;
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      }
    } finally {
      await work?.stop();
      await scheduler.stop();
      await connector.close();
    }
    return 0;
  });
}

/** Embedded/demo mode: files are taken without signature checks (stored durably, then acknowledged). */
async function pollUnsigned(engine: Engine, connector: Connector, participants: readonly string[], log: (line: string) => void): Promise<void> {
  for (const participant of participants) {
    let files: InboundFile[];
    try {
      files = await connector.receive(participant);
    } catch (error) {
      log(`inbound ${participant}: mailbox not readable: ${(error as Error).message}`);
      continue;
    }
    for (const file of files) {
      const result = await engine.submit({ bytes: file.bytes, sender: participant, fileName: file.fileName });
      // Stored durably (or a replay of something stored): only now is the file taken off the transport.
      await connector.acknowledge(file);
      log(`${participant} ${file.fileName}: ${result.status}${result.replay ? ' (replay)' : ''}`);
    }
  }
}
