/**
 * Clearing engine benchmark, on PostgreSQL with durable commits (synchronous_commit as the server has
 * it: on). Two parts, each in its own child process (its peak memory is its own):
 *
 *  batch     20 participants each submit one pacs.008 file (10,000 payments each, 200,000 in all;
 *            1,000 each in --quick), 2 files in flight, each read from disk when submitted as a
 *            connector would; then cut-off and netting (closeCycle), the settlement agent answering
 *            the pacs.009 instructions, and the dispatcher writing the bulk pacs.008 files to
 *            DirectoryMailboxes under .bench/engine/. Timed from the first submit to the last bulk file
 *            written, with each phase, its CPU time (node, PostgreSQL) and the peak RSS.
 *  realtime  open-loop load of single-transaction INST pacs.008 messages through engine.submit (the
 *            participant's intake path) at rising rates, each held for a fixed duration: sends follow
 *            a fixed schedule whatever the completions, with a bound on messages in flight (a send
 *            due while the bound is reached is shed and counted). Acceptance latency is submit start →
 *            submit resolved (validated, stored, headroom reserved, forwarded to the outbox, committed).
 *            The creditor agents do not answer and nothing is dispatched during a step. PostgreSQL CPU
 *            counts this step's sessions only (by application_name) and the server's background
 *            processes, so that other users of a shared server do not inflate it; each step also
 *            reports how many messages the real-time intake committed per group (mean, largest).
 *            The rates rise until one is not held, then the gap to the highest held is halved: the
 *            highest rate held is searched, to 100/s.
 *  floor     after the batch part, in the same child: the least work for the same payments and files
 *            (bench/floor.ts), so that the batch figure is read as a ratio of it.
 *
 * Every step uses a fresh PostgreSQL schema, dropped afterwards. Generated batch files are cached under
 * .bench/engine/ with a placeholder date that is replaced by the run's settlement date.
 *
 * Investigating: `node [--cpu-prof] --import tsx bench/engine.ts batch 20 10000 2` (or `realtime 60
 * 100,200`, the ladder searched, or `realtime 20 2000 only`, just that step) runs one part alone; BENCH_CPU_PROF=1 profiles the children of `npm run bench` into
 * .bench/profiles/; BENCH_PG_OPTIONS adds session settings (e.g. auto_explain) to every connection;
 * BENCH_SQL_TIMING=1 prints, per batch phase (and per step of `risk`), the statements that took the most time. The batch part
 * also reports the WAL each phase wrote and the size of each table at the end; BENCH_KEEP_SCHEMA=1 leaves its store
 * (schema printed) for EXPLAIN, to be dropped by hand.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { businessDateOf } from '../batch/calendar.ts';
import { checkConfig, type SchemeConfig } from '../switch/config.ts';
import { Engine } from '../switch/engine/engine.ts';
import { bulkCreditTransfer, type Bank } from '../switch/demo/generate.ts';
import { build } from '../switch/iso/messages/pacs.008.001.08/index.ts';
import { SettlementAgentSimulator } from '../switch/demo/simulators.ts';
import { DirectoryMailboxes } from '../connectors/directory.ts';
import type { OutboundMessage } from '../switch/engine/transport.ts';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';
import { validateFile } from '../switch/validation/pipeline.ts';
import type { Row } from './validation.ts';
import { copyFloor, floorResult, fsyncFloor, xmllintFloor, type FloorResult } from './floor.ts';
import { TYPESCRIPT_IMPORT } from '../switch/typescript-import.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const work = join(root, '.bench', 'engine');
const SWITCH = 'CLHSDEFFXXX';
const AGENT = 'MARKDEFFXXX';
/** Written into cached files and replaced by the run's settlement date. */
const DATE_PLACEHOLDER = '2000-01-01';
const encoder = new TextEncoder();

/** Files in flight: 2 on the 2-core reference machine (one validating while another is stored); 3 measured no better. */
export const BATCH_FULL = { files: 20, perFile: 10_000, concurrency: 2 } as const;
export const BATCH_QUICK = { files: 20, perFile: 1_000, concurrency: 2 } as const;
/** Offered real-time rates, rising: the ladder of the search for the highest rate held (realtimeChild). */
export const REALTIME_RATES = [500, 1_000, 1_500, 2_000, 2_500] as const;
/** Targets of the issue. */
export const TARGETS = { batchPaymentsPerSecond: 10_000, batchFloorRatio: 0.35, realtimePaymentsPerSecond: 2_000, p99Ms: 250 } as const;

