/**
 * `npm run bench`: every benchmark of the repository, printed as tables and written to
 * .bench/results.json. Options: --quick (smaller, for a smoke run), --only validation.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchmarkFiles, benchmarkLarge, benchmarkSingles } from './validation.ts';

const quick = process.argv.includes('--quick');
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
console.log(`clearhouse benchmarks — ${new Date().toISOString()} — ${machine}\n`);

console.log('Validation of pacs.008 files (median of repeated runs; native xmllint measured in this run):');
const files = await benchmarkFiles();
console.table(files);

console.log(`Single-transaction messages, ${quick ? 3 : 10} s sustained:`);
const singles = await benchmarkSingles(quick ? 3 : 10);
console.table([singles]);

const largeCount = quick ? 20_000 : 100_000;
console.log(`A ${largeCount}-transaction file in a child process (peak resident memory):`);
const large = benchmarkLarge(largeCount);
console.table([large]);

mkdirSync('.bench', { recursive: true });
writeFileSync('.bench/results.json', JSON.stringify({ when: new Date().toISOString(), machine, files, singles, large }, null, 2));
