/**
 * Payee verification commands (docs/risk.md, "Payee verification"):
 *
 *   clearhouse payee directory load FILE --participant BIC --operator NAME --reason TEXT [--format csv|json]
 *
 * makes FILE (account,name; CSV with that header, or a JSON array) the new version of the
 * participant's payee directory, recorded in operator_actions (who, when, why) in the same transaction;
 *
 *   clearhouse payee directory list [--participant BIC]      the versions, newest first (reading only)
 *   clearhouse payee verifications [--limit N]               the latest verifications (reading only)
 *
 * Exit codes: 0 done, 1 refused (a defect in the file, with its line, or a party that is not a
 * participant; nothing recorded or loaded), 2 usage or configuration error.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { OperatorActionError, checkOperatorAction } from '../engine/operator-actions.ts';
import { PayeeDirectoryError } from '../engine/engine.ts';
import { openReadOnly, print, withEngine, type CommonOptions } from './clearing.ts';

interface LoadOptions extends CommonOptions {
  readonly participant: string;
  readonly operator: string;
  readonly reason: string;
  readonly format?: string;
}

export function registerPayeeCommands(program: Command): void {
  const payee = program.command('payee').description('payee verification (acmt.023 / acmt.024): the payee directory and the verifications');
  const directory = payee.command('directory').description('the names on their accounts that participants supply');
  directory
    .command('load')
    .description('make FILE (account,name) the new version of a participant\'s payee directory, recorded with who and why')
    .argument('<file>', 'CSV with the header account,name, or a JSON array of {"account","name"}')
    .requiredOption('--participant <bic>', 'the participant whose accounts these are')
    .requiredOption('--operator <name>', 'who loads it (recorded in operator_actions)')
    .requiredOption('--reason <text>', 'why (recorded in operator_actions)')
    .option('--format <format>', 'csv | json (default: from the file name, else csv)')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (file: string, options: LoadOptions) => {
      process.exitCode = await loadCommand(file, options);
    });
  directory
    .command('list')
    .description('payee directory versions, newest first (reading only)')
    .option('--participant <bic>', 'one participant\'s')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions & { readonly participant?: string }) => {
      process.exitCode = await withEngine(options, async (engine) => {
        const versions = await engine.payeeDirectoryVersions(options.participant);
        print(options, versions, versions.length === 0 ? 'no payee directory loaded\n' : versions.map((v) =>
          `${v.participant} version ${v.version}: ${v.entries} account(s), loaded ${v.loadedAt.toISOString()} ` +
          `(operator action ${v.operatorActionId}, sha256 ${v.sha256.slice(0, 12)}…)\n`).join(''));
        return 0;
      }, openReadOnly);
    });
  payee
    .command('verifications')
    .description('the latest payee verifications and how each was answered (reading only)')
    .option('--limit <n>', 'how many (default 50)', '50')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions & { readonly limit: string }) => {
      if (!/^[1-9][0-9]{0,3}$/.test(options.limit)) {
        process.stderr.write('clearhouse payee verifications: --limit takes 1..9999\n');
        process.exitCode = 2;
        return;
      }
      process.exitCode = await withEngine(options, async (engine) => {
        const rows = await engine.payeeVerifications(Number(options.limit));
        print(options, rows, rows.length === 0 ? 'no payee verification yet\n' : rows.map((r) =>
          `${r.id} ${r.createdAt.toISOString()} ${r.requester} asks ${r.payeeAgent} (${r.verificationId}): ` +
          `${r.state === 'ANSWERED' ? `${r.result} from the ${r.answeredBy === 'bank' ? 'payee bank' : r.answeredBy}` : 'waiting for the payee bank'}\n`).join(''));
        return 0;
      }, openReadOnly);
    });
}

async function loadCommand(file: string, options: LoadOptions): Promise<number> {
  const format = options.format ?? (extname(file).toLowerCase() === '.json' ? 'json' : 'csv');
  if (format !== 'csv' && format !== 'json') return usage('--format takes csv or json');
  try {
    checkOperatorAction({ actor: options.operator, action: 'payee.directory.load', subject: options.participant, reason: options.reason });
  } catch (error) {
    if (error instanceof OperatorActionError) return usage(error.message);
    throw error;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return usage(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return withEngine(options, async (engine) => {
    try {
      const loaded = await engine.loadPayeeDirectory(options.participant, text, format, { actor: options.operator, reason: options.reason,
        details: { file } });
      print(options, { participant: options.participant, version: loaded.version, entries: loaded.entries, operatorAction: loaded.actionId },
        `${options.participant}: payee directory version ${loaded.version} in force, ${loaded.entries} account(s) (operator action ${loaded.actionId})\n`);
      return 0;
    } catch (error) {
      if (error instanceof PayeeDirectoryError) {
        process.stderr.write(`clearhouse payee directory load: ${file}: ${error.message}; nothing loaded\n`);
        return 1;
      }
      throw error;
    }
  });
}

function usage(message: string): number {
  process.stderr.write(`clearhouse payee directory load: ${message}\n`);
  return 2;
}
