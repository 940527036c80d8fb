/**
 * One seeded scheme day (docs/simulation.md): banks send batch files and real-time payments in two
 * currencies, creditors accept, reject or never answer, returns, recalls and status requests follow,
 * and faults drawn from the seed strike; cycles are cut off and settled by a settlement agent with
 * books (books.ts). Everything is driven by one PRNG (Mulberry32, switch/demo/generate.ts) and a
 * ManualClock: the same seed gives the same bytes in every mailbox. The judge (judge.ts) then checks
 * the day from the messages and the agent's books only.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkConfig, type SchemeConfig } from '../config.ts';
import { Engine } from '../engine/engine.ts';
import { ManualClock } from '../clock.ts';
import { DirectoryMailboxes } from '../../connectors/directory.ts';
import { contentBytes, type OutboundMessage } from '../engine/transport.ts';
import { BankSimulator, type BankAnswer } from '../demo/simulators.ts';
import { bulkCreditTransfer, DEMO_BANKS, random, type Bank } from '../demo/generate.ts';
import { build as buildPacs008, parseXml as parsePacs008, type Pacs008 } from '../iso/messages/pacs.008.001.08/index.ts';
import { build as buildPacs004 } from '../iso/messages/pacs.004.001.09/index.ts';
import { build as buildPacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { build as buildPacs028 } from '../iso/messages/pacs.028.001.03/index.ts';
import { build as buildCamt056 } from '../iso/messages/camt.056.001.08/index.ts';
import { build as buildCamt029 } from '../iso/messages/camt.029.001.09/index.ts';
import { isoDateTime } from '../engine/context.ts';
import type { XsdValidator } from '../validation/xsd-pool.ts';
import { AgentBooks } from './books.ts';
import { judge, type Delivery, type JudgeInput, type Verdict } from './judge.ts';
import { DEFAULT_FAULTS, type FaultName } from './faults.ts';
import { RemoteEngine, type CrashPlan, type CrashReport, type DayEngine } from './remote-engine.ts';
import { crashPoints, type CrashPoint } from '../engine/crash.ts';

export type { Delivery } from './judge.ts';

export const SWITCH_BIC = 'CLHSDEFFXXX';
/** Payments over the day unless --payments says otherwise. */
export const DEFAULT_PAYMENTS = 60;
export const AGENT_BIC = 'MARKDEFFXXX';
/** A Thursday, a business day of the simulated scheme; the clock moves only when the day says so. */
const DAY = '2026-11-26';
/** The next business day (a Friday): the date of the future-dated traffic. */
const NEXT_DAY = '2026-11-27';
const START = '2026-11-26T07:30:00Z';

export interface SimulationOptions {
  readonly seed: number;
  readonly banks?: number;
  readonly payments?: number;
  readonly faults?: ReadonlySet<FaultName>;
  /** Every message of every party is written under `${out}/mailboxes/<BIC>/`. */
  readonly out: string;
  readonly databaseUrl?: string;
  readonly xsd?: XsdValidator;
  readonly progress?: (line: string) => void;
  /** With the crash fault: where the switch process dies, in place of the seed's choice (tests go over every crash point). */
  readonly crash?: CrashPlan;
  /** Tests only: what goes wrong after the switch process died, before it starts again (to show that the judge sees it). */
  readonly brokenRestart?: (report: CrashReport, mailboxes: DirectoryMailboxes) => void | Promise<void>;
}

export interface SimulationResult {
  readonly seed: number;
  readonly verdict: Verdict;
  readonly counts: Record<string, number>;
  /** SHA-256 over every file under --out (name and bytes): equal for equal seeds. */
  readonly digest: string;
  /** What the judge read (tests tamper with it to show the judge catches a broken invariant). */
  readonly judged: JudgeInput;
  /** With the crash fault: where the switch process was to die, and whether it did (and was started again). */
  readonly crash?: CrashReport;
}

/**
 * Passes of each crash point it is drawn from (1 to this), below what a default day makes (measured over
 * seeds 1..20: docs/simulation.md), so that the switch nearly always dies there.
 */
const CRASH_OCCURRENCE_MAX: Record<CrashPoint, number> = {
  'intake.before-commit': 50, 'intake.after-commit': 50, 'cut-off.after-commit': 2, 'netting.before-commit': 2,
  'settlement.after-instructions': 2, 'settlement.mid-answers': 10, 'dispatch.after-deliver': 140,
};

