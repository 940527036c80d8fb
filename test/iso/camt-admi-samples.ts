/**
 * Realistic sample models of the cash-management and admin messages, covering the optional branches
 * of each model. A clearing cycle of 14 March 2025: BANKDEFF recalls a payment to COBADEFF, COBADEFF
 * accepts, the switch (CLRHDEFF) reports positions, headroom, statements and notifications.
 */
import type { Admi002 } from '../../switch/iso/messages/admi.002.001.01/index.ts';
import { schemeEvents, type Admi004 } from '../../switch/iso/messages/admi.004.001.02/index.ts';
import type { Camt029 } from '../../switch/iso/messages/camt.029.001.09/index.ts';
import { reportBalanceTypes, type Camt052 } from '../../switch/iso/messages/camt.052.001.08/index.ts';
import type { Camt053, Entry } from '../../switch/iso/messages/camt.053.001.08/index.ts';
import type { Camt054 } from '../../switch/iso/messages/camt.054.001.08/index.ts';
import type { Camt056 } from '../../switch/iso/messages/camt.056.001.08/index.ts';
import type { Camt060 } from '../../switch/iso/messages/camt.060.001.05/index.ts';

export const BIC = {
  switch: 'CLRHDEFFXXX',
  bankFrankfurt: 'BANKDEFFXXX',
  commerzbank: 'COBADEFFXXX',
  ing: 'INGBNL2A',
  bnp: 'BNPAFRPPXXX',
} as const;

export const IBAN = {
  settlementFrankfurt: 'DE89370400440532013000',
  commerzbankCustomer: 'DE44500105175407324931',
  ingCustomer: 'NL91ABNA0417164300',
  bnpCustomer: 'FR1420041010050500013M02606',
} as const;

const UETR = {
  first: '3f2b8c1e-7d4a-4e6b-9a1c-5b2d8e0f4a71',
  second: 'eb6305c9-1f7f-49de-aed0-16487c27b42d',
} as const;

// ---- camt.056 ----

const recallAssignment = {
  id: 'BANKDEFF-RCL-20250315-0001',
  assigner: BIC.bankFrankfurt,
  assignee: BIC.switch,
  creationDateTime: '2025-03-15T10:30:00+01:00',
} as const;

export const camt056Samples: Readonly<Record<string, Camt056>> = {
  minimal: {
    assignment: recallAssignment,
    underlying: [{ transactions: [{ cancellationId: 'BANKDEFF-CXL-0001', originalUetr: UETR.first, reasons: [] }] }],
  },
  duplicateRecall: {
    assignment: recallAssignment,
    case: { id: 'CASE-BANKDEFF-2025-0007', creator: BIC.bankFrankfurt },
    underlying: [{
      transactions: [{
        cancellationId: 'BANKDEFF-CXL-0002',
        case: { id: 'CASE-BANKDEFF-2025-0007-1', creator: BIC.bankFrankfurt },
        originalGroup: { messageId: 'BANKDEFF-20250314-000001', messageNameId: 'pacs.008.001.08', creationDateTime: '2025-03-14T09:15:00+01:00' },
        originalInstructionId: 'INSTR-000001',
        originalEndToEndId: 'INV-2025-0042',
        originalTransactionId: 'BANKDEFF-TX-000001',
        originalUetr: UETR.first,
        originalInterbankSettlementAmount: { currency: 'EUR', value: '1250.00' },
        originalInterbankSettlementDate: '2025-03-14',
        reasons: [{
          originatorName: 'Bank Frankfurt AG Payments & Operations',
          reason: { code: 'DUPL' },
          additionalInformation: ['Sent twice by the bulk channel', 'Second copy: BANKDEFF-TX-000002'],
        }],
      }],
    }],
  },
  twoUnderlyingFraudAndProprietary: {
    assignment: { ...recallAssignment, id: 'BANKDEFF-RCL-20250315-0002' },
    underlying: [
      {
        transactions: [
          {
            cancellationId: 'BANKDEFF-CXL-0003',
            originalGroup: { messageId: 'BANKDEFF-20250314-000002', messageNameId: 'pacs.008.001.08' },
            originalEndToEndId: 'E2E-0003',
            originalTransactionId: 'BANKDEFF-TX-000003',
            originalInterbankSettlementAmount: { currency: 'EUR', value: '99999.99' },
            reasons: [{ reason: { code: 'FRAD' }, additionalInformation: [] }],
          },
          {
            cancellationId: 'BANKDEFF-CXL-0004',
            originalTransactionId: 'BANKDEFF-TX-000004',
            originalUetr: UETR.second,
            reasons: [{ reason: { proprietary: 'SCHEME-WRONG-CYCLE' }, additionalInformation: ['Cycle 3 instead of 4'] }],
          },
        ],
      },
      {
        transactions: [{
          cancellationId: 'BANKDEFF-CXL-0005',
          originalTransactionId: 'BANKDEFF-TX-000005',
          originalInterbankSettlementAmount: { currency: 'JPY', value: '150000' },
          originalInterbankSettlementDate: '2025-03-14',
          reasons: [{ reason: { code: 'AM09' }, additionalInformation: [] }, { reason: { code: 'CUST' }, additionalInformation: [] }],
        }],
      },
    ],
  },
};

