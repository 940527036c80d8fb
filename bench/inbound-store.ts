/**
 * Storing an inbound file's bytes (issue 15, decision 91): `node --import tsx bench/inbound-store.ts [ROUNDS]`
 * stores the first cached 11 MB bench file (bench/engine.ts batch) ROUNDS times each way, alternating, on a
 * fresh migrated schema, each in a transaction rolled back: as before (INSERT with the bytes as a bind
 * parameter) and as intake does now (binary COPY, copyBinaryRow). Prints node's process CPU and the
 * backend's CPU (/proc) per file, in ms, and their medians. Investigation only.
 */
import { readFileSync } from 'node:fs';
import { openDatabase } from '../switch/store/database.ts';
import { copyBinaryRow } from '../switch/store/copy-binary.ts';
import { Engine } from '../switch/engine/engine.ts';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';
import { benchBanks, benchScheme, freshSchema } from './engine.ts';
const schema = await freshSchema('bench_inbound');
const xsd = new XsdValidator();
await (await Engine.open({ config: benchScheme(benchBanks(20)), databaseUrl: schema.url, xsd })).close();
await xsd.close();
const db = await openDatabase({ url: schema.url });
const bytes = readFileSync('.bench/engine/batch-10000-00.xml');
const pidOf = async (tx: { query: <R>(s: string) => Promise<R[]> }): Promise<number> => (await tx.query<{ p: number }>('SELECT pg_backend_pid() AS p'))[0]!.p;
const ticks = (pid: number): number => { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const res: Record<string, { node: number[]; pg: number[] }> = { bind: { node: [], pg: [] }, copy: { node: [], pg: [] } };
let n = 0;
for (let r = 0; r < Number(process.argv[2] ?? 8); r++) {
  for (const way of ['bind', 'copy'] as const) {
    await db.transaction(async (tx) => {
      const pid = await pidOf(tx);
      const sha = `x${n++}-${process.pid}`;
      const t0 = ticks(pid); const c0 = process.cpuUsage();
      if (way === 'bind') {
        await tx.query(`INSERT INTO messages (direction, participant, message_type, message_id, business_message_id, file_name, sha256, size_bytes, bytes, bytes_truncated)
          VALUES ('in', $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, ['BNKADEFFXXX', 'pacs.008.001.08', 'M', null, 'f.xml', sha, bytes.length, bytes, false]);
      } else {
        const [a] = await tx.query<{ id: string }>("SELECT nextval('messages_id_seq')::text AS id");
        await tx.copyFrom!(`COPY messages (id, direction, participant, message_type, message_id, business_message_id, file_name, sha256, size_bytes, bytes, bytes_truncated) FROM STDIN (FORMAT binary)`,
          copyBinaryRow([{ int8: BigInt(a!.id) }, 'in', 'BNKADEFFXXX', 'pacs.008.001.08', 'M', null, 'f.xml', sha, { int4: bytes.length }, bytes, false]));
      }
      const c = process.cpuUsage(c0);
      res[way]!.node.push((c.user + c.system) / 1000); res[way]!.pg.push((ticks(pid) - t0) * 1000);
      await tx.query('SET CONSTRAINTS ALL IMMEDIATE');
      throw Object.assign(new Error('rollback'), { rollback: true });
    }).catch((e: { rollback?: boolean }) => { if (!e.rollback) throw e; });
  }
}
const med = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const [k, v] of Object.entries(res)) console.log(k, 'node ms', v.node.map((x) => x.toFixed(0)).join(' '), 'median', med(v.node).toFixed(0), '| pg ms', v.pg.join(' '), 'median', med(v.pg));
await db.close();
await schema.drop();
