/**
 * `clearhouse audit verify`: recomputes the chain, the checkpoints' Merkle roots, checks each
 * checkpoint's signature by the switch, and compares every audited table with the journal's latest
 * entry of each row (docs/audit.md "Verifying"). Reads only, in one REPEATABLE READ snapshot, so it
 * can run beside a working switch.
 */
import type { Database, Queryable } from '../store/database.ts';
import { limits } from '../limits.ts';
import { inboundSources, storedContent } from '../engine/message-bytes.ts';
import { checkpointDocument, type CheckpointKind } from './checkpoint.ts';
import { chainHash, entryText, leafHash, merkleRoot } from './merkle.ts';
import { AUDITED_TABLES, contentSql, keySql, quoteIdent, type AuditedTable } from './tables.ts';

export type Breakage = 'modified' | 'deleted' | 'inserted' | 'chain' | 'signature';

export interface BrokenEntry {
  readonly kind: Breakage;
  /** Where: a ledger position, a journal entry, a checkpoint, or an audited table's row. */
  readonly position?: bigint;
  readonly table?: string;
  readonly key?: string;
  readonly checkpoint?: bigint;
  readonly detail: string;
}

export type VerifyReport =
  | { readonly ok: true; readonly positions: bigint; readonly checkpoints: number; readonly rows: number;
      /** Checkpoints whose signature was verified; null when no scheme CA was given (signatures not checked). */
      readonly signatures: number | null }
  | { readonly ok: false; readonly broken: BrokenEntry };

/**
 * What a checkpoint's signature is judged against (docs/audit.md "Verifying"): the scheme CA
 * certificates (and their CRLs) the switch's certificate must chain to, and the switch's BIC, which the
 * signer certificate must carry (a participant's valid certificate is not the switch's).
 */
export interface CheckpointTrust {
  readonly caCertPems: readonly string[];
  readonly crls?: readonly string[];
  readonly switchBic: string;
}

export interface VerifyRange {
  /** First and last ledger position whose chain is recomputed (default: all). */
  readonly from?: bigint;
  readonly to?: bigint;
  /** Given: every checkpoint in range must carry a valid signature by the switch (an unsigned one is broken). */
  readonly trust?: CheckpointTrust;
}

interface ChainRow {
  position: bigint;
  xid: string;
  seq: bigint;
  entry_hash: string;
  table_name: string | null;
  row_key: string | null;
  operation: string | null;
  content: string | null;
}

class Broken extends Error {
  constructor(readonly broken: BrokenEntry) {
    super(broken.detail);
  }
}

/** `tables`: the audited tables and their declared columns (switch/audit/tables.ts; a test passes a list declaring more). */
export async function verifyAudit(db: Database, range: VerifyRange = {}, tables: readonly AuditedTable[] = AUDITED_TABLES): Promise<VerifyReport> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    return verifyAuditIn(tx, range, tables);
  });
}

/** verifyAudit inside the caller's transaction (whose snapshot it reads; it sets TimeZone for the transaction). */
export async function verifyAuditIn(tx: Queryable, range: VerifyRange = {}, tables: readonly AuditedTable[] = AUDITED_TABLES): Promise<VerifyReport> {
  try {
    await tx.query("SET LOCAL TimeZone = 'UTC'");
    await tx.query("SET LOCAL DateStyle = 'ISO, YMD'");
    const positions = await verifyChain(tx, range);
    await verifyJournalSealed(tx);
    const checkpoints = await verifyCheckpoints(tx, range);
    const rows = await verifyTables(tx, tables);
    await verifyDerivedStates(tx);
    await verifyMessageBytes(tx);
    return { ok: true as const, positions, checkpoints, rows, signatures: range.trust ? checkpoints : null };
  } catch (error) {
    if (error instanceof Broken) return { ok: false, broken: error.broken };
    throw error;
  }
}

const CHAIN_SELECT = `SELECT l.position, l.xid::text AS xid, l.seq, encode(l.entry_hash, 'hex') AS entry_hash,
       j.table_name, j.row_key, j.operation, encode(j.content_sha256, 'hex') AS content
  FROM ledger l LEFT JOIN journal j ON j.xid = l.xid AND j.seq = l.seq`;

/** Reads ledger positions first..last (inclusive) in order, page by page. */
async function* ledgerRows(tx: Queryable, first: bigint, last: bigint): AsyncGenerator<ChainRow> {
  let next = first;
  while (next <= last) {
    const rows = await tx.query<ChainRow>(`${CHAIN_SELECT} WHERE l.position >= $1 AND l.position <= $2 ORDER BY l.position LIMIT $3`,
      [next, last, limits.auditReadBatch]);
    if (rows.length === 0) return;
    for (const r of rows) yield r;
    next = rows[rows.length - 1]!.position + 1n;
  }
}

