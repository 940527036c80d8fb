/**
 * Command-line start-up, measured the way hyperfine does: each command run N times as a child process
 * (after one warm-up run), min / median / max wall time. Not a test: figures go to docs/performance.md
 * "Command-line start-up". Run: `node --import tsx bench/startup.ts [--runs N]`; the read command runs
 * against DATABASE_URL when set (a database of its own: the command migrates it), else is skipped.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const cli = join(root, 'bin', 'clearhouse.js');
const runsIndex = process.argv.indexOf('--runs');
const runs = runsIndex >= 0 ? Number(process.argv[runsIndex + 1]) : 10;

const commands: Array<{ name: string; args: string[]; env?: NodeJS.ProcessEnv }> = [
  { name: 'clearhouse --help', args: ['--help'] },
  { name: 'clearhouse --version', args: ['--version'] },
  { name: 'clearhouse pki --help', args: ['pki', '--help'] },
];
if (process.env.DATABASE_URL) {
  commands.push({ name: 'clearhouse cycle list (PostgreSQL)', args: ['cycle', 'list'] });
  commands.push({ name: 'clearhouse positions (PostgreSQL)', args: ['positions'] });
}

let exits = new Set<number | null>();
function once(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  exits.add(r.status);
  return performance.now() - started;
}

console.log(`${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${runs} runs each after one warm-up`);
const rows = commands.map(({ name, args }) => {
  exits = new Set();
  once(args);
  const times = Array.from({ length: runs }, () => once(args)).sort((a, b) => a - b);
  return { command: name, 'min ms': Math.round(times[0]!), 'median ms': Math.round(times[Math.floor(runs / 2)]!), 'max ms': Math.round(times[runs - 1]!), exit: [...exits].join(',') };
});
console.table(rows);
