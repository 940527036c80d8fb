/**
 * Realistic sample models of the payment messages, covering the optional branches: IBAN and Othr
 * accounts, structured and unstructured remittance, group and transaction statuses with reasons,
 * returns with reasons and original references. BICs, IBANs and UETRs are well-formed.
 */
import type { Pacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import type { Pacs004 } from '../../switch/iso/messages/pacs.004.001.09/index.ts';
import type { Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import type { Pacs009 } from '../../switch/iso/messages/pacs.009.001.08/index.ts';
import type { Pacs028 } from '../../switch/iso/messages/pacs.028.001.03/index.ts';
import type { BusinessApplicationHeader } from '../../switch/iso/messages/head.001.001.02/index.ts';

export const BIC = {
  switch: 'CLHSDEFFXXX',
  settlementAgent: 'MARKDEFFXXX',
  deutsche: 'DEUTDEFFXXX',
  bnp: 'BNPAFRPPXXX',
  abn: 'ABNANL2A',
  ing: 'INGBNL2A',
} as const;

export const IBAN = {
  alice: 'DE89370400440532013000',
  bob: 'FR1420041010050500013M02606',
  carol: 'NL91ABNA0417164300',
  dave: 'GB29NWBK60161331926819',
} as const;

const settlement = { method: 'CLRG', clearingSystem: { proprietary: 'CLEARHOUSE' } } as const;

/** One transaction, IBANs on both sides, unstructured remittance. */
const pacs008Single: Pacs008 = {
  groupHeader: {
    messageId: '0007',
    creationDateTime: '2024-05-13T09:30:00.000+02:00',
    numberOfTransactions: '1',
    controlSum: '1.10',
    totalInterbankSettlementAmount: { currency: 'EUR', value: '1.10' },
    interbankSettlementDate: '2024-05-13',
    settlementInformation: settlement,
    instructingAgent: BIC.deutsche,
    instructedAgent: BIC.switch,
  },
  transactions: [
    {
      paymentIdentification: {
        endToEndId: 'INV-2024-0042',
        transactionId: 'DEUT20240513000001',
        uetr: '7a562c67-ca16-48ba-b074-65581be6f001',
      },
      interbankSettlementAmount: { currency: 'EUR', value: '1.10' },
      chargeBearer: 'SLEV',
      debtor: { name: 'Alice Schmidt' },
      debtorAccount: { iban: IBAN.alice },
      debtorAgent: BIC.deutsche,
      creditorAgent: BIC.bnp,
      creditor: { name: 'Bob Martin & Fils <SARL>' },
      creditorAccount: { iban: IBAN.bob },
      remittance: { unstructured: ['Invoice 42 / May 2024'] },
    },
  ],
};

/** Three transactions exercising every modelled optional element. */
const pacs008Bulk: Pacs008 = {
  groupHeader: {
    messageId: 'ABNA-BULK-20240513-0001',
    creationDateTime: '2024-05-13T10:15:00Z',
    numberOfTransactions: '3',
    controlSum: '100250.55',
    interbankSettlementDate: '2024-05-13',
    settlementInformation: { method: 'CLRG', clearingSystem: { code: 'STG' } },
    paymentTypeInformation: { serviceLevels: [{ code: 'SEPA' }], localInstrument: { code: 'INST' } },
    instructingAgent: BIC.abn,
    instructedAgent: BIC.switch,
  },
  transactions: [
    {
      paymentIdentification: {
        instructionId: 'INSTR-1',
        endToEndId: 'E2E-1',
        transactionId: 'ABNA-TX-1',
        uetr: 'e0c3b8a4-6a4b-4b0e-9a3e-2f1d4c5b6a7e',
        clearingSystemReference: 'CLHS-000001',
      },
      paymentTypeInformation: {
        instructionPriority: 'HIGH',
        serviceLevels: [{ code: 'SEPA' }, { proprietary: 'SAMEDAY' }],
        localInstrument: { proprietary: 'CH-INSTANT' },
        categoryPurpose: { code: 'SUPP' },
      },
      interbankSettlementAmount: { currency: 'EUR', value: '100000.00' },
      interbankSettlementDate: '2024-05-13',
      acceptanceDateTime: '2024-05-13T10:14:59.123Z',
      instructedAmount: { currency: 'USD', value: '108500.00' },
      exchangeRate: '0.92166',
      chargeBearer: 'SLEV',
      instructingAgent: BIC.abn,
      instructedAgent: BIC.switch,
      ultimateDebtor: {
        name: 'Holding Carol BV',
        identification: { organisation: { lei: '724500VKKSH9QOLTFR81', others: [{ id: 'NL123456789B01', scheme: { code: 'TXID' }, issuer: 'NL Tax' }] } },
      },
      debtor: {
        name: 'Carol Trading BV',
        postalAddress: { streetName: 'Gustav Mahlerlaan', buildingNumber: '10', postCode: '1082 PP', townName: 'Amsterdam', country: 'NL' },
        identification: { organisation: { anyBic: 'CAROLNL2' } },
        countryOfResidence: 'NL',
      },
      debtorAccount: { iban: IBAN.carol, currency: 'EUR', name: 'Carol Trading operating' },
      debtorAgent: BIC.abn,
      creditorAgent: BIC.deutsche,
      creditor: {
        name: 'Alice Schmidt',
        postalAddress: { country: 'DE', addressLines: ['Taunusanlage 12', '60325 Frankfurt am Main'] },
        identification: { person: { others: [{ id: 'C01X00T47', scheme: { code: 'NIDN' } }] } },
      },
      creditorAccount: { other: { id: '0532013000', scheme: { code: 'BBAN' }, issuer: 'DE' }, currency: 'EUR' },
      ultimateCreditor: { name: 'Schmidt Family Trust', identification: { person: { others: [{ id: 'T-77', scheme: { proprietary: 'TRUSTREG' } }] } } },
      purpose: { code: 'SUPP' },
      remittance: {
        structured: [
          { creditorReference: { type: { code: 'SCOR', issuer: 'ISO' }, reference: 'RF18539007547034' } },
          { creditorReference: { type: { proprietary: 'QRR' }, reference: '210000000003139471430009017' }, additionalInformation: ['second invoice'] },
        ],
      },
    },
    {
      paymentIdentification: { endToEndId: 'NOTPROVIDED', transactionId: 'ABNA-TX-2' },
      interbankSettlementAmount: { currency: 'EUR', value: '250.5' },
      chargeBearer: 'SLEV',
      debtor: { name: 'Dave Jones', postalAddress: { townName: 'London', country: 'GB' } },
      debtorAccount: { other: { id: '60161331926819', scheme: { proprietary: 'SORTCODE-ACCOUNT' } } },
      debtorAgent: BIC.abn,
      creditorAgent: BIC.ing,
      creditor: { name: 'Erik de Vries' },
      creditorAccount: { iban: 'NL02ABNA0123456789' },
      remittance: { unstructured: ['line one', 'line two'], structured: [{ additionalInformation: ['ref 1', 'ref 2', 'ref 3'] }] },
    },
    {
      paymentIdentification: { endToEndId: 'E2E-3', transactionId: 'ABNA-TX-3', uetr: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0' },
      interbankSettlementAmount: { currency: 'EUR', value: '0.05' },
      chargeBearer: 'SLEV',
      debtor: {},
      debtorAgent: BIC.abn,
      creditorAgent: BIC.bnp,
      creditor: { name: 'Bob Martin' },
      creditorAccount: { iban: IBAN.bob },
      purpose: { proprietary: 'CHARITY' },
    },
  ],
};

/** The facts test: two transactions, IBAN and Othr accounts, agents on each transaction. */
export const pacs008Facts: Pacs008 = {
  groupHeader: {
    messageId: 'MSG-FACTS-1',
    creationDateTime: '2024-05-13T11:00:00Z',
    numberOfTransactions: '2',
    controlSum: '30.00',
    totalInterbankSettlementAmount: { currency: 'EUR', value: '30.00' },
    interbankSettlementDate: '2024-05-14',
    settlementInformation: settlement,
    instructingAgent: BIC.deutsche,
    instructedAgent: BIC.switch,
  },
  transactions: [
    {
      paymentIdentification: { endToEndId: 'E2E-A', transactionId: 'TX-A', uetr: '11111111-2222-4333-8444-555555555555' },
      interbankSettlementAmount: { currency: 'EUR', value: '10.00' },
      interbankSettlementDate: '2024-05-14',
      chargeBearer: 'SLEV',
      instructingAgent: BIC.deutsche,
      instructedAgent: BIC.switch,
      debtor: { name: 'Alice' },
      debtorAccount: { iban: IBAN.alice },
      debtorAgent: BIC.deutsche,
      creditorAgent: BIC.bnp,
      creditor: { name: 'Bob' },
      creditorAccount: { iban: IBAN.bob },
    },
    {
      paymentIdentification: { endToEndId: 'E2E-B', transactionId: 'TX-B' },
      interbankSettlementAmount: { currency: 'EUR', value: '20.00' },
      chargeBearer: 'SLEV',
      debtor: { name: 'Alice' },
      debtorAccount: { other: { id: '12345678' } },
      debtorAgent: BIC.deutsche,
      creditorAgent: BIC.abn,
      creditor: { name: 'Carol' },
      creditorAccount: { iban: IBAN.carol },
    },
  ],
};

export const pacs008Samples: Readonly<Record<string, Pacs008>> = {
  single: pacs008Single,
  bulk: pacs008Bulk,
  facts: pacs008Facts,
};

export const pacs009Samples: Readonly<Record<string, Pacs009>> = {
  /** End-of-cycle settlement instructions from the switch to the settlement agent. */
  settlement: {
    groupHeader: {
      messageId: 'CLHS-SETTLE-20240513-C03',
      creationDateTime: '2024-05-13T16:00:00Z',
      numberOfTransactions: '2',
      controlSum: '1500000.00',
      interbankSettlementDate: '2024-05-13',
      settlementInformation: { method: 'CLRG' },
      instructingAgent: BIC.switch,
      instructedAgent: BIC.settlementAgent,
    },
    transactions: [
      {
        paymentIdentification: { instructionId: 'C03-DEUT', endToEndId: 'CYCLE-2024-05-13-03', transactionId: 'C03-DEUT' },
        paymentTypeInformation: { instructionPriority: 'HIGH', localInstrument: { proprietary: 'NETSETTLE' } },
        interbankSettlementAmount: { currency: 'EUR', value: '1000000.00' },
        interbankSettlementDate: '2024-05-13',
        debtor: BIC.deutsche,
        debtorAccount: { other: { id: 'DEUTDEFF-RTGS-01', scheme: { proprietary: 'RTGS' } } },
        creditor: BIC.switch,
        creditorAccount: { other: { id: 'CLHS-SETTLEMENT' }, currency: 'EUR', name: 'Clearhouse settlement account' },
        remittance: { unstructured: ['Net debit position cycle 3'] },
      },
      {
        paymentIdentification: { endToEndId: 'CYCLE-2024-05-13-03', transactionId: 'C03-BNPA', uetr: 'aaaabbbb-cccc-4ddd-9eee-ffff00001111' },
        interbankSettlementAmount: { currency: 'EUR', value: '500000.00' },
        instructingAgent: BIC.switch,
        instructedAgent: BIC.settlementAgent,
        ultimateDebtor: BIC.switch,
        debtor: BIC.switch,
        debtorAccount: { iban: IBAN.alice },
        debtorAgent: BIC.settlementAgent,
        creditorAgent: BIC.settlementAgent,
        creditor: BIC.bnp,
        creditorAccount: { iban: IBAN.bob },
        ultimateCreditor: BIC.bnp,
        purpose: { code: 'INTC' },
      },
    ],
  },
  /** A plain bank-to-bank transfer. */
  interbank: {
    groupHeader: {
      messageId: 'INGB-FI-77',
      creationDateTime: '2024-05-13T12:00:00+01:00',
      numberOfTransactions: '1',
      totalInterbankSettlementAmount: { currency: 'GBP', value: '75000' },
      settlementInformation: settlement,
      paymentTypeInformation: { serviceLevels: [{ code: 'URGP' }] },
    },
    transactions: [
      {
        paymentIdentification: { endToEndId: 'FI-77', transactionId: 'FI-77' },
        interbankSettlementAmount: { currency: 'GBP', value: '75000' },
        debtor: BIC.ing,
        creditor: BIC.abn,
        remittance: {},
      },
    ],
  },
};

const originalPacs008 = { originalMessageId: 'ABNA-BULK-20240513-0001', originalMessageNameId: 'pacs.008.001.08' } as const;

export const pacs004Samples: Readonly<Record<string, Pacs004>> = {
  /** A return with reasons and the original transaction reference. */
  withReference: {
    groupHeader: {
      messageId: 'DEUT-RTR-0001',
      creationDateTime: '2024-05-14T08:00:00Z',
      numberOfTransactions: '2',
      controlSum: '100250.50',
      totalReturnedInterbankSettlementAmount: { currency: 'EUR', value: '100250.50' },
      interbankSettlementDate: '2024-05-14',
      settlementInformation: settlement,
      instructingAgent: BIC.deutsche,
      instructedAgent: BIC.switch,
    },
    transactions: [
      {
        returnId: 'RTR-1',
        originalGroupInformation: { ...originalPacs008, originalCreationDateTime: '2024-05-13T10:15:00Z' },
        originalInstructionId: 'INSTR-1',
        originalEndToEndId: 'E2E-1',
        originalTransactionId: 'ABNA-TX-1',
        originalUetr: 'e0c3b8a4-6a4b-4b0e-9a3e-2f1d4c5b6a7e',
        originalInterbankSettlementAmount: { currency: 'EUR', value: '100000.00' },
        returnedInterbankSettlementAmount: { currency: 'EUR', value: '100000.00' },
        interbankSettlementDate: '2024-05-14',
        chargeBearer: 'SLEV',
        instructingAgent: BIC.deutsche,
        instructedAgent: BIC.abn,
        returnReasons: [
          {
            originator: { name: 'Deutsche Bank', identification: { organisation: { anyBic: BIC.deutsche } } },
            reason: { code: 'AC04' },
            additionalInformation: ['Account closed on 2024-04-30', 'Customer deceased'],
          },
        ],
        originalTransactionReference: {
          interbankSettlementAmount: { currency: 'EUR', value: '100000.00' },
          interbankSettlementDate: '2024-05-13',
          remittance: { unstructured: ['Invoice 42'] },
          ultimateDebtor: { party: { name: 'Holding Carol BV' } },
          debtor: { party: { name: 'Carol Trading BV', postalAddress: { townName: 'Amsterdam', country: 'NL' } } },
          debtorAccount: { iban: IBAN.carol },
          debtorAgent: BIC.abn,
          creditorAgent: BIC.deutsche,
          creditor: { party: { name: 'Alice Schmidt' } },
          creditorAccount: { other: { id: '0532013000', scheme: { code: 'BBAN' } } },
          ultimateCreditor: { agent: BIC.ing },
        },
      },
      {
        returnId: 'RTR-2',
        originalEndToEndId: 'NOTPROVIDED',
        originalTransactionId: 'ABNA-TX-2',
        returnedInterbankSettlementAmount: { currency: 'EUR', value: '250.50' },
        returnReasons: [{ reason: { proprietary: 'CUSTOMER-REQUEST' } }, { reason: { code: 'MS02' } }],
        originalTransactionReference: { debtor: { agent: BIC.abn }, creditor: { agent: BIC.ing } },
      },
    ],
  },
  /** A group return: the reasons at group level, the transaction minimal. */
  groupReturn: {
    groupHeader: {
      messageId: 'BNPA-RTR-9',
      creationDateTime: '2024-05-14T09:00:00Z',
      numberOfTransactions: '1',
      settlementInformation: { method: 'CLRG' },
    },
    originalGroupInformation: {
      ...originalPacs008,
      originalCreationDateTime: '2024-05-13T10:15:00Z',
      returnReasons: [{ reason: { code: 'FOCR' }, additionalInformation: ['Following cancellation request'] }],
    },
    transactions: [{ returnId: 'RTR-9', returnedInterbankSettlementAmount: { currency: 'EUR', value: '0.05' } }],
  },
};

export const pacs002Samples: Readonly<Record<string, Pacs002>> = {
  /** Partial acceptance: group PART with counts per status; one settled, one rejected with reasons. */
  partial: {
    groupHeader: { messageId: 'CLHS-STS-0001', creationDateTime: '2024-05-13T10:15:02Z', instructingAgent: BIC.switch, instructedAgent: BIC.abn },
    originalGroups: [
      {
        originalMessageId: 'ABNA-BULK-20240513-0001',
        originalMessageNameId: 'pacs.008.001.08',
        originalCreationDateTime: '2024-05-13T10:15:00Z',
        originalNumberOfTransactions: '3',
        originalControlSum: '100250.55',
        groupStatus: 'PART',
        statusReasons: [{ originator: { identification: { organisation: { anyBic: BIC.switch } } }, additionalInformation: ['1 of 3 rejected'] }],
        transactionsPerStatus: [
          { numberOfTransactions: '2', status: 'ACSC', controlSum: '100250.05' },
          { numberOfTransactions: '1', status: 'RJCT' },
        ],
      },
    ],
    transactions: [
      {
        statusId: 'STS-1',
        originalEndToEndId: 'E2E-1',
        originalTransactionId: 'ABNA-TX-1',
        originalUetr: 'e0c3b8a4-6a4b-4b0e-9a3e-2f1d4c5b6a7e',
        transactionStatus: 'ACSC',
        acceptanceDateTime: '2024-05-13T10:15:01Z',
        clearingSystemReference: 'CLHS-000001',
        originalTransactionReference: {
          interbankSettlementAmount: { currency: 'EUR', value: '100000.00' },
          interbankSettlementDate: '2024-05-13',
          debtorAgent: BIC.abn,
          creditorAgent: BIC.deutsche,
        },
      },
      {
        statusId: 'STS-2',
        originalGroupInformation: { originalMessageId: 'ABNA-BULK-20240513-0001', originalMessageNameId: 'pacs.008.001.08' },
        originalInstructionId: 'INSTR-2',
        originalEndToEndId: 'NOTPROVIDED',
        originalTransactionId: 'ABNA-TX-2',
        transactionStatus: 'RJCT',
        statusReasons: [
          { originator: { name: 'Clearhouse' }, reason: { code: 'AM04' }, additionalInformation: ['Net debit cap exceeded', 'Headroom 120.00 EUR'] },
          { reason: { proprietary: 'QUEUE-EXPIRED' } },
        ],
        instructingAgent: BIC.switch,
        instructedAgent: BIC.abn,
        originalTransactionReference: { debtorAccount: { iban: IBAN.dave }, creditorAccount: { iban: 'NL02ABNA0123456789' } },
      },
    ],
  },
  /** Group-level acknowledgement only. */
  groupOnly: {
    groupHeader: { messageId: 'CLHS-STS-0002', creationDateTime: '2024-05-13T10:15:00.5Z' },
    originalGroups: [{ originalMessageId: '0007', originalMessageNameId: 'pacs.008.001.08', groupStatus: 'ACTC' }],
    transactions: [],
  },
  /** Transaction statuses without a group entry: pending, accepted, settlement in progress. */
  transactionsOnly: {
    groupHeader: { messageId: 'MARK-STS-77', creationDateTime: '2024-05-13T16:00:05Z', instructingAgent: BIC.settlementAgent, instructedAgent: BIC.switch },
    originalGroups: [],
    transactions: [
      { originalEndToEndId: 'CYCLE-2024-05-13-03', originalTransactionId: 'C03-DEUT', transactionStatus: 'PDNG' },
      { originalTransactionId: 'C03-BNPA', transactionStatus: 'ACCP' },
      { originalTransactionId: 'C03-XXXX', transactionStatus: 'ACSP' },
    ],
  },
};

export const pacs028Samples: Readonly<Record<string, Pacs028>> = {
  withGroup: {
    groupHeader: { messageId: 'ABNA-STSREQ-1', creationDateTime: '2024-05-13T10:30:00Z', instructingAgent: BIC.abn, instructedAgent: BIC.switch },
    originalGroups: [
      { originalMessageId: 'ABNA-BULK-20240513-0001', originalMessageNameId: 'pacs.008.001.08', originalCreationDateTime: '2024-05-13T10:15:00Z', originalNumberOfTransactions: '3', originalControlSum: '100250.55' },
    ],
    transactions: [
      {
        statusRequestId: 'REQ-1',
        originalGroupInformation: { originalMessageId: 'ABNA-BULK-20240513-0001', originalMessageNameId: 'pacs.008.001.08' },
        originalInstructionId: 'INSTR-1',
        originalEndToEndId: 'E2E-1',
        originalTransactionId: 'ABNA-TX-1',
        originalUetr: 'e0c3b8a4-6a4b-4b0e-9a3e-2f1d4c5b6a7e',
        instructingAgent: BIC.abn,
        instructedAgent: BIC.switch,
      },
    ],
  },
  byUetr: {
    groupHeader: { messageId: 'DEUT-STSREQ-9', creationDateTime: '2024-05-13T10:31:00Z' },
    originalGroups: [],
    transactions: [{ originalUetr: '7a562c67-ca16-48ba-b074-65581be6f001' }, { statusRequestId: 'REQ-2', originalTransactionId: 'DEUT20240513000001' }],
  },
};

export const head001Samples: Readonly<Record<string, BusinessApplicationHeader>> = {
  full: {
    from: BIC.abn,
    to: BIC.switch,
    businessMessageId: 'ABNA-BAH-20240513-0001',
    messageDefinitionId: 'pacs.008.001.08',
    businessService: 'clearhouse.inst.01',
    creationDate: '2024-05-13T10:15:00Z',
    copyDuplicate: 'DUPL',
    possibleDuplicate: true,
    priority: 'HIGH',
  },
  minimal: {
    from: BIC.switch,
    to: BIC.deutsche,
    businessMessageId: 'CLHS-0000001',
    messageDefinitionId: 'pacs.002.001.10',
    creationDate: '2024-05-13T10:15:02+02:00',
    possibleDuplicate: false,
  },
};
