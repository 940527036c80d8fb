/**
 * The risk stage's shared vocabulary (issue 12, docs/risk.md): what the stage reads of one payment,
 * and the ports through which screening and scoring plug into it. Pure types, no I/O: the stage
 * (switch/risk/stage.ts), screening (switch/risk/screening/) and scoring (switch/risk/scoring.ts) all
 * speak in these terms, so each can be built and tested on its own.
 */
import type { Queryable } from '../store/database.ts';

export type AccountType = 'personal' | 'business' | 'government' | 'other';
export type RiskLevel = 'low' | 'medium' | 'high';
export type RiskService = 'realtime' | 'batch';

/** One party of a payment as the validated document names it (every value as a conforming parser reads it). */
export interface RiskParty {
  /** Nm, as written (normalisation is screening's job). */
  readonly name?: string;
  /** The party's BIC (AnyBIC / BICFI) when it has one. */
  readonly bic?: string;
  /** PstlAdr/Ctry or the country of residence. */
  readonly country?: string;
  /** Id/OrgId present: an organisation; Id/PrvtId present: a person. */
  readonly identifiedAs?: 'organisation' | 'person';
}

/** What the risk stage judges: one transaction, before it touches any position. */
export interface PaymentRiskFacts {
  readonly service: RiskService;
  /** ISO 4217 code and amount in minor units. */
  readonly currency: string;
  readonly amount: bigint;
  readonly instructingAgent: string;
  readonly debtorAgent: string;
  readonly creditorAgent: string;
  /** DbtrAcct / CdtrAcct IBAN (or Othr/Id), as written. */
  readonly debtorAccount?: string;
  readonly creditorAccount?: string;
  /** DbtrAcct/Tp/Cd or Prtry as written (mapped to an AccountType by the stage). */
  readonly debtorAccountTypeCode?: string;
  /** The debtor's customer id at its bank: Dbtr/Id/OrgId/Othr/Id, PrvtId/Othr/Id or LEI (keys customer profiles). */
  readonly debtorCustomer?: string;
  /** The risk levels the stage found for the debtor's and creditor's accounts (profiles, else the default), for the scorer. */
  readonly debtorRiskLevel?: RiskLevel;
  readonly creditorRiskLevel?: RiskLevel;
  readonly debtor: RiskParty;
  readonly creditor: RiskParty;
  readonly ultimateDebtor?: RiskParty;
  readonly ultimateCreditor?: RiskParty;
  /** When the switch received it (the engine's clock) and the business day it belongs to. */
  readonly receivedAt: Date;
  readonly businessDate: string;
}

/** A screening match: which list entry, on which field of the payment, how close. */
export interface ScreeningHit {
  /** The list's name and version, e.g. 'un-consolidated@2026-12-01T10:00:00Z'. */
  readonly list: string;
  readonly entryId: string;
  /** The entry's name (or BIC / IBAN / country) that matched. */
  readonly matched: string;
  readonly field: 'debtor' | 'creditor' | 'ultimateDebtor' | 'ultimateCreditor' | 'debtorAccount' | 'creditorAccount'
    | 'debtorAgent' | 'creditorAgent';
  readonly kind: 'name' | 'bic' | 'iban' | 'country';
  /** 1 for an exact match; the fuzzy similarity (0..1) for a name. */
  readonly similarity: number;
}

/** Screening as the stage sees it: the lists in force, searched in memory. */
export interface Screener {
  screen(facts: PaymentRiskFacts): readonly ScreeningHit[];
}

/** One explainable feature of a score: its value and how much it added. */
export interface ScoreFeature {
  readonly name: string;
  readonly value: number;
  readonly contribution: number;
  readonly explanation: string;
}

export interface RiskScore {
  /** 0..100. */
  readonly score: number;
  /** Largest contributions first. */
  readonly features: readonly ScoreFeature[];
}

/**
 * Scoring as the stage sees it: reads the statistics it needs inside the payment's transaction,
 * and records the payment into them once it is accepted (incrementally, in the same transaction).
 */
export interface Scorer {
  score(tx: Queryable, facts: PaymentRiskFacts): Promise<RiskScore>;
  record(tx: Queryable, facts: PaymentRiskFacts): Promise<void>;
  /** Optional, set-based: the scores of many payments, each as `score` alone would give it against the same statistics. */
  scoreAll?(tx: Queryable, facts: readonly PaymentRiskFacts[]): Promise<RiskScore[]>;
  /** Optional, set-based: record many accepted payments, with the effect of `record` for each in turn. */
  recordAll?(tx: Queryable, facts: readonly PaymentRiskFacts[]): Promise<void>;
}

/** What the stage decided for one payment. */
export type RiskDisposal =
  | { readonly kind: 'pass' }
  | { readonly kind: 'hold'; readonly reasons: readonly string[] }
  | { readonly kind: 'reject'; readonly code: string; readonly text: string;
    /** What the sender is told when it must not learn the real code and text (a screening hit: tipping-off,
     * docs/scheme-rules.md "Risk reason codes"); absent: it is told `code` and `text`. */
    readonly told?: { readonly code: string; readonly text: string } };
