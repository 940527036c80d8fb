/**
 * The payment flow of the API benchmark's dashboard part (bench/api.ts), in a child process: its own
 * engine on the benchmark's schema, real-time payments offered to engine.submit (the connectors' direct
 * path) at RATE a second for SECONDS, open loop. In a child so that the flow and the API server each
 * have an event loop, as in production where serve's API and the intake run side by side: the reads'
 * latency is then the server's and the store's, not a wait behind the generator's callbacks.
 *
 *   node --import tsx bench/api-flow.ts '{"url":"postgres://…","rate":1000,"seconds":30}'
 *
 * It prints `ready` once the engine is open and warm, starts on a line `go` on standard input, and
 * prints the outcome as one JSON line: { offered, accepted, achievedRate, seconds }.
 */
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from '../switch/engine/engine.ts';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';
import { benchBanks, benchScheme, settlementDate, SingleMessages } from './engine.ts';

export interface FlowResult {
  readonly offered: number;
  readonly accepted: number;
  readonly achievedRate: number;
  readonly seconds: number;
}

/** `rate` submissions a second for `seconds`, not waiting for answers (at most 2,000 in flight); what was accepted, per second of the run. */
export async function openLoop(rate: number, seconds: number, work: () => Promise<boolean>): Promise<FlowResult> {
  const total = rate * seconds;
  const interval = 1000 / rate;
  const pending = new Set<Promise<void>>();
  let accepted = 0;
  const start = performance.now() + 20;
  let last = start;
  await new Promise<void>((scheduled) => {
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        next++;
        if (pending.size >= 2_000) continue;
        const p: Promise<void> = work().then((ok) => { if (ok) accepted++; }, () => undefined).finally(() => {
          last = performance.now();
          pending.delete(p);
        });
        pending.add(p);
      }
      if (next < total) setTimeout(tick, Math.max(0, Math.min(4, start + next * interval - now)));
      else scheduled();
    };
    setTimeout(tick, 20);
  });
  await Promise.all([...pending]);
  const elapsed = (last - start) / 1000;
  return { offered: total, accepted, achievedRate: Math.round(accepted / elapsed), seconds: Math.round(elapsed * 10) / 10 };
}

async function main(): Promise<void> {
  const { url, rate, seconds } = JSON.parse(process.argv[2] ?? '{}') as { url: string; rate: number; seconds: number };
  const banks = benchBanks(20);
  const xsd = new XsdValidator();
  // The parent opened the schema and seeded the register: this engine only takes payments.
  const engine = await Engine.open({ config: benchScheme(banks), databaseUrl: url, xsd, seedRegister: false });
  try {
    // Numbered far from the parent's messages: a UETR the parent used would be refused as a duplicate.
    const messages = new SingleMessages(banks, settlementDate(), 400, 1_000_000_000);
    for (let i = 0; i < 100; i++) await engine.submit(messages.next());
    process.stdout.write('ready\n');
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) if (line.trim() === 'go') break;
    const result = await openLoop(rate, seconds, () => engine.submit(messages.next()).then((r) => r.status === 'ACCP'));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await engine.close();
    await xsd.close();
  }
}

if (process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) await main();
