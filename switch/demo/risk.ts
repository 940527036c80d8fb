/**
 * The demo's risk step (docs/risk.md): the risk stage switched on at run time and shown with the
 * switch's real answers, every message through the mailboxes like the rest of the demo.
 *
 *   - the operator applies the scheme's risk section (config.apply, recorded): a per-transaction
 *     limit of 1,000.00 EUR for high-risk accounts, and the score's hold threshold;
 *   - the operator loads the scheme's own negative list (risk.list.load) and Bank A loads the risk
 *     profiles of two of its accounts (both high risk);
 *   - the operator freezes an account of Bank A;
 *   - Bank A sends four real-time payments: 5,000.00 from a high-risk account (RJCT AM02); one to a
 *     creditor on the list (held: pacs.002 PDNG), released by the operator (who and why recorded),
 *     forwarded, accepted by the creditor bank and settled with the next cycle; one from the frozen
 *     account (RJCT AC06); one from the other high-risk account to a creditor it never paid (held on
 *     its score: PDNG);
 *   - payee verification: a match answered by the payee's bank, a no match from the directory
 *     (switch/demo/payee.ts).
 *
 * Every outcome in the table is read back from the pacs.002 (and acmt.024) in Bank A's mailbox.
 */
import { bulkCreditTransfer, DEMO_BANKS, ibanFor, random } from './generate.ts';
import { payeeVerificationDemo, type PayeeDemoLine } from './payee.ts';
import { build as buildPacs008, type Pacs008 } from '../iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { checkRiskConfig } from '../risk/config.ts';
import { hashed } from '../engine/screening-lists.ts';
import { parseSchemeList } from '../risk/screening/parse-scheme.ts';
import type { Engine } from '../engine/engine.ts';
import type { DirectoryMailboxes } from '../../connectors/directory.ts';

const encoder = new TextEncoder();
const BANK_A = DEMO_BANKS[0]!;
const BANK_B = DEMO_BANKS[1]!;
const BANK_C = DEMO_BANKS[2]!;

/** Bank A's accounts in the step (valid IBANs, drawn once from fixed seeds). */
export const RISK_DEMO_ACCOUNTS = {
  /** High risk: its 5,000.00 payment is over the 1,000.00 per-transaction limit (AM02). */
  highRisk: ibanFor(BANK_A, random(9101)),
  /** High risk too: its first payment to a new creditor scores at the hold threshold. */
  scored: ibanFor(BANK_A, random(9102)),
  /** Frozen by the operator (AC06). */
  frozen: ibanFor(BANK_A, random(9103)),
  /** An ordinary account (no profile: medium risk) paying a listed name. */
  ordinary: ibanFor(BANK_A, random(9104)),
} as const;

/** The scheme's negative list of the demo (the scheme list CSV `clearhouse risk lists load --format scheme` reads). */
export const RISK_DEMO_LIST = 'id,kind,value,remarks\n' +
  'DEMO-1,name,Shell Front Trading Ltd,fraud ring reported to the scheme (demo)\n' +
  'DEMO-2,name,Nordwind Handelskontor GmbH,mule collection account (demo)\n';
/** The listed creditor as Bank A's customer spells it. */
const LISTED_CREDITOR = 'SHELL FRONT TRADING LTD.';

/**
 * The risk section applied: the score's hold threshold 40 (reject 80) so that a high-risk account's
 * first payment to a creditor it never paid (25 + 15 points, docs/risk.md "Scoring") is held, while an
 * ordinary account's (10 + 15) passes; high-risk accounts may send at most 1,000.00 EUR at a time.
 */
export const RISK_DEMO_SECTION = {
  limits: [{ currency: 'EUR', riskLevel: 'high', perTransaction: '1000.00' }],
  scoring: { holdThreshold: 40, rejectThreshold: 80 },
};

export interface RiskDemoPorts {
  /** Submit a file as `sender`'s connector would (kept in its mailbox). */
  readonly submitFrom: (sender: string, fileName: string, xml: string) => Promise<{ status: string }>;
  /** Deliver the outbox to the mailboxes until empty. */
  readonly dispatch: () => Promise<void>;
  /** Every bank answers the real-time payments forwarded to it. */
  readonly answerRealtime: () => Promise<unknown>;
  /** Who the operator actions are recorded as. */
  readonly operator: string;
}

