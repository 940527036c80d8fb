/**
 * The import boundaries `npm run lint` enforces (.dependency-cruiser.cjs): each rule reports a
 * violation planted in a generated source tree, and leaves the imports the architecture allows
 * alone; and the repository itself has none.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rules = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as IConfiguration;

/** Violations as "rule: from → to", sorted. */
async function violations(baseDir: string, paths: string[], tsConfig?: string): Promise<string[]> {
  const { options = {} } = rules;
  const result = await cruise(paths, {
    ...options, baseDir, validate: true, ruleSet: { forbidden: rules.forbidden ?? [] },
    tsConfig: tsConfig ? { fileName: tsConfig } : undefined,
  } as Parameters<typeof cruise>[1]);
  const output = result.output as ICruiseResult;
  return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

/** A source tree of empty modules, each importing the modules listed for it. */
function tree(modules: Record<string, string[]>): string {
  const base = mkdtempSync(join(tmpdir(), 'clearhouse-boundaries-'));
  for (const [file, imports] of Object.entries(modules)) {
    mkdirSync(join(base, dirname(file)), { recursive: true });
    const lines = imports.map((target, i) => {
      let relative = join(...dirname(file).split('/').map(() => '..'), target).replaceAll('\\', '/');
      if (!relative.startsWith('.')) relative = `./${relative}`;
      return `import * as m${i} from '${relative}';\nexport const use${i} = m${i};`;
    });
    writeFileSync(join(base, file), `${lines.join('\n')}\nexport const name = '${file}';\n`);
  }
  return base;
}

describe('import boundaries (.dependency-cruiser.cjs, run by npm run lint)', () => {
  it('reports every planted violation, and only those', async () => {
    const base = tree({
      // a cycle of three engine modules
      'switch/engine/a.ts': ['switch/engine/b.ts'],
      'switch/engine/b.ts': ['switch/engine/c.ts'],
      'switch/engine/c.ts': ['switch/engine/a.ts', 'switch/cli/main.ts'],
      // the core and the ISO layer reaching outwards
      'switch/iso/message.ts': ['switch/validation/facts.ts', 'switch/limits.ts'],
      'switch/clearing/caps.ts': ['switch/store/database.ts', 'switch/iso/message.ts'],
      'switch/validation/facts.ts': ['switch/iso/message.ts'],
      'switch/store/database.ts': [],
      'switch/limits.ts': [],
      // connectors: the Engine object and the transport interface, nothing else of the engine
      'connectors/inbound.ts': ['switch/engine/engine.ts', 'switch/engine/transport.ts', 'switch/engine/context.ts'],
      'switch/engine/engine.ts': [],
      'switch/engine/transport.ts': [],
      'switch/engine/context.ts': [],
      // the CLI from bin/ only; never test code from the product
      'bin/clearhouse.ts': ['switch/cli/main.ts'],
      'switch/cli/main.ts': ['switch/engine/engine.ts'],
      'batch/scheduler.ts': ['test/support/clock.ts'],
      'test/support/clock.ts': [],
    });
    try {
      assert.deepEqual(await violations(base, ['switch', 'connectors', 'bin', 'batch', 'test']), [
        'cli-only-from-bin: switch/engine/c.ts → switch/cli/main.ts',
        'connectors-hand-bytes: connectors/inbound.ts → switch/engine/context.ts',
        'core-no-io: switch/clearing/caps.ts → switch/store/database.ts',
        'core-no-io: switch/iso/message.ts → switch/validation/facts.ts',
        // a cycle is reported once, at its first import
        'no-circular: switch/engine/a.ts → switch/engine/b.ts',
        'no-circular: switch/iso/message.ts → switch/validation/facts.ts',
        'product-not-to-test: batch/scheduler.ts → test/support/clock.ts',
      ]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('the repository keeps them', async () => {
    assert.deepEqual(await violations(root, ['switch', 'connectors', 'batch', 'bin', 'bench', 'tools', 'test'], 'tsconfig.json'), []);
  });
});
