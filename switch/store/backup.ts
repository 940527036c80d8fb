/**
 * Backup and restore of the whole store, the same on PostgreSQL and PGlite (docs/operations.md
 * "Backup and restore", decision records "Backups as JSON lines read through a cursor" and "A
 * restored store is a new incarnation").
 *
 * A backup is ONE gzip file of text lines, written while the switch runs:
 *
 *   clearhouse-backup 1
 *   header {"createdAt":…,"engine":…,"migrations":[{version,name,sha256}…],"journalHead":…}
 *   table NAME ["col",…]          then one line per row: to_jsonb(row), in primary-key order
 *   end NAME ROWS SHA256          the rows of NAME and the sha256 of their lines
 *   …                             every table, parents before children
 *   manifest {"tables":[…],"sequences":[…],"state":{…},"stateSha256":…}
 *   sha256 HEX                    of every byte above (uncompressed)
 *
 * Consistent: every table is read in one REPEATABLE READ READ ONLY transaction (one snapshot), through
 * a cursor in bounded batches, so memory stays bounded whatever the store's size. The manifest comes
 * last because the counts are known only then; the last line makes a truncated or altered file
 * recognisable before a restore writes anything.
 *
 * A restore reads the file once, checking it entirely as it loads it (gzip CRC, every table's count
 * and sha256, the manifest, the whole-file sha256; only its header is read before, for the refusals),
 * in ONE transaction that creates the
 * schema with the backup's migrations, inserts the rows, sets the sequences, applies the migrations
 * of this code that are newer than the backup, recounts every table, compares the state summary
 * (payments by state, exposures, cycles and their positions) with the one the backup recorded, and
 * records the restore with a new incarnation (migration 023) — or does nothing at all: a damaged
 * file is found before the transaction commits, and rolls it back (PostgreSQL's DDL is transactional,
 * so not even the schema is left). It used to be read a first time only to be checked; on PostgreSQL
 * that pass cost about a sixth of a restore (docs/performance.md, decision 79).
 *
 * On PostgreSQL a backup writes each table as the output of one COPY of its rows' to_jsonb text
 * (pg-copy-streams on the transaction's connection); PGlite's are read in pages. The file is the same
 * either way, byte for byte. A restore inserts in batches through jsonb_populate_recordset on both:
 * COPY into a staging table was measured slower (decision 79).
 */
import { createHash, randomInt, randomUUID, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Database, Queryable } from './database.ts';
import { migrateWithin, migrations, requireCurrentSchema } from './migrate.ts';

export const BACKUP_FORMAT = 'clearhouse-backup 1';
/** Rows fetched from a table's cursor at a time (at most), and rows inserted per statement on restore. */
const ROWS_PER_BATCH = 500;
/**
 * Stored bytes (pg_column_size: compressed, as on disk) of a page of rows read at a time: `messages`
 * holds whole files (a 10,000-payment file is 11 MB, 22 MB as hex in JSON), so pages are sized by
 * their rows' bytes, not counted, and memory stays bounded whatever the store holds.
 */
const STORED_BYTES_PER_PAGE = 2 * 1024 * 1024;
/** A restore's insert statement also ends at this many characters of rows (messages carry whole files). */
const INSERT_CHARS_MAX = 8 * 1024 * 1024;
/** Characters buffered before a write to the gzip stream. */
const WRITE_CHUNK_CHARS = 64 * 1024;
/**
 * COPY options under which a one-column row of JSON text is its line unchanged: CSV with
 * a delimiter and a quote character that JSON text never holds raw (it escapes every control
 * character), so no value is ever quoted or escaped, and no empty value (NULL) occurs.
 */
const COPY_LINES = "FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01'";

/**
 * Dependencies the catalogue does not show as foreign keys: payment_transitions and payment_xml refer
 * to payments through statement triggers (migration 005), which check on insert that the payment exists;
 * payments and idempotency_keys to their message and cycle likewise (migration 044).
 */
