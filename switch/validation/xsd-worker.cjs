'use strict';
/**
 * XSD validation worker thread: libxml2's xmllint compiled to WebAssembly (the xmllint-wasm package),
 * kept warm.
 *
 * xmllint-wasm's own validateXML() starts a new worker thread and compiles the 780 KB WebAssembly
 * module on every call (about 120 ms here). This worker compiles the module once and, for each job,
 * only instantiates it (a fresh instance and memory per job, so no state leaks between jobs) through
 * Emscripten's documented `instantiateWasm` hook. Each job validates MANY files against one schema in
 * one xmllint run, so the schema is compiled once per job, not per message.
 *
 * Plain CommonJS on purpose: worker threads do not inherit the TypeScript loader.
 */
const { parentPort } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const path = require('node:path');

const gluePath = require.resolve('xmllint-wasm/xmllint-node.js');
const createXmllint = require(gluePath);
const compiled = new WebAssembly.Module(readFileSync(path.join(path.dirname(gluePath), 'xmllint.wasm')));
const INITIAL_PAGES = 256; // 16 MiB

/**
 * Each run builds an in-memory file system (MEMFS) holding copies of the job's files as JavaScript
 * typed arrays. Little else allocates in this thread, so its garbage collector would let many runs'
 * copies pile up (hundreds of MB over a 100 MB file). A full collection after each job that handled
 * more than a few MB keeps the thread's footprint at one job's worth.
 */
const v8 = require('node:v8');
const vm = require('node:vm');
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc');
const COLLECT_AFTER_BYTES = 1024 * 1024;

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
 * Job: { id, schemaName, schema?: Uint8Array, files: [{ fileName, contents: Uint8Array }], maxMemoryPages }
 * (schema: only the first time this worker sees schemaName)
 * Reply: { id, exitCode, stderr }
 */
function run(job) {
  if (job.schema) schemas.set(job.schemaName, job.schema);
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

// Jobs run one at a time per worker: an xmllint run is synchronous once started.
let chain = Promise.resolve();
parentPort.on('message', (job) => {
  chain = chain.then(() => run(job)).then((reply) => {
    parentPort.postMessage(reply);
    const bytes = job.files.reduce((sum, f) => sum + f.contents.byteLength, 0);
    if (bytes > COLLECT_AFTER_BYTES) collectGarbage();
  });
});