// ---- camt.029 ----

const resolutionAssignment = {
  id: 'COBADEFF-RES-20250316-0001',
  assigner: BIC.commerzbank,
  assignee: BIC.switch,
  creationDateTime: '2025-03-16T14:05:00+01:00',
} as const;

export const camt029Samples: Readonly<Record<string, Camt029>> = {
  pendingNoDetails: { assignment: resolutionAssignment, status: 'PDCR', cancellationDetails: [] },
  accepted: {
    assignment: resolutionAssignment,
    resolvedCase: { id: 'CASE-BANKDEFF-2025-0007', creator: BIC.bankFrankfurt },
    status: 'CNCL',
    cancellationDetails: [{
      transactions: [{
        cancellationStatusId: 'COBADEFF-CXLSTS-0001',
        resolvedCase: { id: 'CASE-BANKDEFF-2025-0007-1', creator: BIC.bankFrankfurt },
        originalGroup: { messageId: 'BANKDEFF-20250314-000001', messageNameId: 'pacs.008.001.08' },
        originalInstructionId: 'INSTR-000001',
        originalEndToEndId: 'INV-2025-0042',
        originalTransactionId: 'BANKDEFF-TX-000001',
        originalUetr: UETR.first,
        status: 'ACCR',
        reasons: [],
        resolution: {
          endToEndId: 'INV-2025-0042',
          transactionId: 'COBADEFF-RTR-000001',
          uetr: UETR.second,
          interbankSettlementAmount: { currency: 'EUR', value: '1250.00' },
          interbankSettlementDate: '2025-03-17',
        },
        originalInterbankSettlementAmount: { currency: 'EUR', value: '1250.00' },
        originalInterbankSettlementDate: '2025-03-14',
      }],
    }],
  },
  rejected: {
    assignment: { ...resolutionAssignment, id: 'COBADEFF-RES-20250316-0002' },
    status: 'RJCR',
    cancellationDetails: [
      {
        transactions: [
          {
            cancellationStatusId: 'COBADEFF-CXLSTS-0002',
            originalTransactionId: 'BANKDEFF-TX-000003',
            status: 'RJCR',
            reasons: [{
              originatorName: 'Commerzbank AG',
              reason: { code: 'CUST' },
              additionalInformation: ['Beneficiary refuses to return the funds'],
            }],
          },
          {
            originalTransactionId: 'BANKDEFF-TX-000004',
            status: 'RJCR',
            reasons: [{ reason: { proprietary: 'ALREADY-RETURNED' }, additionalInformation: [] }],
          },
        ],
      },
      { transactions: [{ originalUetr: UETR.second, status: 'PDCR', reasons: [] }] },
    ],
  },
};

// ---- camt.052 / 053 / 054 ----