/**
 * The seed's crash (or, with `point`, the seed's pass of that point): drawn from its own PRNG, so that the
 * day's traffic is the same with the crash fault on or off.
 */
export function crashPlanOf(seed: number, point?: CrashPoint): CrashPlan {
  const next = random(seed * 104_729 + 29);
  const drawn = crashPoints[Math.floor(next() * crashPoints.length)]!;
  const at = point ?? drawn;
  return { point: at, occurrence: 1 + Math.floor(next() * CRASH_OCCURRENCE_MAX[at]) };
}

const encoder = new TextEncoder();

export async function simulateDay(options: SimulationOptions): Promise<SimulationResult> {
  const next = random(options.seed * 7919 + 17);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const chance = (p: number): boolean => next() < p;
  const faults = options.faults ?? new Set(DEFAULT_FAULTS);
  const on = (f: FaultName): boolean => faults.has(f);
  const bankCount = Math.min(5, Math.max(2, options.banks ?? 4));
  const paymentBudget = Math.max(10, options.payments ?? DEFAULT_PAYMENTS);
  const banks = DEMO_BANKS.slice(0, bankCount);
  // The last bank of five holds EUR only; with fewer, all hold both.
  const holdsSek = (b: Bank): boolean => bankCount < 5 || b !== banks[4];
  const lowCap = on('cap-breach') ? pick(banks) : undefined;
  const returnLowCap = on('return-unwind') ? banks.find((b) => b !== lowCap) : undefined;
  const config = schemeFor(banks, holdsSek, lowCap, returnLowCap, on('queue'));
  const short = on('settlement-rejection') ? pick(banks) : undefined;

  rmSync(options.out, { recursive: true, force: true });
  mkdirSync(options.out, { recursive: true });
  const clock = new ManualClock(START);
  const mailboxes = new DirectoryMailboxes(join(options.out, 'mailboxes'));
  const counts: Record<string, number> = {};
  const count = (k: string, n = 1): void => { counts[k] = (counts[k] ?? 0) + n; };
  // The crash fault: the switch in a child process that dies at a crash point and is started again on the same
  // store (PostgreSQL schema, or a PGlite directory under --out, not in memory: it must outlive the process).
  const remote = on('crash')
    ? await RemoteEngine.open({ config, ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : { dataDirectory: join(options.out, STORE) }) },
      clock, options.crash ?? crashPlanOf(options.seed), async (report) => { await options.brokenRestart?.(report, mailboxes); })
    : undefined;
  const engine: DayEngine = remote ?? await Engine.open({ config, clock, xsd: options.xsd, databaseUrl: options.databaseUrl, log: () => {} });
  const deliveries: Delivery[] = [];
  let phase = 1;
  const outage = new Set<string>();
  const deliver = async (m: OutboundMessage): Promise<void> => {
    if (outage.has(m.recipient)) throw new Error(`connector outage: ${m.recipient} unreachable`);
    // The log holds what the recipient sees: a message delivered again while its first copy still waits in the
    // recipient's outbound/ (a dispatcher that died before it recorded the delivery) is the same file, written once.
    if (mailboxes.outbound(m.recipient).includes(m.fileName)) { count('deliveries repeated onto the waiting file'); return; }
    deliveries.push({ phase, recipient: m.recipient, fileName: m.fileName, sha256: createHash('sha256').update(await contentBytes(m.content)).digest('hex') });
    await mailboxes.deliver(m);
  };
  const dispatch = async (): Promise<void> => {
    for (let round = 0; round < 100 && (await engine.dispatch(deliver, 1000)) > 0; round++) { /* until quiet */ }
  };
  const opening = new Map<string, bigint>();
  for (const b of banks) for (const c of ['EUR', 'SEK']) opening.set(`${b.bic} ${c}`, b === short ? 0n : 10n ** 13n);
  const agent = new AgentBooks(engine, mailboxes, AGENT_BIC, opening);
  const answers = new Map<string, BankAnswer | 'late'>();
  const creditors = new Map(banks.map((b) => [b.bic, new BankSimulator(engine, mailboxes, b.bic, (id) => { const a = answers.get(id) ?? 'accept'; return a === 'late' ? 'silent' : a; })]));
  const now = (): string => isoDateTime(clock.now());
  const submit = async (sender: string, name: string, bytes: Uint8Array): Promise<void> => {
    mailboxes.put(sender, name, bytes);
    const result = await engine.submit({ bytes, sender, fileName: name });
    mailboxes.archive(sender, name);
    count(`intake ${result.replay ? 'replay' : result.status}`);
  };
  const submitted: Array<{ sender: string; name: string; bytes: Uint8Array }> = [];
  const cycles = 2 + Math.floor(next() * 2);
  // The suspend fault: one participant suspended in one cycle (after that cycle's batch files) and resumed.
  const suspendIn = on('suspend') ? 1 + Math.floor(next() * cycles) : 0;
  const operator = (reason: string) => ({ actor: 'simulated-operator', reason });
  const say = options.progress ?? (() => {});
  let fileNumber = 0;
  const phaseCycles = new Map<number, string>();
  /**
   * The simulated operator of a PARTIALLY_SETTLED cycle (the agent refused an instruction, AM04), as a real one
   * would: either the defaulter funds its settlement account at the agent and the cycle is re-instructed, or
   * the defaulter's payments are unwound — chosen by the seed; recorded operator actions (docs/simulation.md).
   */
  const resolveRefused = async (cycleId: bigint): Promise<void> => {
    // Read like `cycle status`: only a cycle the agent left PARTIALLY_SETTLED needs the operator.
    const cycle = (await engine.cycles()).find((c) => c.id === cycleId);
    if (cycle?.state !== 'PARTIALLY_SETTLED') return;
    const refused = agent.ledger.filter((e) => e.cycle === cycleId.toString() && e.status === 'RJCT');
    const reinstruct = chance(0.5);
    if (reinstruct) for (const e of refused) agent.fund(e.participant, e.currency, -e.amountMinor);
    await engine.resolveSettlement(cycleId, reinstruct ? 'reinstruct' : 'unwind-defaulter',
      { actor: 'simulated-operator', reason: `settlement agent refused ${refused.map((e) => e.transactionId).join(', ')} (AM04)` });
    count(`operator ${reinstruct ? 'reinstruct' : 'unwind-defaulter'}`);
    await dispatch();
    for (let round = 0; round < 10 && (await agent.answerAll()) > 0; round++) await dispatch();
    await engine.sweep();
    await dispatch();
  };
  try {
    for (phase = 1; phase <= cycles; phase++) {
      say(`seed ${options.seed}: cycle ${phase}/${cycles}`);
      const perCycle = Math.ceil(paymentBudget / cycles);
      const thisCycle: Pacs008[] = [];
      // Batch files: each bank 0–2 files, in EUR, or SEK among the banks that hold it.
      let batchLeft = Math.ceil(perCycle * 0.7);
      for (const sender of banks) {
        const files = Math.floor(next() * 3);
        for (let f = 0; f < files && batchLeft > 0; f++) {
          const sek = holdsSek(sender) && chance(0.4);
          const receivers = banks.filter((b) => b !== sender && (!sek || holdsSek(b)));
          if (receivers.length === 0) continue;
          const n = Math.max(1, Math.min(batchLeft, 1 + Math.floor(next() * 12)));
          batchLeft -= n;
          const id = `${sender.bic.slice(0, 8)}-B${String(++fileNumber).padStart(4, '0')}`;
          const model = bulkCreditTransfer({ seed: options.seed * 1000 + fileNumber, sender, receivers, transactionCount: n, currency: sek ? 'SEK' : 'EUR',
            settlementDate: DAY, createdAt: now(), messageId: id, maxAmountMinor: sender === lowCap ? 5_000_000 : 500_000 });
          const bytes = encoder.encode(buildPacs008(model));
          await submit(sender.bic, `${id}.xml`, bytes);
          submitted.push({ sender: sender.bic, name: `${id}.xml`, bytes });
          thisCycle.push(model);
          if (on('duplicate-file') && chance(0.15)) { await submit(sender.bic, `${id}.xml`, bytes); count('fault duplicate-file'); }
        }
      }
      // Future-dated traffic: a batch file dated the next business day. The simulated day ends before the
      // day roll, so it is warehoused: accepted, never in today's bulk files nor settled today (the judge).
      if (on('future-dated') && chance(0.6)) {
        const sender = pick(banks);
        const receivers = banks.filter((b) => b !== sender);
        const id = `${sender.bic.slice(0, 8)}-F${String(++fileNumber).padStart(4, '0')}`;
        const model = bulkCreditTransfer({ seed: options.seed * 1000 + fileNumber, sender, receivers, transactionCount: 1 + Math.floor(next() * 4), currency: 'EUR',
          settlementDate: NEXT_DAY, createdAt: now(), messageId: id, maxAmountMinor: 500_000 });
        await submit(sender.bic, `${id}.xml`, encoder.encode(buildPacs008(model)));
        count('future-dated files');
      }
      if (phase === suspendIn) {
        // A participant suspended mid-day: what it sends meanwhile is refused AG10 (message ids -S…, judged).
        const suspended = pick(banks);
        await engine.suspendParticipant(suspended.bic, operator('simulated: participant suspended mid-day'));
        count('fault suspend');
        const receivers = banks.filter((b) => b !== suspended);
        const fileId = `${suspended.bic.slice(0, 8)}-S${String(++fileNumber).padStart(4, '0')}`;
        const batch = bulkCreditTransfer({ seed: options.seed * 1000 + fileNumber, sender: suspended, receivers, transactionCount: 1 + Math.floor(next() * 3), currency: 'EUR',
          settlementDate: DAY, createdAt: now(), messageId: fileId, maxAmountMinor: 500_000 });
        await submit(suspended.bic, `${fileId}.xml`, encoder.encode(buildPacs008(batch)));
        const instantId = `${suspended.bic.slice(0, 8)}-S${String(++fileNumber).padStart(4, '0')}`;
        const instant = bulkCreditTransfer({ seed: options.seed * 1000 + fileNumber, sender: suspended, receivers, transactionCount: 1, currency: 'EUR',
          settlementDate: DAY, createdAt: now(), messageId: instantId, localInstrument: 'INST', maxAmountMinor: 200_000 });
        await submit(suspended.bic, `${instantId}.xml`, encoder.encode(buildPacs008({ ...instant,
          groupHeader: { ...instant.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined } })));
        // And a real-time payment to it from another participant: refused AG10 as well (creditor agent suspended).
        const payer = pick(receivers);
        const toId = `${payer.bic.slice(0, 8)}-S${String(++fileNumber).padStart(4, '0')}`;
        const toSuspended = bulkCreditTransfer({ seed: options.seed * 1000 + fileNumber, sender: payer, receivers: [suspended], transactionCount: 1, currency: 'EUR',
          settlementDate: DAY, createdAt: now(), messageId: toId, localInstrument: 'INST', maxAmountMinor: 200_000 });
        await submit(payer.bic, `${toId}.xml`, encoder.encode(buildPacs008({ ...toSuspended,
          groupHeader: { ...toSuspended.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined } })));
        await dispatch();
        await engine.resumeParticipant(suspended.bic, operator('simulated: participant resumed'));
      }
      if (on('replayed-file') && phase > 1 && submitted.length > 0 && chance(0.5)) {
        const old = pick(submitted);
        await submit(old.sender, old.name, old.bytes);
        count('fault replayed-file');
      }
      // A connector outage: one participant unreachable while the real-time payments go out.
      const down = on('connector-outage') && chance(0.4) ? pick(banks) : undefined;
      if (down) { outage.add(down.bic); count('fault connector-outage'); }
      // Real-time payments.
      const realtime = perCycle - Math.ceil(perCycle * 0.7);
      for (let i = 0; i < realtime; i++) {
        const sender = pick(banks);
        const sek = holdsSek(sender) && chance(0.3);
        const receivers = banks.filter((b) => b !== sender && (!sek || holdsSek(b)));
        if (receivers.length === 0) continue;
        const id = `${sender.bic.slice(0, 8)}-I${String(++fileNumber).padStart(4, '0')}`;
        const model = bulkCreditTransfer({ seed: options.seed * 1000 + fileNumber, sender, receivers, transactionCount: 1, currency: sek ? 'SEK' : 'EUR',
          settlementDate: DAY, createdAt: now(), messageId: id, localInstrument: 'INST', maxAmountMinor: sender === lowCap ? 4_000_000 : 200_000 });
        const roll = next();
        answers.set(model.transactions[0]!.paymentIdentification.transactionId!,
          on('silent-creditor') && roll < 0.1 ? 'silent' : on('creditor-reject') && roll < 0.2 ? 'reject' : 'accept');
        const single: Pacs008 = { ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined } };
        await submit(sender.bic, `${id}.xml`, encoder.encode(buildPacs008(single)));
      }
      await dispatch();
      if (down) { outage.delete(down.bic); clock.advance(5_000); await dispatch(); }
      for (const bank of banks) count('creditor answers', await creditors.get(bank.bic)!.answerRealtime());
      await dispatch();
      clock.advance(25_000);
      await engine.sweep();
      await dispatch();
      if (on('late-accept')) {
        // Creditors that stayed silent answer ACCP now, after the timeout; each is answered late once.
        const silent = new Set([...answers].filter(([, a]) => a === 'silent').map(([id]) => id));
        for (const id of silent) answers.set(id, 'late');
        for (const bank of banks) count('late answers', await lateAnswers(engine, mailboxes, bank.bic, silent, clock));
        await dispatch();
      }
      // Exceptions, on payments of earlier cycles (and, as a fault, of this one).
      if (phase > 1) await exceptions({ engine, mailboxes, banks, phase, next, on, submit, now, count, settledOnly: true, lowCap });
      if (on('recall-before-settlement')) await recallUnsettled({ engine, mailboxes, banks, phase, next, on, submit, now, count, settledOnly: false }, thisCycle);
      await dispatch();
      // Cut-off, settlement.
      clock.advance(60 * 60 * 1000);
      const cycleId = await engine.closeCycle();
      if (cycleId !== undefined) phaseCycles.set(phase, cycleId.toString());
      await dispatch();
      for (let round = 0; round < 10 && (await agent.answerAll()) > 0; round++) await dispatch();
      await engine.sweep();
      await dispatch();
      if (cycleId !== undefined) await resolveRefused(cycleId);
    }
    phase = cycles + 1;
    await dispatch();
  } finally {
    await engine.close();
  }
  if (remote?.crash.restarted) count('crash restarts');
  writeFileSync(join(options.out, 'agent-books.txt'), agent.toText());
  // A dispatcher pass delivers to several recipients at a time (limits.dispatchRecipientsAtOnce), each one's
  // messages in outbox order: the log lists per cycle each recipient's deliveries in the order it got them,
  // recipients in BIC order, so that it does not depend on how the recipients' deliveries interleaved.
  const log = [...deliveries].sort((a, b) => a.phase - b.phase || (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));
  writeFileSync(join(options.out, 'deliveries.txt'), log.map((d) => `${d.phase} ${d.recipient} ${d.fileName} ${d.sha256}`).join('\n') + '\n');
  const judged: JudgeInput = { root: join(options.out, 'mailboxes'), banks: banks.map((b) => b.bic), switchBic: SWITCH_BIC, agentBic: AGENT_BIC,
    ledger: agent.ledger, deliveries: log, phaseCycles, creditorToldOfFailure: on('late-accept'), businessDate: DAY };
  return { seed: options.seed, verdict: judge(judged), counts, digest: digestOf(options.out), judged, ...(remote ? { crash: remote.crash } : {}) };
}