function databaseBase(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** 20 participants over the generator's five IBAN countries: BNKADEFFXXX, BNKBFRFFXXX, … */
export function benchBanks(count = 20): Bank[] {
  const countries = ['DE', 'FR', 'NL', 'BE', 'IT'] as const;
  return Array.from({ length: count }, (_, i) => {
    const letter = String.fromCharCode(65 + i);
    const country = countries[i % countries.length]!;
    return { bic: `BNK${letter}${country}FFXXX`, name: `Bench Bank ${letter}`, country };
  });
}

/** Like test/engine/support.ts schemeConfig, with 20 participants and caps nothing in the benchmark reaches. */
export function benchScheme(banks: readonly Bank[]): SchemeConfig {
  return checkConfig({
    name: 'benchmark scheme', currencies: ['EUR'], switchBic: SWITCH,
    settlementAgent: { bic: AGENT, name: 'Central bank', settlementAccount: 'DE-RTGS-CLHS-0001' },
    services: [
      { messageType: 'pacs.008', mode: 'batch' },
      { messageType: 'pacs.008', mode: 'realtime', receiverConfirmation: true, confirmationTimeoutMs: 20_000, overCap: 'reject' },
    ],
    participants: banks.map((b) => ({
      bic: b.bic, name: b.name, status: 'active', currencies: ['EUR'], netDebitCap: { EUR: '100000000000.00' },
    })),
  });
}

/**
 * The run's settlement date: the bench scheme's business date now, the one a real-time payment must
 * carry (it was tomorrow's UTC date, which is the business date only after the day's roll: a run
 * before the roll had every real-time payment refused DT04).
 */
export function settlementDate(): string {
  return businessDateOf(Date.now(), benchScheme(benchBanks()).calendar);
}

export async function freshSchema(prefix: string): Promise<{ url: string; applicationName: string; drop: () => Promise<void> }> {
  const base = databaseBase();
  const schema = `${prefix}_${process.pid}_${Date.now()}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try { await client.query(sql); } finally { await client.end(); }
  };
  await admin(`CREATE SCHEMA ${schema}`);
  const url = new URL(base);
  // BENCH_PG_OPTIONS: extra session settings for investigation, e.g. auto_explain (superuser only).
  url.searchParams.set('options', `-c search_path=${schema}${process.env.BENCH_PG_OPTIONS ? ` ${process.env.BENCH_PG_OPTIONS}` : ''}`);
  // Names this run's sessions, so that their CPU can be told from other users' (CpuMeter).
  url.searchParams.set('application_name', schema);
  return { url: url.toString(), applicationName: schema, drop: () => admin(`DROP SCHEMA ${schema} CASCADE`) };
}

/** Server settings the figures depend on, reported with them (issue 15: the machine's server runs with autovacuum off). */
const REPORTED_SETTINGS = ['autovacuum', 'synchronous_commit', 'fsync', 'full_page_writes', 'wal_compression', 'shared_buffers',
  'max_wal_size', 'checkpoint_timeout', 'wal_buffers', 'work_mem', 'maintenance_work_mem'] as const;

export interface PostgresSettings {
  readonly version: string; readonly synchronousCommit: string; readonly fsync: string;
  readonly settings: Readonly<Record<string, string>>;
}

/** PostgreSQL reachable, and its durability and memory settings (reported with the figures). */
export async function postgresSettings(): Promise<PostgresSettings | undefined> {
  const client = new pg.Client({ connectionString: databaseBase(), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const [v] = (await client.query<{ server_version: string }>('SHOW server_version')).rows;
    const rows = (await client.query<{ name: string; setting: string; unit: string | null }>(
      'SELECT name, setting, unit FROM pg_settings WHERE name = ANY ($1::text[]) ORDER BY name', [REPORTED_SETTINGS])).rows;
    const settings: Record<string, string> = {};
    for (const r of rows) settings[r.name] = settingText(r.setting, r.unit);
    return { version: v!.server_version, synchronousCommit: settings.synchronous_commit ?? '?', fsync: settings.fsync ?? '?', settings };
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A pg_settings value with its unit folded in: shared_buffers 16384 × 8kB → "128 MB". */
function settingText(setting: string, unit: string | null): string {
  const blocks = /^(\d+)kB$/.exec(unit ?? '');
  if (unit === '8kB' || unit === 'kB' || unit === 'MB' || blocks) {
    const kB = Number(setting) * (unit === '8kB' ? 8 : unit === 'MB' ? 1024 : Number(blocks?.[1] ?? 1));
    return kB >= 1024 ? `${Math.round(kB / 1024)} MB` : `${kB} kB`;
  }
  return unit ? `${setting} ${unit}` : setting;
}

/** "autovacuum=off, synchronous_commit=on, …" */
export function settingsText(settings: PostgresSettings): string {
  return Object.entries(settings.settings).map(([k, v]) => `${k}=${v}`).join(', ');
}

/** Which PostgreSQL processes serve a client (a backend's title shows it: "127.0.0.1(55528)" or "[local]"); read once per process. */
const clientProcesses = new Map<number, boolean>();
/**
 * Processes seen not to be PostgreSQL's, not read again until the set is forgotten (every 5 s, in case a
 * pid is reused: a backend first seen late still counts from zero, so nothing of it is lost). Reading
 * every process's stat five times a second cost this process about 0.5 CPU s per 15 s (3–4 % of a
 * core, counted as the engine's node CPU).
 */
const otherProcesses = new Set<number>();
let otherProcessesSince = Date.now();

/** utime + stime, in seconds, of every local PostgreSQL server process (Linux /proc), and whether it serves a client. */
function postgresTicks(): Map<number, { cpuS: number; client: boolean }> | undefined {
  const ticks = new Map<number, { cpuS: number; client: boolean }>();
  if (Date.now() - otherProcessesSince > 5_000) { otherProcesses.clear(); otherProcessesSince = Date.now(); }
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      if (otherProcesses.has(pid)) continue;
      let stat: string;
      let client = clientProcesses.get(pid);
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (!stat.includes('(postgres)')) { otherProcesses.add(pid); continue; }
        if (client === undefined) {
          client = /\(\d+\)|\[local\]/.test(readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
          clientProcesses.set(pid, client);
        }
      } catch { continue; }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime: fields 14, 15 of stat.
      ticks.set(pid, { cpuS: (Number(fields[11]) + Number(fields[12])) / 100, client });
    }
    return ticks;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of this process (all threads) and of the local PostgreSQL server between `lap()` calls.
 * The server's processes are sampled every 200 ms, so a backend that exits (the pool closes idle
 * connections) still counts up to its last sample; a backend first seen after the start counts from
 * zero. Undefined where /proc is not readable or the server is on another machine.
 *
 * Which sessions count: with `applicationName`, only the client backends of connections with that
 * application_name (looked up in pg_stat_activity as they come), plus the server's own background
 * processes (WAL writer, checkpointer…), so that other users of a shared server do not count;
 * without it, every session, and the figure is meaningful only while nothing else uses the server.
 */
export class CpuMeter {
  private readonly seen = new Map<number, { base: number; last: number; client: boolean }>();
  private readonly timer: ReturnType<typeof setInterval>;
  private lapNode = 0;
  private lapPostgres = 0;
  private readonly local: boolean;
  /** Client backends that ever served `applicationName`. */
  private readonly own = new Set<number>();
  private admin: pg.Client | undefined;

  static async start(applicationName?: string): Promise<CpuMeter> {
    const meter = new CpuMeter(applicationName);
    if (applicationName) {
      meter.admin = new pg.Client({ connectionString: databaseBase() });
      await meter.admin.connect();
      await meter.refreshOwn(applicationName);
    }
    meter.lapPostgres = meter.sample();
    return meter;
  }

  private constructor(private readonly applicationName?: string) {
    const initial = postgresTicks();
    this.local = initial !== undefined && initial.size > 0 && /@(127\.0\.0\.1|localhost)[:/]/.test(databaseBase());
    for (const [pid, t] of initial ?? []) this.seen.set(pid, { base: t.cpuS, last: t.cpuS, client: t.client });
    this.timer = setInterval(() => {
      if (this.applicationName) void this.refreshOwn(this.applicationName).catch(() => {});
      this.sample();
    }, 200);
    this.timer.unref();
    this.lapNode = this.nodeSeconds();
  }

  private async refreshOwn(applicationName: string): Promise<void> {
    const rows = (await this.admin!.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rows;
    for (const { pid } of rows) this.own.add(pid);
  }

  private nodeSeconds(): number {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  }

  private sample(): number {
    for (const [pid, t] of postgresTicks() ?? []) {
      const known = this.seen.get(pid);
      if (known) known.last = t.cpuS;
      else this.seen.set(pid, { base: 0, last: t.cpuS, client: t.client });
    }
    let total = 0;
    for (const [pid, { base, last, client }] of this.seen) {
      if (this.applicationName && client && !this.own.has(pid)) continue;
      // BENCH_PG_CLIENTS_ONLY=1: this engine's sessions only, without the server's background processes
      // (on a server shared with other work their WAL writing and checkpoints are not this run's alone).
      if (this.applicationName && !client && process.env.BENCH_PG_CLIENTS_ONLY) continue;
      total += last - base;
    }
    return total;
  }

  /** CPU seconds since the previous lap (or the start). */
  lap(): { nodeCpuS: number; postgresCpuS: number | null; exact: { nodeCpuS: number; postgresCpuS: number | null } } {
    const node = this.nodeSeconds();
    const postgres = this.sample();
    const result = {
      nodeCpuS: Math.round((node - this.lapNode) * 10) / 10,
      postgresCpuS: this.local ? Math.round((postgres - this.lapPostgres) * 10) / 10 : null,
      /** Unrounded (PostgreSQL's in clock ticks of 10 ms), for figures per payment. */
      exact: { nodeCpuS: node - this.lapNode, postgresCpuS: this.local ? postgres - this.lapPostgres : null },
    };
    this.lapNode = node;
    this.lapPostgres = postgres;
    return result;
  }

  stop(): void {
    clearInterval(this.timer);
    void this.admin?.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------
// Parent side: run the children, return table rows.

interface ChildOutput { readonly [key: string]: unknown }

function runChild(args: string[]): Promise<ChildOutput> {
  const flags = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', join(root, '.bench', 'profiles')] : [];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...flags, ...TYPESCRIPT_IMPORT, fileURLToPath(import.meta.url), ...args],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench/engine.ts ${args.join(' ')} exited with ${code}`));
      const last = out.trim().split('\n').pop() ?? '';
      try { resolvePromise(JSON.parse(last) as ChildOutput); } catch { reject(new Error(`bench/engine.ts ${args[0]}: no result (${last.slice(0, 200)})`)); }
    });
  });
}

interface PhaseCpu { readonly nodeCpuS: number; readonly postgresCpuS: number | null }

export interface BatchResult extends ChildOutput {
  readonly payments: number; readonly files: number; readonly concurrency: number;
  readonly intakeMs: number; readonly cutOffNettingMs: number; readonly settlementDeliveryMs: number; readonly totalMs: number;
  readonly paymentsPerSecond: number; readonly intakePaymentsPerSecond: number; readonly peakRssMB: number; readonly bulkFiles: number;
  /** Peak RSS reached by the end of each phase (maxRSS is a high-water mark). */
  readonly peakRssMBBy: { readonly beforeIntake: number; readonly intake: number; readonly netting: number; readonly settlement: number };
  readonly cpu: { readonly intake: PhaseCpu; readonly netting: PhaseCpu; readonly settlement: PhaseCpu };
  /**
   * The settlement + delivery phase by step, node CPU s (all threads) and wall s: the dispatcher's passes
   * that deliver the instructions and the cycle's other messages before the bulk files, the engine taking
   * the agent's answers (the last one settles the cycle and composes the bulk files), the simulator's own
   * work (reading the pacs.009 files, booking, building the pacs.002: the bench's stand-in for the
   * settlement agent, an outside party), and the dispatcher's passes after the answers (the bulk files).
   */
  readonly settlementSteps: Readonly<Record<'instructions' | 'answersEngine' | 'agentSimulator' | 'delivery', { readonly nodeCpuS: number; readonly wallS: number }>>;
  /** WAL written by the whole server during each phase (MB): meaningful only while nothing else writes to it. */
  readonly walMB: { readonly intake: number; readonly netting: number; readonly settlement: number };
  /** Size of each table of the run's schema over 1 MB, indexes and TOAST included (MB). */
  readonly storageMB: Readonly<Record<string, number>>;
  /** One-minute load average before our run, after it, and after the floor. */
  readonly loadAverage: { readonly before: number; readonly afterRun: number; readonly afterFloor: number };
  readonly floor: FloorResult;
}

const SETTLEMENT_STEP_NAMES: Readonly<Record<keyof BatchResult['settlementSteps'], string>> = {
  instructions: 'pacs.009 instructions delivered', answersEngine: 'engine takes the answers (settles, composes bulk files)',
  agentSimulator: 'settlement agent simulator (outside party)', delivery: 'bulk files and notices delivered',
};

function cpuText(c: PhaseCpu): string {
  return `${c.nodeCpuS.toFixed(1)} / ${c.postgresCpuS === null ? '?' : c.postgresCpuS.toFixed(1)}`;
}

