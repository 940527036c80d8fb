/**
 * Operator commands about settlement (docs/operations.md, "Resolving a partial settlement"):
 *
 *   clearhouse settlement resolve CYCLE --action reinstruct|unwind-defaulter|settled-elsewhere
 *                                       --operator NAME --reason TEXT
 *
 * resolves a PARTIALLY_SETTLED cycle;
 *
 *   clearhouse settlement query CYCLE --operator NAME --reason TEXT
 *
 * asks the settlement agent again (pacs.028) about the cycle's unanswered instructions; its reply is
 * processed like its first answer. Each is recorded in operator_actions (who, when, why) before it
 * takes effect. Exit codes: 0 done, 1 refused (the cycle does not exist or is not in the state the
 * command applies to; nothing recorded), 2 usage or configuration error.
 */
import type { Command } from 'commander';
import { OperatorActionError, checkOperatorAction } from '../engine/operator-actions.ts';
import { SETTLEMENT_RESOLUTIONS, SettlementResolutionError, type SettlementResolution } from '../engine/cycles/index.ts';
import { print, withEngine, type CommonOptions } from './clearing.ts';

interface ResolveOptions extends CommonOptions {
  readonly action?: string;
  readonly operator?: string;
  readonly reason?: string;
}

export function registerSettlementCommands(program: Command): void {
  const settlement = program.command('settlement').description('settlement with the settlement agent: resolve a partially settled cycle, re-query unanswered instructions');
  settlement
    .command('resolve')
    .description('resolve a PARTIALLY_SETTLED cycle: re-instruct, unwind the defaulter, or record settlement by other means')
    .argument('<cycle>', 'cycle id')
    .requiredOption('--action <action>', SETTLEMENT_RESOLUTIONS.join(' | '))
    .requiredOption('--operator <name>', 'who resolves it (recorded in operator_actions)')
    .requiredOption('--reason <text>', 'why (recorded in operator_actions)')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (cycle: string, options: ResolveOptions) => {
      process.exitCode = await resolveCommand(cycle, options);
    });
  settlement
    .command('query')
    .description("ask the settlement agent again (pacs.028) about a cycle's unanswered settlement instructions")
    .argument('<cycle>', 'cycle id')
    .requiredOption('--operator <name>', 'who asks (recorded in operator_actions)')
    .requiredOption('--reason <text>', 'why (recorded in operator_actions)')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (cycle: string, options: ResolveOptions) => {
      process.exitCode = await queryCommand(cycle, options);
    });
}

async function queryCommand(cycle: string, options: ResolveOptions): Promise<number> {
  if (!/^[1-9][0-9]{0,17}$/.test(cycle)) return usage(`${JSON.stringify(cycle)} is not a cycle id`, 'query');
  try {
    checkOperatorAction({ actor: options.operator ?? '', action: 'settlement.query', subject: `cycle ${cycle}`, reason: options.reason ?? '' });
  } catch (error) {
    if (error instanceof OperatorActionError) return usage(error.message, 'query');
    throw error;
  }
  return withEngine(options, async (engine) => {
    try {
      const result = await engine.querySettlement(BigInt(cycle), { actor: options.operator!, reason: options.reason! });
      print(options, { cycle, queried: result.queried, operatorAction: result.actionId },
        `cycle ${cycle}: ${result.queried} unanswered instruction(s) queried with pacs.028 (operator action ${result.actionId})\n`);
      return 0;
    } catch (error) {
      if (error instanceof SettlementResolutionError) {
        process.stderr.write(`clearhouse settlement query: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  });
}

async function resolveCommand(cycle: string, options: ResolveOptions): Promise<number> {
  if (!/^[1-9][0-9]{0,17}$/.test(cycle)) return usage(`${JSON.stringify(cycle)} is not a cycle id`);
  const action = options.action as SettlementResolution;
  if (!SETTLEMENT_RESOLUTIONS.includes(action)) return usage(`--action takes ${SETTLEMENT_RESOLUTIONS.join(', ')}`);
  try {
    checkOperatorAction({ actor: options.operator ?? '', action: 'settlement.resolve', subject: `cycle ${cycle}`, reason: options.reason ?? '' });
  } catch (error) {
    if (error instanceof OperatorActionError) return usage(error.message);
    throw error;
  }
  return withEngine(options, async (engine) => {
    try {
      const result = await engine.resolveSettlement(BigInt(cycle), action, { actor: options.operator!, reason: options.reason! });
      print(options, { cycle, action, state: result.state, operatorAction: result.actionId },
        `cycle ${cycle}: ${action} (operator action ${result.actionId}); cycle now ${result.state}\n`);
      return 0;
    } catch (error) {
      if (error instanceof SettlementResolutionError) {
        process.stderr.write(`clearhouse settlement resolve: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  });
}

function usage(message: string, command = 'resolve'): number {
  process.stderr.write(`clearhouse settlement ${command}: ${message}\n`);
  return 2;
}
