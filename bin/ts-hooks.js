// Module-customization hooks (module.register) that load the repository's TypeScript with esbuild.
// Registered by bin/ts-register.js; plain JavaScript because it runs before any TypeScript can load.
//
// Why not tsx (decision 97): tsx transforms with esbuild's keepNames, which wraps every function
// expression, arrow and class in a __name(fn, "name") call (an Object.defineProperty, ~0.35 µs) each
// time the closure is made, and its resolver is heavier at start-up. Nothing in the switch reads a
// function's or class's .name: without minification esbuild keeps the names V8 infers anyway.
// The transform is otherwise tsx's: esbuild, ESM, the running Node as target, tsconfig.json's
// compilerOptions (class fields, import elision), inline source maps so that stacks show .ts lines.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { transform, version } from 'esbuild';

const TS = /\.[cm]?ts$/;

const tsconfig = JSON.parse(readFileSync(new URL('../tsconfig.json', import.meta.url), 'utf8'));

const OPTIONS = {
  loader: 'ts',
  format: 'esm',
  target: `node${process.versions.node}`,
  sourcemap: 'inline',
  keepNames: false,
  tsconfigRaw: { compilerOptions: tsconfig.compilerOptions },
};

// Transformed modules are cached on disk by content (tsx keeps such a cache too), so that a command's
// start-up does not wait for esbuild on every run. A cache that cannot be written is only slower; one
// in a directory that another user owns or may write to is not used (its files would be code we run).
const cacheDir = join(tmpdir(), `clearhouse-ts-${process.getuid?.() ?? 'user'}`);
const optionsKey = `${version}\0${JSON.stringify(OPTIONS)}`;
const cacheUsable = ownPrivateDirectory(cacheDir);

function ownPrivateDirectory(path) {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    const stat = statSync(path);
    return stat.isDirectory() && (process.getuid === undefined || stat.uid === process.getuid()) && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

// Every edit of a file makes a new entry, so the cache is pruned: the first time a process adds an entry
// (a miss: something changed), entries (and partial files of crashed writers) older than CACHE_MAX_AGE_MS
// are removed. An entry still in use is only made again on its next load: a hit does not refresh its time.
const CACHE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
let pruned = false;

function pruneOnce() {
  if (pruned) return;
  pruned = true;
  const oldest = Date.now() - CACHE_MAX_AGE_MS;
  try {
    for (const name of readdirSync(cacheDir)) {
      const file = join(cacheDir, name);
      try { if (statSync(file).mtimeMs < oldest) unlinkSync(file); } catch { /* gone meanwhile */ }
    }
  } catch { /* unreadable: nothing pruned */ }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !TS.test(url.split('?')[0])) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = readFileSync(path, 'utf8');
  // The path is in the key: the inline source map names the file.
  const key = createHash('sha256').update(optionsKey).update('\0').update(path).update('\0').update(source).digest('hex');
  const cached = join(cacheDir, key);
  if (cacheUsable) {
    try { return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true }; } catch { /* not cached yet */ }
  }
  const { code } = await transform(source, { ...OPTIONS, sourcefile: path });
  if (cacheUsable) {
    pruneOnce();
    try {
      const partial = `${cached}.${process.pid}.tmp`;
      writeFileSync(partial, code);
      renameSync(partial, cached);
    } catch { /* read-only or full: served uncached */ }
  }
  return { format: 'module', source: code, shortCircuit: true };
}
