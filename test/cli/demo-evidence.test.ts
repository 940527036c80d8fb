/**
 * `clearhouse demo --out DIR` leaves evidence an outsider can check the settlement agent's books
 * with, and this test is that outsider: it reads FILES ONLY (DIR/mailboxes/<BIC>/, as DIR/README.txt
 * explains) — never the store, never the demo's own summary — and reconciles:
 *
 *  - the agent's folder holds each pacs.009 it received and exactly one pacs.002 answer to each;
 *  - per participant, cycle and currency, the ACSC-booked pacs.009 amounts (each instruction booked
 *    once) equal the net of the payments delivered in that cycle, worked out from the banks' folders:
 *    bulk pacs.008 files (the cycle's batch payments), real-time pacs.008 forwarded and accepted by
 *    the creditor bank (its pacs.002 answer ACCP), returns (pacs.004); and equal the camt.054 each
 *    bank received for the cycle; net over participants = 0;
 *  - the refused instruction appears with RJCT AM04, and its later re-instruction with ACSC;
 *  - the payment recalled before settlement never appears in the creditor's folder;
 *  - the future-dated payments are in no file of the first cycle, and settle in the next business day's.
 *
 * Which cycle a delivered file belongs to is read from the switch's MsgIds (CLHSDEFF-<date>-<sequence>,
 * increasing): bulk files and returns are delivered after their cycle's settlement instructions, a
 * real-time payment is forwarded while its cycle is open (before that cycle's instructions).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoMailboxes, demoOnce } from '../support/demo-once.ts';
import { DEMO_BANKS } from '../../switch/demo/generate.ts';
import { parseXml as parsePacs009 } from '../../switch/iso/messages/pacs.009.001.08/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parsePacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseAmount } from '../../switch/iso/amount.ts';

const AGENT = 'MARKDEFFXXX';
const SWITCH = 'CLHSDEFFXXX';

const minor = (value: string, currency: string): bigint => {
  const parsed = parseAmount(value, currency);
  assert.ok(parsed.ok, `amount ${value} ${currency}`);
  return parsed.minor;
};
/** The switch's MsgId in a delivered file's name: pacs.008.001.08_CLHSDEFF-20261126-00000431.xml. */
const switchMessageId = (file: string): string => /_(CLHSDEFF-\d{8}-\d+)\.xml$/.exec(file)![1]!;

interface Instruction { messageId: string; instructionId: string; cycle: string; attempt: number; participant: string; currency: string; signedMinor: bigint; date: string }

