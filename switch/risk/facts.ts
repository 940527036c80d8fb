/**
 * The risk stage's facts of one pacs.008 transaction (docs/risk.md "Facts"), read from the transaction
 * element as intake keeps it (validated, forwardable: validation/forward.ts) by the same streaming leaf
 * walk as validation's facts (validation/facts.ts): values exactly as a conforming parser reads them,
 * no object tree. One walk per payment over a few kilobytes (bench/validation: see docs/performance.md).
 */
import { walkElementLeaves } from '../validation/facts.ts';
import type { AccountType, PaymentRiskFacts, RiskParty, RiskService } from './types.ts';

/** Where pacs.008.001.08 keeps each fact, relative to CdtTrfTxInf (PartyIdentification135, CashAccount38). */
const PARTY_FIELDS = {
  name: 'Nm', country: 'PstlAdr/Ctry', residence: 'CtryOfRes', bic: 'Id/OrgId/AnyBIC',
  orgOther: 'Id/OrgId/Othr/Id', orgLei: 'Id/OrgId/LEI', prvtOther: 'Id/PrvtId/Othr/Id', prvtBirth: 'Id/PrvtId/DtAndPlcOfBirth/BirthDt',
} as const;
const ACCOUNT_FIELDS = { iban: 'Id/IBAN', other: 'Id/Othr/Id', typeCode: 'Tp/Cd', typeProprietary: 'Tp/Prtry' } as const;
const PARTIES = { debtor: 'Dbtr', creditor: 'Cdtr', ultimateDebtor: 'UltmtDbtr', ultimateCreditor: 'UltmtCdtr' } as const;
const ACCOUNTS = { debtorAccount: 'DbtrAcct', creditorAccount: 'CdtrAcct' } as const;

/** path → what it fills: [role, field]. */
const PATHS = new Map<string, readonly [string, string]>();
for (const [role, element] of Object.entries(PARTIES)) {
  for (const [field, path] of Object.entries(PARTY_FIELDS)) PATHS.set(`${element}/${path}`, [role, field]);
}
for (const [role, element] of Object.entries(ACCOUNTS)) {
  for (const [field, path] of Object.entries(ACCOUNT_FIELDS)) PATHS.set(`${element}/${path}`, [role, field]);
}
const NAMES: ReadonlySet<string> = new Set([...PATHS.keys()].map((p) => p.slice(p.lastIndexOf('/') + 1)));
/**
 * The leaves the facts come from (paths relative to CdtTrfTxInf): intake asks validation to read them in
 * its own walk (ValidateOptions.extraLeaves), so the stage does not encode and walk each element again.
 */
export const RISK_LEAF_PATHS: ReadonlySet<string> = new Set(PATHS.keys());

/** A payment as intake creates it (both intake paths): what the stage needs besides its element. */
export interface RiskPaymentRow {
  readonly debtorAgent: string;
  readonly creditorAgent: string;
  readonly instructingAgent: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly xml: string;
  /**
   * The first value of each of RISK_LEAF_PATHS in the element, as validation's walk read them; without
   * them the element is walked here (the same walk, so the same values).
   */
  readonly riskLeaves?: ReadonlyMap<string, string>;
}

const encoder = new TextEncoder();

/** The facts of one payment; `xml` is its transaction element (CdtTrfTxInf) as intake keeps it. */
export function riskFacts(row: RiskPaymentRow, service: RiskService, receivedAt: Date, businessDate: string): PaymentRiskFacts {
  const found: Record<string, Record<string, string>> = {};
  const take = (path: string, text: string): void => {
    const target = PATHS.get(path);
    if (target === undefined) return;
    const record = (found[target[0]] ??= {});
    if (record[target[1]] === undefined) record[target[1]] = text;
  };
  if (row.riskLeaves !== undefined) for (const [path, text] of row.riskLeaves) take(path, text);
  else walkElementLeaves(encoder.encode(row.xml), NAMES, take);
  const party = (role: keyof typeof PARTIES): RiskParty | undefined => {
    const f = found[role];
    if (f === undefined) return undefined;
    const identifiedAs = f.bic !== undefined || f.orgOther !== undefined || f.orgLei !== undefined ? 'organisation'
      : f.prvtOther !== undefined || f.prvtBirth !== undefined ? 'person' : undefined;
    const country = f.country ?? f.residence;
    return {
      ...(f.name === undefined ? {} : { name: f.name }), ...(f.bic === undefined ? {} : { bic: f.bic }),
      ...(country === undefined ? {} : { country }), ...(identifiedAs === undefined ? {} : { identifiedAs }),
    };
  };
  const debtorAccount = found.debtorAccount;
  const creditorAccount = found.creditorAccount;
  const customer = found.debtor?.orgOther ?? found.debtor?.prvtOther ?? found.debtor?.orgLei;
  const ultimateDebtor = party('ultimateDebtor');
  const ultimateCreditor = party('ultimateCreditor');
  const debtorAccountId = debtorAccount?.iban ?? debtorAccount?.other;
  const creditorAccountId = creditorAccount?.iban ?? creditorAccount?.other;
  const typeCode = debtorAccount?.typeCode ?? debtorAccount?.typeProprietary;
  return {
    service, currency: row.currency, amount: row.amountMinor,
    instructingAgent: row.instructingAgent, debtorAgent: row.debtorAgent, creditorAgent: row.creditorAgent,
    ...(debtorAccountId === undefined ? {} : { debtorAccount: debtorAccountId }),
    ...(creditorAccountId === undefined ? {} : { creditorAccount: creditorAccountId }),
    ...(typeCode === undefined ? {} : { debtorAccountTypeCode: typeCode }),
    ...(customer === undefined ? {} : { debtorCustomer: customer }),
    debtor: party('debtor') ?? {}, creditor: party('creditor') ?? {},
    ...(ultimateDebtor === undefined ? {} : { ultimateDebtor }), ...(ultimateCreditor === undefined ? {} : { ultimateCreditor }),
    receivedAt, businessDate,
  };
}

const TYPE_NAMES: ReadonlyMap<string, AccountType> = new Map([
  ['PERSONAL', 'personal'], ['BUSINESS', 'business'], ['GOVERNMENT', 'government'], ['OTHER', 'other'],
]);

/**
 * The account type a message declares (docs/risk.md "Account type"): DbtrAcct/Tp/Prtry (or Cd) naming
 * one of the types; otherwise the debtor's Id: OrgId → business, PrvtId → personal; otherwise none.
 * A participant's loaded profile of the account overrides it.
 */
export function declaredAccountType(facts: PaymentRiskFacts): AccountType | undefined {
  const named = facts.debtorAccountTypeCode === undefined ? undefined : TYPE_NAMES.get(facts.debtorAccountTypeCode.trim().toUpperCase());
  if (named !== undefined) return named;
  if (facts.debtor.identifiedAs === 'organisation') return 'business';
  if (facts.debtor.identifiedAs === 'person') return 'personal';
  return undefined;
}