function textOf(r: ChainRow): string {
  return entryText({ position: r.position, xid: r.xid, seq: r.seq, table: r.table_name!, key: r.row_key!, operation: r.operation!, content: r.content! });
}

async function sealedPosition(tx: Queryable): Promise<bigint> {
  const [row] = await tx.query<{ position: bigint | null }>('SELECT (SELECT position FROM ledger_seals ORDER BY id DESC LIMIT 1) AS position');
  return row?.position ?? 0n;
}

async function verifyChain(tx: Queryable, range: VerifyRange): Promise<bigint> {
  const sealed = await sealedPosition(tx);
  const [top] = await tx.query<{ position: bigint | null }>('SELECT max(position) AS position FROM ledger');
  const last = range.to !== undefined && range.to < sealed ? range.to : sealed;
  if ((top?.position ?? 0n) > sealed && range.to === undefined) {
    throw new Broken({ kind: 'inserted', position: sealed + 1n, detail: `ledger entry ${sealed + 1n} is beyond the last seal (position ${sealed}): inserted` });
  }
  const first = range.from !== undefined && range.from > 1n ? range.from : 1n;
  let previous: Buffer | undefined;
  if (first > 1n) {
    const [before] = await tx.query<{ entry_hash: string }>(`SELECT encode(entry_hash, 'hex') AS entry_hash FROM ledger WHERE position = $1`, [first - 1n]);
    if (!before) throw new Broken({ kind: 'deleted', position: first - 1n, detail: `ledger entry ${first - 1n} is missing: deleted` });
    previous = Buffer.from(before.entry_hash, 'hex');
  }
  let expected = first;
  for await (const r of ledgerRows(tx, first, last)) {
    if (r.position !== expected) {
      throw new Broken({ kind: 'deleted', position: expected, detail: `ledger entry ${expected} is missing: deleted` });
    }
    if (r.table_name === null) {
      throw new Broken({ kind: 'deleted', position: r.position, detail: `ledger entry ${r.position}: its journal entry (xid ${r.xid}, seq ${r.seq}) is missing: deleted` });
    }
    const hash = chainHash(textOf(r), previous);
    if (hash.toString('hex') !== r.entry_hash) {
      throw new Broken({ kind: 'chain', position: r.position, table: r.table_name, key: r.row_key ?? undefined,
        detail: `ledger entry ${r.position} (${r.table_name} ${r.row_key} ${r.operation}) does not hash to its recorded hash: the entry or its journal entry was modified, inserted, removed or moved` });
    }
    previous = hash;
    expected += 1n;
  }
  if (expected <= last) throw new Broken({ kind: 'deleted', position: expected, detail: `ledger entry ${expected} is missing: deleted` });
  return last - first + 1n > 0n ? last - first + 1n : 0n;
}

/** A journal entry below the last seal's horizon that the ledger lacks was written behind the sealer's back. */
async function verifyJournalSealed(tx: Queryable): Promise<void> {
  const [row] = await tx.query<{ xid: string; seq: bigint; table_name: string; row_key: string }>(
    `SELECT j.xid::text AS xid, j.seq, j.table_name, j.row_key FROM journal j
      WHERE j.xid < (SELECT horizon FROM ledger_seals ORDER BY id DESC LIMIT 1)
        AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.xid = j.xid AND l.seq = j.seq)
      ORDER BY j.xid, j.seq LIMIT 1`);
  if (row) {
    throw new Broken({ kind: 'inserted', table: row.table_name, key: row.row_key,
      detail: `journal entry (xid ${row.xid}, seq ${row.seq}) for ${row.table_name} ${row.row_key} is in no ledger entry: inserted after sealing` });
  }
}

interface CheckpointRow {
  id: bigint; kind: CheckpointKind; subject: string; first_position: bigint; last_position: bigint; merkle_root: string; chain_head: string;
  document: string; signed: Uint8Array | null;
}

/**
 * Each checkpoint: its signature (when trust is given), then its root and chain head recomputed from
 * the ledger, and its document byte for byte the one the switch makes from those values (so the signed
 * root is the recomputed root, not merely a string somewhere in the document).
 */
