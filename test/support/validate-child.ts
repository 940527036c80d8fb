/**
 * Validates one file (argv[2]) in this process and prints, as one JSON line, the outcome and the
 * process's peak resident memory (maxRSS, in bytes): test/validation/memory.test.ts runs it as a child
 * so that nothing else shares the measured heap.
 */
import { readFileSync } from 'node:fs';
import { validateFile } from '../../switch/validation/pipeline.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';

const xsd = new XsdValidator();
const report = await validateFile(readFileSync(process.argv[2]!), { xsd });
await xsd.close();
console.log(JSON.stringify({
  status: report.status, findings: report.findings.length, findingsDropped: report.findingsDropped,
  codes: [...new Set(report.findings.map((f) => f.code))], maxRssBytes: process.resourceUsage().maxRSS * 1024,
}));
