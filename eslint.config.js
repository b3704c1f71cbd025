// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

/**
 * Layer rules from design.md, checked on every import path: imports point down.
 * Each entry: the folder, and the layers it must never import from.
 * @type {Array<[string, string[]]>}
 */
const layers = [
  ['src/shared', ['core', 'sim', 'server', 'main', 'preload', 'renderer', 'cli']],
  ['src/core', ['sim', 'server', 'main', 'preload', 'renderer', 'cli']],
  ['src/sim', ['core', 'server', 'main', 'preload', 'renderer', 'cli']],
  ['src/server', ['sim', 'main', 'preload', 'renderer', 'cli']],
  ['src/main', ['sim', 'server', 'preload', 'renderer', 'cli']],
  ['src/preload', ['core', 'sim', 'server', 'main', 'renderer', 'cli']],
  ['src/renderer', ['core', 'sim', 'server', 'main', 'preload', 'cli']],
  // The launcher composes core and server; it starts the playground as a process, never imports it.
  ['src/cli', ['sim', 'main', 'preload', 'renderer']],
];

const boundaryConfigs = layers.map(([folder, banned]) => ({
  files: [`${folder}/**/*.ts`, `${folder}/**/*.svelte`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: banned.flatMap((l) => [`**/${l}/*`, `**/${l}`]),
            message: `${folder} must not import from this layer (see design.md: imports point down).`,
          },
          ...(folder === 'src/main' || folder === 'src/preload'
            ? []
            : [
                {
                  group: ['electron', 'electron/*'],
                  message: 'Only src/main and src/preload may import electron.',
                },
              ]),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'coverage/**',
      '.playground/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
  },
  ...boundaryConfigs,
);
