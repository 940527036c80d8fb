/**
 * TypeScript for the test processes and the children they start: tsx's ESM loader, registered in the
 * main thread only (`node --import ./test/support/tsx-main-thread.mjs`), as bin/clearhouse.js does.
 *
 * Why not `--import tsx`: a worker thread inherits the process's --import, so every worker (the XSD
 * pool's, switch/validation/xsd-worker.cjs, plain CommonJS that needs no loader) loaded tsx again, ESM
 * and CommonJS hooks, about half a CPU second each; and tsx's CommonJS hook sat in front of every
 * require() of the main thread. The switch's code is ESM throughout, so the ESM loader is all it needs.
 */
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const { register } = await import('tsx/esm/api');
  register();
}
