/**
 * After a restore (docs/operations.md "Backup and restore"): files that arrived after the backup were
 * stored by the switch that is gone and acknowledged, i.e. moved to archive/, so no one would read them
 * again and the restored store would never know them. Each directory mailbox's inbound files archived
 * at or after the backup's moment whose bytes the restored store does not hold go back to inbound/;
 * the next poll takes them as new files. One that the store does hold (stored before the backup,
 * archived just after) stays archived. Refused files (bad signature) were never stored either: they go
 * back and are refused, and answered, again.
 *
 * SFTP and queue mailboxes are not covered: the SFTP archive/ is on the participant's server (move its
 * files of after the backup back by hand), and a queue's acknowledged jobs are gone.
 */
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { DirectoryMailboxes } from './directory.ts';

export interface RereadResult {
  /** participant → file names moved back to inbound/ */
  readonly moved: ReadonlyArray<{ readonly participant: string; readonly fileName: string }>;
  /** archived after the backup but also waiting in inbound/ under the same name: left in archive/ */
  readonly clashes: ReadonlyArray<{ readonly participant: string; readonly fileName: string }>;
}

/** Of these SHA-256s, those the restored store holds as received from `participant`. */
export type StoredFiles = (participant: string, sha256s: readonly string[]) => Promise<Set<string>>;

/** `mailboxes`: participant → its directory mailbox (holding inbound/, archive/). */
export async function rereadAfterRestore(stored: StoredFiles, mailboxes: ReadonlyMap<string, string>, since: Date): Promise<RereadResult> {
  const moved: Array<{ participant: string; fileName: string }> = [];
  const clashes: Array<{ participant: string; fileName: string }> = [];
  for (const [participant, path] of mailboxes) {
    const box = new DirectoryMailboxes(dirname(path));
    const bic = basename(path);
    const candidates = box.archivedSince(bic, since).map((fileName) => ({
      fileName, sha256: createHash('sha256').update(box.readArchived(bic, fileName)).digest('hex'),
    }));
    const held = await stored(participant, candidates.map((c) => c.sha256));
    for (const c of candidates) {
      if (held.has(c.sha256)) continue;
      (box.unarchive(bic, c.fileName) ? moved : clashes).push({ participant, fileName: c.fileName });
    }
  }
  return { moved, clashes };
}
