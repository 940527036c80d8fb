/**
 * A test whose prerequisite is missing is skipped with its reason on a developer's machine, counted by
 * `npm test`, and fails under CI=true (test/support/prerequisites.ts, bin/run-tests.js).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TYPESCRIPT_IMPORT } from '../../switch/typescript-import.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs a generated test file that needs something it does not have, with the given CI variable. */
function runMissing(ci: string | undefined): { status: number | null; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'clearhouse-prerequisites-'));
  try {
    const file = join(dir, 'needs-unicorn.test.ts');
    writeFileSync(file, `import { test } from 'node:test';
import { requireOrSkip } from ${JSON.stringify(join(root, 'test', 'support', 'prerequisites.ts'))};
test('needs a unicorn', (t) => {
  if (requireOrSkip(t, 'no unicorn on this machine')) return;
  throw new Error('ran without its unicorn');
});
`);
    const env = { ...process.env };
    delete env.CI;
    delete env.NODE_TEST_CONTEXT; // a test runner of its own, reporting to stdout, not to this one
    if (ci !== undefined) env.CI = ci;
    const result = spawnSync(process.execPath, [...TYPESCRIPT_IMPORT, '--test', '--test-reporter=tap', file], { cwd: root, env, encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('missing prerequisites', () => {
  it('skip with the reason when CI is not set', () => {
    const { status, stdout } = runMissing(undefined);
    assert.equal(status, 0, stdout);
    assert.match(stdout, /# SKIP no unicorn on this machine/);
    assert.match(stdout, /# skipped 1/);
  });

  it('fail under CI=true', () => {
    const { status, stdout } = runMissing('true');
    assert.equal(status, 1, stdout);
    assert.match(stdout, /no unicorn on this machine \(CI is set: a missing prerequisite fails the test/);
    assert.match(stdout, /# skipped 0/);
  });
});
