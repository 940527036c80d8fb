/**
 * `clearhouse demo [--out DIR] [--json]`: the whole story on the embedded default (PGlite, in-process
 * timers and simulators), in well under a minute:
 *
 *   1. the front door: sample files with the defects banks and attackers send, and the switch's answers
 *   2. cycle 1: five banks send bulk files (thousands of payments, some invalid), Banque D over its
 *      net debit cap; a second currency (SEK) cleared by four of them, a SEK file to the fifth refused (AM03); real-time payments reserved, forwarded, accepted, rejected and timed out
 *   3. cut-off: netting with an unwind of Banque D's latest payments; settlement through the settlement
 *      agent; bulk files and notifications delivered; the positions table
 *      (a future-dated file, dated the next business day, is warehoused: in no cycle of the day)
 *   4. cycle 2: a return of a settled payment, a recall answered by the creditor bank, a status request;
 *      a recall before settlement (camt.056 before cut-off → camt.029 CNCL, the creditor never sees it);
 *      Banque B's settlement account short: its pacs.009 refused (AM04), the cycle PARTIALLY_SETTLED,
 *      the account funded and the cycle re-instructed by a recorded operator action; SETTLED
 *   5. risk management: a limit breach (AM02), a screening hit held and released by an operator, a frozen
 *      account (AC06), a high-score payment held, payee verification (match, no match): switch/demo/risk.ts
 *   6. the next business day: the day roll, then its first cycle, where the future-dated file settles
 *   7. the audit ledger: signed checkpoints published, a proof checked (switch/demo/audit.ts)
 *   8. notifications: from cycle 2 on, Bank A's payment events and the operators' alerts go by webhook to a
 *      receiver on loopback, which checks every signature (DIR/notifications/: switch/demo/notifications.ts)
 *
 * Every message of every party is written under DIR/mailboxes/<BIC>/: what the switch delivered in
 * outbound/ (archive/out-* once the party handled it), what the party sent in archive/ — the settlement
 * agent's folder holds each pacs.009 received and each pacs.002 it answered (DIR/README.txt).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { samples, SWITCH_BIC } from '../demo/samples.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../demo/generate.ts';
import { build as buildPacs008, type Pacs008 } from '../iso/messages/pacs.008.001.08/index.ts';
import { build as buildPacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { build as buildAdmi002 } from '../iso/messages/admi.002.001.01/index.ts';
import { build as buildPacs004 } from '../iso/messages/pacs.004.001.09/index.ts';
import { build as buildPacs028 } from '../iso/messages/pacs.028.001.03/index.ts';
import { build as buildCamt056 } from '../iso/messages/camt.056.001.08/index.ts';
import { build as buildCamt029 } from '../iso/messages/camt.029.001.09/index.ts';
import { formatAmount, formatSignedAmount } from '../iso/amount.ts';
import { answerFor } from '../status/answers.ts';
import { validateFile } from '../validation/pipeline.ts';
import { XsdValidator } from '../validation/xsd-pool.ts';
import { loadConfig } from '../config.ts';
import { Engine } from '../engine/engine.ts';
import { DirectoryMailboxes, PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from '../../connectors/directory.ts';
import { BankSimulator, SettlementAgentSimulator, submitKept } from '../demo/simulators.ts';
import { heldOutcomesAfterClose, riskDemo } from '../demo/risk.ts';
import { writeDayClose } from '../demo/day-close.ts';
import { demoAudit } from '../demo/audit.ts';
import { startNotificationsDemo } from '../demo/notifications.ts';
import { isoDateTime } from '../engine/context.ts';
import { ManualClock } from '../clock.ts';
import { CliError, EXIT } from './errors.ts';
import { createProgress, formatDuration } from './progress.ts';
import { parseListen } from './http.ts';

export interface DemoOptions {
  readonly out: string;
  readonly json?: boolean;
  /** After the story, serve the console and the API on the demo's store until Ctrl-C (switch/cli/demo-serve.ts). */
  readonly serve?: boolean;
  /** Where --serve listens (HOST:PORT; port 0: a free one). */
  readonly listen?: string;
}

/** Where `demo --serve` listens unless --listen says otherwise. */
export const DEMO_LISTEN_DEFAULT = '127.0.0.1:8443';

const configPath = join(fileURLToPath(import.meta.url), '..', '..', '..', 'config', 'demo-scheme.json');
const encoder = new TextEncoder();

/** The demo's day: Thursday 26 November 2026, 09:30 in Frankfurt, a business day of the demo scheme
 * (its files carry that IntrBkSttlmDt); the clock moves only when the demo says so. */
