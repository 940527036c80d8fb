// Lint rules: typescript-eslint's recommended set, plus the project's own rules for money and I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
      'no-restricted-properties': ['error', { object: 'Number', property: 'parseFloat', message: 'Money is bigint minor units: use switch/iso/amount.ts' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
