/**
 * The judge of a simulated day (docs/simulation.md): reads only what the parties hold — the files in
 * every mailbox (what each bank sent, in archive/; what the switch delivered to it, in outbound/ and
 * archive/out-*), the delivery log of the connector, and the settlement agent's books — never the
 * switch's tables. Returns the invariants it checked and the first one broken.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseXml as parsePacs008, type Pacs008 } from '../iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parsePacs004 } from '../iso/messages/pacs.004.001.09/index.ts';
import { parseXml as parseCamt056 } from '../iso/messages/camt.056.001.08/index.ts';
import { parseXml as parseCamt029 } from '../iso/messages/camt.029.001.09/index.ts';
import { parseAmount } from '../iso/amount.ts';
import type { LedgerEntry } from './books.ts';

/** One delivery as the recorder saw it: which phase (cycle number, 1-based) and to whom. */
export interface Delivery {
  readonly phase: number;
  readonly recipient: string;
  readonly fileName: string;
  readonly sha256: string;
}

export interface JudgeInput {
  readonly root: string;
  readonly banks: readonly string[];
  readonly switchBic: string;
  readonly agentBic: string;
  readonly ledger: readonly LedgerEntry[];
  readonly deliveries: readonly Delivery[];
  /** Engine cycle id settled in each phase (1-based), as the agent's instructions name it (C<id>-…). */
  readonly phaseCycles: ReadonlyMap<number, string>;
  /** Check that the creditor of a forwarded real-time payment that then failed is told (the late-accept fault). */
  readonly creditorToldOfFailure?: boolean;
  /** The simulated business date: a payment dated later is warehoused, never settled nor delivered that day. */
  readonly businessDate?: string;
}

export interface Verdict {
  readonly ok: boolean;
  /** The first broken invariant, in words, when not ok. */
  readonly broken?: string;
  /** Every broken invariant found (at most 20). */
  readonly problems: readonly string[];
  readonly checked: Record<string, number>;
}

const INVARIANTS = {
  deliveredOnce: 'nothing delivered twice',
  creditorOnce: 'a payment reaches its creditor at most once',
  oneFinal: 'every transaction has exactly one final status to its sender',
  settledDelivered: 'a settled payment reached its creditor',
  bookedOnce: 'each settlement instruction booked once',
  settledNet: 'settled amount per cycle and currency = net of the payments delivered in that cycle',
  sumZero: 'positions sum to zero',
  creditorTold: 'the creditor of a forwarded real-time payment that failed is told so',
  recallReceived: 'a recall reaches a creditor only for a payment it received',
  futureNotToday: 'a payment dated a later business day is neither settled nor delivered today',
  suspendedRefused: 'a suspended participant\'s traffic is refused AG10',
} as const;

interface DeliveredFile { readonly name: string; readonly phase: number; readonly order: number; readonly xml: string }

function minor(value: string, currency: string): bigint {
  const parsed = parseAmount(value, currency);
  if (!parsed.ok) throw new Error(`judge: ${value} ${currency} is not an amount`);
  return parsed.minor;
}

function isInstant(t: { readonly paymentTypeInformation?: { readonly localInstrument?: { readonly code: string } | { readonly proprietary: string } } }): boolean {
  const i = t.paymentTypeInformation?.localInstrument;
  return i !== undefined && 'code' in i && i.code === 'INST';
}

