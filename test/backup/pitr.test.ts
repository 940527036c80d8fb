/**
 * PostgreSQL point-in-time recovery as docs/operations.md describes it, on a throwaway PostgreSQL 15
 * cluster of the test's own: WAL archived by archive_command, a base backup with pg_basebackup, the
 * switch working before and after a noted moment, then the base backup recovered with restore_command
 * and recovery_target_time to that moment. The switch's commands then show exactly what they showed at
 * the moment: the payments, cycles and positions of before it, none of after.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliWorkspace, type CliWorkspace } from '../support/cli-workspace.ts';
import { clusterAt, freePort, newCluster, pgCommand, writeServerFile, type Cluster } from '../support/pg-cluster.ts';

const BANK_A = 'BANKDEFFXXX';
/** How long the test waits for the archiver or for recovery to finish (bounded polling). */
const WAIT_MS_MAX = 120_000;
const POLL_MS = 200;

function views(run: CliWorkspace['run']): { positions: unknown; cycles: unknown; open: unknown } {
  const read = (...args: string[]) => {
    const result = run(...args);
    assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout) as unknown;
  };
  return { positions: read('positions', '--json'), cycles: read('cycle', 'list', '--json'), open: read('cycle', 'status', '--json') };
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; waited < WAIT_MS_MAX; waited += POLL_MS) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  assert.fail(`${what}: not within ${WAIT_MS_MAX} ms`);
}

const clusters: Cluster[] = [];
after(() => { for (const c of clusters) c.stop(); });

describe('PostgreSQL point-in-time recovery (WAL archive + base backup)', () => {
  it('recovers the switch\'s store to a noted moment', async () => {
    const primary = await newCluster('pitr');
    clusters.push(primary);
    primary.start();
    const workspace = await cliWorkspace('pitr', { timeoutMs: 180_000 });
    const { env, ok } = workspace;
    env.DATABASE_URL = primary.url;

    // Before the base backup: a file read and stored.
    ok('bank', 'send', '--bic', BANK_A, '--to', 'BANKFRPPXXX', '--count', '5');
    ok('serve', '--once', '--simulate-settlement');
    const base = join(primary.root, 'base');
    pgCommand('pg_basebackup', ['-D', base, '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-X', 'stream', '-c', 'fast']);

    // After it: another file; then the moment to recover to.
    ok('bank', 'send', '--bic', BANK_A, '--to', 'BANKNL2AXXX', '--count', '7');
    ok('serve', '--once', '--simulate-settlement');
    const atMoment = views(workspace.run);
    assert.equal((atMoment.open as { open: { payments: number } }).open.payments, 12);
    const moment = (await primary.sql<{ moment: string }>('SELECT clock_timestamp()::text AS moment'))[0]!.moment;

    // After the moment: a third file, the cycle cut off and settled.
    ok('bank', 'send', '--bic', BANK_A, '--to', 'BANKFRPPXXX', '--count', '4');
    ok('serve', '--once', '--simulate-settlement');
    ok('cycle', 'close');
    ok('serve', '--once', '--simulate-settlement');
    ok('serve', '--once', '--simulate-settlement');
    const atEnd = views(workspace.run);
    assert.notDeepEqual(atEnd, atMoment);
    const segment = (await primary.sql<{ segment: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS segment'))[0]!.segment;
    await until('the last WAL segment archived', async () => {
      const [row] = await primary.sql<{ last: string | null }>('SELECT last_archived_wal AS last FROM pg_stat_archiver');
      return row!.last !== null && row!.last >= segment;
    });
    primary.stop(); // the database is lost

    // Recovery: the base backup, the archived WAL replayed up to the moment, then promoted.
    const recovered = clusterAt(primary.root, base, primary.archive, await freePort());
    clusters.push(recovered);
    writeServerFile(join(base, 'postgresql.auto.conf'), [
      `port = ${recovered.port}`,
      'archive_mode = off',
      `restore_command = 'cp ${primary.archive}/%f %p'`,
      `recovery_target_time = '${moment}'`,
      "recovery_target_action = 'promote'",
      '',
    ].join('\n'), true);
    writeServerFile(join(base, 'recovery.signal'), '');
    recovered.start();
    await until('recovery finished and promoted', async () => {
      try {
        const [row] = await recovered.sql<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
        return row!.recovering === false;
      } catch {
        return false;
      }
    });

    env.DATABASE_URL = recovered.url;
    assert.deepEqual(views(workspace.run), atMoment, 'the store as it was at the moment: 12 payments, the cycle still open');
  });
});