export interface BatchShape { readonly files: number; readonly perFile: number; readonly concurrency: number }

export async function benchmarkEngineBatch(shape: BatchShape): Promise<{ row: Row; phases: Row[]; floor: Row[]; result: BatchResult; summary: string }> {
  const made = await runChild(['generate', String(shape.files), String(shape.perFile)]);
  if (made.generated) console.log(`  (generated ${String(made.generated)} batch files under .bench/engine/, cached for later runs)`);
  const result = await runChild(['batch', String(shape.files), String(shape.perFile), String(shape.concurrency)]) as BatchResult;
  const row: Row = {
    payments: result.payments, files: result.files, 'files in flight': result.concurrency,
    'end to end s': (result.totalMs / 1000).toFixed(2), 'payments/s end to end': result.paymentsPerSecond,
    [`target ≥ ${TARGETS.batchPaymentsPerSecond}/s`]: result.paymentsPerSecond >= TARGETS.batchPaymentsPerSecond ? 'met' : 'not met',
    'bulk files': result.bulkFiles, 'peak RSS MB': result.peakRssMB,
  };
  const ms = (value: number): string => (value / 1000).toFixed(2);
  const phases: Row[] = [
    { phase: 'intake (validate, store, claim keys, create payments)', s: ms(result.intakeMs),
      'payments/s': result.intakePaymentsPerSecond, 'CPU s node / PostgreSQL': cpuText(result.cpu.intake), 'WAL MB': result.walMB.intake,
      'peak RSS MB by then': result.peakRssMBBy.intake },
    { phase: 'cut-off + netting (closeCycle: net, report, instruct)', s: ms(result.cutOffNettingMs),
      'payments/s': Math.round(result.payments / (result.cutOffNettingMs / 1000)), 'CPU s node / PostgreSQL': cpuText(result.cpu.netting),
      'WAL MB': result.walMB.netting, 'peak RSS MB by then': result.peakRssMBBy.netting },
    { phase: 'settlement + delivery (agent answers, bulk files written)', s: ms(result.settlementDeliveryMs),
      'payments/s': Math.round(result.payments / (result.settlementDeliveryMs / 1000)), 'CPU s node / PostgreSQL': cpuText(result.cpu.settlement),
      'WAL MB': result.walMB.settlement, 'peak RSS MB by then': result.peakRssMBBy.settlement },
    ...Object.entries(result.settlementSteps).map(([step, v]) => ({ phase: `  settlement step: ${SETTLEMENT_STEP_NAMES[step as keyof BatchResult['settlementSteps']]}`,
      s: v.wallS.toFixed(2), 'CPU s node / PostgreSQL': `${v.nodeCpuS.toFixed(2)} / –` })),
  ];
  const f = result.floor;
  const cpu = (c: number | null): string => (c === null ? '?' : c.toFixed(2));
  const floor: Row[] = [
    { part: 'native xmllint --stream --schema, each inbound file', 'wall s': f.xmllint.wallS.toFixed(2), 'CPU s': cpu(f.xmllint.cpuS) },
    { part: `COPY ${f.payments} rows (~200 B, primary key + 2 unique indexes) + 2 whole-table updates`, 'wall s': f.copy.wallS.toFixed(2),
      'CPU s': `${cpu(f.copy.cpuS)} (COPY ${f.copy.copyWallS.toFixed(2)} s + updates ${f.copy.updatesWallS.toFixed(2)} s wall)` },
    { part: `bulk files written with fsync (${(f.fsync.bytes / 1e6).toFixed(0)} MB)`, 'wall s': f.fsync.wallS.toFixed(2), 'CPU s': cpu(f.fsync.cpuS) },
    { part: `floor: ${f.cpuS.toFixed(2)} CPU s over ${f.cores} cores`, 'wall s': (f.xmllint.wallS + f.copy.wallS + f.fsync.wallS).toFixed(2),
      'CPU s': `${f.cpuS.toFixed(2)} → ${f.paymentsPerSecond} payments/s` },
  ];
  const ours = [result.cpu.intake, result.cpu.netting, result.cpu.settlement]
    .reduce((sum, c) => sum + c.nodeCpuS + (c.postgresCpuS ?? 0), 0);
  floor.push({ part: 'ours: CPU s node + PostgreSQL (this run\'s sessions and the server\'s background processes)', 'wall s': (result.totalMs / 1000).toFixed(2),
    'CPU s': `${ours.toFixed(1)} (floor ÷ ours: ${(f.cpuS / ours).toFixed(2)})` });
  const ratio = result.paymentsPerSecond / f.paymentsPerSecond;
  const summary = `batch: ${result.paymentsPerSecond} payments/s, floor ${f.paymentsPerSecond} payments/s, ratio ${ratio.toFixed(2)}, peak RSS ${result.peakRssMB} MB`;
  return { row, phases, floor, result, summary };
}

export interface RealtimeStep {
  readonly offered: number; readonly seconds: number; readonly scheduled: number; readonly accepted: number; readonly shed: number;
  readonly refused: number; readonly errors: number; readonly achieved: number; readonly p50Ms: number; readonly p99Ms: number;
  readonly p99FromScheduleMs: number; readonly maxMs: number; readonly maxInFlight: number; readonly held: boolean;
  readonly nodeCpuMsPerPayment?: number; readonly postgresCpuMsPerPayment?: number | null;
  readonly meanGroup?: number; readonly largestGroup?: number; readonly failedGroups?: number;
  /** The event loop's delay during the step (monitorEventLoopDelay, 10 ms resolution): p99 and max, ms. */
  readonly loopDelayP99Ms?: number; readonly loopDelayMaxMs?: number;
  readonly firstError?: string; readonly skipped?: string;
  /** Payments the risk stage held for review (accepted, answered PDNG). */
  readonly riskHeld?: number;
  /**
   * WAL the server wrote during the measured part, per payment accepted (kB), and the checkpoints it
   * requested meanwhile (pg_stat_bgwriter.checkpoints_req: WAL past max_wal_size). The WAL position
   * is the server's: other users of a shared server count too.
   */
  readonly walKBPerPayment?: number; readonly checkpointsRequested?: number;
}

/**
 * The real-time part: without `rates`, the search for the highest rate held from the ladder
 * REALTIME_RATES; with `rates` (`--rates 2000` or `--rates 2000,2000,2000`), exactly those steps, in
 * that order, no search, and the highest rate held among them.
 */
export async function benchmarkEngineRealtime(seconds: number, rates?: readonly number[]): Promise<{ rows: Row[]; steps: RealtimeStep[]; highestHeld: number; p99AtHighestMs: number | null }> {
  const result = await runChild(['realtime', String(seconds), (rates ?? REALTIME_RATES).join(','), ...(rates ? ['only'] : [])]);
  const steps = result.steps as RealtimeStep[];
  const rows: Row[] = steps.map((s): Row => ({
    'offered /s': s.offered, 's': s.seconds, 'achieved /s': s.achieved, accepted: s.accepted, shed: s.shed, refused: s.refused, errors: s.errors,
    'p50 ms': s.p50Ms.toFixed(1), 'p99 ms': s.p99Ms.toFixed(1), 'max ms': s.maxMs.toFixed(0),
    'p99 from schedule ms': s.p99FromScheduleMs.toFixed(1), 'peak in flight': s.maxInFlight,
    'CPU ms/payment node / PostgreSQL': `${s.nodeCpuMsPerPayment ?? '?'} / ${s.postgresCpuMsPerPayment ?? '?'}`,
    'messages per group: mean / largest': `${s.meanGroup ?? '?'} / ${s.largestGroup ?? '?'}`,
    'event-loop delay ms: p99 / max': `${s.loopDelayP99Ms ?? '?'} / ${s.loopDelayMaxMs ?? '?'}`,
    // The server's WAL (other users of a shared server count too) and the checkpoints it requested.
    'server WAL kB/payment': s.walKBPerPayment ?? '?', 'checkpoints requested': s.checkpointsRequested ?? '?',
    [`held (p99 < ${TARGETS.p99Ms} ms)`]: s.held ? 'yes' : 'no',
  }));
  return { rows, steps, highestHeld: result.highestHeld as number, p99AtHighestMs: result.p99AtHighestMs as number | null };
}

// ---------------------------------------------------------------------------------------------------
// Child side.

function batchPath(perFile: number, index: number): string {
  return join(work, `batch-${perFile}-${String(index).padStart(2, '0')}.xml`);
}

