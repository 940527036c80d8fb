// Lint rules: typescript-eslint's recommended set, plus the project's own rules for money and I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const moneyRules = [{ object: 'Number', property: 'parseFloat', message: 'Money is bigint minor units: use switch/iso/amount.ts' }];

export default tseslint.config(
  { ignores: ['node_modules/**', '.bench/**', 'tmp/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', WebAssembly: 'readonly', require: 'readonly', __dirname: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Money is bigint minor units: never parse amounts through floating point.
      'no-restricted-globals': ['error', { name: 'parseFloat', message: 'Money is bigint minor units: use switch/iso/amount.ts' }],
      'no-restricted-properties': ['error', ...moneyRules],
    },
  },
  {
    // The store belongs to the engine (docs/architecture.md, "Boundaries"): SQL lives in switch/engine and
    // switch/store; everything else calls engine methods. Tests and benchmarks check from outside
    // through engine.storeForTests(), which the product never uses. (Import boundaries: .dependency-cruiser.cjs.)
    files: ['switch/**/*.ts', 'connectors/**/*.ts', 'batch/**/*.ts'],
    // switch/risk/statistics.ts: the scoring statistics the risk stage reads and updates inside the
    // payment's transaction (docs/risk.md "Scoring"); the pure scoring (switch/risk/scoring.ts) has none.
    // switch/audit/: the audit ledger audits the engine's tables from below it (docs/audit.md), so it
    // reads them itself; its hashing (switch/audit/merkle.ts) has none.
    ignores: ['switch/engine/**', 'switch/store/**', 'switch/risk/statistics.ts', 'switch/audit/**'],
    rules: {
      'no-restricted-properties': ['error', ...moneyRules,
        { property: 'storeForTests', message: 'tests and benchmarks only: call an engine method' },
        { property: 'query', message: 'SQL lives in switch/engine and switch/store: call an engine method' }],
      'no-restricted-syntax': ['error',
        { selector: 'Literal[value=/\\b(SELECT|INSERT INTO|UPDATE \\w+ SET|DELETE FROM)\\b/]', message: 'SQL lives in switch/engine and switch/store' },
        { selector: 'TemplateElement[value.raw=/\\b(SELECT|INSERT INTO|UPDATE \\w+ SET|DELETE FROM)\\b/]', message: 'SQL lives in switch/engine and switch/store' }],
    },
  },
  {
    // Time is read through switch/clock.ts only, so that every date the switch computes or emits
    // follows the injected clock (tests, CLEARHOUSE_CLOCK) and no code path depends on the day it runs.
    // Durations use performance.now() (monotonic); `new Date(x)` with an argument only converts.
    files: ['switch/**/*.ts', 'batch/**/*.ts', 'connectors/**/*.ts'],
    ignores: [
      'switch/clock.ts',
      // Transport timing (SFTP retries and circuit breaker, queue lock renewal, dead-letter records),
      // not business time; these files are being reworked with the transport, which moves them to
      // performance.now() and the clock.
      'connectors/sftp.ts', 'connectors/queue.ts', 'connectors/dead-letters.ts',
    ],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Read time from a Clock (switch/clock.ts); durations: performance.now()' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Read time from a Clock (switch/clock.ts)' },
        { selector: "MemberExpression[object.name='performance'][property.name='timeOrigin']", message: 'The process start on the clock: processStartedAt() (switch/clock.ts)' },
      ],
    },
  },
  {
    // The web console runs in the browser (switch/api/console/).
    files: ['switch/api/console/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', location: 'readonly', fetch: 'readonly', sessionStorage: 'readonly',
      FormData: 'readonly', URLSearchParams: 'readonly', confirm: 'readonly', prompt: 'readonly', CSS: 'readonly', EventSource: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