export function judge(input: JudgeInput): Verdict {
  const problems: string[] = [];
  const checked: Record<string, number> = {};
  const fail = (invariant: keyof typeof INVARIANTS, detail: string): void => {
    if (problems.length < 20) problems.push(`${INVARIANTS[invariant]}: ${detail}`);
  };
  const check = (invariant: keyof typeof INVARIANTS): void => { checked[invariant] = (checked[invariant] ?? 0) + 1; };

  // 1. The connector's log: no file delivered twice to the same party.
  const phaseOf = new Map<string, number>();
  const orderOf = new Map<string, number>();
  input.deliveries.forEach((d, order) => {
    const key = `${d.recipient}/${d.fileName}`;
    check('deliveredOnce');
    if (phaseOf.has(key)) fail('deliveredOnce', `${key} delivered again in cycle ${d.phase}`);
    else { phaseOf.set(key, d.phase); orderOf.set(key, order); }
  });
  const delivered = (bic: string, prefix: string): DeliveredFile[] => {
    const files: DeliveredFile[] = [];
    for (const [side, strip] of [['outbound', ''], ['archive', 'out-']] as const) {
      const directory = join(input.root, bic, side);
      if (!existsSync(directory)) continue;
      for (const name of readdirSync(directory).sort()) {
        if (strip && !name.startsWith(strip)) continue;
        const original = name.slice(strip.length);
        if (!original.startsWith(prefix)) continue;
        files.push({ name: original, phase: phaseOf.get(`${bic}/${original}`) ?? 0, order: orderOf.get(`${bic}/${original}`) ?? -1, xml: readFileSync(join(directory, name), 'utf8') });
      }
    }
    return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };
  const sent = (bic: string, prefix: string): string[] => {
    const directory = join(input.root, bic, 'archive');
    if (!existsSync(directory)) return [];
    const texts = readdirSync(directory).sort().filter((n) => !n.startsWith('out-'))
      .map((n) => readFileSync(join(directory, n), 'utf8')).filter((x) => x.includes(`xsd:${prefix}`));
    return texts;
  };

  // 2. Payments as their creditors received them: each at most once.
  interface Received { readonly debtor: string; readonly creditor: string; readonly currency: string; readonly amount: bigint; readonly phase: number;
    readonly order: number; readonly realtime: boolean; readonly forwardedMessageId: string }
  const received = new Map<string, Received>();
  for (const bic of input.banks) {
    for (const f of delivered(bic, 'pacs.008')) {
      for (const t of parsePacs008(f.xml).transactions) {
        const key = `${t.debtorAgent}|${t.paymentIdentification.transactionId}`;
        check('creditorOnce');
        if (received.has(key)) fail('creditorOnce', `${t.paymentIdentification.transactionId} of ${t.debtorAgent} delivered to ${bic} again (${f.name})`);
        received.set(key, { debtor: t.debtorAgent, creditor: bic, currency: t.interbankSettlementAmount.currency,
          amount: minor(t.interbankSettlementAmount.value, t.interbankSettlementAmount.currency), phase: f.phase, order: f.order,
          realtime: isInstant(t), forwardedMessageId: parsePacs008(f.xml).groupHeader.messageId });
      }
    }
  }

  // 3. Final statuses to each sender, and the payments settled in each phase.
  const expected = new Map<string, bigint>();
  const failedForwarded: Array<{ creditor: string; forwarded: string; id: string }> = [];
  const add = (phase: number, bic: string, currency: string, amount: bigint): void => {
    const cycle = input.phaseCycles.get(phase) ?? `phase${phase}`;
    const key = `${cycle} ${bic} ${currency}`;
    expected.set(key, (expected.get(key) ?? 0n) + amount);
  };
  for (const bic of input.banks) {
    const messages = new Map<string, { transactions: string[]; realtime: boolean; future: Set<string> }>();
    for (const xml of sent(bic, 'pacs.008')) {
      const m = parsePacs008(xml);
      const realtime = m.transactions.some(isInstant);
      const later = (t: Pacs008['transactions'][number]): boolean => {
        const date = t.interbankSettlementDate ?? m.groupHeader.interbankSettlementDate;
        return input.businessDate !== undefined && date !== undefined && date > input.businessDate;
      };
      messages.set(m.groupHeader.messageId, { transactions: m.transactions.map((t) => t.paymentIdentification.transactionId ?? ''), realtime,
        future: new Set(m.transactions.filter(later).map((t) => t.paymentIdentification.transactionId ?? '')) });
    }
    const finals = new Map<string, Array<{ status: string; phase: number; reason?: string }>>();
    const groupSettled = new Map<string, Array<{ phase: number; order: number }>>();
    const lined = new Set<string>();
    for (const f of delivered(bic, 'pacs.002')) {
      const report = parsePacs002(f.xml);
      const group = report.originalGroups[0];
      if (!group || !messages.has(group.originalMessageId)) continue;
      const m = messages.get(group.originalMessageId)!;
      for (const t of report.transactions) {
        const key = `${group.originalMessageId}|${t.originalTransactionId}`;
        lined.add(key);
        if (t.transactionStatus === 'ACSC' || t.transactionStatus === 'RJCT') {
          const reason = t.statusReasons?.[0]?.reason;
          finals.set(key, [...(finals.get(key) ?? []), { status: t.transactionStatus, phase: f.phase, ...(reason && 'code' in reason ? { reason: reason.code } : {}) }]);
        }
      }
      if (report.transactions.length === 0 && group.groupStatus === 'RJCT') {
        const reason = group.statusReasons?.[0]?.reason;
        const code = reason && 'code' in reason ? { reason: reason.code } : {};
        for (const id of m.transactions) finals.set(`${group.originalMessageId}|${id}`, [...(finals.get(`${group.originalMessageId}|${id}`) ?? []), { status: 'RJCT', phase: f.phase, ...code }]);
      }
      if (report.transactions.length === 0 && group.groupStatus === 'ACSC') groupSettled.set(group.originalMessageId, [...(groupSettled.get(group.originalMessageId) ?? []), { phase: f.phase, order: f.order }]);
    }
    // A payment cancelled before settlement (a recall while its cycle was open): the switch's camt.029 to the
    // sender with the transaction ACCR is its final outcome, in place of a pacs.002 (docs/simulation.md).
    const cancelled = new Map<string, Array<{ status: string; phase: number; order: number }>>();
    for (const f of delivered(bic, 'camt.029')) {
      const answer = parseCamt029(f.xml);
      if (answer.assignment.assigner !== input.switchBic) continue;
      for (const d of answer.cancellationDetails) for (const t of d.transactions) {
        if (t.status !== 'ACCR' || !t.originalTransactionId) continue;
        cancelled.set(t.originalTransactionId, [...(cancelled.get(t.originalTransactionId) ?? []), { status: 'CNCL', phase: f.phase, order: f.order }]);
      }
    }
    for (const [messageId, m] of messages) {
      for (const id of m.transactions) {
        const key = `${messageId}|${id}`;
        const cancels = cancelled.get(id) ?? [];
        const own = [...(finals.get(key) ?? []), ...cancels];
        // A group ACSC without lines covers the transactions still in the file's cycle: not one refused by its own
        // line, nor one cancelled (camt.029) before that group status was delivered.
        const firstCancel = Math.min(...cancels.map((c) => c.order));
        const fromGroup = own.some((s) => s.status === 'RJCT') ? []
          : (groupSettled.get(messageId) ?? []).filter((g) => !(g.order > firstCancel)).map((g) => ({ status: 'ACSC', phase: g.phase }));
        const all: Array<{ status: string; phase: number; reason?: string }> = [...own, ...fromGroup];
        if (m.future.has(id)) {
          // Warehoused for its date: no final status today, and never delivered to its creditor today.
          check('futureNotToday');
          if (all.length > 0) fail('futureNotToday', `${bic} ${id} (dated after ${input.businessDate}): ${all.map((s) => `${s.status} (cycle ${s.phase})`).join(', ')}`);
          if (received.has(`${bic}|${id}`)) fail('futureNotToday', `${bic} ${id} (dated after ${input.businessDate}) delivered to its creditor today`);
          continue;
        }
        if (/-S\d{4}$/.test(messageId)) {
          // Sent by or to a participant while it was suspended (the suspend fault names these messages -S…).
          check('suspendedRefused');
          if (all.length !== 1 || all[0]!.status !== 'RJCT' || all[0]!.reason !== 'AG10') {
            fail('suspendedRefused', `${bic} ${id}: ${all.length === 0 ? 'no final status' : all.map((s) => `${s.status}${s.reason ? ` ${s.reason}` : ''}`).join(', ')}`);
          }
        }
        check('oneFinal');
        if (all.length !== 1) {
          fail('oneFinal', `${bic} ${id}: ${all.length === 0 ? 'no final status' : all.map((s) => `${s.status} (cycle ${s.phase})`).join(', ')}`);
          continue;
        }
        const payment = received.get(`${bic}|${id}`);
        if (all[0]!.status !== 'ACSC') {
          // AC04 relayed to the sender is the creditor's own rejection: the creditor knows, nothing to tell it.
          if (input.creditorToldOfFailure && payment?.realtime && all[0]!.status === 'RJCT' && all[0]!.reason !== 'AC04') failedForwarded.push({ creditor: payment.creditor, forwarded: payment.forwardedMessageId, id });
          continue;
        }
        check('settledDelivered');
        if (!payment) { fail('settledDelivered', `${bic} ${id} settled (ACSC) but never delivered to its creditor`); continue; }
        add(all[0]!.phase, payment.creditor, payment.currency, payment.amount);
        add(all[0]!.phase, payment.debtor, payment.currency, -payment.amount);
      }
    }
  }
  // Returns, as the original debtor agents received them.
  for (const bic of input.banks) {
    for (const f of delivered(bic, 'pacs.004')) {
      for (const t of parsePacs004(f.xml).transactions) {
        const original = received.get(`${bic}|${t.originalTransactionId}`);
        if (!original) continue;
        const amount = minor(t.returnedInterbankSettlementAmount.value, t.returnedInterbankSettlementAmount.currency);
        add(f.phase, bic, t.returnedInterbankSettlementAmount.currency, amount);
        add(f.phase, original.creditor, t.returnedInterbankSettlementAmount.currency, -amount);
      }
    }
  }

  // A forwarded real-time payment that failed: its creditor got a negative status for it.
  for (const f of failedForwarded) {
    check('creditorTold');
    const told = delivered(f.creditor, 'pacs.002').some((d) => parsePacs002(d.xml).transactions.some((t) => t.originalTransactionId === f.id && t.transactionStatus === 'RJCT'));
    if (!told) fail('creditorTold', `${f.id} forwarded to ${f.creditor} (${f.forwarded}) failed, the creditor was never told`);
  }
  // Recalls: only for a payment the creditor had received before the recall.
  for (const bic of input.banks) {
    for (const f of delivered(bic, 'camt.056')) {
      for (const u of parseCamt056(f.xml).underlying) for (const t of u.transactions) {
        check('recallReceived');
        const payment = [...received.values()].find((r) => r.creditor === bic && received.get(`${r.debtor}|${t.originalTransactionId}`) === r);
        if (!payment || payment.order > f.order) {
          fail('recallReceived', `recall of ${t.originalTransactionId} delivered to ${bic} (${f.name}) ${payment ? 'before the payment itself' : 'which never received it'}`);
        }
      }
    }
  }

  // 4. The agent's books: each position booked once, equal to the net delivered; sums zero.
  const booked = new Map<string, bigint>();
  const bookings = new Map<string, number>();
  const sums = new Map<string, bigint>();
  for (const e of input.ledger) {
    if (e.status !== 'ACSC') continue;
    const key = `${e.cycle} ${e.participant} ${e.currency}`;
    booked.set(key, (booked.get(key) ?? 0n) + e.amountMinor);
    // One booking per instruction (C<cycle>-A<attempt>-<BIC>-<CCY>): a retry or a resolution instructs only a
    // difference under a new attempt, which the agent books as a further entry of the same position.
    bookings.set(e.transactionId, (bookings.get(e.transactionId) ?? 0) + 1);
    sums.set(`${e.cycle} ${e.currency}`, (sums.get(`${e.cycle} ${e.currency}`) ?? 0n) + e.amountMinor);
  }
  for (const [key, n] of bookings) {
    check('bookedOnce');
    if (n > 1) fail('bookedOnce', `instruction ${key} booked ${n} times`);
  }
  for (const key of new Set([...booked.keys(), ...[...expected].filter(([, v]) => v !== 0n).map(([k]) => k)])) {
    check('settledNet');
    const b = booked.get(key) ?? 0n;
    const x = expected.get(key) ?? 0n;
    if (b !== x) fail('settledNet', `cycle ${key}: agent booked ${b}, payments delivered net ${x}`);
  }
  for (const [key, sum] of sums) {
    check('sumZero');
    if (sum !== 0n) fail('sumZero', `cycle ${key}: booked positions sum to ${sum}`);
  }
  return { ok: problems.length === 0, ...(problems.length > 0 ? { broken: problems[0] } : {}), problems, checked };
}
