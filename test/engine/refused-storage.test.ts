/**
 * Storage of refused files is bounded per sender and business day (migration 008,
 * switch/engine/refused-storage.ts, docs/validation.md#memory-and-storage-bounds): within the quota a
 * refused file is stored whole; past it, its SHA-256, its size, its first limits.refusedFilePrefixBytes
 * bytes and its answer. Accepted files do not count; the quota is per sender and starts again each
 * business day; a replay of a truncated file still gets its stored answer.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Engine } from '../../switch/engine/engine.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { limits } from '../../switch/limits.ts';
import { backends, freshPostgresUrl, schemeConfig, TestClock } from './support.ts';
import { migratedTemplate } from '../support/store-template.ts';

const encoder = new TextEncoder();
const QUOTA = 3 * limits.refusedFilePrefixBytes;
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

/** A pacs.008 of about 1.1 KB a transaction; refused (FF01) when `refused`. */
function file(sender: number, seed: number, transactions: number, refused: boolean): Uint8Array {
  const xml = buildPacs008(bulkCreditTransfer({
    seed, sender: DEMO_BANKS[sender]!, receivers: DEMO_BANKS.filter((_b, i) => i !== sender), transactionCount: transactions,
    settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${DEMO_BANKS[sender]!.bic.slice(0, 8)}-Q${seed}`,
  }));
  return encoder.encode(refused ? xml.replace('<ChrgBr>SLEV</ChrgBr>', '<ChrgBr>XXXX</ChrgBr>') : xml);
}

interface Stored { size_bytes: number; kept: number; bytes_truncated: boolean; sha256: string; answered: boolean; bytes: Uint8Array }

async function stored(engine: Engine, messageRowId: bigint): Promise<Stored> {
  const [row] = await engine.storeForTests().query<Stored>(
    `SELECT m.size_bytes, octet_length(m.bytes) AS kept, m.bytes_truncated, m.sha256, i.answer_message_id IS NOT NULL AS answered, m.bytes
       FROM messages m JOIN intake i ON i.message_id = m.id WHERE m.id = $1`, [messageRowId]);
  assert.ok(row);
  return row;
}

for (const backend of backends) {
  describe(`refused files are stored within a quota per sender and business day (${backend})`, () => {
    it('whole within the quota, then SHA-256, size, the first bytes and the answer; per sender; again the next day', async () => {
      const clock = new TestClock();
      const engine = await Engine.open({
        config: schemeConfig(), clock, xsd, refusedBytesPerSenderPerDayMax: QUOTA,
        ...(backend === 'postgres' ? { databaseUrl: await freshPostgresUrl() } : { startFrom: await migratedTemplate() }),
      });
      try {
        const submit = (bytes: Uint8Array, sender = 0) => engine.submit({ bytes, sender: DEMO_BANKS[sender]!.bic });
        const big = file(0, 1, 100, true);
        assert.ok(big.length > limits.refusedFilePrefixBytes && 2 * big.length > QUOTA && big.length < QUOTA, `${big.length} bytes`);

        const first = await submit(big);
        assert.equal(first.status, 'RJCT');
        assert.equal(first.report.findings[0]!.code, 'FF01');
        assert.deepEqual(await stored(engine, first.messageRowId).then((s) => [s.kept, s.bytes_truncated]), [big.length, false]);

        const accepted = await submit(file(0, 2, 100, false));
        assert.equal(accepted.status, 'ACCP', 'accepted files are stored whole and do not count');
        assert.equal((await stored(engine, accepted.messageRowId)).bytes_truncated, false);

        const second = file(0, 3, 100, true);
        const over = await submit(second);
        assert.equal(over.status, 'RJCT');
        assert.ok(over.answerXml?.includes('FF01'), 'the sender is answered as always');
        const kept = await stored(engine, over.messageRowId);
        assert.equal(kept.size_bytes, second.length);
        assert.equal(kept.kept, limits.refusedFilePrefixBytes);
        assert.equal(kept.bytes_truncated, true);
        assert.equal(kept.sha256, createHash('sha256').update(second).digest('hex'));
        assert.deepEqual(Buffer.from(kept.bytes), Buffer.from(second.subarray(0, limits.refusedFilePrefixBytes)));
        assert.equal(kept.answered, true);

        const replay = await submit(second);
        assert.equal(replay.replay, true, 'a replay of a truncated file is still recognised');
        assert.equal(replay.messageRowId, over.messageRowId);
        assert.equal(replay.answerXml, over.answerXml);

        const small = file(0, 4, 5, true);
        assert.equal((await stored(engine, (await submit(small)).messageRowId)).bytes_truncated, false, 'what still fits is kept whole');
        const otherSender = await submit(file(1, 5, 100, true), 1);
        assert.equal((await stored(engine, otherSender.messageRowId)).bytes_truncated, false, 'the quota is per sender');

        clock.advance(24 * 3600 * 1000);
        const nextDay = await submit(file(0, 6, 100, true));
        assert.equal((await stored(engine, nextDay.messageRowId)).bytes_truncated, false, 'a new business day has its own quota');

        const [usage] = await engine.storeForTests().query<{ n: number }>('SELECT COUNT(*)::int AS n FROM refused_storage');
        assert.equal(usage!.n, 3, 'one counter per sender and business day with refused bytes');
      } finally {
        await engine.close();
      }
    });
  });
}
