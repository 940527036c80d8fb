/**
 * No code in switch/ writes a payment's state except the transition helper (switch/engine/transitions.ts,
 * docs/payment-states.md "One way to change a state"): every UPDATE of payments that sets `state` lives there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('only switch/engine/transitions.ts sets payments.state', () => {
  const writers: string[] = [];
  let seen = 0;
  for (const path of files(join(root, 'switch'))) {
    const text = readFileSync(path, 'utf8');
    // An UPDATE of the payments table whose SET list (up to its WHERE) assigns state.
    for (const match of text.matchAll(/UPDATE\s+payments\b(?:\s+\w+)?\s+SET\s+([\s\S]*?)\bWHERE\b/gi)) {
      seen++;
      if (/(^|[\s,.])state\s*=/i.test(match[1]!)) writers.push(relative(root, path));
    }
  }
  assert.ok(seen > 0, 'the scan found the UPDATEs of payments');
  assert.deepEqual([...new Set(writers)], ['switch/engine/transitions.ts']);
});
