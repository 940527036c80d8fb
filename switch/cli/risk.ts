/**
 * The risk stage's operator commands (docs/risk.md "Operators"):
 *
 *   clearhouse risk holds                                            the review queue (reads only)
 *   clearhouse risk release ID --operator N --reason R               a held payment released
 *   clearhouse risk reject ID --operator N --reason R [--code RR04]  a held payment rejected
 *   clearhouse risk freeze-account BIC ACCOUNT --operator N --reason R
 *   clearhouse risk unfreeze-account BIC ACCOUNT --operator N --reason R
 *   clearhouse risk freeze-participant BIC --operator N --reason R   frozen and suspended in the register
 *   clearhouse risk unfreeze-participant BIC --operator N --reason R
 *   clearhouse risk load-profiles BIC FILE --effective-from T --operator N --reason R [--format csv|jsonl]
 *   clearhouse risk profiles [BIC]                                   loaded versions (reads only)
 *   clearhouse risk events [--payment ID]                            the risk events (reads only)
 *   clearhouse risk lists [load FILE --format un|ofac|scheme --name N ...]  screening lists (switch/cli/risk-lists.ts)
 *   clearhouse risk evaluate [--seed N] [--payments M] [--json]      the risk score on a seeded day with labelled fraud
 *                                                                    (switch/cli/risk-evaluate.ts)
 *
 * Each is an engine method (switch/engine/engine.ts), which the HTTP API calls too. Exit codes: 0 done,
 * 2 usage or a refused decision (not held, already frozen, a bad profile file with its line).
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { Engine, OperatorIdentity } from '../engine/engine.ts';
import { OperatorActionError } from '../engine/operator-actions.ts';
import { RiskDecisionError } from '../engine/risk-holds.ts';
import { ProfileFileError } from '../risk/profiles.ts';
import { formatAmount } from '../iso/amount.ts';
import { isReasonCode } from '../iso/reason-codes.ts';
import { RegisterChangeError } from '../engine/engine.ts';
import { openEngine, openReadOnly, print, withEngine, operatorOptions, type CommonOptions, type OperatorOptions } from './clearing.ts';
import { registerRiskEvaluateCommand } from './risk-evaluate.ts';
import { registerRiskListCommands } from './risk-lists.ts';

export const RISK_DESCRIPTION = 'the risk stage: review queue, freezes, profiles, events, screening lists, score evaluation (docs/risk.md)';


/** A changing command of this group: the operator and the reason are recorded. */
const changing = (command: Command): Command => operatorOptions(command, 'who decides (recorded in operator_actions and risk_events)');

const readOptions = (command: Command): Command => command
  .option('--config <file>', 'scheme configuration')
  .option('--json', 'print JSON');

function decide(options: OperatorOptions, work: (engine: Engine, who: OperatorIdentity) => Promise<string>): Promise<number> {
  return withEngine(options, async (engine) => {
    try {
      const text = await work(engine, { actor: options.operator, reason: options.reason });
      print(options, { done: text }, `${text}\n`);
      return 0;
    } catch (error) {
      if (error instanceof RiskDecisionError || error instanceof OperatorActionError || error instanceof ProfileFileError ||
        error instanceof RegisterChangeError) {
        process.stderr.write(`clearhouse: ${error.message.replace(/\n/g, ' ')}\n`);
        return 2;
      }
      throw error;
    }
  }, openEngine);
}

function paymentId(text: string): bigint {
  if (!/^[1-9]\d{0,18}$/.test(text)) throw new RiskDecisionError(`${text} is not a payment id`);
  return BigInt(text);
}

