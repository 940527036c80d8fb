/**
 * Operator commands about deliveries given up (switch/engine/deliveries.ts, docs/connectors.md):
 *
 *   clearhouse dead-letters [list]        FAILED outbox rows and queue jobs BullMQ gave up on, newest first (reads only)
 *   clearhouse dead-letters retry ID|--all --operator N --reason R
 *                                         FAILED outbox rows back to PENDING (recorded first); the next
 *                                         dispatch pass of any serve delivers them
 *
 * Exit codes: 0 listed (even when there are some: they are a to-do for operators, not a failure of
 * the command) or retried, 2 usage or configuration error, or nothing to retry.
 */
import type { Command } from 'commander';
import { deadLetterLimits } from '../store/dead-letters.ts';
import { RegisterChangeError } from '../engine/engine.ts';
import { OperatorActionError } from '../engine/operator-actions.ts';
import type { FailedDelivery } from '../engine/deliveries.ts';
import { openReadOnly, print, withEngine } from './clearing.ts';

interface DeadLettersOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly limit?: string;
  readonly all?: boolean;
  readonly operator?: string;
  readonly reason?: string;
}

export function registerOperationsCommands(program: Command): void {
  program
    .command('dead-letters')
    .description('deliveries given up (FAILED outbox rows, dead queue jobs): list (default), or retry ID|--all')
    .argument('[action]', 'list | retry', 'list')
    .argument('[id]', 'retry: the id `list` shows (outbox:N)')
    .option('--all', 'retry: every FAILED outbox row')
    .option('--operator <name>', 'retry: who (recorded)')
    .option('--reason <text>', 'retry: why (recorded)')
    .option('--config <file>', 'scheme configuration (for the embedded store when DATABASE_URL is not set)')
    .option('--limit <n>', 'most rows to show', String(deadLetterLimits.listCountMax))
    .option('--json', 'print JSON')
    .action(async (action: string, id: string | undefined, options: DeadLettersOptions) => {
      process.exitCode = action === 'retry' ? await retryCommand(id, options)
        : action === 'list' ? await listCommand(options)
          : usage(`unknown action ${action} (list, retry)`);
    });
}

function usage(message: string): number {
  process.stderr.write(`clearhouse dead-letters: ${message}\n`);
  return 2;
}

function listCommand(options: DeadLettersOptions): Promise<number> {
  const limit = Number(options.limit ?? deadLetterLimits.listCountMax);
  if (!Number.isSafeInteger(limit) || limit < 1) return Promise.resolve(usage('--limit takes a positive integer'));
  return withEngine(options, async (engine) => {
    const failed = await engine.failedDeliveries({ limit });
    print(options, failed.map(asJson), asText(failed));
    return 0;
  }, openReadOnly);
}

function retryCommand(id: string | undefined, options: DeadLettersOptions): Promise<number> {
  if (!options.operator || !options.reason) return Promise.resolve(usage('retry needs --operator NAME and --reason TEXT (recorded)'));
  const match = id === undefined ? null : /^(?:outbox:)?(\d+)$/.exec(id);
  if (options.all === (id !== undefined)) return Promise.resolve(usage('retry takes one id (outbox:N) or --all'));
  if (id !== undefined && !match) {
    return Promise.resolve(usage(`${id}: only FAILED outbox rows (outbox:N) are retried here; a dead queue job is retried in its queue (docs/connectors.md)`));
  }
  return withEngine(options, async (engine) => {
    try {
      const ids = await engine.retryFailedDeliveries(match ? BigInt(match[1]!) : 'all', { actor: options.operator!, reason: options.reason! });
      print(options, { retried: ids.map(String) }, `${ids.length} delivery(ies) due again: ${ids.map((i) => `outbox:${i}`).join(', ')}\n`);
      return 0;
    } catch (error) {
      if (error instanceof RegisterChangeError || error instanceof OperatorActionError) return usage(error.message);
      throw error;
    }
  });
}

function asJson(f: FailedDelivery) {
  return { ...f, outboxId: f.outboxId?.toString(), failedAt: f.failedAt.toISOString() };
}

function asText(failed: readonly FailedDelivery[]): string {
  if (failed.length === 0) return 'no failed deliveries\n';
  const queued = failed.filter((f) => f.kind === 'queue').length;
  return `${failed.length} failed delivery(ies), newest first: ${failed.length - queued} FAILED outbox row(s), ${queued} dead letter(s) of the queues\n` +
    failed.map((f) =>
      `  ${f.id.padEnd(12)} ${f.failedAt.toISOString()}  to ${f.participant}  ${f.queue ?? ''} ${f.fileName ?? f.messageId ?? ''}  ${f.attempts} attempt(s)\n` +
    `      ${(f.lastError ?? '').split('\n')[0]}\n`).join('');
}
