/**
 * Backup and restore (switch/store/backup.ts, docs/operations.md "Backup and restore"):
 *
 *   clearhouse backup --out FILE       a consistent backup of the store, while serve runs (PostgreSQL);
 *                                      on the embedded store, with serve stopped (one process at a time)
 *   clearhouse restore FILE            into an empty store only; checks the whole file as it restores it, in
 *                                      one transaction, verifies, starts a new incarnation (MsgIds never
 *                                      repeat), and moves files archived after the backup back to inbound/
 *                                      (directory and SFTP mailboxes) or back into the in-queue (queue participants)
 *
 * Store: DATABASE_URL, else the configuration's embedded store (<dataDirectory>/db), else --store DIR.
 * Exit codes: 0 done; 1 the file is damaged or truncated, or the restored store failed a check;
 * 2 usage, configuration, a non-empty target, a backup of a newer schema, the embedded store in use;
 * 3 the database cannot be used.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, type SchemeConfig } from '../config.ts';
import { processClock, systemClock } from '../clock.ts';
import { checksAfterRestore, journalHeadAtBackup } from '../backup/after-restore.ts';
import { BackupDamagedError, restoreBackup, RestoreRefusedError, RestoreVerificationError, writeBackup } from '../store/backup.ts';
import { openDatabase, StoreLockedError, type Database } from '../store/database.ts';
import { SchemaNotCurrentError } from '../store/migrate.ts';
import { receivedFilesStored } from '../engine/queries.ts';
import type { ArchiveMailbox, RereadResult, StoredFiles } from '../../connectors/reread.ts';
import { print, readConfig } from './clearing.ts';
import { checkpointTrust } from './audit.ts';
import type { CheckpointTrust } from '../audit/index.ts';
import { checkDatabaseUrl, CliError, databaseOpenFailure, EXIT } from './errors.ts';

interface BackupOptions {
  readonly out: string;
  readonly config?: string;
  readonly store?: string;
  readonly json?: boolean;
}

interface RestoreOptions {
  readonly config?: string;
  readonly store?: string;
  readonly json?: boolean;
  /** --no-reread: leave the mailboxes alone */
  readonly reread?: boolean;
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description('write a consistent backup of the store to one file (docs/operations.md "Backup and restore")')
    .requiredOption('--out <file>', 'the backup file (gzip; written as FILE.part and renamed when complete)')
    .option('--config <file>', 'scheme configuration (its embedded store when DATABASE_URL is not set)')
    .option('--store <dir>', 'an embedded store directory instead of the configuration\'s')
    .option('--json', 'print the manifest as JSON')
    .action(async (options: BackupOptions) => { process.exitCode = await backupCommand(options); });
  program
    .command('restore')
    .description('restore a backup into an empty store, verify it, and read again the files that arrived after it')
    .argument('<file>', 'a file written by clearhouse backup')
    .option('--config <file>', 'scheme configuration (its embedded store when DATABASE_URL is not set; its mailboxes)')
    .option('--store <dir>', 'an embedded store directory instead of the configuration\'s')
    .option('--no-reread', 'leave the mailboxes alone (do not move files archived after the backup back to inbound/)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: RestoreOptions) => { process.exitCode = await restoreCommand(file, options); });
}

function fail(command: string, message: string, code: number): number {
  process.stderr.write(`clearhouse ${command}: ${message}\n`);
  return code;
}

