/**
 * Sanctions and negative lists in the store (tables screening_lists and screening_list_entries,
 * migration 017; docs/risk.md "Screening"), and the lists in force in a running process.
 *
 * A version is loaded by `clearhouse risk lists load` (engine.loadScreeningList): the operator action
 * `risk.list.load` is recorded first, then the file's records are streamed from its parser into the
 * entries table in batches, and the version row is written last with the counts and the file's
 * SHA-256, all in ONE transaction: a file refused halfway (ListFormatError) leaves nothing, not even
 * the action. The newest version of each list name is in force.
 *
 * ScreeningLists keeps a Screener of the lists in force. current() never waits: it returns the index
 * built last, and at most every limits.screening.listPollIntervalMs starts a look for a newer version
 * (one max(id)); a changed list's index is rebuilt in the background, page by page, and replaces the old
 * one when complete, so a running `serve` screens against a new version within a second or two of its
 * load (plus the build: docs/performance.md), without a restart and without slowing screening meanwhile.
 */
import { createHash } from 'node:crypto';
import { limits } from '../limits.ts';
import { ListIndexBuilder, type ListIndex } from '../risk/screening/list-index.ts';
import { ListFormatError, type ListFormat, type ListRecord, type ListSource, type ListValueKind } from '../risk/screening/list.ts';
import { ListScreener } from '../risk/screening/screener.ts';
import type { Screener } from '../risk/types.ts';
import type { Database, Queryable } from '../store/database.ts';
import { recordOperatorAction } from './operator-actions.ts';

/** Arbitrary constant naming the list-writing lock among the database's advisory locks. */
const LIST_LOCK_KEY = 20261217;
export const LIST_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface ScreeningListVersion {
  readonly id: bigint;
  readonly name: string;
  readonly version: number;
  readonly format: ListFormat;
  readonly loadedAt: Date;
  readonly loadedBy: string;
  readonly reason: string;
  readonly actionId: bigint;
  readonly sourceSha256: string;
  readonly entryCount: number;
  readonly valueCount: number;
}

/** A list file to load: its records from the format's parser, and the bytes they are read from (hashed). */
export interface ScreeningListLoad {
  readonly name: string;
  readonly format: ListFormat;
  /** The parser over `hashed(...)` sources (see hashed()). */
  readonly records: AsyncIterable<ListRecord>;
  /** The SHA-256 of every byte the parser read, once it has read them all. */
  readonly sha256: () => string;
  /** The file names, for the journal. */
  readonly files: readonly string[];
}

/** A load refused before anything was written (a bad name, an empty list). */
export class ScreeningListError extends Error {
  override readonly name = 'ScreeningListError';
}

/** Wraps sources so that the bytes passing through them are hashed, in order. */
export function hashed(): { wrap: (source: ListSource) => ListSource; sha256: () => string } {
  const hash = createHash('sha256');
  return {
    wrap: (source) => (async function* () {
      for await (const chunk of source) {
        hash.update(chunk);
        yield chunk;
      }
    })(),
    sha256: () => hash.copy().digest('hex'),
  };
}

interface VersionRow {
  id: bigint; name: string; version: number; format: ListFormat; loaded_at: Date; loaded_by: string; reason: string;
  action_id: bigint; source_sha256: string; entry_count: number; value_count: number;
}

const versionOf = (r: VersionRow): ScreeningListVersion => ({
  id: BigInt(r.id), name: r.name, version: Number(r.version), format: r.format, loadedAt: new Date(r.loaded_at), loadedBy: r.loaded_by,
  reason: r.reason, actionId: BigInt(r.action_id), sourceSha256: r.source_sha256, entryCount: Number(r.entry_count), valueCount: Number(r.value_count),
});

const VERSION_COLUMNS = `l.id, l.name, l.version, l.format, l.loaded_at, l.loaded_by, a.reason, l.action_id, l.source_sha256, l.entry_count, l.value_count
  FROM screening_lists l JOIN operator_actions a ON a.id = l.action_id`;

