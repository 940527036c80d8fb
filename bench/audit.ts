/**
 * `npm run bench -- --only audit`: what the audit journal costs (docs/audit.md, decision 70). In one
 * run, on PostgreSQL, the same work with the journal's triggers on and off, alternated (on, off, off,
 * on, after a warm-up of each) so that the machine's load falls on both alike:
 *   batch:     bulk files submitted (2 in flight), cycle cut off, netted, settled, bulk files delivered;
 *   real-time: single INST pacs.008, closed loop with 16 in flight (reserved and forwarded);
 * and the sealer's rate over the batch run's journal (its hashing is off the payments' path).
 * Besides throughput, each run's CPU time per payment: this Node process plus the PostgreSQL backends
 * of its own sessions (by application_name, as bench/engine.ts) and the server's background processes,
 * which on a machine shared with other work is steadier than throughput.
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryMailboxes } from '../connectors/directory.ts';
import { AUDITED_TABLES, seal } from '../switch/audit/index.ts';
import { bulkCreditTransfer } from '../switch/demo/generate.ts';
import { SettlementAgentSimulator } from '../switch/demo/simulators.ts';
import { Engine } from '../switch/engine/engine.ts';
import { build } from '../switch/iso/messages/pacs.008.001.08/index.ts';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';
import { benchBanks, benchScheme, CpuMeter, freshSchema, settlementDate, SingleMessages } from './engine.ts';
import type { Row } from './validation.ts';

const encoder = new TextEncoder();

interface Shape { readonly files: number; readonly perFile: number; readonly realtime: number; readonly rounds: number }
export const AUDIT_FULL: Shape = { files: 8, perFile: 1_500, realtime: 2_000, rounds: 2 };
export const AUDIT_QUICK: Shape = { files: 4, perFile: 500, realtime: 600, rounds: 1 };

async function journalOff(engine: Engine): Promise<void> {
  for (const t of AUDITED_TABLES) {
    for (const e of ['insert', 'update', 'delete']) await engine.storeForTests().query(`ALTER TABLE ${t.name} DISABLE TRIGGER ${t.name}_journal_${e}`);
  }
}

interface Run { readonly ms: number; readonly cpuMs: number }

/** CPU ms (node + PostgreSQL, unrounded) of a lap; PostgreSQL counts 0 where it cannot be measured. */
function cpuMs(lap: { exact: { nodeCpuS: number; postgresCpuS: number | null } }): number {
  return (lap.exact.nodeCpuS + (lap.exact.postgresCpuS ?? 0)) * 1000;
}

async function batchRun(journal: boolean, shape: Shape, xsd: XsdValidator):
  Promise<Run & { entries: number; sealMs: number }> {
  const banks = benchBanks(shape.files);
  const date = settlementDate();
  const files = banks.map((bank, i) => encoder.encode(build(bulkCreditTransfer({
    seed: 500 + i, sender: bank, receivers: banks.filter((b) => b !== bank), transactionCount: shape.perFile, settlementDate: date,
    createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), messageId: `${bank.bic.slice(0, 8)}-AUDIT-${i}`,
  }))));
  const schema = await freshSchema('bench_audit');
  const engine = await Engine.open({ config: benchScheme(banks), databaseUrl: schema.url, xsd });
  try {
    if (!journal) await journalOff(engine);
    const mailboxes = new DirectoryMailboxes(mkdtempSync(join(tmpdir(), 'clearhouse-bench-audit-')));
    const agent = new SettlementAgentSimulator(engine, mailboxes, 'MARKDEFFXXX');
    const dispatchAll = async (): Promise<void> => { while (await engine.dispatch((m) => mailboxes.deliver(m)) > 0) { /* until empty */ } };
    const meter = await CpuMeter.start(schema.applicationName);
    const started = performance.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < files.length) {
        const i = next++;
        const result = await engine.submit({ bytes: files[i]!, sender: banks[i]!.bic });
        if (result.status !== 'ACCP') throw new Error(`bench file ${i}: ${result.status}`);
      }
    };
    await Promise.all([lane(), lane()]);
    if (await engine.closeCycle() === undefined) throw new Error('no cycle');
    await dispatchAll();
    for (let round = 0; round < 5 && (await agent.answerAll()) > 0; round++) await dispatchAll();
    const ms = performance.now() - started;
    const cpu = cpuMs(meter.lap());
    meter.stop();
    const sealStart = performance.now();
    const sealed = journal ? await seal(engine.storeForTests()) : { sealed: 0 };
    return { ms, cpuMs: cpu, entries: sealed.sealed, sealMs: performance.now() - sealStart };
  } finally {
    await engine.close();
    await schema.drop();
  }
}

