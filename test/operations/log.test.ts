/**
 * switch/log.ts: whatever text a record carries (as a field or as its message), the JSON logger
 * writes exactly one line, with no raw control, separator or bidirectional character, that parses
 * back to the same text; the readable format stays on one line too. Property tests over generated
 * strings from the whole UTF-16 range, lone surrogates included (fast-check prints the seed of a
 * failure; replay with FC_SEED).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLogger, neutralise, visibleText } from '../../switch/log.ts';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('\n', '\r', '\u001b', '[', '\u009b', '\u2028', '\u2029', '\u202e', '\u2066', '\ud800', '\udc00', '"', '\\', 'a', '{', '}', '%s'), maxLength: 40 }),
);

/** Characters that must never reach the output raw (the line end excepted). */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function captured(format: 'json' | 'pretty') {
  const lines: string[] = [];
  const logger = createLogger({ format, write: (line) => lines.push(line), bindings: { component: 'test' } });
  return { logger, lines };
}

describe('structured log', () => {
  it('JSON: one line per record, nothing raw, the same text back', () => {
    fc.assert(fc.property(hostileText, hostileText, (fileName, message) => {
      const { logger, lines } = captured('json');
      logger.warn({ participant: 'BANKDEFFXXX', fileName, cycle: 42n, err: new Error(message) }, message);
      assert.equal(lines.length, 1);
      const line = lines[0]!;
      assert.ok(line.endsWith('\n'));
      assert.equal(line.indexOf('\n'), line.length - 1, 'exactly one line');
      assert.doesNotMatch(line, RAW_UNSAFE);
      const record = JSON.parse(line);
      assert.equal(record.fileName, fileName);
      assert.equal(record.msg, message);
      assert.equal(record.err.message, message);
      assert.equal(record.level, 'warn');
      assert.equal(record.component, 'test');
      assert.equal(record.cycle, '42');
      assert.equal(typeof record.time, 'string');
    }), { numRuns: 300, seed });
  });

  it('a key bound again by a child (a component inside a component) is written once, the innermost value', () => {
    const { logger, lines } = captured('json');
    logger.child({ component: 'connector', participant: 'A' }).child({ component: 'sftp' }).info({ participant: 'B' }, 'connected');
    assert.equal(lines[0]!.match(/"component"/g)!.length, 1, lines[0]);
    assert.equal(lines[0]!.match(/"participant"/g)!.length, 1, lines[0]);
    assert.deepEqual([JSON.parse(lines[0]!).component, JSON.parse(lines[0]!).participant], ['sftp', 'B']);
  });

  it('pretty: one line per record, nothing raw', () => {
    fc.assert(fc.property(hostileText, hostileText, (fileName, message) => {
      const { logger, lines } = captured('pretty');
      logger.info({ fileName }, message);
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.indexOf('\n'), lines[0]!.length - 1);
      assert.doesNotMatch(lines[0]!, RAW_UNSAFE);
    }), { numRuns: 300, seed });
  });

  it('neutralise keeps a JSON line the same value; visibleText shows every control character', () => {
    fc.assert(fc.property(hostileText, (text) => {
      const line = JSON.stringify({ text });
      assert.deepEqual(JSON.parse(neutralise(line)), { text });
      assert.doesNotMatch(visibleText(text), RAW_UNSAFE);
      assert.ok(!visibleText(text).includes('\n'));
    }), { numRuns: 300, seed });
    assert.equal(visibleText('a\nb\u001b[31m'), 'a\\u000ab\\u001b[31m');
  });
});
