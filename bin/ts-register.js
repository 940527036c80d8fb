// Loads the repository's TypeScript through bin/ts-hooks.js (esbuild, without keepNames; decision 97):
// import it first, `node --import ./bin/ts-register.js file.ts`, or from a script as bin/clearhouse.js
// does. Stack traces keep pointing at .ts lines through the inline source maps.
//
// In the main thread only (decision 95): a worker thread inherits its process's --import, and our
// worker threads (the XSD pool's and lanes, switch/validation/xsd-worker.cjs) are plain CommonJS that
// need no loader; registering hooks again in each would cost it a loader start-up for nothing.
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.setSourceMapsEnabled(true);
  register('./ts-hooks.js', import.meta.url);
}
