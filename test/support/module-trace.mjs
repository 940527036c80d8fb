// A module hook (node --import) for tests: every package a child process loads from node_modules is
// written, one name a line, to the file named by CLEARHOUSE_MODULE_TRACE (test/cli/start-up.test.ts).
import { register } from 'node:module';

if (process.env.CLEARHOUSE_MODULE_TRACE) {
  register('./module-trace-hooks.mjs', import.meta.url, { data: { file: process.env.CLEARHOUSE_MODULE_TRACE } });
}
