/**
 * `clearhouse demo --out DIR` closes its business day and leaves its statements and reports, and this
 * test checks them as an outsider would, from FILES ONLY (never the store, never the demo's summary):
 *
 *  - DIR/statements/<date>/<BIC>_<CCY>.camt.053.xml: one per participant and currency, valid against
 *    the scheme XSD; closing balance = opening balance + the signed sum of its entries;
 *  - its settlement entries are the settlement agent's ACSC-booked pacs.009 of the day (from the
 *    agent's folder, as DIR/README.txt explains), each exactly once and with the opposite sign (the
 *    participant paying the scheme brings its position back up), so its payment entries net to what
 *    the agent settled for it; an instruction the agent refused (RJCT) is in no statement;
 *  - the statement the participant was delivered (its mailbox) has the same balances and entries;
 *  - every participant received an admi.004 DCLS for the day;
 *  - DIR/reports/<date>/ holds the reconciliation and the statistics in csv, json, html and pdf.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoMailboxes, demoOnce } from '../support/demo-once.ts';
import { parseXml as parsePacs009 } from '../../switch/iso/messages/pacs.009.001.08/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parseCamt053, type Camt053 } from '../../switch/iso/messages/camt.053.001.08/index.ts';
import { parseXml as parseAdmi004 } from '../../switch/iso/messages/admi.004.001.02/index.ts';
import { parseAmount } from '../../switch/iso/amount.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';

const AGENT = 'MARKDEFFXXX';
const SWITCH = 'CLHSDEFFXXX';
const DAY = '2026-11-26';

const minor = (value: string, currency: string): bigint => {
  const parsed = parseAmount(value, currency);
  assert.ok(parsed.ok, `amount ${value} ${currency}`);
  return parsed.minor;
};
const signed = (amount: { value: string; currency: string }, cd: string): bigint => (cd === 'DBIT' ? -1n : 1n) * minor(amount.value, amount.currency);
const balanceOf = (message: Camt053, code: string): bigint => {
  const b = message.statements[0]!.balances.find((x) => 'code' in x.type && x.type.code === code)!;
  return signed(b.amount, b.creditDebit);
};

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

describe('clearhouse demo --out: the closed day\'s statements and reports', () => {
  it('from the files alone: closing = opening + entries; settlement entries = the agent\'s ACSC bookings; delivered; DCLS; reports', { timeout: 300_000 }, async () => {
    const r = demoOnce();
    const out = r.out;
    assert.equal(r.status, 0, r.stderr);
    const { boxes, files, text, delivered } = demoMailboxes(out);

    // The agent's books of the day: each ACSC-answered pacs.009, signed for the participant's account at the agent.
    const answers = new Map<string, string>();
    for (const f of files(AGENT, 'archive').filter((name) => name.startsWith('answer-pacs.009'))) {
      const m = parsePacs002(text(AGENT, 'archive', f));
      answers.set(m.originalGroups[0]!.originalMessageId, m.transactions[0]!.transactionStatus!);
    }
    const booked = new Map<string, { participant: string; currency: string; signedMinor: bigint }>();
    let refused = 0;
    for (const f of files(AGENT, 'archive').filter((name) => name.startsWith('out-pacs.009'))) {
      const m = parsePacs009(text(AGENT, 'archive', f));
      const t = m.transactions[0]!;
      if ((m.groupHeader.interbankSettlementDate ?? t.interbankSettlementDate) !== DAY) continue;
      if (answers.get(m.groupHeader.messageId) !== 'ACSC') { refused++; continue; }
      const amount = minor(t.interbankSettlementAmount.value, t.interbankSettlementAmount.currency);
      const debit = t.creditor === SWITCH;
      booked.set(t.paymentIdentification.instructionId!, {
        participant: debit ? t.debtor : t.creditor, currency: t.interbankSettlementAmount.currency, signedMinor: debit ? -amount : amount,
      });
    }
    assert.ok(booked.size > 10, `the agent booked the day's instructions (${booked.size})`);
    assert.equal(refused, 1, 'the one refused instruction (AM04) is not booked');

    const statementDir = join(out, 'statements', DAY);
    const statementFiles = readdirSync(statementDir).sort();
    const banks = readdirSync(boxes).filter((b) => b !== AGENT && b !== SWITCH).sort();
    assert.ok(statementFiles.length >= banks.length, `a statement per participant and currency (${statementFiles.join(', ')})`);
    const seen = new Set<string>();
    for (const file of statementFiles) {
      const [bic, currency] = file.replace('.camt.053.xml', '').split('_') as [string, string];
      const xml = readFileSync(join(statementDir, file), 'utf8');
      assert.deepEqual(await xsd.validateOne('camt.053.001.08', new TextEncoder().encode(xml)), [], `${file}: scheme XSD`);
      const message = parseCamt053(xml);
      const statement = message.statements[0]!;
      assert.equal(statement.account.currency, currency);
      const entries = statement.entries.reduce((sum, e) => sum + signed(e.amount, e.creditDebit), 0n);
      assert.equal(balanceOf(message, 'CLBD'), balanceOf(message, 'OPBD') + entries, `${file}: closing = opening + entries`);
      // Settlement entries (InstrId C<cycle>-A<attempt>-<BIC>-<CCY>) = the agent's bookings, sign reversed.
      let settlement = 0n;
      let payments = 0n;
      for (const e of statement.entries) {
        const instruction = /^C\d+-A\d+-/.test(e.reference ?? '') ? booked.get(e.reference!) : undefined;
        if (instruction === undefined) {
          assert.match(e.reference ?? '', /^P\d+$/, `${file}: an entry is a payment or a booked instruction (${e.reference})`);
          payments += signed(e.amount, e.creditDebit);
          continue;
        }
        assert.ok(!seen.has(e.reference!), `${e.reference} in one statement, once`);
        seen.add(e.reference!);
        assert.deepEqual([instruction.participant, instruction.currency], [bic, currency], `${e.reference} is ${bic}'s`);
        assert.equal(signed(e.amount, e.creditDebit), -instruction.signedMinor, `${e.reference}: the agent's booking, seen from the position`);
        settlement += signed(e.amount, e.creditDebit);
      }
      const agentTotal = [...booked.values()].filter((b) => b.participant === bic && b.currency === currency)
        .reduce((sum, b) => sum + b.signedMinor, 0n);
      assert.equal(payments, agentTotal, `${file}: the payments net to what the agent settled for ${bic} in ${currency}`);
      assert.equal(settlement, -agentTotal);

      // The statement delivered to the participant says the same.
      const inbox = delivered(bic).filter(([f]) => f.startsWith('camt.053')).map(([, x]) => parseCamt053(x))
        .filter((m) => m.statements[0]!.account.currency === currency && m.statements[0]!.balances.some((b) => 'date' in b.date && b.date.date === DAY));
      assert.equal(inbox.length, 1, `${bic} ${currency}: one statement delivered`);
      assert.deepEqual(inbox[0]!.statements[0]!.balances, statement.balances);
      assert.deepEqual(inbox[0]!.statements[0]!.entries, statement.entries);
    }
    assert.deepEqual([...seen].sort(), [...booked.keys()].sort(), 'every booked instruction of the day is in a statement');

    for (const bic of banks) {
      const closes = delivered(bic).filter(([f]) => f.startsWith('admi.004')).map(([, x]) => parseAdmi004(x).event)
        .filter((e) => e.code === 'DCLS');
      assert.equal(closes.length, 1, `${bic}: told the day closed`);
      assert.equal(closes[0]!.parameters[0], DAY);
    }

    const reports = join(out, 'reports', DAY);
    for (const kind of ['reconciliation', 'statistics']) {
      for (const format of ['csv', 'json', 'html', 'pdf']) {
        const bytes = readFileSync(join(reports, `${kind}.${format}`));
        assert.ok(bytes.length > 100, `${kind}.${format} written`);
        if (format === 'pdf') assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
        if (format === 'json') assert.equal(JSON.parse(bytes.toString('utf8')).kind, kind);
      }
    }
    assert.equal(JSON.parse(readFileSync(join(reports, 'reconciliation.json'), 'utf8')).ok, true, 'the day reconciles');
  });
});
