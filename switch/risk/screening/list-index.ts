/**
 * The in-memory index of one list version (docs/risk.md "Screening", "The index"). Pure: no I/O.
 *
 * Names are found without comparing a screened name to every listed one: each distinct token of the
 * list is indexed under itself and under each spelling with one letter deleted (a deletion
 * neighbourhood, as SymSpell does), so a screened token finds every listed token within one insertion,
 * deletion, substitution or adjacent transposition, and most within two edits, by a few hash
 * look-ups. The listed names holding those tokens are the candidates; an upper bound of each one's
 * similarity, summed from the matched tokens alone, discards those that cannot reach the threshold,
 * and only the rest are aligned in full (similarity.ts). BICs, IBANs and countries are hash maps.
 *
 * A BIC8 or a BIC11 with branch XXX in a list names the institution with all its branches (sanctions
 * bind a bank wherever it books); a BIC11 with another branch code names that branch only.
 */
import { limits } from '../../limits.ts';
import type { ListValueKind } from './list.ts';
import { normaliseBic, normaliseCountry, normaliseIban } from './normalise.ts';
import { normaliseName, type NormalisedName } from '../names.ts';
import { nameSimilarity, tokenSimilarity } from './similarity.ts';
import { BoundedMemo } from './memo.ts';

/** One match of the index: which entry, which of its values, how close. */
export interface IndexMatch {
  readonly entryId: string;
  readonly matched: string;
  readonly similarity: number;
}

/** Tokens shorter than this are found only when spelt exactly (their one-deletion keys would be single letters). */
const FUZZY_TOKEN_LENGTH_MIN = 3;

function deletions(token: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < token.length; i++) out.push(token.slice(0, i) + token.slice(i + 1));
  return out;
}

