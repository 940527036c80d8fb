/**
 * `serve` with REDIS_URL pointing at nothing (a closed port): it waits for Redis with a backoff that
 * grows (one log line per step, not several a second), and the first SIGTERM stops it cleanly
 * (exit 0, within seconds) although the connection was never made. A child process, real PostgreSQL.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort } from '../support/tcp-proxy.ts';
import { cliWorkspace, killLeftoverServes, startServe } from '../support/cli-workspace.ts';

after(killLeftoverServes);


describe('serve with Redis unreachable', () => {
  it('logs once per backoff step and stops on the first SIGTERM', async () => {
    const workspace = await cliWorkspace('redis-unreachable');
    workspace.ok('migrate'); // the schema migrated before serve starts
    const port = await closedPort();
    const serve = startServe({ ...workspace.env, REDIS_URL: `redis://127.0.0.1:${port}` }, [], workspace.work);
    // Start-up (loading the modules, opening the store) takes its own time on a loaded machine: the watch
    // begins with the first complaint about Redis, and six seconds of backoff are counted from there.
    const warned = (): boolean => /"level":"(warn|error)"/.test(serve.stderr());
    for (const deadline = performance.now() + 60_000; !warned() && performance.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(warned(), `nothing logged while Redis is unreachable: ${serve.stderr()}`);
    const watchMs = 6_000;
    await new Promise((resolve) => setTimeout(resolve, watchMs));
    const records = serve.stderr().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: string; time: string; msg: string; retryInMs?: number });
    const warnings = records.filter((r) => r.level === 'warn' || r.level === 'error');
    // 0.5 s doubling: about five steps in six seconds; eight lines a second would be dozens.
    assert.ok(warnings.length <= 8, `${warnings.length} lines in ${watchMs} ms:\n${serve.stderr()}`);
    const delays = warnings.map((w) => w.retryInMs).filter((d): d is number => d !== undefined);
    for (let i = 1; i < delays.length; i++) assert.ok(delays[i]! >= delays[i - 1]!, `backoff does not grow: ${delays.join(', ')}`);
    const started = performance.now();
    const code = await Promise.race([serve.stop(), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000))]);
    assert.equal(code, 0, `first SIGTERM: ${code}\n${serve.stderr().slice(-2000)}`);
    assert.ok(performance.now() - started < 10_000);
    assert.match(serve.stderr(), /"msg":"stopped/);
  });
});
