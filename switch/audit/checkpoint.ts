/**
 * Checkpoints (docs/audit.md "Checkpoints"): per cycle and per business day, the RFC 6962 Merkle root
 * over the ledger entries since the previous checkpoint of the same kind, with the chain head at its
 * last entry, in a small XML document signed by the switch (detached CMS) and published to every
 * participant as an outbound file, like any other message. Once published, no one with database
 * access can rewrite those entries unnoticed: each participant holds the root.
 */
import type { KeyAndCertificate } from '../../connectors/signing/pki.ts';
import { emit } from '../engine/outbound.ts';
import { limits } from '../limits.ts';
import type { Database, Queryable } from '../store/database.ts';
import { entryText, leafHash, merkleRoot } from './merkle.ts';
import { seal } from './sealer.ts';

export type CheckpointKind = 'cycle' | 'day';

export const CHECKPOINT_MESSAGE_TYPE = 'ledger.checkpoint';

export interface Checkpoint {
  readonly id: bigint;
  readonly kind: CheckpointKind;
  readonly subject: string;
  readonly firstPosition: bigint;
  readonly lastPosition: bigint;
  readonly merkleRoot: string;
  readonly chainHead: string;
  readonly document: string;
  /** The detached CMS signature (DER) made at checkpoint time, when the switch had its key. */
  readonly signed: Uint8Array | null;
  /** The file name participants find it under in their mailbox. */
  readonly fileName: string;
}

export interface CheckpointOptions {
  readonly switchBic: string;
  readonly now: Date;
  readonly signer?: KeyAndCertificate | undefined;
}

/** The message id a checkpoint is published under (and so its file name, `ledger.checkpoint_<id>.xml`). */
export function checkpointMessageId(kind: CheckpointKind, subject: string): string {
  return `LEDGER-${kind.toUpperCase()}-${subject}`;
}

export function checkpointFileName(kind: CheckpointKind, subject: string): string {
  return `${CHECKPOINT_MESSAGE_TYPE}_${checkpointMessageId(kind, subject)}.xml`;
}

interface Row {
  id: bigint; kind: CheckpointKind; subject: string; first_position: bigint; last_position: bigint;
  merkle_root: string; chain_head: string; document: string; signed: Uint8Array | null;
}

function fromRow(r: Row): Checkpoint {
  return { id: r.id, kind: r.kind, subject: r.subject, firstPosition: r.first_position, lastPosition: r.last_position, merkleRoot: r.merkle_root,
    chainHead: r.chain_head, document: r.document, signed: r.signed ? new Uint8Array(r.signed) : null, fileName: checkpointFileName(r.kind, r.subject) };
}

const SELECT = `SELECT id, kind, subject, first_position, last_position, encode(merkle_root, 'hex') AS merkle_root,
                       encode(chain_head, 'hex') AS chain_head, document, signed FROM ledger_checkpoints`;

export async function listCheckpoints(db: Queryable): Promise<Checkpoint[]> {
  return (await db.query<Row>(`${SELECT} ORDER BY id`)).map(fromRow);
}

/** The leaf hashes of ledger positions first..last (with the chain head at last), read page by page. */
export async function ledgerLeaves(db: Queryable, first: bigint, last: bigint): Promise<{ leaves: Buffer[]; texts: string[]; head: string }> {
  const leaves: Buffer[] = [];
  const texts: string[] = [];
  let head = '';
  if (first > 1n) {
    const [before] = await db.query<{ h: string }>(`SELECT encode(entry_hash, 'hex') AS h FROM ledger WHERE position = $1`, [first - 1n]);
    head = before?.h ?? '';
  }
  for (let next = first; next <= last;) {
    const rows = await db.query<{ position: bigint; xid: string; seq: bigint; h: string; table_name: string; row_key: string; operation: string; content: string }>(
      `SELECT l.position, l.xid::text AS xid, l.seq, encode(l.entry_hash, 'hex') AS h, j.table_name, j.row_key, j.operation, encode(j.content_sha256, 'hex') AS content
         FROM ledger l JOIN journal j ON j.xid = l.xid AND j.seq = l.seq
        WHERE l.position >= $1 AND l.position <= $2 ORDER BY l.position LIMIT $3`, [next, last, limits.auditReadBatch]);
    if (rows.length === 0) break;
    for (const r of rows) {
      const text = entryText({ position: r.position, xid: r.xid, seq: r.seq, table: r.table_name, key: r.row_key, operation: r.operation, content: r.content });
      texts.push(text);
      leaves.push(leafHash(text));
      head = r.h;
    }
    next = rows[rows.length - 1]!.position + 1n;
  }
  return { leaves, texts, head };
}