/** FNV-1a of `text` without its character at `skip` (-1: none): a deletion's key without building the string. */
function hashWithout(text: string, skip: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    if (i === skip) continue;
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The deletion neighbourhood as hash buckets in typed arrays (bucket start offsets, and per key its
 * token id and its full 32-bit hash): a million distinct tokens make about ten million deletions,
 * which as strings in a Map would take gigabytes (and exceed a Map's 2^24 entries); as 32-bit hashes in
 * buckets they take 8 bytes each. A bucket also holds keys that merely share its bits: the key's full
 * hash, kept beside its token id, is compared first (an exact test, precomputed when the list version
 * is indexed), so only keys that truly hash alike reach the similarity; what is left of hash collisions
 * (about one key in four billion) is still verified by the similarity.
 */
class DeletionIndex {
  private readonly mask: number;
  private readonly starts: Uint32Array;
  private readonly ids: Int32Array;
  private readonly hashes: Uint32Array;

  constructor(tokens: readonly string[], minLength: number) {
    let keys = 0;
    for (const t of tokens) if (t.length >= minLength) keys += t.length;
    let buckets = 1024;
    while (buckets < keys) buckets *= 2;
    this.mask = buckets - 1;
    const counts = new Uint32Array(buckets + 1);
    const each = (visit: (hash: number, id: number) => void): void => {
      for (let id = 0; id < tokens.length; id++) {
        const t = tokens[id]!;
        if (t.length < minLength) continue;
        for (let i = 0; i < t.length; i++) visit(hashWithout(t, i), id);
      }
    };
    each((hash) => { counts[(hash & this.mask) + 1]!++; });
    for (let b = 1; b <= buckets; b++) counts[b] = counts[b]! + counts[b - 1]!;
    this.starts = counts;
    this.ids = new Int32Array(keys);
    this.hashes = new Uint32Array(keys);
    const fill = counts.slice(0, buckets);
    each((hash, id) => {
      const at = fill[hash & this.mask]!++;
      this.ids[at] = id;
      this.hashes[at] = hash;
    });
  }

  /** Each token id one of whose deletions hashes as `text` without its character at `skip` (-1: `text` itself). */
  candidates(text: string, skip: number, visit: (id: number) => void): void {
    const hash = hashWithout(text, skip);
    const bucket = hash & this.mask;
    const end = this.starts[bucket + 1]!;
    for (let k = this.starts[bucket]!; k < end; k++) if (this.hashes[k] === hash) visit(this.ids[k]!);
  }
}

function pushTo<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

/** Collects a list version's values, then freezes them into a ListIndex. */
export class ListIndexBuilder {
  private readonly entryIds: string[] = [];
  private readonly entryNumber = new Map<string, number>();
  // Per listed name (one per normalised form of a name value).
  private readonly nameEntry: number[] = [];
  private readonly nameValue: string[] = [];
  private readonly nameTokenStart: number[] = [0];
  private readonly nameTokens: number[] = [];
  private readonly nameLength: number[] = [];
  // Per distinct token.
  private readonly tokenId = new Map<string, number>();
  private readonly tokenText: string[] = [];
  private readonly postings: number[][] = [];
  private readonly exact = new Map<string, number[]>();
  private readonly exactValue: string[] = [];
  private readonly exactEntry: number[] = [];
  private values = 0;

  constructor(readonly label: string) {}

  get valueCount(): number {
    return this.values;
  }

  add(entryId: string, kind: ListValueKind, value: string): void {
    this.values++;
    let entry = this.entryNumber.get(entryId);
    if (entry === undefined) {
      entry = this.entryIds.length;
      this.entryIds.push(entryId);
      this.entryNumber.set(entryId, entry);
    }
    if (kind === 'name') this.addName(entry, value);
    else if (kind !== 'listed_country') this.addExact(entry, kind, value);
  }

  private addName(entry: number, value: string): void {
    for (const form of normaliseName(value)) {
      const name = this.nameEntry.length;
      this.nameEntry.push(entry);
      this.nameValue.push(value);
      this.nameLength.push(form.length);
      for (const token of form.tokens) {
        let id = this.tokenId.get(token);
        if (id === undefined) {
          id = this.tokenText.length;
          this.tokenId.set(token, id);
          this.tokenText.push(token);
          this.postings.push([]);
        }
        this.nameTokens.push(id);
        const posting = this.postings[id]!;
        if (posting[posting.length - 1] !== name) posting.push(name);
      }
      this.nameTokenStart.push(this.nameTokens.length);
    }
  }

  private addExact(entry: number, kind: 'bic' | 'iban' | 'country', value: string): void {
    const key = exactKeyOfListed(kind, value);
    const at = this.exactValue.length;
    this.exactValue.push(value);
    this.exactEntry.push(entry);
    pushTo(this.exact, key, at);
  }

  build(): ListIndex {
    return new ListIndex(this.label, {
      entryIds: this.entryIds,
      nameEntry: Int32Array.from(this.nameEntry),
      nameValue: this.nameValue,
      nameTokenStart: Int32Array.from(this.nameTokenStart),
      nameTokens: Int32Array.from(this.nameTokens),
      nameLength: Int32Array.from(this.nameLength),
      tokenId: this.tokenId,
      tokenText: this.tokenText,
      postings: this.postings.map((p) => Int32Array.from(p)),
      deleted: new DeletionIndex(this.tokenText, FUZZY_TOKEN_LENGTH_MIN),
      exact: this.exact,
      exactValue: this.exactValue,
      exactEntry: Int32Array.from(this.exactEntry),
      valueCount: this.values,
    });
  }
}

/** The key a listed BIC, IBAN or country is filed under. */
function exactKeyOfListed(kind: 'bic' | 'iban' | 'country', value: string): string {
  if (kind === 'iban') return `iban:${normaliseIban(value)}`;
  if (kind === 'country') return `country:${normaliseCountry(value)}`;
  const bic = normaliseBic(value);
  return bic.length === 8 || bic.endsWith('XXX') ? `bic8:${bic.slice(0, 8)}` : `bic11:${bic}`;
}

interface IndexData {
  readonly entryIds: readonly string[];
  readonly nameEntry: Int32Array;
  readonly nameValue: readonly string[];
  readonly nameTokenStart: Int32Array;
  readonly nameTokens: Int32Array;
  readonly nameLength: Int32Array;
  readonly tokenId: ReadonlyMap<string, number>;
  readonly tokenText: readonly string[];
  readonly postings: readonly Int32Array[];
  readonly deleted: DeletionIndex;
  readonly exact: ReadonlyMap<string, readonly number[]>;
  readonly exactValue: readonly string[];
  readonly exactEntry: Int32Array;
  readonly valueCount: number;
}

/** A list version, searchable. Not safe to call from two threads at once (it reuses scratch arrays). */
export class ListIndex {
  private readonly boundBoth: Float64Array;
  private readonly boundListed: Float64Array;
  private readonly touched: Int32Array;
  private readonly memo = new BoundedMemo<ReadonlyMap<number, number>>(limits.screening.tokenMemoMax);

  constructor(readonly label: string, private readonly data: IndexData) {
    const names = data.nameEntry.length;
    this.boundBoth = new Float64Array(names);
    this.boundListed = new Float64Array(names);
    this.touched = new Int32Array(names);
  }

  get entryCount(): number {
    return this.data.entryIds.length;
  }

  get nameCount(): number {
    return this.data.nameEntry.length;
  }

  get valueCount(): number {
    return this.data.valueCount;
  }

  /**
   * Listed tokens similar to `token` (its id → similarity). Remembered per index, that is per list
   * version, for the next payment with the same word: payers' names share their words (first names,
   * surnames, MUELLER, TRADING), and a word's look-up is the larger part of screening a name. At most
   * limits.screening.tokenMemoMax words; when full, forgotten at once (bounded memory, no bookkeeping).
   */
  private similarTokens(token: string, tokenMin: number): ReadonlyMap<number, number> {
    const key = tokenMin === limits.screening.tokenSimilarityMin ? token : `${tokenMin}\u0000${token}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    const found = this.lookUpSimilarTokens(token, tokenMin);
    this.memo.set(key, found);
    return found;
  }

  private lookUpSimilarTokens(token: string, tokenMin: number): Map<number, number> {
    const { tokenId, tokenText, deleted } = this.data;
    const found = new Map<number, number>();
    const consider = (id: number | undefined): void => {
      if (id === undefined || found.has(id)) return;
      found.set(id, tokenSimilarity(token, tokenText[id]!, tokenMin));
    };
    consider(tokenId.get(token));
    if (token.length >= FUZZY_TOKEN_LENGTH_MIN) {
      // A listed token one longer (the screened token is one of its deletions), or as long (both lose one
      // letter): only keys of the same full hash (DeletionIndex) and tokens of the length a true neighbour
      // has are compared, both exact tests before the similarity's cost.
      const longer = token.length + 1;
      deleted.candidates(token, -1, (id) => { if (tokenText[id]!.length === longer) consider(id); });
      const same = (id: number): void => { if (tokenText[id]!.length === token.length) consider(id); };
      for (let i = 0; i < token.length; i++) deleted.candidates(token, i, same);
      // A listed token one shorter: one of the screened token's deletions.
      for (const d of deletions(token)) consider(tokenId.get(d));
    }
    for (const [id, s] of found) if (s === 0) found.delete(id);
    return found;
  }

  /** Listed names whose similarity to `screened` is at least `similarityMin`, best per entry. */
  searchName(screened: NormalisedName, similarityMin: number = limits.screening.nameSimilarityMin,
    tokenMin: number = limits.screening.tokenSimilarityMin): IndexMatch[] {
    const { nameTokenStart, nameTokens, nameLength, tokenText, postings, nameEntry, nameValue, entryIds } = this.data;
    const { boundBoth, boundListed, touched } = this;
    let touchedCount = 0;
    for (const token of screened.tokens) {
      for (const [id, s] of this.similarTokens(token, tokenMin)) {
        const both = s * (token.length + tokenText[id]!.length);
        const listed = s * tokenText[id]!.length;
        for (const name of postings[id]!) {
          if (boundBoth[name] === 0) touched[touchedCount++] = name;
          boundBoth[name] = boundBoth[name]! + both;
          boundListed[name] = boundListed[name]! + listed;
        }
      }
    }
    const best = new Map<number, IndexMatch>();
    for (let k = 0; k < touchedCount; k++) {
      const name = touched[k]!;
      const length = nameLength[name]!;
      const tokenCount = nameTokenStart[name + 1]! - nameTokenStart[name]!;
      const bound = Math.max(boundBoth[name]! / (screened.length + length), tokenCount >= 2 ? boundListed[name]! / length : 0);
      boundBoth[name] = 0;
      boundListed[name] = 0;
      if (bound < similarityMin) continue;
      const tokens: string[] = [];
      for (let t = nameTokenStart[name]!; t < nameTokenStart[name + 1]!; t++) tokens.push(tokenText[nameTokens[t]!]!);
      const similarity = nameSimilarity(screened, { tokens, length }, tokenMin);
      if (similarity < similarityMin) continue;
      const entry = nameEntry[name]!;
      const previous = best.get(entry);
      if (previous === undefined || previous.similarity < similarity) {
        best.set(entry, { entryId: entryIds[entry]!, matched: nameValue[name]!, similarity });
      }
    }
    return [...best.values()];
  }

  /** Entries listing this BIC: its institution (BIC8, or branch XXX) or this very branch. */
  matchBic(bic: string): IndexMatch[] {
    const b = normaliseBic(bic);
    if (b.length !== 8 && b.length !== 11) return [];
    const keys = [`bic8:${b.slice(0, 8)}`];
    if (b.length === 11 && !b.endsWith('XXX')) keys.push(`bic11:${b}`);
    return this.exactMatches(keys);
  }

  matchIban(iban: string): IndexMatch[] {
    return this.exactMatches([`iban:${normaliseIban(iban)}`]);
  }

  matchCountry(country: string): IndexMatch[] {
    return this.exactMatches([`country:${normaliseCountry(country)}`]);
  }

  private exactMatches(keys: readonly string[]): IndexMatch[] {
    const out: IndexMatch[] = [];
    for (const key of keys) {
      for (const at of this.data.exact.get(key) ?? []) {
        out.push({ entryId: this.data.entryIds[this.data.exactEntry[at]!]!, matched: this.data.exactValue[at]!, similarity: 1 });
      }
    }
    return out;
  }
}