const TRIGGER_REFERENCES: Readonly<Record<string, readonly string[]>> = {
  payment_transitions: ['payments'],
  payment_xml: ['payments'],
  payments: ['messages', 'cycles'],
  idempotency_keys: ['messages'],
};

export interface BackupMigration { readonly version: number; readonly name: string; readonly sha256: string }
export interface BackupTable { readonly name: string; readonly columns: readonly string[]; readonly rows: number; readonly sha256: string }
export interface BackupSequence { readonly name: string; readonly lastValue: string; readonly isCalled: boolean }

/** What a backup says about the business state: compared after a restore. */
export interface StateSummary {
  readonly payments: ReadonlyArray<{ state: string; mode: string; currency: string; count: string; amountMinor: string }>;
  readonly exposures: ReadonlyArray<{ bic: string; currency: string; netMinor: string; reservedMinor: string }>;
  readonly cycles: ReadonlyArray<{ id: string; state: string; positions: string }>;
  readonly messages: ReadonlyArray<{ direction: string; count: string }>;
  readonly settlementInstructions: ReadonlyArray<{ state: string; count: string }>;
}

export interface BackupHeader {
  /** The backup's moment on the process clock (the switch's time). */
  readonly createdAt: string;
  /** The same moment on the machine's clock, the one file times are on (re-reading archived files after a restore). */
  readonly systemTimeAt: string;
  readonly engine: Database['kind'];
  readonly migrations: readonly BackupMigration[];
  /** The audit journal's head in the backup's snapshot, when the store has one (switch/backup/hooks.ts). */
  readonly journalHead: unknown;
}

export interface BackupManifest {
  readonly tables: readonly BackupTable[];
  readonly sequences: readonly BackupSequence[];
  readonly state: StateSummary;
  readonly stateSha256: string;
}

export interface BackupSummary {
  readonly file: string;
  readonly header: BackupHeader;
  readonly manifest: BackupManifest;
  /** sha256 of the content (the last line of the file) */
  readonly contentSha256: string;
  /** sha256 of the file as written (compressed), to keep beside it */
  readonly fileSha256: string;
  readonly fileBytes: number;
}

/** The file is not a complete, unaltered backup: nothing was written. */
export class BackupDamagedError extends Error {
  override readonly name = 'BackupDamagedError';
}

/** The restore was refused before anything was written: the target is not empty, or the backup is of a newer schema. */
export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

/** The restored store did not match the backup (counts or state summary): rolled back, nothing kept. */
export class RestoreVerificationError extends Error {
  override readonly name = 'RestoreVerificationError';
}

export interface BackupOptions {
  /** The backup's moment (the process clock's now). */
  readonly createdAt: Date;
  /** The same moment on the system clock. */
  readonly systemTimeAt: Date;
  /** Reads the audit journal's head within the backup's snapshot (switch/backup/hooks.ts); null: none. */
  readonly journalHead?: (tx: Queryable) => Promise<unknown>;
}

