/**
 * The local directory connector (the embedded default): each participant has a mailbox directory
 * with inbound/ (where the bank puts files for the switch) and outbound/ (where the switch delivers).
 * Files are written under a temporary name and renamed, so a reader never sees half a file; names
 * are deterministic, so delivering the same message twice leaves one file.
 *
 * Everything the switch creates here is its owner's only (directories 0700, files 0600): mailboxes
 * hold payments. Only regular files are listed: a subdirectory, a symbolic link, a FIFO or a socket
 * in a mailbox is left alone, and a file is opened without following a link that replaced it.
 */
import { closeSync, constants, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { open, rm } from 'node:fs/promises';
import { bodyChunks, type FileBody } from '../switch/engine/transport.ts';

/** Directories the switch creates: the owner's only. */
export const PRIVATE_DIRECTORY_MODE = 0o700;
/** Files the switch writes: the owner's only. */
export const PRIVATE_FILE_MODE = 0o600;

export class DirectoryMailboxes {
  constructor(readonly root: string) {}

  private box(bic: string, side: 'inbound' | 'outbound' | 'archive'): string {
    const path = join(this.root, bic, side);
    mkdirSync(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    return path;
  }

  /**
   * Deliver an outbound message into the recipient's outbound/ (atomic, idempotent, durable): its bytes
   * (whole, or streamed from its content chunk by chunk) are written to a temporary name and fsynced,
   * then renamed and the directory fsynced. The rename happens only after the content was read to its
   * end without an error (a composed bulk file whose bytes are not the recorded ones never appears).
   */
  async deliver(message: { readonly recipient: string; readonly fileName: string } & FileBody): Promise<void> {
    const directory = this.box(message.recipient, 'outbound');
    const final = join(directory, message.fileName);
    if (existsSync(final)) return;
    const temporary = join(directory, `.${message.fileName}.part`);
    const file = await open(temporary, 'w', PRIVATE_FILE_MODE);
    try {
      for await (const chunk of bodyChunks(message)) await file.write(chunk);
      await file.sync();
    } catch (error) {
      await file.close();
      await rm(temporary, { force: true });
      throw error;
    }
    await file.close();
    renameSync(temporary, final);
    await syncDirectory(directory);
  }

  /** A bank (or simulator) puts a file for the switch into its inbound/. */
  put(bic: string, fileName: string, bytes: Uint8Array): void {
    const directory = this.box(bic, 'inbound');
    const temporary = join(directory, `.${fileName}.part`);
    writeFileSync(temporary, bytes, { mode: PRIVATE_FILE_MODE });
    renameSync(temporary, join(directory, fileName));
  }

  /** Complete files waiting in a participant's inbound/ (temporary names and anything but regular files are never listed). */
  inbound(bic: string): string[] {
    return regularFiles(this.box(bic, 'inbound'));
  }

  /** A file's bytes; a symbolic link is refused (ELOOP), so a link planted after the listing reads nothing. */
  read(bic: string, side: 'inbound' | 'outbound', fileName: string): Buffer {
    const descriptor = openSync(join(this.box(bic, side), fileName), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return readFileSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  }

  /** Move a processed inbound file to archive/ (after it was stored durably). */
  archive(bic: string, fileName: string): void {
    renameSync(join(this.box(bic, 'inbound'), fileName), join(this.box(bic, 'archive'), fileName));
  }

  /**
   * Inbound files archived at or after `since` (the archive's rename sets a file's change time): the
   * data files, not their `.p7s` signatures nor delivered files the participant archived (`out-…`).
   */
  archivedSince(bic: string, since: Date): string[] {
    const directory = this.box(bic, 'archive');
    return regularFiles(directory)
      .filter((name) => !name.startsWith('out-') && !name.endsWith('.p7s') && lstatSync(join(directory, name)).ctimeMs >= since.getTime());
  }

  /** An archived inbound file's bytes (no link followed). */
  readArchived(bic: string, fileName: string): Buffer {
    const descriptor = openSync(join(this.box(bic, 'archive'), fileName), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return readFileSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  }

  /**
   * Moves an archived inbound file (its signature first, as a bank writes them) back to inbound/, to be
   * read again; false when inbound/ already holds that name (the file is left in archive/).
   */
  unarchive(bic: string, fileName: string): boolean {
    const archive = this.box(bic, 'archive');
    const inbound = this.box(bic, 'inbound');
    if (existsSync(join(inbound, fileName))) return false;
    const signature = `${fileName}.p7s`;
    if (existsSync(join(archive, signature)) && !existsSync(join(inbound, signature))) renameSync(join(archive, signature), join(inbound, signature));
    renameSync(join(archive, fileName), join(inbound, fileName));
    return true;
  }

  /** The participant has fetched and handled a delivered file: move it out of outbound/. */
  archiveOutbound(bic: string, fileName: string): void {
    renameSync(join(this.box(bic, 'outbound'), fileName), join(this.box(bic, 'archive'), `out-${fileName}`));
  }

  /** Files the switch delivered to a participant, oldest name first. */
  outbound(bic: string): string[] {
    return regularFiles(this.box(bic, 'outbound'));
  }
}

/** fsync a directory (a rename in it made durable); a platform that cannot open a directory skips it. */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch { /* not supported for directories here */ } finally {
    await handle.close();
  }
}

/** Names of the regular files in a directory that do not start with '.', sorted. */
function regularFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}
