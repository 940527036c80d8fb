/**
 * `clearhouse audit verify | checkpoint | proof` on PostgreSQL (DATABASE_URL): intact → 0; a row
 * changed directly in the database with the triggers off → 1 naming the first broken entry, as text
 * and as JSON; usage errors → 2; a proof asked before any checkpoint → 1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { cliWorkspace } from '../support/cli-workspace.ts';

describe('clearhouse audit', () => {
  it('verify exits 0 on an intact store, 1 naming the first broken entry after tampering, 2 on usage', async () => {
    const ws = await cliWorkspace('audit');
    ws.ok('migrate');
    const checkpoint = ws.ok('audit', 'checkpoint', '--json');
    assert.deepEqual(JSON.parse(checkpoint.stdout), [], 'no cycle settled, no day ended: nothing due');
    const intact = ws.ok('audit', 'verify');
    assert.match(intact.stdout, /audit ledger intact: \d+ ledger entries chained/);
    assert.equal(ws.run('audit', 'verify', '--from', 'x').status, 2);
    assert.equal(ws.run('audit', 'proof').status, 2);
    const noProof = ws.run('audit', 'proof', '--message', '1');
    assert.equal(noProof.status, 1, noProof.stderr);

    const client = new pg.Client({ connectionString: ws.databaseUrl });
    await client.connect();
    try {
      const [first] = (await client.query<{ bic: string }>('SELECT bic FROM participants ORDER BY bic LIMIT 1')).rows;
      await client.query('SET session_replication_role = replica');
      await client.query(`UPDATE participants SET name = name || ' (changed)' WHERE bic = $1`, [first!.bic]);
    } finally {
      await client.end();
    }
    const broken = ws.run('audit', 'verify');
    assert.equal(broken.status, 1, broken.stderr);
    assert.match(broken.stdout, /audit ledger BROKEN: participants \S+: the row differs from its latest journal entry: modified/);
    const json = JSON.parse(ws.run('audit', 'verify', '--json').stdout);
    assert.equal(json.ok, false);
    assert.equal(json.broken.table, 'participants');
    assert.equal(json.broken.kind, 'modified');
  });
});
