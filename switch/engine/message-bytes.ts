/**
 * The one way to a stored message's bytes (docs/architecture.md "Messages and their bytes"). Most messages
 * are stored whole (messages.bytes); a bulk pacs.008 is stored as its composition (migration 033,
 * message_compositions): its own group header and trailer plus ordered references to transaction
 * elements of stored inbound files, which never change. Either way a reader gets the same bytes:
 *  - messageContent: length, SHA-256 and the bytes read in chunks (the dispatcher streams them to the
 *    connector); a composed message is built while it is read, holding at most
 *    limits.bulkSourceBytesMax of inbound files, and its length and SHA-256 are checked against the
 *    recorded ones at the end — a mismatch throws before the iteration ends;
 *  - messageBytes: the whole bytes in one buffer (API and CLI download, reports, audit), checked alike.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../store/database.ts';
import { contentBytes, type OutboundContent } from './transport.ts';
import { compositionChunks, InboundSources, type Composition, type HeldFile } from './cycles/bulk-files.ts';

/**
 * Inbound files for composing messages (held up to limits.bulkSourceBytesMax; their spans are not read),
 * starting from `files` already read (the dispatcher: those settlement handed over, takeInboundFiles).
 */
export function inboundSources(db: Queryable, files?: ReadonlyMap<bigint, HeldFile>): InboundSources {
  return new InboundSources(db, undefined, false, files);
}

/** The stored message `messageRowId`'s content, or undefined if there is no such message or its bytes were not stored whole (refused storage). */
export async function messageContent(db: Queryable, messageRowId: bigint): Promise<OutboundContent | undefined> {
  const [row] = await db.query<{ sha256: string; size_bytes: number; truncated: boolean; bytes_base64: string | null }>(
    `SELECT sha256, size_bytes, bytes_truncated AS truncated, encode(bytes, 'base64') AS bytes_base64 FROM messages WHERE id = $1`, [messageRowId]);
  if (row === undefined || row.truncated) return undefined;
  return storedContent(db, { id: messageRowId, sha256: row.sha256, size: row.size_bytes, bytesBase64: row.bytes_base64 });
}

/** The whole bytes of stored message `messageRowId` (see messageContent). */
export async function messageBytes(db: Queryable, messageRowId: bigint): Promise<Buffer | undefined> {
  const content = await messageContent(db, messageRowId);
  return content === undefined ? undefined : contentBytes(content);
}

/**
 * A message row's content, its bytes already read (`bytesBase64`, NULL for a composed message, whose
 * composition is read here). Stored bytes are checked against the sha256 too when read. `sources`: the
 * inbound files already read, shared by the messages of one dispatcher pass (a cycle's bulk files all
 * draw on the same inbound files: each is then read once per pass, not once per bulk file).
 */
export async function storedContent(db: Queryable, row: { id: bigint; sha256: string; size: number; bytesBase64: string | null },
  sources?: InboundSources): Promise<OutboundContent> {
  if (row.bytesBase64 !== null) {
    const bytes = Buffer.from(row.bytesBase64, 'base64');
    return checkedContent(row, async function* () { yield bytes; });
  }
  // The arrays as comma-separated text, split here: node-postgres parses an array column character by
  // character, which cost more than composing the file.
  const [stored] = await db.query<{ head: Uint8Array; tail: Uint8Array; sources: string; starts: string; ends: string; plain: string }>(
    `SELECT head, tail, array_to_string(sources, ',') AS sources, array_to_string(starts, ',') AS starts,
            array_to_string(ends, ',') AS ends, array_to_string(plain, ',') AS plain FROM message_compositions WHERE message_id = $1`, [row.id]);
  if (stored === undefined) throw new Error(`message ${row.id} has neither bytes nor a composition`);
  const list = (text: string): string[] => (text === '' ? [] : text.split(','));
  const composition: Composition = { head: stored.head, tail: stored.tail, sources: list(stored.sources), starts: list(stored.starts).map(Number),
    ends: list(stored.ends).map(Number), plain: list(stored.plain).map((p) => p === 'true' || p === 't') };
  return checkedContent(row, () => compositionChunks(composition, sources ?? inboundSources(db)));
}

/** Content whose chunks are hashed as they go; after the last one, a length or SHA-256 other than recorded throws. */
function checkedContent(row: { id: bigint; sha256: string; size: number }, chunks: () => AsyncIterable<Uint8Array>): OutboundContent {
  return {
    size: row.size, sha256: row.sha256,
    async* chunks() {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of chunks()) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
      const sha256 = hash.digest('hex');
      if (size !== row.size || sha256 !== row.sha256) {
        throw new Error(`message ${row.id}: its bytes are ${size} bytes with sha256 ${sha256}, ${row.size} bytes with sha256 ${row.sha256} were recorded`);
      }
    },
  };
}