function schemeFor(banks: readonly Bank[], holdsSek: (b: Bank) => boolean, lowCap: Bank | undefined, returnLowCap: Bank | undefined, queue: boolean): SchemeConfig {
  return checkConfig({
    name: 'simulated scheme', currencies: ['EUR', 'SEK'], switchBic: SWITCH_BIC,
    settlementAgent: { bic: AGENT_BIC, name: 'Settlement agent', settlementAccount: 'CLHS-SETTLEMENT' },
    calendar: { timeZone: 'Europe/Berlin', cycleDayRollTime: '16:00', holidays: [], weekendDays: [6, 0] },
    cycles: ['10:00', '13:00', '16:00'],
    services: [
      { messageType: 'pacs.008', mode: 'batch' },
      { messageType: 'pacs.008', mode: 'realtime', receiverConfirmation: true, confirmationTimeoutMs: 20_000, overCap: queue ? 'queue' : 'reject' },
    ],
    participants: banks.map((b) => {
      const cap = b === lowCap ? '20000.00' : b === returnLowCap ? '1.00' : '10000000.00';
      return { bic: b.bic, name: b.name, status: 'active', currencies: holdsSek(b) ? ['EUR', 'SEK'] : ['EUR'],
        netDebitCap: holdsSek(b) ? { EUR: cap, SEK: cap } : { EUR: cap } };
    }),
  });
}

