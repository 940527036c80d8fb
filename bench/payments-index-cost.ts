/**
 * What each index of payments costs a batch payment (issue 15, decision 90): `node --import tsx
 * bench/payments-index-cost.ts SCHEMA [ROUNDS] [VARIANTS-JSON]`, SCHEMA a schema left by `KEEP=1 node
 * --import tsx bench/intake-only.ts 20` (200,000 payments). Copies its payments once into stage_p, then per
 * round and variant (alternating) makes an empty table like payments (fillfactor 50, no triggers) with
 * the variant's indexes and inserts the staged rows one message (10,000) per statement, printing the
 * backend's CPU seconds (/proc) and the WAL the inserts wrote (EXPLAIN (ANALYZE, WAL)). Same server,
 * same minutes: comparable on a loaded machine. Investigation only.
 */
import pg from 'pg';
import { readFileSync } from 'node:fs';
const S = process.argv[2]!;
const rounds = Number(process.argv[3] ?? 2);
const c = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
await c.connect();
await c.query(`SET search_path = ${S}`);
const pid = (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p;
const ticks = (): number => { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
await c.query(`CREATE TABLE IF NOT EXISTS stage_p AS SELECT * FROM payments`);
const msgs = (await c.query('SELECT DISTINCT message_id FROM stage_p ORDER BY 1')).rows.map((r) => r.message_id);
const cols = (await c.query(`SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'payments'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`)).rows[0].c;
const ALL: Record<string, string> = {
  pkey: 'ALTER TABLE x ADD PRIMARY KEY (id)',
  msgidx: 'ALTER TABLE x ADD UNIQUE (message_id, transaction_index)',
  bytx: 'CREATE INDEX ON x (instructing_agent, transaction_id)',
  uetr: 'CREATE INDEX ON x (uetr) WHERE uetr IS NOT NULL',
  cycle: 'CREATE INDEX ON x (cycle_id, mode)',
  settled: 'CREATE INDEX ON x (cycle_id, id)',
  uetrC: 'CREATE INDEX ON x (uetr COLLATE "C") WHERE uetr IS NOT NULL',
  uetrHash: 'CREATE INDEX ON x USING hash (uetr) WHERE uetr IS NOT NULL',
  bytxC: 'CREATE INDEX ON x (instructing_agent COLLATE "C", transaction_id COLLATE "C")',
  cycleId: 'CREATE INDEX ON x (cycle_id, mode, id)',
};
const variants: Record<string, string[]> = JSON.parse(process.argv[4] ?? 'null') ?? {
  all: Object.keys(ALL), heap: [], 'no-msgidx': Object.keys(ALL).filter((k) => k !== 'msgidx'),
  'no-settled': Object.keys(ALL).filter((k) => k !== 'settled'), 'no-cycle': Object.keys(ALL).filter((k) => k !== 'cycle'),
  'no-uetr': Object.keys(ALL).filter((k) => k !== 'uetr'), 'no-bytx': Object.keys(ALL).filter((k) => k !== 'bytx'),
};
const results: Record<string, { cpu: number[]; wal: number[]; rec: number[]; fpi: number[] }> = {};
for (let r = 0; r < rounds; r++) {
  for (const [name, idx] of Object.entries(variants)) {
    await c.query('DROP TABLE IF EXISTS x');
    await c.query(`CREATE TABLE x (LIKE payments INCLUDING DEFAULTS INCLUDING GENERATED) WITH (fillfactor = 50)`);
    for (const k of idx) await c.query(ALL[k]!);
    await c.query('CHECKPOINT');
    let cpu = 0, wal = 0, rec = 0, fpi = 0;
    for (const m of msgs) {
      const t = ticks();
      const res = await c.query(`EXPLAIN (ANALYZE, WAL, FORMAT JSON) INSERT INTO x (${cols}) SELECT ${cols} FROM stage_p WHERE message_id = ${m} ORDER BY id`);
      cpu += ticks() - t;
      const plan = res.rows[0]['QUERY PLAN'][0].Plan;
      wal += plan['WAL Bytes']; rec += plan['WAL Records']; fpi += plan['WAL FPI'];
    }
    (results[name] ??= { cpu: [], wal: [], rec: [], fpi: [] });
    results[name].cpu.push(+cpu.toFixed(2)); results[name].wal.push(Math.round(wal / 1e6)); results[name].rec.push(rec); results[name].fpi.push(fpi);
    console.log(name, r, cpu.toFixed(2), 'cpu s', (wal / 1e6).toFixed(1), 'MB WAL', rec, 'records', fpi, 'fpi');
  }
}
console.log(JSON.stringify(results));
await c.query('DROP TABLE IF EXISTS x');
await c.end();
