/**
 * Bulk files stored as their composition (migration 033, switch/engine/message-bytes.ts), on PGlite and
 * PostgreSQL: a settled cycle's bulk pacs.008 keeps no bytes of its own but its header and trailer and
 * the spans of the inbound files it is made of, with the length and SHA-256 of the bytes; the file the
 * dispatcher streams to the mailbox, the bytes a download gives and those the composition stands for
 * are the same; a composition whose bytes are not the recorded ones is never delivered (the attempt
 * fails, the file never appears under its name). On PostgreSQL, the inbound files settlement read are
 * handed to the dispatcher of the same process, which composes from them without reading them again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { messageBytes, messageContent } from '../../switch/engine/message-bytes.ts';
import { contentBytes } from '../../switch/engine/transport.ts';
import { verifyAudit } from '../../switch/audit/verify.ts';
import pg from 'pg';
import { backends, harness, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

async function submit(h: Harness, senderIndex: number, count: number, seed: number, receivers: number[]): Promise<void> {
  const sender = DEMO_BANKS[senderIndex]!;
  const xml = buildPacs008(bulkCreditTransfer({
    seed, sender, receivers: receivers.map((i) => DEMO_BANKS[i]!), transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-C${seed}`,
  }));
  const result = await h.engine.submit({ bytes: encoder.encode(xml), sender: sender.bic });
  assert.equal(result.status, 'ACCP', JSON.stringify(result.report.findings.slice(0, 2)));
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

for (const backend of backends) {
  describe(`bulk files stored as their composition on ${backend}`, () => {
    it('keep no bytes of their own; delivered, downloaded and composed bytes are the same and have the recorded length and SHA-256', async () => {
      const h = await harness(backend, undefined, xsd);
      try {
        await submit(h, 0, 1_500, 71, [1, 2]);
        await submit(h, 2, 40, 72, [0, 1]);
        await h.closeAndSettle();
        const db = h.engine.storeForTests();
        const bulks = await db.query<{ id: bigint; participant: string; message_id: string; sha256: string; size_bytes: number; stored: boolean; elements: number | null }>(
          `SELECT m.id, m.participant, m.message_id, m.sha256, m.size_bytes, m.bytes IS NOT NULL AS stored, cardinality(c.sources)::int AS elements
             FROM messages m LEFT JOIN message_compositions c ON c.message_id = m.id
            WHERE m.direction = 'out' AND m.message_type = 'pacs.008.001.08' ORDER BY m.id`);
        assert.equal(bulks.length, 3, 'one bulk file per receiver');
        for (const b of bulks) {
          assert.equal(b.stored, false, `${b.participant}: no bytes stored`);
          const delivered = h.mailboxes.read(b.participant, 'outbound', `pacs.008.001.08_${b.message_id}.xml`);
          assert.equal(b.elements, Number(/<NbOfTxs>(\d+)<\/NbOfTxs>/.exec(delivered.toString('utf8'))![1]), 'one span per transaction');
          assert.equal(delivered.length, b.size_bytes);
          assert.equal(sha256(delivered), b.sha256);
          assert.deepEqual(await messageBytes(db, b.id), delivered, 'composed bytes');
          assert.deepEqual(Buffer.from((await h.engine.messageBytes(b.id, b.participant))!.bytes), delivered, 'a download');
          const content = (await messageContent(db, b.id))!;
          assert.equal(content.size, b.size_bytes);
          assert.deepEqual(await contentBytes(content), delivered);
        }
      } finally {
        await h.close();
      }
    });

    it('a composition whose bytes are not the recorded ones fails its delivery and never appears under its name', async () => {
      const h = await harness(backend, undefined, xsd);
      try {
        await submit(h, 0, 30, 73, [1]);
        await h.closeAndSettle();
        const db = h.engine.storeForTests();
        assert.equal((await verifyAudit(db)).ok, true, 'audit verify composes the genuine bulk files and finds them whole');
        const [real] = await db.query<{ id: bigint; participant: string; size_bytes: number }>(
          "SELECT id, participant, size_bytes FROM messages WHERE direction = 'out' AND message_type = 'pacs.008.001.08' AND bytes IS NULL");
        // The same composition under a new message whose recorded SHA-256 is another one's.
        const [forged] = await db.query<{ id: bigint }>(
          `INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
           VALUES ('out', $1, 'pacs.008.001.08', 'FORGED-1', $2, $3, NULL) RETURNING id`, [real!.participant, 'ab'.repeat(32), real!.size_bytes]);
        await db.query(`INSERT INTO message_compositions (message_id, head, tail, sources, starts, ends, plain)
                        SELECT $1, head, tail, sources, starts, ends, plain FROM message_compositions WHERE message_id = $2`, [forged!.id, real!.id]);
        const [queued] = await db.query<{ id: bigint }>(
          "INSERT INTO outbox (message_id, recipient, state, next_attempt_at) VALUES ($1, $2, 'PENDING', '-infinity') RETURNING id", [forged!.id, real!.participant]);
        assert.equal(await h.dispatch(), 0, 'nothing delivered');
        const [row] = await db.query<{ attempts: number; state: string; last_error: string }>('SELECT attempts, state, last_error FROM outbox WHERE id = $1', [queued!.id]);
        assert.equal(row!.attempts, 1);
        assert.equal(row!.state, 'PENDING');
        assert.match(row!.last_error, /sha256/);
        assert.ok(!h.mailboxes.outbound(real!.participant).includes('pacs.008.001.08_FORGED-1.xml'), 'never delivered under its name');
        await assert.rejects(messageBytes(db, forged!.id), /sha256/, 'nor read');
        const verdict = await verifyAudit(db);
        assert.ok(!verdict.ok && verdict.broken.table === 'messages' && verdict.broken.key === String(forged!.id),
          `audit verify names the composed message whose bytes are not the recorded ones: ${JSON.stringify(verdict, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
        await assert.rejects(db.query('UPDATE message_compositions SET tail = head WHERE message_id = $1', [real!.id]), /immutable/);
      } finally {
        await h.close();
      }
    });

    if (backend === 'postgres') {
      it('settlement hands the inbound files it read to the dispatcher: each is read once for hashing and for delivering', async () => {
        const h = await harness(backend, undefined, xsd);
        // Counts the binary COPYs of inbound bytes (InboundSources) every pooled connection sends.
        const query = pg.Client.prototype.query;
        let copies = 0;
        pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
          const q = args[0] as { text?: unknown } | undefined;
          if (typeof q === 'object' && q !== null && typeof q.text === 'string' && q.text.startsWith('COPY (SELECT bytes FROM messages')) copies++;
          return (query as (...a: unknown[]) => unknown).apply(this, args);
        } as typeof query;
        try {
          await submit(h, 0, 60, 81, [1, 2]);
          await submit(h, 2, 40, 82, [0, 1]);
          await h.closeAndSettle();
          const db = h.engine.storeForTests();
          const bulks = await db.query<{ participant: string; message_id: string; sha256: string }>(
            "SELECT participant, message_id, sha256 FROM messages WHERE direction = 'out' AND message_type = 'pacs.008.001.08' AND bytes IS NULL");
          assert.equal(bulks.length, 3, 'one bulk file per receiver');
          for (const b of bulks) assert.equal(sha256(h.mailboxes.read(b.participant, 'outbound', `pacs.008.001.08_${b.message_id}.xml`)), b.sha256);
          assert.equal(copies, 2, 'the two inbound files read once each: by settlement, not again by the dispatcher');
        } finally {
          pg.Client.prototype.query = query;
          await h.close();
        }
      });
    }
  });
}
