/**
 * Building blocks shared by the payment message modules: amounts, codes, agents, accounts, parties,
 * payment identification and type, settlement, remittance, reasons and original references.
 *
 * For each block: the model type, `readX(element)` from the parsed tree (fast-xml-parser objects, see
 * ../xml.ts) to the model, and `xTree(model)` from the model back to an element tree whose keys are in
 * XSD sequence order. The shapes are the ones the 2019 pacs versions (pacs.008.001.08 and its
 * siblings) share; where the scheme accepts less than ISO (agents by BICFI only, the common subset of
 * a party), the model holds only what the scheme accepts.
 *
 * Models never hold members that are undefined (parse drops them with `defined`), and optional
 * repeating elements are absent rather than empty, so `parse(buildTree(m))` deep-equals `m`.
 */
import type { AmountText, Located } from '../message.ts';
import {
  amountNode,
  attr,
  child,
  children,
  compact,
  createParser,
  text,
  textAt,
  type XmlElement,
  type XmlNode,
} from '../xml.ts';

// ---------------------------------------------------------------- generic helpers

/** A copy of `value` without its undefined members, so parsed models deep-equal the ones built. */
export function defined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member !== undefined) out[key] = member;
  }
  return out as T;
}

/** The list, or undefined when it is empty: optional repeating elements are absent from the model. */
export function nonEmpty<T>(list: readonly T[]): readonly T[] | undefined {
  return list.length > 0 ? list : undefined;
}

/**
 * Text of a mandatory descendant. A message that passed XSD validation always has it, so its absence
 * means the caller skipped validation: a bug, reported by an exception.
 */
export function requiredText(node: XmlElement, ...path: string[]): string {
  const value = textAt(node, ...path);
  if (value === undefined) throw new Error(`mandatory element ${path.join('/')} is missing`);
  return value;
}

/** A mandatory child element (see requiredText for why its absence throws). */
export function requiredChild(node: XmlElement, name: string): XmlElement {
  const found = child(node, name);
  if (found === undefined) throw new Error(`mandatory element ${name} is missing`);
  return found;
}

/** The texts of a repeating leaf element, in document order. */
export function texts(node: XmlElement | undefined, name: string): string[] {
  return children(node, name).map((element) => text(element) ?? '');
}

/** Map an optional value through a tree builder. */
export function optional<T>(value: T | undefined, tree: (value: T) => XmlNode): XmlNode | undefined {
  return value === undefined ? undefined : tree(value);
}

/** Map an optional list through a tree builder (compact drops empty lists). */
export function each<T>(list: readonly T[] | undefined, tree: (value: T) => XmlNode): XmlNode[] | undefined {
  return list?.map(tree);
}

// ---------------------------------------------------------------- whole documents

/** Parse a whole <Document> and return the element under it named `rootElement`. */
export function documentRoot(
  xml: string,
  parser: ReturnType<typeof createParser>,
  rootElement: string,
  wrapper: string | null = 'Document',
): XmlElement {
  const parsed = parser.parse(xml) as XmlElement;
  const container = wrapper === null ? parsed : child(parsed, wrapper);
  const root = container === undefined ? undefined : child(container, rootElement);
  if (root === undefined) {
    throw new Error(`no ${wrapper === null ? '' : `${wrapper}/`}${rootElement} element in the document`);
  }
  return root;
}

// ---------------------------------------------------------------- amounts and codes

/** Currency and decimal text exactly as in the XML ("1.10" stays "1.10"); bigint conversion is in rules. */
export type Amount = AmountText;

export function readAmount(node: XmlElement | undefined): Amount | undefined {
  if (node === undefined) return undefined;
  return { currency: attr(node, 'Ccy') ?? '', value: text(node) ?? '' };
}

export function requiredAmount(parent: XmlElement, name: string): Amount {
  return readAmount(requiredChild(parent, name))!;
}

