/**
 * head.001.001.02 Business Application Header (BAH): sender and receiver BIC, BizMsgIdr (unique per
 * sender), MsgDefIdr, CreDt, PssblDplct. Its root is <AppHdr>, not wrapped in a <Document>.
 * Reduced to what the switch uses; Sgntr, Rltd, MktPrctc and CharSet are not modelled.
 */
import type { MessageFacts, MessageModule } from '../../message.ts';
import { ATTR, buildXml, compact, createParser, textAt, XML_DECLARATION } from '../../xml.ts';
import { defined, documentRoot, requiredText } from '../common.ts';

/** BusinessApplicationHeaderV02, the subset the scheme uses. Fr and To are FIs identified by BICFI. */
export interface BusinessApplicationHeader {
  readonly from: string;
  readonly to: string;
  readonly businessMessageId: string;
  /** e.g. 'pacs.008.001.08'. */
  readonly messageDefinitionId: string;
  readonly businessService?: string;
  /** ISODateTime, despite the element name CreDt. */
  readonly creationDate: string;
  /** CODU, COPY or DUPL. */
  readonly copyDuplicate?: string;
  readonly possibleDuplicate?: boolean;
  readonly priority?: string;
}

export type Head001 = BusinessApplicationHeader;

const ID = 'head.001.001.02';
const ROOT = 'AppHdr';
const NAMESPACE = `urn:iso:std:iso:20022:tech:xsd:${ID}`;

/** Every element of the official head.001.001.02 schema with maxOccurs > 1 (read from the XSD). */
const repeatingElements: ReadonlySet<string> = new Set(['AdrLine', 'Othr', 'Rltd']);

const FI_BIC = ['FIId', 'FinInstnId', 'BICFI'] as const;

/** xs:boolean allows true, false, 1 and 0. */
function readBoolean(value: string | undefined): boolean | undefined {
  return value === undefined ? undefined : value === 'true' || value === '1';
}

export const module: MessageModule<BusinessApplicationHeader> = {
  id: ID,
  namespace: NAMESPACE,
  rootElement: ROOT,
  repeatingElements,
  parse: (root) =>
    defined({
      from: requiredText(root, 'Fr', ...FI_BIC),
      to: requiredText(root, 'To', ...FI_BIC),
      businessMessageId: requiredText(root, 'BizMsgIdr'),
      messageDefinitionId: requiredText(root, 'MsgDefIdr'),
      businessService: textAt(root, 'BizSvc'),
      creationDate: requiredText(root, 'CreDt'),
      copyDuplicate: textAt(root, 'CpyDplct'),
      possibleDuplicate: readBoolean(textAt(root, 'PssblDplct')),
      priority: textAt(root, 'Prty'),
    }),
  buildTree: (header) =>
    compact({
      Fr: { FIId: { FinInstnId: { BICFI: header.from } } },
      To: { FIId: { FinInstnId: { BICFI: header.to } } },
      BizMsgIdr: header.businessMessageId,
      MsgDefIdr: header.messageDefinitionId,
      BizSvc: header.businessService,
      CreDt: header.creationDate,
      CpyDplct: header.copyDuplicate,
      PssblDplct: header.possibleDuplicate === undefined ? undefined : String(header.possibleDuplicate),
      Prty: header.priority,
    }),
  /** The header has no transactions: its facts are the sender, receiver and ids. */
  facts: (header): MessageFacts => ({
    group: {
      messageId: header.businessMessageId,
      creationDateTime: header.creationDate,
      instructingAgent: header.from,
      instructedAgent: header.to,
    },
    transactions: [],
  }),
};

const parser = createParser(repeatingElements);

/** The whole XML document: <AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">. */
export function build(header: BusinessApplicationHeader): string {
  return XML_DECLARATION + buildXml({ [ROOT]: { [`${ATTR}xmlns`]: NAMESPACE, ...module.buildTree(header) } });
}

/** Parse a whole <AppHdr> document (call only after XSD validation: missing mandatory elements throw). */
export function parseXml(xml: string): BusinessApplicationHeader {
  return module.parse(documentRoot(xml, parser, ROOT, null));
}
