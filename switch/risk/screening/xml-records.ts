/**
 * Streams the records of a large XML file (docs/risk.md "Screening", "Lists"): walks the markup chunk
 * by chunk, checks that it is well-formed (every tag closed in order, attributes quoted, only the five
 * predefined entities and character references), refuses what attacks parsers (a DOCTYPE or any other
 * markup declaration, so no DTD and no entity expansion; CDATA; processing instructions but the XML
 * declaration), and hands each record element (e.g. CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL) whole to
 * fast-xml-parser, configured as for ISO messages (switch/iso/xml.ts). Only the current record is held:
 * memory is bounded by limits.screening.listRecordBytesMax, whatever the file's size. Problems are
 * refusals with the line (ListFormatError); the caller loads nothing of a refused file. Pure: the bytes
 * come from the caller.
 */
import { createParser, type XmlElement } from '../../iso/xml.ts';
import { limits } from '../../limits.ts';
import { ListFormatError, type ListSource } from './list.ts';

export interface XmlRecord {
  /** The record element's local name (INDIVIDUAL, ENTITY). */
  readonly name: string;
  readonly line: number;
  readonly element: XmlElement;
}

export interface XmlRecordOptions {
  /** The root element the file must have. */
  readonly root: string;
  /** Paths of record elements below the root, e.g. ['INDIVIDUALS/INDIVIDUAL', 'ENTITIES/ENTITY']. */
  readonly records: readonly string[];
  /** Elements that repeat inside a record (always arrays when parsed). */
  readonly repeating: ReadonlySet<string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9._:-]*$/;
/** Bytes of records parsed in one fast-xml-parser call (see flush in xmlRecords). */
const RECORD_BATCH_BYTES = 256 * 1024;
const ATTRIBUTES = /^(?:\s+[A-Za-z_][A-Za-z0-9._:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*$/;
const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));/y;

