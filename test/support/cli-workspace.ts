/**
 * A workspace for tests that run the `clearhouse` command line as an operator would: a temporary
 * directory holding a copy of the demo scheme (data directory and every participant's directory
 * mailbox inside the workspace, any further edits applied), a fresh PostgreSQL schema, and the
 * environment that points the CLI at both (no Redis: in-process timers and queues). Every command
 * runs on one simulated clock (CLEARHOUSE_CLOCK, switch/clock.ts), never on the day the test runs.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { freshPostgresUrl } from '../engine/support.ts';
import { CLOCK_VARIABLE, parseClockSetting, type RunningClock } from '../../switch/clock.ts';

export const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
export const cli = join(root, 'bin', 'clearhouse.js');

/**
 * The instant the workspace's clock shows when it is made: Friday 27 November 2026, 09:00 in
 * Frankfurt, a business day of the demo scheme before its first cut-off, and the IntrBkSttlmDt of
 * the fixtures (test/fixtures/pacs.008.001.08/valid-bulk-25.xml).
 */
export const FIXTURE_MORNING = '2026-11-27T08:00:00Z';

/**
 * A CLEARHOUSE_CLOCK value for child processes that share one clock: it shows `instant` now and runs
 * in real time from here, whenever each process starts. With the clock itself, to compute what the
 * children see (`clock.now()`) and when, in system time, their clock reaches an instant (`toWallMs`).
 */
export function sharedClock(instant: string | Date): { readonly setting: string; readonly clock: RunningClock } {
  const start = typeof instant === 'string' ? instant : instant.toISOString();
  const setting = `${start}@${new Date().toISOString()}`;
  return { setting, clock: parseClockSetting(setting, 0) };
}

/**
 * A clock for a process that cuts off on schedule: on `cutOffAt` (a cut-off instant of the scheme's
 * calendar on a business day) minus `leadMs`, so the cut-off comes `leadMs` after this call, whatever
 * day the test runs. `wallMs` is that moment in system time.
 */
export function clockBeforeCutOff(cutOffAt: string, leadMs: number): { readonly setting: string; readonly clock: RunningClock; readonly cutOffAt: Date; readonly wallMs: number } {
  const at = new Date(cutOffAt);
  const shared = sharedClock(new Date(at.getTime() - leadMs));
  return { ...shared, cutOffAt: at, wallMs: shared.clock.toWallMs(at.getTime()) };
}

export interface CliWorkspace {
  readonly work: string;
  readonly databaseUrl: string;
  readonly env: NodeJS.ProcessEnv;
  /** The clock every command of the workspace runs on. */
  readonly clock: RunningClock;
  /** Moves that clock `ms` ahead for every later command (a deadline reached without waiting for it). */
  advanceClock(ms: number): void;
  /** Runs `clearhouse ARGS` in the workspace and returns what it did. */
  run(...args: string[]): SpawnSyncReturns<string>;
  /** Runs `clearhouse ARGS` and asserts it exits 0. */
  ok(...args: string[]): SpawnSyncReturns<string>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the scheme file as JSON, edited by each test
type SchemeJson = any;

export async function cliWorkspace(name: string, options: {
  /** Further edits of the scheme (services, calendar, signing…), given the workspace directory. */
  readonly edit?: (config: SchemeJson, work: string) => void;
  /** Each command's time limit. */
  readonly timeoutMs?: number;
  /** CLEARHOUSE_CLOCK of every command (default: a clock showing FIXTURE_MORNING now). */
  readonly clock?: { readonly setting: string; readonly clock: RunningClock };
} = {}): Promise<CliWorkspace> {
  const work = mkdtempSync(join(tmpdir(), `clearhouse-${name}-`));
  const config = JSON.parse(readFileSync(join(root, 'config', 'demo-scheme.json'), 'utf8'));
  config.dataDirectory = join(work, 'data');
  for (const participant of config.participants) participant.connector = { type: 'directory', path: join(work, 'data', 'mailboxes', participant.bic) };
  options.edit?.(config, work);
  writeFileSync(join(work, 'scheme.json'), JSON.stringify(config));
  const databaseUrl = await freshPostgresUrl();
  let clock = options.clock ?? sharedClock(FIXTURE_MORNING);
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, CLEARHOUSE_CONFIG: join(work, 'scheme.json'), REDIS_URL: '', [CLOCK_VARIABLE]: clock.setting };
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { cwd: work, env, encoding: 'utf8', timeout: options.timeoutMs ?? 60_000 });
  return {
    work, databaseUrl, env, run,
    get clock() { return clock.clock; },
    advanceClock(ms) {
      clock = sharedClock(new Date(clock.clock.now().getTime() + ms));
      env[CLOCK_VARIABLE] = clock.setting;
    },
    ok(...args) {
      const result = run(...args);
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
      return result;
    },
  };
}

const serves = new Set<ChildProcess>();

/** A long-running `clearhouse serve ARGS` until `stop()` (SIGTERM); its stderr is collected. */
export function startServe(env: NodeJS.ProcessEnv, args: readonly string[], cwd?: string):
  { stderr: () => string; stop: () => Promise<number | null> } {
  const child = spawn(process.execPath, [cli, 'serve', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], ...(cwd ? { cwd } : {}) });
  serves.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { serves.delete(child); resolve(code); }));
  return { stderr: () => stderr, stop: () => { child.kill('SIGTERM'); return exited; } };
}

/** For a test file's `after`: SIGKILL any serve a failed test left running. */
export function killLeftoverServes(): void {
  for (const child of serves) child.kill('SIGKILL');
}
