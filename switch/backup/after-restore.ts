/**
 * Where backup and restore meet the audit journal (switch/audit/, built on another branch): the two
 * hooks the lead wires at merge. Until then the backup records no journal head and a restore checks
 * what it can itself (switch/store/backup.ts: the file's checksums, every table's row count, the state
 * summary of payments, exposures, cycles and positions).
 *
 * The restore loads every table, the journal's among them, with plain INSERTs in one transaction in
 * which the setting `clearhouse.restoring` is 'on' (current_setting('clearhouse.restoring', true)): a
 * trigger that appends journal entries on insert must do nothing then, or the restored history would
 * be journaled a second time.
 */
import type { Database, Queryable } from '../store/database.ts';

/**
 * The journal head to record in a backup, read inside the backup's snapshot (`tx`); null while the
 * store has no journal. At merge: `return journalHead(tx)` (switch/audit/).
 */
export async function journalHeadAtBackup(tx: Queryable): Promise<unknown> {
  void tx;
  return null;
}

/**
 * Checks run on the restored store once its transaction has committed; each problem is one line, and
 * any makes `clearhouse restore` exit 1. `journalHead`: what the backup recorded. At merge: the
 * journal verification (verifyAudit(db)), and its head compared with `journalHead`.
 */
export async function checksAfterRestore(db: Database, journalHead: unknown): Promise<string[]> {
  void db;
  void journalHead;
  return [];
}
