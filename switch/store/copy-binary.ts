/**
 * PostgreSQL's COPY binary format (https://www.postgresql.org/docs/15/sql-copy.html "Binary Format"), read:
 * the signature and header, then per row a field count and each field's length and bytes, then -1.
 * Used where a bytea must reach node as it is stored (switch/engine/cycles/bulk-files.ts: the inbound
 * files bulk files are built from), since node-postgres reads bytea as hex text.
 */

/** The 11-byte signature a binary COPY opens with; the 32-bit flags and header extension length follow it. */
const COPY_BINARY_HEADER = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * The one bytea value of a binary `COPY (SELECT <one bytea column> …) TO STDOUT (FORMAT binary)` of at
 * most one row; undefined when there is no row or the value is NULL. The stream's chunks are gathered
 * into one buffer and the value is a view of it (the header, field count and length around it are 25
 * bytes).
 */
export async function copyBinaryBytea(stream: AsyncIterable<Buffer>): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  if (all.length < 19 || !all.subarray(0, 11).equals(COPY_BINARY_HEADER)) throw new Error('binary COPY without its header');
  let at = 15 + 4 + all.readUInt32BE(15);
  const fields = all.readInt16BE(at);
  at += 2;
  if (fields === -1) return undefined;
  if (fields !== 1) throw new Error(`binary COPY of ${fields} columns, one expected`);
  const length = all.readInt32BE(at);
  at += 4;
  if (length === -1) return undefined;
  if (at + length + 2 > all.length || all.readInt16BE(at + length) !== -1) throw new Error('binary COPY of more than one row, or cut short');
  return all.subarray(at, at + length);
}

/** A field of a binary COPY row: null, text (sent as UTF-8), bytea (sent as it is), int4, int8 or boolean. */
export type BinaryField = null | string | Uint8Array | { readonly int4: number } | { readonly int8: bigint } | boolean;

/**
 * A binary `COPY … FROM STDIN (FORMAT binary)` of one row, as the chunks to send: the header and
 * every small field in one buffer, each bytea value as views of its bytes (COPY_CHUNK_BYTES each), never copied. Used to store
 * an inbound file (switch/engine/intake.ts): sent as a bind parameter, its 11 MB were copied twice
 * into node-postgres' write buffers (grown and freed for each message) before reaching the socket.
 * The fields must be given in the COPY's column order and with its columns' types.
 */
export function copyBinaryRow(fields: readonly BinaryField[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let parts: Buffer[] = [COPY_BINARY_HEADER, Buffer.alloc(8), int16(fields.length)];
  const flush = (): void => {
    if (parts.length > 0) chunks.push(Buffer.concat(parts));
    parts = [];
  };
  for (const field of fields) {
    if (field === null) {
      parts.push(int32(-1));
    } else if (typeof field === 'string') {
      const text = Buffer.from(field, 'utf8');
      parts.push(int32(text.length), text);
    } else if (typeof field === 'boolean') {
      parts.push(int32(1), Buffer.of(field ? 1 : 0));
    } else if (field instanceof Uint8Array) {
      parts.push(int32(field.length));
      flush();
      for (let at = 0; at < field.length; at += COPY_CHUNK_BYTES) chunks.push(field.subarray(at, at + COPY_CHUNK_BYTES));
    } else if ('int4' in field) {
      const b = Buffer.alloc(8);
      b.writeInt32BE(4, 0);
      b.writeInt32BE(field.int4, 4);
      parts.push(b);
    } else {
      const b = Buffer.alloc(12);
      b.writeInt32BE(8, 0);
      b.writeBigInt64BE(field.int8, 4);
      parts.push(b);
    }
  }
  parts.push(int16(-1));
  flush();
  return chunks;
}

/** A large bytea is sent in CopyData messages of this size: the server's COPY reads its input through a
 * 64 KiB buffer, and one 11 MB message cost it about 40 ms more per file (a message buffer that size,
 * grown and copied) than pieces of 64 KiB, which cost less than the same bytes as a bind parameter. */
const COPY_CHUNK_BYTES = 65_536;

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n, 0);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
}
