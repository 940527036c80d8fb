/**
 * The operator's commands as a user runs them, on real PostgreSQL (DATABASE_URL): submit (as a
 * recorded operator action: this scheme has no PKI), cycle status/close/list, serve --once with the
 * settlement simulator, positions. The file is a bank simulator's bulk file of the current business
 * date. (submit's authentication: test/cli/submit-authentication.test.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cli, cliWorkspace, type CliWorkspace } from '../support/cli-workspace.ts';
import { sentFiles } from '../support/serve-observer.ts';

/** A bulk file of 25 payments from Bank A dated today, outside every mailbox the switch reads. */
function bulkFile({ work, ok }: CliWorkspace): string {
  const scratch = join(work, 'scratch');
  const sent = sentFiles(ok('bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKFRPPXXX,BANKNL2AXXX', '--count', '25', '--mailbox', scratch).stdout);
  return join(scratch, 'inbound', sent[0]!.fileName);
}

const asOperator = ['--operator', 'test-operator', '--reason', 'CLI test'];

describe('clearhouse submit, cycle, serve, positions', () => {
  it('a file goes from submit to a settled cycle with positions that sum to zero', async () => {
    const workspace = await cliWorkspace('cli', { timeoutMs: 120_000 });
    const { run } = workspace;
    const fixture = bulkFile(workspace);

    const submitted = run('submit', '--as', 'BANKDEFFXXX', ...asOperator, '--json', fixture);
    assert.equal(submitted.status, 0, submitted.stderr);
    assert.equal(JSON.parse(submitted.stdout).status, 'ACCP');
    const replay = run('submit', '--as', 'BANKDEFFXXX', ...asOperator, '--json', fixture);
    assert.equal(JSON.parse(replay.stdout).replay, true);
    const wrongSender = run('submit', '--as', 'BANKFRPPXXX', ...asOperator, '--json', fixture);
    assert.equal(wrongSender.status, 1, 'a file whose InstgAgt is another bank is refused');
    assert.ok(JSON.parse(wrongSender.stdout).findings.some((f: { code: string }) => f.code === 'AG08'));

    const status = JSON.parse(run('cycle', 'status', '--json').stdout);
    assert.equal(status.open.payments, 25);
    assert.equal(run('cycle', 'close').status, 0);
    assert.equal(run('serve', '--once', '--simulate-settlement').status, 0);
    assert.equal(run('serve', '--once', '--simulate-settlement').status, 0);
    const cycles = JSON.parse(run('cycle', 'list', '--json').stdout) as Array<{ state: string; payments: number }>;
    assert.deepEqual(cycles.map((c) => c.state), ['OPEN', 'SETTLED']);
    const positions = JSON.parse(run('positions', '--json').stdout) as { positions: Array<{ net_minor: string }>; bilateral: unknown[] };
    assert.equal(positions.positions.reduce((s, p) => s + BigInt(p.net_minor), 0n), 0n);
    assert.ok(positions.bilateral.length > 0);
    assert.equal(run('cycle', 'nonsense').status, 2);
    assert.equal(run('positions', '--cycle', 'x').status, 2);
  });

  it('two cycle close commands issued together close one cycle', async () => {
    const workspace = await cliWorkspace('cli', { timeoutMs: 120_000 });
    const { work, env, run } = workspace;
    assert.equal(run('submit', '--as', 'BANKDEFFXXX', ...asOperator, bulkFile(workspace)).status, 0); // creates the schema and the first cycle
    const close = () => new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'cycle', 'close', '--json'], { cwd: work, env, stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.on('close', (code) => resolve({ code, stdout }));
    });
    const results = await Promise.all([close(), close()]);
    assert.deepEqual(results.map((r) => r.code), [0, 0]);
    const closed = results.map((r) => (JSON.parse(r.stdout) as { closed: string | null }).closed).filter((id) => id !== null);
    assert.equal(closed.length, 1, results.map((r) => r.stdout).join('\n'));
    const cycles = JSON.parse(run('cycle', 'list', '--json').stdout) as Array<{ state: string }>;
    assert.equal(cycles.length, 2, 'one cycle closed, one open');
    // A close issued afterwards closes the new cycle: the guard is about simultaneity only.
    assert.notEqual((JSON.parse(run('cycle', 'close', '--json').stdout) as { closed: string | null }).closed, null);
  });
});