describe('clearhouse demo --out: the evidence reconciles the settlement agent\'s books', () => {
  it('from the files alone: ACSC bookings = net of delivered payments = camt.054, once each; AM04 then ACSC; recall and future-dated kept out', { timeout: 300_000 }, () => {
    const r = demoOnce();
    const out = r.out;
    assert.equal(r.status, 0, r.stderr);
    const { boxes, files, text, delivered } = demoMailboxes(out);
    assert.match(readFileSync(join(out, 'README.txt'), 'utf8'), /Reconciling the settlement agent's books/);
    const banks = readdirSync(boxes).filter((b) => b !== AGENT);

    // The agent's folder: every pacs.009 received and its answers.
    const instructions: Instruction[] = files(AGENT, 'archive').filter((f) => f.startsWith('out-pacs.009')).map((f) => {
      const m = parsePacs009(text(AGENT, 'archive', f));
      const t = m.transactions[0]!;
      const [, cycle, attempt] = /^C(\d+)-A(\d+)-/.exec(t.paymentIdentification.instructionId!)!;
      const amount = minor(t.interbankSettlementAmount.value, t.interbankSettlementAmount.currency);
      const debit = t.creditor === SWITCH;
      return { messageId: m.groupHeader.messageId, instructionId: t.paymentIdentification.instructionId!, cycle: cycle!, attempt: Number(attempt),
        participant: debit ? t.debtor : t.creditor, currency: t.interbankSettlementAmount.currency, signedMinor: debit ? -amount : amount,
        date: m.groupHeader.interbankSettlementDate ?? t.interbankSettlementDate ?? '' };
    });
    assert.ok(instructions.length > 10, `the agent received the day's instructions (${instructions.length})`);
    const answers = new Map<string, { status: string; reasons: string[] }[]>();
    for (const f of files(AGENT, 'archive').filter((name) => name.startsWith('answer-pacs.009'))) {
      const m = parsePacs002(text(AGENT, 'archive', f));
      for (const t of m.transactions) {
        const list = answers.get(m.originalGroups[0]!.originalMessageId) ?? [];
        list.push({ status: t.transactionStatus!, reasons: (t.statusReasons ?? []).map((s) => ('code' in s.reason! ? s.reason.code : '')) });
        answers.set(m.originalGroups[0]!.originalMessageId, list);
      }
    }
    for (const i of instructions) assert.equal(answers.get(i.messageId)?.length, 1, `exactly one answer to ${i.instructionId}`);
    const status = (i: Instruction) => answers.get(i.messageId)![0]!;

    // The refused instruction (AM04) and its re-instruction (a later attempt, ACSC).
    const refused = instructions.filter((i) => status(i).status === 'RJCT');
    assert.equal(refused.length, 1, 'one instruction refused');
    assert.deepEqual(status(refused[0]!).reasons, ['AM04']);
    const again = instructions.filter((i) => i.cycle === refused[0]!.cycle && i.participant === refused[0]!.participant &&
      i.currency === refused[0]!.currency && i.attempt > refused[0]!.attempt);
    assert.equal(again.length, 1, 're-instructed once');
    assert.equal(status(again[0]!).status, 'ACSC');
    assert.equal(again[0]!.signedMinor, refused[0]!.signedMinor, 'for the same amount (nothing of it was booked)');

    // The agent's books: ACSC bookings per cycle|participant|currency, each instruction id booked once.
    const booked = new Map<string, bigint>();
    const bookedIds = new Set<string>();
    for (const i of instructions.filter((x) => status(x).status === 'ACSC')) {
      assert.ok(!bookedIds.has(i.instructionId), `${i.instructionId} booked once`);
      bookedIds.add(i.instructionId);
      const key = `${i.cycle}|${i.participant}|${i.currency}`;
      booked.set(key, (booked.get(key) ?? 0n) + i.signedMinor);
    }
    const perCycleCurrency = new Map<string, bigint>();
    for (const [key, value] of booked) {
      const [cycle, , currency] = key.split('|');
      perCycleCurrency.set(`${cycle}|${currency}`, (perCycleCurrency.get(`${cycle}|${currency}`) ?? 0n) + value);
    }
    for (const [key, sum] of perCycleCurrency) assert.equal(sum, 0n, `net over participants is 0 in ${key}`);

    // Cycle boundaries from the instructions' MsgIds: each cycle's first instruction.
    const firstInstruction = new Map<string, string>();
    for (const i of instructions) if (!firstInstruction.has(i.cycle) || i.messageId < firstInstruction.get(i.cycle)!) firstInstruction.set(i.cycle, i.messageId);
    const cycles = [...firstInstruction].sort((a, b) => (a[1] < b[1] ? -1 : 1));
    assert.ok(cycles.length >= 3, `cycles instructed: ${cycles.map((c) => c[0]).join(', ')}`);
    /** The cycle settled before a file delivered after settlement (bulk files, returns). */
    const settledBefore = (messageId: string) => cycles.filter(([, first]) => first < messageId).at(-1)?.[0] ?? 'before any settlement';
    /** The cycle open when a real-time payment was forwarded. */
    const openAt = (messageId: string) => cycles.find(([, first]) => first > messageId)?.[0] ?? 'after the last settlement';

    // The net of the payments delivered, per cycle, from the banks' folders.
    const net = new Map<string, bigint>();
    const add = (cycle: string, bic: string, currency: string, amount: bigint) => net.set(`${cycle}|${bic}|${currency}`, (net.get(`${cycle}|${bic}|${currency}`) ?? 0n) + amount);
    const bulkPayments = new Map<string, { cycle: string; date: string; creditor: string }>();
    const returnCycles = new Map<string, string>();
    for (const bic of banks) {
      const answered = new Map(files(bic, 'archive').filter((f) => f.startsWith('answer-pacs.008'))
        .map((f) => [f.slice('answer-'.length), parsePacs002(text(bic, 'archive', f)).transactions[0]!.transactionStatus] as const));
      for (const [name, xml] of delivered(bic)) {
        if (name.startsWith('pacs.008')) {
          const m = parsePacs008(xml);
          const instant = m.transactions.length === 1 && answered.has(name);
          if (instant) {
            if (answered.get(name) !== 'ACCP') continue; // refused by the creditor bank: never committed
          } else if (m.transactions.some((t) => t.paymentTypeInformation?.localInstrument !== undefined &&
            'code' in t.paymentTypeInformation.localInstrument && t.paymentTypeInformation.localInstrument.code === 'INST')) {
            continue; // a real-time payment the bank never answered (timed out): not committed
          }
          const cycle = instant ? openAt(switchMessageId(name)) : settledBefore(switchMessageId(name));
          for (const t of m.transactions) {
            const amount = minor(t.interbankSettlementAmount.value, t.interbankSettlementAmount.currency);
            assert.equal(t.creditorAgent, bic, 'delivered to its creditor agent');
            add(cycle, bic, t.interbankSettlementAmount.currency, amount);
            add(cycle, t.debtorAgent, t.interbankSettlementAmount.currency, -amount);
            if (!instant) {
              assert.ok(!bulkPayments.has(t.paymentIdentification.transactionId!), `${t.paymentIdentification.transactionId} delivered once`);
              bulkPayments.set(t.paymentIdentification.transactionId!, { cycle, date: m.groupHeader.interbankSettlementDate ?? '', creditor: bic });
            }
          }
        } else if (name.startsWith('pacs.004')) {
          const [, currency, value] = /<RtrdIntrBkSttlmAmt Ccy="([A-Z]{3})">([^<]+)</.exec(xml)!;
          const cycle = settledBefore(switchMessageId(name));
          add(cycle, bic, currency!, minor(value!, currency!));
          returnCycles.set(/<OrgnlTxId>([^<]+)</.exec(xml)![1]!, cycle);
        }
      }
    }
    // The returning banks' side: each pacs.004 a bank sent (its own archive), debited in the return's cycle.
    for (const bic of banks) {
      for (const f of files(bic, 'archive').filter((name) => !name.startsWith('out-') && !name.startsWith('answer-'))) {
        const xml = text(bic, 'archive', f);
        if (!xml.includes('<PmtRtr>')) continue;
        const amount = /<RtrdIntrBkSttlmAmt Ccy="([A-Z]{3})">([^<]+)</.exec(xml)!;
        const cycle = returnCycles.get(/<OrgnlTxId>([^<]+)</.exec(xml)![1]!);
        assert.ok(cycle !== undefined, `the return ${f} was delivered`);
        add(cycle, bic, amount[1]!, -minor(amount[2]!, amount[1]!));
      }
    }
    const nonZero = (m: Map<string, bigint>) => new Map([...m].filter(([, v]) => v !== 0n).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    assert.deepEqual(nonZero(booked), nonZero(net), 'ACSC bookings per cycle, participant and currency = net of the payments delivered in that cycle');

    // The camt.054 each bank received states the same per cycle.
    const notified = new Map<string, bigint>();
    for (const bic of banks) {
      for (const [name, xml] of delivered(bic)) {
        if (!name.startsWith('camt.054')) continue;
        for (const entry of xml.matchAll(/<Ntry>[\s\S]*?<\/Ntry>/g)) {
          const cycle = /<NtryRef>CYCLE-(\d+)</.exec(entry[0])![1]!;
          const [, currency, value] = /<Amt Ccy="([A-Z]{3})">([^<]+)</.exec(entry[0])!;
          const sign = /<CdtDbtInd>DBIT</.test(entry[0]) ? -1n : 1n;
          const key = `${cycle}|${bic}|${currency}`;
          notified.set(key, (notified.get(key) ?? 0n) + sign * minor(value!, currency!));
        }
      }
    }
    assert.deepEqual(nonZero(notified), nonZero(booked), 'each bank\'s camt.054 = the agent\'s bookings');

    // The recall before settlement: the switch answered CNCL; the payment reached no creditor's folder.
    const cancelled = banks.flatMap((bic) => delivered(bic).filter(([name, xml]) => name.startsWith('camt.029') && /<Conf>CNCL<\/Conf>/.test(xml))
      .map(([, xml]) => /<OrgnlTxId>([^<]+)</.exec(xml)?.[1]));
    assert.equal(cancelled.length, 1, 'one recall cancelled before settlement');
    const recalledId = cancelled[0]!;
    assert.ok(recalledId, 'the CNCL names the payment');
    for (const bic of banks) {
      for (const [name, xml] of delivered(bic)) {
        if (!name.startsWith('camt.029')) assert.ok(!xml.includes(recalledId), `${recalledId} appears in ${bic}'s ${name}`);
      }
    }

    // The future-dated payments: in no file of the first cycle; delivered in a bulk file dated the
    // next business day, in that day's (the last) cycle.
    const future = [...bulkPayments].filter(([, p]) => p.date === '2026-11-27');
    assert.ok(future.length > 0, 'future-dated payments delivered');
    const [firstCycle] = cycles[0]!;
    const [lastCycle] = cycles.at(-1)!;
    assert.ok(future.every(([, p]) => p.cycle === lastCycle && p.cycle !== firstCycle), 'settled in the next business day\'s cycle');
    const firstCycleInstructions = instructions.filter((i) => i.cycle === firstCycle);
    assert.ok(firstCycleInstructions.every((i) => i.date === '2026-11-26'), 'the first cycle is the demo day\'s');
    assert.ok(instructions.filter((i) => i.cycle === lastCycle).every((i) => i.date === '2026-11-27'));
    for (const [id] of future) {
      for (const bic of banks) {
        for (const [name, xml] of delivered(bic)) {
          if (name.startsWith('pacs.008') && settledBefore(switchMessageId(name)) === firstCycle) assert.ok(!xml.includes(id), `${id} in a first-cycle file`);
        }
      }
    }
  });
});

/**
 * The demo's notifications (step 8, docs/notifications.md "In the demo"), from DIR/notifications/ and
 * the mailboxes alone: every request's signature recomputed here under the receiver's secret; Bank A
 * told only of its own payments (received only as creditor), nobody else told anything; and every
 * payment of Bank A's after the subscription that the files show (cycle 2's bulk file and real-time
 * payments to it, its future-dated file settled the next business day) notified.
 */
describe('clearhouse demo --out: the webhook receiver\'s evidence', () => {
  it('signatures valid, one request per key, Bank A\'s own payment events complete, nothing for other participants, operators alerted', { timeout: 300_000 }, () => {
    const r = demoOnce();
    assert.equal(r.status, 0, r.stderr);
    const BANK_A = 'BANKDEFFXXX';
    const dir = join(r.out, 'notifications');
    const receivers = JSON.parse(readFileSync(join(dir, 'receivers.json'), 'utf8')) as Array<{ receiver: string; owner: string; url: string; secret: string; events: string[] }>;
    assert.deepEqual(receivers.map((x) => [x.receiver, x.owner]), [['participant', BANK_A], ['operators', 'operators']], 'one participant subscribed, and the operators');
    const lines = readFileSync(join(dir, 'received.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {
      receiver: string; path: string; headers: Record<string, string>; body: string; signatureValid: boolean });
    assert.ok(lines.length > 0, 'the receiver got requests');
    assert.match(r.stdout, new RegExp(`${lines.length} webhook requests received, ${lines.length} with a valid signature`), 'the summary line');

    interface Payload { id: string; type: string; participant: string | null; data: { payment?: { id: string; mode: string; transactionId: string; debtorAgent: string; creditorAgent: string }; event?: string; participants?: string[] } }
    const keys = new Set<string>();
    const told = new Map<string, Set<string>>(); // event type -> transaction ids
    const alerts: Payload[] = [];
    for (const line of lines) {
      const receiver = receivers.find((x) => x.receiver === line.receiver);
      assert.ok(receiver, `a known receiver: ${line.receiver}`);
      assert.equal(new URL(receiver.url).pathname, line.path);
      // The signature, checked here from the header, the raw body and the secret: HMAC-SHA256 of "<t>.<body>".
      const header = line.headers['Clearhouse-Signature'] ?? '';
      const t = /(?:^|,)t=(\d+)(?:,|$)/.exec(header)?.[1];
      const v1 = /(?:^|,)v1=([0-9a-f]{64})(?:,|$)/.exec(header)?.[1];
      assert.ok(t && v1, `a signature header: ${header}`);
      const expected = createHmac('sha256', receiver.secret).update(`${t}.${line.body}`).digest();
      assert.ok(timingSafeEqual(Buffer.from(v1, 'hex'), expected), `the signature of ${line.headers['Idempotency-Key']} is valid`);
      assert.equal(line.signatureValid, true);
      const payload = JSON.parse(line.body) as Payload;
      assert.equal(line.headers['Idempotency-Key'], payload.id);
      assert.equal(line.headers['Clearhouse-Event'], payload.type);
      assert.ok(!keys.has(payload.id), `one request per idempotency key: ${payload.id}`);
      keys.add(payload.id);
      if (line.receiver === 'operators') {
        assert.equal(payload.participant, null);
        assert.match(payload.type, /^alert\./);
        alerts.push(payload);
        continue;
      }
      // Bank A's: only its own payments, never an alert.
      assert.equal(payload.participant, BANK_A);
      const payment = payload.data.payment;
      assert.ok(payment, `${payload.type} carries its payment`);
      assert.ok(payment.debtorAgent === BANK_A || payment.creditorAgent === BANK_A, `${payment.transactionId}: Bank A is an agent of it`);
      if (payload.type === 'payment.received') assert.equal(payment.creditorAgent, BANK_A, `${payment.transactionId}: received only as creditor`);
      const ids = told.get(payload.type) ?? new Set<string>();
      assert.ok(!ids.has(payment.transactionId), `${payload.type} of ${payment.transactionId} once`);
      told.set(payload.type, ids.add(payment.transactionId));
    }

    // Completeness, from the mailboxes: cycle 2's bulk file from Bank C and Banque B's real-time payments, delivered to Bank A ...
    const { delivered, text } = demoMailboxes(r.out);
    const toBankA = delivered(BANK_A).filter(([name]) => name.startsWith('pacs.008.001.08_'))
      .flatMap(([, xml]) => [...xml.matchAll(/<TxId>((?:BANKNL2A-CYCLE2-1|BANKFRPP-INST-C2)-[^<]+)<\/TxId>/g)].map((m) => m[1]!));
    assert.ok(toBankA.length >= 4, `cycle 2's payments to Bank A in its mailbox: ${toBankA.length}`);
    for (const txId of toBankA) {
      assert.ok(told.get('payment.received')?.has(txId), `payment.received of ${txId}`);
      assert.ok(told.get('payment.settled')?.has(txId), `payment.settled of ${txId}`);
    }
    // ... and Bank A's own future-dated file (its archive: what it sent), settled the next business day.
    const future = [...text(BANK_A, 'archive', 'BANKDEFF-FUTURE-1.xml').matchAll(/<TxId>([^<]+)<\/TxId>/g)].map((m) => m[1]!);
    assert.ok(future.length > 0);
    for (const txId of future) assert.ok(told.get('payment.settled')?.has(txId), `payment.settled of ${txId} (Bank A the debtor)`);

    // The operators: cycle 2's refused settlement of Banque B, and the risk step's holds and hits.
    assert.ok(alerts.some((a) => a.type === 'alert.settlement-failed' && a.data.event === 'settlement.rejected' && a.data.participants?.includes('BANKFRPPXXX')),
      'alert.settlement-failed for the refused settlement');
    assert.ok(alerts.some((a) => a.type === 'alert.risk' && a.data.event === 'risk.hold'), 'alert.risk for a held payment');
  });
});

/**
 * The audit ledger as a participant sees it after the demo (docs/audit.md "Checking a proof"): the
 * checkpoint covering the proven message is the file published to every participant's mailbox, and its
 * detached CMS signature verifies with openssl against the demo's scheme CA alone; the demo's own
 * `audit verify` checked every checkpoint's signature.
 */
describe('clearhouse demo --out: the published audit checkpoints', () => {
  it('the proof\'s checkpoint is the file every participant received, signed by the switch under the CA (openssl); verify checked every signature', { timeout: 300_000 }, () => {
    const r = demoOnce();
    assert.equal(r.status, 0, r.stderr);
    const verified = /clearhouse audit verify: intact \(\d+ entries, (\d+) checkpoints, (\d+) signatures by the switch under the CA/.exec(r.stdout);
    assert.ok(verified, 'the demo\'s audit verify line');
    assert.ok(Number(verified[1]) > 0 && verified[2] === verified[1], `every checkpoint's signature checked: ${verified[1]} checkpoints, ${verified[2]} signatures`);
    const audit = join(r.out, 'audit');
    const proofs = readdirSync(audit).filter((f) => f.startsWith('proof-'));
    assert.equal(proofs.length, 1, 'one proof written');
    const dir = join(audit, proofs[0]!);
    const checkpoint = readFileSync(join(dir, 'checkpoint.xml'), 'utf8');
    const { delivered } = demoMailboxes(r.out);
    for (const bank of DEMO_BANKS) {
      const published = delivered(bank.bic).filter(([name]) => name.startsWith('ledger.checkpoint')).map(([, text]) => text);
      assert.ok(published.includes(checkpoint), `${bank.bic} received the checkpoint the proof refers to`);
    }
    const openssl = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'checkpoint.xml.p7s'), '-content', join(dir, 'checkpoint.xml'),
      '-CAfile', join(audit, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    assert.equal(openssl.status, 0, `openssl cms -verify: ${openssl.stderr}`);
    // A changed byte of the checkpoint fails the same check.
    const altered = join(mkdtempSync(join(tmpdir(), 'clearhouse-demo-ckpt-')), 'checkpoint.xml');
    writeFileSync(altered, checkpoint.replace(/<MerkleRoot>(.)/, (_m, c: string) => `<MerkleRoot>${c === '0' ? '1' : '0'}`));
    const refused = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'checkpoint.xml.p7s'), '-content', altered,
      '-CAfile', join(audit, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    assert.notEqual(refused.status, 0, 'an altered checkpoint does not verify');
  });
});
