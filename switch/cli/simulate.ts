/**
 * `clearhouse simulate`: seeded whole scheme days with faults, checked from the messages and the
 * settlement agent's books (switch/sim/, docs/simulation.md). Exit codes: 0 every seed held every
 * invariant; 1 a seed broke one (the seed and the first broken invariant are printed); 2 usage.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { simulateDay, type SimulationResult } from '../sim/day.ts';
import { FaultListError, FAULTS, parseFaults, type FaultName } from '../sim/faults.ts';
import { XsdValidator } from '../validation/xsd-pool.ts';
import { dropSchema, freshSchemaUrl } from '../store/scratch.ts';

export interface SimulateOptions {
  readonly seed?: string;
  readonly seeds?: string;
  readonly banks?: string;
  readonly payments?: string;
  readonly faults?: string;
  readonly out: string;
  readonly json?: boolean;
}

class UsageError extends Error {}

function parseSeeds(options: SimulateOptions): number[] {
  if (options.seeds !== undefined) {
    const m = /^(\d{1,9})\.\.(\d{1,9})$/.exec(options.seeds);
    if (!m || Number(m[2]) < Number(m[1])) throw new UsageError(`--seeds takes A..B with A <= B, not ${options.seeds}`);
    return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  }
  if (options.seed === undefined || !/^\d{1,9}$/.test(options.seed)) throw new UsageError('--seed N (a whole number) or --seeds A..B is required');
  return [Number(options.seed)];
}

function wholeNumber(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${name} takes a whole number from ${min} to ${max}, not ${text}`);
  return Number(text);
}

export async function simulateCommand(options: SimulateOptions): Promise<number> {
  let seeds: number[], faults: Set<FaultName>, banks: number | undefined, payments: number | undefined;
  try {
    seeds = parseSeeds(options);
    faults = parseFaults(options.faults);
    banks = wholeNumber(options.banks, '--banks', 2, 5);
    payments = wholeNumber(options.payments, '--payments', 10, 100_000);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof FaultListError)) throw error;
    process.stderr.write(`clearhouse simulate: ${error.message}\n`);
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  const progress = (line: string): void => { if (tty) process.stderr.write(`\r\x1b[K${line}`); };
  const xsd = new XsdValidator();
  const results: SimulationResult[] = [];
  const started = performance.now();
  let failed: SimulationResult | undefined;
  try {
    for (const seed of seeds) {
      const out = seeds.length === 1 ? options.out : join(options.out, `seed-${seed}`);
      const schema = `clearhouse_sim_${process.pid}_${seed}`;
      const databaseUrl = process.env.DATABASE_URL ? await freshSchemaUrl(process.env.DATABASE_URL, schema) : undefined;
      const result = await simulateDay({ seed, banks, payments, faults, out, xsd, databaseUrl, progress });
      results.push(result);
      if (!result.verdict.ok) { failed = result; break; }
      // A seed that held needs neither its schema (PostgreSQL) nor, in a sweep, its files.
      if (process.env.DATABASE_URL) await dropSchema(process.env.DATABASE_URL, schema);
      // A sweep keeps the files of a failing seed only (the seed replays the rest).
      if (seeds.length > 1) rmSync(out, { recursive: true, force: true });
    }
  } finally {
    await xsd.close();
    if (tty) process.stderr.write('\r\x1b[K');
  }
  const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
  const faultList = [...faults].sort().join(',');
  if (options.json) {
    process.stdout.write(JSON.stringify({ seeds: results.map((r) => ({ seed: r.seed, ok: r.verdict.ok, broken: r.verdict.broken, problems: r.verdict.problems,
      checked: r.verdict.checked, counts: r.counts, digest: r.digest, ...(r.crash ? { crash: crashSummary(r) } : {}) })), faults: faultList, seconds }, null, 2) + '\n');
  } else {
    for (const r of results) {
      const crash = r.crash ? `  crash ${r.crash.plan.point} #${r.crash.plan.occurrence} ${r.crash.restarted ? `(killed in ${r.crash.during}, restarted)` : '(not reached)'}` : '';
      process.stdout.write(`seed ${r.seed}: ${r.verdict.ok ? 'ok' : 'BROKEN'}  ${Object.entries(r.counts).sort().map(([k, v]) => `${k} ${v}`).join(', ')}${crash}  digest ${r.digest.slice(0, 16)}\n`);
    }
    process.stdout.write(`${results.length - (failed ? 1 : 0)} of ${seeds.length} seeds held every invariant (faults: ${faultList}) in ${seconds} s\n`);
  }
  if (failed) {
    process.stderr.write(`clearhouse simulate: seed ${failed.seed} broke an invariant: ${failed.verdict.broken}\n`);
    return 1;
  }
  return 0;
}

/** Where the seed's switch process was to die and whether it did (the crash fault). */
function crashSummary(r: SimulationResult): { point: string; occurrence: number; restarted: boolean; during?: string } {
  const c = r.crash!;
  return { point: c.plan.point, occurrence: c.plan.occurrence, restarted: c.restarted, ...(c.during ? { during: c.during } : {}) };
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('seeded scheme days with faults, checked from the messages and the settlement agent\'s books (docs/simulation.md)')
    .option('--seed <n>', 'the seed of one day')
    .option('--seeds <a..b>', 'a sweep: every seed from a to b, stopping at the first that breaks an invariant')
    .option('--banks <n>', 'participants (2-5, default 4)')
    .option('--payments <n>', 'payments over the day (default 60)')
    .option('--faults <list>', `comma-separated: default, all, none, a name, -name (known: ${Object.keys(FAULTS).join(', ')})`)
    .option('--out <dir>', 'write every message of every party under this directory', 'out/simulate')
    .option('--json', 'print the results as JSON')
    .action(async (options: SimulateOptions) => {
      process.exitCode = await simulateCommand(options);
    });
}
