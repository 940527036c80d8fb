/**
 * admi.002.001.01 message reject: the switch's answer to a message or file it cannot parse or
 * authenticate (transport layer: bad signature, not well-formed, unknown message).
 *
 * In this version the message element under <Document> is named after the version itself,
 * <admi.002.001.01>, not MessageReject (checked against the official XSD).
 */
import type { MessageFacts, MessageModule } from '../../message.ts';
import { compact, textAt, type XmlElement } from '../../xml.ts';
import { documentCodec, namespaceOf, requiredText, withoutUndefined } from '../camt-common.ts';

export interface Admi002 {
  /** RltdRef/Ref: the id of the rejected message (BizMsgIdr or MsgId) or file name. */
  readonly relatedReference: string;
  readonly reason: RejectionReason;
}

/** RejectionReason2. */
export interface RejectionReason {
  /** RjctgPtyRsn (Max35Text): the reason code, e.g. an ISO reason code such as DS0A or FF01. */
  readonly rejectingPartyReason: string;
  readonly rejectionDateTime?: string;
  /** ErrLctn (Max350Text): where the error is, e.g. an element path or line. */
  readonly errorLocation?: string;
  /** RsnDesc (Max350Text): the reason in words. */
  readonly description?: string;
  /** AddtlData (Max20000Text). */
  readonly additionalData?: string;
}

const ID = 'admi.002.001.01';

function parse(root: XmlElement): Admi002 {
  return {
    relatedReference: requiredText(root, 'RltdRef', 'Ref'),
    reason: withoutUndefined({
      rejectingPartyReason: requiredText(root, 'Rsn', 'RjctgPtyRsn'),
      rejectionDateTime: textAt(root, 'Rsn', 'RjctnDtTm'),
      errorLocation: textAt(root, 'Rsn', 'ErrLctn'),
      description: textAt(root, 'Rsn', 'RsnDesc'),
      additionalData: textAt(root, 'Rsn', 'AddtlData'),
    }),
  };
}

function buildTree(message: Admi002): XmlElement {
  const { reason } = message;
  return {
    RltdRef: { Ref: message.relatedReference },
    Rsn: compact({
      RjctgPtyRsn: reason.rejectingPartyReason,
      RjctnDtTm: reason.rejectionDateTime,
      ErrLctn: reason.errorLocation,
      RsnDesc: reason.description,
      AddtlData: reason.additionalData,
    }),
  };
}

/**
 * admi.002.001.01 has no message id of its own (the business application header's BizMsgIdr
 * identifies it), so messageId is empty; the rejected message's reference is not its id.
 */
function facts(message: Admi002): MessageFacts {
  return {
    group: withoutUndefined({ messageId: '', creationDateTime: message.reason.rejectionDateTime }),
    transactions: [],
  };
}

export const module: MessageModule<Admi002> = {
  id: ID,
  namespace: namespaceOf(ID),
  rootElement: 'admi.002.001.01',
  // The official admi.002.001.01 schema has no element with maxOccurs > 1.
  repeatingElements: new Set<string>(),
  parse,
  buildTree,
  facts,
};

const codec = documentCodec(module);

export function build(message: Admi002): string {
  return codec.build(message);
}

export function parseXml(xml: string): Admi002 {
  return codec.parseXml(xml);
}