async function verifyCheckpoints(tx: Queryable, range: VerifyRange): Promise<number> {
  const checkpoints = await tx.query<CheckpointRow>(
    `SELECT id, kind, subject, first_position, last_position, encode(merkle_root, 'hex') AS merkle_root, encode(chain_head, 'hex') AS chain_head, document, signed
       FROM ledger_checkpoints WHERE ($1::bigint IS NULL OR last_position >= $1) AND ($2::bigint IS NULL OR first_position <= $2) ORDER BY id`,
    [range.from ?? null, range.to ?? null]);
  for (const c of checkpoints) {
    const subject = `checkpoint ${c.id} (${c.kind} ${c.subject}, positions ${c.first_position}..${c.last_position})`;
    const createdAt = documentField(c.document, 'CreatedAt');
    const at = createdAt === undefined ? new Date(NaN) : new Date(createdAt);
    if (range.trust) await verifySignature(c, subject, at, range.trust);
    const leaves: Buffer[] = [];
    let head = '';
    if (c.first_position > 1n) {
      const [before] = await tx.query<{ entry_hash: string }>(`SELECT encode(entry_hash, 'hex') AS entry_hash FROM ledger WHERE position = $1`, [c.first_position - 1n]);
      head = before?.entry_hash ?? '';
    }
    for await (const r of ledgerRows(tx, c.first_position, c.last_position)) {
      if (r.table_name === null) break;
      leaves.push(leafHash(textOf(r)));
      head = r.entry_hash;
    }
    const root = merkleRoot(leaves).toString('hex');
    const expectedCount = Number(c.last_position - c.first_position + 1n);
    if (leaves.length !== expectedCount || root !== c.merkle_root || documentField(c.document, 'MerkleRoot') !== root) {
      throw new Broken({ kind: 'chain', checkpoint: c.id, position: c.first_position,
        detail: `${subject}: its entries no longer give its published Merkle root` });
    }
    if (head !== c.chain_head || documentField(c.document, 'ChainHead') !== head) {
      throw new Broken({ kind: 'chain', checkpoint: c.id, position: c.last_position, detail: `${subject}: the chain head differs from the published one` });
    }
    const switchBic = range.trust?.switchBic ?? documentField(c.document, 'Switch') ?? '';
    const expected = Number.isNaN(at.getTime()) ? undefined
      : checkpointDocument({ switchBic, kind: c.kind, subject: c.subject, first: c.first_position, last: c.last_position, root, head, at });
    if (c.document !== expected) {
      throw new Broken({ kind: 'chain', checkpoint: c.id, position: c.first_position,
        detail: `${subject}: its document is not the one the switch makes for these entries (switch ${switchBic}, created ${createdAt ?? '?'})` });
    }
  }
  return checkpoints.length;
}

