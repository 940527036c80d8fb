/**
 * Payee verification end to end (docs/risk.md, "Payee verification"), on PGlite and PostgreSQL,
 * judged from the outside: the acmt.023 / acmt.024 / pacs.002 the switch delivered to each bank's
 * mailbox. Match, close match (with the name on the account), no match (without it), an answer from
 * the directory, the payee bank's own answer forwarded, the timeout (NOAP; from the directory when the
 * account is there by then), spoofed and stray answers refused with their reason, a request in another
 * bank's name refused, and the directory file refused whole.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { build as buildAcmt023, parseXml as parseAcmt023, type Acmt023 } from '../../switch/iso/messages/acmt.023.001.04/index.ts';
import { build as buildAcmt024, type Acmt024 } from '../../switch/iso/messages/acmt.024.001.04/index.ts';
import { parseXml as parsePacs002, type Pacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { PayeeDirectoryError } from '../../switch/engine/engine.ts';
import { limits } from '../../switch/limits.ts';
import { askPayee, PayeeBankSimulator, payeeVerificationDemo, verificationRequest, verificationsFor, type VerificationQuestion } from '../../switch/demo/payee.ts';
import { backends, harness, SWITCH, type Harness } from './support.ts';

const PAYER = 'BANKDEFFXXX';
/** Has a directory. */
const DIRECTORY_BANK = 'BANKFRPPXXX';
/** Answers itself. */
const ANSWERING_BANK = 'BANKNL2AXXX';
const OTHER = 'BANKBEBBXXX';
const FR_ACCOUNT = 'FR1420041010050500013M02606';
const FR_LATER = 'FR7630006000011234567890189';
const NL_ACCOUNT = 'NL91ABNA0417164300';
const who = { actor: 'ops-anna', reason: 'ticket VOP-1: directory from Banque FR' };
const encoder = new TextEncoder();

const xsd = new XsdValidator();
after(() => xsd.close());

let sequence = 0;
function question(payeeBank: string, name: string, iban: string): VerificationQuestion {
  sequence++;
  return { payer: PAYER, payeeBank, messageId: `BANKDEFF-VOP-${sequence}`, verificationId: `V-${sequence}`, name, iban };
}

/** The pacs.002s delivered to `bic`, taken. */
function statusReportsFor(h: Harness, bic: string): Pacs002[] {
  const files = h.mailboxes.outbound(bic).filter((f) => f.startsWith('pacs.002')).sort();
  return files.map((f) => {
    const report = parsePacs002(h.mailboxes.read(bic, 'outbound', f).toString('utf8'));
    h.mailboxes.archiveOutbound(bic, f);
    return report;
  });
}

function reasonCodes(report: Pacs002): string[] {
  const group = report.originalGroups.flatMap((g) => g.statusReasons ?? []);
  const transactions = report.transactions.flatMap((t) => t.statusReasons ?? []);
  return [...group, ...transactions].flatMap((r) => (r.reason && 'code' in r.reason ? [r.reason.code] : []));
}

/** The acmt.023s the switch forwarded to `bic`, taken. */
function forwardedTo(h: Harness, bic: string): Acmt023[] {
  const files = h.mailboxes.outbound(bic).filter((f) => f.startsWith('acmt.023')).sort();
  return files.map((f) => {
    const request = parseAcmt023(h.mailboxes.read(bic, 'outbound', f).toString('utf8'));
    h.mailboxes.archiveOutbound(bic, f);
    return request;
  });
}

function only<T>(list: readonly T[], what: string): T {
  assert.equal(list.length, 1, `expected exactly one ${what}, got ${list.length}`);
  return list[0]!;
}

/** A payee bank's report on a forwarded request, as `sender` would build it. */
function reportOn(request: Acmt023, sender: string, result: string, verified: boolean, name?: string): string {
  const v = request.verifications[0]!;
  const report: Acmt024 = {
    assignment: { messageId: `${sender.slice(0, 8)}-R-${++sequence}`, creationDateTime: '2026-11-26T09:00:01Z', assigner: sender, assignee: SWITCH },
    originalAssignment: { messageId: request.assignment.messageId },
    reports: [{ originalId: v.id, verified, reasonCode: result, ...(name ? { updated: { party: { name } } } : {}) }],
  };
  return buildAcmt024(report);
}

