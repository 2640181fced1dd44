// Lint: TypeScript rules everywhere, and the determinism fence around workflow
// code: no Node modules, no database or mail libraries, no environment reads,
// and activities only as types.
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'bench/results/**', 'tools/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Schedules are a deploy step (schedules/apply.ts): a worker never creates or updates them.
    files: ['workers/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/schedules/*'], message: 'Workers do not touch Schedules: `npm run schedules:apply` is a deploy step.' }] },
      ],
    },
  },
  {
    // Code that runs inside the workflow sandbox, or is imported by it.
    files: ['workflows/**/*.ts', 'domain/**/*.ts', 'test/replay/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeModules.map((name) => ({ name, message: 'Node modules are not deterministic: keep them out of workflow code.' })),
            ...['mongoose', 'mongodb', 'nodemailer', 'express', '@temporalio/worker', '@temporalio/client', '@temporalio/activity'].map((name) => ({
              name,
              message: 'Side effects belong in activities (activities/), not in workflow code.',
            })),
          ],
          patterns: [
            { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'Import activities as types only (import type).' },
            { group: ['**/db/*', '**/email/*', '**/api/*', '**/config', '**/config/*', '**/stack/*'], message: 'Workflow code may not import I/O modules.' },
          ],
        },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Workflows get configuration from their input or a local activity, never process.env.' }],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process in workflow code.' },
        { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use a workflow timer.' },
      ],
    },
  },
);
