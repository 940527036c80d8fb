/**
 * The inbound files bulk files are built from (switch/engine/cycles/bulk-files.ts, InboundSources), on
 * PGlite: each transaction element comes back exactly as intake forwards it (forwardableElement: the
 * bytes of a plain element, a prefixed one rewritten without its prefixes), in any order of access;
 * a file is read once while the files fit in the budget, and the least recently used one is dropped
 * (and read again when needed) when they do not, so memory stays bounded; a truncated (refused) file
 * is never used; the detail of one payment rebuilds its element from its file; spans recorded at
 * intake (migration 027) are used instead of scanning the file again. On PostgreSQL, in a transaction,
 * the files are read by a binary COPY (their stored bytes as they are) and give the same elements.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { InboundSources, recordTransactionSpans, storedTransactionElement } from '../../switch/engine/cycles/bulk-files.ts';
import { openDatabase, type Database } from '../../switch/store/database.ts';
import { migrate } from '../../switch/store/migrate.ts';
import { forwardableElement } from '../../switch/validation/forward.ts';
import { transactionElementSpans } from '../../switch/validation/pipeline.ts';
import { freshPostgresUrl } from './support.ts';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

function message(seed: number, count: number): string {
  const sender = DEMO_BANKS[seed % 2]!;
  return buildPacs008(bulkCreditTransfer({
    seed, sender, receivers: [DEMO_BANKS[2]!, DEMO_BANKS[3]!], transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-BS${seed}`,
  }));
}

/** Every element under prefix ns2, a schema-location hint and a comment inside the first transaction. */
function prefixed(xml: string): string {
  return xml
    .replace(/<(\/?)([A-Za-z][\w.-]*)(?=[\s/>])/g, '<$1ns2:$2')
    .replace(' xmlns="', ` xmlns:xsi="${XSI}" xsi:schemaLocation="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08 pacs.008.xsd" xmlns:ns2="`)
    .replace('<ns2:PmtId>', '<!-- a comment --><ns2:PmtId>');
}

/** The transaction elements without prefixes, as the sender meant them (what a bulk file carries). */
function expectedElements(plainXml: string): string[] {
  return plainXml.match(/<CdtTrfTxInf>[\s\S]*?<\/CdtTrfTxInf>/g) ?? [];
}

