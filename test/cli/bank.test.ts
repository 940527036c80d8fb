/**
 * `clearhouse bank` against `clearhouse serve` on directory connectors with signatures (real
 * PostgreSQL, DATABASE_URL): a signed bulk file goes through a cycle and reaches the receiving bank
 * signed by the switch; an unsigned file is refused with an admi.002 (DS0A).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorkspace } from '../support/cli-workspace.ts';

describe('clearhouse bank with serve on signed directory connectors', () => {
  it('a signed file is cleared and delivered signed; an unsigned one is refused with an admi.002', async () => {
    const { work, run, ok } = await cliWorkspace('bank');

    const pki = join(work, 'pki');
    ok('pki', 'init', '--out', join(pki, 'ca'));
    for (const bic of ['CLHSDEFFXXX', 'BANKDEFFXXX', 'BANKFRPPXXX']) ok('pki', 'issue', '--ca', join(pki, 'ca'), '--bic', bic, '--out', pki);
    const signed = ['--ca', join(pki, 'ca'), '--switch-key', join(pki, 'CLHSDEFFXXX.key.pem'), '--switch-cert', join(pki, 'CLHSDEFFXXX.cert.pem')];

    const sent = ok('bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKFRPPXXX', '--count', '5',
      '--key', join(pki, 'BANKDEFFXXX.key.pem'), '--cert', join(pki, 'BANKDEFFXXX.cert.pem'));
    assert.match(sent.stdout, /5 payment\(s\), signed/);
    const first = ok('serve', '--once', '--simulate-settlement', ...signed);
    assert.match(first.stderr, /signature good/);
    ok('cycle', 'close');
    ok('serve', '--once', '--simulate-settlement', ...signed);
    ok('serve', '--once', '--simulate-settlement', ...signed);
    const cycles = JSON.parse(ok('cycle', 'list', '--json').stdout) as Array<{ state: string }>;
    assert.deepEqual(cycles.map((c) => c.state), ['OPEN', 'SETTLED']);

    // An unsigned file while signatures are required: refused, answered with an admi.002 (DS0A).
    ok('bank', 'send', '--bic', 'BANKFRPPXXX', '--to', 'BANKDEFFXXX', '--count', '2');
    const refused = ok('serve', '--once', '--simulate-settlement', ...signed);
    assert.match(refused.stderr, /refused DS0A/);
    const outbound = join(work, 'data', 'mailboxes', 'BANKFRPPXXX', 'outbound');
    const admi = readdirSync(outbound).find((f) => f.startsWith('admi.002') && !f.endsWith('.p7s'));
    assert.ok(admi, 'an admi.002 is delivered to the sender');
    assert.match(readFileSync(join(outbound, admi), 'utf8'), /DS0A/);
    assert.ok(readdirSync(outbound).includes(`${admi}.p7s`), 'the admi.002 is signed by the switch');

    const fetched = ok('bank', 'fetch', '--bic', 'BANKFRPPXXX', '--ca', join(pki, 'ca'));
    const lines = fetched.stdout.trim().split('\n');
    const bulk = lines.find((l) => /\spacs\.008\.001\.08\s/.test(l));
    assert.ok(bulk, fetched.stdout);
    assert.match(bulk, /signature good \(CLHSDEFFXXX /);
    assert.ok(lines.some((l) => /\sadmi\.002\.001\.01\s.*signature good/.test(l)), fetched.stdout);
    assert.deepEqual(readdirSync(outbound), [], 'fetched files are moved to archive/');

    const sender = ok('bank', 'fetch', '--bic', 'BANKDEFFXXX', '--ca', join(pki, 'ca'));
    assert.match(sender.stdout, /pacs\.002\.001\.10 .*5 ACCP|pacs\.002\.001\.10 .*ACCP/, sender.stdout);
    assert.equal(run('bank', 'send', '--bic', 'not-a-bic', '--to', 'BANKFRPPXXX').status, 2);
  });
});
