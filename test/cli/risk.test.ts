/**
 * `clearhouse risk …` (switch/cli/risk.ts) on real PostgreSQL as an operator runs it: a profile file
 * refused with its line (exit 2, one line, nothing loaded), then loaded; an account frozen and
 * unfrozen with who and why; the review queue and the events read without writing; a decision on a
 * payment that is not held refused (exit 2).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorkspace } from '../support/cli-workspace.ts';

describe('clearhouse risk', () => {
  it('loads profiles (a bad file refused with its line), freezes and unfreezes an account, lists holds and events', { timeout: 300_000 }, async () => {
    const { work, run, ok } = await cliWorkspace('risk-cli', { timeoutMs: 120_000, edit: (config) => { (config as Record<string, unknown>).risk = { limits: [] }; } });
    const who = ['--operator', 'alice', '--reason', 'RISK-7'];
    const bad = join(work, 'bad.csv');
    writeFileSync(bad, 'kind,id,account_type,risk_level,customer\naccount,DE89370400440532013000,personal,low,\naccount,X,personal,extreme,\n');
    const refused = run('risk', 'load-profiles', 'BANKDEFFXXX', bad, '--effective-from', '2026-11-27T08:00:00Z', ...who);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /^clearhouse: line 3: risk level "extreme" is not one of low, medium, high\n$/);
    assert.equal(ok('risk', 'profiles').stdout, '', 'nothing loaded');
    const good = join(work, 'good.jsonl');
    writeFileSync(good, '{"kind":"account","id":"DE89370400440532013000","accountType":"business","riskLevel":"high"}\n');
    assert.match(ok('risk', 'load-profiles', 'BANKDEFFXXX', good, '--effective-from', '2026-11-27T08:00:00Z', ...who).stdout,
      /profiles of BANKDEFFXXX loaded as version \d+: 1 accounts, 0 customers/);
    assert.match(ok('risk', 'profiles', 'BANKDEFFXXX').stdout, /BANKDEFFXXX {2}from 2026-11-27T08:00:00.000Z {2}1 accounts/);

    assert.match(ok('risk', 'freeze-account', 'BANKDEFFXXX', 'DE89370400440532013000', ...who).stdout, /frozen/);
    const twice = run('risk', 'freeze-account', 'BANKDEFFXXX', 'DE89370400440532013000', ...who);
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /already frozen/);
    assert.match(ok('risk', 'unfreeze-account', 'BANKDEFFXXX', 'DE89370400440532013000', '--operator', 'bob', '--reason', 'cleared').stdout, /unfrozen/);
    const events = ok('risk', 'events').stdout.trim().split('\n');
    assert.equal(events.length, 2);
    assert.match(events[0]!, / unfreeze +bob {2}- {2}cleared$/);
    assert.match(events[1]!, / freeze +alice {2}- {2}RISK-7$/);

    assert.equal(ok('risk', 'holds').stdout, 'no payment is held\n');
    const notHeld = run('risk', 'release', '1', ...who);
    assert.equal(notHeld.status, 2);
    assert.match(notHeld.stderr, /payment 1 does not exist/);
    assert.equal(run('risk', 'reject', '1', '--code', 'ZZ99', ...who).status, 2);
  });
});