async function realtimeRun(journal: boolean, count: number, xsd: XsdValidator): Promise<Run> {
  const banks = benchBanks(10);
  const messages = new SingleMessages(banks, settlementDate(), 200);
  const load = Array.from({ length: count }, () => messages.next());
  const warm = Array.from({ length: 200 }, () => messages.next());
  const schema = await freshSchema('bench_audit_rt');
  const engine = await Engine.open({ config: benchScheme(banks), databaseUrl: schema.url, xsd });
  try {
    if (!journal) await journalOff(engine);
    let w = 0;
    await Promise.all(Array.from({ length: 16 }, async () => { while (w < warm.length) await engine.submit(warm[w++]!); }));
    let n = 0;
    const meter = await CpuMeter.start(schema.applicationName);
    const started = performance.now();
    await Promise.all(Array.from({ length: 16 }, async () => { while (n < load.length) await engine.submit(load[n++]!); }));
    const ms = performance.now() - started;
    const cpu = cpuMs(meter.lap());
    meter.stop();
    return { ms, cpuMs: cpu };
  } finally {
    await engine.close();
    await schema.drop();
  }
}

export async function benchmarkAudit(quick: boolean): Promise<{ rows: Row[]; result: Record<string, unknown> }> {
  const shape = quick ? AUDIT_QUICK : AUDIT_FULL;
  const xsd = new XsdValidator();
  const batch: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const realtime: Record<'on' | 'off', number[]> = { on: [], off: [] };
  // CPU ms per payment (node + this run's PostgreSQL sessions and background processes).
  const batchCpu: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const realtimeCpu: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const sealing: { entries: number; perSecond: number }[] = [];
  try {
    // Warm-up, not measured, both ways (the first measured run used to carry Node's warm-up: its CPU
    // per payment was 60 % above the second round's).
    await batchRun(true, AUDIT_QUICK, xsd);
    await batchRun(false, AUDIT_QUICK, xsd);
    await realtimeRun(true, 200, xsd);
    for (let r = 0; r < shape.rounds; r++) {
      // on, off, then off, on: a drift in the machine's load falls on both alike.
      for (const mode of r % 2 === 0 ? ['on', 'off'] as const : ['off', 'on'] as const) {
        const b = await batchRun(mode === 'on', shape, xsd);
        batch[mode].push((shape.files * shape.perFile) / (b.ms / 1000));
        batchCpu[mode].push(b.cpuMs / (shape.files * shape.perFile));
        if (mode === 'on') sealing.push({ entries: b.entries, perSecond: Math.round(b.entries / (b.sealMs / 1000)) });
        const rt = await realtimeRun(mode === 'on', shape.realtime, xsd);
        realtime[mode].push(shape.realtime / (rt.ms / 1000));
        realtimeCpu[mode].push(rt.cpuMs / shape.realtime);
      }
    }
  } finally {
    await xsd.close();
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const cost = (on: number[], off: number[]): string => `${(100 * (1 - mean(on) / mean(off))).toFixed(1)} %`;
  // CPU cost: the extra CPU per payment with the journal on, as a share of the CPU per payment with it
  // on (1 − off/on: the throughput lost when CPU is the bottleneck, comparable with `cost`).
  const cpuCost = (on: number[], off: number[]): string => `${(100 * (1 - mean(off) / mean(on))).toFixed(1)} %`;
  const ms = (xs: number[]): string => xs.map((x) => x.toFixed(3)).join(' / ');
  const rows: Row[] = [
    { work: `batch: ${shape.files * shape.perFile} payments, ${shape.files} files, intake → settled`, 'journal on (pay/s)': batch.on.map(Math.round).join(' / '),
      'journal off (pay/s)': batch.off.map(Math.round).join(' / '), cost: cost(batch.on, batch.off),
      'CPU ms/payment on': ms(batchCpu.on), 'CPU ms/payment off': ms(batchCpu.off), 'CPU cost': cpuCost(batchCpu.on, batchCpu.off) },
    { work: `real-time: ${shape.realtime} single INST, 16 in flight`, 'journal on (pay/s)': realtime.on.map(Math.round).join(' / '),
      'journal off (pay/s)': realtime.off.map(Math.round).join(' / '), cost: cost(realtime.on, realtime.off),
      'CPU ms/payment on': ms(realtimeCpu.on), 'CPU ms/payment off': ms(realtimeCpu.off), 'CPU cost': cpuCost(realtimeCpu.on, realtimeCpu.off) },
    { work: 'sealer (after each batch run)', 'journal on (pay/s)': sealing.map((s) => `${s.entries} entries at ${s.perSecond}/s`).join(' / '), 'journal off (pay/s)': '', cost: '' },
  ];
  return { rows, result: { shape, batch, realtime, sealing, batchCost: cost(batch.on, batch.off), realtimeCost: cost(realtime.on, realtime.off),
    batchCpuMsPerPayment: batchCpu, realtimeCpuMsPerPayment: realtimeCpu,
    batchCpuCost: cpuCost(batchCpu.on, batchCpu.off), realtimeCpuCost: cpuCost(realtimeCpu.on, realtimeCpu.off) } };
}