export function registerRiskCommands(program: Command): void {
  const risk = program.command('risk').description(RISK_DESCRIPTION);
  registerRiskEvaluateCommand(risk);
  registerRiskListCommands(risk);
  readOptions(risk.command('holds').description('payments held for risk review, oldest first (reads only)'))
    .action(async (options: CommonOptions) => {
      process.exitCode = await withEngine(options, async (engine) => {
        const holds = await engine.riskHolds();
        print(options, holds, holds.length === 0 ? 'no payment is held\n' : holds.map((h) =>
          `${h.id}  ${h.mode.padEnd(8)} ${h.debtorAgent} -> ${h.creditorAgent}  ${formatAmount(h.amountMinor, h.currency)} ${h.currency}  ` +
          `${h.transactionId ?? ''}  held ${h.heldAt.toISOString()}${h.decideBy ? `  decide by ${h.decideBy.toISOString()}` : ''}  ${h.reasons}\n`).join(''));
        return 0;
      }, openReadOnly);
    });
  changing(risk.command('release').description('release a held payment (batch: into the open cycle; real-time: reserved and forwarded)').argument('<id>'))
    .action(async (id: string, options: OperatorOptions) => {
      process.exitCode = await decide(options, async (engine, who) => `payment ${id} released: ${(await engine.releaseHeldPayment(paymentId(id), who)).state}`);
    });
  changing(risk.command('reject').description('reject a held payment (pacs.002 RJCT to its sender)').argument('<id>')
    .option('--code <code>', 'ISO reason code (default RR04)'))
    .action(async (id: string, options: OperatorOptions & { code?: string }) => {
      process.exitCode = await decide(options, async (engine, who) => {
        if (options.code !== undefined && !isReasonCode(options.code)) throw new RiskDecisionError(`${options.code} is not an ISO status reason code`);
        await engine.rejectHeldPayment(paymentId(id), who, options.code);
        return `payment ${id} rejected`;
      });
    });
  changing(risk.command('freeze-account').description('freeze an account: every payment from or to it refused AC06').argument('<bic>').argument('<account>'))
    .action(async (bic: string, account: string, options: OperatorOptions) => {
      process.exitCode = await decide(options, async (engine, who) => { await engine.freezeAccount(bic, account, who); return `account ${bic}/${account} frozen`; });
    });
  changing(risk.command('unfreeze-account').description('lift an account\'s freeze').argument('<bic>').argument('<account>'))
    .action(async (bic: string, account: string, options: OperatorOptions) => {
      process.exitCode = await decide(options, async (engine, who) => { await engine.unfreezeAccount(bic, account, who); return `account ${bic}/${account} unfrozen`; });
    });
  changing(risk.command('freeze-participant').description('freeze a participant: suspended in the register, and refused AC06 by the risk stage').argument('<bic>'))
    .action(async (bic: string, options: OperatorOptions) => {
      process.exitCode = await decide(options, async (engine, who) => { await engine.freezeParticipant(bic, who); return `participant ${bic} frozen and suspended`; });
    });
  changing(risk.command('unfreeze-participant').description('lift a participant\'s freeze and resume it').argument('<bic>'))
    .action(async (bic: string, options: OperatorOptions) => {
      process.exitCode = await decide(options, async (engine, who) => { await engine.unfreezeParticipant(bic, who); return `participant ${bic} unfrozen and resumed`; });
    });
  changing(risk.command('load-profiles').description('load a participant\'s account and customer risk profiles (CSV or JSON Lines) as a new version')
    .argument('<bic>').argument('<file>')
    .requiredOption('--effective-from <time>', 'ISO date-time from which the version is in force')
    .option('--format <format>', 'csv or jsonl (default: by the file name: .csv, else jsonl)'))
    .action(async (bic: string, file: string, options: OperatorOptions & { effectiveFrom: string; format?: string }) => {
      process.exitCode = await decide(options, async (engine, who) => {
        const format = options.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl');
        if (format !== 'csv' && format !== 'jsonl') throw new RiskDecisionError('--format: csv or jsonl');
        const effectiveFrom = new Date(options.effectiveFrom);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(options.effectiveFrom) || Number.isNaN(effectiveFrom.getTime())) {
          throw new RiskDecisionError(`--effective-from ${options.effectiveFrom} is not an ISO date-time`);
        }
        const v = await engine.loadRiskProfiles({ participant: bic, format, chunks: createReadStream(file), effectiveFrom, fileName: basename(file), ...who });
        return `profiles of ${bic} loaded as version ${v.version}: ${v.accounts} accounts, ${v.customers} customers, in force from ${effectiveFrom.toISOString()}`;
      });
    });
  readOptions(risk.command('profiles').description('loaded profile versions, newest first (reads only)').argument('[bic]'))
    .action(async (bic: string | undefined, options: CommonOptions) => {
      process.exitCode = await withEngine(options, async (engine) => {
        const versions = await engine.riskProfileVersions(bic);
        print(options, versions, versions.map((v) => `${v.id}  ${v.participant}  from ${v.effective_from.toISOString()}  ${v.accounts} accounts  ` +
          `${v.customers} customers  loaded ${v.loaded_at.toISOString()} by ${v.loaded_by}\n`).join(''));
        return 0;
      }, openReadOnly);
    });
  readOptions(risk.command('events').description('risk events, newest first (reads only)').option('--payment <id>', 'only this payment\'s'))
    .action(async (options: CommonOptions & { payment?: string }) => {
      process.exitCode = await withEngine(options, async (engine) => {
        const events = await engine.riskEvents(options.payment ? { paymentId: paymentId(options.payment) } : {});
        print(options, events, events.map((e) => `${e.at.toISOString()}  ${e.kind.padEnd(13)} ${e.actor}  ${e.payment_id ?? '-'}  ${e.reason}\n`).join(''));
        return 0;
      }, openReadOnly);
    });
}