/** The checkpoint document: one line of XML, its values hex and decimal (docs/audit.md shows one). */
export function checkpointDocument(c: { switchBic: string; kind: CheckpointKind; subject: string; first: bigint; last: bigint; root: string; head: string; at: Date }): string {
  const entries = c.last >= c.first ? c.last - c.first + 1n : 0n;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<LedgerCheckpoint xmlns="urn:clearhouse:ledger:checkpoint:1">` +
    `<Switch>${c.switchBic}</Switch><Kind>${c.kind}</Kind><Subject>${c.subject}</Subject>` +
    `<FirstPosition>${c.first}</FirstPosition><LastPosition>${c.last}</LastPosition><Entries>${entries}</Entries>` +
    `<MerkleRoot>${c.root}</MerkleRoot><ChainHead>${c.head}</ChainHead><CreatedAt>${c.at.toISOString()}</CreatedAt></LedgerCheckpoint>\n`;
}

/**
 * Seals, then makes the checkpoint of (kind, subject) over the entries since the previous checkpoint
 * of that kind and publishes it to every participant, in one transaction. Does nothing (returns the
 * existing one) when that checkpoint exists.
 */
export async function makeCheckpoint(db: Database, kind: CheckpointKind, subject: string, options: CheckpointOptions): Promise<Checkpoint> {
  await seal(db);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CHECKPOINT_LOCK_KEY]);
    const [existing] = await tx.query<Row>(`${SELECT} WHERE kind = $1 AND subject = $2`, [kind, subject]);
    if (existing) return fromRow(existing);
    const [previous] = await tx.query<{ last_position: bigint }>(`SELECT last_position FROM ledger_checkpoints WHERE kind = $1 ORDER BY id DESC LIMIT 1`, [kind]);
    const [sealed] = await tx.query<{ position: bigint | null }>('SELECT (SELECT position FROM ledger_seals ORDER BY id DESC LIMIT 1) AS position');
    const first = (previous?.last_position ?? 0n) + 1n;
    const last = sealed?.position ?? 0n;
    const { leaves, head } = await ledgerLeaves(tx, first, last);
    const root = merkleRoot(leaves).toString('hex');
    const document = checkpointDocument({ switchBic: options.switchBic, kind, subject, first, last, root, head, at: options.now });
    // Loaded only to sign: reading commands open the engine and must not load node-forge (docs/performance.md).
    const signed = options.signer
      ? Buffer.from((await import('../../connectors/signing/cms.ts')).signDetached(Buffer.from(document, 'utf8'), { ...options.signer, signingTime: options.now }))
      : null;
    const [row] = await tx.query<Row>(
      `INSERT INTO ledger_checkpoints (kind, subject, first_position, last_position, merkle_root, chain_head, document, signed)
       VALUES ($1, $2, $3, $4, decode($5, 'hex'), decode($6, 'hex'), $7, $8)
       RETURNING id, kind, subject, first_position, last_position, encode(merkle_root, 'hex') AS merkle_root, encode(chain_head, 'hex') AS chain_head, document, signed`,
      [kind, subject, first, last, root, head, document, signed]);
    const participants = await tx.query<{ bic: string }>(`SELECT bic FROM participants WHERE status <> 'retired' ORDER BY bic`);
    for (const p of participants) {
      await emit(tx, { recipient: p.bic, messageType: CHECKPOINT_MESSAGE_TYPE, messageId: checkpointMessageId(kind, subject), xml: document });
    }
    return fromRow(row!);
  });
}

const CHECKPOINT_LOCK_KEY = 20261207;

/**
 * What serve's loop and the demo call: seals, then makes the checkpoints that are due: one per closed
 * cycle (settled or partially settled) that has none, in cycle order, and one per business day that
 * has ended (a later day's cycle exists) and has none.
 */
export async function auditTick(db: Database, options: CheckpointOptions): Promise<Checkpoint[]> {
  await seal(db);
  const made: Checkpoint[] = [];
  const due = await db.query<{ kind: CheckpointKind; subject: string }>(
    `SELECT 'cycle' AS kind, c.id::text AS subject, 0 AS o, c.id AS n FROM cycles c
      WHERE c.state IN ('SETTLED', 'PARTIALLY_SETTLED')
        AND NOT EXISTS (SELECT 1 FROM ledger_checkpoints k WHERE k.kind = 'cycle' AND k.subject = c.id::text)
     UNION ALL
     SELECT 'day', d.business_date::text, 1, 0 FROM (SELECT DISTINCT business_date FROM cycles) d
      WHERE d.business_date < (SELECT max(business_date) FROM cycles)
        AND NOT EXISTS (SELECT 1 FROM ledger_checkpoints k WHERE k.kind = 'day' AND k.subject = d.business_date::text)
     ORDER BY 3, 4, 2`);
  for (const d of due) made.push(await makeCheckpoint(db, d.kind, d.subject, options));
  return made;
}
