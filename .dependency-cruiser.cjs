// The import boundaries of docs/architecture.md ("Boundaries"), checked by `npm run lint`
// (dependency-cruiser). Type-only imports count: a boundary is about what a module knows, not only
// about what it loads. test/lint/boundaries.test.ts shows each rule failing on a generated violation.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles: a module and everything it imports can be read, tested and changed without its importers.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-no-io',
      severity: 'error',
      comment: 'The domain core (switch/clearing) and the ISO layer (switch/iso) do no I/O: they import no engine, store, ' +
        'validation, status, connector, CLI, batch or work code.',
      from: { path: '^switch/(clearing|iso)/' },
      to: { path: '^(switch/(engine|store|validation|status|cli|demo|work)/|connectors/|batch/|bin/)' },
    },
    {
      name: 'connectors-hand-bytes',
      severity: 'error',
      comment: 'Connectors hand bytes and an authenticated sender to the engine: of the engine they know only the Engine ' +
        'object and the transport interface (switch/engine/transport.ts); no clearing core or validation either.',
      from: { path: '^connectors/' },
      to: { path: '^switch/(engine/|clearing/|validation/)', pathNot: '^switch/engine/(engine|transport)\\.ts$' },
    },
    {
      name: 'cli-only-from-bin',
      severity: 'error',
      comment: 'The CLI is the outermost layer: nothing but bin/ (and the CLI itself) imports switch/cli. ' +
        'Except its progress helper, a pure formatter over a given stream, unit-tested directly (test/cli/progress.test.ts).',
      from: { pathNot: '^(bin|switch/cli)/' },
      to: { path: '^switch/cli/', pathNot: '^switch/cli/progress[.]ts$' },
    },
    {
      name: 'product-not-to-test',
      severity: 'error',
      comment: 'The product never imports test code.',
      from: { path: '^(switch|connectors|batch|bin)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^test/fixtures/' },
  },
};
