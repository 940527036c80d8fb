/** Investigation: PostgreSQL backend CPU per statement kind (PGSQLCPU=1), read from /proc/<backend>/stat around each query. */
import { readFileSync } from 'node:fs';
import pg from 'pg';

const totals = new Map<string, { cpu: number; ms: number; n: number }>();
function ticks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return NaN; }
}
export function installSqlCpu(): () => void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown; copyFrom?: unknown };
  const original = proto.query;
  proto.query = function (this: { processID?: number }, ...args: unknown[]): unknown {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
    const pid = this.processID;
    const before = pid ? ticks(pid) : NaN;
    const started = performance.now();
    const result = original.apply(this, args);
    const key = (text ?? (args[0] as { constructor: { name: string } })?.constructor?.name ?? '?').replace(/\s+/g, ' ').trim().slice(0, 100);
    const done = (): void => {
      const e = totals.get(key) ?? { cpu: 0, ms: 0, n: 0 };
      e.cpu += pid ? ticks(pid) - before : 0; e.ms += performance.now() - started; e.n++;
      totals.set(key, e);
    };
    if (result instanceof Promise) return result.finally(done);
    const r = result as { on?: (ev: string, cb: () => void) => void } | undefined;
    r?.on?.('finish', done);
    return result;
  };
  return () => {
    for (const [k, { cpu, ms, n }] of [...totals].sort((a, b) => b[1].cpu - a[1].cpu).slice(0, 20)) {
      console.error(`${cpu.toFixed(2).padStart(7)} cpu s ${ms.toFixed(0).padStart(7)} ms ${String(n).padStart(6)}  ${k}`);
    }
  };
}