export function amountTree(amount: Amount): XmlElement {
  return amountNode(amount.currency, amount.value);
}

/** An ISO choice between an external code and a proprietary text (…Choice types with Cd | Prtry). */
export type CodeOrProprietary = { readonly code: string } | { readonly proprietary: string };

export function readCodeOrProprietary(node: XmlElement | undefined): CodeOrProprietary | undefined {
  if (node === undefined) return undefined;
  const code = textAt(node, 'Cd');
  if (code !== undefined) return { code };
  const proprietary = textAt(node, 'Prtry');
  return proprietary === undefined ? undefined : { proprietary };
}

export function codeOrProprietaryTree(value: CodeOrProprietary): XmlElement {
  return 'code' in value ? { Cd: value.code } : { Prtry: value.proprietary };
}

// ---------------------------------------------------------------- agents

/**
 * The scheme identifies every agent (BranchAndFinancialInstitutionIdentification6) by its BICFI, so
 * the model of an agent is the BIC itself.
 */
export function readAgent(node: XmlElement | undefined): string | undefined {
  return node === undefined ? undefined : textAt(node, 'FinInstnId', 'BICFI');
}

export function requiredAgent(parent: XmlElement, name: string): string {
  return requiredText(parent, name, 'FinInstnId', 'BICFI');
}

export function agentTree(bic: string): XmlElement {
  return { FinInstnId: { BICFI: bic } };
}

// ---------------------------------------------------------------- accounts and identifications

/** GenericAccountIdentification1 / GenericOrganisationIdentification1 / GenericPersonIdentification1. */
export interface GenericIdentification {
  readonly id: string;
  readonly scheme?: CodeOrProprietary;
  readonly issuer?: string;
}

export function readGenericIdentification(node: XmlElement): GenericIdentification {
  return defined({
    id: requiredText(node, 'Id'),
    scheme: readCodeOrProprietary(child(node, 'SchmeNm')),
    issuer: textAt(node, 'Issr'),
  });
}

export function genericIdentificationTree(value: GenericIdentification): XmlElement {
  return compact({
    Id: value.id,
    SchmeNm: optional(value.scheme, codeOrProprietaryTree),
    Issr: value.issuer,
  });
}

/** CashAccount38, as the scheme accepts it: IBAN or Othr/Id, optional currency and name. */
export type Account = ({ readonly iban: string } | { readonly other: GenericIdentification }) & {
  readonly currency?: string;
  readonly name?: string;
};

export function readAccount(node: XmlElement | undefined): Account | undefined {
  if (node === undefined) return undefined;
  const id = requiredChild(node, 'Id');
  const iban = textAt(id, 'IBAN');
  const other = child(id, 'Othr');
  const identification = iban !== undefined ? { iban } : { other: readGenericIdentification(other ?? {}) };
  return defined({ ...identification, currency: textAt(node, 'Ccy'), name: textAt(node, 'Nm') });
}

export function accountTree(account: Account): XmlElement {
  const id = 'iban' in account ? { IBAN: account.iban } : { Othr: genericIdentificationTree(account.other) };
  return compact({ Id: id, Ccy: account.currency, Nm: account.name });
}

// ---------------------------------------------------------------- parties

/** PostalAddress24, the fields the scheme accepts. */
export interface PostalAddress {
  readonly streetName?: string;
  readonly buildingNumber?: string;
  readonly postCode?: string;
  readonly townName?: string;
  readonly country?: string;
  readonly addressLines?: readonly string[];
}

export interface OrganisationIdentification {
  readonly anyBic?: string;
  readonly lei?: string;
  readonly others?: readonly GenericIdentification[];
}

export interface PersonIdentification {
  readonly others?: readonly GenericIdentification[];
}

/** Party38Choice: an organisation or a private person. */
export type PartyIdentification =
  | { readonly organisation: OrganisationIdentification }
  | { readonly person: PersonIdentification };

