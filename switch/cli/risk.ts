/**
 * The `risk` command group (issue 12, docs/risk.md). Each part registers its own commands under it:
 * scoring's `evaluate` (switch/cli/risk-evaluate.ts).
 */
import type { Command } from 'commander';
import { registerRiskEvaluateCommand } from './risk-evaluate.ts';

export const RISK_DESCRIPTION = 'risk management (docs/risk.md): evaluate the risk score';

export function registerRiskCommands(program: Command): void {
  const risk = program.command('risk').description(RISK_DESCRIPTION);
  registerRiskEvaluateCommand(risk);
}