const DEMO_START = '2026-11-26T08:30:00Z';
const DEMO_DATE = '2026-11-26';
/** The next business day, and the instants the demo moves to: Thursday's last cut-off (16:00 in
 * Frankfurt, the day roll) and Friday 09:30 in Frankfurt, before Friday's first cut-off. */
const NEXT_BUSINESS_DAY = '2026-11-27';
const DEMO_ROLL = '2026-11-26T15:00:00Z';
const NEXT_DAY_MORNING = '2026-11-27T08:30:00Z';
/** The participant whose EUR settlement account at the agent is short in cycle 2, and its balance then: 1,000.00. */
const DEFAULTER = 'BANKFRPPXXX';
const SHORT_BALANCE_MINOR = 100_000n;
/** Who the demo's operator actions are recorded as. */
const DEMO_OPERATOR = 'demo-operator';

interface PositionsTable {
  readonly cycle: string;
  readonly state: string;
  readonly rows: Array<{ bic: string; name: string; net: string; currency: string }>;
}

/** The file that marks a directory as a demo's output: only such a directory (or an empty one) is emptied and reused. */
export const DEMO_MARKER = '.clearhouse-demo';

/**
 * Makes `out` ready for a run: created when missing, emptied when it is an earlier demo's output
 * (it holds DEMO_MARKER), refused otherwise unless empty — the demo never deletes what it did not write.
 */
