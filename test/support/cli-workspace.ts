/**
 * A workspace for tests that run the `clearhouse` command line as an operator would: a temporary
 * directory holding a copy of the demo scheme (data directory and every participant's directory
 * mailbox inside the workspace, any further edits applied), a fresh PostgreSQL schema, and the
 * environment that points the CLI at both (no Redis: in-process timers and queues).
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { freshPostgresUrl } from '../engine/support.ts';

export const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
export const cli = join(root, 'bin', 'clearhouse.js');

export interface CliWorkspace {
  readonly work: string;
  readonly databaseUrl: string;
  readonly env: NodeJS.ProcessEnv;
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
} = {}): Promise<CliWorkspace> {
  const work = mkdtempSync(join(tmpdir(), `clearhouse-${name}-`));
  const config = JSON.parse(readFileSync(join(root, 'config', 'demo-scheme.json'), 'utf8'));
  config.dataDirectory = join(work, 'data');
  for (const participant of config.participants) participant.connector = { type: 'directory', path: join(work, 'data', 'mailboxes', participant.bic) };
  options.edit?.(config, work);
  writeFileSync(join(work, 'scheme.json'), JSON.stringify(config));
  const databaseUrl = await freshPostgresUrl();
  const env = { ...process.env, DATABASE_URL: databaseUrl, CLEARHOUSE_CONFIG: join(work, 'scheme.json'), REDIS_URL: '' };
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { cwd: work, env, encoding: 'utf8', timeout: options.timeoutMs ?? 60_000 });
  return {
    work, databaseUrl, env, run,
    ok(...args) {
      const result = run(...args);
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
      return result;
    },
  };
}

/**
 * A same-day cut-off for tests that let `serve` cut off on schedule: the first whole UTC minute at
 * least `leadMs` away, as the scheme's "HH:MM" and as an instant. Within that lead of midnight UTC a
 * same-day schedule is impossible, so it first waits for the new day.
 */
export async function nextWholeMinuteCutOff(leadMs: number): Promise<{ readonly text: string; readonly at: Date }> {
  let at = new Date(Math.ceil((Date.now() + leadMs) / 60_000) * 60_000);
  if (at.getUTCDate() !== new Date().getUTCDate() || (at.getUTCHours() === 0 && at.getUTCMinutes() === 0)) {
    await new Promise((resolve) => setTimeout(resolve, 86_400_000 - (Date.now() % 86_400_000) + 5_000));
    at = new Date(Math.ceil((Date.now() + leadMs) / 60_000) * 60_000);
  }
  return { text: `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`, at };
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
