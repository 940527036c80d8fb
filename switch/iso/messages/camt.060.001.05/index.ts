/**
 * camt.060.001.05 AcctRptgReq: a participant asks for a report on its position account: a camt.052
 * (intraday position and headroom) or a camt.053 (statement), named in ReqdMsgNmId.
 *
 * transactionElement is RptgReq: facts() lists one TransactionFacts per request ('RptgReq[i]') so the
 * account IBAN and owner BIC of each request are checked like any transaction's.
 */
import type { MessageFacts, MessageModule } from '../../message.ts';
import { child, children, compact, textAt, type XmlElement } from '../../xml.ts';
import {
  accountIbansAt, accountIdTree, codeOrProprietaryTree, documentCodec, ifDefined, MessageShapeError,
  namespaceOf, readAccountId, readCodeOrProprietary, readRelatedParty, relatedPartyBics, relatedPartyTree,
  requiredChild, requiredText, withoutUndefined,
  type AccountId, type CodeOrProprietary, type RelatedParty,
} from '../camt-common.ts';

export type { AccountId, CodeOrProprietary, RelatedParty };

export interface Camt060 {
  readonly groupHeader: RequestGroupHeader;
  readonly requests: readonly ReportingRequest[];
}

/** GroupHeader77 subset. */
export interface RequestGroupHeader {
  readonly messageId: string;
  readonly creationDateTime: string;
}

/** ReportingRequest5 subset. */
export interface ReportingRequest {
  readonly id?: string;
  /** e.g. 'camt.052.001.08' or 'camt.053.001.08' */
  readonly requestedMessageNameId: string;
  /** Acct/Id */
  readonly account?: AccountId;
  readonly accountOwner: AccountOwner;
  readonly period?: ReportingPeriod;
  /** ReqdBalTp/CdOrPrtry, e.g. ITBD, ITAV (see camt.052.001.08 reportBalanceTypes). */
  readonly requestedBalanceTypes: readonly CodeOrProprietary[];
}

/**
 * AcctOwnr (Party40Choice): a participant by BIC (Agt) or a party (Pty: Nm and/or Id/OrgId/AnyBIC,
 * both optional in the schema). The switch answers only an owner that is the authenticated sender.
 */
export type AccountOwner = RelatedParty;

/** QueryType3Code: all entries, changed entries, modified entries. */
export type QueryType = 'ALLL' | 'CHNG' | 'MODF';

/** ReportingPeriod2: dates (FrToDt), optional times of day (FrToTm), and the query type. */
export interface ReportingPeriod {
  readonly dates: { readonly from: string; readonly to?: string };
  readonly times?: { readonly from: string; readonly to?: string };
  readonly type: QueryType;
}

const ID = 'camt.060.001.05';

function parse(root: XmlElement): Camt060 {
  const header = requiredChild(root, 'GrpHdr');
  return {
    groupHeader: { messageId: requiredText(header, 'MsgId'), creationDateTime: requiredText(header, 'CreDtTm') },
    requests: children(root, 'RptgReq').map(parseRequest),
  };
}

function parseRequest(node: XmlElement): ReportingRequest {
  const account = child(node, 'Acct');
  const period = child(node, 'RptgPrd');
  return withoutUndefined({
    id: textAt(node, 'Id'),
    requestedMessageNameId: requiredText(node, 'ReqdMsgNmId'),
    account: account && readAccountId(requiredChild(account, 'Id')),
    accountOwner: readRelatedParty(requiredChild(node, 'AcctOwnr'))!,
    period: period && parsePeriod(period),
    requestedBalanceTypes: children(node, 'ReqdBalTp')
      .map((type) => readCodeOrProprietary(requiredChild(type, 'CdOrPrtry'))!),
  });
}


function parsePeriod(node: XmlElement): ReportingPeriod {
  const times = child(node, 'FrToTm');
  return withoutUndefined({
    dates: withoutUndefined({ from: requiredText(node, 'FrToDt', 'FrDt'), to: textAt(node, 'FrToDt', 'ToDt') }),
    times: times && withoutUndefined({ from: requiredText(times, 'FrTm'), to: textAt(times, 'ToTm') }),
    type: readQueryType(requiredText(node, 'Tp')),
  });
}

function readQueryType(value: string): QueryType {
  if (value === 'ALLL' || value === 'CHNG' || value === 'MODF') return value;
  throw new MessageShapeError(`RptgPrd/Tp ${value} is not ALLL, CHNG or MODF`);
}

function buildTree(message: Camt060): XmlElement {
  return compact({
    GrpHdr: { MsgId: message.groupHeader.messageId, CreDtTm: message.groupHeader.creationDateTime },
    RptgReq: message.requests.map(requestTree),
  });
}

function requestTree(request: ReportingRequest): XmlElement {
  return compact({
    Id: request.id,
    ReqdMsgNmId: request.requestedMessageNameId,
    Acct: ifDefined(request.account, (id) => ({ Id: accountIdTree(id) })),
    AcctOwnr: relatedPartyTree(request.accountOwner),
    RptgPrd: ifDefined(request.period, (p) => compact({
      FrToDt: compact({ FrDt: p.dates.from, ToDt: p.dates.to }),
      FrToTm: ifDefined(p.times, (t) => compact({ FrTm: t.from, ToTm: t.to })),
      Tp: p.type,
    })),
    ReqdBalTp: request.requestedBalanceTypes.map((t) => ({ CdOrPrtry: codeOrProprietaryTree(t) })),
  });
}

function facts(message: Camt060): MessageFacts {
  return {
    group: message.groupHeader,
    transactions: message.requests.map((request, index) => {
      const path = `RptgReq[${index}]`;
      return withoutUndefined({
        index,
        path,
        transactionId: request.id,
        ibans: accountIbansAt(`${path}/Acct/Id`, request.account),
        bics: relatedPartyBics(`${path}/AcctOwnr`, request.accountOwner),
      });
    }),
  };
}

export const module: MessageModule<Camt060> = {
  id: ID,
  namespace: namespaceOf(ID),
  rootElement: 'AcctRptgReq',
  // Every element with maxOccurs > 1 in the official camt.060.001.05 schema.
  repeatingElements: new Set([
    'AdrLine', 'EQSeq', 'FlrLmt', 'FrToSeq', 'NEQSeq', 'Othr', 'ReqdBalTp', 'RptgReq', 'SplmtryData',
  ]),
  transactionElement: 'RptgReq',
  parse,
  buildTree,
  facts,
};

const codec = documentCodec(module);

export function build(message: Camt060): string {
  return codec.build(message);
}

export function parseXml(xml: string): Camt060 {
  return codec.parseXml(xml);
}