function prepareOutput(out: string): void {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new CliError(`demo --out ${out}: not a directory`, EXIT.usage);
    const entries = readdirSync(out);
    if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
      throw new CliError(`demo --out ${out}: the directory is not empty and not an earlier demo's output (no ${DEMO_MARKER} in it); ` +
        'name a new or empty directory', EXIT.usage);
    }
    for (const entry of entries) rmSync(join(out, entry), { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  writeFileSync(join(out, DEMO_MARKER), 'Output of `clearhouse demo`: the next demo run with --out here empties this directory.\n', { mode: PRIVATE_FILE_MODE });
}

export async function demoCommand(options: DemoOptions): Promise<number> {
  if (options.serve) {
    try {
      parseListen(options.listen ?? DEMO_LISTEN_DEFAULT); // a bad --listen is refused before the story runs
    } catch (error) {
      throw new CliError(`demo --listen: ${(error as Error).message.replace(/^--http takes/, 'takes')}`, EXIT.usage);
    }
  }
  const code = await demoStory(options);
  if (code !== 0 || !options.serve) return code;
  const out = resolve(options.out);
  const { demoServe } = await import('./demo-serve.ts');
  // The PKI is valid from a day before the story's start: client certificates are judged at the switch's clock.
  return demoServe({ out, config: loadConfig(join(out, 'scheme.json')), listen: options.listen ?? DEMO_LISTEN_DEFAULT,
    resumeAt: NEXT_DAY_MORNING, pkiFrom: new Date(Date.parse(DEMO_START) - 86_400_000) });
}

async function demoStory(options: DemoOptions): Promise<number> {
  const started = performance.now();
  prepareOutput(options.out);
  const log = (line: string): void => { if (!options.json) process.stdout.write(line + '\n'); };
  // Each step's timing on stderr when it is a terminal (switch/cli/progress.ts): stdout, and --json, stay clean.
  const progress = createProgress();
  let stepStarted = performance.now();
  let stepName: string | undefined;
  const step = (name: string, line: string): void => {
    if (stepName !== undefined) progress.note(`  ✓ ${stepName} in ${formatDuration(performance.now() - stepStarted)}`);
    stepName = name;
    stepStarted = performance.now();
    if (line) log(line);
  };
  const xsd = new XsdValidator();
  // The demo's own scheme file and store under --out (DIR/scheme.json, DIR/db): `clearhouse cycle list`
  // and `positions` with --config DIR/scheme.json show the demo's day afterwards, and the demo never
  // touches the store of a `serve` run from the same folder (.clearhouse/).
  const outAbsolute = resolve(options.out);
  const schemeFile = join(outAbsolute, 'scheme.json');
  writeFileSync(schemeFile, JSON.stringify({ ...JSON.parse(readFileSync(configPath, 'utf8')), dataDirectory: outAbsolute }, null, 2) + '\n',
    { mode: PRIVATE_FILE_MODE });
  const config = loadConfig(schemeFile);
  const names = new Map(config.participants.map((p) => [p.bic, p.name]));
  const clock = new ManualClock(DEMO_START);
  const engine = await Engine.open({ config, clock, xsd, dataDirectory: join(outAbsolute, 'db') });
  const mailboxes = new DirectoryMailboxes(join(options.out, 'mailboxes'));
  // The agent keeps its answers as files too: its folder holds every pacs.009 received and every pacs.002 sent.
  const agent = new SettlementAgentSimulator(engine, mailboxes, config.settlementAgent!.bic, new Set(), { fileAnswers: true });
  // Every message a party sends is put into its inbound/ and archived once taken (mailboxes/<BIC>/archive/).
  const submitFrom = (sender: string, fileName: string, xml: string) => submitKept(engine, mailboxes, sender, fileName, encoder.encode(xml));
  // One simulator per bank for the whole day (their answers' MsgIds stay unique): in cycle 1 each
  // accepts most real-time payments, rejects every 13th and never answers every 17th; later it accepts all.
  let scripted = true;
  const banks = new Map(DEMO_BANKS.map((bank) => {
    let n = 0;
    return [bank.bic, new BankSimulator(engine, mailboxes, bank.bic,
      () => (!scripted ? 'accept' : ++n % 17 === 0 ? 'silent' : n % 13 === 0 ? 'reject' : 'accept'), true)] as const;
  }));
  const dispatch = async (): Promise<void> => {
    for (let round = 0; round < 1000 && (await engine.dispatch((m) => mailboxes.deliver(m), 1000)) > 0; round++) { /* until empty */ }
  };
  const settle = async (): Promise<void> => {
    await dispatch();
    for (let round = 0; round < 10 && (await agent.answerAll()) > 0; round++) await dispatch();
  };
  const tables: PositionsTable[] = [];
  const summary: Record<string, unknown> = {};
  try {
    // 1. The front door.
    step('front door', '1. The front door: sample files and the switch\'s answers (validation only)');
    const front: Array<{ file: string; status: string; codes: string; answer: string }> = [];
    let sequence = 0;
    for (const sample of samples()) {
      const report = await validateFile(encoder.encode(sample.xml), { xsd });
      const answer = answerFor(report, { switchBic: SWITCH_BIC, messageId: `CLHS-FRONT-${String(++sequence).padStart(4, '0')}`,
        createdAt: isoDateTime(clock.now()), recipientBic: report.group?.instructingAgent, fileReference: sample.name });
      const directory = join(options.out, 'front-door');
      mkdirSync(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
      writeFileSync(join(directory, sample.name), sample.xml, { mode: PRIVATE_FILE_MODE });
      writeFileSync(join(directory, `${sample.name.replace(/\.xml$/, '')}.${answer.kind}.xml`),
        answer.kind === 'pacs.002.001.10' ? buildPacs002(answer.message) : buildAdmi002(answer.message), { mode: PRIVATE_FILE_MODE });
      front.push({ file: sample.name, status: report.status, codes: [...new Set(report.findings.map((f) => f.code))].join(' ') || '-', answer: answer.kind });
      if (report.status !== sample.expected.status) throw new Error(`${sample.name}: expected ${sample.expected.status}, got ${report.status}`);
    }
    log(table(['file', 'status', 'reason codes', 'answer'], front.map((r) => [r.file, r.status, r.codes, r.answer])));
    summary.frontDoor = front;

    // 2. Cycle 1: batch files and real-time payments.
    step('cycle 1 intake', '2. Cycle 1: bulk files from five banks, real-time payments');
    const files: Array<{ sender: string; model: Pacs008; corrupt?: 'iban' | 'ctrlsum' }> = [];
    DEMO_BANKS.forEach((bank, b) => {
      for (let f = 0; f < 2; f++) {
        files.push({ sender: bank.bic, model: bulkCreditTransfer({
          seed: 1000 + b * 10 + f, sender: bank, receivers: DEMO_BANKS.filter((x) => x !== bank), transactionCount: 400,
          settlementDate: '2026-11-26', createdAt: '2026-11-26T08:30:00Z', messageId: `${bank.bic.slice(0, 8)}-BULK-${f + 1}`,
          firstNumber: f * 1000 + 1, maxAmountMinor: 500_000,
        }), ...(b === 0 && f === 1 ? { corrupt: 'iban' as const } : {}), ...(b === 2 && f === 1 ? { corrupt: 'ctrlsum' as const } : {}) });
      }
    });
    // Banque D also sends a file of large payments that takes it past its 50,000.00 cap.
    files.push({ sender: 'BANKBEBBXXX', model: bulkCreditTransfer({
      seed: 4242, sender: DEMO_BANKS[3]!, receivers: [DEMO_BANKS[0]!, DEMO_BANKS[1]!], transactionCount: 60,
      settlementDate: '2026-11-26', createdAt: '2026-11-26T08:31:00Z', messageId: 'BANKBEBB-BIG-1', firstNumber: 5001, maxAmountMinor: 2_000_000,
    }) });
    // The second currency: Banks A–D also clear SEK (Banca E holds EUR only): one SEK file each from
    // A, B and C among A–D, and one from A to Banca E, refused AM03 (its creditor agent does not hold SEK).
    const sekBanks = DEMO_BANKS.slice(0, 4);
    sekBanks.slice(0, 3).forEach((bank, b) => {
      files.push({ sender: bank.bic, model: bulkCreditTransfer({
        seed: 6000 + b, sender: bank, receivers: sekBanks.filter((x) => x !== bank), transactionCount: 100, currency: 'SEK',
        settlementDate: '2026-11-26', createdAt: '2026-11-26T08:32:00Z', messageId: `${bank.bic.slice(0, 8)}-SEK-1`,
        firstNumber: 7001, maxAmountMinor: 5_000_000,
      }) });
    });
    files.push({ sender: 'BANKDEFFXXX', model: bulkCreditTransfer({
      seed: 6100, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[4]!], transactionCount: 3, currency: 'SEK',
      settlementDate: '2026-11-26', createdAt: '2026-11-26T08:33:00Z', messageId: 'BANKDEFF-SEK-TO-E', firstNumber: 7201,
    }) });
    const intake: Array<[string, string, string, string]> = [];
    for (const file of files) {
      let xml = buildPacs008(file.model);
      if (file.corrupt === 'iban') xml = xml.replace(/(<CdtrAcct>\s*<Id>\s*<IBAN>[A-Z]{2})\d{2}/, '$100');
      if (file.corrupt === 'ctrlsum') xml = xml.replace(/<CtrlSum>[^<]+<\/CtrlSum>/, '<CtrlSum>1.00</CtrlSum>');
      const result = await submitFrom(file.sender, `${file.model.groupHeader.messageId}.xml`, xml);
      intake.push([file.model.groupHeader.messageId, file.sender, result.status, [...new Set(result.report.findings.map((f) => f.code))].join(' ') || '-']);
    }
    log(table(['message', 'sender', 'status', 'reason codes'], intake));
    // A future-dated file: Bank A pays Banque D on the next business day (Friday 27 November).
    const future = bulkCreditTransfer({
      seed: 8100, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[3]!], transactionCount: 3, settlementDate: NEXT_BUSINESS_DAY,
      createdAt: '2026-11-26T08:34:00Z', messageId: 'BANKDEFF-FUTURE-1', firstNumber: 8101, maxAmountMinor: 300_000,
    });
    const futureResult = await submitFrom('BANKDEFFXXX', 'BANKDEFF-FUTURE-1.xml', buildPacs008(future));
    const futureIds = future.transactions.map((t) => t.paymentIdentification.transactionId!);
    const warehoused = await engine.warehousedPayments(futureIds);
    log(`   future-dated: BANKDEFF-FUTURE-1 (${future.transactions.length} payments dated ${NEXT_BUSINESS_DAY}) ${futureResult.status}; ` +
      `${warehoused} warehoused, in no cycle of ${DEMO_DATE}`);
    const realtime = await runRealtime(engine, submitFrom, [...banks.values()], clock, dispatch);
    scripted = false;
    log(`   real-time: ${realtime.sent} sent; ${realtime.committed} committed, ${realtime.rejectedByCreditor} rejected by the creditor bank, ` +
      `${realtime.timedOut} timed out (AB05), ${realtime.refused} refused over headroom (AM04)`);
    summary.cycle1 = { files: intake, realtime, futureDated: { message: 'BANKDEFF-FUTURE-1', status: futureResult.status, warehoused } };

    // 3. Cut-off, netting with unwind, settlement.
    step('cycle 1 cut-off and settlement', '3. Cut-off of cycle 1: netting, unwind, settlement');
    clock.advance(60 * 60 * 1000);
    const cycle1 = (await engine.closeCycle())!;
    await settle();
    const unwound = await engine.unwoundByDebtor(cycle1);
    log(`   unwound for a cap breach (AM23): ${unwound.map((u) => `${u.n} payments of ${u.bic}`).join(', ') || 'none'}`);
    tables.push(await positionsTable(engine, cycle1, names));
    log(formatPositions(tables[tables.length - 1]!));

    // From here on, Bank A's payment events and the operators' alerts go to a webhook receiver (delivered in step 8).
    const notifications = await startNotificationsDemo(engine, { out: outAbsolute, operator: DEMO_OPERATOR, fileMode: PRIVATE_FILE_MODE, directoryMode: PRIVATE_DIRECTORY_MODE, log });

    // 4. Cycle 2: exceptions.
    step('cycle 2', '4. Cycle 2: a return, a recall, a status request, a recall before settlement, a settlement refused and resolved');
    const exceptions = await runExceptions(engine, submitFrom, files, clock);
    log(`   ${exceptions.join('; ')}`);
    // Bank C pays Bank A and Banque D in cycle 2, then recalls one of those payments before the cut-off: the
    // switch cancels it itself (camt.029 CNCL to Bank C), the creditor bank never hears of it.
    const late = bulkCreditTransfer({
      seed: 8200, sender: DEMO_BANKS[2]!, receivers: [DEMO_BANKS[0]!, DEMO_BANKS[3]!], transactionCount: 20, settlementDate: DEMO_DATE,
      createdAt: '2026-11-26T09:40:00Z', messageId: 'BANKNL2A-CYCLE2-1', firstNumber: 8201, maxAmountMinor: 2_000_000,
    });
    const lateResult = await submitFrom('BANKNL2AXXX', 'BANKNL2A-CYCLE2-1.xml', buildPacs008(late));
    const recalledEarly = late.transactions[0]!;
    const recallEarly = await submitFrom('BANKNL2AXXX', 'BANKNL2A-RECALL-1.xml', buildCamt056({
      assignment: { id: 'BANKNL2A-ASSGN-1', assigner: 'BANKNL2AXXX', assignee: SWITCH_BIC, creationDateTime: isoDateTime(clock.now()) },
      case: { id: 'BANKNL2A-CASE-1', creator: 'BANKNL2AXXX' },
      underlying: [{ transactions: [{ originalTransactionId: recalledEarly.paymentIdentification.transactionId, originalUetr: recalledEarly.paymentIdentification.uetr,
        originalEndToEndId: recalledEarly.paymentIdentification.endToEndId, reasons: [{ reason: { code: 'DUPL' }, additionalInformation: [] }] }] }],
    }));
    await dispatch();
    const cancelled = mailboxes.outbound('BANKNL2AXXX').filter((f) => f.startsWith('camt.029'))
      .some((f) => /<Conf>CNCL<\/Conf>/.test(mailboxes.read('BANKNL2AXXX', 'outbound', f).toString('utf8')));
    log(`   BANKNL2A-CYCLE2-1 (${late.transactions.length} payments) ${lateResult.status}; recall case BANKNL2A-CASE-1 of ` +
      `${recalledEarly.paymentIdentification.transactionId} before cut-off: ${recallEarly.status}, ` +
      `${cancelled ? 'cancelled by the switch (camt.029 CNCL to BANKNL2AXXX), never sent to ' + recalledEarly.creditorAgent : 'NOT cancelled'}`);
    // Banque B pays Bank A in real time (committed by Bank A); its settlement account at the agent then
    // holds only 1,000.00 EUR: its pacs.009 is refused (AM04) and, with nothing of it to unwind (committed
    // real-time payments are final), the cycle is PARTIALLY_SETTLED until the operator resolves it.
    for (let i = 0; i < 3; i++) {
      const model = bulkCreditTransfer({
        seed: 8300 + i, sender: DEMO_BANKS[1]!, receivers: [DEMO_BANKS[0]!], transactionCount: 1, settlementDate: DEMO_DATE,
        createdAt: '2026-11-26T09:41:00Z', messageId: `BANKFRPP-INST-C2-${i + 1}`, localInstrument: 'INST', firstNumber: 8301 + i,
        maxAmountMinor: 900_000,
      });
      await submitFrom('BANKFRPPXXX', `${model.groupHeader.messageId}.xml`, buildPacs008({ ...model,
        groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined } }));
    }
    await dispatch();
    await banks.get('BANKDEFFXXX')!.answerRealtime();
    await dispatch();
    agent.setBalance(DEFAULTER, 'EUR', SHORT_BALANCE_MINOR);
    clock.advance(60 * 60 * 1000);
    const cycle2 = (await engine.closeCycle())!;
    await settle();
    const refused = await positionsTable(engine, cycle2, names);
    const debit = -((await engine.positions(cycle2))!.positions.find((p) => p.bic === DEFAULTER && p.currency === 'EUR')?.net_minor ?? 0n);
    log(`   settlement: ${DEFAULTER}'s account at the agent holds ${formatAmount(SHORT_BALANCE_MINOR, 'EUR')} EUR, its debit of ` +
      `${formatAmount(debit, 'EUR')} EUR is refused (pacs.002 RJCT AM04): cycle ${cycle2} ${refused.state}`);
    // The operator has Banque B fund its account and re-instructs, recorded first (who, why) by the engine.
    agent.fund(DEFAULTER, 'EUR', debit);
    const resolution = await engine.resolveSettlement(cycle2, 'reinstruct', { actor: DEMO_OPERATOR, reason: `${DEFAULTER} funded its EUR settlement account (demo)` });
    await settle();
    const resolved = await positionsTable(engine, cycle2, names);
    log(`   resolved by ${DEMO_OPERATOR} (operator action ${resolution.actionId}: settlement.resolve reinstruct): cycle ${cycle2} ${resolved.state}`);
    tables.push(resolved);
    log(formatPositions(tables[tables.length - 1]!));
    summary.cycle2 = { exceptions, recallBeforeSettlement: { case: 'BANKNL2A-CASE-1', cancelled }, settlementRefused: refused.state, resolvedState: resolved.state };

    // 5. Risk management: limits, screening, a freeze, a score, payee verification (switch/demo/risk.ts).
    step('risk', '5. Risk management: a limit breach, a screening hit held and released, a frozen account, a high score, payee verification');
    const risk = await riskDemo(engine, mailboxes, { submitFrom, dispatch, operator: DEMO_OPERATOR,
      answerRealtime: async () => { for (const bank of banks.values()) await bank.answerRealtime(); } });
    log(risk.text);
    summary.risk = risk;

    // 6. The next business day: the future-dated payments settle in its first cycle.
    step('next business day', `6. The next business day (${NEXT_BUSINESS_DAY}): the future-dated payments in its first cycle`);
    const beforeClose = new Set(mailboxes.outbound('BANKDEFFXXX'));
    clock.set(DEMO_ROLL);
    const lastThursday = (await engine.closeCycle())!;
    await settle();
    summary.dayClose = await writeDayClose(engine, outAbsolute, DEMO_DATE, { fileMode: PRIVATE_FILE_MODE, directoryMode: PRIVATE_DIRECTORY_MODE, log });
    clock.set(NEXT_DAY_MORNING);
    const friday = (await engine.closeCycle())!;
    await settle();
    const fridayTable = await positionsTable(engine, friday, names);
    // The score-held payment of step 5 was never decided: the close rejected it AB01 (read from Bank A's mailbox).
    const stillHeld = risk.payments.filter((p) => p.told === 'PDNG');
    const heldAtClose = heldOutcomesAfterClose(mailboxes, beforeClose, stillHeld);
    summary.heldAtClose = heldAtClose;
    if (heldAtClose.length > 0) log(`   Held payments not decided within ${DEMO_DATE}, rejected at its close (Bank A's pacs.002): ${heldAtClose.join('; ')}`);
    log(`   ${DEMO_DATE}'s last cycle ${lastThursday} cut off at the day roll; BANKDEFF-FUTURE-1 settled in cycle ${friday}:`);
    tables.push(fridayTable);
    log(formatPositions(fridayTable));

    // 6. The audit ledger: checkpoints published to every mailbox, a participant's proof checked (switch/demo/audit.ts).
    step('audit ledger', '7. The audit ledger: the day\'s signed checkpoints published to every participant, and a proof checked');
    const proven = files.find((f) => f.sender === 'BANKDEFFXXX' && f.corrupt === undefined)!;
    summary.audit = await demoAudit(engine, { out: outAbsolute, prover: { participant: proven.sender, messageId: proven.model.groupHeader.messageId }, dispatch, log });

    step('notifications', '8. Notifications: Bank A\'s payment events and the operators\' alerts delivered by webhook, signatures checked');
    summary.notifications = await notifications.finish();

    const states = await engine.paymentStateCounts();
    const messages = await engine.messageDirectionCounts();
    summary.paymentStates = Object.fromEntries(states.map((s) => [s.state, s.n]));
    summary.messages = Object.fromEntries(messages.map((m) => [m.direction, m.n]));
    summary.positions = tables;
    summary.seconds = Number(((performance.now() - started) / 1000).toFixed(1));
    log(`Payments by final state: ${states.map((s) => `${s.state} ${s.n}`).join(', ')}`);
    log(`Messages: ${messages.map((m) => `${m.n} ${m.direction === 'in' ? 'received' : 'sent'}`).join(', ')}; all under ${options.out}/`);
    writeFileSync(join(outAbsolute, 'README.txt'), evidenceReadme(config.settlementAgent!.bic, SWITCH_BIC), { mode: PRIVATE_FILE_MODE });
    step('summary', '');
    summary.store = join(outAbsolute, 'db');
    summary.config = schemeFile;
    log(`Done in ${summary.seconds} s.`);
    log(`\nThe demo's store and scheme are in ${options.out}/. Try next:\n` +
      `  clearhouse cycle list --config ${schemeFile}\n` +
      `  clearhouse positions --config ${schemeFile}\n` +
      `  ls ${join(options.out, 'mailboxes')}   # every message, per bank`);
    if (options.json) process.stdout.write(JSON.stringify(summary, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
    return 0;
  } finally {
    await engine.close();
    await xsd.close();
  }
}

type SubmitFrom = (sender: string, fileName: string, xml: string) => Promise<{ status: string }>;

/** DIR/README.txt: how an outsider checks the settlement agent's books from the files alone. */
function evidenceReadme(agentBic: string, switchBic: string): string {
  return `What \`clearhouse demo\` left here
==============================

scheme.json, db/     the demo's scheme and store (clearhouse cycle list / positions --config scheme.json)
front-door/          the sample files of step 1 and the switch's answer to each
mailboxes/<BIC>/     every message of every party of the day, one file each:
  outbound/            what the switch delivered to the party and it has not handled
  archive/out-*        what the switch delivered and the party handled
  archive/*            (any other name) what the party sent to the switch
statements/<date>/   each participant's camt.053 of the closed business day (<BIC>_<CCY>.camt.053.xml):
                     CLBD = OPBD + its entries; its entries C<cycle>-A<attempt>-<BIC>-<CCY> are the
                     agent's ACSC-booked pacs.009 below, sign reversed (docs/reports.md, "Statements")
reports/<date>/      the day's reconciliation and regulator statistics: csv, json, html, pdf
mailboxes/${agentBic}/   the settlement agent: archive/out-pacs.009.001.08_* are the settlement
                     instructions it received, archive/answer-pacs.009.001.08_* its pacs.002 answers
                     (the answer to out-X is answer-X; its OrgnlMsgId is the instruction's MsgId)

Reconciling the settlement agent's books from these files
---------------------------------------------------------
1. Each pacs.009 moves one participant's settlement account: Dbtr = participant and
   Cdtr = ${switchBic} (the clearing house's technical account) is a debit of IntrBkSttlmAmt,
   Dbtr = ${switchBic} and Cdtr = participant a credit. Its InstrId is C<cycle>-A<attempt>-<BIC>-<CCY>.
2. Match each pacs.009 to its pacs.002 answer (OrgnlMsgId = the pacs.009's MsgId). Only an answer
   with TxSts ACSC booked it; RJCT (e.g. AM04, insufficient funds) booked nothing, and that
   participant is instructed again in a later attempt (A2, ...) of the same cycle, for the rest only.
3. Per participant, cycle and currency, the sum of the ACSC-booked amounts (credits positive,
   debits negative) is its net position in that cycle; each instruction is booked once.
4. Per cycle and currency the net positions of all participants sum to 0.
5. Each participant can check its own figure: the camt.054 in its folder for that cycle (NtryRef
   CYCLE-<cycle>, CdtDbtInd CRDT/DBIT, Amt) states the same net position; the bulk pacs.008 files
   it received carry the payments of the cycle credited to it.

A payment recalled before settlement (camt.056 answered by camt.029 CNCL) appears in no creditor's
folder; a future-dated payment is in no file of a cycle before its IntrBkSttlmDt.
`;
}

async function runRealtime(engine: Engine, submitFrom: SubmitFrom, banks: readonly BankSimulator[], clock: ManualClock, dispatch: () => Promise<void>) {
  let sent = 0;
  for (let i = 0; i < 200; i++) {
    const sender = DEMO_BANKS[i % 5]!;
    const receiver = DEMO_BANKS[(i + 1 + (i % 3)) % 5]!;
    const model = bulkCreditTransfer({
      seed: 70_000 + i, sender, receivers: [receiver], transactionCount: 1, settlementDate: '2026-11-26',
      createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-INST-${i + 1}`, localInstrument: 'INST',
      // Banque D's real-time payments are large: some no longer fit its headroom and are refused.
      maxAmountMinor: sender.bic === 'BANKBEBBXXX' ? 3_000_000 : 100_000,
    });
    const single = { ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined } };
    await submitFrom(sender.bic, `${model.groupHeader.messageId}.xml`, buildPacs008(single));
    sent++;
  }
  await dispatch();
  // Each creditor bank accepts most payments, rejects every 13th and never answers every 17th.
  for (const bank of banks) await bank.answerRealtime();
  await dispatch();
  clock.advance(25_000);
  await engine.sweep();
  await dispatch();
  return { sent, ...(await engine.realtimeOutcomes()) };
}

async function runExceptions(engine: Engine, submitFrom: SubmitFrom, files: ReadonlyArray<{ sender: string; model: Pacs008 }>, clock: ManualClock): Promise<string[]> {
  const done: string[] = [];
  const now = () => isoDateTime(clock.now());
  // A settled payment from Bank A to whoever received it, returned in full by the creditor bank.
  const settled = await engine.firstSettledBatchPayment('BANKDEFFXXX');
  if (settled) {
    const xml = buildPacs004({
      groupHeader: { messageId: `${settled.creditor_agent.slice(0, 8)}-RET-1`, creationDateTime: now(), numberOfTransactions: '1',
        settlementInformation: { method: 'CLRG' }, instructingAgent: settled.creditor_agent, instructedAgent: SWITCH_BIC },
      transactions: [{ returnId: `${settled.creditor_agent.slice(0, 8)}-RET-1-1`, originalTransactionId: settled.transaction_id, originalUetr: settled.uetr,
        originalEndToEndId: settled.end_to_end_id, returnedInterbankSettlementAmount: { currency: settled.currency, value: formatAmount(settled.amount_minor, settled.currency) },
        returnReasons: [{ reason: { code: 'AC04' } }] }],
    });
    const result = await submitFrom(settled.creditor_agent, `${settled.creditor_agent.slice(0, 8)}-RET-1.xml`, xml);
    done.push(`return of ${settled.transaction_id} by ${settled.creditor_agent}: ${result.status}`);
  }
  // Bank B recalls one of its settled payments; the creditor bank refuses (the money is gone).
  const recalled = files.find((f) => f.sender === 'BANKFRPPXXX')!.model.transactions[5]!;
  const caseId = 'BANKFRPP-CASE-1';
  const recall = buildCamt056({
    assignment: { id: 'BANKFRPP-ASSGN-1', assigner: 'BANKFRPPXXX', assignee: SWITCH_BIC, creationDateTime: now() },
    case: { id: caseId, creator: 'BANKFRPPXXX' },
    underlying: [{ transactions: [{ originalTransactionId: recalled.paymentIdentification.transactionId, originalUetr: recalled.paymentIdentification.uetr,
      originalInterbankSettlementAmount: recalled.interbankSettlementAmount, reasons: [{ reason: { code: 'DUPL' }, additionalInformation: [] }] }] }],
  });
  const recallResult = await submitFrom('BANKFRPPXXX', 'BANKFRPP-RECALL-1.xml', recall);
  const answer = buildCamt029({
    assignment: { id: `${recalled.creditorAgent.slice(0, 8)}-ANS-1`, assigner: recalled.creditorAgent, assignee: SWITCH_BIC, creationDateTime: now() },
    resolvedCase: { id: caseId, creator: 'BANKFRPPXXX' }, status: 'RJCR',
    cancellationDetails: [{ transactions: [{ originalTransactionId: recalled.paymentIdentification.transactionId, reasons: [] }] }],
  });
  const answerResult = await submitFrom(recalled.creditorAgent, `${recalled.creditorAgent.slice(0, 8)}-ANS-1.xml`, answer);
  done.push(`recall case ${caseId}: request ${recallResult.status}, answer ${answerResult.status} (refused by ${recalled.creditorAgent})`);
  // Bank B asks for the status of the recalled payment.
  const request = buildPacs028({
    groupHeader: { messageId: 'BANKFRPP-STSREQ-1', creationDateTime: now(), instructingAgent: 'BANKFRPPXXX', instructedAgent: SWITCH_BIC },
    originalGroups: [], transactions: [{ originalTransactionId: recalled.paymentIdentification.transactionId }],
  });
  await submitFrom('BANKFRPPXXX', 'BANKFRPP-STSREQ-1.xml', request);
  done.push('status request answered (pacs.002)');
  return done;
}

async function positionsTable(engine: Engine, cycleId: bigint, names: ReadonlyMap<string, string>): Promise<PositionsTable> {
  const result = (await engine.positions(cycleId))!;
  return {
    cycle: `${result.cycle.id} (${result.cycle.businessDate} #${result.cycle.sequence})`,
    state: result.cycle.state,
    rows: result.positions.map((p) => ({ bic: p.bic, name: names.get(p.bic) ?? '', currency: p.currency, net: formatSignedAmount(p.net_minor, p.currency) })),
  };
}


function formatPositions(t: PositionsTable): string {
  return `   cycle ${t.cycle}: ${t.state}\n` +
    table(['participant', 'name', 'net position', 'ccy'], t.rows.map((r) => [r.bic, r.name, r.net, r.currency]), [2]);
}

function table(header: string[], rows: string[][], rightAligned: number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '   ' + cells.map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
