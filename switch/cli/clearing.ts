/**
 * The operator's commands: cycle open|close|status|list, positions (serve: switch/cli/serve.ts; submit: switch/cli/submit.ts).
 *
 * Store: PostgreSQL when DATABASE_URL is set (many processes may share it), otherwise the embedded
 * PGlite in <dataDirectory>/db (one process at a time: stop `serve` before running other commands
 * against the same directory). Scheduler: BullMQ on REDIS_URL when set, otherwise in-process timers.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type SchemeConfig } from '../config.ts';
import { Engine } from '../engine/engine.ts';
import type { EngineEventSink } from '../engine/context.ts';
import { formatAmount, formatSignedAmount } from '../iso/amount.ts';
import { SchemaNotCurrentError } from '../store/migrate.ts';
import { StoreLockedError } from '../store/database.ts';
import { processClock, processStartedAt } from '../clock.ts';
import { checkDatabaseUrl, databaseOpenFailure } from './errors.ts';

const defaultConfig = join(fileURLToPath(import.meta.url), '..', '..', '..', 'config', 'demo-scheme.json');

export interface CommonOptions {
  readonly config?: string;
  readonly json?: boolean;
}

/** A command that changes something: who and why are required and recorded (reading never writes). */
export interface OperatorOptions extends CommonOptions {
  readonly operator: string;
  readonly reason: string;
}

/** The options of a changing command; `who` says what the operator does and where it is recorded. */
export const operatorOptions = (command: Command, who: string): Command => command
  .requiredOption('--operator <name>', who)
  .requiredOption('--reason <text>', 'why (recorded; a ticket reference and what it asks for)')
  .option('--config <file>', 'scheme configuration (the store and the settings read at start)')
  .option('--json', 'print JSON');


export function readConfig(options: CommonOptions): SchemeConfig {
  return loadConfig(options.config ?? (process.env.CLEARHOUSE_CONFIG || undefined) ?? defaultConfig);
}

export async function openEngine(config: SchemeConfig, readOnly = false, seedRegister = true, events?: EngineEventSink): Promise<Engine> {
  const url = process.env.DATABASE_URL;
  if (url) checkDatabaseUrl(url);
  try {
    // The process clock: the system clock, or CLEARHOUSE_CLOCK's (tests and simulations only).
    return await Engine.open({
      config, clock: processClock(), readOnly, seedRegister, ...(events ? { events } : {}), ...(url ? { databaseUrl: url } : { dataDirectory: join(config.dataDirectory, 'db') }),
    });
  } catch (error) {
    if (error instanceof SchemaNotCurrentError || error instanceof ConfigError || error instanceof StoreLockedError) throw error;
    throw url ? databaseOpenFailure(url, error) : error;
  }
}

/** Opens the engine to read only (docs/operations.md "Reading commands"): no migration, no configuration applied. */
export const openReadOnly = (config: SchemeConfig): Promise<Engine> => openEngine(config, true);

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
  let engine: Engine | undefined;
  try {
    engine = await open(config);
  } catch (error) {
    if (error instanceof SchemaNotCurrentError || error instanceof ConfigError || error instanceof StoreLockedError) {
      process.stderr.write(`clearhouse: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
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
  if (!['open', 'close', 'status', 'list', 'next'].includes(action)) {
    process.stderr.write(`clearhouse cycle: unknown action ${action} (open, close, status, list, next)\n`);
    return Promise.resolve(2);
  }
  // Only `close` changes anything: every other action reads, with a read-only engine.
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
    if (action === 'next') {
      const next = engine.nextCutOff();
      print(options, next, `next cut-off: ${next.cutOffAt.toISOString()} (business date ${next.businessDate}, cycle #${next.sequence} of the day)\n`);
      return 0;
    }
    process.stderr.write(`clearhouse cycle: unknown action ${action} (open, close, status, list, next)\n`);
    return 2;
  }, action === 'close' ? openEngine : openReadOnly);
}

export function positionsCommand(options: CommonOptions & { cycle?: string }): Promise<number> {
  if (options.cycle !== undefined && !/^\d+$/.test(options.cycle)) {
    process.stderr.write('clearhouse positions: --cycle takes a cycle id\n');
    return Promise.resolve(2);
  }
  return withEngine(options, async (engine) => {
    const result = await engine.positions(options.cycle === undefined ? undefined : BigInt(options.cycle));
    if (!result) {
      print(options, null, 'no netted cycle yet\n');
      return 0;
    }
    const names = new Map(engine.configuration.participants.map((p) => [p.bic, p.name]));
    const text = `cycle ${result.cycle.id} (${result.cycle.businessDate} #${result.cycle.sequence}) ${result.cycle.state}\n` +
      result.positions.map((p) => `  ${p.bic}  ${(names.get(p.bic) ?? '').padEnd(20)} ${formatSignedAmount(p.net_minor, p.currency).padStart(18)} ${p.currency}\n`).join('') +
      'bilateral (debtor → creditor, gross):\n' +
      result.bilateral.map((b) => `  ${b.debtor} → ${b.creditor}  ${formatAmount(b.gross_minor, b.currency).padStart(16)} ${b.currency}  ${b.payment_count} payment(s)\n`).join('');
    print(options, result, text);
    return 0;
  }, openReadOnly);
}
