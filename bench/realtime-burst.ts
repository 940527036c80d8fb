/**
 * The real-time path's CPU per payment at fixed group sizes, independent of the machine's load:
 * bursts of B single INST pacs.008 are submitted together (closed loop: the next burst after the
 * previous one resolved), so the group commit takes groups of about B. Reports node CPU (this process,
 * XSD worker threads included) and PostgreSQL CPU of this run's own backends only (no background
 * processes, which other users of a shared server also drive), per payment; and the same for
 * validation alone (validateFile), so that the storage path is the difference.
 *
 *   node --import tsx bench/realtime-burst.ts [PAYMENTS=6000] [BURST=50] [journal=on|off|both]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { Engine } from '../switch/engine/engine.ts';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';
import { validateFile } from '../switch/validation/pipeline.ts';
import { benchBanks, benchScheme, freshSchema, settlementDate, SingleMessages } from './engine.ts';

const payments = Number(process.argv[2] ?? 6000);
const burst = Number(process.argv[3] ?? 50);
const journal = process.argv[4] ?? 'both';

function backendCpuS(pids: Iterable<number>): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch { /* gone */ }
  }
  return total;
}

function nodeS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const banks = benchBanks(20);
const messages = new SingleMessages(banks, settlementDate());
const xsd = new XsdValidator();

async function validationOnly(n: number): Promise<number> {
  const before = nodeS();
  for (let done = 0; done < n; done += burst) {
    await Promise.all(Array.from({ length: Math.min(burst, n - done) }, () => validateFile(messages.next().bytes, { xsd })));
  }
  return (nodeS() - before) * 1000 / n;
}

async function step(journalOn: boolean): Promise<Record<string, unknown>> {
  const schema = await freshSchema('bench_burst');
  const engine = await Engine.open({ config: benchScheme(banks), databaseUrl: schema.url, xsd });
  const admin = new pg.Client({ connectionString: schema.url.replace(/application_name=[^&]*/, 'application_name=burst_admin') });
  await admin.connect();
  try {
    if (!journalOn) {
      const triggers = await admin.query<{ tgname: string; relname: string }>(
        `SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND t.tgname LIKE '%journal%' AND c.relname <> 'journal'`);
      for (const t of triggers.rows) await admin.query(`ALTER TABLE ${t.relname} DISABLE TRIGGER ${t.tgname}`);
    }
    const warm = 600;
    for (let done = 0; done < warm; done += burst) await Promise.all(Array.from({ length: burst }, () => engine.submit(messages.next())));
    const pids = new Set((await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [schema.applicationName])).rows.map((r) => r.pid));
    const groupsBefore = engine.realtimeGroups();
    const n0 = nodeS();
    const p0 = backendCpuS(pids);
    const t0 = performance.now();
    let accepted = 0;
    for (let done = 0; done < payments; done += burst) {
      const results = await Promise.all(Array.from({ length: burst }, () => engine.submit(messages.next())));
      accepted += results.filter((r) => r.status === 'ACCP').length;
    }
    const wall = performance.now() - t0;
    const more = (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [schema.applicationName])).rows;
    const newPids = more.map((r) => r.pid).filter((p) => !pids.has(p));
    const groups = engine.realtimeGroups();
    return {
      journal: journalOn ? 'on' : 'off', payments, accepted, burst,
      'group mean': Math.round((groups.members - groupsBefore.members) / Math.max(1, groups.groups - groupsBefore.groups) * 10) / 10,
      'node ms/pay': Math.round((nodeS() - n0) * 1000 / payments * 1000) / 1000,
      'pg ms/pay': Math.round((backendCpuS(pids) - p0) * 1000 / payments * 1000) / 1000,
      'pay/s': Math.round(payments / wall * 1000), newBackends: newPids.length,
    };
  } finally {
    await admin.end();
    await engine.close();
    if (process.env.KEEP) console.log(`kept schema ${schema.applicationName}`);
    else await schema.drop();
  }
}

try {
  await validationOnly(1000);
  const rows: Record<string, unknown>[] = [];
  const v = await validationOnly(payments);
  const order = journal === 'both' ? [true, false, true, false] : [journal === 'on'];
  for (const on of order) rows.push(await step(on));
  console.log(`validation alone: node ${v.toFixed(3)} ms/payment; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.table(rows);
} finally {
  await xsd.close();
}