function documentField(document: string, name: string): string | undefined {
  const found = document.match(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'));
  return found?.length === 1 ? found[0]!.slice(name.length + 2, -(name.length + 3)) : undefined;
}

/**
 * The detached CMS signature over the document's exact bytes (UTF-8), by a certificate that chains to
 * a scheme CA and names the switch's BIC, judged at the checkpoint's creation time (the certificate
 * valid and not revoked then: a checkpoint signed before the switch's certificate expired or was
 * rolled over stays valid). node-forge is loaded only here: reading commands that do not check
 * signatures stay light (docs/performance.md).
 */
async function verifySignature(c: CheckpointRow, subject: string, at: Date, trust: CheckpointTrust): Promise<void> {
  if (c.signed === null) throw new Broken({ kind: 'signature', checkpoint: c.id, detail: `${subject}: it carries no signature by the switch` });
  if (Number.isNaN(at.getTime())) throw new Broken({ kind: 'signature', checkpoint: c.id, detail: `${subject}: its document has no creation time to judge the signature at` });
  const { verifyDetached } = await import('../../connectors/signing/cms.ts');
  const verdict = verifyDetached(Buffer.from(c.document, 'utf8'), new Uint8Array(c.signed),
    { caCertPems: trust.caCertPems, ...(trust.crls ? { crls: trust.crls } : {}), expectedSigner: trust.switchBic, now: at });
  if (!verdict.ok) {
    throw new Broken({ kind: 'signature', checkpoint: c.id,
      detail: `${subject}: its signature is not the switch's (${verdict.code}: ${verdict.message})` });
  }
}

interface Mismatch { row_key: string; operation: string | null; journal: string | null; content: string | null }

async function verifyTables(tx: Queryable, tables: readonly AuditedTable[]): Promise<number> {
  let rows = 0;
  for (const table of tables) {
    const [count] = await tx.query<{ n: bigint }>(`SELECT count(*) AS n FROM ${quoteIdent(table.name)}`);
    rows += Number(count!.n);
    const [m] = await tx.query<Mismatch>(
      `WITH latest AS (
         SELECT DISTINCT ON (row_key) row_key, operation, content_sha256 FROM journal WHERE table_name = $1 ORDER BY row_key, seq DESC),
       current AS (SELECT ${keySql(table)} AS row_key, ${contentSql(table)} AS content_sha256 FROM ${quoteIdent(table.name)} r)
       SELECT coalesce(c.row_key, l.row_key) AS row_key, l.operation, encode(l.content_sha256, 'hex') AS journal, encode(c.content_sha256, 'hex') AS content
         FROM current c FULL JOIN latest l ON l.row_key = c.row_key
        WHERE (c.row_key IS NULL AND l.operation <> 'DELETE')
           OR (c.row_key IS NOT NULL AND (l.row_key IS NULL OR l.operation = 'DELETE'))
           OR (c.row_key IS NOT NULL AND l.operation <> 'DELETE' AND c.content_sha256 <> l.content_sha256)
        ORDER BY 1 LIMIT 1`, [table.name]);
    if (!m) continue;
    const where = { table: table.name, key: m.row_key };
    if (m.content === null) throw new Broken({ kind: 'deleted', ...where, detail: `${table.name} ${m.row_key}: the row is gone but the journal never saw it deleted: deleted` });
    if (m.journal === null || m.operation === 'DELETE') {
      throw new Broken({ kind: 'inserted', ...where, detail: `${table.name} ${m.row_key}: the row is not in the journal${m.operation === 'DELETE' ? ' (it was deleted)' : ''}: inserted` });
    }
    throw new Broken({ kind: 'modified', ...where, detail: `${table.name} ${m.row_key}: the row differs from its latest journal entry: modified` });
  }
  return rows;
}

/**
 * messages.bytes is out of the canonical content; its sha256 column is in, and must match it. A bulk
 * file stored as its composition (migration 033, bytes NULL) is composed from the inbound files it
 * refers to and hashed as it streams: a changed composition or a changed inbound file is a modification.
 */
/**
 * A batch payment stored ACCEPTED whose cycle is netted or settled takes its state from the cycle
 * (migration 037, decision 94): its row is not written at netting or settlement, so the journal's
 * record of that step is the cycle's row change and, in the same transaction, the step's
 * payment_transition_sets row listing every payment it moved (its payment_ids digested with the row).
 * Each such payment must be listed in its cycle's journaled set of the step that gave it its state:
 * a payment that reads NETTED or SETTLED without having been moved so (its cycle or the set row
 * changed, a row slipped into a cycle) is broken. (The rows themselves are compared with the journal
 * by verifyTables.)
 */
async function verifyDerivedStates(tx: Queryable): Promise<void> {
  const [p] = await tx.query<{ id: bigint; cycle_id: bigint; state: string }>(
    `WITH listed AS (
       SELECT s.cycle_id, s.to_state, m.id FROM payment_transition_sets s CROSS JOIN LATERAL unnest(s.payment_ids) AS m(id)
        WHERE s.to_state IN ('NETTED', 'SETTLED'))
     SELECT p.id, p.cycle_id, p.state FROM payments_effective p
      WHERE p.mode = 'batch' AND p.stored_state = 'ACCEPTED' AND p.state IN ('NETTED', 'SETTLED')
        AND NOT EXISTS (SELECT 1 FROM listed l WHERE l.cycle_id = p.cycle_id AND l.to_state = p.state AND l.id = p.id)
      ORDER BY p.id LIMIT 1`);
  if (p) {
    throw new Broken({ kind: 'modified', table: 'payments', key: String(p.id),
      detail: `payments ${p.id}: reads ${p.state} from cycle ${p.cycle_id}, but the cycle's journaled ${p.state} step does not list it: modified` });
  }
}

async function verifyMessageBytes(tx: Queryable): Promise<void> {
  const [m] = await tx.query<{ id: bigint }>(
    `SELECT id FROM messages WHERE NOT bytes_truncated AND bytes IS NOT NULL AND encode(sha256(bytes), 'hex') <> sha256 ORDER BY id LIMIT 1`);
  const modified = (id: bigint): Broken =>
    new Broken({ kind: 'modified', table: 'messages', key: String(id), detail: `messages ${id}: its bytes no longer have their recorded sha256: modified` });
  if (m) throw modified(m.id);
  const composed = await tx.query<{ id: bigint; sha256: string; size_bytes: number }>(
    'SELECT id, sha256, size_bytes FROM messages WHERE bytes IS NULL AND NOT bytes_truncated ORDER BY id');
  // One set of inbound files for all of them, as the dispatcher's pass: a cycle's bulk files draw on the same files.
  const sources = inboundSources(tx);
  for (const { id, sha256, size_bytes: size } of composed) {
    try {
      const content = await storedContent(tx, { id, sha256, size, bytesBase64: null }, sources);
      for await (const chunk of content.chunks()) void chunk; // the last step checks length and sha256
    } catch {
      throw modified(id);
    }
  }
}