const creditEntry: Entry = {
  reference: 'CYCLE1-BANKDEFF-CRDT',
  amount: { currency: 'EUR', value: '1250.00' },
  creditDebit: 'CRDT',
  status: { code: 'BOOK' },
  bookingDate: { date: '2025-03-14' },
  valueDate: { date: '2025-03-14' },
  accountServicerReference: 'CLRH-20250314-C1-000017',
  bankTransactionCode: { domain: { code: 'PMNT', family: 'RCDT', subFamily: 'ESCT' } },
  details: [{
    transactions: [{
      references: {
        messageId: 'COBADEFF-20250314-000031',
        accountServicerReference: 'CLRH-20250314-C1-000017-1',
        instructionId: 'INSTR-000031',
        endToEndId: 'INV-2025-0042',
        transactionId: 'COBADEFF-TX-000031',
        uetr: UETR.first,
      },
      amount: { currency: 'EUR', value: '1250.00' },
      creditDebit: 'CRDT',
      debtor: { name: 'Müller & Söhne GmbH' },
      debtorAccount: { iban: IBAN.commerzbankCustomer },
      creditor: { name: 'Frankfurt <Retail> Customer' },
      ultimateCreditor: {},
      creditorAccount: { other: 'CUST-0001' },
      debtorAgent: BIC.commerzbank,
      creditorAgent: BIC.bankFrankfurt,
      remittanceInformation: ['Invoice 2025-0042', 'Order 7781'],
    }],
  }],
};

const batchDebitEntry: Entry = {
  reference: 'CYCLE1-BANKDEFF-DBIT',
  amount: { currency: 'EUR', value: '1751.25' },
  creditDebit: 'DBIT',
  status: { code: 'BOOK' },
  bookingDate: { dateTime: '2025-03-14T10:00:00+01:00' },
  valueDate: { date: '2025-03-14' },
  bankTransactionCode: {
    domain: { code: 'PMNT', family: 'ICDT', subFamily: 'ESCT' },
    proprietary: { code: 'CLRH-BULK', issuer: 'CLRH' },
  },
  details: [{
    transactions: [
      {
        references: { endToEndId: 'E2E-A', transactionId: 'BANKDEFF-TX-000101' },
        amount: { currency: 'EUR', value: '1000.00' },
        creditDebit: 'DBIT',
        creditorAgent: BIC.ing,
        creditorAccount: { iban: IBAN.ingCustomer },
        remittanceInformation: [],
      },
      {
        references: { endToEndId: 'E2E-B', transactionId: 'BANKDEFF-TX-000102' },
        amount: { currency: 'EUR', value: '751.25' },
        creditDebit: 'DBIT',
        creditorAgent: BIC.bnp,
        remittanceInformation: [],
      },
    ],
  }],
};

const pendingEntry: Entry = {
  amount: { currency: 'EUR', value: '0.01' },
  creditDebit: 'DBIT',
  status: { code: 'PDNG' },
  bankTransactionCode: { proprietary: { code: 'QUEUED-CAP' } },
  details: [],
};

const settlementAccount = {
  id: { iban: IBAN.settlementFrankfurt },
  currency: 'EUR',
  name: 'Settlement position Bank Frankfurt',
  ownerName: 'Bank Frankfurt AG',
  servicer: BIC.switch,
} as const;

