/**
 * Deterministic generator of realistic payment messages, for the demo, the benchmarks and tests.
 * Seeded: the same seed gives the same bytes, so a failure replays.
 */
import { composeIBAN, isValidIBAN } from 'ibantools';
import { formatAmount } from '../iso/amount.ts';
import type { CreditTransferTransaction, Pacs008 } from '../iso/messages/pacs.008.001.08/index.ts';

export interface Bank {
  readonly bic: string;
  readonly name: string;
  /** Two-letter country of the bank's IBANs. */
  readonly country: 'DE' | 'FR' | 'NL' | 'BE' | 'IT';
}

export const DEMO_BANKS: readonly Bank[] = [
  { bic: 'BANKDEFFXXX', name: 'Bank A AG', country: 'DE' },
  { bic: 'BANKFRPPXXX', name: 'Banque B SA', country: 'FR' },
  { bic: 'BANKNL2AXXX', name: 'Bank C NV', country: 'NL' },
  { bic: 'BANKBEBBXXX', name: 'Banque D SA', country: 'BE' },
  { bic: 'BANKITMMXXX', name: 'Banca E SpA', country: 'IT' },
];

/** Mulberry32: a tiny seeded PRNG, good enough for test data. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BBAN_LENGTH: Record<Bank['country'], { digits: number; prefix?: string }> = {
  DE: { digits: 18 },
  FR: { digits: 23 },
  NL: { digits: 10, prefix: 'ABNA' },
  BE: { digits: 12 },
  IT: { digits: 22, prefix: 'X' },
};

function digits(next: () => number, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) s += Math.floor(next() * 10).toString();
  return s;
}

/** A valid IBAN of the bank's country (check digits computed). */
export function ibanFor(bank: Bank, next: () => number): string {
  const shape = BBAN_LENGTH[bank.country];
  // Some countries add a national check inside the BBAN (BE, FR, IT): draw until it holds.
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const bban = (shape.prefix ?? '') + digits(next, shape.digits);
    const iban = composeIBAN({ countryCode: bank.country, bban });
    if (iban && isValidIBAN(iban)) return iban;
  }
  throw new Error(`could not compose an IBAN for ${bank.country}`);
}

function uuid4(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(next() * 4)]!;
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const FIRST = ['Anna', 'Jan', 'Marie', 'Luca', 'Sofia', 'Pierre', 'Eva', 'Tom', 'Lea', 'Marco'];
const LAST = ['Muller', 'Dubois', 'de Vries', 'Peeters', 'Rossi', 'Schmidt', 'Martin', 'Jansen', 'Bianchi'];

export interface BulkOptions {
  readonly seed: number;
  readonly sender: Bank;
  readonly receivers: readonly Bank[];
  readonly transactionCount: number;
  readonly settlementDate: string;
  /** Creation time of the message (ISO date-time). */
  readonly createdAt: string;
  readonly messageId?: string;
  /** Largest amount in minor units (default 5,000.00 EUR). */
  readonly maxAmountMinor?: number;
  readonly currency?: string;
  /** PmtTpInf/LclInstrm/Cd of every transaction: 'INST' makes them real-time payments. */
  readonly localInstrument?: string;
  /** First transaction number (ids continue from it), for several files from one sender. */
  readonly firstNumber?: number;
}

/** A pacs.008 bulk message with consistent NbOfTxs, CtrlSum and TtlIntrBkSttlmAmt. */
export function bulkCreditTransfer(options: BulkOptions): Pacs008 {
  const next = random(options.seed);
  const currency = options.currency ?? 'EUR';
  const messageId = options.messageId ?? `${options.sender.bic.slice(0, 8)}-${options.seed}`;
  const transactions: CreditTransferTransaction[] = [];
  let total = 0n;
  for (let i = 0; i < options.transactionCount; i++) {
    const receiver = options.receivers[Math.floor(next() * options.receivers.length)]!;
    const minor = BigInt(1 + Math.floor(next() * (options.maxAmountMinor ?? 500_000)));
    total += minor;
    const id = `${messageId}-${String((options.firstNumber ?? 1) + i).padStart(6, '0')}`;
    transactions.push({
      paymentIdentification: { instructionId: id, endToEndId: `E2E-${id}`, transactionId: id, uetr: uuid4(next) },
      ...(options.localInstrument ? { paymentTypeInformation: { localInstrument: { code: options.localInstrument } } } : {}),
      interbankSettlementAmount: { currency, value: formatAmount(minor, currency) },
      chargeBearer: 'SLEV',
      debtor: { name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(next() * LAST.length)]}`,
        postalAddress: { townName: 'Frankfurt am Main', country: options.sender.country } },
      debtorAccount: { iban: ibanFor(options.sender, next) },
      debtorAgent: options.sender.bic,
      creditorAgent: receiver.bic,
      creditor: { name: `${FIRST[Math.floor(next() * FIRST.length)]} ${LAST[i % LAST.length]}` },
      creditorAccount: { iban: ibanFor(receiver, next) },
      remittance: { unstructured: [`Invoice ${1000 + i} of ${options.settlementDate}`] },
    });
  }
  return {
    groupHeader: {
      messageId,
      creationDateTime: options.createdAt,
      numberOfTransactions: String(options.transactionCount),
      controlSum: formatAmount(total, currency),
      totalInterbankSettlementAmount: { currency, value: formatAmount(total, currency) },
      interbankSettlementDate: options.settlementDate,
      settlementInformation: { method: 'CLRG' },
      instructingAgent: options.sender.bic,
      instructedAgent: 'CLHSDEFFXXX',
    },
    transactions,
  };
}
