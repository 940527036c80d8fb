/**
 * admi.004.001.02 SysEvtNtfctn: broadcasts of scheme events to participants (cycle opened, cut-off,
 * netted, settled, unwound; participant suspended or reactivated).
 *
 * EvtCd is a Max4AlphaNumericText ([a-zA-Z0-9]{1,4}), so the scheme's event names are sent as the
 * four-character codes of `schemeEvents`; the details travel in EvtParam (Max35Text each).
 */
import type { MessageFacts, MessageModule } from '../../message.ts';
import { compact, textAt, type XmlElement } from '../../xml.ts';
import { documentCodec, namespaceOf, requiredChild, requiredText, texts, withoutUndefined } from '../camt-common.ts';

/**
 * The scheme's event codes (name -> EvtCd) and the EvtParam values each carries, in order.
 */
export const schemeEvents = {
  /** COPN: a clearing cycle opened. Params: cycle id, business date (YYYY-MM-DD). */
  CYCLE_OPENED: 'COPN',
  /** CCUT: a cycle reached its cut-off; later payments go to the next cycle. Params: cycle id. */
  CYCLE_CUT_OFF: 'CCUT',
  /** CNET: a cycle's net positions were computed and settlement instructions sent. Params: cycle id. */
  CYCLE_NETTED: 'CNET',
  /** CSET: a cycle settled (final). Params: cycle id. */
  CYCLE_SETTLED: 'CSET',
  /** CUNW: a cycle was unwound (settlement failed). Params: cycle id, BIC of each failing participant. */
  CYCLE_UNWOUND: 'CUNW',
  /** PSUS: a participant was suspended; its files and payments to it are refused (AG10 AgentSuspended, docs/operations.md). Params: participant BIC. */
  PARTICIPANT_SUSPENDED: 'PSUS',
  /** PREA: a suspended participant was reactivated. Params: participant BIC. */
  PARTICIPANT_REACTIVATED: 'PREA',
  /**
   * DCLS: a business day was closed after its last cycle settled: nothing changes it any more, and
   * each participant's camt.053 statements of the day were sent before this event.
   * Params: business date (YYYY-MM-DD), number of cycles, number of statements to this participant.
   */
  BUSINESS_DAY_CLOSED: 'DCLS',
} as const;

export type SchemeEventName = keyof typeof schemeEvents;
export type SchemeEventCode = (typeof schemeEvents)[SchemeEventName];

const namesByCode = new Map<string, SchemeEventName>(
  Object.entries(schemeEvents).map(([name, code]) => [code, name as SchemeEventName]),
);

/** The scheme event name of an EvtCd, or undefined for a code the scheme does not define. */
export function schemeEventName(code: string): SchemeEventName | undefined {
  return namesByCode.get(code);
}

export interface Admi004 {
  readonly event: SystemEvent;
}

/** Event2. */
export interface SystemEvent {
  /** EvtCd: one of the schemeEvents codes when sent by the switch; any code on input. */
  readonly code: string;
  readonly parameters: readonly string[];
  readonly description?: string;
  readonly time?: string;
}

const ID = 'admi.004.001.02';

function parse(root: XmlElement): Admi004 {
  const event = requiredChild(root, 'EvtInf');
  return {
    event: withoutUndefined({
      code: requiredText(event, 'EvtCd'),
      parameters: texts(event, 'EvtParam'),
      description: textAt(event, 'EvtDesc'),
      time: textAt(event, 'EvtTm'),
    }),
  };
}

function buildTree(message: Admi004): XmlElement {
  const { event } = message;
  return {
    EvtInf: compact({
      EvtCd: event.code,
      EvtParam: [...event.parameters],
      EvtDesc: event.description,
      EvtTm: event.time,
    }),
  };
}

/** admi.004 has no message id of its own (the header's BizMsgIdr identifies it): messageId is empty. */
function facts(message: Admi004): MessageFacts {
  return { group: withoutUndefined({ messageId: '', creationDateTime: message.event.time }), transactions: [] };
}

export const module: MessageModule<Admi004> = {
  id: ID,
  namespace: namespaceOf(ID),
  rootElement: 'SysEvtNtfctn',
  // Every element with maxOccurs > 1 in the official admi.004.001.02 schema.
  repeatingElements: new Set(['EvtParam']),
  parse,
  buildTree,
  facts,
};

const codec = documentCodec(module);

export function build(message: Admi004): string {
  return codec.build(message);
}

export function parseXml(xml: string): Admi004 {
  return codec.parseXml(xml);
}