/** Writes a backup of `db` to `file` (written as `file.part` and renamed: never half a file under the name). */
export async function writeBackup(db: Database, file: string, options: BackupOptions): Promise<BackupSummary> {
  await requireCurrentSchema(db);
  const partial = `${file}.part`;
  const gzip = createGzip();
  const fileHash = createHash('sha256');
  let fileBytes = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      fileHash.update(chunk);
      fileBytes += chunk.length;
      done(null, chunk);
    },
  });
  const written = pipeline(gzip, counting, createWriteStream(partial, { mode: 0o600 }));
  written.catch(() => {}); // awaited below; a failure also rejects the writes waiting for 'drain'
  const out = new LineWriter(gzip);
  try {
    const { header, manifest } = await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const applied = await tx.query<{ version: number; name: string; sha256: string }>('SELECT version, name, sha256 FROM schema_migrations ORDER BY version');
      const header: BackupHeader = {
        createdAt: options.createdAt.toISOString(), systemTimeAt: options.systemTimeAt.toISOString(), engine: db.kind,
        migrations: applied.map((m) => ({ version: m.version, name: m.name, sha256: m.sha256 })),
        journalHead: options.journalHead ? await options.journalHead(tx) : null,
      };
      await out.line(BACKUP_FORMAT);
      await out.line(`header ${JSON.stringify(header)}`);
      const tables: BackupTable[] = [];
      for (const table of await tablesInOrder(tx)) tables.push(await dumpTable(tx, table, out));
      const state = await stateSummary(tx);
      const manifest: BackupManifest = { tables, sequences: await sequences(tx), state, stateSha256: sha256Of(state) };
      await out.line(`manifest ${JSON.stringify(manifest)}`);
      return { header, manifest };
    });
    await out.flush();
    const contentSha256 = out.hash.digest('hex');
    gzip.end(`sha256 ${contentSha256}\n`);
    await written;
    renameSync(partial, file);
    return { file, header, manifest, contentSha256, fileSha256: fileHash.digest('hex'), fileBytes };
  } catch (error) {
    gzip.destroy();
    await written.catch(() => {});
    rmSync(partial, { force: true });
    throw error;
  }
}

/** Buffered lines into a stream, hashed as written; waits when the stream asks to (bounded memory). */
class LineWriter {
  readonly hash: Hash = createHash('sha256');
  private parts: string[] = [];
  private chars = 0;
  constructor(private readonly sink: Writable) {}

  async line(text: string): Promise<void> {
    this.parts.push(text, '\n');
    this.chars += text.length + 1;
    if (this.chars >= WRITE_CHUNK_CHARS) await this.flush();
  }

  /** Whole lines as bytes, each ending in '\n' (a COPY's output), written after what is buffered. */
  async bytes(chunk: Buffer): Promise<void> {
    await this.flush();
    this.hash.update(chunk);
    if (!this.sink.write(chunk)) await once(this.sink, 'drain');
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.chars = 0;
    this.hash.update(chunk);
    if (!this.sink.write(chunk)) await once(this.sink, 'drain');
  }
}

/** `generated`: the table has generated columns (payments.pending_state), left out of the backup: a restore generates them. */
interface TableInfo { readonly oid: number; readonly name: string; readonly columns: string[]; readonly key: string[]; readonly bytea: string[]; readonly generated: boolean }

/** The schema's tables, each after every table it refers to (schema_migrations is the header's). */
async function tablesInOrder(tx: Queryable): Promise<TableInfo[]> {
  const tables = await tx.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> 'schema_migrations' ORDER BY c.relname`);
  const references = await tx.query<{ child: string; parent: string }>(
    `SELECT ch.relname AS child, pa.relname AS parent FROM pg_constraint k
       JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = ch.relnamespace
      WHERE k.contype = 'f' AND n.nspname = current_schema()`);
  const parents = new Map<string, Set<string>>(tables.map((t) => [t.name, new Set(TRIGGER_REFERENCES[t.name] ?? [])]));
  for (const r of references) if (r.child !== r.parent) parents.get(r.child)?.add(r.parent);
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const next = tables.find((t) => !placed.has(t.name) && [...parents.get(t.name)!].every((p) => placed.has(p) || !parents.has(p)));
    if (!next) throw new Error('the tables refer to one another in a cycle: no order to restore them in');
    ordered.push(next.name);
    placed.add(next.name);
  }
  const byName = new Map(tables.map((t) => [t.name, t]));
  const infos: TableInfo[] = [];
  for (const name of ordered) {
    const { oid } = byName.get(name)!;
    const all = await tx.query<{ name: string; bytea: boolean; generated: boolean }>(
      'SELECT attname AS name, atttypid = \'bytea\'::regtype AS bytea, attgenerated <> \'\' AS generated FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum', [oid]);
    const columns = all.filter((c) => !c.generated);
    const key = await tx.query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = $1::oid AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`, [oid]);
    infos.push({ oid, name, columns: columns.map((c) => c.name), key: key.map((k) => k.name), bytea: columns.filter((c) => c.bytea).map((c) => c.name),
      generated: columns.length < all.length });
  }
  return infos;
}

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

