'use strict';
/**
 * XSD validation worker thread: libxml2's xmllint compiled to WebAssembly (the xmllint-wasm package),
 * kept warm.
 *
 * xmllint-wasm's own validateXML() starts a new worker thread and compiles the 780 KB WebAssembly
 * module on every call (about 120 ms here). This worker compiles the module once and, for each job,
 * only instantiates it through Emscripten's documented `instantiateWasm` hook. A job of its own (the
 * windows of a large file) gets a fresh instance and validates its MANY files against one schema in one
 * xmllint run, so the schema is compiled once per job, not per message. Jobs of single messages (a
 * lane's, marked `persistent`) share one xmllint run across jobs: see "Persistent runs" below.
 *
 * Plain CommonJS on purpose: worker threads do not inherit the TypeScript loader.
 */
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const path = require('node:path');

const gluePath = require.resolve('xmllint-wasm/xmllint-node.js');
const createXmllint = require(gluePath);
const compiled = new WebAssembly.Module(readFileSync(path.join(path.dirname(gluePath), 'xmllint.wasm')));
const INITIAL_PAGES = 256; // 16 MiB

/**
 * Each run builds an in-memory file system (MEMFS) holding copies of the job's files as JavaScript
 * typed arrays. Little else allocates in this thread, so its garbage collector would let many runs'
 * copies pile up (hundreds of MB over a 100 MB file). A full collection once the jobs since the last
 * one handled COLLECT_AFTER_BYTES keeps the thread's footprint at a few jobs' worth. After every job of
 * more than 1 MB (a bulk file's 2.2 MB windows: five jobs per 10,000 transactions), the collections
 * were about a sixth of the thread's CPU; every 8 MB, about four jobs, they cost a quarter of that for
 * some 20 MB more resident memory (decision 103). A job that printed a lot (a refused window,
 * an error per transaction) is still followed by one: without it, a 100 MB file refused everywhere
 * peaked 40–50 MiB higher (485–504 MiB, limits.validationMemoryBytesMax being 512).
 */
const v8 = require('node:v8');
const vm = require('node:vm');
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc');
const COLLECT_AFTER_BYTES = 8 * 1024 * 1024;
/** A job that printed this much (a refused window: an error per transaction) is followed by a collection. */
const COLLECT_AFTER_ANSWER_CHARS = 64 * 1024;
/** Bytes of the jobs' files handled since the last collection. */
let handledSinceCollection = 0;

/**
 * One WebAssembly memory per worker, reused by every job. A fresh memory per job would be freed only
 * when this thread's garbage collector runs, which it rarely does (little JavaScript allocates here),
 * so a large file's jobs would pile up hundreds of MB of dead heaps. Reuse is safe because the memory
 * is zeroed before each job: a new instance then sees exactly what a new memory would give it (its
 * data segments are copied in at instantiation; everything else, BSS included, must read as zero).
 */
let memory;
let memoryMaximumPages = 0;
function memoryFor(maximumPages) {
  if (!memory || memoryMaximumPages !== maximumPages) {
    memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: maximumPages });
    memoryMaximumPages = maximumPages;
  } else {
    new Uint8Array(memory.buffer).fill(0);
  }
  return memory;
}

/** Schemas by name: each comes with the first job that needs it in this worker, and is kept. */
const schemas = new Map();

/**
 * Job: { id, schemaName, schema?: Uint8Array, files: [{ fileName, contents: Uint8Array }], maxMemoryPages,
 *        reading?: 'tree' (the default) | 'stream' | 'stream-first' (see runJob) }
 * (schema: only the first time this worker sees schemaName)
 * Reply: { id, exitCode, stderr }
 */
function run(job) {
  const schema = schemas.get(job.schemaName);
  if (!schema) return Promise.resolve({ id: job.id, exitCode: -3, stderr: `worker error: no schema ${job.schemaName}\n` });
  return new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    const finish = (exitCode) => {
      if (settled) return;
      settled = true;
      resolve({ id: job.id, exitCode, stderr });
    };
    const inputFiles = [{ fileName: job.schemaName, contents: schema }, ...job.files];
    const args = ['--schema', job.schemaName, '--noout', '--nonet', ...(job.extra || []), ...job.files.map((f) => f.fileName)];
    createXmllint({
      inputFiles,
      arguments: args,
      wasmMemory: memoryFor(job.maxMemoryPages),
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance));
        return {};
      },
      print() {},
      printErr(text) { stderr += text + '\n'; },
      onExit: finish,
      onAbort(reason) { stderr += `WASM abort: ${reason}\n`; finish(-1); },
    }).catch((error) => {
      // Emscripten signals a normal exit by throwing ExitStatus after onExit has run.
      if (error && error.name === 'ExitStatus') finish(error.status);
      else { stderr += `worker error: ${error && error.message}\n`; finish(-2); }
    });
  });
}