for (const backend of backends) {
  describe(`payee verification (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await harness(backend, undefined, xsd);
      await h.engine.loadPayeeDirectory(DIRECTORY_BANK, `account,name\n${FR_ACCOUNT},"Zola, Émile"\nFR76 3000 6000 0112 3456 7890 189,Acme SARL\n`,
        'csv', who);
    });
    after(() => h.close());

    it('answers from the directory: match, close match with the name on the account, no match without it; the payee bank sees nothing', async () => {
      const asked = [question(DIRECTORY_BANK, 'emile zola', FR_ACCOUNT), question(DIRECTORY_BANK, 'Emil Zola', FR_ACCOUNT),
        question(DIRECTORY_BANK, 'Jean Valjean', FR_ACCOUNT)];
      for (const q of asked) assert.equal((await askPayee(h.engine, q)).status, 'ACCP');
      await h.dispatch();
      const reports = verificationsFor(h.mailboxes, PAYER);
      assert.equal(reports.length, 3);
      const byRequest = new Map(reports.map((r) => [r.originalAssignment.messageId, r]));
      const [match, close, none] = asked.map((q) => byRequest.get(q.messageId)!);
      for (const [r, q] of [[match!, asked[0]!], [close!, asked[1]!], [none!, asked[2]!]] as const) {
        assert.equal(r.assignment.assigner, SWITCH);
        assert.equal(r.assignment.assignee, PAYER);
        assert.equal(r.reports[0]!.originalId, q.verificationId);
        assert.equal(r.reports[0]!.original?.account && 'iban' in r.reports[0]!.original.account ? r.reports[0]!.original.account.iban : '', FR_ACCOUNT);
      }
      assert.deepEqual([match!.reports[0]!.reasonCode, match!.reports[0]!.verified, match!.reports[0]!.updated], ['MTCH', true, undefined]);
      assert.deepEqual([close!.reports[0]!.reasonCode, close!.reports[0]!.verified, close!.reports[0]!.updated?.party?.name],
        ['CMTC', false, 'Zola, Émile']);
      assert.deepEqual([none!.reports[0]!.reasonCode, none!.reports[0]!.verified, none!.reports[0]!.updated], ['NMTC', false, undefined]);
      assert.deepEqual(forwardedTo(h, DIRECTORY_BANK), []);
      // The directory's IBAN written with spaces is found in electronic form; dotted abbreviations and
      // legal forms: the same name, and a close match without the legal form.
      await askPayee(h.engine, question(DIRECTORY_BANK, 'ACME S.A.R.L.', FR_LATER));
      await h.dispatch();
      assert.equal(only(verificationsFor(h.mailboxes, PAYER), 'acmt.024').reports[0]!.reasonCode, 'MTCH');
      await askPayee(h.engine, question(DIRECTORY_BANK, 'Acme', FR_LATER));
      await h.dispatch();
      assert.equal(only(verificationsFor(h.mailboxes, PAYER), 'acmt.024').reports[0]!.reasonCode, 'CMTC');
    });

    it('forwards to the payee bank an account not in a directory, and forwards its answer back', async () => {
      const q = question(ANSWERING_BANK, 'Anna de Vries', NL_ACCOUNT);
      await askPayee(h.engine, q);
      await h.dispatch();
      assert.deepEqual(verificationsFor(h.mailboxes, PAYER), [], 'nothing for the payer before the payee bank answered');
      const forwarded = only(forwardedTo(h, ANSWERING_BANK), 'forwarded acmt.023');
      assert.equal(forwarded.assignment.assigner, SWITCH);
      assert.equal(forwarded.assignment.assignee, ANSWERING_BANK);
      assert.equal(forwarded.assignment.firstAgent, PAYER);
      assert.deepEqual(forwarded.verifications[0]!.partyAndAccount.party, { name: 'Anna de Vries' });
      const bank = new PayeeBankSimulator(h.engine, h.mailboxes, ANSWERING_BANK, new Map([[NL_ACCOUNT, 'A. de Vries']]));
      const answer = await h.engine.submit({ bytes: encoder.encode(bank.answer(buildAcmt023(forwarded))), sender: ANSWERING_BANK });
      assert.equal(answer.status, 'ACCP');
      await h.dispatch();
      const report = only(verificationsFor(h.mailboxes, PAYER), 'acmt.024');
      assert.equal(report.originalAssignment.messageId, q.messageId);
      assert.equal(report.assignment.assigner, SWITCH);
      assert.deepEqual([report.reports[0]!.reasonCode, report.reports[0]!.verified, report.reports[0]!.updated?.party?.name],
        ['CMTC', false, 'A. de Vries']);
      // What was asked comes back as asked; of the bank's report only the result and the name travel.
      assert.deepEqual(report.reports[0]!.original, { party: { name: 'Anna de Vries' }, account: { iban: NL_ACCOUNT }, agent: ANSWERING_BANK });
      assert.deepEqual(report.reports[0]!.updated, { party: { name: 'A. de Vries' } });
      assert.deepEqual(statusReportsFor(h, ANSWERING_BANK), [], 'an accepted answer is not answered');
      // The same answer again under a new MsgId: the verification is already answered.
      const again = await h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, ANSWERING_BANK, 'MTCH', true)), sender: ANSWERING_BANK });
      assert.equal(again.status, 'RJCT');
      await h.dispatch();
      assert.deepEqual(reasonCodes(only(statusReportsFor(h, ANSWERING_BANK), 'pacs.002')), ['AG09']);
      assert.deepEqual(verificationsFor(h.mailboxes, PAYER), []);
    });

    it('refuses answers from a bank other than the one asked, for unknown requests, and with results the scheme does not know', async () => {
      const q = question(ANSWERING_BANK, 'Pieter Jansen', NL_ACCOUNT);
      await askPayee(h.engine, q);
      await h.dispatch();
      const forwarded = only(forwardedTo(h, ANSWERING_BANK), 'forwarded acmt.023');
      // An attacker holding OTHER's key answers a request that was not asked of it.
      const spoofed = await h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, OTHER, 'MTCH', true)), sender: OTHER });
      assert.equal(spoofed.status, 'RJCT');
      // ... or pretends to be the bank asked (its assigner BIC): refused before anything is looked up.
      const impersonated = await h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, ANSWERING_BANK, 'MTCH', true)), sender: OTHER });
      assert.equal(impersonated.status, 'RJCT');
      const unknown = await h.engine.submit({ bytes: encoder.encode(reportOn({ ...forwarded, assignment: { ...forwarded.assignment, messageId: 'NOT-ASKED' } },
        ANSWERING_BANK, 'MTCH', true)), sender: ANSWERING_BANK });
      assert.equal(unknown.status, 'RJCT');
      const badCode = await h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, ANSWERING_BANK, 'YES', true)), sender: ANSWERING_BANK });
      const contradiction = await h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, ANSWERING_BANK, 'NMTC', true)), sender: ANSWERING_BANK });
      const nameless = await h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, ANSWERING_BANK, 'CMTC', false)), sender: ANSWERING_BANK });
      const disclosing = await h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, ANSWERING_BANK, 'NMTC', false, 'P. Jansen')), sender: ANSWERING_BANK });
      for (const r of [badCode, contradiction, nameless, disclosing]) assert.equal(r.status, 'RJCT');
      await h.dispatch();
      assert.deepEqual(statusReportsFor(h, OTHER).map(reasonCodes), [['AG08'], ['AG08']]);
      assert.deepEqual(statusReportsFor(h, ANSWERING_BANK).map(reasonCodes), [['AG09'], ['CH16'], ['CH16'], ['CH21'], ['CH17']]);
      assert.deepEqual(verificationsFor(h.mailboxes, PAYER), [], 'no refused answer reached the payer');
      // The bank asked still answers, and that answer goes through.
      await h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, ANSWERING_BANK, 'NMTC', false)), sender: ANSWERING_BANK });
      await h.dispatch();
      assert.equal(only(verificationsFor(h.mailboxes, PAYER), 'acmt.024').reports[0]!.reasonCode, 'NMTC');
    });

    it('answers NOAP when the payee bank is silent past the timeout, and refuses its late answer (AB05)', async () => {
      const q = question(ANSWERING_BANK, 'Sanne Bakker', NL_ACCOUNT);
      await askPayee(h.engine, q);
      await h.dispatch();
      const forwarded = only(forwardedTo(h, ANSWERING_BANK), 'forwarded acmt.023');
      h.clock.advance(limits.payee.answerTimeoutMs - 1);
      assert.equal(await h.engine.sweepPayeeVerifications(), 0, 'not yet due');
      h.clock.advance(2);
      await h.engine.sweep();
      await h.dispatch();
      const report = only(verificationsFor(h.mailboxes, PAYER), 'acmt.024');
      assert.equal(report.originalAssignment.messageId, q.messageId);
      assert.deepEqual([report.reports[0]!.reasonCode, report.reports[0]!.verified], ['NOAP', false]);
      const late = await h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, ANSWERING_BANK, 'MTCH', true)), sender: ANSWERING_BANK });
      assert.equal(late.status, 'RJCT');
      await h.dispatch();
      assert.deepEqual(reasonCodes(only(statusReportsFor(h, ANSWERING_BANK), 'pacs.002')), ['AB05']);
      assert.deepEqual(verificationsFor(h.mailboxes, PAYER), []);
    });

    it('at the timeout answers from the directory when the account is there by then; a late answer before the sweep is refused the same way', async () => {
      const q = question(ANSWERING_BANK, 'Daan Visser', 'NL02ABNA0123456789');
      await askPayee(h.engine, q);
      await h.dispatch();
      const forwarded = only(forwardedTo(h, ANSWERING_BANK), 'forwarded acmt.023');
      await h.engine.loadPayeeDirectory(ANSWERING_BANK, JSON.stringify([{ account: 'NL02ABNA0123456789', name: 'Daan Visser' }]), 'json', who);
      h.clock.advance(limits.payee.answerTimeoutMs + 1);
      // No sweep yet: the late answer itself triggers the timeout answer.
      const late = await h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, ANSWERING_BANK, 'NMTC', false)), sender: ANSWERING_BANK });
      assert.equal(late.status, 'RJCT');
      await h.dispatch();
      assert.deepEqual(reasonCodes(only(statusReportsFor(h, ANSWERING_BANK), 'pacs.002')), ['AB05']);
      const report = only(verificationsFor(h.mailboxes, PAYER), 'acmt.024');
      assert.deepEqual([report.reports[0]!.reasonCode, report.reports[0]!.verified], ['MTCH', true]);
      assert.equal(await h.engine.sweepPayeeVerifications(), 0, 'answered once');
    });

    it('a late answer racing the sweep: the payer\'s bank is answered once', async () => {
      for (let round = 0; round < 3; round++) {
        const q = question(ANSWERING_BANK, 'Noor Smit', NL_ACCOUNT);
        await askPayee(h.engine, q);
        await h.dispatch();
        const forwarded = only(forwardedTo(h, ANSWERING_BANK), 'forwarded acmt.023');
        h.clock.advance(limits.payee.answerTimeoutMs + 1);
        const [swept, late] = await Promise.all([h.engine.sweepPayeeVerifications(),
          h.engine.submit({ bytes: encoder.encode(reportOn(forwarded, ANSWERING_BANK, 'MTCH', true)), sender: ANSWERING_BANK })]);
        assert.equal(late.status, 'RJCT');
        assert.ok(swept <= 1);
        await h.dispatch();
        const report = only(verificationsFor(h.mailboxes, PAYER), 'acmt.024');
        assert.deepEqual([report.originalAssignment.messageId, report.reports[0]!.reasonCode], [q.messageId, 'NOAP']);
        assert.deepEqual(reasonCodes(only(statusReportsFor(h, ANSWERING_BANK), 'pacs.002')), ['AB05']);
      }
    });

    it('refuses a request in another bank\'s name (AG08) and forwards nothing', async () => {
      const q = question(ANSWERING_BANK, 'Anna de Vries', NL_ACCOUNT);
      const xml = verificationRequest(h.engine, q);
      // OTHER holds its own key and sends a request naming PAYER as the bank that asks.
      const result = await h.engine.submit({ bytes: encoder.encode(xml), sender: OTHER });
      assert.equal(result.status, 'RJCT');
      await h.dispatch();
      assert.deepEqual(reasonCodes(only(statusReportsFor(h, OTHER), 'pacs.002')), ['AG08', 'AG08']);
      assert.deepEqual(forwardedTo(h, ANSWERING_BANK), []);
      assert.deepEqual(verificationsFor(h.mailboxes, PAYER), []);
      assert.deepEqual(verificationsFor(h.mailboxes, OTHER), []);
    });

    it('refuses a directory file with any bad line whole, before recording anything; versions are kept', async () => {
      const before = await h.engine.operatorActions({ subject: DIRECTORY_BANK });
      await assert.rejects(h.engine.loadPayeeDirectory(DIRECTORY_BANK, `account,name\n${FR_ACCOUNT},Émile Zola\nFR00NOTANIBAN,Someone\n`, 'csv', who),
        (e: unknown) => e instanceof PayeeDirectoryError && e.line === 3 && /not a valid IBAN/.test(e.message));
      await assert.rejects(h.engine.loadPayeeDirectory(DIRECTORY_BANK, `account,name\n${FR_ACCOUNT},A\n${FR_ACCOUNT},B\n`, 'csv', who),
        (e: unknown) => e instanceof PayeeDirectoryError && e.line === 3 && /already on line 2/.test(e.message));
      await assert.rejects(h.engine.loadPayeeDirectory('BANKESMMXXX', 'account,name\n', 'csv', who), PayeeDirectoryError);
      assert.equal((await h.engine.operatorActions({ subject: DIRECTORY_BANK })).length, before.length, 'nothing recorded');
      const versions = await h.engine.payeeDirectoryVersions(DIRECTORY_BANK);
      assert.deepEqual(versions.map((v) => [v.version, v.entries]), [[1, 2]]);
      // A new version replaces the old one whole: the account no longer in it is asked of the bank.
      await h.engine.loadPayeeDirectory(DIRECTORY_BANK, `account,name\n${FR_LATER},Acme SARL\n`, 'csv', who);
      assert.deepEqual((await h.engine.payeeDirectoryVersions(DIRECTORY_BANK)).map((v) => v.version), [2, 1]);
      await askPayee(h.engine, question(DIRECTORY_BANK, 'Émile Zola', FR_ACCOUNT));
      await h.dispatch();
      assert.equal(forwardedTo(h, DIRECTORY_BANK).length, 1);
      assert.deepEqual(verificationsFor(h.mailboxes, PAYER), []);
      const journal = await h.engine.operatorActions({ subject: DIRECTORY_BANK });
      assert.equal(journal[0]!.action, 'payee.directory.load');
      assert.equal(journal[0]!.actor, who.actor);
      assert.equal(journal[0]!.reason, who.reason);
    });

    it('the demo step: a match answered by the payee bank, a no match from the directory', async () => {
      const lines = await payeeVerificationDemo(h.engine, h.mailboxes, { payer: 'BANKITMMXXX', answeringBank: ANSWERING_BANK, directoryBank: OTHER },
        () => h.dispatch(), who);
      assert.deepEqual(lines.map((l) => [l.result, l.answeredBy]), [['MTCH', 'payee bank'], ['NMTC', 'directory']]);
      assert.equal(verificationsFor(h.mailboxes, 'BANKITMMXXX').length, 2);
    });
  });
}
