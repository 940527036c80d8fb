/**
 * Conformance oracle for tests: validate documents against the OFFICIAL ISO 20022 schemas, which the
 * repository does not carry: ISO20022_XSD_DIR, else the default of tools/derive-schemas.ts (README,
 * "What npm test needs"). One xmllint-wasm call per schema and batch,
 * since each call compiles the schema (~120 ms).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { limits } from '../../switch/limits.ts';
import { DEFAULT_OFFICIAL_DIR } from '../../tools/derive-schemas.ts';

export const officialXsdDirectory = process.env.ISO20022_XSD_DIR ?? DEFAULT_OFFICIAL_DIR;

function schemaPath(messageId: string): string {
  return join(officialXsdDirectory, `${messageId}.xsd`);
}

/** Why conformance tests cannot run (see test/support/prerequisites.ts), or undefined when the official schema is there. */
export function officialSchemaMissing(messageId: string): string | undefined {
  return existsSync(schemaPath(messageId))
    ? undefined
    : `official schema ${messageId}.xsd not found in ${officialXsdDirectory}: conformance not checked`;
}

export interface NamedDocument {
  readonly name: string;
  readonly xml: string;
}

/** Validate every document against the official schema of `messageId`; returns the errors (empty: all valid). */
export async function officialSchemaErrors(messageId: string, documents: readonly NamedDocument[]): Promise<string[]> {
  const result = await validateXML({
    xml: documents.map((document) => ({ fileName: `${document.name}.xml`, contents: document.xml })),
    schema: [{ fileName: `${messageId}.xsd`, contents: readFileSync(schemaPath(messageId), 'utf8') }],
    maxMemoryPages: limits.xsdMemoryPagesMax,
  });
  if (result.valid) return [];
  return result.errors.length > 0 ? result.errors.map((error) => error.rawMessage) : [result.rawOutput];
}
