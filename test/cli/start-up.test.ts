/**
 * Command-line start-up (docs/performance.md "Command-line start-up"): `clearhouse --help` and the
 * read commands load none of the heavy modules (the XSD engine, PGlite, BullMQ, Redis, node-forge,
 * SFTP); each command loads its implementation only when it runs. Judged by which packages a child
 * process loads (test/support/module-trace.mjs), not by timing: the figures are measured by
 * bench/startup.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliWorkspace, root } from '../support/cli-workspace.ts';

const HEAVY = ['xmllint-wasm', '@electric-sql/pglite', 'bullmq', 'ioredis', 'node-forge', 'ssh2-sftp-client', 'ssh2'];
const trace = join(root, 'test', 'support', 'module-trace.mjs');

/** Runs the CLI with the module trace; returns its result and the packages it loaded. */
function traced(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const file = join(mkdtempSync(join(tmpdir(), 'clearhouse-trace-')), 'modules.txt');
  const result = spawnSync(process.execPath, ['--import', trace, cli, ...args],
    { cwd: root, env: { ...env, CLEARHOUSE_MODULE_TRACE: file }, encoding: 'utf8', timeout: 60_000 });
  let loaded: string[] = [];
  try { loaded = readFileSync(file, 'utf8').split('\n').filter(Boolean); } catch { /* nothing loaded from node_modules */ }
  return { result, loaded: new Set(loaded) };
}

const heavyIn = (loaded: Set<string>) => HEAVY.filter((name) => loaded.has(name));

describe('command-line start-up', () => {
  it('--help lists every command and loads no heavy module', () => {
    const { result, loaded } = traced(['--help']);
    assert.equal(result.status, 0, result.stderr);
    for (const command of ['validate', 'serve', 'submit', 'cycle', 'positions', 'demo', 'pki', 'dead-letters', 'bank', 'migrate', 'config', 'participant', 'users', 'settlement', 'simulate', 'risk']) {
      assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'), `${command} missing from --help`);
    }
    assert.ok(loaded.has('commander'), 'the trace saw nothing: is the hook working?');
    assert.deepEqual(heavyIn(loaded), []);
  });

  it('--version prints the package version', () => {
    const { result } = traced(['--version']);
    assert.equal(result.status, 0, result.stderr);
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(result.stdout.trim(), version);
  });

  it('a command group defined in its own module shows the same description in --help as its own help', () => {
    const top = traced(['--help']).result.stdout;
    for (const group of ['pki', 'dead-letters', 'bank', 'migrate', 'config', 'participant', 'users', 'settlement', 'simulate', 'risk']) {
      const own = traced([group, '--help']);
      assert.equal(own.result.status, 0, own.result.stderr);
      const description = own.result.stdout.split('\n\n')[1]!.trim();
      const listed = new RegExp(`^  ${group}\\b.*$`, 'm').exec(top)![0].replace(/^ {2}\S+(?: \[options\])?(?: \[command\])?\s+/, '');
      // --help wraps long descriptions: compare the words.
      assert.ok(description.replace(/\s+/g, ' ').startsWith(listed.replace(/\s+/g, ' ').trim()), `${group}: "${listed}" vs "${description}"`);
    }
  });

  it('a read command on PostgreSQL loads neither PGlite nor the transport, scheduler or signing modules', async () => {
    const workspace = await cliWorkspace('start-up');
    workspace.ok('migrate'); // a read command never migrates: the fresh schema first
    for (const args of [['cycle', 'list'], ['positions']]) {
      const { result, loaded } = traced(args, workspace.env);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(loaded.has('pg'), `${args.join(' ')}: the trace saw no pg`);
      assert.deepEqual(heavyIn(loaded), [], args.join(' '));
    }
  });
});
