/**
 * The Screener of the risk stage (switch/risk/types.ts): a payment's parties, agents and accounts
 * against every list in force (docs/risk.md "Screening", "What is screened"). Pure: no I/O; the lists
 * come as built indexes (list-index.ts), from the store through ScreeningLists
 * (switch/engine/screening-lists.ts) or from a test.
 *
 *  - names of debtor, creditor, ultimate debtor and ultimate creditor: fuzzy (normalise.ts, similarity.ts);
 *  - their BICs, and the debtor and creditor agents' BICs: exact (institution or branch, list-index.ts);
 *  - debtor and creditor accounts: exact IBAN;
 *  - countries, exact: each party's country, the country of each agent's BIC (its letters 5 and 6)
 *    and of each IBAN (its first two letters).
 *
 * One hit per list entry, field and kind: the closest value of the entry.
 */
import type { PaymentRiskFacts, RiskParty, Screener, ScreeningHit } from '../types.ts';
import { limits } from '../../limits.ts';
import type { IndexMatch, ListIndex } from './list-index.ts';
import { normaliseName } from '../names.ts';
import { BoundedMemo } from './memo.ts';

type Field = ScreeningHit['field'];
type PartyField = 'debtor' | 'creditor' | 'ultimateDebtor' | 'ultimateCreditor';

const PARTY_FIELDS: readonly PartyField[] = ['debtor', 'creditor', 'ultimateDebtor', 'ultimateCreditor'];
const IBAN_COUNTRY = /^([A-Z]{2})[0-9]{2}/;
const BIC_COUNTRY = /^[A-Z0-9]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/;

export interface ScreenerOptions {
  readonly nameSimilarityMin?: number;
  readonly tokenSimilarityMin?: number;
}

export class ListScreener implements Screener {
  private readonly nameMin: number;
  private readonly tokenMin: number;
  /** Matches of values already screened (key: kind and value), for these lists only: a new list version is a new screener. */
  private readonly memo = new BoundedMemo<readonly { list: string; match: IndexMatch }[]>(limits.screening.screenedValueMemoMax);
  private readonly exactMemo = new BoundedMemo<readonly IndexMatch[]>(limits.screening.screenedValueMemoMax);

  constructor(readonly lists: readonly ListIndex[], options: ScreenerOptions = {}) {
    this.nameMin = options.nameSimilarityMin ?? limits.screening.nameSimilarityMin;
    this.tokenMin = options.tokenSimilarityMin ?? limits.screening.tokenSimilarityMin;
  }

  /** Entries whose names are close to `name` (every normalised form), best first, in every list. */
  screenName(name: string): { list: string; match: IndexMatch }[] {
    return [...this.rememberedName(name)];
  }

  /** searchName's answer for `name`, computed once per screener (bounded: limits.screening.screenedValueMemoMax). */
  private rememberedName(name: string): readonly { list: string; match: IndexMatch }[] {
    let found = this.memo.get(name);
    if (found === undefined) {
      found = this.searchName(name);
      this.memo.set(name, found);
    }
    return found;
  }

  /** Exact matches of one BIC or country in the list at `at`, remembered (accounts are too many and too distinct to be worth it). */
  private exact(at: number, kind: 'bic' | 'country', value: string): readonly IndexMatch[] {
    const key = `${kind}\u0000${at}\u0000${value}`;
    let found = this.exactMemo.get(key);
    if (found === undefined) {
      const index = this.lists[at]!;
      found = kind === 'bic' ? index.matchBic(value) : index.matchCountry(value);
      this.exactMemo.set(key, found);
    }
    return found;
  }

  private searchName(name: string): { list: string; match: IndexMatch }[] {
    const forms = normaliseName(name);
    const out: { list: string; match: IndexMatch }[] = [];
    for (const index of this.lists) {
      for (const form of forms) for (const match of index.searchName(form, this.nameMin, this.tokenMin)) out.push({ list: index.label, match });
    }
    return out.sort((a, b) => b.match.similarity - a.match.similarity);
  }

  screen(facts: PaymentRiskFacts): readonly ScreeningHit[] {
    if (this.lists.length === 0) return [];
    const hits = new Map<string, ScreeningHit>();
    const add = (list: string, field: Field, kind: ScreeningHit['kind'], match: IndexMatch): void => {
      const key = `${list}\u0000${match.entryId}\u0000${field}\u0000${kind}`;
      const previous = hits.get(key);
      if (previous === undefined || previous.similarity < match.similarity) {
        hits.set(key, { list, entryId: match.entryId, matched: match.matched, field, kind, similarity: match.similarity });
      }
    };
    const lists = this.lists.length;
    for (const field of PARTY_FIELDS) {
      const party: RiskParty | undefined = facts[field];
      if (party === undefined) continue;
      if (party.name !== undefined && party.name.trim().length > 0) {
        for (const { list, match } of this.rememberedName(party.name)) add(list, field, 'name', match);
      }
      for (let at = 0; at < lists; at++) {
        const label = this.lists[at]!.label;
        if (party.bic !== undefined) for (const m of this.exact(at, 'bic', party.bic)) add(label, field, 'bic', m);
        if (party.country !== undefined) for (const m of this.exact(at, 'country', party.country)) add(label, field, 'country', m);
      }
    }
    const agents: [Field, string][] = [['debtorAgent', facts.debtorAgent], ['creditorAgent', facts.creditorAgent]];
    const accounts: [Field, string | undefined][] = [['debtorAccount', facts.debtorAccount], ['creditorAccount', facts.creditorAccount]];
    for (let at = 0; at < lists; at++) {
      const label = this.lists[at]!.label;
      for (const [field, bic] of agents) {
        for (const m of this.exact(at, 'bic', bic)) add(label, field, 'bic', m);
        const country = BIC_COUNTRY.exec(bic)?.[1];
        if (country !== undefined) for (const m of this.exact(at, 'country', country)) add(label, field, 'country', m);
      }
      for (const [field, account] of accounts) {
        if (account === undefined) continue;
        for (const m of this.lists[at]!.matchIban(account)) add(label, field, 'iban', m);
        const country = IBAN_COUNTRY.exec(/\s/.test(account) ? account.replace(/\s+/g, '').toUpperCase() : account.toUpperCase())?.[1];
        if (country !== undefined) for (const m of this.exact(at, 'country', country)) add(label, field, 'country', m);
      }
    }
    return [...hits.values()].sort((a, b) => b.similarity - a.similarity || a.field.localeCompare(b.field));
  }
}
