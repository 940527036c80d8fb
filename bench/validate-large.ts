/** Validates one file and prints {ms, status, maxRssMB, transactions} as JSON (run as a child process). */
import { readFileSync } from 'node:fs';
import { validateFile } from '../switch/validation/pipeline.ts';
import { XsdValidator } from '../switch/validation/xsd-pool.ts';

const xsd = new XsdValidator();
const bytes = readFileSync(process.argv[2]!);
const started = performance.now();
const report = await validateFile(bytes, { xsd });
const ms = performance.now() - started;
await xsd.close();
if (report.status !== 'ACCP') console.error(JSON.stringify(report.findings.slice(0, 3)));
console.log(JSON.stringify({ ms, status: report.status, transactions: report.transactionCount,
  maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
