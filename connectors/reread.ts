/**
 * After a restore (docs/operations.md "Backup and restore"): files that arrived after the backup were
 * stored by the switch that is gone and acknowledged, so no one would read them again and the restored
 * store would never know them. In each mailbox, every inbound file archived at or after the backup's
 * moment whose bytes the restored store does not hold goes back to be read again; one that the store
 * does hold (stored before the backup, archived just after) stays archived. Refused files (bad
 * signature) were never stored either: they go back and are refused, and answered, again.
 *
 *   directory  archive/ → inbound/ on the local disk; "archived at" is the file's change time (the rename)
 *   sftp       archive/ → inbound/ on the participant's SFTP server, over the connector's own client;
 *              "archived at" is the file's modification time, which the connector sets when it archives
 *   queue      completed jobs of in-<BIC> (BullMQ keeps them queueLimits.keepCompletedSeconds, at most
 *              keepCompletedCountMax per queue) are moved back to waiting; "archived at" is the job's
 *              finishedOn (reofferCompletedSince in connectors/queue.ts)
 *
 * The moment compared is the backup's on the machine's clock (header.systemTimeAt), the clock the
 * switch archives by.
 */
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { DirectoryMailboxes } from './directory.ts';
import type { SftpConnector } from './sftp.ts';

export interface RereadResult {
  /** participant → file names moved back to inbound/ */
  readonly moved: ReadonlyArray<{ readonly participant: string; readonly fileName: string }>;
  /** archived after the backup but also waiting in inbound/ under the same name: left in archive/ */
  readonly clashes: ReadonlyArray<{ readonly participant: string; readonly fileName: string }>;
  /** mailboxes that could not be gone through (unreachable SFTP server): participant → reason */
  readonly failed: ReadonlyArray<{ readonly participant: string; readonly reason: string }>;
}

/** Of these SHA-256s, those the restored store holds as received from `participant`. */
export type StoredFiles = (participant: string, sha256s: readonly string[]) => Promise<Set<string>>;

/** A mailbox's archive, as the re-reading sees it. */
export interface ArchiveMailbox {
  /** Inbound data files (not signatures) archived at or after `since`. */
  archivedSince(since: Date): Promise<string[]>;
  readArchived(fileName: string): Promise<Uint8Array>;
  /** Moves the file (and its `.p7s`) back to inbound/; false when inbound/ already holds the name (left archived). */
  unarchive(fileName: string): Promise<boolean>;
}

/** A directory mailbox (the folder holding inbound/, archive/). */
export function directoryArchive(path: string): ArchiveMailbox {
  const box = new DirectoryMailboxes(dirname(path));
  const bic = basename(path);
  return {
    archivedSince: async (since) => box.archivedSince(bic, since),
    readArchived: async (fileName) => box.readArchived(bic, fileName),
    unarchive: async (fileName) => box.unarchive(bic, fileName),
  };
}

/** A participant's SFTP mailbox, through `connector` (which holds its account). */
export function sftpArchive(connector: SftpConnector, participant: string): ArchiveMailbox {
  return {
    archivedSince: (since) => connector.archivedSince(participant, since),
    readArchived: (fileName) => connector.readArchived(participant, fileName),
    unarchive: (fileName) => connector.unarchive(participant, fileName),
  };
}

/** `mailboxes`: participant → its mailbox's archive. A mailbox that fails is reported, the others are still done. */
export async function rereadAfterRestore(stored: StoredFiles, mailboxes: ReadonlyMap<string, ArchiveMailbox>, since: Date): Promise<RereadResult> {
  const moved: Array<{ participant: string; fileName: string }> = [];
  const clashes: Array<{ participant: string; fileName: string }> = [];
  const failed: Array<{ participant: string; reason: string }> = [];
  for (const [participant, box] of mailboxes) {
    try {
      const candidates: Array<{ fileName: string; sha256: string }> = [];
      for (const fileName of await box.archivedSince(since)) {
        candidates.push({ fileName, sha256: createHash('sha256').update(await box.readArchived(fileName)).digest('hex') });
      }
      const held = await stored(participant, candidates.map((c) => c.sha256));
      for (const c of candidates) {
        if (held.has(c.sha256)) continue;
        ((await box.unarchive(c.fileName)) ? moved : clashes).push({ participant, fileName: c.fileName });
      }
    } catch (error) {
      failed.push({ participant, reason: (error as Error).message });
    }
  }
  return { moved, clashes, failed };
}
