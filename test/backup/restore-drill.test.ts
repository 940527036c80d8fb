/**
 * The restore drill as an operator runs it, on PostgreSQL (DATABASE_URL): a day of the switch through
 * the command line (a bank's file read from its mailbox, a cycle cut off and settled), `clearhouse
 * backup`, more work on the old store, `clearhouse restore` into a new empty database; then the
 * positions and cycles the CLI shows are those of the backup's moment, the file that arrived after the
 * backup is read again, and nothing the restored switch delivers reuses a MsgId or file name the old
 * one delivered. Also: a non-empty target and a damaged or truncated file are refused with nothing
 * written. (The embedded store: restore-drill-pglite.test.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { gunzipSync, gzipSync } from 'node:zlib';
import { cliWorkspace, type CliWorkspace } from '../support/cli-workspace.ts';
import { freshPostgresUrl } from '../engine/support.ts';
import { sentFiles } from '../support/serve-observer.ts';

const BANK_A = 'BANKDEFFXXX';

/** Every file the switch ever delivered into a participant's mailbox (outbound/, and archive/out-… once fetched). */
function deliveredNames(work: string): Set<string> {
  const names = new Set<string>();
  const root = join(work, 'data', 'mailboxes');
  for (const bic of readdirSync(root)) {
    for (const side of ['outbound', 'archive']) {
      const dir = join(root, bic, side);
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        if (name.startsWith('.') || name.endsWith('.p7s')) continue;
        if (side === 'archive' && !name.startsWith('out-')) continue;
        names.add(`${bic}/${name.replace(/^out-/, '')}`);
      }
    }
  }
  return names;
}

/** Where a delivered file (BIC/NAME, as deliveredNames gives it) is now: outbound/, or archive/ once fetched. */
function deliveredFile(work: string, name: string): string {
  const [bic, file] = name.split('/') as [string, string];
  const outbound = join(work, 'data', 'mailboxes', bic, 'outbound', file);
  return existsSync(outbound) ? outbound : join(work, 'data', 'mailboxes', bic, 'archive', `out-${file}`);
}

function views(run: CliWorkspace['run']): { positions: unknown; cycles: unknown } {
  const positions = run('positions', '--json');
  assert.equal(positions.status, 0, positions.stderr);
  const cycles = run('cycle', 'list', '--json');
  assert.equal(cycles.status, 0, cycles.stderr);
  return { positions: JSON.parse(positions.stdout), cycles: JSON.parse(cycles.stdout) };
}

