/**
 * `clearhouse validate FILE... [--json] [--config FILE] [--sender BIC] [--business-date D]`
 * The JSON shape is documented in docs/validation.md.
 */
import { createProgress } from './progress.ts';
import { basename } from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config.ts';
import { directoryFromConfig, type SchemeDirectory } from '../validation/directory.ts';
import { validateFile, type FileReport } from '../validation/pipeline.ts';
import { XsdValidator } from '../validation/xsd-pool.ts';
import { limits } from '../limits.ts';
import { REASON } from '../iso/reason-codes.ts';

export interface ValidateCommandOptions {
  readonly json?: boolean;
  readonly config?: string;
  readonly sender?: string;
  readonly businessDate?: string;
}

export interface FileResult extends FileReport {
  readonly file: string;
}

/** A file at least this large is shown as a step of its own on a terminal (smaller ones only count). */
const PROGRESS_FILE_BYTES_MIN = 1_048_576;

export async function validateCommand(files: string[], options: ValidateCommandOptions): Promise<number> {
  let directory: SchemeDirectory | undefined;
  if (options.config) {
    try {
      directory = directoryFromConfig(loadConfig(options.config));
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`clearhouse validate: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
  }
  if (options.businessDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.businessDate)) {
    process.stderr.write('clearhouse validate: --business-date must be YYYY-MM-DD\n');
    return 2;
  }
  const xsd = new XsdValidator();
  const results: FileResult[] = [];
  // On a terminal (stderr): a large file is a step with its timing, many files a counter (docs/operations.md "Progress").
  const progress = createProgress();
  const count = files.length > 1 ? progress.counter('validating', files.length, 'files') : undefined;
  try {
    for (const file of files) {
      let bytes: Uint8Array;
      try {
        // The size limit applies before the file is read into memory.
        const size = statSync(file).size;
        if (size > limits.fileSizeBytesMax) {
          results.push(tooLarge(file, size));
          continue;
        }
        bytes = readFileSync(file);
      } catch (error) {
        process.stderr.write(`clearhouse validate: cannot read ${file}: ${(error as Error).message}\n`);
        return 2;
      }
      const validate = () => validateFile(bytes, { xsd, directory, sender: options.sender, businessDate: options.businessDate });
      const report = bytes.length >= PROGRESS_FILE_BYTES_MIN
        ? await progress.step(`${basename(file)} (${(bytes.length / 1_048_576).toFixed(1)} MB) validated`, validate)
        : await validate();
      results.push({ file, ...report });
      count?.add(1);
    }
    count?.done();
  } finally {
    await xsd.close();
  }
  if (options.json) {
    process.stdout.write(JSON.stringify({ files: results }, null, 2) + '\n');
  } else {
    for (const r of results) process.stdout.write(formatText(r));
  }
  return results.every((r) => r.status === 'ACCP') ? 0 : 1;
}

function tooLarge(file: string, size: number): FileResult {
  return {
    file, status: 'RJCT', findingsDropped: 0, transactionCount: 0, transactions: [],
    findings: [{ code: REASON.fileTooLarge, path: '/', message: `file is ${size} bytes; the limit is ${limits.fileSizeBytesMax} bytes` }],
  };
}

function formatText(r: FileResult): string {
  const kind = r.messageId ?? 'unidentified message';
  const rejectedTransactions = r.transactions.filter((t) => t.status === 'RJCT').length;
  const lines = [`${r.file}: ${r.status} ${kind}, ${r.transactionCount} transaction(s)` +
    (rejectedTransactions > 0 && r.status !== 'RJCT' ? `, ${rejectedTransactions} rejected` : '')];
  for (const f of r.findings) {
    lines.push(`  ${f.code} ${f.path}${f.line !== undefined ? ` (line ${f.line})` : ''}: ${f.message}`);
  }
  if (r.findingsDropped > 0) lines.push(`  ... and ${r.findingsDropped} more findings`);
  return lines.join('\n') + '\n';
}