/**
 * One table's rows in key order (a payment's original comes before its return). A table with a
 * one-column primary key is read in pages by key, each page as many rows as STORED_BYTES_PER_PAGE of
 * stored data holds (at least one): rows are sized on the server before they are read, so a page of
 * `messages`, which holds whole files, never brings hundreds of megabytes at once. Other tables (small
 * rows, composite keys) go through a cursor, ROWS_PER_BATCH rows at a time.
 */
async function dumpTable(tx: Queryable, table: TableInfo, out: LineWriter): Promise<BackupTable> {
  await out.line(`table ${table.name} ${JSON.stringify(table.columns)}`);
  const hash = createHash('sha256');
  let rows = 0;
  const write = async (r: string): Promise<void> => {
    hash.update(`${r}\n`);
    await out.line(r);
    rows++;
  };
  const name = quote(table.name);
  if (tx.copyTo) {
    // PostgreSQL: one COPY per table, the rows as the server writes them (the same lines as below:
    // CSV with delimiter and quote that JSON text never holds unescaped, so each line is the row's
    // to_jsonb text, byte for byte). Streamed: a row is in memory once, whatever the table's size.
    const order = table.key.length > 0 ? ` ORDER BY ${table.key.map((k) => `t.${quote(k)}`).join(', ')}` : '';
    await out.flush();
    const copy = tx.copyTo(`COPY (SELECT ${rowJson(table)} FROM ${name} t${order}) TO STDOUT WITH (${COPY_LINES})`);
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      hash.update(chunk);
      rows += newlines(chunk);
      await out.bytes(chunk);
    }
  } else if (table.key.length === 1) {
    const key = `t.${quote(table.key[0]!)}`;
    const size = table.columns.map((c) => `COALESCE(pg_column_size(t.${quote(c)}), 0)`).join(' + ');
    let last: string | undefined;
    for (;;) {
      const page = await tx.query<{ r: string; k: string }>(
        `WITH page AS (SELECT ${key} AS k, ${size} AS size FROM ${name} t ${last === undefined ? '' : `WHERE ${key} > $1`} ORDER BY ${key} LIMIT ${ROWS_PER_BATCH}),
              chosen AS (SELECT k FROM (SELECT k, row_number() OVER (ORDER BY k) AS n, sum(size) OVER (ORDER BY k) AS running FROM page) p
                          WHERE n = 1 OR running <= ${STORED_BYTES_PER_PAGE})
         SELECT ${plainJson(table)} AS r, ${key}::text AS k FROM ${name} t WHERE ${key} IN (SELECT k FROM chosen) ORDER BY ${key}`,
        last === undefined ? [] : [last]);
      if (page.length === 0) break;
      for (const { r } of page) await write(r);
      last = page.at(-1)!.k;
    }
  } else {
    const order = table.key.length > 0 ? ` ORDER BY ${table.key.map((k) => `t.${quote(k)}`).join(', ')}` : '';
    await tx.query(`DECLARE backup_rows NO SCROLL CURSOR FOR SELECT ${plainJson(table)} AS r FROM ${name} t${order}`);
    for (;;) {
      const batch = await tx.query<{ r: string }>(`FETCH ${ROWS_PER_BATCH} FROM backup_rows`);
      for (const { r } of batch) await write(r);
      if (batch.length < ROWS_PER_BATCH) break;
    }
    await tx.query('CLOSE backup_rows');
  }
  const sha256 = hash.digest('hex');
  await out.line(`end ${table.name} ${rows} ${sha256}`);
  return { name: table.name, columns: table.columns, rows, sha256 };
}

