/**
 * switch/cli/progress.ts: progress shows only on a terminal (stdout and `--json` stay clean), steps
 * carry their timings, counters end on one finished line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, formatDuration } from '../../switch/cli/progress.ts';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, write: (t: string) => { chunks.push(t); return true; }, text: () => chunks.join('') };
}

describe('command-line progress', () => {
  it('shows nothing when the stream is not a terminal', async () => {
    const s = stream(false);
    const p = createProgress({ stream: s });
    assert.equal(p.enabled, false);
    assert.equal(await p.step('work', () => 42), 42);
    const c = p.counter('files', 3);
    c.add(3);
    c.done();
    p.note('try this');
    assert.equal(s.text(), '');
  });

  it('on a terminal: each step with its duration, a failed step as failed, a counter ending with its total', async () => {
    const s = stream(true);
    const p = createProgress({ stream: s, redrawMs: 0 });
    await p.step('cut-off', async () => undefined);
    await assert.rejects(p.step('settle', () => { throw new Error('boom'); }), /boom/);
    const c = p.counter('payments', 2000, 'payments');
    c.add(1000);
    c.add(1000);
    c.done();
    const text = s.text();
    assert.match(text, /✓ cut-off \(\d+ ms\)\n/);
    assert.match(text, /✗ settle \(failed after \d+ ms\)\n/);
    assert.match(text, /payments: 1000\/2000 payments \(50 %\)/);
    assert.ok(/payments: 2000\/2000 payments \(100 %\) in \d+ ms/.test(text) && text.endsWith("\u001b[K\n"), text);
  });

  it('durations read as a person would say them', () => {
    assert.equal(formatDuration(12.4), '12 ms');
    assert.equal(formatDuration(2_345), '2.3 s');
    assert.equal(formatDuration(125_000), '2 min 05 s');
  });
});