/** One payment of the step, as Bank A was told. */
export interface RiskDemoLine {
  readonly case: string;
  readonly transactionId: string;
  readonly amount: string;
  /** The pacs.002 statuses Bank A received, in order (e.g. "PDNG" or "RJCT"). */
  readonly told: string;
  readonly code: string;
  /** What happened after (release, acceptance), or '-'. */
  readonly then: string;
  /** Why, as the operator sees it (the review queue's reasons), or the text the sender was told. */
  readonly why: string;
}

export interface RiskDemoResult {
  readonly payments: readonly RiskDemoLine[];
  readonly payee: readonly PayeeDemoLine[];
  /** The held payment released: its id and the operator action's reason. */
  readonly released: { readonly paymentId: string; readonly by: string; readonly reason: string; readonly state: string };
  /** The printed table. */
  readonly text: string;
}

interface Sent { case: string; transactionId: string; amount: string }

/** One real-time payment of Bank A: `value` EUR from `debtorAccount` to `creditor` at Bank B (or `to`). */
function payment(n: number, value: string, debtorAccount: string, creditor?: string, to = BANK_B): Pacs008 {
  const model = bulkCreditTransfer({
    seed: 9200 + n, sender: BANK_A, receivers: [to], transactionCount: 1, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T10:45:00Z', messageId: `BANKDEFF-RISK-${n}`, localInstrument: 'INST', firstNumber: 9200 + n,
  });
  const t = model.transactions[0]!;
  return {
    groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
    transactions: [{ ...t, interbankSettlementAmount: { currency: 'EUR', value }, debtorAccount: { iban: debtorAccount },
      ...(creditor ? { creditor: { name: creditor } } : {}) }],
  };
}

/** The pacs.002 lines Bank A received for each TxId, from its mailbox files not in `before`. */
function toldByFiles(mailboxes: DirectoryMailboxes, before: ReadonlySet<string>): Map<string, { status: string; code: string; text: string }[]> {
  const told = new Map<string, { status: string; code: string; text: string }[]>();
  for (const file of mailboxes.outbound(BANK_A.bic).filter((f) => f.startsWith('pacs.002') && !before.has(f)).sort()) {
    for (const t of parsePacs002(mailboxes.read(BANK_A.bic, 'outbound', file).toString('utf8')).transactions) {
      const reason = t.statusReasons?.[0];
      const list = told.get(t.originalTransactionId ?? '') ?? [];
      list.push({ status: t.transactionStatus ?? '', code: reason?.reason && 'code' in reason.reason ? reason.reason.code : '-',
        text: (reason?.additionalInformation ?? []).join(' ').replace(/^\/Document\/\S+: /, '') });
      told.set(t.originalTransactionId ?? '', list);
    }
  }
  return told;
}

