#!/usr/bin/env node
// Runs every *.test.ts under test/ with Node's own test runner (bin/ts-register.js loads TypeScript;
// each test file's process inherits the --import).
// Node 20's runner takes no globs, so the file list is gathered here. Extra arguments filter by path.
// At the end it counts the tests skipped (and checks left out) for a missing prerequisite, which under
// CI=true fail instead (test/support/prerequisites.ts), and shows the slowest files.
//
// Files start slowest first, two at a time (the machines have 2 cores, and the suite keeps both busy: a
// file's own child processes, PGlite and PostgreSQL work beside it), so the run does not end waiting on a
// long file started last. "Slowest" is each file's wall time in the last run on this machine
// (test-results/file-durations.json, written at the end of each run), else the committed estimate in
// seconds on a quiet machine (test/support/file-durations.json; refresh it from a quiet full run's
// test-results/file-durations.json), else UNKNOWN_FILE_SECONDS (about the suite's mean file).
// The files sharing a demo run (test/support/demo-once.ts) are estimated so that the one making each
// run starts first and the others, which only read it, start late: none waits for it meanwhile.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const filters = process.argv.slice(2);
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') return [];
    return statSync(path).isDirectory() ? walk(path) : name.endsWith('.test.ts') ? [path] : [];
  });
}
const durationsFile = join(root, 'test-results', 'file-durations.json');
const readDurations = (path) => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {});
const lastRun = readDurations(durationsFile);
const estimates = { ...readDurations(join(root, 'test', 'support', 'file-durations.json')), ...lastRun };
const UNKNOWN_FILE_SECONDS = 20;
const estimate = (file) => estimates[file] ?? UNKNOWN_FILE_SECONDS;
const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .sort((a, b) => estimate(b) - estimate(a));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const scratch = mkdtempSync(join(tmpdir(), 'clearhouse-run-tests-'));
const skipsFile = join(scratch, 'skips.jsonl');
const timingsFile = join(scratch, 'timings.jsonl');
const reporters = [
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-reporter-destination=stdout',
  '--test-reporter=./test/support/prerequisite-reporter.js', `--test-reporter-destination=${skipsFile}`,
  '--test-reporter=./test/support/timing-reporter.js', `--test-reporter-destination=${timingsFile}`,
];
const started = performance.now();
const result = spawnSync(process.execPath, ['--import', join(root, 'bin', 'ts-register.js'), '--test', '--test-concurrency=2', ...reporters, ...files], {
  cwd: root,
  stdio: 'inherit',
  // Work the test files of this run share (test/support/demo-once.ts: one demo for the tests that read its output).
  env: { ...process.env, CLEARHOUSE_TEST_SCRATCH: scratch },
});
summariseSkips();
summariseTimings();
rmSync(scratch, { recursive: true, force: true });
process.exit(result.status ?? 1);

/**
 * Each file's wall time, slowest first (the 15 slowest, or all with CLEARHOUSE_TEST_TIMINGS=all), and the
 * run's own; CLEARHOUSE_TEST_TIMINGS=FILE.json also writes them all there as { file: seconds }. The times
 * of this run's files replace theirs in test-results/file-durations.json, for the next run's order.
 */
function summariseTimings() {
  const lines = existsSync(timingsFile)
    ? readFileSync(timingsFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : [];
  if (lines.length === 0) return;
  const seconds = (ms) => (ms / 1000).toFixed(1);
  const byTime = lines.map((l) => ({ ...l, file: relative(root, l.file) })).sort((a, b) => b.ms - a.ms);
  const wanted = process.env.CLEARHOUSE_TEST_TIMINGS ?? '';
  const shown = wanted === 'all' ? byTime : byTime.slice(0, 15);
  const total = byTime.reduce((sum, l) => sum + l.ms, 0);
  console.log(`\n${byTime.length} file(s) in ${seconds(performance.now() - started)} s (${seconds(total)} s of file time); ` +
    `${shown.length === byTime.length ? 'each' : `the ${shown.length} slowest`}:`);
  for (const l of shown) console.log(`  ${seconds(l.ms).padStart(7)} s  ${l.file}${l.passed ? '' : '  (failed)'}`);
  const measured = Object.fromEntries(byTime.map((l) => [l.file, Number(seconds(l.ms))]));
  if (wanted.endsWith('.json')) writeFileSync(wanted, `${JSON.stringify(measured, null, 2)}\n`);
  try {
    mkdirSync(dirname(durationsFile), { recursive: true });
    const merged = Object.entries({ ...lastRun, ...measured }).filter(([file]) => existsSync(join(root, file))).sort((a, b) => b[1] - a[1]);
    writeFileSync(durationsFile, `${JSON.stringify(Object.fromEntries(merged), null, 2)}\n`);
  } catch (error) {
    console.log(`(file times not kept for the next run's order: ${error.message})`);
  }
}

function summariseSkips() {
  let lines = [];
  try {
    lines = readFileSync(skipsFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  } catch {
    return;
  }
  if (lines.length === 0) return;
  const count = (kind) => lines.filter((l) => l.kind === kind).length;
  const reasons = new Map();
  for (const { reason } of lines) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  console.log(`\n${count('skipped')} test(s) skipped and ${count('checked less')} check(s) left out for missing prerequisites ` +
    '(under CI=true they fail instead):');
  for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${n} × ${reason || '(no reason given)'}`);
  if (reasons.size > 12) console.log(`  … and ${reasons.size - 12} other reason(s)`);
}
