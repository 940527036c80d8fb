/**
 * The TypeScript loader's disk cache (bin/ts-hooks.js, decision 97), judged by running node with the loader
 * under a TMPDIR of the test's own and looking at what it left there:
 *  - a module is transformed once and then served from the cache (the cached file is what runs);
 *  - a cache directory that others may write to is never used (its files would be code we run);
 *  - the first entry a process adds prunes the entries older than a week, and keeps the recent ones.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../support/cli-workspace.ts';

const register = join(root, 'bin', 'ts-register.js');
const DAY_S = 24 * 3600;

/** A module of its own (the path is part of the cache key). */
function moduleFile(source: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'clearhouse-loader-module-')), 'probe.ts');
  writeFileSync(file, source);
  return file;
}

function runModule(tmp: string, file: string): string {
  const run = spawnSync(process.execPath, ['--import', register, file], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

const cacheOf = (tmp: string): string => join(tmp, `clearhouse-ts-${process.getuid!()}`);

describe('the TypeScript loader cache', { skip: process.getuid === undefined ? 'needs POSIX user ids' : false }, () => {
  it('serves a module it transformed once from its private cache', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'clearhouse-loader-'));
    const source = moduleFile('const n: number = 6 * 7;\nconsole.log(String(n));\n');
    const first = runModule(tmp, source);
    const entries = readdirSync(cacheOf(tmp));
    assert.equal(entries.length, 1, 'one module transformed, one entry');
    const entry = join(cacheOf(tmp), entries[0]!);
    assert.match(readFileSync(entry, 'utf8'), /const n = 6 \* 7/, 'the entry is the transformed module (types gone)');
    // The second run is served by the entry: an entry changed by hand is what runs.
    writeFileSync(entry, 'console.log("from the cache");\n');
    assert.equal(first.trim(), '42');
    assert.equal(runModule(tmp, source).trim(), 'from the cache');
  });

  it('does not use a cache directory others may write to', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'clearhouse-loader-'));
    mkdirSync(cacheOf(tmp), { mode: 0o700 });
    chmodSync(cacheOf(tmp), 0o777);
    assert.equal(runModule(tmp, moduleFile('console.log("ran" as string);\n')).trim(), 'ran');
    assert.deepEqual(readdirSync(cacheOf(tmp)), [], 'nothing written to, or read from, a shared directory');
  });

  it('prunes entries older than a week when it adds one, and keeps the recent ones', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'clearhouse-loader-'));
    mkdirSync(cacheOf(tmp), { mode: 0o700 });
    const now = Date.now() / 1000;
    const old = join(cacheOf(tmp), 'a'.repeat(64));
    const stalePartial = join(cacheOf(tmp), `${'b'.repeat(64)}.123.tmp`);
    const recent = join(cacheOf(tmp), 'c'.repeat(64));
    for (const file of [old, stalePartial, recent]) writeFileSync(file, '// an earlier entry\n');
    utimesSync(old, now - 8 * DAY_S, now - 8 * DAY_S);
    utimesSync(stalePartial, now - 30 * DAY_S, now - 30 * DAY_S);
    utimesSync(recent, now - 6 * DAY_S, now - 6 * DAY_S);
    runModule(tmp, moduleFile('console.log("new" as string);\n'));
    assert.equal(existsSync(old), false, 'an entry of 8 days is pruned');
    assert.equal(existsSync(stalePartial), false, "a crashed writer's partial file is pruned");
    assert.equal(existsSync(recent), true, 'an entry of 6 days is kept');
    assert.equal(readdirSync(cacheOf(tmp)).length, 2, 'the recent entry and the new one');
  });
});
