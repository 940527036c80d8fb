/**
 * `clearhouse demo --out DIR`, step 5 (switch/demo/risk.ts): each risk outcome the demo shows is
 * checked from the messages it left in DIR/mailboxes/ — never from the demo's own table:
 *
 *  - the limit breach: Bank A's pacs.002 RJCT AM02 for BANKDEFF-RISK-1-009201;
 *  - the screening hit: PDNG, then the payment forwarded to Bank B (after the operator's release, whose
 *    who and why the store's risk events hold: `clearhouse risk events`), accepted by Bank B (ACCP, and
 *    ACSP to Bank A), and settled (ACSC to Bank A): the settlement after the forward booked every instruction ACSC,
 *    Bank B's credit among them; no pacs.002 to Bank A names the list, the entry or the listed name;
 *  - the frozen account: RJCT AC06;
 *  - the high score: PDNG, never forwarded to Bank C, and RJCT AB01 at the business-day close (step 6): not
 *    decided within the scheme timeout, it does not outlive its day HELD (docs/risk.md "Disposal");
 *  - payee verification: the acmt.024s in Bank A's mailbox, one MTCH and one NMTC.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cli, FIXTURE_MORNING, root } from '../support/cli-workspace.ts';
import { demoMailboxes, demoOnce } from '../support/demo-once.ts';
import { CLOCK_VARIABLE } from '../../switch/clock.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parsePacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs009 } from '../../switch/iso/messages/pacs.009.001.08/index.ts';
import { parseXml as parseAcmt024 } from '../../switch/iso/messages/acmt.024.001.04/index.ts';

const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', CLEARHOUSE_CONFIG: '', [CLOCK_VARIABLE]: FIXTURE_MORNING };
const BANK_A = 'BANKDEFFXXX';
const BANK_B = 'BANKFRPPXXX';
const BANK_C = 'BANKNL2AXXX';
const AGENT = 'MARKDEFFXXX';
const switchMessageId = (file: string): string => /_(CLHSDEFF-\d{8}-\d+)\.xml$/.exec(file)![1]!;

describe('clearhouse demo --out: the risk step, from the messages', () => {
  it('AM02, a screening hit held then released and settled (no tipping-off), AC06, a score hold, payee MTCH and NMTC', { timeout: 600_000 }, () => {
    const r = demoOnce();
    const out = r.out;
    assert.equal(r.status, 0, r.stderr);
    const { files, text, delivered } = demoMailboxes(out);

    // What Bank A was told about each of its risk payments, in delivery order.
    const toldA = new Map<string, { status: string; code?: string; text?: string }[]>();
    const pacs002ToA = delivered(BANK_A).filter(([name, xml]) => name.startsWith('pacs.002') && xml.includes('BANKDEFF-RISK-'))
      .sort((a, b) => (switchMessageId(a[0]) < switchMessageId(b[0]) ? -1 : 1));
    for (const [, xml] of pacs002ToA) {
      for (const t of parsePacs002(xml).transactions) {
        const reason = t.statusReasons?.[0];
        const list = toldA.get(t.originalTransactionId!) ?? [];
        list.push({ status: t.transactionStatus!, ...(reason?.reason && 'code' in reason.reason ? { code: reason.reason.code } : {}),
          ...(reason?.additionalInformation ? { text: reason.additionalInformation.join(' ') } : {}) });
        toldA.set(t.originalTransactionId!, list);
      }
    }
    const LIMIT = 'BANKDEFF-RISK-1-009201';
    const HIT = 'BANKDEFF-RISK-2-009202';
    const FROZEN = 'BANKDEFF-RISK-3-009203';
    const SCORED = 'BANKDEFF-RISK-4-009204';
    assert.deepEqual(toldA.get(LIMIT)?.map((t) => [t.status, t.code]), [['RJCT', 'AM02']], 'limit breach refused AM02');
    assert.deepEqual(toldA.get(FROZEN)?.map((t) => [t.status, t.code]), [['RJCT', 'AC06']], 'frozen account refused AC06');
    assert.deepEqual(toldA.get(SCORED)?.map((t) => [t.status, t.code]), [['PDNG', undefined], ['RJCT', 'AB01']],
      'high score: held (PDNG), then rejected AB01 at the day close, not decided within the scheme timeout');
    assert.deepEqual(toldA.get(HIT)?.map((t) => t.status), ['PDNG', 'ACSP', 'ACSC'], 'screening hit: held, accepted once released, then settled');
    // The demo says so in step 6, as the files show it.
    assert.match(r.stdout, new RegExp(`rejected at its close \\(Bank A's pacs\\.002\\): ${SCORED}: RJCT AB01`), 'step 6 reports the AB01 rejection');

    // No tipping-off: nothing Bank A received about the held payment reveals the screening.
    for (const [, xml] of pacs002ToA) {
      assert.doesNotMatch(xml, /shell front|scheme@|DEMO-1|screen|sanction|list/i, 'a pacs.002 to Bank A reveals the screening');
    }

    // Forwarded to Bank B only after the release, accepted by it; the score-held one never reaches Bank C.
    const forwarded = delivered(BANK_B).filter(([name, xml]) => name.startsWith('pacs.008') && xml.includes(HIT));
    assert.equal(forwarded.length, 1, 'the released payment forwarded once');
    const [forwardName, forwardXml] = forwarded[0]!;
    assert.equal(parsePacs008(forwardXml).transactions[0]!.creditor.name, 'SHELL FRONT TRADING LTD.');
    const answer = files(BANK_B, 'archive').find((f) => f === `answer-${forwardName}`);
    assert.ok(answer, 'Bank B answered the forwarded payment');
    assert.equal(parsePacs002(text(BANK_B, 'archive', answer)).transactions[0]!.transactionStatus, 'ACCP');
    assert.ok(!delivered(BANK_C).some(([name, xml]) => name.startsWith('pacs.008') && xml.includes(SCORED)), 'the held payment was forwarded');

    // Settled: the next settlement after the forward booked every instruction of its cycle ACSC, Bank B's credit among them.
    const instructions = files(AGENT, 'archive').filter((f) => f.startsWith('out-pacs.009')).map((f) => {
      const m = parsePacs009(text(AGENT, 'archive', f));
      return { file: f, messageId: m.groupHeader.messageId, instructionId: m.transactions[0]!.paymentIdentification.instructionId!,
        creditor: m.transactions[0]!.creditor };
    }).sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
    const next = instructions.find((i) => i.messageId > switchMessageId(forwardName));
    assert.ok(next, 'a settlement after the forward');
    const cycle = /^C(\d+)-/.exec(next.instructionId)![1];
    const ofCycle = instructions.filter((i) => i.instructionId.startsWith(`C${cycle}-`));
    const statusOf = (file: string) => parsePacs002(text(AGENT, 'archive', file.replace(/^out-/, 'answer-'))).transactions[0]!.transactionStatus;
    assert.ok(ofCycle.every((i) => statusOf(i.file) === 'ACSC'), `cycle ${cycle} settled`);
    assert.ok(ofCycle.some((i) => i.creditor === BANK_B), `Bank B credited in cycle ${cycle}`);

    // The release is recorded with who and why (the store's risk events, read-only CLI).
    const events = spawnSync(process.execPath, [cli, 'risk', 'events', '--config', join(out, 'scheme.json'), '--json'],
      { cwd: root, env, encoding: 'utf8' });
    assert.equal(events.status, 0, events.stderr);
    const list = JSON.parse(events.stdout) as Array<{ kind: string; actor: string; reason: string; details: { transactionId?: string } }>;
    const release = list.find((e) => e.kind === 'release');
    assert.equal(release?.actor, 'demo-operator');
    assert.match(release?.reason ?? '', /namesake/);
    assert.ok(list.some((e) => e.kind === 'screening-hit' && e.details.transactionId === HIT), 'the hit is recorded internally');

    // Payee verification: Bank A's acmt.024s.
    const verifications = delivered(BANK_A).filter(([name]) => name.startsWith('acmt.024'))
      .map(([, xml]) => parseAcmt024(xml).reports[0]!.reasonCode).sort();
    assert.deepEqual(verifications, ['MTCH', 'NMTC']);
  });
});
