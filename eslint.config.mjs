import nx from '@nx/eslint-plugin';

/**
 * The layers, bottom to top. A package may import only packages below it; the
 * private test helpers may be imported by tests of any layer (see the rule below
 * that keeps them out of library source).
 */
const layers = ['tensor', 'routing', 'head-router', 'attention', 'model', 'trainer', 'cli'];

const layerConstraints = layers.map((layer, i) => ({
  sourceTag: `layer:${layer}`,
  onlyDependOnLibsWithTags: [...layers.slice(0, i).map((below) => `layer:${below}`), 'type:testing'],
}));

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/node_modules', 'docs/api', '**/*.generated.ts', '**/assembly/**'],
  },
  {
    // Package code; config files (vitest.config.ts, eslint.config.mjs) may import the root's.
    files: ['**/src/**/*.ts', '**/bench/**/*.ts', '**/scripts/**/*.{ts,mjs}'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            ...layerConstraints,
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
  {
    // Test helpers are a devDependency: library source must never import them.
    files: ['**/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/__tests__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@moh/test-utils', message: 'Test helpers are for tests only; import them from *.test.ts files.' }] },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  {
    files: ['**/vitest.config.ts', 'eslint.config.mjs', '**/eslint.config.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
];
