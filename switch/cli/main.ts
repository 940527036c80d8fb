/**
 * The clearhouse command line. Exit codes (switch/cli/errors.ts, docs/operations.md "Exit codes and
 * errors"): 0 success, 1 a negative result (an invalid file, a refused signature), 2 usage or
 * configuration, 3 a service (database, Redis) that cannot be used, 4 internal error.
 *
 * Start-up is kept short (docs/performance.md "Command-line start-up"): this module loads nothing
 * but commander and the clock. Every command's implementation, and with it the heavy modules (the
 * XSD engine, PGlite, BullMQ, node-forge), is imported inside its action, once the command is known.
 * Command groups defined in their own modules (pki, dead-letters, bank) are registered from their
 * module only when the command line names them; otherwise a stub carries their name and description
 * for `clearhouse --help` (test/cli/start-up.test.ts keeps the two in step).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ClockSettingError, processClock } from '../clock.ts';

// Everything the switch writes (the embedded store, mailboxes, demo output, PKI material) is its
// owner's only: files 0600, directories 0700, whatever the shell's umask (docs/operations.md).
process.umask(0o077);

const program = new Command();
program
  .name('clearhouse')
  .description('ISO 20022 clearing-house switch')
  .version((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version, '-V, --version',
    'print the version and exit')
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
    const { validateCommand } = await import('./validate.ts');
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
  .option('--http <host:port>', 'serve the HTTP API there (docs/api.md); TLS from --http-key/--http-cert or the configuration\'s api section')
  .option('--http-key <file>', "the HTTP API's TLS key (PEM)")
  .option('--http-cert <file>', "the HTTP API's TLS certificate (PEM)")
  .action(async (options) => {
    const { serveCommand } = await import('./serve.ts');
    process.exitCode = await serveCommand(options);
    // Serve has stopped and closed what it could: a client still retrying an unreachable Redis must
    // not keep the process alive after the first SIGTERM.
    process.exit();
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
    const { submitCommand } = await import('./submit.ts');
    process.exitCode = await submitCommand(file, options);
  });

program
  .command('cycle')
  .description('clearing cycles: open (show the open cycle), close (cut off now), status, list, next (the next cut-off)')
  .argument('<action>', 'open | close | status | list | next')
  .option('--config <file>', 'scheme configuration')
  .option('--json', 'print JSON')
  .action(async (action: string, options) => {
    const { cycleCommand } = await import('./clearing.ts');
    process.exitCode = await cycleCommand(action, options);
  });

program
  .command('positions')
  .description('net positions and bilateral matrix of a cycle (default: the latest netted)')
  .option('--cycle <id>', 'cycle id')
  .option('--config <file>', 'scheme configuration')
  .option('--json', 'print JSON')
  .action(async (options) => {
    const { positionsCommand } = await import('./clearing.ts');
    process.exitCode = await positionsCommand(options);
  });

program
  .command('demo')
  .description('run the demonstration on the embedded default')
  .option('--out <dir>', 'write every message the demo produces under this directory', 'out/demo')
  .option('--json', 'print the results as JSON')
  .option('--serve', 'then serve the web console and the HTTPS API on the demo\'s store until Ctrl-C (prints the URL, people and bank certificates)')
  .option('--listen <host:port>', 'where --serve listens (port 0: a free one)', '127.0.0.1:8443')
  .action(async (options) => {
    const { demoCommand } = await import('./demo.ts');
    process.exitCode = await demoCommand(options);
  });

/**
 * Command groups registered by their own module. `description` must equal the one the module gives
 * (test/cli/start-up.test.ts); the module is imported only when its command is run or asked about.
 */
