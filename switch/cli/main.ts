/**
 * The clearhouse command line. Exit codes: 0 success, 1 the work found a problem (an invalid file),
 * 2 usage or configuration error.
 */
import { Command, CommanderError } from 'commander';
import { validateCommand } from './validate.ts';
import { demoCommand } from './demo.ts';
import { cycleCommand, positionsCommand, serveCommand } from './clearing.ts';
import { submitCommand } from './submit.ts';
import { ClockSettingError, processClock } from '../clock.ts';

// Everything the switch writes (the embedded store, mailboxes, demo output, PKI material) is its
// owner's only: files 0600, directories 0700, whatever the shell's umask (docs/operations.md).
process.umask(0o077);

const program = new Command();
program
  .name('clearhouse')
  .description('ISO 20022 clearing-house switch')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('validate')
  .description('validate ISO 20022 files against the scheme schemas and rules')
  .argument('<files...>', 'files to validate')
  .option('--json', 'print one JSON report (see docs/validation.md)')
  .option('--config <file>', 'scheme configuration: adds participant directory and limit rules')
  .option('--sender <bic>', 'the authenticated sending participant (BAH From and InstgAgt must match)')
  .option('--business-date <date>', 'current business date YYYY-MM-DD (enables settlement-date rules)')
  .action(async (files: string[], options) => {
    process.exitCode = await validateCommand(files, options);
  });

program
  .command('serve')
  .description('run the switch: take files from the mailboxes, deliver, cut off cycles on schedule')
  .option('--config <file>', 'scheme configuration (default config/demo-scheme.json or $CLEARHOUSE_CONFIG)')
  .option('--simulate-settlement', 'answer settlement instructions with the settlement-agent simulator')
  .option('--once', 'one pass over the mailboxes and the outbox, then exit')
  .option('--ca <file>', 'scheme CA certificate or CA directory: verify inbound signatures (repeatable)', (v: string, p: string[] = []) => [...p, v])
  .option('--crl <file>', 'revocation list of the scheme CA (repeatable)', (v: string, p: string[] = []) => [...p, v])
  .option('--switch-key <file>', "the switch's signing key (PEM): sign every delivered file")
  .option('--switch-cert <file>', "the switch's signing certificate (PEM)")
  .option('--log-format <format>', 'json (default: one JSON record per line on stderr) or pretty')
  .action(async (options) => {
    process.exitCode = await serveCommand(options);
  });

program
  .command('submit')
  .description("submit one file for a participant: signed by it (--signature) or as a recorded operator action (--operator, --reason)")
  .requiredOption('--as <bic>', 'the sending participant (its BIC, upper case)')
  .option('--signature <file>', "the participant's detached signature of the file (.p7s), verified with the configured trust material")
  .option('--operator <name>', 'stand in for the participant as this operator (recorded in operator_actions; never for the settlement agent)')
  .option('--reason <text>', 'why the operator submits it (required with --operator)')
  .argument('<file>')
  .option('--config <file>', 'scheme configuration')
  .option('--json', 'print the result as JSON')
  .action(async (file: string, options) => {
    process.exitCode = await submitCommand(file, options);
  });

program
  .command('cycle')
  .description('clearing cycles: open (show the open cycle), close (cut off now), status, list')
  .argument('<action>', 'open | close | status | list')
  .option('--config <file>', 'scheme configuration')
  .option('--json', 'print JSON')
  .action(async (action: string, options) => {
    process.exitCode = await cycleCommand(action, options);
  });

program
  .command('positions')
  .description('net positions and bilateral matrix of a cycle (default: the latest netted)')
  .option('--cycle <id>', 'cycle id')
  .option('--config <file>', 'scheme configuration')
  .option('--json', 'print JSON')
  .action(async (options) => {
    process.exitCode = await positionsCommand(options);
  });

program
  .command('demo')
  .description('run the demonstration on the embedded default')
  .option('--out <dir>', 'write every message the demo produces under this directory', 'out/demo')
  .option('--json', 'print the results as JSON')
  .action(async (options) => {
    process.exitCode = await demoCommand(options);
  });

// Scheme PKI and detached signatures: `clearhouse pki ...` (switch/cli/pki.ts, docs/signing.md).
const { registerPkiCommands } = await import('./pki.ts');
registerPkiCommands(program);

// Transport operations: `clearhouse dead-letters` (switch/cli/operations.ts, docs/connectors.md).
const { registerOperationsCommands } = await import('./operations.ts');
registerOperationsCommands(program);

// Bank simulator for demos and load: `clearhouse bank send|fetch|answer` (switch/cli/bank.ts).
const { registerBankCommands } = await import('./bank.ts');
registerBankCommands(program);

(await import('./simulate.ts')).registerSimulateCommand(program); // `clearhouse simulate` (docs/simulation.md)

try {
  // A malformed CLEARHOUSE_CLOCK, or one set in production, stops every command before it starts.
  processClock();
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ClockSettingError) {
    process.stderr.write(`clearhouse: ${error.message}\n`);
    process.exitCode = 2;
  } else if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`clearhouse: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 2;
  }
}
