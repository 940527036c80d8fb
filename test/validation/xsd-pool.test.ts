/**
 * The XSD pool (switch/validation/xsd-pool.ts) answers every call: a call without bytes (e.g. a message
 * read from a column that no longer holds them) is refused at once with a TypeError, instead of a job that
 * fails in the worker and leaves its caller waiting; the pool still validates the next document.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { laneWrappers, XsdValidator, type XsdError } from '../../switch/validation/xsd-pool.ts';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

let xsd: XsdValidator;
/** What a verdict says, without the file name it was given. */
const strip = (errors: readonly XsdError[]): { line: number | undefined; message: string }[] =>
  errors.map((e) => ({ line: e.line, message: e.message }));
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

/**
 * A lane's worker keeps one xmllint run across many jobs (xsd-worker.cjs): each message must get the
 * verdict, and exactly the errors, that a job of its own gives it — across the run's end (a run takes
 * 500 files, so 1,300 messages cross two), with valid, schema-invalid and malformed messages mixed in
 * jobs of varied sizes, and two schemas' lanes in flight together.
 */
describe('XSD lanes (one xmllint run across jobs)', () => {
  const fixture = (name: string): Uint8Array => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
  const valid = fixture('pacs.008.001.08/valid-minimal.xml');
  const text = new TextDecoder().decode(valid);
  const kinds: Record<string, Uint8Array> = {
    valid,
    invalid: new TextEncoder().encode(text.replace('<GrpHdr>', '<GrpHdr><Foo/>')),
    malformed: new TextEncoder().encode(text.replace('</GrpHdr>', '</GrpHdx>')),
    empty: new Uint8Array(0),
  };

  it('gives every message the errors a job of its own gives it', async () => {
    const expected = new Map<string, ReturnType<typeof strip>>();
    for (const [kind, bytes] of Object.entries(kinds)) {
      const alone = await xsd.validateFiles('pacs.008.001.08', [{ fileName: 'alone.xml', contents: bytes }]);
      expected.set(kind, strip(alone.errors.get('alone.xml')!));
    }
    assert.deepEqual(expected.get('valid'), []);
    for (const kind of ['invalid', 'malformed', 'empty']) assert.ok(expected.get(kind)!.length > 0, kind);
    const head = fixture('head.001.001.02/valid-minimal.xml');
    const headInvalid = fixture('head.001.001.02/invalid-fr-orgid.xml');
    const headExpected = strip((await xsd.validateFiles('head.001.001.02', [{ fileName: 'h.xml', contents: headInvalid }])).errors.get('h.xml')!);

    const order = Object.keys(kinds);
    let sent = 0;
    for (let wave = 0; sent < 1300; wave++) {
      const size = 1 + (wave * 7) % 23;
      const calls = Array.from({ length: size }, (_, i) => {
        const kind = order[(sent + i) % 5 === 4 ? 0 : (sent + i) % 4]!;
        return xsd.validateOne('pacs.008.001.08', kinds[kind]!).then((errors) => ({ kind, errors }));
      });
      const heads = [xsd.validateOne('head.001.001.02', head), xsd.validateOne('head.001.001.02', headInvalid)];
      sent += size;
      for (const { kind, errors } of await Promise.all(calls)) {
        assert.deepEqual(strip(errors), expected.get(kind), `${kind} message in wave ${wave}`);
      }
      const [headErrors, headInvalidErrors] = await Promise.all(heads);
      assert.deepEqual(headErrors, []);
      assert.deepEqual(strip(headInvalidErrors!), headExpected);
    }
  });
});

/**
 * The worker itself, given what the pool never sends one lane's worker: persistent jobs of two schemas
 * and a job of its own in turn. Each must end the run in progress (xsd-worker.cjs: an empty file, then
 * 'unwind' from the device's close hook) and be answered by the next one.
 */