export const camt052Samples: Readonly<Record<string, Camt052>> = {
  headroomOnly: {
    groupHeader: { messageId: 'CLRH-RPT-20250314-BANKDEFF-01', creationDateTime: '2025-03-14T12:00:00+01:00' },
    reports: [{
      id: 'RPT-20250314-BANKDEFF-1200',
      creationDateTime: '2025-03-14T12:00:00+01:00',
      account: { id: { other: 'SETTLE-BANKDEFF-01' }, currency: 'EUR', servicer: BIC.switch },
      balances: [
        { type: reportBalanceTypes.netPosition, amount: { currency: 'EUR', value: '1250.00' }, creditDebit: 'DBIT', date: { dateTime: '2025-03-14T12:00:00+01:00' } },
        { type: reportBalanceTypes.headroom, amount: { currency: 'EUR', value: '248750.00' }, creditDebit: 'CRDT', date: { dateTime: '2025-03-14T12:00:00+01:00' } },
        { type: reportBalanceTypes.netDebitCap, amount: { currency: 'EUR', value: '250000.00' }, creditDebit: 'CRDT', date: { date: '2025-03-14' } },
      ],
      entries: [],
    }],
  },
  withEntriesAndPagination: {
    groupHeader: {
      messageId: 'CLRH-RPT-20250314-BANKDEFF-02',
      creationDateTime: '2025-03-14T15:00:00Z',
      recipient: { name: 'Bank Frankfurt AG', anyBic: BIC.bankFrankfurt },
      pagination: { pageNumber: '1', lastPage: false },
    },
    reports: [
      {
        id: 'RPT-20250314-BANKDEFF-1500',
        electronicSequenceNumber: '42',
        creationDateTime: '2025-03-14T15:00:00Z',
        period: { from: '2025-03-14T08:00:00Z', to: '2025-03-14T15:00:00Z' },
        account: settlementAccount,
        balances: [
          { type: reportBalanceTypes.openingBooked, amount: { currency: 'EUR', value: '0.00' }, creditDebit: 'CRDT', date: { date: '2025-03-14' } },
          { type: reportBalanceTypes.netPosition, amount: { currency: 'EUR', value: '501.25' }, creditDebit: 'DBIT', date: { dateTime: '2025-03-14T15:00:00Z' } },
        ],
        summary: { total: { count: '3', sum: '3001.26', net: { amount: '501.26', creditDebit: 'DBIT' } }, credits: { count: '1', sum: '1250.00' }, debits: { count: '2', sum: '1751.26' } },
        entries: [creditEntry, batchDebitEntry, pendingEntry],
      },
      {
        id: 'RPT-20250314-BANKDEFF-USD',
        account: { id: { other: 'SETTLE-BANKDEFF-USD' }, currency: 'USD' },
        balances: [],
        entries: [{ ...pendingEntry, amount: { currency: 'USD', value: '100000.00' } }],
      },
    ],
  },
};

/**
 * A settled payment and the charges booked for it: two entries, one UETR (the charges entry refers to
 * the payment it was taken for). The debtor and creditor are banks, so RltdPties holds agents (Agt),
 * and the charges entry's status is proprietary.
 */
const paymentWithCharges: readonly Entry[] = [
  {
    reference: 'C1-SETTLE-BANKDEFF',
    amount: { currency: 'EUR', value: '250000.00' },
    creditDebit: 'DBIT',
    status: { code: 'BOOK' },
    bookingDate: { date: '2025-03-14' },
    accountServicerReference: 'CLRH-20250314-C1-SI-0001',
    bankTransactionCode: { domain: { code: 'PMNT', family: 'ICDT', subFamily: 'FICT' } },
    details: [{
      transactions: [{
        references: { messageId: 'CLRH-PACS009-C1-0001', uetr: UETR.second },
        amount: { currency: 'EUR', value: '250000.00' },
        creditDebit: 'DBIT',
        debtor: { agent: BIC.bankFrankfurt },
        creditor: { agent: BIC.switch },
        ultimateDebtor: { name: 'Bank Frankfurt AG Treasury' },
        remittanceInformation: [],
      }],
    }],
  },
  {
    reference: 'C1-CHARGES-BANKDEFF',
    amount: { currency: 'EUR', value: '2.50' },
    creditDebit: 'DBIT',
    status: { proprietary: 'CHARGED' },
    bookingDate: { date: '2025-03-14' },
    accountServicerReference: 'CLRH-20250314-C1-CHG-0001',
    bankTransactionCode: { domain: { code: 'PMNT', family: 'ICDT', subFamily: 'CHRG' } },
    details: [{
      transactions: [{
        references: { uetr: UETR.second },
        amount: { currency: 'EUR', value: '2.50' },
        creditDebit: 'DBIT',
        debtor: { agent: BIC.bankFrankfurt },
        creditor: { anyBic: BIC.switch },
        remittanceInformation: [],
      }],
    }],
  },
];

