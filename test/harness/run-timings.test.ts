/**
 * bin/run-tests.js times each test file (test/support/timing-reporter.js: one line per file, with its
 * wall time and whether it passed) and starts the slowest first, from the committed estimates in
 * test/support/file-durations.json, which must name test files that exist.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TYPESCRIPT_IMPORT } from '../../switch/typescript-import.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('test file timings', () => {
  it('the timing reporter writes one line per file: its path, wall time and outcome', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clearhouse-timings-'));
    try {
      const passing = join(dir, 'passing.test.ts');
      const failing = join(dir, 'failing.test.ts');
      writeFileSync(passing, `import { test } from 'node:test';\ntest('waits a little', () => new Promise((resolve) => setTimeout(resolve, 300)));\ntest('and again', () => {});\n`);
      writeFileSync(failing, `import { test } from 'node:test';\ntest('fails', () => { throw new Error('as it should'); });\n`);
      const destination = join(dir, 'timings.jsonl');
      const env = { ...process.env };
      delete env.NODE_TEST_CONTEXT; // a test runner of its own, not reporting to this one
      const result = spawnSync(process.execPath, [...TYPESCRIPT_IMPORT, '--test', '--test-reporter=tap', '--test-reporter-destination=stdout',
        '--test-reporter=./test/support/timing-reporter.js', `--test-reporter-destination=${destination}`, passing, failing],
      { cwd: root, env, encoding: 'utf8' });
      assert.equal(result.status, 1, result.stdout);
      const lines = readFileSync(destination, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { file: string; ms: number; passed: boolean });
      assert.deepEqual(lines.map((l) => [l.file, l.passed]).sort(), [[failing, false], [passing, true]]);
      assert.ok(lines.find((l) => l.file === passing)!.ms >= 300, 'the file\'s whole time, its wait included');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the committed estimates name existing test files, in seconds', () => {
    const estimates = JSON.parse(readFileSync(join(root, 'test', 'support', 'file-durations.json'), 'utf8')) as Record<string, unknown>;
    assert.ok(Object.keys(estimates).length > 0);
    for (const [file, seconds] of Object.entries(estimates)) {
      assert.ok(file.startsWith('test/') && file.endsWith('.test.ts') && existsSync(join(root, file)), `${file}: a test file`);
      assert.ok(typeof seconds === 'number' && seconds > 0, `${file}: ${String(seconds)} s`);
    }
  });
});
