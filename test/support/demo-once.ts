/**
 * The suite's shared demo runs, one of each per test run: the demo is the suite's most expensive child
 * process, and most tests of it only judge what one run wrote and printed. bin/run-tests.js names a
 * scratch folder per run (CLEARHOUSE_TEST_SCRATCH); the first test to ask for a run makes its folder
 * (the lock) and runs the demo, the others wait for its result. Run alone (no scratch folder), a test
 * gets a demo of its own.
 *
 *  - demoOnce(): `clearhouse demo --out DIR`, the story as a user reads it, stdout and stderr piped (no
 *    terminal). Judged by test/cli/demo-evidence, demo-statements, demo-risk (the files), demo-output
 *    (DIR was an earlier demo's output, with a stale file: emptied and reused; the store and scheme it
 *    leaves), file-permissions, demo-progress (no step timings when stderr is not a terminal).
 *  - demoJsonOnce(): `clearhouse demo --json --out DIR` (DIR new), piped. Judged by test/cli/cli.test.ts
 *    (the JSON summary, every message valid ISO 20022), demo-progress (without a terminal, no step
 *    timings and stdout is one JSON document), file-permissions.
 *
 * Both run under a shell umask of 022, as an operator's might: file-permissions checks that everything
 * under either DIR is still the owner's only.
 *
 * The runs' tests never change DIR (read-only CLI commands on its store are fine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, FIXTURE_MORNING, root } from './cli-workspace.ts';
import { CLOCK_VARIABLE } from '../../switch/clock.ts';

/** The demo's environment: the embedded store, in-process queues, the fixtures' morning. */
export const DEMO_ENV = { ...process.env, DATABASE_URL: '', REDIS_URL: '', CLEARHOUSE_CONFIG: '', [CLOCK_VARIABLE]: FIXTURE_MORNING };
const DEMO_TIMEOUT_MS = 600_000;
/** The marker that makes a folder an earlier demo's output (DEMO_MARKER of switch/cli/demo.ts), and the
 * stale file demoOnce() leaves beside it before its run: the demo must empty the folder and reuse it. */
export const EARLIER_DEMO_MARKER = '.clearhouse-demo';
export const STALE_FILE = 'stale-from-last-run.xml';

export interface DemoRun {
  /** The demo's --out folder: read it, never change it (other tests read it too). */
  readonly out: string;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The shared `demo --out DIR`: DIR, made as mkdtemp would (0700), held an earlier demo's marker and a stale file. */
export function demoOnce(): DemoRun {
  return shared('demo', (out) => {
    mkdirSync(out, { recursive: true, mode: 0o700 });
    writeFileSync(join(out, EARLIER_DEMO_MARKER), 'marker');
    writeFileSync(join(out, STALE_FILE), '<old/>');
    return demo('--out', out);
  });
}

/** The shared `demo --json --out DIR`: DIR new (the demo makes it). */
export function demoJsonOnce(): DemoRun {
  return shared('demo-json', (out) => demo('--json', '--out', out));
}

/** The demo under a shell umask that would give everything to everyone to read: the switch must not follow it. */
function demo(...args: string[]) {
  return spawnSync('/bin/sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, cli, 'demo', ...args],
    { cwd: root, env: DEMO_ENV, encoding: 'utf8', timeout: DEMO_TIMEOUT_MS });
}

function shared(name: string, spawn: (out: string) => { status: number | null; stdout: string; stderr: string }): DemoRun {
  const run = (out: string): DemoRun => {
    const r = spawn(out);
    return { out, status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const scratch = process.env.CLEARHOUSE_TEST_SCRATCH;
  if (!scratch || !existsSync(scratch)) return run(join(mkdtempSync(join(tmpdir(), `clearhouse-${name}-`)), 'out'));
  const base = join(scratch, name);
  const result = join(base, 'result.json');
  try {
    mkdirSync(base); // the lock: exactly one test process makes it
  } catch {
    const until = Date.now() + DEMO_TIMEOUT_MS + 60_000;
    while (!existsSync(result)) {
      if (Date.now() > until) throw new Error(`the shared demo in ${base} did not finish`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
    return JSON.parse(readFileSync(result, 'utf8')) as DemoRun;
  }
  const done = run(join(base, 'out'));
  writeFileSync(`${result}.part`, JSON.stringify(done));
  renameSync(`${result}.part`, result); // whole, never half-written, for the tests waiting for it
  return done;
}

/** Reading the demo's mailboxes (`out`/mailboxes/<BIC>/outbound|archive) as a party would. */
export function demoMailboxes(out: string) {
  const boxes = join(out, 'mailboxes');
  const files = (bic: string, side: 'outbound' | 'archive'): string[] =>
    (existsSync(join(boxes, bic, side)) ? readdirSync(join(boxes, bic, side)) : []);
  const text = (bic: string, side: string, name: string): string => readFileSync(join(boxes, bic, side, name), 'utf8');
  /** What the switch delivered to a party: [name as delivered, contents], still in outbound/ or archived as out-*. */
  const delivered = (bic: string) => [
    ...files(bic, 'outbound').map((f) => [f, text(bic, 'outbound', f)] as const),
    ...files(bic, 'archive').filter((f) => f.startsWith('out-')).map((f) => [f.slice(4), text(bic, 'archive', f)] as const),
  ];
  return { boxes, files, text, delivered };
}
