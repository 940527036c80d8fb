/**
 * The XSD pool (switch/validation/xsd-pool.ts) answers every call: a call without bytes (e.g. a message
 * read from a column that no longer holds them) is refused at once with a TypeError, instead of a job that
 * fails in the worker and leaves its caller waiting; the pool still validates the next document.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { readFileSync } from 'node:fs';

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

describe('XSD pool', () => {
  it('refuses a call without bytes at once and keeps validating', async () => {
    for (const nothing of [null, undefined, 'text', {}]) {
      await assert.rejects(xsd.validateOne('pacs.008.001.08', nothing as unknown as Uint8Array), TypeError);
    }
    const valid = readFileSync(new URL('../fixtures/pacs.008.001.08/valid-minimal.xml', import.meta.url));
    assert.deepEqual(await xsd.validateOne('pacs.008.001.08', valid), []);
  });
});
