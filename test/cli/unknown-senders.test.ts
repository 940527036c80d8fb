/**
 * Unknown senders are refused at the door (issue 10, last item of "Money paths…"): `bank send --bic`
 * with a BIC in lower case or one that is no participant, and `submit --as` a participant retired from
 * the register in force (the file still lists it): one line, exit 2, nothing written (no file in any
 * mailbox, no operator action, no message stored).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cliWorkspace } from '../support/cli-workspace.ts';
import { sentFiles } from '../support/serve-observer.ts';

const asOperator = ['--operator', 'ops-carol', '--reason', 'TICKET-11'];

describe('unknown senders at the door', () => {
  it('bank send --bic and submit --as refuse malformed and unknown BICs: one line, exit 2, nothing written', { timeout: 300_000 }, async () => {
    const { work, run, ok, databaseUrl } = await cliWorkspace('unknown-senders', { timeoutMs: 120_000 });
    const mailboxes = join(work, 'data', 'mailboxes');
    const files = () => (existsSync(mailboxes) ? readdirSync(mailboxes, { recursive: true }).map(String).filter((f) => f.endsWith('.xml')).sort() : []);
    const refused = (args: string[], pattern: RegExp) => {
      const result = run(...args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
      assert.equal(result.stdout, '');
    };

    refused(['bank', 'send', '--bic', 'bankdeffxxx', '--to', 'BANKFRPPXXX', '--count', '1'], /--bic "bankdeffxxx" is not a BIC/);
    refused(['bank', 'send', '--bic', 'BANKZZZZXXX', '--to', 'BANKFRPPXXX', '--count', '1'], /--bic BANKZZZZXXX is not a participant/);
    refused(['bank', 'fetch', '--bic', 'BANKZZZZXXX'], /not a participant/);
    assert.deepEqual(files(), [], 'no file written anywhere');

    // A participant of the file, retired from the register in force.
    const sent = sentFiles(ok('bank', 'send', '--bic', 'BANKITMMXXX', '--to', 'BANKFRPPXXX', '--count', '1', '--mailbox', join(work, 'scratch')).stdout)[0]!;
    ok('migrate');
    ok('config', 'apply', join(work, 'scheme.json'), ...asOperator);
    ok('participant', 'retire', 'BANKITMMXXX', ...asOperator);
    const count = async (sql: string) => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try { return Number((await client.query(sql)).rows[0].n); } finally { await client.end(); }
    };
    const before = [await count('SELECT count(*) AS n FROM operator_actions'), await count("SELECT count(*) AS n FROM messages WHERE direction = 'in'")];
    refused(['submit', '--as', 'BANKITMMXXX', ...asOperator, join(work, 'scratch', 'inbound', sent.fileName)], /BANKITMMXXX is not a participant in force/);
    refused(['submit', '--as', 'bankitmmxxx', ...asOperator, join(work, 'scratch', 'inbound', sent.fileName)], /not a BIC/);
    assert.deepEqual([await count('SELECT count(*) AS n FROM operator_actions'), await count("SELECT count(*) AS n FROM messages WHERE direction = 'in'")], before);
  });
});