/** PartyIdentification135, the common subset: name, postal address, identification, residence. */
export interface Party {
  readonly name?: string;
  readonly postalAddress?: PostalAddress;
  readonly identification?: PartyIdentification;
  readonly countryOfResidence?: string;
}

function readPostalAddress(node: XmlElement): PostalAddress {
  return defined({
    streetName: textAt(node, 'StrtNm'),
    buildingNumber: textAt(node, 'BldgNb'),
    postCode: textAt(node, 'PstCd'),
    townName: textAt(node, 'TwnNm'),
    country: textAt(node, 'Ctry'),
    addressLines: nonEmpty(texts(node, 'AdrLine')),
  });
}

function postalAddressTree(address: PostalAddress): XmlElement {
  return compact({
    StrtNm: address.streetName,
    BldgNb: address.buildingNumber,
    PstCd: address.postCode,
    TwnNm: address.townName,
    Ctry: address.country,
    AdrLine: address.addressLines === undefined ? undefined : [...address.addressLines],
  });
}

function readPartyIdentification(node: XmlElement): PartyIdentification | undefined {
  const organisation = child(node, 'OrgId');
  if (organisation !== undefined) {
    return {
      organisation: defined({
        anyBic: textAt(organisation, 'AnyBIC'),
        lei: textAt(organisation, 'LEI'),
        others: nonEmpty(children(organisation, 'Othr').map(readGenericIdentification)),
      }),
    };
  }
  const person = child(node, 'PrvtId');
  if (person === undefined) return undefined;
  return { person: defined({ others: nonEmpty(children(person, 'Othr').map(readGenericIdentification)) }) };
}

function partyIdentificationTree(value: PartyIdentification): XmlElement {
  if ('organisation' in value) {
    const organisation = value.organisation;
    return {
      OrgId: compact({
        AnyBIC: organisation.anyBic,
        LEI: organisation.lei,
        Othr: each(organisation.others, genericIdentificationTree),
      }),
    };
  }
  return { PrvtId: compact({ Othr: each(value.person.others, genericIdentificationTree) }) };
}

export function readParty(node: XmlElement | undefined): Party | undefined {
  if (node === undefined) return undefined;
  const address = child(node, 'PstlAdr');
  const identification = child(node, 'Id');
  return defined({
    name: textAt(node, 'Nm'),
    postalAddress: address === undefined ? undefined : readPostalAddress(address),
    identification: identification === undefined ? undefined : readPartyIdentification(identification),
    countryOfResidence: textAt(node, 'CtryOfRes'),
  });
}

export function requiredParty(parent: XmlElement, name: string): Party {
  return readParty(requiredChild(parent, name))!;
}

export function partyTree(party: Party): XmlElement {
  return compact({
    Nm: party.name,
    PstlAdr: optional(party.postalAddress, postalAddressTree),
    Id: optional(party.identification, partyIdentificationTree),
    CtryOfRes: party.countryOfResidence,
  });
}

/** Party40Choice: a party (Pty) or a financial institution (Agt, by BICFI). */
export type PartyOrAgent = { readonly party: Party } | { readonly agent: string };

export function readPartyOrAgent(node: XmlElement | undefined): PartyOrAgent | undefined {
  if (node === undefined) return undefined;
  const party = child(node, 'Pty');
  if (party !== undefined) return { party: readParty(party)! };
  const agent = readAgent(child(node, 'Agt'));
  return agent === undefined ? undefined : { agent };
}

export function partyOrAgentTree(value: PartyOrAgent): XmlElement {
  return 'party' in value ? { Pty: partyTree(value.party) } : { Agt: agentTree(value.agent) };
}

// ---------------------------------------------------------------- payment identification and type

/** PaymentIdentification7. */
export interface PaymentIdentification {
  readonly instructionId?: string;
  readonly endToEndId: string;
  readonly transactionId?: string;
  readonly uetr?: string;
  readonly clearingSystemReference?: string;
}

