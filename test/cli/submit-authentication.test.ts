/**
 * `clearhouse submit --as BIC` authenticates the sender as its connector would (switch/cli/submit.ts,
 * docs/operations.md "Submitting for a participant"), on real PostgreSQL:
 *
 * - the participant's detached signature, verified with the configured trust material (a wrong
 *   signer DS0E, a changed file DS17: refused, nothing stored), or
 * - a recorded operator action (operator_actions: who, what, for whom, why, the file's SHA-256);
 * - never an operator for the settlement agent: a forged ACSC answer does not settle a cycle, the
 *   agent's signed answer does;
 * - a malformed or unknown --as, or no way of authenticating at all, is refused at the door (exit 2,
 *   one line) before anything is stored.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cliWorkspace, FIXTURE_MORNING } from '../support/cli-workspace.ts';
import { writeSchemePki } from '../support/scheme-pki.ts';
import { sentFiles } from '../support/serve-observer.ts';
import { signDetached } from '../../connectors/signing/cms.ts';
import { build as buildPacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parsePacs009 } from '../../switch/iso/messages/pacs.009.001.08/index.ts';

const AGENT = 'MARKDEFFXXX';

async function rows<T>(databaseUrl: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('clearhouse submit --as authenticates the participant', () => {
  it('signature or recorded operator action; refusals at the door; no operator stands in for the settlement agent', { timeout: 300_000 }, async () => {
    let pki!: ReturnType<typeof writeSchemePki>;
    const { work, databaseUrl, run, ok } = await cliWorkspace('submit', {
      timeoutMs: 120_000,
      edit: (config, dir) => {
        pki = writeSchemePki(join(dir, 'pki'), ['CLHSDEFFXXX', 'BANKDEFFXXX', 'BANKFRPPXXX', AGENT], new Date(FIXTURE_MORNING));
        config.signing = { caCertificates: [pki.ca], revocationLists: [pki.crl], switchKey: pki.keyOf('CLHSDEFFXXX'), switchCertificate: pki.certOf('CLHSDEFFXXX') };
      },
    });
    // A bank's signed bulk file, made by the bank simulator in a scratch mailbox (FILE and FILE.p7s).
    const scratch = join(work, 'scratch');
    const sent = sentFiles(ok('bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKFRPPXXX', '--count', '25', '--mailbox', scratch,
      '--key', pki.keyOf('BANKDEFFXXX'), '--cert', pki.certOf('BANKDEFFXXX')).stdout)[0]!;
    const file = join(scratch, 'inbound', sent.fileName);
    const signature = `${file}.p7s`;

    // At the door: exit 2, one line, nothing stored (the store is not even opened).
    const door = (args: string[], message: RegExp) => {
      const result = run('submit', ...args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    };
    door(['--as', 'bankdeffxxx', '--signature', signature, file], /not a BIC/);
    door(['--as', 'BANKDEFF-XX', '--signature', signature, file], /not a BIC/);
    door(['--as', 'BANKZZZZXXX', '--signature', signature, file], /not a participant/);
    door(['--as', 'CLHSDEFFXXX', '--operator', 'alice', '--reason', 'test', file], /not a participant/);
    door(['--as', 'BANKDEFFXXX', file], /--signature FILE\.p7s.*--operator NAME --reason TEXT/);
    door(['--as', 'BANKDEFFXXX', '--signature', signature, '--operator', 'alice', '--reason', 'x', file], /not both/);
    door(['--as', 'BANKDEFFXXX', '--operator', 'alice', file], /--reason/);
    door(['--as', 'BANKDEFFXXX', '--operator', 'alice', '--reason', '   ', file], /--reason/);
    assert.deepEqual(await rows(databaseUrl, `SELECT to_regclass('messages') AS t`), [{ t: null }], 'nothing was stored');

    // The wrong signer, a changed file: refused (exit 1) with the DS code, nothing stored.
    const wrongSigner = run('submit', '--as', 'BANKFRPPXXX', '--signature', signature, '--json', file);
    assert.equal(wrongSigner.status, 1, wrongSigner.stderr);
    assert.equal(JSON.parse(wrongSigner.stdout).refused, 'DS0E');
    const changed = join(work, 'changed.xml');
    writeFileSync(changed, readFileSync(file, 'utf8').replace('<NbOfTxs>25<', '<NbOfTxs>26<'));
    copyFileSync(signature, `${changed}.p7s`);
    const tampered = run('submit', '--as', 'BANKDEFFXXX', '--signature', `${changed}.p7s`, '--json', changed);
    assert.equal(tampered.status, 1, tampered.stderr);
    assert.equal(JSON.parse(tampered.stdout).refused, 'DS17');
    assert.deepEqual(await rows(databaseUrl, "SELECT count(*)::int AS n FROM messages WHERE direction = 'in'"), [{ n: 0 }]);

    // The bank's own signature: stored and accepted.
    const signed = run('submit', '--as', 'BANKDEFFXXX', '--signature', signature, '--json', file);
    assert.equal(signed.status, 0, signed.stderr);
    assert.equal(JSON.parse(signed.stdout).status, 'ACCP');
    assert.match(JSON.parse(signed.stdout).authenticated, /signature good \(BANKDEFFXXX/);

    // An operator standing in: recorded before the file is stored (here refused AG08: InstgAgt is another bank).
    const operator = run('submit', '--as', 'BANKFRPPXXX', '--operator', 'alice', '--reason', 'ticket 4711: bank B SFTP down', '--json', file);
    assert.equal(operator.status, 1, operator.stderr);
    assert.ok(JSON.parse(operator.stdout).findings.some((f: { code: string }) => f.code === 'AG08'));
    const actions = await rows<{ actor: string; action: string; subject: string; reason: string; details: Record<string, unknown> }>(databaseUrl,
      // The first writing start seeded the scheme register (config.initialise, switch/engine/register.ts).
      "SELECT actor, action, subject, reason, details FROM operator_actions WHERE action <> 'config.initialise' ORDER BY id");
    assert.deepEqual(actions, [{
      actor: 'alice', action: 'message.submit', subject: 'BANKFRPPXXX', reason: 'ticket 4711: bank B SFTP down',
      details: { fileName: sent.fileName, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), sizeBytes: readFileSync(file).length },
    }]);
    await assert.rejects(rows(databaseUrl, `UPDATE operator_actions SET reason = 'nothing happened'`), /append-only/);

    // The cycle goes to the settlement agent. A forged settlement answer does not settle it.
    ok('cycle', 'close');
    ok('serve', '--once');
    const agentOutbound = join(work, 'data', 'mailboxes', AGENT, 'outbound');
    const instructions = readdirSync(agentOutbound).filter((name) => name.startsWith('pacs.009') && name.endsWith('.xml'))
      .map((name) => parsePacs009(readFileSync(join(agentOutbound, name), 'utf8')));
    assert.ok(instructions.length > 0, 'settlement instructions were delivered to the agent');
    const answer = join(work, 'answer.xml');
    writeFileSync(answer, buildPacs002({
      groupHeader: { messageId: 'RTGS-ANSWER-1', creationDateTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), instructingAgent: AGENT, instructedAgent: 'CLHSDEFFXXX' },
      originalGroups: instructions.map((i) => ({ originalMessageId: i.groupHeader.messageId, originalMessageNameId: 'pacs.009.001.08' })),
      transactions: instructions.map((i) => ({ originalTransactionId: i.transactions[0]!.paymentIdentification.transactionId, transactionStatus: 'ACSC' })),
    }));
    const cycleStates = async () => (await rows<{ state: string }>(databaseUrl, 'SELECT state FROM cycles ORDER BY id')).map((c) => c.state);
    door(['--as', AGENT, answer], /--signature FILE\.p7s.*--operator/);
    door(['--as', AGENT, '--operator', 'mallory', '--reason', 'the central bank said so on the phone', answer], /settlement agent/);
    assert.deepEqual(await cycleStates(), ['SETTLEMENT_SENT', 'OPEN'], 'no forged answer settled the cycle');
    assert.equal((await rows(databaseUrl, "SELECT * FROM operator_actions WHERE action <> 'config.initialise'")).length, 1,
      'the refused stand-in recorded nothing');

    // Only the agent's own authenticated answer settles it.
    writeFileSync(`${answer}.p7s`, signDetached(readFileSync(answer), { keyPem: readFileSync(pki.keyOf(AGENT), 'utf8'), certPem: readFileSync(pki.certOf(AGENT), 'utf8') }));
    ok('submit', '--as', AGENT, '--signature', `${answer}.p7s`, answer);
    assert.deepEqual(await cycleStates(), ['SETTLED', 'OPEN']);
  });
});