async function sequences(tx: Queryable): Promise<BackupSequence[]> {
  const names = await tx.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind = 'S' ORDER BY c.relname`);
  const result: BackupSequence[] = [];
  // Read after every table: a sequence is not part of the snapshot, so its value is at least that of
  // any row the backup holds (never a number already used).
  for (const { name } of names) {
    const [s] = await tx.query<{ last_value: bigint; is_called: boolean }>(`SELECT last_value, is_called FROM ${quote(name)}`);
    result.push({ name, lastValue: String(s!.last_value), isCalled: s!.is_called });
  }
  return result;
}

/**
 * The business state in a few numbers: payments by state, mode and currency (count and sum), every
 * exposure, every cycle with its state and positions, messages by direction, settlement instructions
 * by state. Recorded in the backup, compared after a restore.
 */
export async function stateSummary(q: Queryable): Promise<StateSummary> {
  const payments = await q.query<{ state: string; mode: string; currency: string; count: bigint; amount: bigint }>(
    `SELECT state, mode, currency, COUNT(*)::bigint AS count, COALESCE(SUM(amount_minor), 0)::bigint AS amount
       FROM payments_effective GROUP BY state, mode, currency ORDER BY state, mode, currency`);
  const exposures = await q.query<{ bic: string; currency: string; net_minor: bigint; reserved_minor: bigint }>(
    'SELECT bic, currency, net_minor, reserved_minor FROM exposures ORDER BY bic, currency');
  const cycles = await q.query<{ id: bigint; state: string; positions: string | null }>(
    `SELECT c.id, c.state, (SELECT string_agg(p.bic || ':' || p.currency || ':' || p.net_minor, ',' ORDER BY p.bic, p.currency)
                              FROM cycle_positions p WHERE p.cycle_id = c.id) AS positions
       FROM cycles c ORDER BY c.id`);
  const messages = await q.query<{ direction: string; count: bigint }>(
    'SELECT direction, COUNT(*)::bigint AS count FROM messages GROUP BY direction ORDER BY direction');
  const instructions = await q.query<{ state: string; count: bigint }>(
    'SELECT state, COUNT(*)::bigint AS count FROM settlement_instructions GROUP BY state ORDER BY state');
  return {
    payments: payments.map((p) => ({ state: p.state, mode: p.mode, currency: p.currency, count: String(p.count), amountMinor: String(p.amount) })),
    exposures: exposures.map((e) => ({ bic: e.bic, currency: e.currency, netMinor: String(e.net_minor), reservedMinor: String(e.reserved_minor) })),
    cycles: cycles.map((c) => ({ id: String(c.id), state: c.state, positions: c.positions ?? '' })),
    messages: messages.map((m) => ({ direction: m.direction, count: String(m.count) })),
    settlementInstructions: instructions.map((i) => ({ state: i.state, count: String(i.count) })),
  };
}

/**
 * A row's to_jsonb text, without its generated columns (the same text: jsonb orders its keys itself).
 * Bytea columns rendered by the server (PGlite's pages and cursor; see rowJson for COPY).
 */
function plainJson(table: TableInfo): string {
  if (!table.generated) return 'to_jsonb(t)::text';
  return `to_jsonb((SELECT s FROM (SELECT ${table.columns.map((c) => `t.${quote(c)}`).join(', ')}) s))::text`;
}

/**
 * A row's to_jsonb text. A bytea column (messages.bytes: whole files) is to_jsonb'd as a placeholder
 * and its hex spliced in after: to_jsonb would JSON-escape the hex text character by character, which
 * was most of a backup's time on the server, and hex needs no escaping — the text is the same
 * (`"\\x…"`, bytea_output hex, the default). Each placeholder holds a random UUID: no value can be it.
 */
function rowJson(table: TableInfo): string {
  if (table.bytea.length === 0) return plainJson(table);
  const nonce = randomUUID();
  const placeholder = (c: string): string => `'clearhouse-backup-${nonce}-${table.bytea.indexOf(c)}'`;
  const columns = table.columns.map((c) => (table.bytea.includes(c)
    ? `CASE WHEN t.${quote(c)} IS NULL THEN NULL ELSE ${placeholder(c)} END AS ${quote(c)}` : `t.${quote(c)}`)).join(', ');
  let text = `to_jsonb((SELECT s FROM (SELECT ${columns}) s))::text`;
  for (const c of table.bytea) {
    text = `replace(${text}, to_jsonb(${placeholder(c)}::text)::text, '"\\\\x' || COALESCE(encode(t.${quote(c)}, 'hex'), '') || '"')`;
  }
  return text;
}

function newlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

function sha256Of(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** What reading a backup meets, in file order. */
interface BackupVisitor {
  header?(header: BackupHeader): Promise<void>;
  table?(name: string, columns: readonly string[]): Promise<void>;
  row?(line: string): Promise<void>;
  end?(name: string, rows: number): Promise<void>;
}

export interface VerifiedBackup {
  readonly header: BackupHeader;
  readonly manifest: BackupManifest;
  readonly contentSha256: string;
}

/**
 * Reads a whole backup, checking its form, every table's count and sha256, the manifest and the
 * whole-file sha256; BackupDamagedError on the first fault. `visitor` sees what was read before it is
 * checked as a whole: a restore that visits must run in a transaction it rolls back on an error.
 */
export async function readBackup(file: string, visitor: BackupVisitor = {}): Promise<VerifiedBackup> {
  const hash = createHash('sha256');
  let lineNumber = 0;
  let header: BackupHeader | undefined;
  let manifest: BackupManifest | undefined;
  let trailer: string | undefined;
  let current: { name: string; rows: number; hash: Hash } | undefined;
  const tables: Array<{ name: string; rows: number; sha256: string }> = [];
  const damaged = (what: string) => new BackupDamagedError(`${file} is not a complete, unaltered clearhouse backup: ${what} (line ${lineNumber})`);
  const input = createReadStream(file);
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  const lines = createInterface({ input: gunzip, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      lineNumber++;
      if (trailer !== undefined) throw damaged('text after the final sha256 line');
      if (line.startsWith('sha256 ') && current === undefined) {
        trailer = line.slice('sha256 '.length);
        continue;
      }
      hash.update(`${line}\n`);
      if (lineNumber === 1) {
        if (line !== BACKUP_FORMAT) throw damaged(`it does not start with "${BACKUP_FORMAT}"`);
      } else if (current !== undefined) {
        if (line.startsWith('end ')) {
          const [, name, rows, sha256] = line.split(' ');
          if (name !== current.name || Number(rows) !== current.rows || sha256 !== current.hash.digest('hex')) {
            throw damaged(`table ${current.name}: its rows do not match their count and sha256`);
          }
          tables.push({ name: current.name, rows: current.rows, sha256: sha256! });
          await visitor.end?.(current.name, current.rows);
          current = undefined;
        } else {
          current.hash.update(`${line}\n`);
          current.rows++;
          await visitor.row?.(line);
        }
      } else if (line.startsWith('header ') && header === undefined) {
        header = parseJson<BackupHeader>(line.slice('header '.length), () => damaged('the header is not JSON'));
        await visitor.header?.(header);
      } else if (line.startsWith('table ') && header !== undefined && manifest === undefined) {
        const space = line.indexOf(' ', 'table '.length);
        const name = line.slice('table '.length, space);
        const columns = parseJson<string[]>(line.slice(space + 1), () => damaged(`table ${name}: its columns are not JSON`));
        current = { name, rows: 0, hash: createHash('sha256') };
        await visitor.table?.(name, columns);
      } else if (line.startsWith('manifest ') && header !== undefined && manifest === undefined) {
        manifest = parseJson<BackupManifest>(line.slice('manifest '.length), () => damaged('the manifest is not JSON'));
      } else {
        throw damaged('a line out of place');
      }
    }
  } catch (error) {
    if (error instanceof BackupDamagedError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw error;
    throw damaged(`it cannot be read to its end (${(error as Error).message})`);
  } finally {
    lines.close();
    input.destroy();
  }
  if (header === undefined || manifest === undefined) throw damaged('it ends before its manifest (truncated?)');
  if (trailer === undefined) throw damaged('it ends before its final sha256 line (truncated?)');
  const contentSha256 = hash.digest('hex');
  if (trailer !== contentSha256) throw damaged('its content does not match its sha256');
  const listed = manifest.tables.map((t) => `${t.name}:${t.rows}:${t.sha256}`).join(',');
  if (listed !== tables.map((t) => `${t.name}:${t.rows}:${t.sha256}`).join(',')) throw damaged('the manifest does not list the tables the file holds');
  if (sha256Of(manifest.state) !== manifest.stateSha256) throw damaged('the state summary does not match its sha256');
  return { header, manifest, contentSha256 };
}

function parseJson<T>(text: string, fault: () => Error): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw fault();
  }
}

export interface RestoreOptions {
  /** The restore's moment (the process clock's now). */
  readonly restoredAt: Date;
}

export interface RestoreSummary {
  readonly header: BackupHeader;
  readonly manifest: BackupManifest;
  readonly contentSha256: string;
  /** The new incarnation, part of every MsgId from now on (migration 023). */
  readonly incarnation: string;
  /** Migrations of this code newer than the backup, applied after loading it. */
  readonly migrated: readonly number[];
  /** API sessions of the backup deleted by the restore (none survives it: migration 031). */
  readonly sessionsDropped: number;
}

/**
 * Restores a backup into `db`, which must be empty (no table, sequence or view in its schema):
 * loads it in one transaction, checking the file whole as it reads it, and verifies the store there
 * (see the top of this module). Throws RestoreRefusedError before writing anything, and
 * BackupDamagedError or RestoreVerificationError with everything rolled back.
 */
export async function restoreBackup(db: Database, file: string, options: RestoreOptions): Promise<RestoreSummary> {
  const checked = { header: await readHeader(file) };
  const known = migrations();
  for (const m of checked.header.migrations) {
    const mine = known.find((k) => k.version === m.version);
    if (!mine) throw new RestoreRefusedError(`the backup's schema has migration ${m.version}_${m.name}, which this clearhouse does not know: restore it with the version that made it`);
    if (mine.sha256 !== m.sha256) throw new RestoreRefusedError(`migration ${m.version}_${m.name} of the backup differs from this clearhouse's`);
  }
  const upTo = checked.header.migrations.at(-1)?.version ?? 0;
  const gaps = known.filter((k) => k.version <= upTo && !checked.header.migrations.some((m) => m.version === k.version));
  if (gaps.length > 0) throw new RestoreRefusedError(`the backup's schema lacks migration ${gaps[0]!.version}_${gaps[0]!.name}`);
  await requireEmpty(db);
  try {
    return await loadBackup(db, file, upTo, options);
  } catch (error) {
    if (error instanceof BackupDamagedError || error instanceof RestoreVerificationError) throw error;
    // A damaged row can fail its INSERT before the reading reaches the line that proves the damage
    // (its table's count and sha256): the file says which, when it is to blame.
    await readBackup(file);
    throw error;
  }
}