export function readPaymentIdentification(node: XmlElement): PaymentIdentification {
  return defined({
    instructionId: textAt(node, 'InstrId'),
    endToEndId: requiredText(node, 'EndToEndId'),
    transactionId: textAt(node, 'TxId'),
    uetr: textAt(node, 'UETR'),
    clearingSystemReference: textAt(node, 'ClrSysRef'),
  });
}

export function paymentIdentificationTree(value: PaymentIdentification): XmlElement {
  return compact({
    InstrId: value.instructionId,
    EndToEndId: value.endToEndId,
    TxId: value.transactionId,
    UETR: value.uetr,
    ClrSysRef: value.clearingSystemReference,
  });
}

/** PaymentTypeInformation28 (ClrChanl is not used by the scheme). */
export interface PaymentTypeInformation {
  readonly instructionPriority?: string;
  readonly serviceLevels?: readonly CodeOrProprietary[];
  readonly localInstrument?: CodeOrProprietary;
  readonly categoryPurpose?: CodeOrProprietary;
}

export function readPaymentTypeInformation(node: XmlElement | undefined): PaymentTypeInformation | undefined {
  if (node === undefined) return undefined;
  return defined({
    instructionPriority: textAt(node, 'InstrPrty'),
    serviceLevels: nonEmpty(children(node, 'SvcLvl').flatMap((level) => readCodeOrProprietary(level) ?? [])),
    localInstrument: readCodeOrProprietary(child(node, 'LclInstrm')),
    categoryPurpose: readCodeOrProprietary(child(node, 'CtgyPurp')),
  });
}

export function paymentTypeInformationTree(value: PaymentTypeInformation): XmlElement {
  return compact({
    InstrPrty: value.instructionPriority,
    SvcLvl: each(value.serviceLevels, codeOrProprietaryTree),
    LclInstrm: optional(value.localInstrument, codeOrProprietaryTree),
    CtgyPurp: optional(value.categoryPurpose, codeOrProprietaryTree),
  });
}

// ---------------------------------------------------------------- settlement and group headers

/** SettlementInstruction7, as the scheme uses it: method (CLRG) and clearing system. */
export interface SettlementInstruction {
  readonly method: string;
  readonly clearingSystem?: CodeOrProprietary;
}

export function readSettlementInstruction(node: XmlElement): SettlementInstruction {
  return defined({
    method: requiredText(node, 'SttlmMtd'),
    clearingSystem: readCodeOrProprietary(child(node, 'ClrSys')),
  });
}

export function settlementInstructionTree(value: SettlementInstruction): XmlElement {
  return compact({ SttlmMtd: value.method, ClrSys: optional(value.clearingSystem, codeOrProprietaryTree) });
}

/** GroupHeader93: the group header of pacs.008.001.08 and pacs.009.001.08. */
export interface CreditTransferGroupHeader {
  readonly messageId: string;
  readonly creationDateTime: string;
  readonly numberOfTransactions: string;
  readonly controlSum?: string;
  readonly totalInterbankSettlementAmount?: Amount;
  readonly interbankSettlementDate?: string;
  readonly settlementInformation: SettlementInstruction;
  readonly paymentTypeInformation?: PaymentTypeInformation;
  readonly instructingAgent?: string;
  readonly instructedAgent?: string;
}

export function readCreditTransferGroupHeader(node: XmlElement): CreditTransferGroupHeader {
  return defined({
    messageId: requiredText(node, 'MsgId'),
    creationDateTime: requiredText(node, 'CreDtTm'),
    numberOfTransactions: requiredText(node, 'NbOfTxs'),
    controlSum: textAt(node, 'CtrlSum'),
    totalInterbankSettlementAmount: readAmount(child(node, 'TtlIntrBkSttlmAmt')),
    interbankSettlementDate: textAt(node, 'IntrBkSttlmDt'),
    settlementInformation: readSettlementInstruction(requiredChild(node, 'SttlmInf')),
    paymentTypeInformation: readPaymentTypeInformation(child(node, 'PmtTpInf')),
    instructingAgent: readAgent(child(node, 'InstgAgt')),
    instructedAgent: readAgent(child(node, 'InstdAgt')),
  });
}

