/**
 * The restore drill on the embedded store (PGlite): a `clearhouse simulate` day (every fault, a crash
 * and restart among them) leaves its store; `clearhouse backup` of it, `clearhouse restore` into a new
 * directory, and a backup of the restored store: every table holds the same rows (same sha256), the
 * state summary (payments by state, exposures, cycles and positions) and the sequences are the same;
 * only the record of the restore itself is new. A restore into the store it came from (not empty) is
 * refused. (PostgreSQL, through the operator's commands: restore-drill.test.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openDatabase } from '../../switch/store/database.ts';
import { recordOperatorAction } from '../../switch/engine/operator-actions.ts';
import { seal, verifyAudit } from '../../switch/audit/index.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, root } from '../support/cli-workspace.ts';

interface Manifest {
  tables: Array<{ name: string; rows: number; sha256: string }>;
  sequences: Array<{ name: string; lastValue: string; isCalled: boolean }>;
  state: { payments: Array<{ state: string; count: string }>; cycles: Array<{ state: string }> };
}

function clearhouse(...args: string[]) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
  return result;
}

function ok(...args: string[]): string {
  const result = clearhouse(...args);
  assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

describe('restore drill on the embedded store', () => {
  it('a simulated day restored into a new directory holds the same rows, state and sequences, and its audit journal goes on', async () => {
    const work = mkdtempSync(join(tmpdir(), 'clearhouse-backup-drill-'));
    const day = join(work, 'day');
    const simulated = JSON.parse(ok('simulate', '--seed', '3', '--out', day, '--json')) as { seeds: Array<{ ok: boolean }> };
    assert.equal(simulated.seeds[0]!.ok, true);

    const source = JSON.parse(ok('backup', '--store', join(day, 'store'), '--out', join(work, 'day.gz'), '--json')) as { manifest: Manifest };
    assert.ok(source.manifest.state.payments.reduce((n, p) => n + Number(p.count), 0) > 0);
    assert.ok(source.manifest.state.cycles.some((c) => c.state === 'SETTLED'));

    const restored = JSON.parse(ok('restore', join(work, 'day.gz'), '--store', join(work, 'restored'), '--no-reread', '--json')) as { incarnation: string };
    const again = JSON.parse(ok('backup', '--store', join(work, 'restored'), '--out', join(work, 'restored.gz'), '--json')) as { manifest: Manifest };

    // A restore adds its own record and, into a cluster whose transaction ids are lower than the
    // source's, a seal row bringing the audit sealer's horizon down to them (switch/backup/after-restore.ts).
    const without = (m: Manifest) => ({
      tables: m.tables.filter((t) => t.name !== 'store_restores' && t.name !== 'ledger_seals'),
      sequences: m.sequences.filter((s) => s.name !== 'store_restores_id_seq' && s.name !== 'ledger_seals_id_seq'),
      state: m.state,
    });
    assert.deepEqual(without(again.manifest), without(source.manifest));
    assert.deepEqual(again.manifest.tables.find((t) => t.name === 'store_restores')!.rows, 1, `the restore is recorded (incarnation ${restored.incarnation})`);

    // Work done on the restored store is journaled, sealed and verifies: the new cluster's transaction
    // ids are lower than the source's, and the sealer must still reach them.
    const db = await openDatabase({ directory: join(work, 'restored') });
    try {
      await recordOperatorAction(db, { actor: 'drill-operator', action: 'participant.suspend', subject: 'BANKDEFFXXX', reason: 'restore drill', details: {} });
      const sealed = await seal(db);
      assert.ok(sealed.sealed > 0, 'the action written after the restore is sealed');
      const report = await verifyAudit(db);
      assert.equal(report.ok, true, JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    } finally {
      await db.close();
    }

    const refused = clearhouse('restore', join(work, 'day.gz'), '--store', join(day, 'store'), '--no-reread');
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /not empty/);
  });
});