/** Loads a list version (recorded as `risk.list.load`); all or nothing. */
export async function storeScreeningList(db: Database, load: ScreeningListLoad, who: { readonly actor: string; readonly reason: string },
  at: Date): Promise<ScreeningListVersion> {
  if (!LIST_NAME.test(load.name)) throw new ScreeningListError(`${JSON.stringify(load.name)} is not a list name (lower case letters, digits, '.', '_', '-'; 1..64)`);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LIST_LOCK_KEY]);
    const action = await recordOperatorAction(tx, {
      actor: who.actor, action: 'risk.list.load', subject: `list ${load.name}`, reason: who.reason,
      details: { format: load.format, files: load.files },
    }, at);
    const [{ id }] = await tx.query<{ id: bigint }>("SELECT nextval(pg_get_serial_sequence('screening_lists', 'id')) AS id") as [{ id: bigint }];
    let seq = 0;
    let batch: { entryId: string; kind: ListValueKind; value: string }[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await tx.query(
        `INSERT INTO screening_list_entries (list_id, seq, entry_id, kind, value)
         SELECT $1, s, e, k, v FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) AS t (s, e, k, v)`,
        [id, batch.map((_, i) => seq - batch.length + i), batch.map((b) => b.entryId), batch.map((b) => b.kind), batch.map((b) => b.value)]);
      batch = [];
    };
    let lastLine = 0;
    for await (const record of load.records) {
      lastLine = record.line;
      for (const v of record.values) {
        if (seq >= limits.screening.listValuesMax) throw new ListFormatError(record.line, `more than ${limits.screening.listValuesMax} values in one list`);
        batch.push({ entryId: record.entryId, kind: v.kind, value: v.value });
        seq++;
        if (batch.length >= limits.screening.listInsertBatchCount) await flush();
      }
    }
    await flush();
    if (seq === 0) throw new ListFormatError(lastLine, 'the list has no entries (an empty file is refused: it would lift every screen of this list)');
    const [counted] = await tx.query<{ n: number }>('SELECT count(DISTINCT entry_id)::int AS n FROM screening_list_entries WHERE list_id = $1', [id]);
    const [last] = await tx.query<{ v: number | null }>('SELECT max(version) AS v FROM screening_lists WHERE name = $1', [load.name]);
    await tx.query(
      `INSERT INTO screening_lists (id, name, version, format, loaded_at, loaded_by, action_id, source_sha256, entry_count, value_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [id, load.name, (last?.v ?? 0) + 1, load.format, at, who.actor.trim(), action.id, load.sha256(), counted!.n, seq]);
    const [row] = await tx.query<VersionRow>(`SELECT ${VERSION_COLUMNS} WHERE l.id = $1`, [id]);
    return versionOf(row!);
  });
}

/** Every version, newest first (what `clearhouse risk lists` shows). */
export async function screeningListVersions(db: Queryable): Promise<ScreeningListVersion[]> {
  return (await db.query<VersionRow>(`SELECT ${VERSION_COLUMNS} ORDER BY l.id DESC`)).map(versionOf);
}

/** The newest version of each list name. */
export async function screeningListsInForce(db: Queryable): Promise<ScreeningListVersion[]> {
  return (await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} WHERE l.version = (SELECT max(version) FROM screening_lists m WHERE m.name = l.name) ORDER BY l.name`)).map(versionOf);
}

/** The id of the newest version of any list (0: none): what a poll compares. */
async function newestListId(db: Queryable): Promise<bigint> {
  const [row] = await db.query<{ id: bigint | null }>('SELECT max(id) AS id FROM screening_lists');
  return row?.id === null || row?.id === undefined ? 0n : BigInt(row.id);
}

/** Builds the index of one stored version, reading its values a page at a time. */
export async function buildListIndex(db: Queryable, version: ScreeningListVersion): Promise<ListIndex> {
  const builder = new ListIndexBuilder(`${version.name}@v${version.version}`);
  for (let from = 0; ;) {
    const rows = await db.query<{ seq: number; entry_id: string; kind: ListValueKind; value: string }>(
      'SELECT seq, entry_id, kind, value FROM screening_list_entries WHERE list_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3',
      [version.id, from, limits.screening.listReadPageCount]);
    for (const r of rows) builder.add(r.entry_id, r.kind, r.value);
    if (rows.length < limits.screening.listReadPageCount) break;
    from = rows[rows.length - 1]!.seq + 1;
  }
  return builder.build();
}

/** The lists in force in this process, as a Screener kept current in the background. */
export class ScreeningLists {
  private screener: ListScreener = new ListScreener([]);
  private readonly built = new Map<string, { id: bigint; index: ListIndex }>();
  private seenId = -1n;
  private checkedAt = -Infinity;
  private refreshing: Promise<boolean> | undefined;

  constructor(private readonly db: Queryable, private readonly options: {
    readonly pollIntervalMs?: number;
    /** Where a failed background refresh is reported (the old lists stay in force). */
    readonly onError?: (error: unknown) => void;
  } = {}) {}

  /**
   * The Screener of the lists in force. Never waits; may start a background refresh. Before the first
   * refresh() completes it screens against nothing: the risk stage awaits refresh() at start.
   */
  current(): Screener {
    const interval = this.options.pollIntervalMs ?? limits.screening.listPollIntervalMs;
    if (this.refreshing === undefined && performance.now() - this.checkedAt >= interval) {
      void this.refresh().catch((error: unknown) => this.options.onError?.(error));
    }
    return this.screener;
  }

  /** The list versions the current Screener holds (name@vN), in name order. */
  inForce(): string[] {
    return this.screener.lists.map((l) => l.label);
  }

  /**
   * Looks for a newer version and, when there is one, rebuilds the changed lists' indexes and swaps the
   * Screener; resolves true when it changed. Concurrent calls share one refresh.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    this.checkedAt = performance.now();
    const newest = await newestListId(this.db);
    if (newest === this.seenId) return false;
    const versions = await screeningListsInForce(this.db);
    for (const v of versions) {
      if (this.built.get(v.name)?.id === v.id) continue;
      this.built.set(v.name, { id: v.id, index: await buildListIndex(this.db, v) });
    }
    for (const name of [...this.built.keys()]) if (!versions.some((v) => v.name === name)) this.built.delete(name);
    this.screener = new ListScreener([...this.built.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, b]) => b.index));
    this.seenId = newest;
    return true;
  }

  /** Waits for a refresh under way (before the store is closed). */
  async close(): Promise<void> {
    await this.refreshing?.catch(() => undefined);
  }
}