export const camt053WithCharges: Camt053 = {
  groupHeader: { messageId: 'CLRH-STM-20250314-BANKDEFF-02', creationDateTime: '2025-03-14T18:30:00+01:00' },
  statements: [{
    id: 'STM-20250314-BANKDEFF',
    account: settlementAccount,
    balances: [
      { type: { code: 'OPBD' }, amount: { currency: 'EUR', value: '0.00' }, creditDebit: 'CRDT', date: { date: '2025-03-14' } },
      { type: { code: 'CLBD' }, amount: { currency: 'EUR', value: '250002.50' }, creditDebit: 'DBIT', date: { date: '2025-03-14' } },
    ],
    entries: paymentWithCharges,
  }],
};

export const camt053Samples: Readonly<Record<string, Camt053>> = {
  cycleStatement: {
    groupHeader: { messageId: 'CLRH-STM-20250314-BANKDEFF-01', creationDateTime: '2025-03-14T18:30:00+01:00' },
    statements: [{
      id: 'STM-20250314-C1-BANKDEFF',
      electronicSequenceNumber: '314',
      creationDateTime: '2025-03-14T18:30:00+01:00',
      period: { from: '2025-03-14T08:00:00+01:00', to: '2025-03-14T18:00:00+01:00' },
      account: settlementAccount,
      balances: [
        { type: { code: 'OPBD' }, amount: { currency: 'EUR', value: '0.00' }, creditDebit: 'CRDT', date: { date: '2025-03-14' } },
        { type: { code: 'CLBD' }, amount: { currency: 'EUR', value: '501.25' }, creditDebit: 'DBIT', date: { date: '2025-03-14' } },
      ],
      summary: { total: { count: '2', net: { amount: '501.25', creditDebit: 'DBIT' } } },
      entries: [creditEntry, batchDebitEntry],
    }],
  },
  emptyDayTwoAccounts: {
    groupHeader: {
      messageId: 'CLRH-STM-20250315-COBADEFF-01',
      creationDateTime: '2025-03-15T18:30:00+01:00',
      recipient: { anyBic: BIC.commerzbank },
      pagination: { pageNumber: '00001', lastPage: true },
    },
    statements: [
      {
        id: 'STM-20250315-COBADEFF-EUR',
        account: { id: { iban: IBAN.commerzbankCustomer } },
        balances: [{ type: { code: 'PRCD' }, amount: { currency: 'EUR', value: '12.5' }, creditDebit: 'CRDT', date: { date: '2025-03-14' } }],
        summary: { credits: {}, debits: { count: '0' } },
        entries: [],
      },
      {
        id: 'STM-20250315-COBADEFF-JPY',
        account: { id: { other: 'SETTLE-COBADEFF-JPY' }, currency: 'JPY', ownerName: 'Commerzbank AG' },
        balances: [
          { type: { code: 'CLBD' }, amount: { currency: 'JPY', value: '1500000' }, creditDebit: 'CRDT', date: { dateTime: '2025-03-15T18:00:00.250+01:00' } },
          { type: { proprietary: 'QUEUED' }, amount: { currency: 'JPY', value: '0' }, creditDebit: 'CRDT', date: { date: '2025-03-15' } },
        ],
        entries: [],
      },
    ],
  },
};

export const camt054Samples: Readonly<Record<string, Camt054>> = {
  singleCredit: {
    groupHeader: { messageId: 'CLRH-NTF-20250314-BANKDEFF-01', creationDateTime: '2025-03-14T10:00:05+01:00' },
    notifications: [{
      id: 'NTF-20250314-BANKDEFF-000017',
      creationDateTime: '2025-03-14T10:00:05+01:00',
      account: settlementAccount,
      entries: [creditEntry],
    }],
  },
  batchAndPending: {
    groupHeader: {
      messageId: 'CLRH-NTF-20250314-BANKDEFF-02',
      creationDateTime: '2025-03-14T11:00:00+01:00',
      recipient: { name: 'Bank Frankfurt AG' },
    },
    notifications: [
      {
        id: 'NTF-20250314-BANKDEFF-000018',
        electronicSequenceNumber: '18',
        period: { from: '2025-03-14T10:00:00+01:00', to: '2025-03-14T11:00:00+01:00' },
        account: { id: { other: 'SETTLE-BANKDEFF-01' } },
        summary: { total: { count: '2', sum: '1751.26' } },
        entries: [batchDebitEntry, pendingEntry],
      },
      { id: 'NTF-20250314-BANKDEFF-000019', account: { id: { iban: IBAN.settlementFrankfurt } }, entries: [] },
    ],
  },
};

