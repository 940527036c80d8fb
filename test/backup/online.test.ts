/**
 * `clearhouse backup` while `serve` runs on PostgreSQL and takes files: the backup is one snapshot,
 * so the file a restore loads agrees with itself (every table's count, and the state summary computed
 * at the end of the backup, match the rows read at its start) even though payments were being stored
 * throughout. A backup that read its tables in separate transactions would fail the restore's check.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { cli, cliWorkspace, killLeftoverServes, startServe } from '../support/cli-workspace.ts';
import { freshPostgresUrl } from '../engine/support.ts';
import { waitFor } from '../support/serve-observer.ts';

after(killLeftoverServes);

const FILES = 6;
const PER_FILE = 40;

describe('online backup', () => {
  it('backups taken while serve stores payments restore and verify', async () => {
    const workspace = await cliWorkspace('backup-online', { timeoutMs: 180_000 });
    const { work, env, ok, run } = workspace;
    ok('migrate');
    const serve = startServe(env, ['--simulate-settlement'], work);
    const backups: string[] = [];
    const running: Array<Promise<number | null>> = [];
    try {
      for (let i = 0; i < FILES; i++) {
        ok('bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKFRPPXXX,BANKNL2AXXX', '--count', String(PER_FILE));
        const file = join(work, `online-${i}.gz`);
        backups.push(file);
        running.push(new Promise((resolve) => {
          const child = spawn(process.execPath, [cli, 'backup', '--out', file], { cwd: work, env: { ...env }, stdio: 'ignore' });
          child.on('close', resolve);
        }));
      }
      assert.deepEqual(await Promise.all(running), backups.map(() => 0), 'every backup completes while serve runs');
      // Waited for by a query, not by a `cycle status` process every half second (a CLI start each); the
      // command then checks the open cycle once.
      const db = new pg.Client({ connectionString: workspace.databaseUrl });
      await db.connect();
      try {
        await waitFor(async () => ((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM payments')).rows[0]!.n >= FILES * PER_FILE ? true : undefined),
          120_000, 250);
      } finally {
        await db.end();
      }
      const status = run('cycle', 'status', '--json');
      assert.equal(status.status, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).open.payments, FILES * PER_FILE, `serve stored all ${FILES * PER_FILE} payments`);
    } finally {
      assert.equal(await serve.stop(), 0, serve.stderr());
    }

    for (const file of [...backups, join(work, 'final.gz')]) {
      if (file.endsWith('final.gz')) ok('backup', '--out', file);
      env.DATABASE_URL = await freshPostgresUrl();
      const restored = run('restore', file, '--no-reread', '--json');
      assert.equal(restored.status, 0, `${file}: ${restored.stderr}`);
      const payments = JSON.parse(restored.stdout).state.payments.reduce((n: number, p: { count: string }) => n + Number(p.count), 0) as number;
      assert.equal(payments % PER_FILE, 0, 'whole files only: a file\'s payments are stored in one transaction');
      if (file.endsWith('final.gz')) assert.equal(payments, FILES * PER_FILE);
      env.DATABASE_URL = workspace.databaseUrl;
    }
  });
});
