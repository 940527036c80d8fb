/**
 * Reference-data uploads over the API (docs/api.md "Risk reference data"): a request body streamed to
 * the engine chunk by chunk, never held whole, and cut off at limits.api.uploadBytesMax. The engine
 * reads it in ONE transaction (risk profiles: switch/engine/risk-profiles.ts; screening lists:
 * switch/engine/screening-lists.ts), so a file refused at any line, or cut off, leaves nothing loaded.
 */
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { limits } from '../limits.ts';
import { problem, type Problem } from './problem.ts';

/** The content types the API streams (server.ts); XML bodies are buffered within the route's bodyLimit. */
export const STREAMED_TYPES = ['text/csv', 'application/x-ndjson', 'application/jsonl', 'application/octet-stream'];

/** A body longer than the upload limit: the load is abandoned (413). */
export class UploadTooLargeError extends Error {
  override readonly name = 'UploadTooLargeError';
}

/** The request body's chunks: a streamed body as it arrives, a buffered one (XML) at once; at most `max` bytes. */
export async function* uploadChunks(body: unknown, max: number = limits.api.uploadBytesMax): AsyncGenerator<Uint8Array> {
  if (Buffer.isBuffer(body)) {
    if (body.length > max) throw new UploadTooLargeError(`more than ${max} bytes`);
    yield body;
    return;
  }
  let total = 0;
  for await (const chunk of body as Readable) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > max) throw new UploadTooLargeError(`more than ${max} bytes`);
    yield bytes;
  }
}

/** Whether the route got a body it can read: a stream or bytes. */
export function hasBody(body: unknown): boolean {
  return Buffer.isBuffer(body) ? body.length > 0 : typeof (body as Readable | undefined)?.pipe === 'function';
}

/**
 * A file refused whole, with the line and the reason (problem+json with `line` and `reason` members).
 * The rest of a streamed body was not read: the connection is closed after the answer.
 */
export function fileRefused(reply: FastifyReply, line: number, reason: string): Problem & { line: number; reason: string } {
  reply.header('connection', 'close');
  return { ...problem(reply, 422, 'File refused', `line ${line}: ${reason}; nothing was loaded`), line, reason };
}

/** An upload over the limit (413): nothing was loaded. */
export function tooLarge(reply: FastifyReply, detail: string): Problem {
  reply.header('connection', 'close');
  return problem(reply, 413, 'Upload too large', `${detail} (limits.api.uploadBytesMax); nothing was loaded: split the file or use the CLI`);
}
