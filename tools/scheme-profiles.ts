/**
 * The scheme's usage-guideline profiles: for each message version, the restrictions applied to the
 * official ISO 20022 XSD by tools/derive-schemas.ts to produce schemas/<id>.xsd.
 *
 * Every operation must keep the result a strict RESTRICTION of the official schema (anything valid
 * against ours is valid against ISO's). The derivation tool refuses operations that would widen the
 * schema (removing a mandatory element, adding an enumeration value, loosening an occurrence...) and
 * re-checks the finished schema against the official one.
 *
 * Operations address a complexType either by its name (`type`) or by an instance path from the
 * message root (`path`, e.g. 'FIToFICstmrCdtTrf/CdtTrfTxInf'); a path must lead to a type used in
 * that one place only, otherwise the tool stops and asks for the type form. A type-level restriction
 * applies wherever the type is used in that message, which is the intent for shared building blocks
 * (agents, accounts, settlement information).
 */

/** A restriction on the content of one complexType. `why` is one line for docs/scheme-rules.md. */
export type Operation =
  /** Remove optional elements from a sequence, or alternatives from a choice (at least one stays). */
  | { op: 'remove'; type?: string; path?: string; elements: string[]; why: string }
  /** Remove every optional element of this name, in every complexType of the message. */
  | { op: 'removeEverywhere'; element: string; why: string }
  /** Keep only these elements (the others must be optional, or be choice alternatives). */
  | { op: 'keepOnly'; type?: string; path?: string; elements: string[]; why: string }
  /** Tighten occurrences: minOccurs may only grow, maxOccurs only shrink. */
  | {
      op: 'occurs';
      type?: string;
      path?: string;
      element: string;
      minOccurs?: number;
      maxOccurs?: number | 'unbounded';
      why: string;
    }
  /** Restrict a code list (simpleType with xs:enumeration) to a subset of its values. */
  | { op: 'enumeration'; simpleType: string; keep: string[]; why: string }
  /**
   * Give every element named `element` whose official type is `from` the new type `to` (declared in
   * `newTypes`, which must restrict `from`).
   */
  | { op: 'retype'; element: string; from: string; to: string; why: string };

/** A new simpleType (xs:string restriction) that narrows an official one. */
export interface NewSimpleType {
  name: string;
  /** The official simpleType this one narrows; the tool checks the facets really are narrower. */
  restricts: string;
  base: 'xs:string';
  pattern: string;
}

export interface Profile {
  /** Message identifier, e.g. pacs.008.001.08. */
  id: string;
  /** One line: what the message is used for in the scheme. */
  use: string;
  newTypes?: NewSimpleType[];
  operations: Operation[];
}

// ---------------------------------------------------------------------------------------------
// Building blocks shared by several messages.
// ---------------------------------------------------------------------------------------------

const WHY_BIC =
  'every party to the scheme is a participant identified by its BIC; other identifications are not routed';

/** Rule 3: agents are identified by BICFI only, and branches are not identified. */
function agentsBicOnly(
  institution = 'FinancialInstitutionIdentification18',
  branchAndInstitution = 'BranchAndFinancialInstitutionIdentification6',
): Operation[] {
  return [
    {
      op: 'keepOnly',
      type: institution,
      elements: ['BICFI'],
      why: WHY_BIC,
    },
    {
      op: 'occurs',
      type: institution,
      element: 'BICFI',
      minOccurs: 1,
      why: 'an agent without a BIC cannot be looked up in the participant directory',
    },
    {
      op: 'remove',
      type: branchAndInstitution,
      elements: ['BrnchId'],
      why: 'participants are addressed at BIC level; branches are internal to the participant',
    },
  ];
}

/** Rule 4: accounts are identified by IBAN or a proprietary number, never by a proxy. */
function accountsWithoutProxy(types: string[]): Operation[] {
  return types.map((type) => ({
    op: 'remove' as const,
    type,
    elements: ['Prxy'],
    why: 'no proxy (alias) lookup service in the scheme: accounts are given by IBAN or account number',
  }));
}

