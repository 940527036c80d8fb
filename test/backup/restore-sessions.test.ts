/**
 * Sessions do not survive a restore (docs/operations.md "Backup and restore", migration 031): API
 * sessions open when the backup was taken — a token stolen before it, or simply an old one — do not
 * open the restored store; the restore deletes them and records how many. The people stay: they log
 * in again and their new sessions work. On the embedded store (PGlite), through the engine's access
 * store (what the API's login and every request use).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checksAfterRestore, journalHeadAtBackup } from '../../switch/backup/after-restore.ts';
import { accessStore } from '../../switch/engine/access.ts';
import { restoreBackup, writeBackup } from '../../switch/store/backup.ts';
import { openDatabase } from '../../switch/store/database.ts';
import { migrate } from '../../switch/store/migrate.ts';

const at = new Date('2026-11-26T10:00:00Z');
const later = new Date('2026-11-26T10:05:00Z');
const expires = new Date('2026-11-26T18:00:00Z');

describe('API sessions and restore', () => {
  it('no session of the backup opens the restored store; the people log in again', async () => {
    const work = mkdtempSync(join(tmpdir(), 'clearhouse-restore-sessions-'));
    const file = join(work, 'backup.gz');
    const source = await openDatabase({});
    try {
      await migrate(source);
      const access = accessStore(source);
      for (const name of ['olivia', 'sam']) {
        assert.ok(await access.addUser({ name, role: name === 'olivia' ? 'operator' : 'supervisor', passwordHash: `hash-${name}`, totpSecret: 'JBSWY3DPEHPK3PXP' }, at));
        await access.createSession(`token-${name}`, name, at, expires, '127.0.0.1', `csrf-${name}`);
      }
      assert.equal((await access.session('token-olivia', later))?.userName, 'olivia', 'the session opens the source store');
      await writeBackup(source, file, { createdAt: later, systemTimeAt: later, journalHead: journalHeadAtBackup });
    } finally {
      await source.close();
    }

    const restored = await openDatabase({});
    try {
      const summary = await restoreBackup(restored, file, { restoredAt: later });
      assert.equal(summary.sessionsDropped, 2);
      assert.deepEqual(await checksAfterRestore(restored, summary.header.journalHead), []);
      const access = accessStore(restored);
      for (const name of ['olivia', 'sam']) {
        assert.equal(await access.session(`token-${name}`, later), undefined, `${name}'s session from before the backup does not open the restored store`);
        assert.equal((await access.user(name))?.passwordHash, `hash-${name}`, `${name} is still a person of the API`);
      }
      const [record] = await restored.query<{ sessions_dropped: number; incarnation: string }>('SELECT sessions_dropped, incarnation FROM store_restores');
      assert.deepEqual(record, { sessions_dropped: 2, incarnation: summary.incarnation }, 'the restore records the sessions it ended');
      await access.createSession('token-olivia-again', 'olivia', later, expires, '127.0.0.1', 'csrf-again');
      assert.equal((await access.session('token-olivia-again', later))?.userName, 'olivia', 'a login after the restore works');
    } finally {
      await restored.close();
    }
  });
});
