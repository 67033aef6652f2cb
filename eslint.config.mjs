import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** Which project may import which (tags in each project.json); `allow` lists imports exempted by path. */
function moduleBoundaries(allow) {
  return {
    enforceBuildableLibDependency: false,
    allow,
    banTransitiveDependencies: false,
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
      { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
      { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util'] },
      { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
      // tools (operator CLI, workspace scripts, pm2 smoke suite) and bench drive the product from outside.
      { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
      { sourceTag: 'scope:config-loader', onlyDependOnLibsWithTags: ['scope:shared', 'scope:config-loader'] },
      { sourceTag: 'scope:flow-oauth-server', onlyDependOnLibsWithTags: ['scope:shared', 'scope:flow-oauth-server'] },
      { sourceTag: 'scope:token-refresher', onlyDependOnLibsWithTags: ['scope:shared', 'scope:token-refresher'] },
    ],
  };
}

export default [
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'tmp/**', '.nx/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    rules: {
      '@nx/enforce-module-boundaries': ['error', moduleBoundaries([])],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['@flow-oauth/*/*'], message: 'Import a lib by its alias only (its src/index.ts).' }] }],
    },
  },
  {
    // The benchmarks reuse tools' Redis and service helpers and boot flow-oauth-server's module
    // in-process (bench/token-api), both by relative path: the one place an app is imported.
    files: ['bench/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', moduleBoundaries(['^(\\.\\./)+(tools|apps/flow-oauth-server)/'])] },
  },
  {
    // Configuration is read in one place: the config lib.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['libs/shared/config/**', '**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**', 'libs/shared/testing/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through the config lib.' }],
      'no-console': 'error',
    },
  },
  {
    // Tests read loosely typed JSON answers.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
];
