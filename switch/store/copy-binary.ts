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
