/**
 * XSD CPU of single messages: validateOne of a head.001 and then its pacs.008, PAIRS pairs at a time
 * (closed loop), for 1, 5 and 50 pairs at a time. Prints the process's CPU per pair (XSD worker threads
 * included) and each thread's CPU (from /proc, 10 ms ticks) so the lanes' workers can be told apart.
 *
 *   node --import tsx bench/xsd-lanes.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';

const fixture = (name: string): Uint8Array => readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url));
const pacs = fixture('pacs.008.001.08/valid-minimal.xml');
const head = fixture('head.001.001.02/valid-minimal.xml');
const xsd = new XsdValidator();
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

function threadsMs(): Map<string, number> {
  const out = new Map<string, number>();
  for (const task of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(task, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch { /* gone */ }
  }
  return out;
}

async function pairs(count: number, atOnce: number): Promise<number> {
  const before = cpuMs();
  for (let done = 0; done < count; done += atOnce) {
    await Promise.all(Array.from({ length: atOnce }, async () => {
      await xsd.validateOne('head.001.001.02', head);
      await xsd.validateOne('pacs.008.001.08', pacs);
    }));
  }
  return (cpuMs() - before) / count;
}

try {
  await pairs(500, 10);
  for (const atOnce of [1, 5, 50]) {
    const threads = threadsMs();
    const count = atOnce === 1 ? 300 : 2000;
    const perPair = await pairs(count, atOnce);
    const busy = [...threadsMs()].map(([t, ms]) => [t, ms - (threads.get(t) ?? 0)] as const).filter(([, ms]) => ms >= 20);
    console.log(`${atOnce} at a time: ${perPair.toFixed(3)} ms/pair; threads (ms per pair): ${busy.map(([t, ms]) => `${t} ${(ms / count).toFixed(3)}`).join(', ')}`);
  }
  console.log(`load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await xsd.close();
}
