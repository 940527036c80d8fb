/**
 * The ledger's hashing, pure (no I/O): an entry's canonical text, the hash chain, and RFC 6962 Merkle
 * trees (leaf = sha256(0x00 || entry), node = sha256(0x01 || left || right)) with inclusion proofs.
 * docs/audit.md describes each so that anyone can recompute them with sha256sum.
 */
import { createHash } from 'node:crypto';

export interface LedgerEntry {
  readonly position: bigint;
  readonly xid: string;
  readonly seq: bigint;
  readonly table: string;
  readonly key: string;
  readonly operation: string;
  /** sha256 of the row's canonical content, hex. */
  readonly content: string;
}

/** The entry's canonical text: a JSON array, numbers as decimal strings, no spaces. */
export function entryText(e: LedgerEntry): string {
  return JSON.stringify([String(e.position), e.xid, String(e.seq), e.table, e.key, e.operation, e.content]);
}

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** entry_hash = sha256(entry text || previous entry_hash); the first entry has no previous hash. */
export function chainHash(text: string, previous: Uint8Array | undefined): Buffer {
  return previous ? sha256(Buffer.from(text, 'utf8'), previous) : sha256(Buffer.from(text, 'utf8'));
}

export function leafHash(text: string): Buffer {
  return sha256(Buffer.from([0]), Buffer.from(text, 'utf8'));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(Buffer.from([1]), left, right);
}

/** Largest power of two strictly below n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962 Merkle Tree Hash over leaf hashes (sha256 of nothing for an empty tree). */
export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return sha256();
  // Bottom-up, level by level: the same tree as the recursive definition (a left subtree is always
  // the largest power of two; an odd node at the end of a level is carried up unchanged).
  let level: Uint8Array[] = leaves.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return Buffer.from(level[0]!);
}

export interface ProofStep {
  /** Where the sibling goes: 'left' = sha256(0x01 || sibling || current), 'right' = sha256(0x01 || current || sibling). */
  readonly side: 'left' | 'right';
  readonly hash: string;
}

/** RFC 6962 audit path of leaf `index`, from the leaf up, each step with the sibling's side. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): ProofStep[] {
  if (index < 0 || index >= leaves.length) throw new RangeError('inclusionProof: index outside the tree');
  const path = (m: number, d: readonly Uint8Array[]): ProofStep[] => {
    if (d.length <= 1) return [];
    const k = split(d.length);
    return m < k
      ? [...path(m, d.slice(0, k)), { side: 'right', hash: merkleRoot(d.slice(k)).toString('hex') }]
      : [...path(m - k, d.slice(k)), { side: 'left', hash: merkleRoot(d.slice(0, k)).toString('hex') }];
  };
  return path(index, leaves);
}

/** Folds a proof: the root it leads to from `text`. */
export function rootFromProof(text: string, steps: readonly ProofStep[]): Buffer {
  let h = leafHash(text);
  for (const s of steps) {
    const sibling = Buffer.from(s.hash, 'hex');
    h = s.side === 'left' ? nodeHash(sibling, h) : nodeHash(h, sibling);
  }
  return h;
}
