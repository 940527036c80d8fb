/**
 * Payee directory load and verification latency (docs/risk.md, "Payee verification"), by hand:
 *
 *   node --import tsx bench/payee-directory.ts [ACCOUNTS] [--postgres]
 *
 * Generates a directory file of ACCOUNTS (default 100,000) valid IBANs and names, loads it through
 * the engine (parse, one transaction), then times directory answers to acmt.023s (intake to the
 * acmt.024 queued). Prints the load time, the process's peak RSS and the verification latencies. On
 * PGlite in memory, or a fresh schema of TEST_DATABASE_URL with --postgres.
 */
import { resourceUsage } from 'node:process';
import { performance } from 'node:perf_hooks';
import { friendlyFormatIBAN } from 'ibantools';
import { Engine } from '../switch/engine/engine.ts';
import { askPayee } from '../switch/demo/payee.ts';
import { freshPostgresUrl, schemeConfig, TestClock } from '../test/engine/support.ts';

const count = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
const postgres = process.argv.includes('--postgres');

/** A valid German IBAN for account number n (bank code 37040044). */
function iban(n: number): string {
  const bban = `37040044${n.toString().padStart(10, '0')}`;
  const numeric = BigInt(`${bban}131400`); // D=13 E=14, check digits 00
  const check = (98n - (numeric % 97n)).toString().padStart(2, '0');
  return `DE${check}${bban}`;
}

const lines = ['account,name'];
for (let n = 0; n < count; n++) lines.push(`${n % 2 === 0 ? friendlyFormatIBAN(iban(n)) : iban(n)},"Holder ${n}, Jana"`);
const text = lines.join('\n') + '\n';
const engine = await Engine.open({ config: schemeConfig(), clock: new TestClock(), ...(postgres ? { databaseUrl: await freshPostgresUrl() } : {}) });
try {
  const started = performance.now();
  const loaded = await engine.loadPayeeDirectory('BANKFRPPXXX', text, 'csv', { actor: 'bench', reason: 'payee directory bench' });
  const loadMs = performance.now() - started;
  console.log(`${postgres ? 'PostgreSQL' : 'PGlite'}: ${loaded.entries} accounts (${(text.length / 2 ** 20).toFixed(1)} MiB) loaded in ${(loadMs / 1000).toFixed(1)} s; ` +
    `peak RSS ${(resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  const latencies: number[] = [];
  for (let k = 0; k < 200; k++) {
    const n = Math.floor((k * 7919) % count);
    const t0 = performance.now();
    const result = await askPayee(engine, { payer: 'BANKDEFFXXX', payeeBank: 'BANKFRPPXXX', messageId: `BENCH-${k}`, verificationId: `V${k}`,
      name: k % 2 === 0 ? `Jana Holder ${n}` : 'Someone Else', iban: iban(n) });
    latencies.push(performance.now() - t0);
    if (result.status !== 'ACCP') throw new Error(`verification ${k}: ${result.status}`);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number): string => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  console.log(`directory answers (acmt.023 in, acmt.024 queued), 200 sequential: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`);
} finally {
  await engine.close();
}