/** The demo step; returns what it showed. */
export async function riskDemo(engine: Engine, mailboxes: DirectoryMailboxes, ports: RiskDemoPorts): Promise<RiskDemoResult> {
  const who = (reason: string) => ({ actor: ports.operator, reason });
  const before = new Set(mailboxes.outbound(BANK_A.bic));
  // The scheme's risk section, in force at once (the register: every serve within a second).
  const problems: string[] = [];
  const risk = checkRiskConfig(RISK_DEMO_SECTION, engine.configuration.currencies, problems);
  if (!risk || problems.length > 0) throw new Error(`demo risk section: ${problems.join('; ')}`);
  await engine.applyConfiguration({ ...engine.configuration, risk }, who('risk stage switched on for the demo (docs/risk.md)'));
  // The scheme's list, as `clearhouse risk lists load --format scheme` loads it, in force before the next payment.
  const hash = hashed();
  await engine.loadScreeningList({ name: 'scheme', format: 'scheme', files: ['scheme-list.csv'], sha256: hash.sha256,
    records: parseSchemeList(hash.wrap((async function* () { yield encoder.encode(RISK_DEMO_LIST); })())) }, who('scheme negative list of 26 Nov 2026 (demo)'));
  await engine.screeningLists().refresh();
  // Bank A's risk profiles of two accounts (CSV, as `clearhouse risk profiles load` reads it).
  const profiles = `kind,id,account_type,risk_level,customer\naccount,${RISK_DEMO_ACCOUNTS.highRisk},personal,high,\n` +
    `account,${RISK_DEMO_ACCOUNTS.scored},personal,high,\n`;
  await engine.loadRiskProfiles({ participant: BANK_A.bic, format: 'csv', chunks: (async function* () { yield encoder.encode(profiles); })(),
    effectiveFrom: engine.clock.now(), actor: 'BANKDEFFXXX', reason: 'Bank A risk profiles (demo)', fileName: 'BANKDEFF-profiles.csv' });
  await engine.freezeAccount(BANK_A.bic, RISK_DEMO_ACCOUNTS.frozen, who('court order 2026-117 (demo)'));

  const cases: Array<[string, Pacs008]> = [
    ['limit breach (high-risk account)', payment(1, '5000.00', RISK_DEMO_ACCOUNTS.highRisk)],
    ['screening hit', payment(2, '2500.00', RISK_DEMO_ACCOUNTS.ordinary, LISTED_CREDITOR)],
    ['frozen account', payment(3, '120.00', RISK_DEMO_ACCOUNTS.frozen)],
    ['high score (new creditor)', payment(4, '900.00', RISK_DEMO_ACCOUNTS.scored, undefined, BANK_C)],
  ];
  const sent: Sent[] = [];
  for (const [name, model] of cases) {
    await ports.submitFrom(BANK_A.bic, `${model.groupHeader.messageId}.xml`, buildPacs008(model));
    const t = model.transactions[0]!;
    sent.push({ case: name, transactionId: t.paymentIdentification.transactionId!, amount: `${t.interbankSettlementAmount.value} EUR` });
  }
  await ports.dispatch();

  // The operator works the review queue: the screening hit is a namesake (recorded who and why), released.
  const holds = await engine.riskHolds();
  const heldWhy = new Map(holds.map((h) => [h.transactionId, h.reasons]));
  const hit = holds.find((h) => h.transactionId === sent[1]!.transactionId);
  if (!hit) throw new Error('demo: the screening hit was not held');
  const reason = 'RISK-DEMO-1: namesake of the listed company, confirmed by Bank A (demo)';
  const released = await engine.releaseHeldPayment(hit.id, who(reason));
  await ports.dispatch();
  await ports.answerRealtime();
  await ports.dispatch();

  const told = toldByFiles(mailboxes, before);
  const payments = sent.map((s, i): RiskDemoLine => {
    const lines = told.get(s.transactionId) ?? [];
    const code = lines.map((l) => l.code).filter((c) => c !== '-').join(' ') || '-';
    return { case: s.case, transactionId: s.transactionId, amount: s.amount, told: lines.map((l) => l.status).join(' → ') || '(nothing)', code,
      // ACSP: the creditor bank accepted the forwarded payment; it settles with the open cycle's positions.
      then: i === 1 ? `released by ${ports.operator}; ${lines.at(-1)?.status === 'ACSP' ? `accepted by ${BANK_B.bic}, settles with the open cycle` : 'not accepted'}`
        : lines.length === 1 && lines[0]!.status === 'PDNG' ? 'held for review: decided within the scheme timeout, else rejected AB01 (here: at the day close)' : '-',
      why: heldWhy.get(s.transactionId) ?? lines.find((l) => l.text !== '')?.text ?? '-' };
  });
  const payee = await payeeVerificationDemo(engine, mailboxes, { payer: BANK_A.bic, answeringBank: BANK_B.bic, directoryBank: BANK_C.bic },
    ports.dispatch, who('payee directory of Bank C (demo)'));
  const text = table(['case', 'payment', 'amount', 'Bank A told', 'code', 'then'],
    payments.map((p) => [p.case, p.transactionId, p.amount, p.told, p.code, p.then])) + '\n' +
    '   why (a hold: the review queue\'s reasons, for the operator only; a refusal: the text Bank A was told):\n' +
    payments.map((p) => `     ${p.transactionId}: ${p.why}`).join('\n') + '\n' +
    table(['payee verification', 'account', 'at', 'result', 'answered by'],
      payee.map((p) => [p.asked, p.account, p.of, p.result + (p.nameOnAccount ? ` (${p.nameOnAccount})` : ''), p.answeredBy]));
  return { payments, payee, released: { paymentId: hit.id.toString(), by: ports.operator, reason, state: released.state }, text };
}

/**
 * What Bank A was told, after the business-day close, about the payments the step left held: read from
 * its mailbox files not in `before` (a held real-time payment not decided within its day is rejected
 * AB01 at the close, docs/risk.md "Disposal"). One line per payment, e.g. "BANKDEFF-RISK-4-009204: RJCT AB01".
 */
export function heldOutcomesAfterClose(mailboxes: DirectoryMailboxes, before: ReadonlySet<string>, held: readonly RiskDemoLine[]): string[] {
  const told = toldByFiles(mailboxes, before);
  return held.map((p) => {
    const last = told.get(p.transactionId)?.at(-1);
    return `${p.transactionId}: ${last ? `${last.status}${last.code !== '-' ? ` ${last.code}` : ''}` : 'nothing yet'}`;
  });
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => ('   ' + cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')).trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