/**
 * Persistent runs (jobs marked `persistent`: single messages of one schema, from the pool's lanes).
 *
 * A job of its own costs a fresh instance, the schema compiled again (3–4 ms for pacs.008) and the
 * memory zeroed: about 6 ms of CPU whatever its size, against 0.1–0.15 ms per message. For single
 * messages that fixed part was most of the XSD CPU (one job per lane per batching window). So a lane
 * worker keeps ONE xmllint run going across many jobs: xmllint is started with RUN_FILES file
 * arguments that alternate between two character devices (DEVICES), and each device serves the bytes
 * of the next message when xmllint opens it, waiting (Atomics.wait on the pool's signal, jobs taken with
 * receiveMessageOnPort) while no job is there. xmllint validates every file of its argument list the
 * same way, one after the other, against the schema compiled once at its start: so a message's
 * verdict is the one a run of its own would give (the conformance and windows tests compare against
 * native xmllint), and nothing of a message survives into the next beyond what already survives
 * between the files of one job (each document is parsed and freed, each validation context new).
 *
 * Where one file ends: xmllint reads the files in order and the devices alternate, so the first read
 * of the other device means the previous file is done (its verdict printed). Everything printed
 * between two such boundaries belongs to the file in between; its lines naming the device are renamed
 * to the job's file name, so the reply is what a job of its own would have printed.
 *
 * A run ends when its argument list is used up (the next run compiles the schema again: once per
 * RUN_FILES messages), or when the next job is of another schema or a job of its own: the device then
 * serves an empty file and, when xmllint closes it, its close hook throws Emscripten's 'unwind', which
 * its main() wrapper treats as a normal end. The instance is dropped; the memory is zeroed before the
 * next run, as for any job. RUN_FILES is bounded by the wasm stack (64 KiB), where main's argv lives.
 */
const signal = workerData && workerData.signal ? new Int32Array(workerData.signal) : undefined;
const RUN_FILES = 500;
const DEVICES = ['d0', 'd1'];
const queue = [];
/** The persistent job being served (it may span two runs) and the index of its file being read. */
let current;
let currentIndex = -1;
/** What xmllint printed for the current job's files so far. */
let currentStderr = '';

/** Per schema, the schemas it imports (a lane's wrapper schema imports its message schema): in its runs' file system too. */
const importsOf = new Map();

function accept(job) {
  if (job.schema) schemas.set(job.schemaName, job.schema);
  if (job.imports) {
    for (const imported of job.imports) if (imported.contents) schemas.set(imported.name, imported.contents);
    importsOf.set(job.schemaName, job.imports.map((imported) => imported.name));
  }
  queue.push(job);
}

/** A run's schema files: the schema and what it imports. */
function schemaFiles(schemaName) {
  return [schemaName, ...(importsOf.get(schemaName) || [])].map((name) => ({ fileName: name, contents: schemas.get(name) }));
}

function takeWaiting() {
  for (let m = receiveMessageOnPort(parentPort); m; m = receiveMessageOnPort(parentPort)) accept(m.message);
}

function reply(job, exitCode, stderr) {
  parentPort.postMessage({ id: job.id, exitCode, stderr });
}

function persistentRun(schemaName) {
  return new Promise((resolve) => {
    let device;        // the device xmllint reads now
    let bytes;         // what it serves (undefined: an empty file, to end the run)
    let position = 0;
    let lines = [];    // printed since the current file began
    let slots = RUN_FILES;
    let ending = false;
    let settled = false;

    const endFile = () => {
      if (device === undefined || !current || currentIndex < 0 || ending) return;
      const name = current.files[currentIndex].fileName;
      for (const line of lines) {
        currentStderr += (line.startsWith(device + ':') || line.startsWith(device + ' ') ? name + line.slice(device.length) : line) + '\n';
      }
      lines = [];
      if (currentIndex === current.files.length - 1) {
        reply(current, 0, currentStderr);
        current = undefined;
        currentIndex = -1;
        currentStderr = '';
      }
    };
    /** The next file for xmllint, waiting for a job if need be; false: end this run. */
    const nextFile = () => {
      for (;;) {
        if (current && currentIndex + 1 < current.files.length) {
          currentIndex++;
          bytes = current.files[currentIndex].contents;
          return true;
        }
        if (queue.length === 0) takeWaiting();
        const head = queue[0];
        if (head) {
          if (!head.persistent || head.schemaName !== schemaName) return false;
          queue.shift();
          if (head.files.length === 0) reply(head, 0, '');
          else { current = head; currentIndex = -1; }
          continue;
        }
        if (!signal) return false;
        const seen = Atomics.load(signal, 0);
        takeWaiting();
        if (queue.length === 0) Atomics.wait(signal, 0, seen);
      }
    };
    const input = (name) => () => {
      if (name !== device) {
        endFile();
        device = name;
        position = 0;
        lines = [];
        if (ending || slots-- === 0 || !nextFile()) { ending = true; bytes = undefined; }
      }
      if (bytes === undefined || position >= bytes.length) return null;
      return bytes[position++];
    };
    // Called with a newline when a device is closed, since it has a non-empty `buffer` (Emscripten
    // flushes a device's pending output on close); never written to otherwise.
    const onClose = Object.assign(() => { if (ending) throw 'unwind'; }, { buffer: [0] });
    const finish = (exitCode, message) => {
      if (settled) return;
      settled = true;
      if (!ending) endFile();
      // A run that failed (WebAssembly abort, e.g. out of memory) fails the job it was serving: its
      // files without a verdict are reported as not validated, as for a job of its own.
      if (exitCode !== 0 && current) {
        for (const line of lines) currentStderr += line + '\n';
        reply(current, exitCode, currentStderr + (message || ''));
        current = undefined;
        currentIndex = -1;
        currentStderr = '';
      }
      resolve();
    };
    const args = ['--schema', schemaName, '--noout', '--nonet'];
    for (let i = 0; i < RUN_FILES; i++) args.push(DEVICES[i % 2]);
    createXmllint({
      inputFiles: schemaFiles(schemaName),
      arguments: args,
      wasmMemory: memoryFor(persistentMemoryPages),
      onRuntimeInitialized() {
        for (const name of DEVICES) this.FS_createDevice('/', name, input(name), onClose);
      },
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance));
        return {};
      },
      print() {},
      printErr(text) { lines.push(text); },
      onExit: () => finish(0),
      onAbort(reason) { finish(-1, `WASM abort: ${reason}\n`); },
    }).then(() => finish(0), (error) => {
      // Emscripten's main() wrapper marks the thread's exit code on any other exception; not ours.
      process.exitCode = undefined;
      if (error && error.name === 'ExitStatus') finish(0);
      else finish(-2, `worker error: ${error && error.message}\n`);
    });
  });
}

