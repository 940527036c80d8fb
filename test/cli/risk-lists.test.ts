/**
 * `clearhouse risk lists load|show` as an operator runs them (switch/cli/risk-lists.ts, docs/risk.md
 * "Screening"): a UN list and an OFAC list with its aliases loaded and recorded, a malformed file
 * refused with its line and nothing loaded (exit 1), usage errors (exit 2), the listing read-only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { cliWorkspace } from '../support/cli-workspace.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'screening');
const operator = ['--operator', 'alice', '--reason', 'lists of 2026-12-01'];

describe('clearhouse risk lists', () => {
  it('loads, refuses a malformed file whole, and lists the versions', async () => {
    const ws = await cliWorkspace('risk-lists', { timeoutMs: 120_000 });
    ws.ok('migrate');
    let r = ws.ok('risk', 'lists', 'load', join(FIXTURES, 'un-consolidated.xml'), '--format', 'un', '--name', 'un-consolidated', ...operator);
    assert.match(r.stdout, /loaded un-consolidated@v1 +un +4 entries, 15 values/);
    r = ws.ok('risk', 'lists', 'load', join(FIXTURES, 'ofac-sdn.csv'), '--aliases', join(FIXTURES, 'ofac-alt.csv'), '--format', 'ofac', '--name', 'ofac-sdn', ...operator, '--json');
    const loaded = JSON.parse(r.stdout) as { name: string; version: number; entryCount: number; valueCount: number };
    assert.deepEqual([loaded.name, loaded.version, loaded.entryCount, loaded.valueCount], ['ofac-sdn', 1, 5, 8]);

    r = ws.run('risk', 'lists', 'load', join(FIXTURES, 'ofac-sdn.csv'), '--aliases', join(FIXTURES, 'ofac-alt-unknown-ent-num.csv'), '--format', 'ofac', '--name', 'ofac-sdn', ...operator);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /alt\.csv refused, nothing loaded: line 4: ent_num 7999 is not in sdn\.csv/);
    r = ws.run('risk', 'lists', 'load', join(FIXTURES, 'un-doctype.xml'), '--format', 'un', '--name', 'un-consolidated', ...operator);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /line 2: a DOCTYPE/);

    for (const args of [['--format', 'xml', '--name', 'x'], ['--format', 'un', '--name', 'Bad Name'], ['--format', 'un', '--name', 'x', '--aliases', 'alt.csv']]) {
      r = ws.run('risk', 'lists', 'load', join(FIXTURES, 'un-consolidated.xml'), ...args, ...operator);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    r = ws.run('risk', 'lists', 'load', join(FIXTURES, 'un-consolidated.xml'), '--format', 'un', '--name', 'x', '--operator', 'alice', '--reason', ' ');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /reason/);

    r = ws.ok('risk', 'lists');
    assert.match(r.stdout, /^\* ofac-sdn@v1 +ofac +5 entries, 8 values +loaded .* by alice \(lists of 2026-12-01\)/m);
    assert.match(r.stdout, /^\* un-consolidated@v1 +un +4 entries/m);
    const client = new pg.Client({ connectionString: ws.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ action: string; n: number }>(
        "SELECT action, count(*)::int AS n FROM operator_actions WHERE action LIKE 'risk.%' GROUP BY action");
      assert.deepEqual(rows, [{ action: 'risk.list.load', n: 2 }], 'the two loads recorded, the refused ones not');
    } finally {
      await client.end();
    }
  });
});
