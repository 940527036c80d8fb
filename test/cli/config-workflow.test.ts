/**
 * The explicit configuration workflow with a running `serve` (issue 10, "Read commands write" and
 * "Operator commands"): `clearhouse migrate`, `config apply FILE --dry-run` (the differences, nothing
 * written), `config apply` (recorded, in force), then, while serve runs on the same PostgreSQL:
 * `config apply` of a file that suspends a bank, and `participant resume|cap` — each in force in
 * serve without a restart, within the documented bound (limits.registerPollIntervalMs plus one serve
 * pass), judged from outside: the bank's next file answered RJCT AG10 and the admi.004 PSUS in every
 * bank's outbound/, then accepted again after `participant resume`.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cliWorkspace, killLeftoverServes, startServe } from '../support/cli-workspace.ts';
import { logRecords, sentFiles, waitFor, type SentFile } from '../support/serve-observer.ts';
import { limits } from '../../switch/limits.ts';

after(killLeftoverServes);

const ANSWER_WAIT_MS = 60_000;
/** The bound the test holds serve to: the poll interval, one serve pass and a busy machine's slack. */
const TAKEN_WITHIN_MS = limits.registerPollIntervalMs + 4_000;
const asOperator = ['--operator', 'ops-alice', '--reason', 'TICKET-7 scheme change'];