function linesIn(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Checks the character data between `from` and `to`: references only of the allowed kinds, no '>' rules. */
function checkText(text: string, from: number, to: number, line: number): void {
  for (let i = text.indexOf('&', from); i !== -1 && i < to; i = text.indexOf('&', i + 1)) {
    REFERENCE.lastIndex = i;
    const m = REFERENCE.exec(text);
    if (m === null || i + m[0].length > to) {
      const shown = text.slice(i, Math.min(to, i + 12)).split(/[\s<]/)[0];
      throw new ListFormatError(line + linesIn(text, from, i),
        `entity reference ${JSON.stringify(shown)}: only &amp; &lt; &gt; &quot; &apos; and character references are accepted`);
    }
  }
}

/** Yields every record element of the file, in order; throws ListFormatError at the first problem. */
export async function* xmlRecords(source: ListSource, options: XmlRecordOptions): AsyncGenerator<XmlRecord> {
  const recordNames = options.records.map((p) => p.split('/').at(-1)!);
  // Record elements always come back as arrays: records are parsed in batches (see flush).
  const parser = createParser(new Set([...options.repeating, ...recordNames]));
  let pending: { name: string; line: number; xml: string }[] = [];
  let pendingBytes = 0;
  /**
   * Parses the pending records in one call: fast-xml-parser's set-up per call (its entity tables) costs
   * more than a small record, so records go to it in batches of up to RECORD_BATCH_BYTES, all of one
   * element name (a batch's siblings of two names would come back grouped, out of order).
   */
  function* flush(): Generator<XmlRecord> {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    const elements = parseBatch(parser, batch.map((r) => r.xml).join(''), batch[0]!.name, batch[0]!.line);
    if (elements.length !== batch.length) throw new ListFormatError(batch[0]!.line, `<${batch[0]!.name}>: ${elements.length} elements parsed of ${batch.length}`);
    for (let i = 0; i < batch.length; i++) yield { name: batch[i]!.name, line: batch[i]!.line, element: elements[i]! };
  }
  const recordPaths = new Set(options.records.map((p) => `${options.root}/${p}`));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const stack: { name: string; line: number }[] = [];
  let buffer = '';
  let position = 0;
  let line = 1;
  let seenRoot = false;
  let done = false;
  let markupSeen = false;
  let totalBytes = 0;
  let record: { start: number; line: number; depth: number; name: string } | undefined;

  const path = (): string => stack.map((e) => e.name).join('/');
  const consume = (to: number): void => {
    if (buffer[position] === '<') markupSeen = true;
    line += linesIn(buffer, position, to);
    position = to;
  };

  async function* chunks(): AsyncGenerator<string> {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? chunk.length : chunk.byteLength;
      totalBytes += bytes;
      if (totalBytes > limits.screening.listFileBytesMax) throw new ListFormatError(line, `the file is larger than ${limits.screening.listFileBytesMax} bytes`);
      if (typeof chunk === 'string') yield chunk;
      else {
        try {
          yield decoder.decode(chunk, { stream: true });
        } catch {
          throw new ListFormatError(line + linesIn(buffer, position, buffer.length), 'the file is not UTF-8');
        }
      }
    }
    try {
      yield decoder.decode();
    } catch {
      throw new ListFormatError(line, 'the file is not UTF-8 (it ends inside a character)');
    }
  }

  for await (const chunk of chunks()) {
    if (position === 0 && buffer.length === 0 && chunk.charCodeAt(0) === 0xfeff) buffer = chunk.slice(1);
    else buffer += chunk;
    // Markup complete in the buffer is processed; an incomplete tag waits for the next chunk.
    for (;;) {
      const lt = buffer.indexOf('<', position);
      if (lt === -1) {
        // Character data goes on in the next chunk: checked once its end is known.
        if (buffer.length - position > limits.screening.listRecordBytesMax) throw new ListFormatError(line, 'character data longer than the record limit');
        break;
      }
      if (lt > position) {
        if (stack.length === 0 && buffer.slice(position, lt).trim().length > 0) {
          throw new ListFormatError(line, seenRoot ? 'text after the root element' : 'text before the root element');
        }
        checkText(buffer, position, lt, line);
        consume(lt);
      }
      const atStart = !markupSeen;
      const rest = buffer.slice(lt, lt + 9);
      if (rest.length < 9 && (rest === '<' || '<!--'.startsWith(rest) || '<![CDATA['.startsWith(rest))) break;
      if (rest.startsWith('<!--')) {
        const end = buffer.indexOf('-->', lt + 4);
        if (end === -1) break;
        consume(end + 3);
        continue;
      }
      if (rest.startsWith('<![CDATA[')) throw new ListFormatError(line, 'CDATA sections are not accepted');
      if (rest.startsWith('<!')) {
        throw new ListFormatError(line, 'a DOCTYPE or other markup declaration is not accepted (no DTD, no entities)');
      }
      const gt = findTagEnd(buffer, lt);
      if (gt === -2) throw new ListFormatError(line, "'<' inside a tag");
      if (gt === -1) {
        if (buffer.length - lt > limits.screening.listRecordBytesMax) throw new ListFormatError(line, 'a tag longer than the record limit');
        break;
      }
      const tag = buffer.slice(lt + 1, gt);
      if (tag.startsWith('?')) {
        if (!(atStart && /^\?xml\s[^?]*\?$/.test(tag))) throw new ListFormatError(line, 'processing instructions are not accepted (only the XML declaration, first)');
        consume(gt + 1);
        continue;
      }
      if (tag.startsWith('/')) {
        const name = tag.slice(1).trim();
        const open = stack.pop();
        if (open === undefined || open.name !== name) {
          throw new ListFormatError(line, open ? `end tag </${name}> does not match <${open.name}> of line ${open.line}` : `end tag </${name}> without a start tag`);
        }
        consume(gt + 1);
        if (record !== undefined && stack.length === record.depth) {
          if (pending.length > 0 && pending[0]!.name !== record.name) yield* flush();
          const xml = buffer.slice(record.start, gt + 1);
          pending.push({ name: record.name, line: record.line, xml });
          pendingBytes += xml.length;
          record = undefined;
          if (pendingBytes >= RECORD_BATCH_BYTES) yield* flush();
        }
        if (stack.length === 0) done = true;
      } else {
        const selfClosing = tag.endsWith('/');
        const body = selfClosing ? tag.slice(0, -1) : tag;
        const name = /^[^\s/]+/.exec(body)?.[0] ?? '';
        if (!NAME.test(name)) throw new ListFormatError(line, `${JSON.stringify(`<${tag}>`.slice(0, 40))} is not a start tag`);
        if (!ATTRIBUTES.test(body.slice(name.length))) throw new ListFormatError(line, `malformed attributes in <${name}>`);
        checkText(body, name.length, body.length, line);
        if (stack.length === 0) {
          if (seenRoot) throw new ListFormatError(line, 'a second root element');
          if (name !== options.root) throw new ListFormatError(line, `the root element is <${name}>, not <${options.root}>`);
          seenRoot = true;
        }
        if (stack.length >= limits.nestingDepthMax) throw new ListFormatError(line, `elements nested deeper than ${limits.nestingDepthMax}`);
        const startLine = line;
        if (!selfClosing) {
          stack.push({ name, line: startLine });
          if (record === undefined && recordPaths.has(path())) record = { start: lt, line: startLine, depth: stack.length - 1, name };
        }
        consume(gt + 1);
        if (selfClosing && stack.length === 0) done = true;
      }
    }
    // Drop what is processed and outside the current record.
    const keepFrom = record?.start ?? position;
    if (record !== undefined && buffer.length - record.start > limits.screening.listRecordBytesMax) {
      throw new ListFormatError(record.line, `<${record.name}> is larger than ${limits.screening.listRecordBytesMax} bytes`);
    }
    if (keepFrom > 0) {
      buffer = buffer.slice(keepFrom);
      position -= keepFrom;
      if (record !== undefined) record = { ...record, start: record.start - keepFrom };
    }
  }
  const left = buffer.slice(position).trim();
  if (left.length > 0 && stack.length === 0) throw new ListFormatError(line, seenRoot ? 'text after the root element' : 'text before the root element');
  if (left.startsWith('<')) throw new ListFormatError(line, 'the file ends inside a tag');
  if (!seenRoot) throw new ListFormatError(line, `no <${options.root}> element`);
  if (!done || stack.length > 0) {
    const open = stack[stack.length - 1];
    throw new ListFormatError(line, `the file ends before <${open?.name ?? options.root}>${open ? ` of line ${open.line}` : ''} is closed`);
  }
  yield* flush();
}

/** Index of the '>' closing the tag that starts at `lt` (quotes respected); -1 when not in the buffer yet, -2 for a '<' inside it. */
function findTagEnd(text: string, lt: number): number {
  let quote = '';
  for (let i = lt + 1; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
    else if (c === '<') return -2;
  }
  return -1;
}

function parseBatch(parser: ReturnType<typeof createParser>, xml: string, name: string, line: number): XmlElement[] {
  try {
    const tree = parser.parse(`<BATCH>${xml}</BATCH>`) as XmlElement;
    const batch = tree.BATCH;
    const elements = typeof batch === 'object' && !Array.isArray(batch) ? batch[name] : undefined;
    return (Array.isArray(elements) ? elements : []).map((e) => (typeof e === 'string' ? {} : e));
  } catch (error) {
    throw new ListFormatError(line, `<${name}>: ${(error as Error).message}`);
  }
}
