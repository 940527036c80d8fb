/**
 * `audit verify` checks each checkpoint's signature (docs/audit.md "Verifying"): the detached CMS
 * signature over the document's exact bytes, by a certificate under the scheme CA naming the switch's
 * BIC, and the signed document is the one the switch makes from the recomputed root and head.
 *
 * Tampered in the database with the triggers off (as tamper.test.ts does), each case in a transaction
 * rolled back, over seeds: a signature altered, a document altered under its signature, a signature by
 * a valid participant's key, and history rewritten consistently (journal entry, the chain after it,
 * the checkpoints' roots, heads and documents) then re-signed by someone without the switch's key
 * (a participant, a switch-BIC certificate from a foreign CA) or left unsigned. Without the scheme CA
 * the rewrite passes verify: the signatures are what catch it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signDetached } from '../../connectors/signing/cms.ts';
import { createCa, issueCertificate, type KeyAndCertificate } from '../../connectors/signing/pki.ts';
import { chainHash, checkpointDocument, makeCheckpoint, seal, verifyAudit, verifyAuditIn, type CheckpointTrust, type VerifyReport } from '../../switch/audit/index.ts';
import { ledgerLeaves } from '../../switch/audit/checkpoint.ts';
import { merkleRoot } from '../../switch/audit/merkle.ts';
import { random } from '../../switch/demo/generate.ts';
import type { Database, Queryable } from '../../switch/store/database.ts';
import { SWITCH } from '../engine/support.ts';
import { backends, fillAuditedTables, openAuditStore } from './support.ts';

const SEEDS = [1, 2, 3, 4];
const notBefore = new Date('2026-11-01T00:00:00Z');
const at = (n: number): Date => new Date(Date.UTC(2026, 10, 26, 12, n));

const ca = createCa({ commonName: 'Audit Signature Test CA', validDays: 3650, notBefore });
const switchCert = issueCertificate({ ca, bic: SWITCH, validDays: 364, notBefore });
const switchSigner: KeyAndCertificate = { keyPem: switchCert.keyPem!, certPem: switchCert.certPem };
const participantCert = issueCertificate({ ca, bic: 'BANKDEFFXXX', validDays: 364, notBefore });
const participant: KeyAndCertificate = { keyPem: participantCert.keyPem!, certPem: participantCert.certPem };
const foreignCa = createCa({ commonName: 'Not The Scheme CA', validDays: 3650, notBefore });
const foreignSwitchCert = issueCertificate({ ca: foreignCa, bic: SWITCH, validDays: 364, notBefore });
const foreignSwitch: KeyAndCertificate = { keyPem: foreignSwitchCert.keyPem!, certPem: foreignSwitchCert.certPem };
const trust: CheckpointTrust = { caCertPems: [ca.certPem], switchBic: SWITCH };

class RollBack extends Error {}

/** Runs `tamper` with the triggers off, verifies with and without the scheme CA in the same transaction, rolls back. */
async function tampered(db: Database, tamper: (tx: Queryable) => Promise<void>): Promise<{ signed: VerifyReport; unsigned: VerifyReport }> {
  let out: { signed: VerifyReport; unsigned: VerifyReport } | undefined;
  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await tamper(tx);
    await tx.query('SET LOCAL session_replication_role = origin');
    out = { signed: await verifyAuditIn(tx, { trust }), unsigned: await verifyAuditIn(tx) };
    throw new RollBack();
  }).catch((error: unknown) => { if (!(error instanceof RollBack)) throw error; });
  return out!;
}

interface Stored { id: bigint; kind: string; subject: string; first_position: bigint; last_position: bigint; document: string; signed: Buffer }

const checkpoints = (q: Queryable): Promise<Stored[]> =>
  q.query<Stored>('SELECT id, kind, subject, first_position, last_position, document, signed FROM ledger_checkpoints ORDER BY id');

const show = (r: VerifyReport): string => JSON.stringify(r, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v);

/**
 * The rewrite of an operator with database access but without the switch's key: journal entry at
 * `position` changed, every later ledger hash recomputed, every checkpoint whose head or root moved
 * remade (same creation time) and signed by `forger` (unsigned when null). Returns the first checkpoint remade.
 */
async function rewriteHistory(tx: Queryable, position: bigint, forger: KeyAndCertificate | null): Promise<bigint> {
  await tx.query(`UPDATE journal SET content_sha256 = sha256(content_sha256)
                   WHERE (xid, seq) = (SELECT xid, seq FROM ledger WHERE position = $1)`, [position]);
  const [last] = await tx.query<{ n: bigint }>('SELECT max(position) AS n FROM ledger');
  const { texts } = await ledgerLeaves(tx, 1n, last!.n);
  let previous: Buffer | undefined;
  for (let i = 0; i < texts.length; i++) {
    previous = chainHash(texts[i]!, previous);
    if (BigInt(i + 1) >= position) await tx.query('UPDATE ledger SET entry_hash = $1 WHERE position = $2', [previous, BigInt(i + 1)]);
  }
  let first: bigint | undefined;
  for (const c of await checkpoints(tx)) {
    if (c.last_position < position) continue;
    first ??= c.id;
    const { leaves, head } = await ledgerLeaves(tx, c.first_position, c.last_position);
    const root = merkleRoot(leaves).toString('hex');
    const createdAt = new Date(/<CreatedAt>([^<]*)</.exec(c.document)![1]!);
    const document = checkpointDocument({ switchBic: SWITCH, kind: c.kind as 'cycle' | 'day', subject: c.subject, first: c.first_position, last: c.last_position, root, head, at: createdAt });
    const signed = forger ? Buffer.from(signDetached(Buffer.from(document, 'utf8'), { ...forger, signingTime: createdAt })) : null;
    await tx.query(`UPDATE ledger_checkpoints SET merkle_root = decode($1, 'hex'), chain_head = decode($2, 'hex'), document = $3, signed = $4 WHERE id = $5`,
      [root, head, document, signed, c.id]);
  }
  return first!;
}

