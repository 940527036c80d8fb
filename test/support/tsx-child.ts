/**
 * node's arguments before a TypeScript entry point in a child process (a test's driver): tsx loaded in
 * the child's main thread only (tsx-main-thread.mjs says why), not `--import tsx`, which every worker
 * thread of the child (the XSD pool's two) would load again.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const TSX_CHILD_ARGS: readonly string[] = ['--import', pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'tsx-main-thread.mjs')).href];
