/**
 * Every command error is one clear line on stderr with a documented exit code (switch/cli/errors.ts,
 * docs/operations.md "Exit codes and errors"): the CLI run as a child process over a table of bad
 * inputs — missing and malformed files and configurations, URLs that are not URLs, a database that
 * is unreachable (a closed port), unknown (a non-existent database name) or at a host that does not
 * resolve, a malformed clock setting — never a stack trace, never a password.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { closedPort } from '../support/tcp-proxy.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, FIXTURE_MORNING, root } from '../support/cli-workspace.ts';
import { CLOCK_VARIABLE } from '../../switch/clock.ts';

const fixture = join(root, 'test', 'fixtures', 'pacs.008.001.08', 'valid-bulk-25.xml');
const work = mkdtempSync(join(tmpdir(), 'clearhouse-errors-'));
const postgres = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';


interface Case { readonly name: string; readonly args: string[]; readonly env?: NodeJS.ProcessEnv; readonly exit: number; readonly says: RegExp }

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

/** Generated malformed configurations: every prefix of the demo scheme that is not JSON, a wrong type per field. */
function malformedConfigs(): Array<{ name: string; path: string }> {
  const scheme = JSON.stringify({ name: 'x', currencies: ['EUR'], participants: [{ bic: 'BANKDEFFXXX', name: 'A' }] });
  const cuts = [1, 10, Math.floor(scheme.length / 2), scheme.length - 1].map((n, i) => ({ name: `truncated-${i}`, path: file(`truncated-${i}.json`, scheme.slice(0, n)) }));
  const wrong = [
    ['not-an-object', '[]'], ['empty', ''], ['binary', '\u0000\u0001\u0002'],
    ['bad-currency', JSON.stringify({ name: 'x', currencies: ['EURO'], participants: [] })],
    ['participants-string', JSON.stringify({ name: 'x', currencies: ['EUR'], participants: 'all' })],
  ].map(([name, text]) => ({ name: name!, path: file(`${name}.json`, text!) }));
  return [...cuts, ...wrong];
}

let cases: Case[] = [];

before(async () => {
  const port = await closedPort();
  const noSuchDatabase = new URL(postgres);
  noSuchDatabase.pathname = `/clearhouse_missing_${process.pid}`;
  noSuchDatabase.password = 'sekrit-pass';
  cases = [
    { name: 'unknown command', args: ['frobnicate'], exit: 2, says: /unknown command 'frobnicate'/ },
    { name: 'unknown option', args: ['cycle', 'list', '--bogus'], exit: 2, says: /unknown option '--bogus'/ },
    { name: 'missing argument', args: ['validate'], exit: 2, says: /missing required argument/ },
    { name: 'unknown cycle action', args: ['cycle', 'frob'], exit: 2, says: /unknown action frob/ },
    { name: 'bad --cycle', args: ['positions', '--cycle', 'abc', '--config', join(root, 'config', 'demo-scheme.json')], env: { DATABASE_URL: postgres }, exit: 2, says: /--cycle takes a cycle id/ },
    { name: 'validate: missing file', args: ['validate', join(work, 'nope.xml')], exit: 2, says: /cannot read .*nope\.xml/ },
    { name: 'missing configuration file', args: ['cycle', 'list', '--config', join(work, 'nope.json')], exit: 2, says: /invalid scheme configuration: .*nope\.json/ },
    ...malformedConfigs().flatMap(({ name, path }) => [
      { name: `cycle list, configuration ${name}`, args: ['cycle', 'list', '--config', path], exit: 2, says: /invalid scheme configuration/ },
      { name: `validate, configuration ${name}`, args: ['validate', '--config', path, fixture], exit: 2, says: /invalid scheme configuration/ },
    ]),
    { name: 'DATABASE_URL not a URL', args: ['cycle', 'list'], env: { DATABASE_URL: 'not-a-url' }, exit: 2, says: /DATABASE_URL is not a PostgreSQL URL/ },
    { name: 'DATABASE_URL of another kind', args: ['positions'], env: { DATABASE_URL: 'http://127.0.0.1/x' }, exit: 2, says: /DATABASE_URL is not a PostgreSQL URL/ },
    { name: 'dead-letters, DATABASE_URL not a URL', args: ['dead-letters'], env: { DATABASE_URL: 'nonsense' }, exit: 2, says: /DATABASE_URL is not a PostgreSQL URL/ },
    { name: 'database unreachable', args: ['cycle', 'list'], env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x` }, exit: 3, says: /cannot use the database .*ECONNREFUSED/ },
    { name: 'database unreachable (positions)', args: ['positions'], env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x` }, exit: 3, says: /cannot use the database/ },
    { name: 'database unreachable (dead-letters)', args: ['dead-letters'], env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x` }, exit: 3, says: /cannot use the database/ },
    { name: 'database unreachable (submit)', args: ['submit', '--as', 'BANKDEFFXXX', '--operator', 'ops', '--reason', 'test', fixture],
      env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x` }, exit: 3, says: /cannot use the database/ },
    { name: 'database does not exist', args: ['cycle', 'list'], env: { DATABASE_URL: noSuchDatabase.toString() }, exit: 3, says: /cannot use the database .*does not exist/ },
    { name: 'database host does not resolve', args: ['cycle', 'list'], env: { DATABASE_URL: 'postgres://postgres@no-such-host.invalid/x' }, exit: 3, says: /cannot use the database .*no-such-host\.invalid/ },
    { name: 'serve: REDIS_URL not a URL', args: ['serve', '--once'], env: { DATABASE_URL: postgres, REDIS_URL: 'localhost:6379' }, exit: 2, says: /REDIS_URL is not a Redis URL/ },
    { name: 'malformed clock', args: ['cycle', 'list'], env: { [CLOCK_VARIABLE]: 'yesterday' }, exit: 2, says: /CLEARHOUSE_CLOCK=yesterday/ },
  ];
});

describe('command-line errors: one line, a documented exit code', () => {
  it('every bad input of the table', () => {
    assert.ok(cases.length > 20);
    const failures: string[] = [];
    for (const c of cases) {
      const r = spawnSync(process.execPath, [cli, ...c.args], {
        cwd: work, encoding: 'utf8', timeout: 60_000,
        env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', CLEARHOUSE_CONFIG: '', [CLOCK_VARIABLE]: FIXTURE_MORNING, ...c.env },
      });
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      const problems = [
        r.status !== c.exit && `exit ${r.status}, expected ${c.exit}`,
        lines.length !== 1 && `${lines.length} lines on stderr`,
        /^\s+at /m.test(r.stderr) && 'a stack trace',
        !c.says.test(r.stderr) && `not ${c.says}`,
        /sekrit-pass/.test(r.stderr) && 'the password',
      ].filter(Boolean);
      if (problems.length > 0) failures.push(`${c.name}: ${problems.join(', ')}\n    ${r.stderr.split('\n').slice(0, 3).join('\n    ')}`);
    }
    assert.deepEqual(failures, []);
  });
});