export function creditTransferGroupHeaderTree(header: CreditTransferGroupHeader): XmlElement {
  return compact({
    MsgId: header.messageId,
    CreDtTm: header.creationDateTime,
    NbOfTxs: header.numberOfTransactions,
    CtrlSum: header.controlSum,
    TtlIntrBkSttlmAmt: optional(header.totalInterbankSettlementAmount, amountTree),
    IntrBkSttlmDt: header.interbankSettlementDate,
    SttlmInf: settlementInstructionTree(header.settlementInformation),
    PmtTpInf: optional(header.paymentTypeInformation, paymentTypeInformationTree),
    InstgAgt: optional(header.instructingAgent, agentTree),
    InstdAgt: optional(header.instructedAgent, agentTree),
  });
}

/** GroupHeader91: the group header of pacs.002.001.10 and pacs.028.001.03 (no counts or totals). */
export interface BasicGroupHeader {
  readonly messageId: string;
  readonly creationDateTime: string;
  readonly instructingAgent?: string;
  readonly instructedAgent?: string;
}

export function readBasicGroupHeader(node: XmlElement): BasicGroupHeader {
  return defined({
    messageId: requiredText(node, 'MsgId'),
    creationDateTime: requiredText(node, 'CreDtTm'),
    instructingAgent: readAgent(child(node, 'InstgAgt')),
    instructedAgent: readAgent(child(node, 'InstdAgt')),
  });
}

export function basicGroupHeaderTree(header: BasicGroupHeader): XmlElement {
  return compact({
    MsgId: header.messageId,
    CreDtTm: header.creationDateTime,
    InstgAgt: optional(header.instructingAgent, agentTree),
    InstdAgt: optional(header.instructedAgent, agentTree),
  });
}

// ---------------------------------------------------------------- remittance

/** CreditorReferenceType2: the type code (or proprietary text) and its issuer. */
export type CreditorReferenceType = CodeOrProprietary & { readonly issuer?: string };

export interface CreditorReference {
  readonly type?: CreditorReferenceType;
  readonly reference?: string;
}

/** StructuredRemittanceInformation16, the parts the scheme uses. */
export interface StructuredRemittance {
  readonly creditorReference?: CreditorReference;
  readonly additionalInformation?: readonly string[];
}

/** RemittanceInformation16. */
export interface Remittance {
  readonly unstructured?: readonly string[];
  readonly structured?: readonly StructuredRemittance[];
}

function readCreditorReference(node: XmlElement): CreditorReference {
  const typeNode = child(node, 'Tp');
  const kind = readCodeOrProprietary(child(typeNode, 'CdOrPrtry'));
  const type = kind === undefined ? undefined : defined({ ...kind, issuer: textAt(typeNode, 'Issr') });
  return defined({ type, reference: textAt(node, 'Ref') });
}

function creditorReferenceTree(value: CreditorReference): XmlElement {
  const type = value.type;
  return compact({
    Tp: type === undefined ? undefined : compact({ CdOrPrtry: codeOrProprietaryTree(type), Issr: type.issuer }),
    Ref: value.reference,
  });
}

export function readRemittance(node: XmlElement | undefined): Remittance | undefined {
  if (node === undefined) return undefined;
  const structured = children(node, 'Strd').map((element) => {
    const reference = child(element, 'CdtrRefInf');
    return defined({
      creditorReference: reference === undefined ? undefined : readCreditorReference(reference),
      additionalInformation: nonEmpty(texts(element, 'AddtlRmtInf')),
    });
  });
  return defined({ unstructured: nonEmpty(texts(node, 'Ustrd')), structured: nonEmpty(structured) });
}

