/**
 * `clearhouse validate` on a terminal: a large file is shown as a step with its timing, several files
 * as a counter (switch/cli/progress.ts, on stderr); piped, nothing of it, and `--json` stays one JSON
 * document. The terminal is a pseudo-terminal from util-linux `script`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, root } from '../support/cli-workspace.ts';
import { requireOrSkip } from '../support/prerequisites.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build } from '../../switch/iso/messages/pacs.008.001.08/index.ts';

const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', CLEARHOUSE_CONFIG: '' };
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe('validate progress', () => {
  it('on a terminal: the large file as a step with its size and timing, the files counted; piped: none', (t) => {
    if (requireOrSkip(t, !hasScript && 'util-linux `script` (a pseudo-terminal) not installed')) return;
    const dir = mkdtempSync(join(tmpdir(), 'clearhouse-validate-tty-'));
    const file = (name: string, count: number, seed: number) => {
      const path = join(dir, name);
      writeFileSync(path, build(bulkCreditTransfer({ seed, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: count,
        settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z' })));
      return path;
    };
    const large = file('large.xml', 2_500, 1); // over 1 MB
    const small = file('small.xml', 3, 2);
    const shell = `'${process.execPath}' '${cli}' validate --json '${large}' '${small}'`;
    const tty = spawnSync('script', ['-qec', shell, '/dev/null'], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
    assert.equal(tty.status, 0, tty.stdout.slice(-2000));
    assert.match(tty.stdout, /✓ large\.xml \(\d+\.\d MB\) validated \(\d+(\.\d)? (ms|s)\)/);
    assert.doesNotMatch(tty.stdout, /small\.xml \(/, 'a small file is only counted');
    assert.match(tty.stdout, /validating.*2\/2 files/);
    const piped = spawnSync(process.execPath, [cli, 'validate', '--json', large, small], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(piped.stderr, '');
    assert.equal((JSON.parse(piped.stdout) as { files: unknown[] }).files.length, 2);
  });
});
