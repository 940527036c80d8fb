/**
 * The configuration workflow's commands (docs/operations.md "Configuration workflow"):
 *
 *   clearhouse migrate                                   the schema, explicitly (serve migrates at start too)
 *   clearhouse config apply FILE --operator N --reason R [--dry-run]
 *   clearhouse participant list
 *   clearhouse participant suspend|resume|retire BIC --operator N --reason R
 *   clearhouse participant cap BIC CCY AMOUNT --operator N --reason R
 *   clearhouse participant add BIC --name NAME --currency CCY[,CCY] [--cap CCY=AMOUNT] --operator N --reason R
 *
 * Every change is recorded in operator_actions before it takes effect and reaches every running
 * `serve` within limits.registerPollIntervalMs (the engine methods: switch/engine/engine.ts
 * applyConfiguration, suspendParticipant, resumeParticipant, setNetDebitCap, addParticipant,
 * retireParticipant). Exit codes: 0 done (or nothing to change), 2 usage, configuration or refused change.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig, type ParticipantConfig } from '../config.ts';
import { RegisterChangeError, type Engine, type OperatorIdentity, type RegisterUpdate } from '../engine/engine.ts';
import { OperatorActionError } from '../engine/operator-actions.ts';
import { describeChange } from '../engine/register.ts';
import { openDatabase, StoreLockedError } from '../store/database.ts';
import { migrate, migrations } from '../store/migrate.ts';
import { limits } from '../limits.ts';
import { openEngine, openReadOnly, print, readConfig, withEngine, operatorOptions, type CommonOptions, type OperatorOptions } from './clearing.ts';


/** A changing command of this group: the operator and the reason are recorded. */
const changing = (command: Command): Command => operatorOptions(command, 'who makes the change (recorded in operator_actions)');

export function registerParticipantCommands(program: Command): void {
  program
    .command('migrate')
    .description('bring the store\'s schema up to date (serve and the writing commands also do at start; reading commands never)')
    .option('--config <file>', 'scheme configuration (for the embedded store when DATABASE_URL is not set)')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions) => {
      process.exitCode = await migrateCommand(options);
    });

  const config = program.command('config').description('the scheme register: participants, caps, services, currencies (docs/operations.md)');
  changing(config
    .command('apply')
    .description('show how FILE\'s participants, caps, services and currencies differ from those in force, and apply them (recorded)')
    .argument('<file>', 'the scheme configuration to apply')
    .option('--dry-run', 'only show the differences'))
    .action(async (file: string, options: OperatorOptions & { dryRun?: boolean }) => {
      process.exitCode = await configApplyCommand(file, options);
    });

  const participant = program.command('participant').description('operator commands on participants, recorded and in force in every running serve');
  participant
    .command('list')
    .description('the participants in force with status and caps (reads only)')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions) => {
      process.exitCode = await withEngine(options, async (engine) => {
        const list = engine.configuration.participants;
        print(options, { version: engine.configurationVersion, participants: list }, list.map((p) =>
          `${p.bic}  ${p.status.padEnd(9)} ${p.name.padEnd(24)} ${Object.entries(p.netDebitCap).map(([c, a]) => `cap ${a} ${c}`).join(', ')}\n`).join(''));
        return 0;
      }, openReadOnly);
    });
  changing(participant.command('suspend').description('suspend: admi.004 to every participant, its traffic refused (AG10)').argument('<bic>'))
    .action(async (bic: string, options: OperatorOptions) => {
      process.exitCode = await change(options, (engine, who) => engine.suspendParticipant(bic, who));
    });
  changing(participant.command('resume').description('resume a suspended participant (admi.004 to every participant)').argument('<bic>'))
    .action(async (bic: string, options: OperatorOptions) => {
      process.exitCode = await change(options, (engine, who) => engine.resumeParticipant(bic, who));
    });
  changing(participant.command('retire').description('retire a participant: it leaves the register (its payments refused RC02)').argument('<bic>'))
    .action(async (bic: string, options: OperatorOptions) => {
      process.exitCode = await change(options, (engine, who) => engine.retireParticipant(bic, who));
    });
  changing(participant.command('cap').description('set a net debit cap, e.g. `participant cap BANKDEFFXXX EUR 250000.00`')
    .argument('<bic>').argument('<currency>').argument('<amount>'))
    .action(async (bic: string, currency: string, amount: string, options: OperatorOptions) => {
      process.exitCode = await change(options, (engine, who) => engine.setNetDebitCap(bic, currency, amount, who));
    });
  changing(participant.command('add').description('add a participant (active, directory mailbox under the data directory unless --mailbox)')
    .argument('<bic>')
    .requiredOption('--name <name>', 'the participant\'s name')
    .requiredOption('--currency <list>', 'currencies it clears, comma separated')
    .option('--cap <ccy=amount>', 'net debit cap per currency (repeatable; absent: 0, fail-safe)', (v: string, p: string[] = []) => [...p, v])
    .option('--mailbox <dir>', 'its directory mailbox'))
    .action(async (bic: string, options: OperatorOptions & { name: string; currency: string; cap?: string[]; mailbox?: string }) => {
      const caps: Record<string, string> = {};
      for (const entry of options.cap ?? []) {
        const [currency, amount] = entry.split('=');
        if (!currency || !amount) {
          process.stderr.write(`clearhouse participant add: --cap takes CCY=AMOUNT, not ${entry}\n`);
          process.exitCode = 2;
          return;
        }
        caps[currency] = amount;
      }
      const currencies = options.currency.split(',').map((c) => c.trim()).filter((c) => c.length > 0);
      process.exitCode = await change(options, (engine, who) => engine.addParticipant({
        bic, name: options.name, currencies,
        netDebitCap: Object.fromEntries(currencies.map((c) => [c, caps[c] ?? '0'])) as ParticipantConfig['netDebitCap'],
        ...(options.mailbox ? { connector: { type: 'directory', path: options.mailbox } } : {}),
      }, who));
    });
}

