// Two jest projects for the whole workspace: unit specs beside the code (5 s per test) and e2e suites
// (60 s). Each Nx project's `test` / `e2e` target runs one of them over its own folder
// (tools/nx/flow-targets.js); `npx jest <path>` runs both over a path.
const fs = require('node:fs');
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

// The SWC options are the repository's .swcrc, as for the Nx build (tools/nx/compile-project.js).
const swcOptions = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
delete swcOptions.$schema;
const transform = { '^.+\\.ts$': ['@swc/jest', { ...swcOptions, swcrc: false }] };

const common = { testEnvironment: 'node', transform, moduleNameMapper, rootDir: __dirname };

module.exports = {
  // jest 30 ignores a project-level testTimeout: this global one is the e2e suites' (real servers);
  // the unit project lowers its own to 5 s in a setup file.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'],
      setupFiles: ['<rootDir>/tools/jest/unit-test-timeout.js'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.e2e-spec.ts'] },
  ],
};
