/**
 * An in-memory PGlite store opened and migrated from empty, against one opened from the tests' migrated
 * template (test/support/store-template.ts, decision 84), in one process, alternating: CPU seconds
 * (process.cpuUsage) min / median / max. Not a test: figures go to docs/performance.md "Test suite".
 * Run: `node --import tsx bench/store-open.ts [--rounds N]`.
 */
import { openDatabase } from '../switch/store/database.ts';
import { migrate } from '../switch/store/migrate.ts';
import { makeTemplate } from '../test/support/store-template.ts';

const roundsIndex = process.argv.indexOf('--rounds');
const rounds = roundsIndex >= 0 ? Number(process.argv[roundsIndex + 1]) : 6;
const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

async function main(): Promise<void> {
  let start = cpu();
  const warm = await openDatabase({});
  await migrate(warm);
  await warm.close();
  console.log(`first store of the process (modules, wasm compile): ${(cpu() - start).toFixed(2)} CPU s`);
  start = cpu();
  const template = await makeTemplate();
  console.log(`template made: ${(cpu() - start).toFixed(2)} CPU s, ${template.size} bytes`);
  const spent: Record<'empty' | 'template', number[]> = { empty: [], template: [] };
  for (let round = 0; round < rounds; round++) {
    for (const mode of round % 2 === 0 ? ['empty', 'template'] as const : ['template', 'empty'] as const) {
      const before = cpu();
      const db = await openDatabase(mode === 'template' ? { startFrom: template } : {});
      await migrate(db);
      await db.close();
      spent[mode].push(cpu() - before);
    }
  }
  for (const [mode, values] of Object.entries(spent)) {
    values.sort((a, b) => a - b);
    console.log(`${mode === 'empty' ? 'initdb + migrations' : 'from the template'}: ` +
      `${values[0]!.toFixed(2)} / ${values[Math.floor(values.length / 2)]!.toFixed(2)} / ${values.at(-1)!.toFixed(2)} CPU s (min / median / max)`);
  }
}

await main();