interface ExceptionContext {
  readonly engine: DayEngine;
  readonly mailboxes: DirectoryMailboxes;
  readonly banks: readonly Bank[];
  readonly phase: number;
  readonly next: () => number;
  readonly on: (f: FaultName) => boolean;
  readonly submit: (sender: string, name: string, bytes: Uint8Array) => Promise<void>;
  readonly now: () => string;
  readonly count: (k: string, n?: number) => void;
  /** True: payments received in files already fetched (settled); false: the recall-before-settlement fault. */
  readonly settledOnly: boolean;
  /** The participant with a low cap: its returns may be unwound, which only the return-unwind fault allows (issue 9 defect 6). */
  readonly lowCap?: Bank;
}

/** Returns, recalls and status requests, on payments a bank received (read from its own mailbox). */
async function exceptions(c: ExceptionContext): Promise<void> {
  for (const bank of c.banks) {
    const received = receivedBatchPayments(c.mailboxes, bank.bic, c.settledOnly);
    if (received.length === 0) continue;
    const t = received[Math.floor(c.next() * received.length)]!;
    const tag = `${bank.bic.slice(0, 8)}-X${c.phase}${c.settledOnly ? 'S' : 'U'}`;
    const mayReturn = c.on('return-unwind') || (c.on('returns') && bank !== c.lowCap);
    if (c.settledOnly && mayReturn && c.next() < 0.5) {
      const xml = buildPacs004({
        groupHeader: { messageId: `${tag}-RET`, creationDateTime: c.now(), numberOfTransactions: '1', settlementInformation: { method: 'CLRG' },
          instructingAgent: bank.bic, instructedAgent: SWITCH_BIC },
        transactions: [{ returnId: `${tag}-RET-1`, originalTransactionId: t.paymentIdentification.transactionId, originalUetr: t.paymentIdentification.uetr,
          originalEndToEndId: t.paymentIdentification.endToEndId, returnedInterbankSettlementAmount: t.interbankSettlementAmount,
          returnReasons: [{ reason: { code: 'AC04' } }] }],
      });
      await c.submit(bank.bic, `${tag}-RET.xml`, encoder.encode(xml));
      c.count('returns');
    } else if (c.on(c.settledOnly ? 'recalls' : 'recall-before-settlement') && c.next() < 0.6) {
      const debtor = t.debtorAgent;
      const caseId = `${debtor.slice(0, 8)}-C${c.phase}${c.settledOnly ? 'S' : 'U'}-${bank.bic.slice(0, 4)}`;
      await c.submit(debtor, `${caseId}-REQ.xml`, encoder.encode(recallOf(t, caseId, c.now())));
      c.count('recalls');
      if (c.settledOnly) {
        const answer = buildCamt029({
          assignment: { id: `${caseId}-ANS`, assigner: bank.bic, assignee: SWITCH_BIC, creationDateTime: c.now() },
          resolvedCase: { id: caseId, creator: debtor }, status: 'RJCR',
          cancellationDetails: [{ transactions: [{ originalTransactionId: t.paymentIdentification.transactionId, reasons: [] }] }],
        });
        await c.submit(bank.bic, `${caseId}-ANS.xml`, encoder.encode(answer));
      }
    }
    if (c.settledOnly && c.on('status-requests') && c.next() < 0.3) {
      const request = buildPacs028({
        groupHeader: { messageId: `${tag}-STS`, creationDateTime: c.now(), instructingAgent: bank.bic, instructedAgent: SWITCH_BIC },
        originalGroups: [], transactions: [{ originalTransactionId: t.paymentIdentification.transactionId }],
      });
      await c.submit(bank.bic, `${tag}-STS.xml`, encoder.encode(request));
      c.count('status requests');
    }
  }
}

