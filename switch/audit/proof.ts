/**
 * Inclusion proofs (docs/audit.md "Checking a proof"): for one message, its ledger entry, the entry's
 * RFC 6962 audit path in the checkpoint that covers it, and that checkpoint, so that the participant
 * can recompute the published root from its own file with sha256sum alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../store/database.ts';
import { ledgerLeaves, listCheckpoints, type Checkpoint } from './checkpoint.ts';
import { inclusionProof, rootFromProof, type ProofStep } from './merkle.ts';

export type ProofQuery = { readonly messageRowId: bigint } | { readonly participant: string; readonly messageId: string };

export interface InclusionProof {
  readonly message: { readonly id: bigint; readonly direction: string; readonly participant: string; readonly messageType: string | null;
    readonly messageId: string | null; readonly sha256: string };
  /** The messages row's canonical content (docs/audit.md): its sha256 is the entry's content field. */
  readonly content: string;
  /** The ledger entry's canonical text: the Merkle leaf is sha256(0x00 || entry). */
  readonly entry: string;
  readonly position: bigint;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly path: readonly ProofStep[];
  readonly root: string;
  readonly checkpoint: Checkpoint;
}

export class ProofError extends Error {
  override readonly name = 'ProofError';
}

export async function proveMessage(db: Database, query: ProofQuery): Promise<InclusionProof> {
  return db.transaction(async (tx) => {
    await tx.query("SET LOCAL TimeZone = 'UTC'");
    const [m] = 'messageRowId' in query
      ? await tx.query<MessageRow>(`${MESSAGE} WHERE r.id = $1`, [query.messageRowId])
      : await tx.query<MessageRow>(`${MESSAGE} WHERE r.participant = $1 AND r.message_id = $2 ORDER BY r.id LIMIT 1`, [query.participant, query.messageId]);
    if (!m) throw new ProofError('no such message');
    const [entry] = await tx.query<{ position: bigint }>(
      `SELECT l.position FROM journal j JOIN ledger l ON l.xid = j.xid AND l.seq = j.seq
        WHERE j.table_name = 'messages' AND j.row_key = $1 AND j.operation = 'INSERT' ORDER BY l.position LIMIT 1`, [String(m.id)]);
    if (!entry) throw new ProofError(`message ${m.id} is not sealed in the ledger yet (the sealer runs in serve's loop and at each checkpoint)`);
    const checkpoint = (await listCheckpoints(tx)).find((c) => c.firstPosition <= entry.position && entry.position <= c.lastPosition);
    if (!checkpoint) throw new ProofError(`message ${m.id} (ledger entry ${entry.position}) is in no published checkpoint yet: one is made at each cycle's settlement and each day's end`);
    const { leaves, texts } = await ledgerLeaves(tx, checkpoint.firstPosition, checkpoint.lastPosition);
    const leafIndex = Number(entry.position - checkpoint.firstPosition);
    const path = inclusionProof(leaves, leafIndex);
    const root = rootFromProof(texts[leafIndex]!, path).toString('hex');
    if (root !== checkpoint.merkleRoot) throw new ProofError(`the ledger no longer gives checkpoint ${checkpoint.id}'s root: run \`clearhouse audit verify\``);
    return {
      message: { id: m.id, direction: m.direction, participant: m.participant, messageType: m.message_type, messageId: m.message_id, sha256: m.sha256 },
      content: m.content, entry: texts[leafIndex]!, position: entry.position, leafIndex, treeSize: leaves.length, path, root, checkpoint,
    };
  });
}

interface MessageRow { id: bigint; direction: string; participant: string; message_type: string | null; message_id: string | null; sha256: string; content: string }

const MESSAGE = `SELECT r.id, r.direction, r.participant, r.message_type, r.message_id, r.sha256, (to_jsonb(r) - '{bytes}'::text[])::text AS content FROM messages r`;

/** Writes the files docs/audit.md's procedure reads into `dir`. */
export function writeProof(dir: string, proof: InclusionProof): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'entry.txt'), proof.entry);
  writeFileSync(join(dir, 'content.json'), proof.content);
  writeFileSync(join(dir, 'path.txt'), proof.path.map((s) => `${s.side} ${s.hash}\n`).join(''));
  writeFileSync(join(dir, 'checkpoint.xml'), proof.checkpoint.document);
  if (proof.checkpoint.signed) writeFileSync(join(dir, 'checkpoint.xml.p7s'), proof.checkpoint.signed);
  writeFileSync(join(dir, 'proof.json'), JSON.stringify({ message: proof.message, position: proof.position, leafIndex: proof.leafIndex,
    treeSize: proof.treeSize, path: proof.path, root: proof.root, checkpoint: proof.checkpoint.fileName }, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v, 2) + '\n');
}