// ---- camt.060 ----

export const camt060Samples: Readonly<Record<string, Camt060>> = {
  intradayHeadroom: {
    groupHeader: { messageId: 'BANKDEFF-RPTREQ-20250314-01', creationDateTime: '2025-03-14T11:55:00+01:00' },
    requests: [{
      id: 'RPTREQ-0001',
      requestedMessageNameId: 'camt.052.001.08',
      accountOwner: { agent: BIC.bankFrankfurt },
      requestedBalanceTypes: [{ code: 'ITBD' }, { code: 'ITAV' }, { proprietary: 'NETDEBITCAP' }],
    }],
  },
  statementsForPeriod: {
    groupHeader: { messageId: 'BANKDEFF-RPTREQ-20250315-02', creationDateTime: '2025-03-15T08:00:00Z' },
    requests: [
      {
        id: 'RPTREQ-0002',
        requestedMessageNameId: 'camt.053.001.08',
        account: { iban: IBAN.settlementFrankfurt },
        accountOwner: { agent: BIC.bankFrankfurt },
        period: { dates: { from: '2025-03-10', to: '2025-03-14' }, times: { from: '08:00:00', to: '18:00:00' }, type: 'ALLL' },
        requestedBalanceTypes: [],
      },
      {
        requestedMessageNameId: 'camt.052.001.08',
        account: { other: 'SETTLE-BANKDEFF-USD' },
        accountOwner: { name: 'Bank Frankfurt AG Treasury' },
        period: { dates: { from: '2025-03-14' }, times: { from: '12:00:00+01:00' }, type: 'CHNG' },
        requestedBalanceTypes: [{ code: 'CLBD' }],
      },
      {
        requestedMessageNameId: 'camt.052.001.08',
        accountOwner: { agent: BIC.ing },
        period: { dates: { from: '2025-03-14' }, type: 'MODF' },
        requestedBalanceTypes: [],
      },
    ],
  },
  ownersAsParties: {
    groupHeader: { messageId: 'BANKDEFF-RPTREQ-20250315-03', creationDateTime: '2025-03-15T08:00:00Z' },
    requests: [
      { requestedMessageNameId: 'camt.053.001.08', accountOwner: { anyBic: BIC.bankFrankfurt }, requestedBalanceTypes: [] },
      { requestedMessageNameId: 'camt.053.001.08', accountOwner: {}, requestedBalanceTypes: [] },
    ],
  },
};

// ---- admi.002 / admi.004 ----

export const admi002Samples: Readonly<Record<string, Admi002>> = {
  minimal: { relatedReference: 'BANKDEFF-20250314-000009', reason: { rejectingPartyReason: 'FF01' } },
  signatureFailure: {
    relatedReference: 'inbound/BANKDEFF_20250314_0930.xml',
    reason: {
      rejectingPartyReason: 'DS0A',
      rejectionDateTime: '2025-03-14T09:30:02.125+01:00',
      errorLocation: '/Document/FIToFICstmrCdtTrf/GrpHdr/MsgId',
      description: 'Signature does not verify with the sender\'s current certificate <serial 0x1F>',
      additionalData: 'certificate serial 1F; expected signer BANKDEFFXXX & key id 7',
    },
  },
};

export const admi004Samples: Readonly<Record<string, Admi004>> = {
  ...Object.fromEntries(Object.entries(schemeEvents).map(([name, code]) => [name, {
    event: {
      code,
      parameters: name.startsWith('PARTICIPANT') ? [BIC.ing] : ['C-20250314-3', '2025-03-14'],
      description: `Scheme event ${name}`,
      time: '2025-03-14T12:00:00+01:00',
    },
  }])),
  codeOnly: { event: { code: 'CSET', parameters: [] } },
  unwoundTwoParticipants: {
    event: { code: schemeEvents.CYCLE_UNWOUND, parameters: ['C-20250314-4', BIC.ing, BIC.bnp], time: '2025-03-14T16:05:00Z' },
  },
};
