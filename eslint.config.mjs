// typescript-eslint flat config: recommended rules plus the determinism guard for workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.bench/**', '.tools/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['*.js', '*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
  },
  {
    // The support console: plain ES modules the browser runs as they are (no build step).
    files: ['api/console/public/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'crypto',
          'document',
          'fetch',
          'FormData',
          'location',
          'sessionStorage',
          'URLSearchParams',
          'window',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: only @temporalio/workflow,
    // domain/ and type-only imports are allowed there.
    files: ['workflows/**/*.ts', 'bench/bare/workflow.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../infra/*',
                '../../infra/*',
                '../api/*',
                '../../api/*',
                'mongoose',
                'express',
                'pino',
                'node:*',
                'fs',
                'crypto',
                'http',
                'https',
              ],
              message: 'Workflow code must stay deterministic.',
            },
          ],
        },
      ],
    },
  },
);
