/**
 * `clearhouse payee …` (switch/cli/payee.ts) on real PostgreSQL: a directory loaded and listed, a
 * file with a bad line refused whole (exit 1, the line named, nothing recorded), usage errors at the
 * door (exit 2, one line). The verifications themselves: test/engine/payee-verification.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cliWorkspace } from '../support/cli-workspace.ts';

async function journal(databaseUrl: string): Promise<{ actor: string; subject: string; reason: string }[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query("SELECT actor, subject, reason FROM operator_actions WHERE action = 'payee.directory.load' ORDER BY id")).rows;
  } finally {
    await client.end();
  }
}

describe('clearhouse payee', () => {
  it('loads a directory version with who and why, refuses a bad file whole and usage errors', { timeout: 300_000 }, async () => {
    const { databaseUrl, run, ok, work } = await cliWorkspace('payee', { timeoutMs: 120_000 });
    const bic = 'BANKFRPPXXX';
    const good = join(work, 'accounts.csv');
    writeFileSync(good, 'account,name\nFR1420041010050500013M02606,"Zola, Émile"\nFR7630006000011234567890189,Acme SARL\n');
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ account: 'FR1420041010050500013M02606', name: 'A' }, { account: 'FR7630006000011234567890188', name: 'B' }]));
    const oneLine = (result: ReturnType<typeof run>, status: number, message: RegExp) => {
      assert.equal(result.status, status, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    };
    ok('migrate');
    assert.match(ok('payee', 'directory', 'list').stdout, /no payee directory loaded/);
    oneLine(run('payee', 'directory', 'load', good, '--participant', bic, '--operator', 'alice', '--reason', ' '), 2, /reason/);
    oneLine(run('payee', 'directory', 'load', good, '--participant', bic, '--operator', 'alice', '--reason', 'x', '--format', 'xml'), 2, /--format takes csv or json/);
    oneLine(run('payee', 'directory', 'load', join(work, 'missing.csv'), '--participant', bic, '--operator', 'alice', '--reason', 'x'), 2, /cannot read/);
    oneLine(run('payee', 'directory', 'load', bad, '--participant', bic, '--operator', 'alice', '--reason', 'OPS-7'), 1, /line 2: FR7630006000011234567890188 is not a valid IBAN.*nothing loaded/);
    oneLine(run('payee', 'directory', 'load', good, '--participant', 'BANKESMMXXX', '--operator', 'alice', '--reason', 'OPS-7'), 1, /not a participant/);
    assert.deepEqual(await journal(databaseUrl), []);
    assert.match(ok('payee', 'directory', 'load', good, '--participant', bic, '--operator', 'alice', '--reason', 'OPS-7 accounts of Banque FR').stdout,
      /BANKFRPPXXX: payee directory version 1 in force, 2 account\(s\)/);
    assert.deepEqual(await journal(databaseUrl), [{ actor: 'alice', subject: bic, reason: 'OPS-7 accounts of Banque FR' }]);
    const listed = JSON.parse(ok('payee', 'directory', 'list', '--json').stdout) as { participant: string; version: number; entries: number }[];
    assert.deepEqual(listed.map((v) => [v.participant, v.version, v.entries]), [[bic, 1, 2]]);
    assert.match(ok('payee', 'verifications').stdout, /no payee verification yet/);
  });
});
