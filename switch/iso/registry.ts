/**
 * The supported message versions, by namespace. Adding a version: write its module under
 * messages/<id>/ and add one line here.
 */
import type { MessageModule } from './message.ts';
import { module as pacs008 } from './messages/pacs.008.001.08/index.ts';
import { module as pacs009 } from './messages/pacs.009.001.08/index.ts';
import { module as pacs004 } from './messages/pacs.004.001.09/index.ts';
import { module as pacs002 } from './messages/pacs.002.001.10/index.ts';
import { module as pacs028 } from './messages/pacs.028.001.03/index.ts';
import { module as camt056 } from './messages/camt.056.001.08/index.ts';
import { module as camt029 } from './messages/camt.029.001.09/index.ts';
import { module as camt052 } from './messages/camt.052.001.08/index.ts';
import { module as camt053 } from './messages/camt.053.001.08/index.ts';
import { module as camt054 } from './messages/camt.054.001.08/index.ts';
import { module as camt060 } from './messages/camt.060.001.05/index.ts';
import { module as admi002 } from './messages/admi.002.001.01/index.ts';
import { module as admi004 } from './messages/admi.004.001.02/index.ts';
import { module as acmt023 } from './messages/acmt.023.001.04/index.ts';
import { module as acmt024 } from './messages/acmt.024.001.04/index.ts';

export const NAMESPACE_PREFIX = 'urn:iso:std:iso:20022:tech:xsd:';

/** Document messages (head.001 is the envelope's header, handled by the pipeline itself). */
export const messageModules: ReadonlyArray<MessageModule<unknown>> = [
  pacs008, pacs009, pacs004, pacs002, pacs028,
  camt056, camt029, camt052, camt053, camt054, camt060,
  admi002, admi004,
  acmt023, acmt024,
] as unknown as ReadonlyArray<MessageModule<unknown>>;

const byNamespace = new Map(messageModules.map((m) => [m.namespace, m]));

export function moduleForNamespace(namespace: string): MessageModule<unknown> | undefined {
  return byNamespace.get(namespace);
}
