/**
 * The local directory connector (the embedded default): each participant has a mailbox directory
 * with inbound/ (where the bank puts files for the switch) and outbound/ (where the switch delivers).
 * Files are written under a temporary name and renamed, so a reader never sees half a file; names
 * are deterministic, so delivering the same message twice leaves one file.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { OutboundMessage } from '../switch/engine/transport.ts';

export class DirectoryMailboxes {
  constructor(readonly root: string) {}

  private box(bic: string, side: 'inbound' | 'outbound' | 'archive'): string {
    const path = join(this.root, bic, side);
    mkdirSync(path, { recursive: true });
    return path;
  }

  /** Deliver an outbound message into the recipient's outbound/ (atomic, idempotent). */
  async deliver(message: OutboundMessage): Promise<void> {
    const directory = this.box(message.recipient, 'outbound');
    const final = join(directory, message.fileName);
    if (existsSync(final)) return;
    const temporary = join(directory, `.${message.fileName}.part`);
    writeFileSync(temporary, message.bytes);
    renameSync(temporary, final);
  }

  /** A bank (or simulator) puts a file for the switch into its inbound/. */
  put(bic: string, fileName: string, bytes: Uint8Array): void {
    const directory = this.box(bic, 'inbound');
    const temporary = join(directory, `.${fileName}.part`);
    writeFileSync(temporary, bytes);
    renameSync(temporary, join(directory, fileName));
  }

  /** Complete files waiting in a participant's inbound/ (temporary names are never listed). */
  inbound(bic: string): string[] {
    return readdirSync(this.box(bic, 'inbound')).filter((f) => !f.startsWith('.')).sort();
  }

  read(bic: string, side: 'inbound' | 'outbound', fileName: string): Buffer {
    return readFileSync(join(this.box(bic, side), fileName));
  }

  /** Move a processed inbound file to archive/ (after it was stored durably). */
  archive(bic: string, fileName: string): void {
    renameSync(join(this.box(bic, 'inbound'), fileName), join(this.box(bic, 'archive'), fileName));
  }

  /** The participant has fetched and handled a delivered file: move it out of outbound/. */
  archiveOutbound(bic: string, fileName: string): void {
    renameSync(join(this.box(bic, 'outbound'), fileName), join(this.box(bic, 'archive'), `out-${fileName}`));
  }

  /** Files the switch delivered to a participant, oldest name first. */
  outbound(bic: string): string[] {
    return readdirSync(this.box(bic, 'outbound')).filter((f) => !f.startsWith('.')).sort();
  }
}
