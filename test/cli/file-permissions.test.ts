/**
 * Everything the switch writes is its owner's only (docs/operations.md "File permissions"): the PKI
 * material of `clearhouse pki`, the embedded store (PGlite data directory), every mailbox folder and
 * file (inbound, outbound, archive), and the demo's output. Run as an operator would, under a
 * permissive umask (022), and judged by stat'ing what the real run created: no file or directory
 * with any group or other permission. The demo outputs judged are the suite's two shared demo runs
 * (test/support/demo-once.ts: one into a folder it makes, one reusing an earlier demo's), both run
 * under umask 022 too.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cli, cliWorkspace } from '../support/cli-workspace.ts';
import { demoJsonOnce, demoOnce } from '../support/demo-once.ts';

/** lstat, or undefined for an entry gone since its folder was read (the store of the shared demo output may be
 * opened by another test's read-only command meanwhile). */
const lstatIfThere = (path: string) => lstatSync(path, { throwIfNoEntry: false });

/** Every path under `root` (links not followed) whose mode gives group or others anything. */
function exposed(root: string): string[] {
  const found: string[] = [];
  const visit = (path: string): void => {
    const stat = lstatIfThere(path);
    if (stat === undefined || stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) found.push(`${relative(root, path) || '.'} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return found;
}

function count(root: string): number {
  const stat = lstatIfThere(root);
  if (stat === undefined) return 0;
  return stat.isDirectory() ? 1 + readdirSync(root).reduce((n, name) => n + count(join(root, name)), 0) : 1;
}

describe('files the switch writes are owner-only', () => {
  it('PKI material, the embedded store, mailboxes and demo output: 0600 files, 0700 directories, under umask 022', { timeout: 600_000 }, async () => {
    const { work, env } = await cliWorkspace('permissions');
    // The embedded store (no DATABASE_URL), and a shell umask that would give everything to everyone to read.
    const embedded = { ...env, DATABASE_URL: '' };
    const run = (...args: string[]) => {
      const result = spawnSync('/bin/sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, cli, ...args],
        { cwd: work, env: embedded, encoding: 'utf8', timeout: 300_000 });
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
      return result;
    };
    const pki = join(work, 'pki');
    run('pki', 'init', '--out', join(pki, 'ca'));
    run('pki', 'issue', '--ca', join(pki, 'ca'), '--bic', 'BANKDEFFXXX', '--out', pki);
    run('pki', 'revoke', '--ca', join(pki, 'ca'), '--cert', join(pki, 'BANKDEFFXXX.cert.pem'));
    run('pki', 'sign', '--key', join(pki, 'BANKDEFFXXX.key.pem'), '--cert', join(pki, 'BANKDEFFXXX.cert.pem'), join(pki, 'BANKDEFFXXX.cert.pem'));
    run('bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKFRPPXXX', '--count', '3');
    run('serve', '--once');
    const demos = [demoJsonOnce(), demoOnce()];
    for (const demo of demos) assert.equal(demo.status, 0, demo.stderr);

    for (const [what, root, atLeast] of [['PKI material', pki, 7], ['data directory (store and mailboxes)', join(work, 'data'), 100],
      ['demo output (a new folder)', demos[0]!.out, 20], ['demo output (an earlier demo\'s, reused)', demos[1]!.out, 20]] as const) {
      assert.ok(count(root) >= atLeast, `${what}: the run created it (${count(root)} entries)`);
      assert.deepEqual(exposed(root), [], `${what}: readable or writable by others`);
    }
    const mailbox = join(work, 'data', 'mailboxes', 'BANKDEFFXXX');
    assert.ok(readdirSync(join(mailbox, 'archive')).length > 0 && readdirSync(join(mailbox, 'outbound')).length > 0, 'inbound taken, answers delivered');
  });
});
