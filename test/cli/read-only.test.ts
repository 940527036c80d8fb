/**
 * Reading commands only read (issue 10, "Read commands write"): `cycle status|list|open|next`,
 * `positions`, `dead-letters`, `participant list`, `payee directory list`, `payee verifications` run with a PostgreSQL role that has only USAGE on
 * the schema and SELECT on its tables, and `cycle status --config edited.json` (a cap lowered to 100,
 * a participant suspended) changes no cap, no participant and records nothing — with that role and
 * with the owner's. Schema migration is `clearhouse migrate`, explicitly.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { cli, cliWorkspace } from '../support/cli-workspace.ts';

const roles: string[] = [];
const admin = () => new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });

after(async () => {
  const client = admin();
  await client.connect();
  for (const role of roles) await client.query(`DROP OWNED BY ${role}`).then(() => client.query(`DROP ROLE ${role}`)).catch(() => {});
  await client.end();
});

/** A login role that may only read the workspace's schema; the URL that connects as it. */
async function readOnlyRole(databaseUrl: string): Promise<string> {
  const url = new URL(databaseUrl);
  const schema = /search_path=(\w+)/.exec(url.searchParams.get('options') ?? '')![1]!;
  const role = `ro_${process.pid}_${roles.length}`;
  roles.push(role);
  const client = admin();
  await client.connect();
  await client.query(`CREATE ROLE ${role} LOGIN`);
  await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
  await client.end();
  url.username = role;
  return url.toString();
}

async function storeState(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = async (sql: string) => (await client.query(sql)).rows;
    return {
      participants: await rows('SELECT bic, name, status FROM participants ORDER BY bic'),
      exposures: await rows('SELECT bic, currency, cap_minor::text AS cap FROM exposures ORDER BY bic, currency'),
      actions: await rows('SELECT id, action FROM operator_actions ORDER BY id'),
      cycles: await rows('SELECT id, state FROM cycles ORDER BY id'),
      migrations: await rows('SELECT version FROM schema_migrations ORDER BY version'),
    };
  } finally {
    await client.end();
  }
}

describe('reading commands only read', () => {
  it('work with a SELECT-only role; an edited --config changes no cap and no participant', async () => {
    const { work, env, ok, databaseUrl } = await cliWorkspace('read-only', { timeoutMs: 120_000 });
    assert.match(ok('migrate').stdout, /applied .*schema at version/);
    assert.match(ok('migrate').stdout, /schema up to date/);
    ok('cycle', 'close'); // a writing command: the register seeded from the file, the first cycle opened
    const edited = JSON.parse(readFileSync(join(work, 'scheme.json'), 'utf8'));
    edited.participants[0].netDebitCap.EUR = '100.00';
    edited.participants[1].status = 'suspended';
    writeFileSync(join(work, 'edited.json'), JSON.stringify(edited));
    const before = await storeState(databaseUrl);
    assert.ok(before.exposures.some((e) => e.bic === 'BANKDEFFXXX' && e.cap !== '10000'), 'the file\'s cap is not 100.00');

    // The owner's role: reading with an edited file changes nothing.
    ok('cycle', 'status', '--config', join(work, 'edited.json'));
    assert.deepEqual(await storeState(databaseUrl), before);

    const readOnly = { ...env, DATABASE_URL: await readOnlyRole(databaseUrl) };
    const asReader = (...args: string[]) => {
      const result = spawnSync(process.execPath, [cli, ...args], { cwd: work, env: readOnly, encoding: 'utf8', timeout: 120_000 });
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    assert.match(asReader('cycle', 'status', '--config', join(work, 'edited.json')), /open: /);
    assert.match(asReader('cycle', 'list'), /2026-11-27 #1/);
    asReader('cycle', 'open');
    assert.match(asReader('cycle', 'next'), /next cut-off: /);
    asReader('positions', '--config', join(work, 'edited.json'));
    assert.match(asReader('dead-letters'), /no failed deliveries/);
    const listed = asReader('participant', 'list', '--config', join(work, 'edited.json'));
    assert.match(listed, /BANKFRPPXXX\s+active/, 'the register in force, not the edited file');
    assert.match(asReader('payee', 'directory', 'list'), /no payee directory loaded/);
    assert.match(asReader('payee', 'verifications'), /no payee verification yet/);
    assert.deepEqual(await storeState(databaseUrl), before, 'nothing changed by the reading commands');

    // A writing command with the read-only role fails on the database's permissions, changing nothing.
    const refused = spawnSync(process.execPath, [cli, 'cycle', 'close'], { cwd: work, env: readOnly, encoding: 'utf8', timeout: 120_000 });
    assert.notEqual(refused.status, 0);
    assert.deepEqual(await storeState(databaseUrl), before);
  });
});