/** The configuration, when the command needs one (the embedded store's place, the mailboxes). */
function configOf(options: { config?: string }): SchemeConfig {
  try {
    return readConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

async function openStore(options: { config?: string; store?: string }): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (url) {
    checkDatabaseUrl(url);
    try {
      return await openDatabase({ url, poolSize: 2 });
    } catch (error) {
      throw databaseOpenFailure(url, error);
    }
  }
  const directory = options.store ?? join(configOf(options).dataDirectory, 'db');
  try {
    return await openDatabase({ directory });
  } catch (error) {
    if (error instanceof StoreLockedError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

async function backupCommand(options: BackupOptions): Promise<number> {
  const db = await openStore(options);
  try {
    const summary = await writeBackup(db, options.out, {
      createdAt: processClock().now(), systemTimeAt: systemClock.now(), journalHead: journalHeadAtBackup,
    });
    const rows = summary.manifest.tables.reduce((n, t) => n + t.rows, 0);
    const payments = summary.manifest.state.payments.reduce((n, p) => n + Number(p.count), 0);
    print(options, { file: summary.file, bytes: summary.fileBytes, fileSha256: summary.fileSha256, contentSha256: summary.contentSha256,
      header: summary.header, manifest: summary.manifest },
    `backup ${summary.file}: ${summary.manifest.tables.length} tables, ${rows} rows (${payments} payments), ${summary.fileBytes} bytes, ` +
      `schema version ${summary.header.migrations.at(-1)?.version ?? 0}, taken at ${summary.header.createdAt}\n` +
      `sha256 of the file ${summary.fileSha256} (keep it beside the file)\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof SchemaNotCurrentError) return fail('backup', error.message, EXIT.usage);
    throw error;
  } finally {
    await db.close();
  }
}

async function restoreCommand(file: string, options: RestoreOptions): Promise<number> {
  const reread = options.reread !== false;
  // Read first: a bad configuration stops the command before anything is restored.
  const config = reread || (!process.env.DATABASE_URL && options.store === undefined) ? configOf(options) : undefined;
  // With the scheme CA in the configuration, the verification after the restore checks the checkpoints' signatures too.
  let trust: CheckpointTrust | undefined;
  try {
    trust = config ? checkpointTrust(config) : undefined;
  } catch (error) {
    return fail('restore', `${(error as Error).message}; nothing was restored`, EXIT.usage);
  }
  const db = await openStore(options);
  let summary;
  let problems: string[];
  let moved: ReadonlyArray<{ participant: string; fileName: string }> = [];
  let clashes: ReadonlyArray<{ participant: string; fileName: string }> = [];
  let failed: ReadonlyArray<{ participant: string; reason: string }> = [];
  const queues: Array<{ participant: string; reoffered: readonly string[]; keptSince?: string; notReoffered?: string }> = [];
  try {
    try {
      summary = await restoreBackup(db, file, { restoredAt: processClock().now() });
    } catch (error) {
      if (error instanceof BackupDamagedError || error instanceof RestoreVerificationError) return fail('restore', `${error.message}; nothing was restored`, EXIT.negative);
      if (error instanceof RestoreRefusedError) return fail('restore', `${error.message}; nothing was restored`, EXIT.usage);
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return fail('restore', `cannot read ${file}: ${code}`, EXIT.usage);
      throw error;
    }
    problems = await checksAfterRestore(db, summary.header.journalHead, trust);
    if (reread && config) {
      const since = new Date(summary.header.systemTimeAt);
      const stored = (participant: string, sha256s: readonly string[]): Promise<Set<string>> => receivedFilesStored(db, participant, sha256s);
      ({ moved, clashes, failed } = await rereadMailboxes(config, stored, since));
      queues.push(...await reofferQueues(config, stored, since));
    }
  } finally {
    await db.close();
  }
  const rows = summary.manifest.tables.reduce((n, t) => n + t.rows, 0);
  print(options, { restored: file, contentSha256: summary.contentSha256, backupCreatedAt: summary.header.createdAt, incarnation: summary.incarnation,
    sessionsDropped: summary.sessionsDropped, tables: summary.manifest.tables.length, rows, migrated: summary.migrated, state: summary.manifest.state, reread: moved, clashes,
    rereadFailed: failed, queues, problems },
  `restored ${file} (taken at ${summary.header.createdAt}): ${summary.manifest.tables.length} tables, ${rows} rows; counts and state summary verified\n` +
    `new incarnation ${summary.incarnation}: every MsgId from now on carries it\n` +
    `${summary.sessionsDropped} API session(s) of the backup ended: people log in again\n` +
    (summary.migrated.length > 0 ? `migrated past the backup: ${summary.migrated.join(', ')}\n` : '') +
    (reread ? `${moved.length} file(s) archived after the backup moved back to inbound/ to be read again\n` : 'mailboxes left alone (--no-reread)\n') +
    clashes.map((c) => `  ${c.participant} ${c.fileName}: also waiting in inbound/, left in archive/\n`).join('') +
    failed.map((f) => `  ${f.participant}: mailbox not re-read (${f.reason}): move the files it archived after the backup back to inbound/ by hand (docs/operations.md)\n`).join('') +
    queues.map((q) => `  ${q.participant} (queue): ${queueLine(q, summary.header.systemTimeAt)}\n`).join('') +
    problems.map((p) => `check failed: ${p}\n`).join(''));
  return problems.length > 0 ? EXIT.negative : EXIT.ok;
}

/** Directory and SFTP mailboxes: files archived after the backup go back to inbound/ (connectors/reread.ts). */
async function rereadMailboxes(config: SchemeConfig, stored: StoredFiles, since: Date): Promise<RereadResult> {
  const { mailboxesByKind } = await import('../../connectors/registry.ts');
  const { directoryArchive, rereadAfterRestore, sftpArchive } = await import('../../connectors/reread.ts');
  const { SftpConnector } = await import('../../connectors/sftp.ts');
  const { directories, sftp } = mailboxesByKind(config);
  const archives = new Map<string, ArchiveMailbox>([...directories].map(([bic, path]) => [bic, directoryArchive(path)]));
  const connector = sftp.length > 0 ? new SftpConnector({ mailboxes: sftp }) : undefined;
  for (const box of sftp) archives.set(box.participant, sftpArchive(connector!, box.participant));
  try {
    return await rereadAfterRestore(stored, archives, since);
  } finally {
    await connector?.close();
  }
}

/**
 * Queue participants: files acknowledged after the backup that BullMQ still keeps are offered again
 * (reofferCompletedSince); what it no longer keeps, or everything when REDIS_URL is not set, the
 * participant must send again — one line each says what.
 */
async function reofferQueues(config: SchemeConfig, stored: StoredFiles, since: Date):
  Promise<Array<{ participant: string; reoffered: readonly string[]; keptSince?: string; notReoffered?: string }>> {
  const { mailboxesByKind, redisConnection } = await import('../../connectors/registry.ts');
  const { queues } = mailboxesByKind(config);
  if (queues.length === 0) return [];
  const url = process.env.REDIS_URL;
  if (!url) return queues.map((participant) => ({ participant, reoffered: [], notReoffered: 'REDIS_URL is not set' }));
  const { reofferCompletedSince } = await import('../../connectors/queue.ts');
  const result = [];
  for (const participant of queues) {
    try {
      const r = await reofferCompletedSince({ connection: redisConnection(url) }, participant, since, (sha256s) => stored(participant, sha256s));
      result.push({ participant, reoffered: r.reoffered, ...(r.keptSince ? { keptSince: r.keptSince.toISOString() } : {}) });
    } catch (error) {
      result.push({ participant, reoffered: [], notReoffered: (error as Error).message });
    }
  }
  return result;
}

function queueLine(q: { reoffered: readonly string[]; keptSince?: string; notReoffered?: string }, backupAt: string): string {
  if (q.notReoffered !== undefined) {
    return `nothing re-offered (${q.notReoffered}): the participant must send again every file it sent at or after ${backupAt}`;
  }
  return `${q.reoffered.length} file(s) acknowledged after the backup offered again in its in-queue` +
    (q.keptSince ? `; the queue no longer keeps what was acknowledged before ${q.keptSince}: the participant must send again the files it sent from ${backupAt} to ${q.keptSince}` : '');
}