/** The header of a backup (the line after the format line), before anything else is read. */
async function readHeader(file: string): Promise<BackupHeader> {
  const damaged = (what: string) => new BackupDamagedError(`${file} is not a complete, unaltered clearhouse backup: ${what}`);
  const input = createReadStream(file);
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  const lines = createInterface({ input: gunzip, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (lineNumber === 1 && line !== BACKUP_FORMAT) throw damaged(`it does not start with "${BACKUP_FORMAT}"`);
      if (lineNumber === 2) {
        if (!line.startsWith('header ')) throw damaged('its second line is not its header');
        return parseJson<BackupHeader>(line.slice('header '.length), () => damaged('the header is not JSON'));
      }
    }
  } catch (error) {
    if (error instanceof BackupDamagedError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw error;
    throw damaged(`it cannot be read (${(error as Error).message})`);
  } finally {
    lines.close();
    input.destroy();
  }
  throw damaged('it ends before its header (truncated?)');
}

async function loadBackup(db: Database, file: string, upTo: number, options: RestoreOptions): Promise<RestoreSummary> {
  return db.transaction(async (tx) => {
    // Set for this transaction only: a trigger that records inserts (the audit journal's) can tell a
    // restore's rows, which are history already recorded in the backup, from new ones.
    await tx.query("SELECT set_config('clearhouse.restoring', 'on', true)");
    await migrateWithin(tx, upTo);
    let batch: string[] = [];
    let chars = 0;
    let target: { name: string; columns: readonly string[] } | undefined;
    const insert = async (): Promise<void> => {
      if (batch.length === 0 || !target) return;
      const columns = target.columns.map(quote).join(', ');
      await tx.query(`INSERT INTO ${quote(target.name)} (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::${quote(target.name)}, $1::jsonb)`,
        [`[${batch.join(',')}]`]);
      batch = [];
      chars = 0;
    };
    const loaded = await readBackup(file, {
      table: async (name, columns) => { target = { name, columns }; },
      row: async (line) => {
        batch.push(line);
        chars += line.length;
        if (batch.length >= ROWS_PER_BATCH || chars >= INSERT_CHARS_MAX) await insert();
      },
      end: async () => { await insert(); target = undefined; },
    });
    for (const s of loaded.manifest.sequences) {
      await tx.query('SELECT setval(to_regclass(quote_ident($1)), $2::bigint, $3)', [s.name, s.lastValue, s.isCalled]);
    }
    const migrated = await migrateWithin(tx);
    for (const t of loaded.manifest.tables) {
      const [row] = await tx.query<{ n: bigint }>(`SELECT COUNT(*)::bigint AS n FROM ${quote(t.name)}`);
      if (Number(row!.n) !== t.rows) throw new RestoreVerificationError(`table ${t.name} holds ${row!.n} rows after the restore, the backup ${t.rows}`);
    }
    const state = await stateSummary(tx);
    if (sha256Of(state) !== loaded.manifest.stateSha256) {
      throw new RestoreVerificationError('the restored payments, exposures, cycles or positions differ from the backup\'s state summary');
    }
    // Sessions do not survive a restore (migration 031, docs/operations.md): a token issued before the
    // backup, stolen or old, must not open the restored switch. People log in again; their accounts stay.
    const [dropped] = await tx.query<{ n: number }>('WITH d AS (DELETE FROM api_sessions RETURNING 1) SELECT count(*)::int AS n FROM d');
    const sessionsDropped = Number(dropped!.n);
    const incarnation = await newIncarnation(tx);
    await tx.query('INSERT INTO store_restores (incarnation, backup_created_at, backup_sha256, restored_at, sessions_dropped) VALUES ($1, $2, $3, $4, $5)',
      [incarnation, loaded.header.createdAt, loaded.contentSha256, options.restoredAt, sessionsDropped]);
    return { header: loaded.header, manifest: loaded.manifest, contentSha256: loaded.contentSha256, incarnation, migrated, sessionsDropped };
  });
}

/** Refuses a store that holds anything: a restore never mixes a backup with other data. */
async function requireEmpty(db: Database): Promise<void> {
  const found = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S', 'v', 'm') ORDER BY c.relname LIMIT 3`);
  if (found.length > 0) {
    throw new RestoreRefusedError(`the target database is not empty (schema holds ${found.map((f) => f.name).join(', ')}${found.length === 3 ? ', …' : ''}): ` +
      'restore only into a new, empty database or data directory');
  }
}

const INCARNATION_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Five random characters no earlier restore of this store's history used (the table's UNIQUE also says so). */
async function newIncarnation(tx: Queryable): Promise<string> {
  const used = new Set((await tx.query<{ incarnation: string }>('SELECT incarnation FROM store_restores')).map((r) => r.incarnation));
  for (;;) {
    const candidate = Array.from({ length: 5 }, () => INCARNATION_ALPHABET[randomInt(INCARNATION_ALPHABET.length)]).join('');
    if (!used.has(candidate)) return candidate;
  }
}
