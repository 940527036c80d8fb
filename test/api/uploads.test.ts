/**
 * The upload stream of the reference-data routes (switch/api/uploads.ts): chunks pass through as they
 * come and the byte limit cuts a body off as soon as it is passed, through each parser the routes use
 * (the error reaches the route unchanged, so the answer is 413 and the engine's transaction rolls back).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { uploadChunks, UploadTooLargeError } from '../../switch/api/uploads.ts';
import { parseSchemeList } from '../../switch/risk/screening/parse-scheme.ts';
import { parseOfacList } from '../../switch/risk/screening/parse-ofac.ts';
import { parseUnList } from '../../switch/risk/screening/parse-un.ts';

const body = (parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

test('chunks pass through in order; a buffered body is one chunk', async () => {
  const seen: string[] = [];
  for await (const c of uploadChunks(body(['ab', 'cd']), 4)) seen.push(Buffer.from(c).toString());
  assert.deepEqual(seen, ['ab', 'cd']);
  const one: string[] = [];
  for await (const c of uploadChunks(Buffer.from('xyz'), 3)) one.push(Buffer.from(c).toString());
  assert.deepEqual(one, ['xyz']);
  await assert.rejects(async () => { for await (const _ of uploadChunks(Buffer.from('xyzw'), 3)) { /* drain */ } }, UploadTooLargeError);
});

test('over the limit: UploadTooLargeError reaches the caller through every list parser', async () => {
  const drain = async (records: AsyncIterable<unknown>) => { for await (const _ of records) { /* read */ } };
  const scheme = ['id,kind,value,remarks\n', 'S-1,name,A Name,\n'.repeat(50)];
  await assert.rejects(drain(parseSchemeList(uploadChunks(body(scheme), 100))), UploadTooLargeError);
  await assert.rejects(drain(parseOfacList(uploadChunks(body(['1,"A NAME","individual","SDGT",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n'.repeat(50)]), 100))),
    UploadTooLargeError);
  await assert.rejects(drain(parseUnList(uploadChunks(body(['<CONSOLIDATED_LIST>', ' '.repeat(500), '</CONSOLIDATED_LIST>']), 100))), UploadTooLargeError);
});
