/**
 * One `clearhouse demo --out DIR` per test run, shared by the tests that judge its output from the
 * files (test/cli/demo-evidence, demo-statements, demo-risk): the demo is the suite's most expensive
 * child process, and those tests only read what it wrote. bin/run-tests.js names a scratch folder per
 * run (CLEARHOUSE_TEST_SCRATCH); the first test to ask makes the folder's lock and runs the demo, the
 * others wait for its result. Run alone (no scratch folder), a test gets a demo of its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, FIXTURE_MORNING, root } from './cli-workspace.ts';
import { CLOCK_VARIABLE } from '../../switch/clock.ts';

/** The demo's environment: the embedded store, in-process queues, the fixtures' morning. */
export const DEMO_ENV = { ...process.env, DATABASE_URL: '', REDIS_URL: '', CLEARHOUSE_CONFIG: '', [CLOCK_VARIABLE]: FIXTURE_MORNING };
const DEMO_TIMEOUT_MS = 600_000;

export interface DemoRun {
  /** The demo's --out folder: read it, never change it (other tests read it too). */
  readonly out: string;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function demoOnce(): DemoRun {
  const scratch = process.env.CLEARHOUSE_TEST_SCRATCH;
  if (!scratch || !existsSync(scratch)) return run(mkdtempSync(join(tmpdir(), 'clearhouse-demo-')));
  const base = join(scratch, 'demo');
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
  writeFileSync(result, JSON.stringify(done));
  return done;
}

function run(out: string): DemoRun {
  const r = spawnSync(process.execPath, [cli, 'demo', '--out', out], { cwd: root, env: DEMO_ENV, encoding: 'utf8', timeout: DEMO_TIMEOUT_MS });
  return { out, status: r.status, stdout: r.stdout, stderr: r.stderr };
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
