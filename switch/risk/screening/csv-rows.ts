/**
 * Streams the rows of a CSV list file (RFC 4180 quoting, CR, LF or CRLF records) through csv-parse,
 * with the line where each row starts (docs/risk.md "Screening", "Lists"). The bytes must be UTF-8
 * (OFAC's files are ASCII); a DOS end-of-file mark (0x1A, which OFAC's files end with) on a row of its
 * own is ignored. Only the current row is held: memory is bounded by limits.screening.listRecordBytesMax
 * whatever the file's size. Problems are refusals with the line (ListFormatError). Pure: the bytes come
 * from the caller.
 */
import { once } from 'node:events';
import { parse, CsvError } from 'csv-parse';
import { limits } from '../../limits.ts';
import { ListFormatError, type ListSource } from './list.ts';

export interface CsvRow {
  readonly line: number;
  readonly fields: readonly string[];
}

/** The text of a source, decoded strictly as UTF-8, within the file size limit. */
async function* utf8(source: ListSource, file: string | undefined): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  let lines = 1;
  const decode = (chunk?: Uint8Array): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch {
      throw new ListFormatError(lines, 'the file is not UTF-8', file);
    }
  };
  for await (const chunk of source) {
    bytes += typeof chunk === 'string' ? chunk.length : chunk.byteLength;
    if (bytes > limits.screening.listFileBytesMax) throw new ListFormatError(lines, `the file is larger than ${limits.screening.listFileBytesMax} bytes`, file);
    const text = typeof chunk === 'string' ? chunk : decode(chunk);
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
    yield text;
  }
  const tail = decode();
  if (tail.length > 0) yield tail;
}

export async function* csvRows(source: ListSource, file?: string): AsyncGenerator<CsvRow> {
  const parser = parse({
    bom: true, info: true, relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: limits.screening.listRecordBytesMax,
  });
  let feedError: unknown;
  const stop = new AbortController();
  const feeding = (async () => {
    try {
      for await (const text of utf8(source, file)) {
        if (stop.signal.aborted) return;
        if (!parser.write(text)) await once(parser, 'drain', { signal: stop.signal });
      }
      parser.end();
    } catch (error) {
      if (stop.signal.aborted) return;
      feedError = error;
      parser.destroy(error as Error);
    }
  })();
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      if (record.length === 1 && record[0]!.trim() === '\u001a') continue;
      // info.lines is the line where the record ends; a record spanning lines starts earlier.
      const spanned = record.reduce((n, f) => n + (f.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
      yield { line: info.lines - spanned, fields: record };
    }
  } catch (error) {
    if (feedError instanceof ListFormatError) throw feedError;
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines ?? 0;
      throw new ListFormatError(line, error.message.replace(/^Invalid /, 'invalid '), file);
    }
    throw error;
  } finally {
    // The reader stopped (done, refused, or its caller gave up): the feeder stops too.
    stop.abort();
    parser.destroy();
    await feeding;
  }
}