describe('XSD worker: a run ends for a job it cannot serve', () => {
  it('answers jobs of another schema and jobs of their own between persistent ones', async () => {
    const signalBuffer = new SharedArrayBuffer(4);
    const signal = new Int32Array(signalBuffer);
    const worker = new Worker(new URL('../../switch/validation/xsd-worker.cjs', import.meta.url), { workerData: { signal: signalBuffer } });
    const replies = new Map<number, (r: { exitCode: number; stderr: string }) => void>();
    worker.on('message', (r: { id: number; exitCode: number; stderr: string }) => replies.get(r.id)?.(r));
    const schemaBytes = (id: string): Uint8Array => readFileSync(new URL(`../../schemas/${id}.xsd`, import.meta.url));
    const pacs = readFileSync(new URL('../fixtures/pacs.008.001.08/valid-minimal.xml', import.meta.url));
    const head = readFileSync(new URL('../fixtures/head.001.001.02/valid-minimal.xml', import.meta.url));
    const job = (id: number, schemaName: string, contents: Uint8Array, persistent: boolean): Promise<string> => {
      const answered = new Promise<string>((resolve) => replies.set(id, (r) => resolve(r.stderr)));
      const schemaId = schemaName.replace(/\.xsd$/, '');
      worker.postMessage({ id, schemaName, schema: schemaBytes(schemaId), persistent,
        files: [{ fileName: 'a.xml', contents }, { fileName: 'b.xml', contents }], maxMemoryPages: 8192 });
      Atomics.add(signal, 0, 1);
      Atomics.notify(signal, 0);
      return answered;
    };
    try {
      const sequence: [string, Uint8Array, boolean][] = [
        ['pacs.008.001.08.xsd', pacs, true], ['head.001.001.02.xsd', head, true], ['head.001.001.02.xsd', head, false],
        ['pacs.008.001.08.xsd', pacs, true], ['pacs.008.001.08.xsd', head, true], ['pacs.008.001.08.xsd', pacs, false],
      ];
      for (const [round, [schemaName, contents, persistent]] of sequence.entries()) {
        const stderr = await job(round + 1, schemaName, contents, persistent);
        const verdicts = stderr.split('\n').filter((l) => /^[ab]\.xml (validates|fails to validate)$/.test(l));
        const expected = contents === head && schemaName.startsWith('pacs') ? 'fails to validate' : 'validates';
        assert.deepEqual(verdicts, [`a.xml ${expected}`, `b.xml ${expected}`], `job ${round + 1}: ${stderr}`);
      }
    } finally {
      await worker.terminate();
    }
  });
});

/**
 * A lane validates a job's messages first as one wrapper document (xsd-pool.ts validateOnLane): that
 * fast path must never pass a message that fails alone. Generated groups mix valid messages with
 * messages built to escape or fool a wrapper — an open comment, processing instruction, CDATA section,
 * tag or attribute value that would swallow the next message's wrapper tags, the wrappers' own tags,
 * two roots, text around the root, a root in another or no namespace, declarations in another
 * encoding with a non-ASCII byte, in version 1.1, misspelt, unordered or in upper case, a byte order mark, nothing at all — and every message must get exactly
 * what a job of its own gives it.
 */
