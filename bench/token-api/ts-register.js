// Runs the workspace's TypeScript sources directly in Node, the way jest does (the repository's
// .swcrc, as jest.config.js and the Nx build use it; tsconfig.base.json's path aliases), so the bench measures the
// current source without a prior `npm run build`. Use: node -r ./bench/token-api/ts-register.js x.ts
'use strict';

const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const ROOT = path.resolve(__dirname, '..', '..');
const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.base.json'), 'utf8'));
const aliases = new Map(Object.entries(compilerOptions.paths).map(([alias, [target]]) => [alias, path.join(ROOT, target)]));

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveAlias(request, ...rest) {
  return resolveFilename.call(this, aliases.get(request) ?? request, ...rest);
};

// No source maps: production (dist) runs without --enable-source-maps, and mapping stacks costs time.
const swcrc = JSON.parse(fs.readFileSync(path.join(ROOT, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const SWC_OPTIONS = { ...swcrc, sourceMaps: false, swcrc: false };

// Module._extensions is what require.extensions points to; registering '.ts' also makes
// extension-less relative imports ('./lib/foo') resolve to foo.ts.
Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...SWC_OPTIONS, filename });
  module._compile(code, filename);
};