describe('configuration workflow with a running serve', () => {
  it('migrate, config apply (dry run, applied), suspension and resumption reach serve without a restart', { timeout: 400_000 }, async () => {
    const { work, env, ok, run, databaseUrl } = await cliWorkspace('config-workflow', { timeoutMs: 120_000 });
    const scheme = join(work, 'scheme.json');
    const mailbox = (bic: string) => join(work, 'data', 'mailboxes', bic);
    const query = async (sql: string) => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try { return (await client.query(sql)).rows; } finally { await client.end(); }
    };

    ok('migrate');
    const dry = ok('config', 'apply', scheme, ...asOperator, '--dry-run').stdout;
    assert.match(dry, /\+ participant BANKDEFFXXX added/);
    assert.match(dry, /dry run: nothing applied/);
    assert.deepEqual(await query('SELECT version FROM scheme_register'), [], 'a dry run writes nothing');
    assert.match(ok('config', 'apply', scheme, ...asOperator).stdout, /recorded as operator action \d+; register version 1 in force/);
    assert.match(ok('config', 'apply', scheme, ...asOperator).stdout, /no difference/);
    assert.equal(run('config', 'apply', scheme, '--operator', 'ops-alice').status, 2, 'a reason is required');

    const serve = startServe(env, [], work);
    const diagnostics = () => serve.stderr().slice(-3000);
    const send = (bic: string, to: string): SentFile => sentFiles(ok('bank', 'send', '--bic', bic, '--to', to, '--count', '1').stdout)[0]!;
    /** The pacs.002 answering `file` in the bank's outbound/, as text. */
    const answer = (bic: string, file: SentFile) => waitFor(() => {
      const outbound = join(mailbox(bic), 'outbound');
      if (!existsSync(outbound)) return undefined;
      for (const name of readdirSync(outbound)) {
        const xml = readFileSync(join(outbound, name), 'utf8');
        if (name.startsWith('pacs.002') && xml.includes(`<OrgnlMsgId>${file.msgId}</OrgnlMsgId>`)) return xml;
      }
      return undefined;
    }, ANSWER_WAIT_MS);
    const taken = () => logRecords(serve.stderr(), { strict: false }).filter((r) => r.component === 'register' && /scheme register changed/.test(r.msg)).length;
    // The register version in force now (what the last command recorded), and whether serve has logged
    // taking that version or a later one. Counting serve's records alone was a race: two changes made one
    // after the other (resume, then cap) are taken in one reload or in two, depending on serve's poll.
    const versionNow = (): bigint => BigInt((JSON.parse(ok('participant', 'list', '--json').stdout) as { version: string }).version);
    const servedVersion = (version: bigint) => logRecords(serve.stderr(), { strict: false })
      .some((r) => r.component === 'register' && /scheme register changed/.test(r.msg) && BigInt(String(r.version)) >= version);

    assert.match((await answer('BANKFRPPXXX', send('BANKFRPPXXX', 'BANKNL2AXXX'))) ?? '', /<GrpSts>ACTC</, diagnostics());

    const edited = JSON.parse(readFileSync(scheme, 'utf8'));
    edited.participants[1].status = 'suspended';
    writeFileSync(join(work, 'suspend.json'), JSON.stringify(edited));
    const applied = ok('config', 'apply', join(work, 'suspend.json'), ...asOperator).stdout;
    const appliedAt = performance.now();
    assert.match(applied, /~ participant BANKFRPPXXX suspended/);
    assert.ok(await waitFor(() => (taken() >= 1 ? true : undefined), TAKEN_WITHIN_MS, 50), `serve takes the new register within ${TAKEN_WITHIN_MS} ms\n${diagnostics()}`);
    const stalenessMs = performance.now() - appliedAt;
    process.stderr.write(`# register taken by serve ${Math.round(stalenessMs)} ms after config apply returned\n`);

    const refused = await answer('BANKFRPPXXX', send('BANKFRPPXXX', 'BANKNL2AXXX'));
    assert.match(refused ?? '', /<GrpSts>RJCT</, diagnostics());
    assert.match(refused ?? '', /AG10/);
    const psus = await waitFor(() => {
      const has = (bic: string) => existsSync(join(mailbox(bic), 'outbound')) && readdirSync(join(mailbox(bic), 'outbound'))
        .some((n) => n.startsWith('admi.004') && readFileSync(join(mailbox(bic), 'outbound', n), 'utf8').includes('<EvtCd>PSUS<'));
      return ['BANKDEFFXXX', 'BANKFRPPXXX', 'BANKNL2AXXX'].every(has) ? true : undefined;
    }, ANSWER_WAIT_MS);
    assert.ok(psus, 'admi.004 PSUS delivered to the participants');

    ok('participant', 'resume', 'BANKFRPPXXX', ...asOperator);
    ok('participant', 'cap', 'BANKDEFFXXX', 'EUR', '2500.00', ...asOperator);
    const capped = versionNow();
    assert.ok(await waitFor(() => (servedVersion(capped) ? true : undefined), TAKEN_WITHIN_MS, 50), diagnostics());
    assert.match((await answer('BANKFRPPXXX', send('BANKFRPPXXX', 'BANKNL2AXXX'))) ?? '', /<GrpSts>ACTC</, diagnostics());
    assert.equal(run('participant', 'suspend', 'NOTABANKXXX', ...asOperator).status, 2);
    assert.match(ok('participant', 'list').stdout, /BANKDEFFXXX\s+active.*cap 2500\.00 EUR/);

    // A participant added while serve runs: payments to it are accepted and delivered to its mailbox
    // (serve rebuilt its connectors for the new register).
    ok('participant', 'add', 'BANKESMMXXX', '--name', 'Banco F SA', '--currency', 'EUR', '--cap', 'EUR=1000.00', ...asOperator);
    const added = versionNow();
    assert.ok(await waitFor(() => (servedVersion(added) ? true : undefined), TAKEN_WITHIN_MS, 50), diagnostics());
    ok('bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKESMMXXX', '--count', '1', '--inst');
    const forwarded = await waitFor(() => {
      const outbound = join(mailbox('BANKESMMXXX'), 'outbound');
      return existsSync(outbound) && readdirSync(outbound).some((n) => n.startsWith('pacs.008')) ? true : undefined;
    }, ANSWER_WAIT_MS);
    assert.ok(forwarded, `the real-time payment reaches the added participant's mailbox\n${diagnostics()}`);

    const journal = await query("SELECT actor, action, subject, reason FROM operator_actions WHERE action <> 'message.submit' ORDER BY id");
    assert.deepEqual(journal.map((a) => `${a.action} ${a.subject}`), [
      'config.apply scheme', 'config.apply scheme', 'participant.resume BANKFRPPXXX', 'participant.cap BANKDEFFXXX',
      'participant.add BANKESMMXXX',
    ]);
    assert.ok(journal.every((a) => a.actor === 'ops-alice' && a.reason === 'TICKET-7 scheme change'));
    assert.equal(await serve.stop(), 0);
  });
});
