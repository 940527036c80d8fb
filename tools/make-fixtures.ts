/**
 * Writes the named samples of switch/demo/samples.ts to test/fixtures/<folder>/<name>, plus an
 * index (test/fixtures/samples.json) of what the switch must answer for each. Run after changing the
 * samples: `node --import tsx tools/make-fixtures.ts`. test/validation/fixtures.test.ts fails when
 * the committed files are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { samples } from '../switch/demo/samples.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', 'test', 'fixtures');
const index: Record<string, unknown> = {};
for (const sample of samples()) {
  mkdirSync(join(root, sample.folder), { recursive: true });
  writeFileSync(join(root, sample.folder, sample.name), sample.xml);
  index[`${sample.folder}/${sample.name}`] = { description: sample.description, expected: sample.expected };
}
writeFileSync(join(root, 'samples.json'), JSON.stringify(index, null, 2) + '\n');
console.log(`wrote ${Object.keys(index).length} fixtures under ${root}`);
