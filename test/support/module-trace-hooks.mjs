// The hooks of test/support/module-trace.mjs (they run on the loader thread).
import { appendFileSync } from 'node:fs';

let file;
export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(result.url);
  if (match && file) appendFileSync(file, `${match[1]}\n`);
  return result;
}