export function remittanceTree(value: Remittance): XmlElement {
  return compact({
    Ustrd: value.unstructured === undefined ? undefined : [...value.unstructured],
    Strd: each(value.structured, (structured) =>
      compact({
        CdtrRefInf: optional(structured.creditorReference, creditorReferenceTree),
        AddtlRmtInf: structured.additionalInformation === undefined ? undefined : [...structured.additionalInformation],
      }),
    ),
  });
}

// ---------------------------------------------------------------- reasons and original references

/** StatusReasonInformation12 (pacs.002) and PaymentReturnReason6 (pacs.004) have the same shape. */
export interface ReasonInformation {
  readonly originator?: Party;
  readonly reason?: CodeOrProprietary;
  readonly additionalInformation?: readonly string[];
}

export function readReasons(parent: XmlElement, name: string): readonly ReasonInformation[] | undefined {
  const reasons = children(parent, name).map((node) =>
    defined({
      originator: readParty(child(node, 'Orgtr')),
      reason: readCodeOrProprietary(child(node, 'Rsn')),
      additionalInformation: nonEmpty(texts(node, 'AddtlInf')),
    }),
  );
  return nonEmpty(reasons);
}

export function reasonTree(value: ReasonInformation): XmlElement {
  return compact({
    Orgtr: optional(value.originator, partyTree),
    Rsn: optional(value.reason, codeOrProprietaryTree),
    AddtlInf: value.additionalInformation === undefined ? undefined : [...value.additionalInformation],
  });
}

/** OriginalGroupInformation29: the message a transaction refers to. */
export interface OriginalGroupReference {
  readonly originalMessageId: string;
  readonly originalMessageNameId: string;
  readonly originalCreationDateTime?: string;
}

export function readOriginalGroupReference(node: XmlElement | undefined): OriginalGroupReference | undefined {
  if (node === undefined) return undefined;
  return defined({
    originalMessageId: requiredText(node, 'OrgnlMsgId'),
    originalMessageNameId: requiredText(node, 'OrgnlMsgNmId'),
    originalCreationDateTime: textAt(node, 'OrgnlCreDtTm'),
  });
}

export function originalGroupReferenceTree(value: OriginalGroupReference): XmlElement {
  return compact({
    OrgnlMsgId: value.originalMessageId,
    OrgnlMsgNmId: value.originalMessageNameId,
    OrgnlCreDtTm: value.originalCreationDateTime,
  });
}

/** The original identifiers a return, status or status request carries, in this XSD order. */
export interface OriginalTransactionIds {
  readonly originalInstructionId?: string;
  readonly originalEndToEndId?: string;
  readonly originalTransactionId?: string;
  readonly originalUetr?: string;
}

export function readOriginalTransactionIds(node: XmlElement): OriginalTransactionIds {
  return defined({
    originalInstructionId: textAt(node, 'OrgnlInstrId'),
    originalEndToEndId: textAt(node, 'OrgnlEndToEndId'),
    originalTransactionId: textAt(node, 'OrgnlTxId'),
    originalUetr: textAt(node, 'OrgnlUETR'),
  });
}

/** Spread into a compact({...}) at the place of OrgnlInstrId. */
export function originalTransactionIdsTree(value: OriginalTransactionIds): Record<string, string | undefined> {
  return {
    OrgnlInstrId: value.originalInstructionId,
    OrgnlEndToEndId: value.originalEndToEndId,
    OrgnlTxId: value.originalTransactionId,
    OrgnlUETR: value.originalUetr,
  };
}

/** OriginalTransactionReference28, the parts the scheme uses: amount, date, remittance, parties. */
export interface OriginalTransactionReference {
  readonly interbankSettlementAmount?: Amount;
  readonly interbankSettlementDate?: string;
  readonly remittance?: Remittance;
  readonly ultimateDebtor?: PartyOrAgent;
  readonly debtor?: PartyOrAgent;
  readonly debtorAccount?: Account;
  readonly debtorAgent?: string;
  readonly creditorAgent?: string;
  readonly creditor?: PartyOrAgent;
  readonly creditorAccount?: Account;
  readonly ultimateCreditor?: PartyOrAgent;
}