async function migrateCommand(options: CommonOptions): Promise<number> {
  let directory: string | undefined;
  const url = process.env.DATABASE_URL;
  try {
    if (!url) directory = join(readConfig(options).dataDirectory, 'db');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`clearhouse: ${error.message}\n`);
    return 2;
  }
  let db;
  try {
    db = await openDatabase(url ? { url, poolSize: 1 } : { directory });
  } catch (error) {
    if (!(error instanceof StoreLockedError)) throw error;
    process.stderr.write(`clearhouse: ${error.message}\n`);
    return 2;
  }
  try {
    const applied = await migrate(db);
    const latest = migrations().at(-1)!;
    print(options, { applied, version: latest.version }, applied.length === 0
      ? `schema up to date (version ${latest.version})\n`
      : `applied ${applied.map((v) => String(v).padStart(3, '0')).join(', ')}: schema at version ${latest.version}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

async function configApplyCommand(file: string, options: OperatorOptions & { dryRun?: boolean }): Promise<number> {
  let target;
  try {
    target = loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`clearhouse config apply: ${error.message}\n`);
    return 2;
  }
  // The engine opens on the file's settings, without seeding an empty store: its first version is this apply.
  return change(options, (engine, who) => engine.applyConfiguration(target, { ...who, details: { file } }, { dryRun: options.dryRun ?? false }),
    (config) => openEngine(config, false, false), options.dryRun ?? false);
}

/** Runs one register change with the operator's identity and reports it (refusals: one line, exit 2). */
function change(options: OperatorOptions, work: (engine: Engine, who: OperatorIdentity) => Promise<RegisterUpdate>,
  open: (config: ReturnType<typeof readConfig>) => Promise<Engine> = openEngine, dryRun = false): Promise<number> {
  return withEngine(options, async (engine) => {
    let update: RegisterUpdate;
    try {
      update = await work(engine, { actor: options.operator, reason: options.reason });
    } catch (error) {
      if (error instanceof RegisterChangeError || error instanceof OperatorActionError || error instanceof ConfigError) {
        process.stderr.write(`clearhouse: ${error.message.replace(/\n/g, ' ')}\n`);
        return 2;
      }
      throw error;
    }
    const lines = update.changes.map((c) => `${describeChange(c)}\n`).join('');
    const outcome = update.changes.length === 0 ? 'no difference: nothing to apply\n'
      : dryRun ? `${update.changes.length} difference(s); dry run: nothing applied\n`
        : `recorded as operator action ${update.actionId}; register version ${update.version} in force ` +
          `(every running serve within ${limits.registerPollIntervalMs / 1000} s)\n`;
    print(options, update, lines + outcome);
    return 0;
  }, open);
}
