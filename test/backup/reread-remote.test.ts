/**
 * Re-reading after a restore for the mailboxes that are not on this machine (connectors/reread.ts,
 * docs/operations.md "Backup and restore"): an SFTP mailbox on a real OpenSSH server, through the
 * connector's own client, and a queue participant's in-queue on a real Redis. In each, of the files the
 * switch acknowledged, only those acknowledged at or after the backup's moment whose bytes the restored
 * store (real PostgreSQL) does not hold are read again; the others stay where they were.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { SftpConnector } from '../../connectors/sftp.ts';
import { BankQueueClient, QueueConnector, reofferCompletedSince } from '../../connectors/queue.ts';
import { rereadAfterRestore, sftpArchive } from '../../connectors/reread.ts';
import { receivedFilesStored } from '../../switch/engine/queries.ts';
import { openDatabase, type Database } from '../../switch/store/database.ts';
import { migrate } from '../../switch/store/migrate.ts';
import { freshPostgresUrl } from '../engine/support.ts';
import { deleteKeys } from '../support/redis-server.ts';
import { startSftpServer, type SftpTestServer } from '../support/sftp-server.ts';
import { requireOrSkip } from '../support/prerequisites.ts';

const A = 'BANKDEFFXXX';
const TEST_LIMITS = { attemptsMax: 3, retryBaseDelayMs: 200, retryTotalMsMax: 3_000, circuitOpenMs: 1_000, readyTimeoutMs: 5_000, operationTimeoutMs: 10_000 };
const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let server: SftpTestServer | undefined;
let skipReason = '';
let db: Database;

before(async () => {
  const started = await startSftpServer([A]);
  if (typeof started === 'string') skipReason = started;
  else server = started;
  db = await openDatabase({ url: await freshPostgresUrl(), poolSize: 2 });
  await migrate(db);
});

after(async () => {
  await server?.cleanup();
  await db?.close();
});

/** The restored store holds this file as received from `participant` (as intake stores it). */
async function storeHolds(participant: string, fileName: string, bytes: Uint8Array): Promise<void> {
  await db.query(`INSERT INTO messages (direction, participant, message_type, message_id, file_name, sha256, size_bytes, bytes)
    VALUES ('in', $1, 'pacs.008.001.08', $2, $2, $3, $4, $5)`, [participant, fileName, sha256(bytes), bytes.length, Buffer.from(bytes)]);
}

/** Waits into the next whole second: SFTP file times are whole seconds. */
async function nextSecond(): Promise<Date> {
  await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000) + 5));
  return new Date();
}

describe('re-reading after a restore: SFTP and queue mailboxes', () => {
  it('moves back to inbound/ on the SFTP server only the pairs archived after the backup that the store lacks', async (t) => {
    if (!server) return void requireOrSkip(t, skipReason || 'no SFTP test server');
    const connector = new SftpConnector({ mailboxes: [server.mailbox(A)], limits: TEST_LIMITS });
    const bank = await server.bank(A);
    try {
      const upload = async (name: string): Promise<void> => bank.upload(name, bytesOf(`<file>${name}</file>`), bytesOf(`sig ${name}`));
      const takeAll = async (): Promise<string[]> => {
        const files = await connector.receive(A);
        for (const f of files) await connector.acknowledge(f);
        return files.map((f) => f.fileName);
      };
      // Before the backup: read and archived, never stored (the store lost it, but it is not after the backup).
      await upload('before.xml');
      assert.deepEqual(await takeAll(), ['before.xml']);
      // Uploaded before the backup, read and archived only after it: the archiving's moment counts, not the upload's.
      await upload('waiting.xml');
      const backupAt = await nextSecond();
      // After the backup: one the restored store holds, one it does not, and one whose name waits in inbound/ again.
      for (const name of ['held.xml', 'late.xml', 'clash.xml']) await upload(name);
      assert.deepEqual(await takeAll(), ['clash.xml', 'held.xml', 'late.xml', 'waiting.xml']);
      await storeHolds(A, 'held.xml', bytesOf('<file>held.xml</file>'));
      await bank.upload('clash.xml', bytesOf('<file>clash.xml, sent again</file>'));

      const result = await rereadAfterRestore((participant, sha256s) => receivedFilesStored(db, participant, sha256s),
        new Map([[A, sftpArchive(connector, A)]]), backupAt);
      assert.deepEqual(result.failed, []);
      assert.deepEqual(result.moved, [{ participant: A, fileName: 'late.xml' }, { participant: A, fileName: 'waiting.xml' }]);
      assert.deepEqual(result.clashes, [{ participant: A, fileName: 'clash.xml' }]);
      assert.deepEqual(await bank.list('inbound'), ['clash.xml', 'late.xml', 'late.xml.p7s', 'waiting.xml', 'waiting.xml.p7s']);
      assert.deepEqual(await bank.list('archive'), ['before.xml', 'before.xml.p7s', 'clash.xml', 'clash.xml.p7s', 'held.xml', 'held.xml.p7s']);
      // The next poll takes the late pair as a new file, signature with it.
      const again = (await connector.receive(A)).find((f) => f.fileName === 'late.xml');
      assert.ok(again, 'the restored switch receives the late file again');
      assert.equal(Buffer.from(again.signature!).toString(), 'sig late.xml');
    } finally {
      await bank.end();
      await connector.close();
      server.clear();
    }
  });

  it('offers again in the in-queue only the files acknowledged after the backup that the store lacks', async () => {
    const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const prefix = `reread-${randomBytes(4).toString('hex')}`;
    const connection = { url };
    const connector = new QueueConnector({ connection, prefix, onError: () => {} });
    const bank = new BankQueueClient({ connection, prefix, bic: A, onError: () => {} });
    try {
      const takeAll = async (): Promise<string[]> => {
        const files = await connector.receive(A);
        for (const f of files) await connector.acknowledge(f);
        return files.map((f) => f.fileName).sort();
      };
      await bank.send({ fileName: 'before.xml', bytes: bytesOf('<q>before</q>') });
      assert.deepEqual(await takeAll(), ['before.xml']);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const backupAt = new Date();
      await new Promise((resolve) => setTimeout(resolve, 5));
      await bank.send({ fileName: 'held.xml', bytes: bytesOf('<q>held</q>') });
      await bank.send({ fileName: 'late.xml', bytes: bytesOf('<q>late</q>'), signature: bytesOf('sig late') });
      assert.deepEqual(await takeAll(), ['held.xml', 'late.xml']);
      await storeHolds(A, 'held.xml', bytesOf('<q>held</q>'));

      const result = await reofferCompletedSince({ connection, prefix }, A, backupAt, (sha256s) => receivedFilesStored(db, A, sha256s));
      assert.deepEqual(result.reoffered, ['late.xml']);
      assert.equal(result.keptSince, undefined, 'nothing of after the backup was removed from the queue');
      const again = await connector.receive(A);
      assert.deepEqual(again.map((f) => f.fileName), ['late.xml']);
      assert.equal(Buffer.from(again[0]!.bytes).toString(), '<q>late</q>');
      assert.equal(Buffer.from(again[0]!.signature!).toString(), 'sig late');
      await connector.acknowledge(again[0]!);
    } finally {
      await bank.close();
      await connector.close();
      await deleteKeys(url, `${prefix}:`);
    }
  });
});
