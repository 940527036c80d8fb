// The risk stage's profiles look-up alone (docs/performance.md "s11-batchrisk", decision 101): PostgreSQL
// CPU of the server process (/proc/<pid>/stat) per call of 20,000 keys against 1,000,000 account profiles
// on a scratch schema (s11_batchrisk_p, dropped at the end), the join it replaced against the statement in
// switch/engine/risk.ts (read from the file), jit on and off, alternated; checks both return the same rows.
// `node bench/risk-profiles-lookup.mjs` from the repository root; DATABASE_URL as bench/risk-statements.ts.
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const c = new pg.Client({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
await c.connect();
const cpu = async () => { const pid = (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p; const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(x[11]) + Number(x[12])) * 10; };
await c.query('DROP SCHEMA IF EXISTS s11_batchrisk_p CASCADE; CREATE SCHEMA s11_batchrisk_p; SET search_path = s11_batchrisk_p');
await c.query(`CREATE TABLE risk_account_profiles (version_id bigint NOT NULL, account text NOT NULL, account_type text NOT NULL, risk_level text NOT NULL, customer text, line int NOT NULL, PRIMARY KEY (version_id, account));
CREATE TABLE risk_customer_profiles (version_id bigint NOT NULL, customer text NOT NULL, risk_level text NOT NULL, PRIMARY KEY (version_id, customer));
INSERT INTO risk_account_profiles SELECT 1, 'DE' || lpad(g::text, 20, '0'), 'personal', 'low', CASE WHEN g % 3 = 0 THEN 'C' || g END, g FROM generate_series(1, 1000000) g;
INSERT INTO risk_customer_profiles SELECT 1, 'C' || g, 'high' FROM generate_series(3, 1000000, 3) g; ANALYZE`);
const OLD = `SELECT 'a' AS t, k.p, k.k, ap.account_type, ap.risk_level, cp.risk_level AS customer_level
       FROM unnest($1::bigint[], $2::text[], $3::text[]) AS k(v, p, k)
       JOIN risk_account_profiles ap ON ap.version_id = k.v AND ap.account = k.k
       LEFT JOIN risk_customer_profiles cp ON cp.version_id = k.v AND cp.customer = ap.customer
     UNION ALL
     SELECT 'c', k.p, k.k, NULL, cp.risk_level, NULL
       FROM unnest($4::bigint[], $5::text[], $6::text[]) AS k(v, p, k)
       JOIN risk_customer_profiles cp ON cp.version_id = k.v AND cp.customer = k.k`;
const NEW = readFileSync(fileURLToPath(new URL('../switch/engine/risk.ts', import.meta.url)), 'utf8').match(/`(SELECT 'a' AS t[\s\S]*?)`/)[1];
const n = 20000;
const params = (i) => [Array(n).fill('1'), Array(n).fill('BANKDEFFXXX'), Array.from({ length: n }, (_, j) => 'DE' + String((j * 53 + i * 7) % 2000000).padStart(20, '0')), [], [], []];
const same = JSON.stringify((await c.query(OLD, params(0))).rows.sort((a, b) => a.k < b.k ? -1 : 1)) === JSON.stringify((await c.query(NEW, params(0))).rows.sort((a, b) => a.k < b.k ? -1 : 1));
console.log('same rows:', same, (await c.query(NEW, params(0))).rows.length);
for (const jit of ['on', 'off']) {
  await c.query(`SET jit = ${jit}`);
  for (let r = 0; r < 2; r++) for (const [name, sql] of [['old', OLD], ['new', NEW]]) {
    const t0 = await cpu(); for (let i = 1; i <= 5; i++) await c.query(sql, params(i)); const t1 = await cpu();
    console.log(`jit ${jit} ${name}: ${((t1 - t0) / 5).toFixed(0)} ms PostgreSQL CPU per call of ${n} keys (${((t1 - t0) / 5 / n * 1000).toFixed(1)} µs/key)`);
  }
}
await c.query('DROP SCHEMA s11_batchrisk_p CASCADE');
await c.end();
