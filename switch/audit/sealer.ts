/**
 * The sealer: takes the journal entries of committed transactions not sealed yet, orders them by
 * (xid, seq) and chains them into the ledger
 * (docs/audit.md "The chain"). Writers never wait for it: it reads the journal and appends to the
 * ledger, under an advisory lock that only another sealer takes.
 */
import type { Database, Queryable } from '../store/database.ts';
import { limits } from '../limits.ts';
import { chainHash, entryText } from './merkle.ts';

/** Arbitrary constant naming the sealer's advisory lock. */
const SEALER_LOCK_KEY = 20261206;

export interface JournalHead {
  /** Last sealed ledger position (0 when nothing is sealed) and its entry hash (hex, '' when none). */
  readonly position: bigint;
  readonly entryHash: string;
  /** Journal sealed below this transaction id (text of an xid8; '0' when never sealed). */
  readonly horizon: string;
  /** Highest journal sequence number written (0 when none): entries up to it exist, sealed or not. */
  readonly journalSeq: bigint;
}

export async function journalHead(db: Queryable): Promise<JournalHead> {
  const [row] = await db.query<{ position: bigint | null; entry_hash: string | null; horizon: string | null; seq: bigint | null }>(
    `SELECT (SELECT position FROM ledger_seals ORDER BY id DESC LIMIT 1) AS position,
            (SELECT horizon::text FROM ledger_seals ORDER BY id DESC LIMIT 1) AS horizon,
            (SELECT encode(entry_hash, 'hex') FROM ledger ORDER BY position DESC LIMIT 1) AS entry_hash,
            (SELECT max(seq) FROM journal) AS seq`);
  return { position: row?.position ?? 0n, entryHash: row?.entry_hash ?? '', horizon: row?.horizon ?? '0', journalSeq: row?.seq ?? 0n };
}

export interface SealResult {
  readonly sealed: number;
  readonly position: bigint;
}

interface JournalRow {
  xid: string;
  seq: bigint;
  table_name: string;
  row_key: string;
  operation: string;
  content: string;
}

/** Seals what can be sealed now, in one transaction. */
export async function seal(db: Database): Promise<SealResult> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SEALER_LOCK_KEY]);
    const head = await journalHead(tx);
    // Every transaction below this snapshot's xmin has finished, and its entries are visible from now
    // on: the next seal need look no lower. Entries of transactions above it that have committed are
    // visible too and are sealed now; those still running are sealed by a later seal.
    const [snapshot] = await tx.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
    const horizon = BigInt(snapshot!.xmin) > BigInt(head.horizon) ? snapshot!.xmin : head.horizon;
    let position = head.position;
    let previous: Uint8Array | undefined = head.entryHash ? Buffer.from(head.entryHash, 'hex') : undefined;
    let cursor: { xid: string; seq: bigint } = { xid: head.horizon, seq: -1n };
    let sealed = 0;
    for (;;) {
      const rows = await tx.query<JournalRow>(
        `SELECT j.xid::text AS xid, j.seq, j.table_name, j.row_key, j.operation, encode(j.content_sha256, 'hex') AS content
           FROM journal j
          WHERE j.xid >= $1::xid8 AND (j.xid, j.seq) > ($2::xid8, $3::bigint)
            AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.xid = j.xid AND l.seq = j.seq)
          ORDER BY j.xid, j.seq LIMIT $4`,
        [head.horizon, cursor.xid, cursor.seq, limits.auditSealBatch]);
      if (rows.length === 0) break;
      const positions: string[] = [];
      const hashes: string[] = [];
      for (const r of rows) {
        position += 1n;
        const hash = chainHash(entryText({ position, xid: r.xid, seq: r.seq, table: r.table_name, key: r.row_key, operation: r.operation, content: r.content }), previous);
        positions.push(String(position));
        hashes.push(hash.toString('hex'));
        previous = hash;
      }
      await tx.query(
        `INSERT INTO ledger (position, xid, seq, entry_hash)
         SELECT p, x, s, decode(h, 'hex') FROM unnest($1::bigint[], $2::xid8[], $3::bigint[], $4::text[]) AS u(p, x, s, h)`,
        [positions, rows.map((r) => r.xid), rows.map((r) => String(r.seq)), hashes]);
      sealed += rows.length;
      const last = rows[rows.length - 1]!;
      cursor = { xid: last.xid, seq: last.seq };
    }
    if (sealed > 0 || horizon !== head.horizon) {
      await tx.query('INSERT INTO ledger_seals (horizon, position) VALUES ($1::xid8, $2)', [horizon, position]);
    }
    return { sealed, position };
  });
}

/**
 * After a restore into another cluster (switch/backup/after-restore.ts, docs/audit.md "After a
 * restore"): a seal row at this cluster's snapshot xmin when that is below the last seal's horizon,
 * repeating the last position (nothing sealed by it), so that entries written from now on, whose
 * transaction ids are lower than the source's were, are not left below the horizon, never sealed.
 */
export async function lowerSealHorizon(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO ledger_seals (horizon, position)
       SELECT pg_snapshot_xmin(pg_current_snapshot()), s.position
         FROM (SELECT horizon, position FROM ledger_seals ORDER BY id DESC LIMIT 1) s
        WHERE pg_snapshot_xmin(pg_current_snapshot()) < s.horizon`);
  });
}