/** Generate the cached batch files that are missing (not timed; its own process). */
function generateBatchFiles(files: number, perFile: number): number {
  mkdirSync(work, { recursive: true });
  const banks = benchBanks(files);
  let generated = 0;
  for (let i = 0; i < files; i++) {
    const path = batchPath(perFile, i);
    if (existsSync(path)) continue;
    const sender = banks[i]!;
    writeFileSync(path, build(bulkCreditTransfer({
      seed: 700_000 + perFile + i, sender, receivers: banks.filter((b) => b !== sender), transactionCount: perFile,
      settlementDate: DATE_PLACEHOLDER, createdAt: `${DATE_PLACEHOLDER}T08:00:00Z`, messageId: `${sender.bic.slice(0, 8)}-B${perFile}-${i}`,
    })));
    generated++;
  }
  return generated;
}

/** The cached files with the run's date, written where a directory connector would find them (not timed). */
function datedInboundFiles(files: number, perFile: number, date: string): string[] {
  const inbound = join(work, 'inbound');
  rmSync(inbound, { recursive: true, force: true });
  mkdirSync(inbound, { recursive: true });
  return Array.from({ length: files }, (_, i) => {
    const path = join(inbound, `batch-${perFile}-${String(i).padStart(2, '0')}.xml`);
    writeFileSync(path, readFileSync(batchPath(perFile, i), 'utf8').replaceAll(DATE_PLACEHOLDER, date));
    return path;
  });
}

/**
 * BENCH_SQL_TIMING=1: time every statement the engine sends (node-postgres client round trips, keyed by
 * the statement's first line), and print the slowest kinds to stderr per phase. For investigation only:
 * the wrapper itself costs a little CPU per query.
 */
class SqlTimings {
  private readonly totals = new Map<string, { ms: number; n: number }>();

  static install(): SqlTimings | undefined {
    if (!process.env.BENCH_SQL_TIMING) return undefined;
    const timings = new SqlTimings();
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    proto.query = function (this: unknown, ...args: unknown[]): unknown {
      const result = original.apply(this, args);
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
      if (text === undefined || !(result instanceof Promise)) return result;
      const started = performance.now();
      const key = text.replace(/\s+/g, ' ').trim().slice(0, 110);
      return result.finally(() => {
        const entry = timings.totals.get(key) ?? { ms: 0, n: 0 };
        entry.ms += performance.now() - started;
        entry.n++;
        timings.totals.set(key, entry);
      });
    };
    return timings;
  }

  report(phase: string): void {
    const top = [...this.totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(process.env.BENCH_SQL_TIMING_TOP ?? 14));
    console.error(`-- ${phase}: SQL time by statement (ms, calls)`);
    for (const [key, { ms, n }] of top) console.error(`${ms.toFixed(0).padStart(8)} ${String(n).padStart(7)}  ${key}`);
    this.totals.clear();
  }
}

/** WAL position of the server between laps (pg_current_wal_lsn), in MB. */
class WalMeter {
  private constructor(private readonly engine: Engine, private last: string) {}

  static async start(engine: Engine): Promise<WalMeter> {
    return new WalMeter(engine, await WalMeter.position(engine));
  }

  private static async position(engine: Engine): Promise<string> {
    const [row] = await engine.storeForTests().query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return row!.lsn;
  }