/** Rule 1: settlement method and the settlement information that goes with it. */
function settlement(allowed: string[], why: string): Operation[] {
  return [
    { op: 'enumeration', simpleType: 'SettlementMethod1Code', keep: allowed, why },
    {
      op: 'keepOnly',
      type: 'SettlementInstruction7',
      elements: ['SttlmMtd', 'ClrSys'],
      why: 'settlement accounts and reimbursement agents are fixed by the scheme, not chosen per message',
    },
  ];
}

const WHY_CLRG_ONLY = 'domestic netting scheme: settlement is always through the clearing system';
const WHY_CLRG_INDA =
  'references may designate scheme payments (CLRG) or settlement-agent transfers (pacs.009, INDA)';

/** Rule 5: NbOfTxs at most 999,999 (six digits). */
const MAX6: NewSimpleType = {
  name: 'Max6NumericText',
  restricts: 'Max15NumericText',
  base: 'xs:string',
  pattern: '[0-9]{1,6}',
};
function nbOfTxsSixDigits(): Operation[] {
  return [
    {
      op: 'retype',
      element: 'NbOfTxs',
      from: 'Max15NumericText',
      to: MAX6.name,
      why: 'a message (file) carries at most 999,999 transactions',
    },
  ];
}

/** Rule 6 (all messages): no supplementary data. */
function noSupplementaryData(): Operation[] {
  return [
    {
      op: 'removeEverywhere',
      element: 'SplmtryData',
      why: 'the scheme defines no supplementary data; unknown extensions are refused rather than ignored',
    },
  ];
}

const WHY_NO_INTERMEDIARIES =
  'participants exchange directly through the clearing house: no intermediary or previous agents';
const WHY_NO_AGENT_ACCOUNTS = 'agents settle through the scheme; their accounts are not exchanged per transaction';
const WHY_NO_SETTLEMENT_TIMES =
  'settlement happens at the netting cycle; per-transaction settlement times are neither requested nor reported';
const WHY_NO_BATCH_BOOKING = 'booking on participant accounts follows the netting cycle, not a per-message request';
const WHY_NO_CHARGES = 'SLEV only: charges follow the scheme tariff and are not carried in the message';
const WHY_NO_INSTRUCTIONS =
  'free-form instructions to agents are not processed by the switch (straight-through processing only)';

const intermediaries = [
  'PrvsInstgAgt1',
  'PrvsInstgAgt1Acct',
  'PrvsInstgAgt2',
  'PrvsInstgAgt2Acct',
  'PrvsInstgAgt3',
  'PrvsInstgAgt3Acct',
  'IntrmyAgt1',
  'IntrmyAgt1Acct',
  'IntrmyAgt2',
  'IntrmyAgt2Acct',
  'IntrmyAgt3',
  'IntrmyAgt3Acct',
];

/** Restrictions for messages that only reference payments (rule 8: 1, 3, 4, 5 and SplmtryData). */
function referencingMessage(
  id: string,
  use: string,
  opts: { settlement: boolean; nbOfTxs: boolean; accounts: string[] },
): Profile {
  return {
    id,
    use,
    newTypes: opts.nbOfTxs ? [MAX6] : [],
    operations: [
      // Original-transaction references (OrgnlTxRef/SttlmInf) may designate a pacs.008 or a pacs.009.
      ...(opts.settlement ? settlement(['INDA', 'CLRG'], WHY_CLRG_INDA) : []),
      ...agentsBicOnly(),
      ...accountsWithoutProxy(opts.accounts),
      ...(opts.nbOfTxs ? nbOfTxsSixDigits() : []),
      ...noSupplementaryData(),
    ],
  };
}

/**
 * Payee verification (acmt.023 / acmt.024, docs/risk.md "Payee verification"): the assignment is
 * between participants and the clearing house, by BIC; one verification per message; no proxies, no
 * contact details, no supplementary data.
 */