/** The recall-before-settlement fault: a debtor recalls one of its batch payments of the open cycle. */
async function recallUnsettled(c: ExceptionContext, thisCycle: readonly Pacs008[]): Promise<void> {
  if (thisCycle.length === 0 || c.next() < 0.3) return;
  const model = thisCycle[Math.floor(c.next() * thisCycle.length)]!;
  const t = model.transactions[Math.floor(c.next() * model.transactions.length)]!;
  const debtor = t.debtorAgent;
  const caseId = `${debtor.slice(0, 8)}-C${c.phase}U`;
  await c.submit(debtor, `${caseId}-REQ.xml`, encoder.encode(recallOf(t, caseId, c.now())));
  c.count('recalls before settlement');
}

/** The debtor agent's camt.056 recalling transaction `t` (a duplicate payment), case `caseId`. */
function recallOf(t: Pacs008['transactions'][number], caseId: string, now: string): string {
  const debtor = t.debtorAgent;
  return buildCamt056({
    assignment: { id: `${caseId}-A`, assigner: debtor, assignee: SWITCH_BIC, creationDateTime: now },
    case: { id: caseId, creator: debtor },
    underlying: [{ transactions: [{ originalTransactionId: t.paymentIdentification.transactionId, originalUetr: t.paymentIdentification.uetr,
      originalInterbankSettlementAmount: t.interbankSettlementAmount, reasons: [{ reason: { code: 'DUPL' }, additionalInformation: [] }] }] }],
  });
}