  async lap(): Promise<number> {
    const now = await WalMeter.position(this.engine);
    const [row] = await this.engine.storeForTests().query<{ bytes: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text AS bytes', [now, this.last]);
    this.last = now;
    return Math.round(Number(row!.bytes) / 1e6);
  }
}

function peakRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function warmUp(xsd: XsdValidator, banks: readonly Bank[]): Promise<void> {
  // Start the XSD workers and compile the schema, as a running switch has done long before.
  const bytes = encoder.encode(build(bulkCreditTransfer({
    seed: 1, sender: banks[0]!, receivers: banks.slice(1), transactionCount: 10, settlementDate: settlementDate(),
    createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  })));
  await Promise.all(Array.from({ length: 8 }, () => validateFile(bytes, { xsd })));
}

/** The floor (bench/floor.ts) over the run's own inbound files and payment count. */
async function measureFloor(paths: readonly string[], payments: number): Promise<FloorResult> {
  const xmllint = xmllintFloor(join(root, 'schemas', 'pacs.008.001.08.xsd'), paths);
  const schema = await freshSchema('bench_floor');
  try {
    const copy = await copyFloor(schema.url, payments, async (work) => {
      const meter = await CpuMeter.start(schema.applicationName);
      try {
        await work();
        return meter.lap().postgresCpuS;
      } finally {
        meter.stop();
      }
    });
    const fsync = fsyncFloor(join(work, 'floor-bulk'), paths);
    return floorResult(payments, xmllint, copy, fsync);
  } finally {
    await schema.drop();
  }
}

async function batchChild(files: number, perFile: number, concurrency: number): Promise<BatchResult> {
  const banks = benchBanks(files);
  const date = settlementDate();
  const inputs = datedInboundFiles(files, perFile, date).map((path, i) => ({ sender: banks[i]!.bic, path }));
  const mailRoot = join(work, 'mailboxes');
  rmSync(mailRoot, { recursive: true, force: true });
  const mailboxes = new DirectoryMailboxes(mailRoot);
  const xsd = new XsdValidator();
  const sqlTimings = SqlTimings.install();
  const schema = await freshSchema('bench_batch');
  const engine = await Engine.open({ config: benchScheme(banks), databaseUrl: schema.url, xsd });
  try {
    await warmUp(xsd, banks);
    const agent = new SettlementAgentSimulator(engine, mailboxes, AGENT);
    let lastBulkAt = 0;
    let bulkFiles = 0;
    const deliver = async (m: OutboundMessage): Promise<void> => {
      await mailboxes.deliver(m);
      if (m.messageType === 'pacs.008.001.08') { bulkFiles++; lastBulkAt = performance.now(); }
    };
    const dispatchAll = async (): Promise<void> => { while (await engine.dispatch(deliver) > 0) { /* until the outbox is empty */ } };

    const rssBefore = peakRssMB();
    const loadBefore = loadavg()[0]!;
    const wal = await WalMeter.start(engine);
    // This run's sessions only (and the server's background processes): the server may be shared.
    const meter = await CpuMeter.start(schema.applicationName);
    const started = performance.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < inputs.length) {
        const input = inputs[next++]!;
        // Read as a connector would, when the file is picked up (the bytes are the engine's to keep or drop).
        const bytes = readFileSync(input.path);
        const result = await engine.submit({ bytes, sender: input.sender, fileName: basename(input.path) });
        if (result.status !== 'ACCP') throw new Error(`batch file of ${input.sender}: ${result.status} ${JSON.stringify(result.report.findings.slice(0, 2))}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    const intakeDone = performance.now();
    const cpuIntake = meter.lap();
    const rssIntake = peakRssMB();
    const walIntake = await wal.lap();
    sqlTimings?.report('intake');
    const cycleId = await engine.closeCycle();
    if (cycleId === undefined) throw new Error('no cycle to close');
    const nettedAt = performance.now();
    const cpuNetting = meter.lap();
    const rssNetting = peakRssMB();
    const walNetting = await wal.lap();
    sqlTimings?.report('cut-off + netting');
    // Each step's node CPU and wall time (settlementSteps); the engine's submits of the agent's answers are
    // told from the simulator's own work by timing engine.submit while the simulator runs (it submits one at a time).
    const steps = { instructions: { cpu: 0, wall: 0 }, answersEngine: { cpu: 0, wall: 0 }, agentSimulator: { cpu: 0, wall: 0 }, delivery: { cpu: 0, wall: 0 } };
    const timed = async <T>(step: { cpu: number; wall: number }, work: () => Promise<T>): Promise<T> => {
      const cpu = process.cpuUsage(), wall = performance.now();
      try {
        return await work();
      } finally {
        const used = process.cpuUsage(cpu);
        step.cpu += (used.user + used.system) / 1e6;
        step.wall += (performance.now() - wall) / 1000;
      }
    };
    const submit = engine.submit.bind(engine);
    engine.submit = (input) => timed(steps.answersEngine, () => submit(input));
    await timed(steps.instructions, dispatchAll);
    for (let round = 0; round < 5; round++) {
      const before = { ...steps.answersEngine };
      const answered = await timed(steps.agentSimulator, () => agent.answerAll());
      steps.agentSimulator.cpu -= steps.answersEngine.cpu - before.cpu;
      steps.agentSimulator.wall -= steps.answersEngine.wall - before.wall;
      if (answered === 0) break;
      await timed(steps.delivery, dispatchAll);
    }
    engine.submit = submit;
    const finished = performance.now();
    const cpuSettlement = meter.lap();
    meter.stop();
    const walSettlement = await wal.lap();
    sqlTimings?.report('settlement + delivery');

    const storage = Object.fromEntries((await engine.storeForTests().query<{ name: string; mb: number }>(
      `SELECT c.relname AS name, round(pg_total_relation_size(c.oid) / 1e6)::int AS mb FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND pg_total_relation_size(c.oid) > 1e6 ORDER BY mb DESC`))
      .map((r) => [r.name, r.mb]));
    const [settled] = await engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM payments_effective WHERE state = 'SETTLED'");
    const [cycle] = await engine.storeForTests().query<{ state: string }>('SELECT state FROM cycles WHERE id = $1', [cycleId]);
    const payments = files * perFile;
    if (settled!.n !== payments || cycle!.state !== 'SETTLED') throw new Error(`expected ${payments} settled payments, found ${settled!.n} (cycle ${cycle!.state})`);
    if (bulkFiles !== files) throw new Error(`expected ${files} bulk files, ${bulkFiles} written`);
    const totalMs = lastBulkAt - started;
    const loadAfterRun = loadavg()[0]!;
    const ourPeakRssMB = peakRssMB();
    // The floor for the same payments and files, in the same run, after ours (bench/floor.ts).
    const floor = await measureFloor(inputs.map((i) => i.path), payments);
    return {
      loadAverage: { before: Math.round(loadBefore * 10) / 10, afterRun: Math.round(loadAfterRun * 10) / 10, afterFloor: Math.round(loadavg()[0]! * 10) / 10 },
      floor,
      payments, files, concurrency, bulkFiles,
      intakeMs: intakeDone - started, cutOffNettingMs: nettedAt - intakeDone, settlementDeliveryMs: lastBulkAt - nettedAt,
      dispatchTailMs: finished - lastBulkAt, totalMs,
      paymentsPerSecond: Math.round(payments / (totalMs / 1000)), intakePaymentsPerSecond: Math.round(payments / ((intakeDone - started) / 1000)),
      peakRssMB: ourPeakRssMB,
      peakRssMBBy: { beforeIntake: rssBefore, intake: rssIntake, netting: rssNetting, settlement: ourPeakRssMB },
      cpu: { intake: cpuIntake, netting: cpuNetting, settlement: cpuSettlement },
      settlementSteps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, { nodeCpuS: Math.round(v.cpu * 100) / 100, wallS: Math.round(v.wall * 100) / 100 }])) as BatchResult['settlementSteps'],
      walMB: { intake: walIntake, netting: walNetting, settlement: walSettlement },
      storageMB: storage,
    };
  } finally {
    await engine.close();
    await xsd.close();
    // BENCH_KEEP_SCHEMA=1: leave the batch run's store for investigation (EXPLAIN of settlement's reads); drop it by hand.
    if (process.env.BENCH_KEEP_SCHEMA) console.error(`-- kept schema ${schema.applicationName}`);
    else await schema.drop();
  }
}

/**
 * Single INST messages from templates: a few hundred generated messages, each used many times with
 * its MsgId (hence InstrId, EndToEndId, TxId) and UETR made unique by text substitution.
 */
export class SingleMessages {
  private readonly templates: { sender: string; text: string; token: string; uetr: string }[] = [];
  /** The debtor accounts the messages use, per sender (the risk benchmark gives them profiles). */
  readonly accounts: { sender: string; iban: string }[] = [];
  private serial = 0;

  /** `firstSerial`: where this generator's numbering starts (another process on the same store starts elsewhere: the UETRs stay unique). */
  constructor(banks: readonly Bank[], date: string, count = 400, firstSerial = 0) {
    this.serial = firstSerial;
    for (let k = 0; k < count; k++) {
      const sender = banks[k % banks.length]!;
      const token = `${sender.bic.slice(0, 8)}-T${String(k).padStart(5, '0')}`;
      const model = bulkCreditTransfer({
        seed: 900_000 + k, sender, receivers: banks.filter((b) => b !== sender), transactionCount: 1, localInstrument: 'INST',
        settlementDate: date, createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), messageId: token,
      });
      this.templates.push({ sender: sender.bic, text: build(model), token, uetr: model.transactions[0]!.paymentIdentification.uetr! });
      const account = model.transactions[0]!.debtorAccount;
      const iban = account !== undefined && 'iban' in account ? account.iban : undefined;
      if (iban) this.accounts.push({ sender: sender.bic, iban });
    }
  }

  next(): { sender: string; bytes: Uint8Array } {
    const n = this.serial++;
    const t = this.templates[n % this.templates.length]!;
    const unique = `${t.sender.slice(0, 8)}-R${process.pid.toString(36)}${n.toString(36)}`;
    const uetr = t.uetr.slice(0, 24) + n.toString(16).padStart(12, '0');
    return { sender: t.sender, bytes: encoder.encode(t.text.replaceAll(t.token, unique).replace(t.uetr, uetr)) };
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

const MAX_IN_FLIGHT = 2_000;

async function realtimeStep(rate: number, seconds: number, xsd: XsdValidator, banks: readonly Bank[], messages: SingleMessages,
  risk?: { readonly profiles: number; loaded?: ProfileLoadFigures }, opened?: OpenedStore): Promise<RealtimeStep> {
  const total = rate * seconds;
  const load = Array.from({ length: total }, () => messages.next());
  // BENCH_RT_WARM_SECONDS=N: the warm-up is N seconds at the step's own rate, open loop (a switch that
  // has been running), instead of 300 messages in a closed loop of 20 (a switch just started).
  const warmSeconds = Number(process.env.BENCH_RT_WARM_SECONDS ?? 0);
  const warm = Array.from({ length: warmSeconds > 0 ? Math.round(rate * warmSeconds) : 300 }, () => messages.next());
  const schema = opened?.schema ?? await freshSchema('bench_rt');
  const config = risk === undefined ? benchScheme(banks) : checkConfig({ ...JSON.parse(JSON.stringify(benchScheme(banks))), risk: RISK_BENCH });
  const engine = opened?.engine ?? await Engine.open({ config, databaseUrl: schema.url, xsd });
  const before = await countStates(engine);
  try {
    if (risk !== undefined && opened === undefined) risk.loaded = await loadBenchProfiles(engine, banks, messages, risk.profiles);
    // Warm-up on this engine (pool connections, JIT), closed loop, not measured.
    let w = 0;
    if (warmSeconds > 0) {
      const sent: Promise<unknown>[] = [];
      await onSchedule(warm.length, rate, performance.now(), (i) => sent.push(engine.submit(warm[i]!)));
      await Promise.all(sent);
    } else {
      await Promise.all(Array.from({ length: 20 }, async () => { while (w < warm.length) await engine.submit(warm[w++]!); }));
    }

    const latencies: number[] = [];
    const fromSchedule: number[] = [];
    // BENCH_RT_TRACE=1: latency by second of the step on stderr (when the tail happens, not only how long it is).
    const trace: [number, number][] | undefined = process.env.BENCH_RT_TRACE ? [] : undefined;
    let inFlight = 0, maxInFlight = 0, accepted = 0, refused = 0, errors = 0, shed = 0, lastDone = 0;
    let firstError: string | undefined;
    // Only this engine's sessions count (the server may be shared while the benchmark runs).
    const meter = await CpuMeter.start(schema.applicationName);
    const walFrom = await walPosition(engine);
    // Stalls of the event loop hold every message in flight: p99 latency is made of them and of queueing.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const start = performance.now() + 20;
    const pending = new Set<Promise<void>>();
    const launch = (i: number, due: number): void => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const sent = performance.now();
      const p = engine.submit(load[i]!).then((r) => {
        const done = performance.now();
        latencies.push(done - sent);
        fromSchedule.push(done - due);
        trace?.push([sent - start, done - sent]);
        if (r.status === 'ACCP') accepted++;
        else { refused++; firstError ??= `${r.status} ${JSON.stringify(r.report.findings[0])}`; }
      }, (error: unknown) => {
        errors++;
        firstError ??= (error as Error).message;
      }).finally(() => {
        inFlight--;
        lastDone = performance.now();
        pending.delete(p);
      });
      pending.add(p);
    };
    await onSchedule(total, rate, start, (i, due) => {
      if (inFlight >= MAX_IN_FLIGHT) shed++;
      else launch(i, due);
      load[i] = undefined as never; // let the bytes go once sent
    });
    await Promise.all([...pending]);
    const cpu = meter.lap();
    meter.stop();
    const walTo = await walPosition(engine);
    if (process.env.BENCH_RT_WAL) await printWalByRelation(engine, walFrom.lsn, walTo.lsn, accepted);
    loopDelay.disable();
    const elapsed = (lastDone - start) / 1000;
    latencies.sort((a, b) => a - b);
    fromSchedule.sort((a, b) => a - b);
    if (trace) printTrace(rate, trace);
    const groups = engine.realtimeGroups();
    // Accepted: reserved, or held by the risk stage for review (a screening hit of the generated names).
    const after = await countStates(engine);
    const reserved = after.reserved - before.reserved + after.held - before.held;
    if (reserved !== accepted + warm.length) throw new Error(`${accepted + warm.length} accepted but ${reserved} payments RESERVED or HELD${firstError ? ` (first refusal: ${firstError})` : ""}`);
    const achieved = Math.round(accepted / elapsed);
    const p99 = percentile(latencies, 0.99);
    const step: RealtimeStep = {
      offered: rate, seconds: Math.round(elapsed * 10) / 10, scheduled: total, accepted, shed, refused, errors, achieved,
      p50Ms: percentile(latencies, 0.5), p99Ms: p99, p99FromScheduleMs: percentile(fromSchedule, 0.99), maxMs: latencies.at(-1) ?? NaN, maxInFlight,
      nodeCpuMsPerPayment: Math.round(cpu.nodeCpuS * 1e4 / Math.max(1, accepted)) / 10,
      postgresCpuMsPerPayment: cpu.postgresCpuS === null ? null : Math.round(cpu.postgresCpuS * 1e4 / Math.max(1, accepted)) / 10,
      held: shed === 0 && refused === 0 && errors === 0 && achieved >= rate * 0.97 && p99 < TARGETS.p99Ms,
      // Messages per real-time group commit (warm-up included): switch/engine/realtime-intake.ts.
      meanGroup: Math.round(groups.members / Math.max(1, groups.groups) * 10) / 10, largestGroup: groups.largest, failedGroups: groups.failed,
      loopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e5) / 10, loopDelayMaxMs: Math.round(loopDelay.max / 1e5) / 10,
      ...(after.held > before.held ? { riskHeld: after.held - before.held } : {}),
      walKBPerPayment: Math.round(Number(walTo.lsnBytes - walFrom.lsnBytes) / Math.max(1, accepted) / 102.4) / 10,
      checkpointsRequested: walTo.checkpointsRequested - walFrom.checkpointsRequested,
      ...(firstError ? { firstError } : {}),
    };
    return step;
  } finally {
    if (opened === undefined) {
      await engine.close();
      await schema.drop();
    }
  }
}

/** The server's WAL position (as a number of bytes too) and the checkpoints it has requested so far. */
async function walPosition(engine: Engine): Promise<{ lsn: string; lsnBytes: bigint; checkpointsRequested: number }> {
  const [row] = await engine.storeForTests().query<{ lsn: string; bytes: string; req: number }>(
    `SELECT pg_current_wal_lsn()::text AS lsn, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS bytes,
            (SELECT checkpoints_req FROM pg_stat_bgwriter)::int AS req`);
  return { lsn: row!.lsn, lsnBytes: BigInt(row!.bytes), checkpointsRequested: row!.req };
}

/**
 * BENCH_RT_WAL=1 (needs `CREATE EXTENSION pg_walinspect` in the bench's database, PostgreSQL 15+, and
 * a superuser or pg_read_server_files): the measured part's WAL records by relation of this run's
 * schema (table, its indexes, its TOAST), per payment accepted, on stderr. A record is counted against
 * the relation of its first block reference; records without one (commits, …) are in "(no relation)",
 * and other users' records of a shared server in "(elsewhere)".
 */
async function printWalByRelation(engine: Engine, from: string, to: string, payments: number): Promise<void> {
  const rows = await engine.storeForTests().query<{ relation: string; kind: string; type: string; records: string; bytes: string; fpi: string }>(
    `WITH ours AS (
       SELECT c.relfilenode, c.relname::text AS relation, CASE c.relkind WHEN 'i' THEN 'index' ELSE 'heap' END AS kind
         FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relfilenode <> 0
       UNION ALL
       SELECT t.relfilenode, c.relname || ' (TOAST)', 'toast' FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid
        WHERE c.relnamespace = current_schema()::regnamespace
       UNION ALL
       SELECT i.relfilenode, c.relname || ' (TOAST index)', 'toast' FROM pg_class c JOIN pg_index x ON x.indrelid = c.reltoastrelid
         JOIN pg_class i ON i.oid = x.indexrelid WHERE c.relnamespace = current_schema()::regnamespace),
     records AS (
       SELECT (regexp_match(block_ref, 'rel [0-9]+/([0-9]+)/([0-9]+)')) AS ref, record_type, record_length, fpi_length
         FROM public.pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn))
     SELECT COALESCE(o.relation, CASE WHEN r.ref IS NULL THEN '(no relation)' ELSE '(elsewhere)' END) AS relation,
            COALESCE(o.kind, '') AS kind, r.record_type AS type,
            COUNT(*)::text AS records, SUM(r.record_length)::text AS bytes, SUM(r.fpi_length)::text AS fpi
       FROM records r
       LEFT JOIN ours o ON r.ref IS NOT NULL AND r.ref[1]::oid = (SELECT oid FROM pg_database WHERE datname = current_database())
                        AND o.relfilenode = r.ref[2]::oid
      GROUP BY 1, 2, 3`, [from, to]);
  const n = Math.max(1, payments);
  const byRelation = new Map<string, { kind: string; records: number; bytes: number; fpi: number; types: string[] }>();
  for (const r of rows) {
    const sum = byRelation.get(r.relation) ?? { kind: r.kind, records: 0, bytes: 0, fpi: 0, types: [] };
    sum.records += Number(r.records);
    sum.bytes += Number(r.bytes);
    sum.fpi += Number(r.fpi);
    if (Number(r.records) / n >= 0.01) sum.types.push(`${r.type} ${(Number(r.records) / n).toFixed(2)}`);
    byRelation.set(r.relation, sum);
  }
  const ours = [...byRelation].filter(([name]) => !name.startsWith('('));
  process.stderr.write(`WAL by relation, ${payments} payments (per payment: records, bytes, of which full-page images; record types):\n`);
  for (const [name, r] of [...byRelation].sort((x, y) => y[1].bytes - x[1].bytes)) {
    process.stderr.write(`  ${name.padEnd(44)} ${r.kind.padEnd(6)} ${(r.records / n).toFixed(2).padStart(7)} rec ${(r.bytes / n).toFixed(0).padStart(6)} B` +
      ` (fpi ${(r.fpi / n).toFixed(0)} B)  ${r.types.join(', ')}\n`);
  }
  const total = (kind: string): string => {
    const list = ours.filter(([, r]) => kind === '' || r.kind === kind);
    return `${(list.reduce((a, [, r]) => a + r.records, 0) / n).toFixed(1)} records, ${(list.reduce((a, [, r]) => a + r.bytes, 0) / n).toFixed(0)} B`;
  };
  process.stderr.write(`  this schema: ${total('')} per payment (heap ${total('heap')}, index ${total('index')}, TOAST ${total('toast')})\n`);
}

/** Calls `fire(i, due)` for i = 0 … count-1 at `start` + i / `rate` s (open loop: whatever the completions); resolves after the last. */
function onSchedule(count: number, rate: number, start: number, fire: (i: number, due: number) => void): Promise<void> {
  const interval = 1000 / rate;
  return new Promise<void>((resolveSchedule) => {
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < count && start + next * interval <= now) {
        fire(next, start + next * interval);
        next++;
      }
      if (next < count) setTimeout(tick, Math.max(0, Math.min(4, start + next * interval - now)));
      else resolveSchedule();
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
}

/** Per second of the step (by send time): messages sent, p50, p99 and max latency in ms, on stderr. */
function printTrace(rate: number, trace: readonly [number, number][]): void {
  const seconds = new Map<number, number[]>();
  for (const [at, latency] of trace) {
    const s = Math.floor(at / 1000);
    const list = seconds.get(s) ?? [];
    list.push(latency);
    seconds.set(s, list);
  }
  for (const [s, list] of [...seconds].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => a - b);
    process.stderr.write(`trace ${rate}/s second ${s}: ${list.length} sent, p50 ${percentile(list, 0.5).toFixed(0)} p99 ${percentile(list, 0.99).toFixed(0)} max ${list.at(-1)!.toFixed(0)} ms\n`);
  }
}

/** An engine on a fresh schema that several steps share (the risk benchmark loads its reference data once). */
interface OpenedStore {
  readonly engine: Engine;
  readonly schema: Awaited<ReturnType<typeof freshSchema>>;
}

async function countStates(engine: Engine): Promise<{ reserved: number; held: number }> {
  const [row] = await engine.storeForTests().query<{ reserved: number; held: number }>(
    "SELECT COUNT(*) FILTER (WHERE state = 'RESERVED')::int AS reserved, COUNT(*) FILTER (WHERE state = 'HELD')::int AS held FROM payments");
  return row!;
}

/** The search's resolution: rates closer than this to a held one are not tried. */
const REALTIME_RESOLUTION = 100;
/** Above the ladder, rates rise by this step while held, up to REALTIME_RATE_MAX. */
const REALTIME_STEP_ABOVE = 1_000;
const REALTIME_RATE_MAX = 8_000;

/**
 * The highest rate held: the ladder `rates` upwards until a rate is not held (above the ladder, in steps
 * of REALTIME_STEP_ABOVE while every rate holds), then halving the gap between the highest rate held and
 * the lowest not held until it is under REALTIME_RESOLUTION (a rate far below the offered one is the
 * machine's ceiling, so the search jumps to just under the achieved rate first).
 */
async function realtimeChild(seconds: number, rates: number[], only = false): Promise<{ steps: RealtimeStep[]; highestHeld: number; p99AtHighestMs: number | null; peakRssMB: number }> {
  const banks = benchBanks(20);
  const messages = new SingleMessages(banks, settlementDate());
  const xsd = new XsdValidator();
  const steps: RealtimeStep[] = [];
  const sqlTimings = SqlTimings.install();
  const run = async (rate: number): Promise<RealtimeStep> => {
    sqlTimings?.report('real-time warm-up or previous step');
    const step = await realtimeStep(rate, seconds, xsd, banks, messages);
    sqlTimings?.report(`real time ${rate}/s`);
    console.error(`  realtime ${rate}/s: achieved ${step.achieved}/s, p50 ${step.p50Ms.toFixed(1)} ms, p99 ${step.p99Ms.toFixed(1)} ms, shed ${step.shed}, ` +
      `${step.held ? 'held' : 'not held'}, CPU ms/payment ${step.nodeCpuMsPerPayment} node / ${step.postgresCpuMsPerPayment ?? '?'} PostgreSQL, ` +
      `group mean ${step.meanGroup} max ${step.largestGroup}${step.failedGroups ? ` (${step.failedGroups} failed)` : ''}, ` +
      `event-loop delay p99 ${step.loopDelayP99Ms} max ${step.loopDelayMaxMs} ms, ` +
      `WAL ${step.walKBPerPayment} kB/payment, checkpoints requested ${step.checkpointsRequested}` +
      `${step.firstError ? `, first error: ${step.firstError}` : ''}, load ${loadavg()[0]!.toFixed(1)}`);
    steps.push(step);
    return step;
  };
  let held: RealtimeStep | undefined;
  let failed: RealtimeStep | undefined;
  try {
    await warmUp(xsd, banks);
    if (only) {
      // The rates given, each once, in order (a repeated rate is a repeated run): no search.
      for (const rate of rates) {
        const step = await run(rate);
        if (step.held && step.offered >= (held?.offered ?? 0)) held = step;
      }
      const lowest = [...steps].sort((x, y) => x.offered - y.offered)[0];
      return { steps, highestHeld: held?.offered ?? 0, p99AtHighestMs: (held ?? lowest)?.p99Ms ?? null, peakRssMB: peakRssMB() };
    }
    const ladder = [...rates].sort((x, y) => x - y);
    for (let i = 0; failed === undefined; i++) {
      const rate = i < ladder.length ? ladder[i]! : (held?.offered ?? 0) + REALTIME_STEP_ABOVE;
      if (rate > REALTIME_RATE_MAX) break;
      const step = await run(rate);
      if (step.held) held = step;
      else failed = step;
    }
    while (failed !== undefined) {
      const low = held?.offered ?? 0;
      const high = failed.offered;
      if (high - low <= REALTIME_RESOLUTION) break;
      // Far below the offered rate: the ceiling is about what was achieved, so try just under it.
      const ceiling = failed.achieved < high * 0.8 ? Math.floor(failed.achieved * 0.9 / 50) * 50 : high;
      const rate = Math.max(low + 50, Math.min(Math.round((low + high) / 2 / 50) * 50, ceiling));
      if (rate >= high) break;
      const step = await run(rate);
      if (step.held) held = step;
      else failed = step;
    }
  } finally {
    await xsd.close();
  }
  const lowest = [...steps].sort((x, y) => x.offered - y.offered)[0];
  return { steps, highestHeld: held?.offered ?? 0, p99AtHighestMs: (held ?? lowest)?.p99Ms ?? null, peakRssMB: peakRssMB() };
}

// ---------------------------------------------------------------------------------------------------
// The risk stage (docs/risk.md): the real-time path with and without it, in the same run, with
// PROFILES account profiles loaded (the messages' own debtor accounts among them).

/** Limits every payment is counted against and none reaches: the stage's whole cost, no refusals. */
const RISK_BENCH = {
  limits: [{ currency: 'EUR', perTransaction: '1000000.00', debtorAccountDaily: { amount: '100000000000.00', count: 1_000_000_000 },
    creditorAccountDaily: { amount: '100000000000.00' }, participantDaily: { amount: '100000000000.00' } }],
  // Every feature computed and every statistic read and recorded; weights so small that no score reaches a threshold.
  scoring: { weights: { amount: 1, velocity: 1, newCreditor: 1, muleFanIn: 1, timeOfDay: 1, accountRisk: 1 }, holdThreshold: 100, rejectThreshold: 100 },
};

export interface ListLoadFigures { readonly names: number; readonly seconds: number }

/** A UN-format list of `names` generated names (bench/screening.ts), stored and put in force (the engine's own screener). */
async function loadBenchList(engine: Engine, names: number): Promise<ListLoadFigures> {
  const { writeList } = await import('./screening.ts');
  const { parseUnList } = await import('../switch/risk/screening/parse-un.ts');
  const { hashed } = await import('../switch/engine/screening-lists.ts');
  const { createReadStream } = await import('node:fs');
  const file = join(work, 'risk-list.xml');
  mkdirSync(work, { recursive: true });
  await writeList(file, names);
  const started = performance.now();
  const hash = hashed();
  await engine.loadScreeningList({ name: 'bench', format: 'un', records: parseUnList(hash.wrap(createReadStream(file))), sha256: hash.sha256, files: [file] },
    { actor: 'bench', reason: 'risk benchmark' });
  await engine.screeningLists().refresh();
  rmSync(file, { force: true });
  return { names, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

export interface BatchIntakeStep {
  readonly files: number;
  readonly payments: number;
  readonly seconds: number;
  readonly paymentsPerSecond: number;
  readonly nodeCpuMsPerPayment: number;
  readonly postgresCpuMsPerPayment: number | null;
  readonly riskHeld: number;
}

/** Batch intake alone: `paths` submitted by two lanes (as two connectors would), measured from the first to the last answer. */
async function batchIntakeStep(opened: OpenedStore, banks: readonly Bank[], paths: readonly string[]): Promise<BatchIntakeStep> {
  const { engine, schema } = opened;
  const before = await countStates(engine);
  const [{ n: paymentsBefore }] = await engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM payments WHERE mode = 'batch'") as [{ n: number }];
  const meter = await CpuMeter.start(schema.applicationName);
  const started = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      const result = await engine.submit({ bytes: readFileSync(paths[i]!), sender: banks[i]!.bic, fileName: basename(paths[i]!) });
      if (result.status !== 'ACCP') throw new Error(`batch file of ${banks[i]!.bic}: ${result.status} ${JSON.stringify(result.report.findings.slice(0, 2))}`);
    }
  };
  await Promise.all([lane(), lane()]);
  const seconds = (performance.now() - started) / 1000;
  const cpu = meter.lap();
  meter.stop();
  const [{ n: paymentsAfter }] = await engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM payments WHERE mode = 'batch'") as [{ n: number }];
  const payments = paymentsAfter - paymentsBefore;
  const after = await countStates(engine);
  return {
    files: paths.length, payments, seconds: Math.round(seconds * 10) / 10, paymentsPerSecond: Math.round(payments / seconds),
    nodeCpuMsPerPayment: Math.round(cpu.nodeCpuS * 1e5 / Math.max(1, payments)) / 100,
    postgresCpuMsPerPayment: cpu.postgresCpuS === null ? null : Math.round(cpu.postgresCpuS * 1e5 / Math.max(1, payments)) / 100,
    riskHeld: after.held - before.held,
  };
}

export interface ProfileLoadFigures { readonly profiles: number; readonly seconds: number; readonly profilesPerSecond: number; readonly peakRssMB: number }

/** PROFILES account profiles over the banks (streamed CSV, one version per bank), the messages' debtor accounts first. */
async function loadBenchProfiles(engine: Engine, banks: readonly Bank[], messages: SingleMessages, profiles: number): Promise<ProfileLoadFigures> {
  const started = performance.now();
  const perBank = Math.ceil(profiles / banks.length);
  for (const bank of banks) {
    const own = messages.accounts.filter((a) => a.sender === bank.bic).map((a) => a.iban);
    async function* csv(): AsyncGenerator<Uint8Array> {
      yield encoder.encode('kind,id,account_type,risk_level,customer\n');
      const levels = ['low', 'medium', 'high'];
      for (let i = 0; i < perBank; i += 1_000) {
        let chunk = '';
        for (let k = i; k < Math.min(perBank, i + 1_000); k++) {
          const id = k < own.length ? own[k]! : `${bank.country}00BENCH${bank.bic.slice(0, 4)}${String(k).padStart(12, '0')}`;
          chunk += `account,${id},${k % 5 === 0 ? 'business' : 'personal'},${levels[k % 3]},\n`;
        }
        yield encoder.encode(chunk);
      }
    }
    await engine.loadRiskProfiles({ participant: bank.bic, format: 'csv', chunks: csv(), effectiveFrom: new Date(0), actor: 'bench', reason: 'risk benchmark' });
  }
  const seconds = (performance.now() - started) / 1000;
  return { profiles: perBank * banks.length, seconds: Math.round(seconds * 10) / 10, profilesPerSecond: Math.round(perBank * banks.length / seconds), peakRssMB: peakRssMB() };
}

export interface RiskBenchResult {
  readonly off: RealtimeStep;
  readonly on: RealtimeStep;
  readonly batchOff: BatchIntakeStep;
  readonly batchOn: BatchIntakeStep;
  readonly profileLoad: ProfileLoadFigures;
  readonly listLoad: ListLoadFigures;
  /** Throughput with the stage over without it (real-time at the offered rate; batch intake). */
  readonly throughputRatio: number;
  readonly batchThroughputRatio: number;
  /** CPU per payment (Node + PostgreSQL) with the stage over without it: the figure a loaded machine does not distort much. */
  readonly realtimeCpuRatio: number | null;
  readonly batchCpuRatio: number | null;
  readonly factsMicrosecondsPerPayment: number;
  /** The machine's load average (1 min) at the start and the end of the run. */
  readonly loadAverage: readonly [number, number];
}

/** The facts walk alone: riskFacts over a typical transaction element, per payment. */
async function factsCost(): Promise<number> {
  const { riskFacts } = await import('../switch/risk/facts.ts');
  const xml = build(bulkCreditTransfer({ seed: 1, sender: benchBanks(2)[0]!, receivers: [benchBanks(2)[1]!], transactionCount: 1, localInstrument: 'INST',
    settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: 'F1' }));
  const element = xml.slice(xml.indexOf('<CdtTrfTxInf>'), xml.indexOf('</CdtTrfTxInf>') + '</CdtTrfTxInf>'.length);
  const row = { debtorAgent: 'A', creditorAgent: 'B', instructingAgent: 'A', currency: 'EUR', amountMinor: 1n, xml: element };
  const at = new Date(0);
  for (let i = 0; i < 20_000; i++) riskFacts(row, 'realtime', at, '2026-11-26');
  const n = 200_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) riskFacts(row, 'realtime', at, '2026-11-26');
  return Math.round((performance.now() - started) * 1000 / n * 100) / 100;
}

const cpuPerPayment = (s: { nodeCpuMsPerPayment?: number; postgresCpuMsPerPayment?: number | null }): number | null =>
  s.nodeCpuMsPerPayment === undefined || s.postgresCpuMsPerPayment == null ? null : s.nodeCpuMsPerPayment + s.postgresCpuMsPerPayment;
const ratio = (on: number | null, off: number | null): number | null => (on === null || off === null ? null : Math.round(on / off * 1000) / 1000);

/**
 * Without the stage, then with it (PROFILES account profiles, a NAMES-name UN list, limits on every
 * counter, scoring with every feature), each on its own schema and engine: the real-time path at RATE/s
 * for SECONDS, then batch intake of FILES files of PER_FILE payments on the same engine.
 */
async function riskChild(seconds: number, rate: number, profiles: number, names: number, files: number, perFile: number): Promise<RiskBenchResult> {
  const banks = benchBanks(20);
  const messages = new SingleMessages(banks, settlementDate());
  generateBatchFiles(files, perFile);
  const paths = datedInboundFiles(files, perFile, settlementDate());
  const xsd = new XsdValidator();
  const loadStart = (await import('node:os')).loadavg()[0]!;
  const sqlTimings = SqlTimings.install();
  try {
    await warmUp(xsd, banks);
    sqlTimings?.report('warm-up');
    const open = async (risk: boolean): Promise<OpenedStore> => {
      const schema = await freshSchema(risk ? 'bench_risk_on' : 'bench_risk_off');
      const config = risk ? checkConfig({ ...JSON.parse(JSON.stringify(benchScheme(banks))), risk: RISK_BENCH }) : benchScheme(banks);
      return { schema, engine: await Engine.open({ config, databaseUrl: schema.url, xsd }) };
    };
    const close = async (o: OpenedStore): Promise<void> => { await o.engine.close(); await o.schema.drop(); };
    const without = await open(false);
    let off: RealtimeStep, batchOff: BatchIntakeStep;
    try {
      off = await realtimeStep(rate, seconds, xsd, banks, messages, undefined, without);
      sqlTimings?.report('risk off, real time');
      console.error(`  risk off ${rate}/s: achieved ${off.achieved}/s, p99 ${off.p99Ms.toFixed(1)} ms, CPU ms/payment ${off.nodeCpuMsPerPayment} node / ${off.postgresCpuMsPerPayment ?? '?'} PostgreSQL`);
      batchOff = await batchIntakeStep(without, banks, paths);
      sqlTimings?.report('risk off, batch');
      console.error(`  risk off batch: ${batchOff.paymentsPerSecond}/s, CPU ms/payment ${batchOff.nodeCpuMsPerPayment} node / ${batchOff.postgresCpuMsPerPayment ?? '?'} PostgreSQL`);
    } finally {
      await close(without);
    }
    const withRisk = await open(true);
    let on: RealtimeStep, batchOn: BatchIntakeStep, profileLoad: ProfileLoadFigures, listLoad: ListLoadFigures;
    try {
      profileLoad = await loadBenchProfiles(withRisk.engine, banks, messages, profiles);
      console.error(`  ${profileLoad.profiles} profiles loaded in ${profileLoad.seconds} s`);
      listLoad = await loadBenchList(withRisk.engine, names);
      sqlTimings?.report('risk on, loading');
      console.error(`  ${names} names listed and in force in ${listLoad.seconds} s`);
      on = await realtimeStep(rate, seconds, xsd, banks, messages, { profiles }, withRisk);
      sqlTimings?.report('risk on, real time');
      console.error(`  risk on  ${rate}/s: achieved ${on.achieved}/s, p99 ${on.p99Ms.toFixed(1)} ms, CPU ms/payment ${on.nodeCpuMsPerPayment} node / ${on.postgresCpuMsPerPayment ?? '?'} PostgreSQL` +
        `${on.firstError ? `, first error: ${on.firstError}` : ''}`);
      batchOn = await batchIntakeStep(withRisk, banks, paths);
      sqlTimings?.report('risk on, batch');
      console.error(`  risk on  batch: ${batchOn.paymentsPerSecond}/s, CPU ms/payment ${batchOn.nodeCpuMsPerPayment} node / ${batchOn.postgresCpuMsPerPayment ?? '?'} PostgreSQL`);
    } finally {
      await close(withRisk);
    }
    return {
      off, on, batchOff, batchOn, profileLoad, listLoad,
      throughputRatio: Math.round(on.achieved / Math.max(1, off.achieved) * 1000) / 1000,
      batchThroughputRatio: Math.round(batchOn.paymentsPerSecond / Math.max(1, batchOff.paymentsPerSecond) * 1000) / 1000,
      realtimeCpuRatio: ratio(cpuPerPayment(on), cpuPerPayment(off)), batchCpuRatio: ratio(cpuPerPayment(batchOn), cpuPerPayment(batchOff)),
      factsMicrosecondsPerPayment: await factsCost(),
      loadAverage: [Math.round(loadStart * 10) / 10, Math.round((await import('node:os')).loadavg()[0]! * 10) / 10],
    };
  } finally {
    await xsd.close();
  }
}

export async function benchmarkRisk(quick: boolean): Promise<RiskBenchResult> {
  const result = await runChild(['risk', String(quick ? 5 : 30), String(quick ? 500 : TARGETS.realtimePaymentsPerSecond), String(quick ? 100_000 : 1_000_000),
    String(quick ? 10_000 : 100_000), String(quick ? 4 : 10), String(quick ? 2_000 : 10_000)]);
  return result as unknown as RiskBenchResult;
}

const isMain = process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const [mode, ...args] = process.argv.slice(2);
  let output: unknown;
  if (mode === 'generate') output = { generated: generateBatchFiles(Number(args[0]), Number(args[1])) };
  else if (mode === 'batch') output = await batchChild(Number(args[0]), Number(args[1]), Number(args[2]));
  else if (mode === 'realtime') output = await realtimeChild(Number(args[0]), args[1]!.split(',').map(Number), args[2] === 'only');
  else if (mode === 'risk') output = await riskChild(Number(args[0]), Number(args[1]), Number(args[2]), Number(args[3] ?? 100_000), Number(args[4] ?? 10), Number(args[5] ?? 10_000));
  else throw new Error('usage: bench/engine.ts generate FILES PER_FILE | batch FILES PER_FILE CONCURRENCY | realtime SECONDS RATES [only]');
  console.log(JSON.stringify(output));
}