async function tablesIn(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      "SELECT COUNT(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'");
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe('clearhouse backup and restore (PostgreSQL)', () => {
  it('restores the backup\'s positions and cycles, reads again the file that came after it, and never repeats a delivered MsgId or file name', async () => {
    const workspace = await cliWorkspace('backup', { timeoutMs: 180_000 });
    const { work, env, ok } = workspace;
    // A day: Bank A's bulk file read from its mailbox, the cycle cut off and settled.
    ok('bank', 'send', '--bic', BANK_A, '--to', 'BANKFRPPXXX,BANKNL2AXXX', '--count', '12');
    ok('serve', '--once', '--simulate-settlement');
    ok('cycle', 'close');
    ok('serve', '--once', '--simulate-settlement');
    ok('serve', '--once', '--simulate-settlement');
    const atBackup = views(workspace.run);
    assert.ok((atBackup.cycles as Array<{ state: string }>).some((c) => c.state === 'SETTLED'));

    const backupFile = join(work, 'day.backup.gz');
    const backup = JSON.parse(ok('backup', '--out', backupFile, '--json').stdout) as
      { manifest: { state: { payments: Array<{ count: string }> }; tables: Array<{ name: string; rows: number }> } };
    assert.equal(backup.manifest.state.payments.reduce((n, p) => n + Number(p.count), 0), 12);

    // The old switch carries on after the backup: a second file is read, stored, archived and answered.
    const late = sentFiles(ok('bank', 'send', '--bic', BANK_A, '--to', 'BANKFRPPXXX', '--count', '3').stdout);
    ok('serve', '--once', '--simulate-settlement');
    const archive = join(work, 'data', 'mailboxes', BANK_A, 'archive');
    assert.ok(readdirSync(archive).includes(late[0]!.fileName), 'the old switch archived the late file');
    assert.notDeepEqual(views(workspace.run).cycles, atBackup.cycles);
    const deliveredByOld = deliveredNames(work);

    // The old database is lost; the backup goes into a new, empty one.
    const target = await freshPostgresUrl();
    env.DATABASE_URL = target;
    const restored = JSON.parse(ok('restore', backupFile, '--json').stdout) as
      { incarnation: string; reread: Array<{ participant: string; fileName: string }>; problems: string[] };
    assert.match(restored.incarnation, /^[a-z0-9]{5}$/);
    assert.deepEqual(restored.reread, [{ participant: BANK_A, fileName: late[0]!.fileName }], 'only the file of after the backup goes back');
    assert.deepEqual(restored.problems, []);
    assert.ok(readdirSync(join(work, 'data', 'mailboxes', BANK_A, 'inbound')).includes(late[0]!.fileName));
    assert.deepEqual(views(workspace.run), atBackup, 'positions and cycles as at the backup');

    // A second restore into the same (now full) database is refused, and changes nothing.
    const again = workspace.run('restore', backupFile);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /not empty.*nothing was restored/);

    // The restored switch reads the late file again and answers it: under new MsgIds and file names.
    ok('serve', '--once', '--simulate-settlement');
    const deliveredByRestored = [...deliveredNames(work)].filter((name) => !deliveredByOld.has(name));
    assert.ok(deliveredByRestored.length > 0, 'the restored switch delivered its answer (a repeated name would have been skipped)');
    for (const name of deliveredByRestored) assert.ok(name.includes(`-${restored.incarnation}-`), `${name} carries the incarnation`);
    const answer = readdirSync(join(work, 'data', 'mailboxes', BANK_A, 'outbound'))
      .filter((n) => n.startsWith('pacs.002') && !deliveredByOld.has(`${BANK_A}/${n}`))
      .map((n) => readFileSync(join(work, 'data', 'mailboxes', BANK_A, 'outbound', n), 'utf8'))
      .find((xml) => xml.includes(late[0]!.msgId));
    assert.ok(answer, 'the late file is answered by the restored switch');
    const paymentCount = JSON.parse(ok('cycle', 'status', '--json').stdout).open.payments as number;
    assert.equal(paymentCount, 3, 'the late file\'s payments are in the restored switch\'s open cycle');

    // Its cycle (numbered again from the backup's value) settles under instruction ids of its own.
    ok('cycle', 'close');
    ok('serve', '--once', '--simulate-settlement');
    ok('serve', '--once', '--simulate-settlement');
    const instructions = [...deliveredNames(work)].filter((name) => !deliveredByOld.has(name) && name.includes('/pacs.009'))
      .map((name) => readFileSync(deliveredFile(work, name), 'utf8'));
    assert.ok(instructions.length > 0, 'the restored switch instructed the settlement agent');
    for (const xml of instructions) {
      for (const [, id] of xml.matchAll(/<InstrId>([^<]+)<\/InstrId>/g)) assert.match(id!, new RegExp(`^C\\d+-A\\d+-${restored.incarnation}-`));
    }
    assert.ok((views(workspace.run).cycles as Array<{ state: string }>).filter((c) => c.state === 'SETTLED').length === 2);
  });

  it('refuses a truncated or altered file before writing anything (exit 1)', async () => {
    const workspace = await cliWorkspace('backup-damaged', { timeoutMs: 120_000 });
    const { work, env, ok, run } = workspace;
    ok('bank', 'send', '--bic', BANK_A, '--to', 'BANKFRPPXXX', '--count', '4');
    ok('serve', '--once', '--simulate-settlement');
    const good = join(work, 'good.gz');
    ok('backup', '--out', good);
    const bytes = readFileSync(good);
    const content = gunzipSync(bytes).toString('utf8');

    const truncated = join(work, 'truncated.gz');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    // A row changed, recompressed: the gzip CRC is right, the table's sha256 is not.
    const altered = join(work, 'altered.gz');
    const changed = content.replace(/"amount_minor": (\d+)/, (_m, n: string) => `"amount_minor": ${BigInt(n) + 1n}`);
    assert.notEqual(changed, content);
    writeFileSync(altered, gzipSync(changed));
    // The last lines cut off, recompressed: a well-formed gzip of an incomplete backup.
    const cut = join(work, 'cut.gz');
    writeFileSync(cut, gzipSync(content.split('\n').slice(0, -3).join('\n') + '\n'));

    for (const file of [truncated, altered, cut]) {
      const target = await freshPostgresUrl();
      env.DATABASE_URL = target;
      const result = run('restore', file);
      assert.equal(result.status, 1, `${file}: ${result.stderr}`);
      assert.match(result.stderr, /not a complete, unaltered clearhouse backup.*nothing was restored/);
      assert.equal(await tablesIn(target), 0, `${file}: nothing written`);
    }
    const target = await freshPostgresUrl();
    env.DATABASE_URL = target;
    ok('restore', good, '--no-reread');
    assert.ok(await tablesIn(target) > 0);
  });
});