for (const backend of backends) {
  describe(`audit verify checks the checkpoints' signatures (${backend})`, () => {
    let db: Database;
    let stored: Stored[];
    before(async () => {
      db = await openAuditStore(backend);
      await fillAuditedTables(db);
      await makeCheckpoint(db, 'cycle', '1', { switchBic: SWITCH, now: at(1), signer: switchSigner });
      await fillAuditedTables(db, 1);
      await makeCheckpoint(db, 'cycle', '2', { switchBic: SWITCH, now: at(2), signer: switchSigner });
      await fillAuditedTables(db, 2);
      await makeCheckpoint(db, 'day', '2026-11-26', { switchBic: SWITCH, now: at(3), signer: switchSigner });
      await fillAuditedTables(db, 3);
      await seal(db);
      stored = await checkpoints(db);
    });
    after(async () => { await db?.close(); });

    it('finds the store and its three signed checkpoints intact', async () => {
      assert.equal(stored.length, 3);
      const report = await verifyAudit(db, { trust });
      assert.ok(report.ok && report.signatures === 3 && report.checkpoints === 3, show(report));
      const without = await verifyAudit(db);
      assert.ok(without.ok && without.signatures === null, show(without));
    });

    it('a checkpoint\'s signature altered, its document altered under it, or replaced by a participant\'s: named', async () => {
      for (const seed of SEEDS) {
        const next = random(seed);
        const c = stored[Math.floor(next() * stored.length)]!;
        // A byte of the RSA signature value (the last bytes of the DER).
        const signature = Buffer.from(c.signed);
        const offset = signature.length - 1 - Math.floor(next() * 200);
        signature[offset]! ^= 1 + Math.floor(next() * 255);
        const altered = await tampered(db, async (tx) => { await tx.query('UPDATE ledger_checkpoints SET signed = $1 WHERE id = $2', [signature, c.id]); });
        let signed = altered.signed;
        assert.ok(!signed.ok && signed.broken.kind === 'signature' && signed.broken.checkpoint === c.id, `seed ${seed}: altered signature: ${show(signed)}`);
        assert.ok(signed.broken.detail.includes(`checkpoint ${c.id} `), signed.broken.detail);
        assert.ok(altered.unsigned.ok, 'without the scheme CA the signature is not looked at');

        // The document's creation time moved: what the signature covers changed.
        const moved = c.document.replace(/<CreatedAt>([^<]*)</, (_m, t: string) => `<CreatedAt>${new Date(Date.parse(t) + 1000 * (1 + Math.floor(next() * 59))).toISOString()}<`);
        ({ signed } = await tampered(db, async (tx) => { await tx.query('UPDATE ledger_checkpoints SET document = $1 WHERE id = $2', [moved, c.id]); }));
        assert.ok(!signed.ok && signed.broken.kind === 'signature' && signed.broken.checkpoint === c.id && signed.broken.detail.includes('DS17'),
          `seed ${seed}: document altered: ${show(signed)}`);

        // The same document, signed by a participant (a valid certificate under the scheme CA, not the switch's).
        const byParticipant = Buffer.from(signDetached(Buffer.from(c.document, 'utf8'), participant));
        ({ signed } = await tampered(db, async (tx) => { await tx.query('UPDATE ledger_checkpoints SET signed = $1 WHERE id = $2', [byParticipant, c.id]); }));
        assert.ok(!signed.ok && signed.broken.kind === 'signature' && signed.broken.checkpoint === c.id && signed.broken.detail.includes('BANKDEFFXXX'),
          `seed ${seed}: participant's signature: ${show(signed)}`);
      }
    });

    it('history rewritten with its checkpoints remade and re-signed without the switch\'s key: named', async () => {
      // Positions whose journal entry a later entry of the same row supersedes: rewriting one leaves the tables matching.
      const superseded = (await db.query<{ position: bigint }>(
        `SELECT l.position FROM ledger l JOIN journal j ON (j.xid, j.seq) = (l.xid, l.seq)
          WHERE l.position <= (SELECT max(last_position) FROM ledger_checkpoints)
            AND EXISTS (SELECT 1 FROM journal k WHERE k.table_name = j.table_name AND k.row_key = j.row_key AND k.seq > j.seq) ORDER BY 1`)).map((r) => r.position);
      assert.ok(superseded.length >= 3, 'superseded entries under the checkpoints');
      const forgers: [string, KeyAndCertificate | null, string][] = [['a participant', participant, 'DS0E'], ['a foreign CA\'s switch certificate', foreignSwitch, 'DS0F'],
        ['nobody', null, 'no signature']];
      for (const seed of SEEDS) {
        const next = random(seed + 100);
        const position = superseded[Math.floor(next() * superseded.length)]!;
        for (const [who, forger, reason] of forgers) {
          let first: bigint | undefined;
          const { signed, unsigned } = await tampered(db, async (tx) => { first = await rewriteHistory(tx, position, forger); });
          assert.ok(unsigned.ok, `seed ${seed}, entry ${position}, ${who}: the rewrite is consistent but for the signatures: ${show(unsigned)}`);
          assert.ok(!signed.ok && signed.broken.kind === 'signature' && signed.broken.checkpoint === first && signed.broken.detail.includes(reason),
            `seed ${seed}, entry ${position}, re-signed by ${who}: ${show(signed)}`);
        }
      }
    });
  });
}
