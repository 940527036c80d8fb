/**
 * The business message envelope: a business application header (head.001.001.02) and its Document,
 * side by side in a wrapper element. ISO 20022 does not standardise the wrapper; the scheme's is
 * <BusMsg> (no namespace). Inbound, the validation pipeline accepts any wrapper name holding exactly
 * AppHdr then Document; outbound, the switch always writes BusMsg.
 */
import { build as buildHead, type BusinessApplicationHeader } from './messages/head.001.001.02/index.ts';
import { XML_DECLARATION } from './xml.ts';

export const ENVELOPE_ELEMENT = 'BusMsg';

function withoutDeclaration(xml: string): string {
  return xml.replace(/^<\?xml[^>]*\?>\s*/, '').trimEnd();
}

/** Wrap a built Document (as returned by a module's build()) with its header. */
export function buildBusinessMessage(header: BusinessApplicationHeader, documentXml: string): string {
  const messageId = /xmlns="urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.\d{3}\.\d{3}\.\d{2})"/.exec(documentXml)?.[1];
  if (messageId !== header.messageDefinitionId) {
    throw new Error(`header MsgDefIdr ${header.messageDefinitionId} does not match the document (${messageId ?? 'unknown'})`);
  }
  return `${XML_DECLARATION}<${ENVELOPE_ELEMENT}>\n${withoutDeclaration(buildHead(header))}\n${withoutDeclaration(documentXml)}\n</${ENVELOPE_ELEMENT}>\n`;
}