function identificationVerification(): Operation[] {
  return [
    ...agentsBicOnly('FinancialInstitutionIdentification23', 'BranchAndFinancialInstitutionIdentification8'),
    {
      op: 'keepOnly',
      type: 'Party50Choice',
      elements: ['Agt'],
      why: 'the assigner and the assignee of a verification are participants or the clearing house, identified by BIC',
    },
    {
      op: 'remove',
      type: 'IdentificationAssignment4',
      elements: ['Cretr'],
      why: 'the assigner is the bank that asks; a separate creator is neither routed nor verified',
    },
    {
      op: 'remove',
      type: 'PartyIdentification272',
      elements: ['CtctDtls'],
      why: 'payee verification compares names on accounts; contact details are neither verified nor passed on',
    },
    ...accountsWithoutProxy(['CashAccount40']),
    ...noSupplementaryData(),
  ];
}

const WHY_ONE_VERIFICATION =
  'one verification per message: each is answered within the scheme timeout by the one bank that holds the account';

// ---------------------------------------------------------------------------------------------
// The profiles.
// ---------------------------------------------------------------------------------------------

export const profiles: Profile[] = [
  {
    id: 'head.001.001.02',
    use: 'business application header: sender and receiver participants, message identification',
    operations: [
      {
        op: 'keepOnly',
        type: 'Party44Choice',
        elements: ['FIId'],
        why: 'sender and receiver (Fr, To) are always participants or the clearing house, identified as FIs',
      },
      ...agentsBicOnly(),
    ],
  },
  {
    id: 'pacs.008.001.08',
    use: 'FI-to-FI customer credit transfer, one or many transactions per message',
    newTypes: [MAX6],
    operations: [
      ...settlement(['CLRG'], WHY_CLRG_ONLY),
      {
        op: 'enumeration',
        simpleType: 'ChargeBearerType1Code',
        keep: ['SLEV'],
        why: 'charges follow the scheme service level (SEPA-style); no DEBT/CRED/SHAR deductions',
      },
      ...agentsBicOnly(),
      ...accountsWithoutProxy(['CashAccount38']),
      ...nbOfTxsSixDigits(),
      { op: 'remove', path: 'FIToFICstmrCdtTrf/GrpHdr', elements: ['BtchBookg'], why: WHY_NO_BATCH_BOOKING },
      {
        op: 'remove',
        path: 'FIToFICstmrCdtTrf/CdtTrfTxInf',
        elements: ['SttlmTmIndctn', 'SttlmTmReq'],
        why: WHY_NO_SETTLEMENT_TIMES,
      },
      { op: 'remove', path: 'FIToFICstmrCdtTrf/CdtTrfTxInf', elements: ['ChrgsInf'], why: WHY_NO_CHARGES },
      { op: 'remove', path: 'FIToFICstmrCdtTrf/CdtTrfTxInf', elements: intermediaries, why: WHY_NO_INTERMEDIARIES },
      {
        op: 'remove',
        path: 'FIToFICstmrCdtTrf/CdtTrfTxInf',
        elements: ['DbtrAgtAcct', 'CdtrAgtAcct'],
        why: WHY_NO_AGENT_ACCOUNTS,
      },
      {
        op: 'remove',
        path: 'FIToFICstmrCdtTrf/CdtTrfTxInf',
        elements: ['InstrForCdtrAgt', 'InstrForNxtAgt'],
        why: WHY_NO_INSTRUCTIONS,
      },
      {
        op: 'remove',
        path: 'FIToFICstmrCdtTrf/CdtTrfTxInf',
        elements: ['RgltryRptg'],
        why: 'domestic payments: no cross-border regulatory (balance of payments) reporting',
      },
      {
        op: 'remove',
        path: 'FIToFICstmrCdtTrf/CdtTrfTxInf',
        elements: ['Tax'],
        why: 'tax information is not carried at transaction level (structured remittance Strd/TaxRmt stays)',
      },
      {
        op: 'remove',
        path: 'FIToFICstmrCdtTrf/CdtTrfTxInf',
        elements: ['RltdRmtInf'],
        why: 'remittance information travels with the payment (RmtInf), not separately',
      },
      ...noSupplementaryData(),
    ],
  },
  {
    id: 'pacs.009.001.08',
    use: 'FI credit transfer: bank-to-bank transfers and transfers to/from the settlement agent',
    newTypes: [MAX6],
    operations: [
      ...settlement(
        ['INDA', 'CLRG'],
        'CLRG for transfers cleared in the cycle; INDA for instructions to the settlement agent',
      ),
      ...agentsBicOnly(),
      ...accountsWithoutProxy(['CashAccount38']),
      ...nbOfTxsSixDigits(),
      { op: 'remove', path: 'FICdtTrf/GrpHdr', elements: ['BtchBookg'], why: WHY_NO_BATCH_BOOKING },
      {
        op: 'remove',
        path: 'FICdtTrf/CdtTrfTxInf',
        elements: ['SttlmTmIndctn', 'SttlmTmReq'],
        why: WHY_NO_SETTLEMENT_TIMES,
      },
      { op: 'remove', path: 'FICdtTrf/CdtTrfTxInf', elements: intermediaries, why: WHY_NO_INTERMEDIARIES },
      {
        op: 'remove',
        path: 'FICdtTrf/CdtTrfTxInf',
        elements: ['DbtrAgtAcct', 'CdtrAgtAcct'],
        why: WHY_NO_AGENT_ACCOUNTS,
      },
      {
        op: 'remove',
        path: 'FICdtTrf/CdtTrfTxInf',
        elements: ['InstrForCdtrAgt', 'InstrForNxtAgt'],
        why: WHY_NO_INSTRUCTIONS,
      },
      {
        op: 'remove',
        path: 'FICdtTrf/CdtTrfTxInf',
        elements: ['UndrlygCstmrCdtTrf'],
        why: 'cross-border cover payments (pacs.009 COV) are not used; customer payments are sent as pacs.008',
      },
      ...noSupplementaryData(),
    ],
  },
  {
    id: 'pacs.004.001.09',
    use: 'payment return by the creditor agent of (part of) a settled payment',
    newTypes: [MAX6],
    operations: [
      ...settlement(['CLRG'], WHY_CLRG_ONLY),
      {
        op: 'enumeration',
        simpleType: 'ChargeBearerType1Code',
        keep: ['SLEV'],
        why: 'returns follow the scheme service level like the original payment; no DEBT/CRED/SHAR',
      },
      ...agentsBicOnly(),
      ...accountsWithoutProxy(['CashAccount38']),
      ...nbOfTxsSixDigits(),
      { op: 'remove', path: 'PmtRtr/GrpHdr', elements: ['BtchBookg'], why: WHY_NO_BATCH_BOOKING },
      { op: 'remove', path: 'PmtRtr/TxInf', elements: ['SttlmTmIndctn'], why: WHY_NO_SETTLEMENT_TIMES },
      { op: 'remove', path: 'PmtRtr/TxInf', elements: ['ChrgsInf'], why: WHY_NO_CHARGES },
      {
        op: 'remove',
        path: 'PmtRtr/TxInf/RtrChain',
        elements: ['PrvsInstgAgt1', 'PrvsInstgAgt2', 'PrvsInstgAgt3', 'IntrmyAgt1', 'IntrmyAgt2', 'IntrmyAgt3'],
        why: WHY_NO_INTERMEDIARIES,
      },
      {
        op: 'remove',
        path: 'PmtRtr/TxInf/OrgnlTxRef',
        elements: ['DbtrAgtAcct', 'CdtrAgtAcct'],
        why: 'the original scheme payment cannot carry agent accounts (removed from pacs.008)',
      },
      ...noSupplementaryData(),
    ],
  },
  referencingMessage('pacs.002.001.10', 'payment status report (ACTC, ACCP, ACSP, ACSC, PDNG, RJCT, PART)', {
    settlement: true,
    nbOfTxs: false,
    accounts: ['CashAccount38'],
  }),
  referencingMessage('pacs.028.001.03', 'payment status request, answered with pacs.002', {
    settlement: true,
    nbOfTxs: false,
    accounts: ['CashAccount38'],
  }),
  referencingMessage('camt.056.001.08', 'cancellation / recall request forwarded to the creditor agent', {
    settlement: true,
    nbOfTxs: true,
    accounts: ['CashAccount38'],
  }),
  referencingMessage('camt.029.001.09', 'resolution of investigation (answer to a recall)', {
    settlement: true,
    nbOfTxs: false,
    accounts: ['CashAccount38'],
  }),
  referencingMessage('camt.052.001.08', 'intraday report: positions and headroom per participant', {
    settlement: false,
    nbOfTxs: true,
    accounts: ['CashAccount38', 'CashAccount39'],
  }),
  referencingMessage('camt.053.001.08', 'statement per participant per cycle / business day', {
    settlement: false,
    nbOfTxs: true,
    accounts: ['CashAccount38', 'CashAccount39'],
  }),
  referencingMessage('camt.054.001.08', 'debit / credit notification of settled transactions', {
    settlement: false,
    nbOfTxs: true,
    accounts: ['CashAccount38', 'CashAccount39'],
  }),
  referencingMessage('camt.060.001.05', 'account reporting request (asks for a camt.052 or camt.053)', {
    settlement: false,
    nbOfTxs: false,
    accounts: ['CashAccount38'],
  }),
  {
    id: 'acmt.023.001.04',
    use: 'identification verification request: does this name hold this account? (payee verification)',
    operations: [
      ...identificationVerification(),
      { op: 'occurs', type: 'IdentificationVerificationRequestV04', element: 'Vrfctn', maxOccurs: 1, why: WHY_ONE_VERIFICATION },
      ...['Pty', 'Acct', 'Agt'].map((element): Operation => ({
        op: 'occurs',
        type: 'IdentificationInformation5',
        element,
        minOccurs: 1,
        why: 'a verification names the payee (Pty/Nm), the account (Acct/Id) and the bank that holds it (Agt), which is asked',
      })),
      {
        op: 'occurs',
        type: 'PartyIdentification272',
        element: 'Nm',
        minOccurs: 1,
        why: 'the name is what is verified',
      },
      { op: 'occurs', type: 'CashAccount40', element: 'Id', minOccurs: 1, why: 'the account is what is verified' },
    ],
  },
  {
    id: 'acmt.024.001.04',
    use: 'identification verification report: match, close match (with the name on the account) or no match',
    operations: [
      ...identificationVerification(),
      { op: 'occurs', type: 'IdentificationVerificationReportV04', element: 'Rpt', maxOccurs: 1, why: WHY_ONE_VERIFICATION },
      {
        op: 'occurs',
        type: 'IdentificationVerificationReportV04',
        element: 'OrgnlAssgnmt',
        minOccurs: 1,
        why: 'a report names the request it answers (its MsgId), so the switch can route it back',
      },
      { op: 'occurs', type: 'MessageIdentification8', element: 'MsgId', minOccurs: 1, why: 'the request answered, by its MsgId' },
      {
        op: 'occurs',
        type: 'VerificationReport5',
        element: 'Rsn',
        minOccurs: 1,
        why: 'every report carries its result code (MTCH, CMTC, NMTC or NOAP): true/false alone cannot say close match',
      },
      {
        op: 'keepOnly',
        type: 'VerificationReason1Choice',
        elements: ['Cd'],
        why: 'results are the ISO external codes, never proprietary texts',
      },
    ],
  },
  {
    id: 'admi.002.001.01',
    use: 'message reject for a message or file that cannot be parsed or authenticated',
    operations: [],
  },
  {
    id: 'admi.004.001.02',
    use: 'system event notification (cycle opened, cut-off, settled, participant suspended)',
    operations: [],
  },
];
