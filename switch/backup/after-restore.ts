/**
 * Where backup and restore meet the audit journal (switch/audit/, docs/audit.md).
 *
 * The restore loads every table, the journal's among them, with plain INSERTs in one transaction in
 * which the setting `clearhouse.restoring` is 'on' (current_setting('clearhouse.restoring', true)): the
 * journal's triggers do nothing then (migration 022), or the restored history would be journaled a
 * second time. After it commits, the journal is verified whole and its head compared with the one the
 * backup recorded.
 */
import type { Database, Queryable } from '../store/database.ts';
import { journalHead, lowerSealHorizon, verifyAudit, type CheckpointTrust, type JournalHead } from '../audit/index.ts';

/** The journal head to record in a backup, read inside the backup's snapshot (`tx`). */
export async function journalHeadAtBackup(tx: Queryable): Promise<unknown> {
  const head = await journalHead(tx);
  return { position: head.position.toString(), entryHash: head.entryHash, horizon: head.horizon, journalSeq: head.journalSeq.toString() };
}

/**
 * Checks run on the restored store once its transaction has committed; each problem is one line, and
 * any makes `clearhouse restore` exit 1. `recorded`: the head the backup recorded.
 *
 * First the sealer's horizon is brought within reach of this cluster's transaction ids: the journal
 * orders entries by the writing transaction's id, and a restore into another cluster (a fresh PGlite
 * directory, a new PostgreSQL) starts from lower ids than the source had reached; without a seal row
 * at the lower of the two, entries written after the restore would sit below the horizon, never sealed
 * (docs/audit.md "After a restore"). The row repeats the last position: nothing is sealed by it.
 * `trust` given (the configuration names the scheme CA): every checkpoint's signature is checked too.
 */
export async function checksAfterRestore(db: Database, recorded: unknown, trust?: CheckpointTrust): Promise<string[]> {
  await lowerSealHorizon(db);
  const problems: string[] = [];
  const report = await verifyAudit(db, trust ? { trust } : {});
  if (!report.ok) problems.push(`audit journal: ${report.broken.kind} ${report.broken.table ?? ''} ${report.broken.key ?? ''}: ${report.broken.detail}`.replace(/ +/g, ' '));
  if (recorded !== null && recorded !== undefined) {
    const head: JournalHead = await journalHead(db);
    const want = recorded as { position?: string; entryHash?: string };
    if (want.position !== undefined && want.position !== head.position.toString()) {
      problems.push(`audit journal: the ledger ends at position ${head.position}, the backup recorded ${want.position}`);
    }
    if (want.entryHash !== undefined && want.entryHash !== head.entryHash) {
      problems.push(`audit journal: the ledger's last entry hash ${head.entryHash || '(none)'} is not the backup's ${want.entryHash || '(none)'}`);
    }
  }
  return problems;
}
