/**
 * Sanctions and negative lists (docs/risk.md "Screening"):
 *
 *   clearhouse risk lists [--json]                         every stored version, those in force marked (reads only)
 *   clearhouse risk lists load FILE --format un|ofac|scheme --name NAME [--aliases ALT.csv]
 *                              --operator WHO --reason WHY [--json]
 *
 * `load` streams FILE through its format's parser into the store as the list's next version, recorded
 * as operator action `risk.list.load`, all or nothing; every running `serve` screens against it within
 * limits.screening.listPollIntervalMs plus the index build. `--aliases` is OFAC's alt.csv, read after
 * sdn.csv. Exit codes: 0 loaded (or listed), 1 the file is refused (line and reason; nothing loaded),
 * 2 usage or configuration.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Command } from 'commander';
import { OperatorActionError, checkOperatorAction } from '../engine/operator-actions.ts';
import { LIST_NAME, ScreeningListError, hashed, type ScreeningListVersion } from '../engine/screening-lists.ts';
import { LIST_FORMATS, ListFormatError, type ListFormat } from '../risk/screening/list.ts';
import { parseOfacList } from '../risk/screening/parse-ofac.ts';
import { parseSchemeList } from '../risk/screening/parse-scheme.ts';
import { parseUnList } from '../risk/screening/parse-un.ts';
import { openReadOnly, print, withEngine, type CommonOptions } from './clearing.ts';

interface LoadOptions extends CommonOptions {
  readonly format: string;
  readonly name: string;
  readonly aliases?: string;
  readonly operator: string;
  readonly reason: string;
}

/** Adds `lists` (and `lists load`) to the `risk` command group. */
export function registerRiskListCommands(risk: Command): void {
  const lists = risk.command('lists').description('sanctions and negative lists: the stored versions (reads only), or load a new version');
  lists
    .command('show', { isDefault: true })
    .description('every stored list version, newest first; the version in force of each list marked (reads only)')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions) => {
      process.exitCode = await withEngine(options, async (engine) => {
        const versions = await engine.screeningListVersions();
        const inForce = new Set<bigint>();
        const seen = new Set<string>();
        for (const v of versions) if (!seen.has(v.name)) { seen.add(v.name); inForce.add(v.id); }
        print(options, versions.map((v) => ({ ...v, inForce: inForce.has(v.id) })), versions.length === 0 ? 'no list loaded\n'
          : versions.map((v) => `${inForce.has(v.id) ? '*' : ' '} ${describe(v)}\n`).join('') + '(* in force)\n');
        return 0;
      }, openReadOnly);
    });
  lists
    .command('load')
    .description('load FILE as the next version of list NAME (recorded; in force in every running serve within seconds)')
    .argument('<file>', 'the list file: the UN consolidated XML, OFAC sdn.csv, or the scheme list CSV')
    .requiredOption('--format <format>', LIST_FORMATS.join(' | '))
    .requiredOption('--name <name>', "the list's name, e.g. un-consolidated, ofac-sdn, scheme (lower case, digits, '.', '_', '-')")
    .option('--aliases <file>', "OFAC's alt.csv (with --format ofac)")
    .requiredOption('--operator <name>', 'who loads it (recorded in operator_actions)')
    .requiredOption('--reason <text>', 'why (recorded; e.g. the publication date of the list)')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (file: string, options: LoadOptions) => {
      process.exitCode = await loadCommand(file, options);
    });
}

function describe(v: ScreeningListVersion): string {
  return `${v.name}@v${v.version}  ${v.format.padEnd(6)} ${v.entryCount} entries, ${v.valueCount} values  ` +
    `loaded ${v.loadedAt.toISOString()} by ${v.loadedBy} (${v.reason})  sha256 ${v.sourceSha256.slice(0, 16)}…`;
}

function usage(message: string): number {
  process.stderr.write(`clearhouse risk lists load: ${message}\n`);
  return 2;
}

async function loadCommand(file: string, options: LoadOptions): Promise<number> {
  if (!(LIST_FORMATS as readonly string[]).includes(options.format)) return usage(`--format takes ${LIST_FORMATS.join(', ')}`);
  const format = options.format as ListFormat;
  if (!LIST_NAME.test(options.name)) return usage(`${JSON.stringify(options.name)} is not a list name (lower case letters, digits, '.', '_', '-'; 1..64)`);
  if (options.aliases !== undefined && format !== 'ofac') return usage('--aliases is for --format ofac (alt.csv)');
  try {
    checkOperatorAction({ actor: options.operator, action: 'risk.list.load', subject: `list ${options.name}`, reason: options.reason });
  } catch (error) {
    if (error instanceof OperatorActionError) return usage(error.message);
    throw error;
  }
  const files = [file, ...(options.aliases === undefined ? [] : [options.aliases])];
  for (const f of files) {
    try {
      if (!statSync(f).isFile()) return usage(`${f} is not a file`);
    } catch {
      return usage(`cannot read ${f}`);
    }
  }
  return withEngine(options, async (engine) => {
    const hash = hashed();
    const source = (f: string) => hash.wrap(createReadStream(f));
    const records = format === 'un' ? parseUnList(source(file))
      : format === 'ofac' ? parseOfacList(source(file), options.aliases === undefined ? undefined : source(options.aliases))
        : parseSchemeList(source(file));
    try {
      const version = await engine.loadScreeningList({ name: options.name, format, records, sha256: hash.sha256, files },
        { actor: options.operator, reason: options.reason });
      print(options, version, `loaded ${describe(version)}\nrecorded as operator action ${version.actionId}; ` +
        'in force in every running serve once its index is built (docs/risk.md "Screening")\n');
      return 0;
    } catch (error) {
      if (error instanceof ListFormatError) {
        process.stderr.write(`clearhouse risk lists load: ${error.file ?? file} refused, nothing loaded: line ${error.line}: ${error.reason}\n`);
        return 1;
      }
      if (error instanceof ScreeningListError || error instanceof OperatorActionError) return usage(error.message);
      throw error;
    }
  });
}
