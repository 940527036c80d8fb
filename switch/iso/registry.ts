/**
 * The supported message versions, by namespace. Adding a version: write its module under
 * messages/<id>/ and add one line here.
 */
import type { MessageModule } from './message.ts';

// Each module registers itself below; the list is filled in as modules land.
export const messageModules: ReadonlyArray<MessageModule<unknown>> = [];

const byNamespace = new Map(messageModules.map((m) => [m.namespace, m]));

export function moduleForNamespace(namespace: string): MessageModule<unknown> | undefined {
  return byNamespace.get(namespace);
}

export const NAMESPACE_PREFIX = 'urn:iso:std:iso:20022:tech:xsd:';
