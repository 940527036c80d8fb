/**
 * Operator commands about settlement (docs/operations.md, "Resolving a partial settlement"):
 *
 *   clearhouse settlement resolve CYCLE --action reinstruct|unwind-defaulter|settled-elsewhere
 *                                       --operator NAME --reason TEXT
 *
 * resolves a PARTIALLY_SETTLED cycle; the action is recorded in operator_actions (who, when, why)
 * before it takes effect. Exit codes: 0 resolved, 1 refused (the cycle does not exist or is not
 * PARTIALLY_SETTLED; nothing recorded), 2 usage or configuration error.
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
  const settlement = program.command('settlement').description('settlement with the settlement agent: resolve a partially settled cycle');
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

function usage(message: string): number {
  process.stderr.write(`clearhouse settlement resolve: ${message}\n`);
  return 2;
}