/**
 * Readings (job.reading). 'tree', the default: xmllint parses each file into a document and validates
 * the tree. 'stream': `xmllint --sax --schema` feeds the parser's events straight to libxml2's schema
 * validator (xmlSchemaValidateStream), the same validator and schema without the tree (about 30 MB for
 * a 2 MB window): less CPU and memory. 'stream-first' (the windows of a large file that passed the
 * hardening scan, validation/pipeline.ts): the streaming reading, and the tree reading again unless it
 * found every file valid (docs/validation.md "XSD jobs without a tree").
 *
 * Only the streaming verdict "every file validates" is taken, and only when it is all that run printed:
 * exactly one "<name> validates" line per file, in order, and exit code 0. Anything else — an invalid or
 * ill-formed window, an internal error, one stray line — runs the job again as a tree, and that run's
 * output is the answer: a refused window's errors, lines and verdict are the ones the tree reading gives
 * (what native xmllint prints, which the tests compare against). Why only for scanned input: the
 * streaming run prints no parser warnings (xmllint gives it a SAX handler without a warning callback),
 * and the pool counts a warning as an error (an XML 1.1 declaration, a namespace name that is not an
 * absolute URI); the hardening scan refuses what draws those warnings (test/validation/xsd-streaming).
 */
async function runJob(job) {
  if (job.reading === 'stream') return run(streaming(job));
  if (job.reading === 'stream-first' && job.files.length > 0) return runStreamingFirst(job);
  return run(job);
}

async function runStreamingFirst(job) {
  const streamed = await run(streaming(job));
  if (streamed.exitCode === 0 && onlyValidates(streamed.stderr, job.files)) return streamed;
  return run(job);
}

/** The job as the streaming reading runs it. */
function streaming(job) {
  return { ...job, extra: [...(job.extra || []), '--sax'] };
}

/** True when `stderr` is exactly "<name> validates" for each file, in order, and nothing else. */
function onlyValidates(stderr, files) {
  const lines = stderr.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.length === files.length && files.every((f, i) => lines[i] === `${f.fileName} validates`);
}

let persistentMemoryPages = 8192;
let draining = false;
async function drain() {
  draining = true;
  while (current || queue.length > 0) {
    if (current) { await persistentRun(current.schemaName); continue; }
    const job = queue[0];
    if (job.persistent) {
      persistentMemoryPages = job.maxMemoryPages;
      if (schemaFiles(job.schemaName).some((f) => !f.contents)) { queue.shift(); reply(job, -3, `worker error: no schema ${job.schemaName}\n`); continue; }
      await persistentRun(job.schemaName);
      continue;
    }
    queue.shift();
    const answer = await runJob(job);
    parentPort.postMessage(answer);
    const bytes = job.files.reduce((sum, f) => sum + f.contents.byteLength, 0);
    handledSinceCollection += bytes;
    if (handledSinceCollection >= COLLECT_AFTER_BYTES || answer.stderr.length >= COLLECT_AFTER_ANSWER_CHARS) {
      handledSinceCollection = 0;
      collectGarbage();
    }
  }
  draining = false;
}

// Jobs run one at a time per worker: an xmllint run is synchronous once started.
parentPort.on('message', (job) => {
  accept(job);
  if (!draining) drain();
});
