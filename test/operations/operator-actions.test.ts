/**
 * The operator action journal (migration 006, switch/engine/operator-actions.ts) on both stores:
 * recorded with who, what, on what, why and details; listed newest first; append-only (an UPDATE or
 * DELETE is refused by the database); an action without a reason or with a malformed verb is not
 * recorded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Database } from '../../switch/store/database.ts';
import { migrate } from '../../switch/store/migrate.ts';
import { listOperatorActions, OperatorActionError, recordOperatorAction } from '../../switch/engine/operator-actions.ts';
import { backends, freshPostgresUrl } from '../engine/support.ts';

async function store(backend: string): Promise<Database> {
  const db = await openDatabase(backend === 'postgres' ? { url: await freshPostgresUrl(), poolSize: 2 } : {});
  await migrate(db);
  return db;
}

for (const backend of backends) {
  describe(`operator actions (${backend})`, () => {
    it('recorded, listed newest first, never changed', async () => {
      const db = await store(backend);
      try {
        const first = await recordOperatorAction(db, {
          actor: ' alice ', action: 'message.submit', subject: 'BANKDEFFXXX', reason: 'ticket 1', details: { sha256: 'ab', sizeBytes: 3 },
        });
        await recordOperatorAction(db, { actor: 'bob', action: 'participant.suspend', subject: 'BANKFRPPXXX', reason: 'ticket 2' });
        const all = await listOperatorActions(db);
        assert.deepEqual(all.map((a) => [a.actor, a.action, a.subject, a.reason]),
          [['bob', 'participant.suspend', 'BANKFRPPXXX', 'ticket 2'], ['alice', 'message.submit', 'BANKDEFFXXX', 'ticket 1']]);
        assert.deepEqual(all[1]!.details, { sha256: 'ab', sizeBytes: 3 });
        assert.deepEqual(all[0]!.details, {});
        assert.ok(all[1]!.at instanceof Date);
        assert.deepEqual((await listOperatorActions(db, { subject: 'BANKDEFFXXX' })).map((a) => a.id), [first.id]);
        await assert.rejects(db.query('UPDATE operator_actions SET reason = $1', ['rewritten']), /append-only/);
        await assert.rejects(db.query('DELETE FROM operator_actions'), /append-only/);
        await assert.rejects(db.query(`INSERT INTO operator_actions (actor, action, subject, reason) VALUES ('x', 'y', 'z', ' ')`), /check/i);
      } finally {
        await db.close();
      }
    });

    it('refuses an action without actor or reason, or with a malformed verb, before the database', async () => {
      const db = await store(backend);
      try {
        const base = { actor: 'alice', action: 'message.submit', subject: 'BANKDEFFXXX', reason: 'why' };
        for (const bad of [{ reason: '' }, { reason: '   ' }, { actor: '' }, { actor: 'a\nb' }, { action: 'Submit' }, { action: 'message..submit' },
          { subject: '' }, { reason: 'x'.repeat(1001) }]) {
          await assert.rejects(recordOperatorAction(db, { ...base, ...bad }), OperatorActionError, JSON.stringify(bad));
        }
        assert.deepEqual(await listOperatorActions(db), []);
      } finally {
        await db.close();
      }
    });
  });
}
