/** Small builders and plain views shared by the clearing tests. */
import type { Obligation, Positions } from '../../switch/clearing/positions.ts';

export const BANK_A = 'AAAADEFF';
export const BANK_B = 'BBBBDEFF';
export const BANK_C = 'CCCCDEFF';

/** An obligation with id `P<sequence>`. */
export function obligation(sequence: number, debtor: string, creditor: string, amountMinor: bigint, currency = 'EUR'): Obligation {
  return { id: `P${sequence}`, debtor, creditor, currency, amountMinor, sequence: BigInt(sequence) };
}

/** Positions as nested plain objects, for readable deepEqual. */
export function plain(positions: Positions): Record<string, Record<string, bigint>> {
  return Object.fromEntries([...positions].map(([currency, byBic]) => [currency, Object.fromEntries(byBic)]));
}