describe('XSD lanes: a wrapper passes only what passes alone', () => {
  const valid = new TextDecoder().decode(readFileSync(new URL('../fixtures/pacs.008.001.08/valid-minimal.xml', import.meta.url)));
  const declaration = '<?xml version="1.0" encoding="UTF-8"?>';
  const body = valid.slice(valid.indexOf('?>') + 2);
  const text = (t: string): Uint8Array => new TextEncoder().encode(t);
  const latin1 = (t: string): Uint8Array => Uint8Array.from(t, (c) => c.charCodeAt(0));
  const kinds: Record<string, Uint8Array> = {
    valid: text(valid),
    noDeclaration: text(body.trimStart()),
    bom: new Uint8Array([0xef, 0xbb, 0xbf, ...text(valid)]),
    commentsAround: text(`${declaration}<!-- before -->${body}<!-- after --><?pi after?>`),
    openComment: text(`${valid}<!--`),
    bareOpenComment: text('<!--'),
    bareOpenPi: text('<?pi '),
    bareOpenTag: text('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08" a="'),
    closeComment: text(`-->${body}`),
    openPi: text(`${valid}<?pi `),
    closePi: text(`?>${body}`),
    openCdata: text(`${valid}<![CDATA[`),
    closeCdata: text(`]]>${body}`),
    openAttribute: text(`${declaration}<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08" a="`),
    closeAttribute: text(`"${body}`),
    wrapperTags: text(`${valid}</clhl:M1><clhl:M2>`),
    wrapperClose: text(`${body}</clhl:M0></clhl:Lane><clhl:Lane xmlns:clhl="urn:clearhouse:xsd-lane:1"><clhl:M0>`),
    twoRoots: text(`${valid}${body}`),
    textAfter: text(`${valid}x`),
    textBefore: text(`x${body}`),
    noNamespace: text(valid.replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"', '')),
    otherNamespace: text(valid.replace('pacs.008.001.08"', 'pacs.008.001.09"')),
    latin1Declared: latin1(valid.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace('<MsgId>BANKDEFF', '<MsgId>BANK\u00e9EFF')),
    utf8NonAscii: text(valid.replace('<MsgId>BANKDEFF', '<MsgId>BANK\u00e9EFF')),
    unendedDeclaration: text('<?xml version="1.0" encoding="UTF-8"'),
    badStandalone: text(valid.replace('encoding="UTF-8"?>', 'standalone="maybe"?>')),
    noVersion: text(valid.replace('version="1.0" ', '')),
    misspeltEncoding: text(valid.replace('encoding=', 'encodng=')),
    version11ControlCharacter: text(valid.replace('version="1.0"', 'version="1.1"').replace('<MsgId>BANKDEFF', '<MsgId>BANK\u0085EFF')),
    upperCaseDeclaration: text(valid.replace('<?xml version="1.0"', '<?XML version="1.0"')),
    upperCaseStandalone: text(valid.replace('encoding="UTF-8"?>', 'standalone="YES"?>')),
    spacedDeclaration: text(valid.replace('<?xml version="1.0" encoding="UTF-8"?>', "<?xml version = '1.0' encoding = 'utf-8' standalone = 'no' ?>")),
    onlyComment: text('<!-- nothing -->'),
    empty: new Uint8Array(0),
  };

  it('gives every message of every generated group the errors a job of its own gives it', async () => {
    const alone = new Map<string, ReturnType<typeof strip>>();
    for (const [kind, bytes] of Object.entries(kinds)) {
      alone.set(kind, strip((await xsd.validateFiles('pacs.008.001.08', [{ fileName: 'alone.xml', contents: bytes }])).errors.get('alone.xml')!));
    }
    // The valid kinds pass alone; the others fail alone (or the generation would test nothing).
    for (const kind of ['valid', 'noDeclaration', 'bom', 'commentsAround', 'utf8NonAscii', 'latin1Declared', 'spacedDeclaration']) assert.deepEqual(alone.get(kind), [], kind);
    for (const kind of Object.keys(kinds)) if (!['valid', 'noDeclaration', 'bom', 'commentsAround', 'utf8NonAscii', 'latin1Declared', 'spacedDeclaration'].includes(kind)) assert.ok(alone.get(kind)!.length > 0, kind);
    let wrapped = 0;
    await fc.assert(fc.asyncProperty(
      // Singles, and the pairs that open something in one message and close it in the next.
      fc.array(fc.oneof(
        { weight: 3, arbitrary: fc.constant(['valid']) },
        { weight: 4, arbitrary: fc.constantFrom(...Object.keys(kinds)).map((k) => [k]) },
        { weight: 2, arbitrary: fc.constantFrom(['bareOpenComment', 'closeComment'], ['openComment', 'closeComment'], ['bareOpenPi', 'closePi'],
          ['openPi', 'closePi'], ['bareOpenTag', 'closeAttribute'], ['openAttribute', 'closeAttribute'], ['openCdata', 'closeCdata']) },
      ), { minLength: 1, maxLength: 25 }).map((parts) => parts.flat()).filter((group) => group.length >= 2),
      async (group) => {
        if (laneWrappers(group.map((kind, i) => ({ fileName: `m${i}.xml`, contents: kinds[kind]! })), 1 << 20) !== undefined) wrapped++;
        const results = await Promise.all(group.map((kind) => xsd.validateOne('pacs.008.001.08', kinds[kind]!)));
        results.forEach((errors, i) => assert.deepEqual(strip(errors), alone.get(group[i]!), `${group[i]} in [${group.join(', ')}]`));
      }), { numRuns: 150, seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined });
    // Most groups went through a wrapper first (the others hold a message no wrapper takes).
    assert.ok(wrapped > 50, `${wrapped} groups wrapped`);
  });
});