export function readOriginalTransactionReference(
  node: XmlElement | undefined,
): OriginalTransactionReference | undefined {
  if (node === undefined) return undefined;
  return defined({
    interbankSettlementAmount: readAmount(child(node, 'IntrBkSttlmAmt')),
    interbankSettlementDate: textAt(node, 'IntrBkSttlmDt'),
    remittance: readRemittance(child(node, 'RmtInf')),
    ultimateDebtor: readPartyOrAgent(child(node, 'UltmtDbtr')),
    debtor: readPartyOrAgent(child(node, 'Dbtr')),
    debtorAccount: readAccount(child(node, 'DbtrAcct')),
    debtorAgent: readAgent(child(node, 'DbtrAgt')),
    creditorAgent: readAgent(child(node, 'CdtrAgt')),
    creditor: readPartyOrAgent(child(node, 'Cdtr')),
    creditorAccount: readAccount(child(node, 'CdtrAcct')),
    ultimateCreditor: readPartyOrAgent(child(node, 'UltmtCdtr')),
  });
}

export function originalTransactionReferenceTree(value: OriginalTransactionReference): XmlElement {
  return compact({
    IntrBkSttlmAmt: optional(value.interbankSettlementAmount, amountTree),
    IntrBkSttlmDt: value.interbankSettlementDate,
    RmtInf: optional(value.remittance, remittanceTree),
    UltmtDbtr: optional(value.ultimateDebtor, partyOrAgentTree),
    Dbtr: optional(value.debtor, partyOrAgentTree),
    DbtrAcct: optional(value.debtorAccount, accountTree),
    DbtrAgt: optional(value.debtorAgent, agentTree),
    CdtrAgt: optional(value.creditorAgent, agentTree),
    Cdtr: optional(value.creditor, partyOrAgentTree),
    CdtrAcct: optional(value.creditorAccount, accountTree),
    UltmtCdtr: optional(value.ultimateCreditor, partyOrAgentTree),
  });
}

// ---------------------------------------------------------------- facts: where the IBANs and BICs are

/** Collects every IBAN and BICFI of one transaction with its path relative to the message root. */
export class Locations {
  readonly ibans: Located[] = [];
  readonly bics: Located[] = [];

  /** An agent element at `path` (its BICFI is at path/FinInstnId/BICFI). */
  agent(path: string, bic: string | undefined): void {
    if (bic !== undefined) this.bics.push({ path: `${path}/FinInstnId/BICFI`, value: bic });
  }

  /** A cash account element at `path`. */
  account(path: string, account: Account | undefined): void {
    if (account !== undefined && 'iban' in account) this.ibans.push({ path: `${path}/Id/IBAN`, value: account.iban });
  }

  partyOrAgent(path: string, value: PartyOrAgent | undefined): void {
    if (value !== undefined && 'agent' in value) this.agent(`${path}/Agt`, value.agent);
  }

  originalTransactionReference(path: string, value: OriginalTransactionReference | undefined): void {
    if (value === undefined) return;
    this.partyOrAgent(`${path}/UltmtDbtr`, value.ultimateDebtor);
    this.partyOrAgent(`${path}/Dbtr`, value.debtor);
    this.account(`${path}/DbtrAcct`, value.debtorAccount);
    this.agent(`${path}/DbtrAgt`, value.debtorAgent);
    this.agent(`${path}/CdtrAgt`, value.creditorAgent);
    this.partyOrAgent(`${path}/Cdtr`, value.creditor);
    this.account(`${path}/CdtrAcct`, value.creditorAccount);
    this.partyOrAgent(`${path}/UltmtCdtr`, value.ultimateCreditor);
  }
}