async function store(db: Database, xml: string, truncated = false): Promise<bigint> {
  const bytes = Buffer.from(xml, 'utf8');
  const [row] = await db.query<{ id: bigint }>(
    `INSERT INTO messages (direction, participant, message_type, sha256, size_bytes, bytes, bytes_truncated)
     VALUES ('in', $5, 'pacs.008.001.08', $1, $2, $3, $4) RETURNING id`,
    [createHash('sha256').update(bytes).digest('hex'), bytes.length, truncated ? bytes.subarray(0, 100) : bytes, truncated,
      truncated ? 'BANKFRPPXXX' : 'BANKDEFFXXX']);
  return row!.id;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('bulk file sources: transaction elements from the stored inbound files', () => {
  it('gives each element as forwarded (plain bytes, prefixed ones rewritten), reading each file once within the budget', async () => {
    const db = await openDatabase({});
    try {
      await migrate(db);
      const plainXml = message(1, 30);
      const prefixedPlain = message(2, 12);
      const a = await store(db, plainXml);
      const b = await store(db, prefixed(prefixedPlain));
      const sources = new InboundSources(db);
      const wantA = expectedElements(plainXml);
      const wantB = expectedElements(prefixedPlain);
      // Interleaved and out of order, as a bulk file's acceptance order mixes senders.
      for (const [id, index, want] of [[a, 29, wantA[29]], [b, 0, wantB[0]], [a, 0, wantA[0]], [b, 11, wantB[11]], [a, 14, wantA[14]], [b, 5, wantB[5]]] as const) {
        assert.equal(text(await sources.element(id, index)), want, `message ${id} transaction ${index}`);
      }
      assert.equal(sources.reads, 2, 'each file read once');
      // The prefixed file's first element held a comment and prefixes: rewritten, as intake forwards it.
      const bytes = Buffer.from(prefixed(prefixedPlain), 'utf8');
      const spans = transactionElementSpans(bytes);
      assert.equal(spans.length, 12);
      assert.equal(spans[0]!.plain, false);
      assert.equal(text(await sources.element(b, 0)), forwardableElement(bytes, spans[0]!));
      await assert.rejects(sources.element(a, 30), /has no transaction 30/);
    } finally {
      await db.close();
    }
  });

  it('uses the spans recorded at intake rather than scanning the file again', async () => {
    const db = await openDatabase({});
    try {
      await migrate(db);
      const xml = message(6, 4);
      const id = await store(db, xml);
      const bytes = Buffer.from(xml, 'utf8');
      const scanned = transactionElementSpans(bytes);
      // Recorded in reverse: what comes back can only have come from the recorded spans.
      await recordTransactionSpans(db, id, scanned.map((span, k) => ({ facts: { index: 3 - k }, span })));
      const sources = new InboundSources(db);
      const want = expectedElements(xml);
      for (let k = 0; k < 4; k++) assert.equal(text(await sources.element(id, k)), want[3 - k]);
      await assert.rejects(sources.element(id, 4), /has no transaction 4/);
    } finally {
      await db.close();
    }
  });

  it('drops the least recently used file beyond the budget and reads it again when needed; never uses a truncated file', async () => {
    const db = await openDatabase({});
    try {
      await migrate(db);
      const xml = [message(3, 10), message(4, 10), message(5, 10)];
      const ids = [];
      for (const x of xml) ids.push(await store(db, x));
      const size = Buffer.byteLength(xml[0]!, 'utf8');
      // Room for two files: a, b, a (kept, now most recent), c (drops b), b (read again, drops a), a (read again).
      const sources = new InboundSources(db, size * 2 + size / 2);
      const order = [0, 1, 0, 2, 1, 0];
      for (const k of order) assert.equal(text(await sources.element(ids[k]!, 3)), expectedElements(xml[k]!)[3]);
      assert.equal(sources.reads, 5, 'b and a read again after being dropped');
      const unbounded = new InboundSources(db);
      for (const k of order) await unbounded.element(ids[k]!, 3);
      assert.equal(unbounded.reads, 3);

      const truncated = await store(db, xml[0]!, true);
      await assert.rejects(new InboundSources(db).element(truncated, 0), /not stored whole/);
      assert.equal(await storedTransactionElement(db, truncated, 0), undefined);
      assert.equal(await storedTransactionElement(db, ids[2]!, 7), expectedElements(xml[2]!)[7]);
    } finally {
      await db.close();
    }
  });

  it('on PostgreSQL in a transaction, reads each file by a binary COPY: the same elements, the recorded spans, never a truncated or outbound message', async () => {
    const db = await openDatabase({ url: await freshPostgresUrl() });
    try {
      await migrate(db);
      const plainXml = message(7, 25);
      const prefixedPlain = message(8, 9);
      const a = await store(db, plainXml);
      const b = await store(db, prefixed(prefixedPlain));
      const truncated = await store(db, plainXml, true);
      const bytes = Buffer.from(plainXml, 'utf8');
      await recordTransactionSpans(db, a, transactionElementSpans(bytes).map((span, k) => ({ facts: { index: k }, span })));
      const [outbound] = await db.query<{ id: bigint }>(
        `INSERT INTO messages (direction, participant, message_type, sha256, size_bytes, bytes) VALUES ('out', 'BANKDEFFXXX', 'pacs.008.001.08', $1, $2, $3) RETURNING id`,
        [createHash('sha256').update(bytes).digest('hex'), bytes.length, bytes]);
      await db.transaction(async (tx) => {
        let copies = 0;
        const counted = { query: tx.query.bind(tx), copyTo: (sql: string) => { copies++; return tx.copyTo!(sql); } };
        const sources = new InboundSources(counted);
        const wantA = expectedElements(plainXml), wantB = expectedElements(prefixedPlain);
        for (const [id, index, want] of [[a, 24, wantA[24]], [b, 0, wantB[0]], [a, 0, wantA[0]], [b, 8, wantB[8]]] as const) {
          assert.equal(text(await sources.element(id, index)), want, `message ${id} transaction ${index}`);
        }
        assert.equal(copies, 2, 'each file read once, by COPY');
        assert.equal(sources.reads, 2);
        // Composing (spans given, none read) gives the stored bytes exactly, the whole file included.
        const composing = new InboundSources(counted, undefined, false);
        assert.deepEqual(Buffer.from(await composing.span(a, { start: 0, end: bytes.length, plain: true })), bytes);
        await assert.rejects(new InboundSources(counted).element(truncated, 0), /not stored whole/);
        await assert.rejects(new InboundSources(counted).element(outbound!.id, 0), /not stored whole/);
        await assert.rejects(new InboundSources(counted).element(999_999n, 0), /not stored whole/);
      });
    } finally {
      await db.close();
    }
  });
});