/** Batch payments delivered to `bic` in bulk files (the settled ones: files delivered after settlement). */
function receivedBatchPayments(mailboxes: DirectoryMailboxes, bic: string, settledOnly: boolean) {
  if (!settledOnly) return [];
  const out = [];
  for (const file of mailboxes.outbound(bic)) {
    if (!file.startsWith('pacs.008')) continue;
    const message = parsePacs008(mailboxes.read(bic, 'outbound', file).toString('utf8'));
    for (const t of message.transactions) {
      const instrument = t.paymentTypeInformation?.localInstrument;
      if (instrument && 'code' in instrument && instrument.code === 'INST') continue;
      out.push(t);
    }
  }
  return out;
}

/** Creditors answer ACCP, after the timeout, to the real-time payments they left unanswered (fetched without answer). */
async function lateAnswers(engine: DayEngine, mailboxes: DirectoryMailboxes, bic: string, silent: ReadonlySet<string>, clock: ManualClock): Promise<number> {
  const archive = join(mailboxes.root, bic, 'archive');
  let n = 0;
  // A bank that has fetched nothing yet (it sent nothing and its deliveries are still in outbound/) has no archive.
  if (!existsSync(archive)) return 0;
  for (const name of readdirSync(archive).sort()) {
    if (!name.startsWith('out-pacs.008')) continue;
    const message = parsePacs008(readFileSync(join(archive, name), 'utf8'));
    const t = message.transactions[0]!;
    const id = t.paymentIdentification.transactionId ?? '';
    if (message.transactions.length !== 1 || !silent.has(id)) continue;
    const messageId = `${bic.slice(0, 8)}-LATE-${id.slice(0, 20)}`.slice(0, 35);
    const xml = buildPacs002({
      groupHeader: { messageId, creationDateTime: isoDateTime(clock.now()), instructingAgent: bic, instructedAgent: SWITCH_BIC },
      originalGroups: [{ originalMessageId: message.groupHeader.messageId, originalMessageNameId: 'pacs.008.001.08' }],
      transactions: [{ originalEndToEndId: t.paymentIdentification.endToEndId, originalTransactionId: id,
        ...(t.paymentIdentification.uetr ? { originalUetr: t.paymentIdentification.uetr } : {}), transactionStatus: 'ACCP' }],
    });
    const bytes = encoder.encode(xml);
    mailboxes.put(bic, `${messageId}.xml`, bytes);
    await engine.submit({ bytes, sender: bic, fileName: `${messageId}.xml` });
    mailboxes.archive(bic, `${messageId}.xml`);
    n++;
  }
  return n;
}

/** The PGlite store of a day with the crash fault, under --out (its bytes are the database's, not a party's). */
const STORE = 'store';

/** SHA-256 over every file under `root`, in name order (relative path and bytes); not the store. */
export function digestOf(root: string): string {
  const hash = createHash('sha256');
  const walk = (directory: string): void => {
    for (const name of readdirSync(directory).sort()) {
      const path = join(directory, name);
      if (directory === root && name === STORE) continue;
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  walk(root);
  return hash.digest('hex');
}