const LAZY_COMMAND_GROUPS: ReadonlyArray<{ commands: ReadonlyArray<{ name: string; description: string }>; register: () => Promise<(program: Command) => void> }> = [
  // Scheme PKI and detached signatures (switch/cli/pki.ts, docs/signing.md).
  { commands: [{ name: 'pki', description: 'scheme PKI: CA, participant certificates, CRL, detached CMS signatures' }],
    register: async () => (await import('./pki.ts')).registerPkiCommands },
  // Deliveries given up (switch/cli/operations.ts, docs/connectors.md).
  { commands: [{ name: 'dead-letters', description: 'deliveries given up (FAILED outbox rows, dead queue jobs): list (default), or retry ID|--all' }],
    register: async () => (await import('./operations.ts')).registerOperationsCommands },
  // Configuration workflow (switch/cli/participants.ts, docs/operations.md).
  { commands: [
    { name: 'migrate', description: 'bring the store\'s schema up to date (serve and the writing commands also do at start; reading commands never)' },
    { name: 'config', description: 'the scheme register: participants, caps, services, currencies (docs/operations.md)' },
    { name: 'participant', description: 'operator commands on participants, recorded and in force in every running serve' },
  ], register: async () => (await import('./participants.ts')).registerParticipantCommands },
  // People of the HTTP API (switch/cli/users.ts, docs/api.md).
  { commands: [{ name: 'users', description: 'people of the HTTP API (docs/api.md)' }],
    register: async () => (await import('./users.ts')).registerUsersCommands },
  // Settlement operations (switch/cli/settlement.ts, docs/operations.md).
  { commands: [{ name: 'settlement', description: 'settlement with the settlement agent: resolve a partially settled cycle, re-query unanswered instructions' }],
    register: async () => (await import('./settlement.ts')).registerSettlementCommands },
  // The seeded scheme day (switch/cli/simulate.ts, docs/simulation.md).
  { commands: [{ name: 'simulate', description: 'seeded scheme days with faults, checked from the messages and the settlement agent\'s books (docs/simulation.md)' }],
    register: async () => (await import('./simulate.ts')).registerSimulateCommand },
  // Payee verification: the payee directory and the verifications (switch/cli/payee.ts, docs/risk.md).
  { commands: [{ name: 'payee', description: 'payee verification (acmt.023 / acmt.024): load a participant\'s payee directory, list versions and verifications' }],
    register: async () => (await import('./payee.ts')).registerPayeeCommands },
  // Bank simulator for demos and load (switch/cli/bank.ts).
  { commands: [{ name: 'bank', description: 'participant bank simulator (demos and load): send, fetch, answer' }],
    register: async () => (await import('./bank.ts')).registerBankCommands },
  // The risk stage's operator commands (switch/cli/risk.ts, docs/risk.md).
  { commands: [{ name: 'risk', description: 'the risk stage: review queue, freezes, profiles, events, screening lists, score evaluation (docs/risk.md)' }],
    register: async () => (await import('./risk.ts')).registerRiskCommands },
  // Notification subscriptions (switch/cli/notify.ts, docs/notifications.md).
  { commands: [{ name: 'notify', description: 'notifications: webhook and e-mail subscriptions for payment events and operator alerts (docs/notifications.md)' }],
    register: async () => (await import('./notify.ts')).registerNotifyCommands },
  // Backup and restore (switch/cli/backup.ts, docs/operations.md "Backup and restore").
  { commands: [
    { name: 'backup', description: 'write a consistent backup of the store to one file (docs/operations.md "Backup and restore")' },
    { name: 'restore', description: 'restore a backup into an empty store, verify it, and read again the files that arrived after it' },
  ], register: async () => (await import('./backup.ts')).registerBackupCommands },
  // The audit ledger (switch/cli/audit.ts, docs/audit.md).
  { commands: [{ name: 'audit', description: 'the tamper-evident audit ledger: verify it, prove a message is in a published checkpoint (docs/audit.md)' }],
    register: async () => (await import('./audit.ts')).registerAuditCommands },
  // Reconciliation and regulator statistics (switch/cli/report.ts, docs/reports.md).
  { commands: [{ name: 'report', description: 'reports: reconciliation (exit 1 on a mismatch) and regulator statistics, as csv, json, html or pdf (docs/reports.md)' }],
    register: async () => (await import('./report.ts')).registerReportCommand },
];

/** The command the arguments name: the first one that is not an option (the program has only --help and --version). */
function commandWord(argv: readonly string[]): string | undefined {
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  return word === 'help' ? argv.slice(2).filter((a) => !a.startsWith('-'))[1] : word;
}

const named = commandWord(process.argv);
for (const group of LAZY_COMMAND_GROUPS) {
  if (group.commands.some((c) => c.name === named)) (await group.register())(program);
  else for (const c of group.commands) program.command(c.name).description(c.description);
}


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
    // One line and a documented exit code (switch/cli/errors.ts, docs/operations.md "Exit codes and errors").
    const { describeFailure } = await import('./errors.ts');
    const { line, exitCode } = describeFailure(error);
    process.stderr.write(`clearhouse: ${line}\n`);
    process.exitCode = exitCode;
  }
}
