import { fileURLToPath } from 'node:url';

/**
 * The node options that load the repository's TypeScript as this process does: bin/ts-register.js
 * (esbuild without keepNames, decision 97). For every child process started on a .ts file — the
 * simulator's remote engine, the tests' and the benchmarks' children — so that they all run the same
 * transform as the switch itself. An absolute path: a child's working directory does not matter.
 */
export const TYPESCRIPT_IMPORT: readonly string[] = ['--import', fileURLToPath(new URL('../bin/ts-register.js', import.meta.url))];
