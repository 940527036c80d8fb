/**
 * Operator commands about the transport: `clearhouse dead-letters` lists the queue jobs BullMQ gave
 * up on (connectors/dead-letters.ts, docs/connectors.md). Exit codes: 0 listed (even when there are
 * some: they are a to-do for operators, not a failure of the command), 2 usage or configuration error.
 *
 * Store: PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite in <dataDirectory>/db of
 * the scheme configuration (stop `serve` first, as for every command on the embedded store).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { openDatabase, type Database } from '../store/database.ts';
import { migrate } from '../store/migrate.ts';
import { checkDatabaseUrl, databaseOpenFailure } from './errors.ts';
import { deadLetterLimits, listDeadLetters, type DeadLetter } from '../store/dead-letters.ts';

const defaultConfig = join(fileURLToPath(import.meta.url), '..', '..', '..', 'config', 'demo-scheme.json');

interface DeadLettersOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly limit?: string;
}

export function registerOperationsCommands(program: Command): void {
  program
    .command('dead-letters')
    .description('queue jobs whose delivery was given up (attempts exhausted, corrupt payload, stalled too often), newest first')
    .option('--config <file>', 'scheme configuration (for the embedded store when DATABASE_URL is not set)')
    .option('--limit <n>', 'most rows to show', String(deadLetterLimits.listCountMax))
    .option('--json', 'print JSON')
    .action(async (options: DeadLettersOptions) => {
      process.exitCode = await deadLettersCommand(options);
    });
}

async function deadLettersCommand(options: DeadLettersOptions): Promise<number> {
  const limit = Number(options.limit ?? deadLetterLimits.listCountMax);
  if (!Number.isSafeInteger(limit) || limit < 1) {
    process.stderr.write('clearhouse dead-letters: --limit takes a positive integer\n');
    return 2;
  }
  let db: Database;
  try {
    db = await openStore(options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`clearhouse: ${error.message}\n`);
    return 2;
  }
  try {
    const url = process.env.DATABASE_URL;
    await migrate(db).catch((error: unknown) => { throw url ? databaseOpenFailure(url, error) : error; });
    const letters = await listDeadLetters(db, { limit });
    process.stdout.write(options.json ? JSON.stringify(letters.map(asJson), null, 2) + '\n' : asText(letters));
    return 0;
  } finally {
    await db.close();
  }
}

function openStore(options: DeadLettersOptions): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (url) {
    checkDatabaseUrl(url);
    return openDatabase({ url, poolSize: 1 });
  }
  const config = loadConfig(options.config ?? (process.env.CLEARHOUSE_CONFIG || undefined) ?? defaultConfig);
  return openDatabase({ directory: join(config.dataDirectory, 'db') });
}

function asJson(letter: DeadLetter) {
  return { ...letter, id: letter.id.toString(), failedAt: letter.failedAt.toISOString(), recordedAt: letter.recordedAt.toISOString() };
}

function asText(letters: readonly DeadLetter[]): string {
  if (letters.length === 0) return 'no dead letters\n';
  return `${letters.length} dead letter(s), newest first:\n` + letters.map((l) =>
    `  ${l.failedAt.toISOString()}  ${l.queue}  ${l.fileName ?? `(job ${l.jobId})`}  ${l.attempts} attempt(s)\n` +
    `      ${(l.lastError ?? '').split('\n')[0]}\n`).join('');
}
