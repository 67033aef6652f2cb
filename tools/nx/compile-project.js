#!/usr/bin/env node
// The `build` target of every app and lib (tools/nx/flow-targets.js): compiles <root>/src/**/*.ts,
// tests excluded, into dist/<root>/src with SWC, one file at a time, so each project writes only its
// own folder (Nx caches and restores each project's output on its own) and the layout stays
// dist/apps/<app>/src/main.js beside dist/libs/<lib>/src/index.js. SWC rewrites the @flow-oauth/*
// aliases (tsconfig.base.json) into relative requires, so `node dist/apps/<app>/src/main.js` runs
// as it is. Type errors are the `typecheck` target's job. Hand-written because @nx/js:swc needs
// @swc/cli, which is not installed; the SWC options are the repository's .swcrc.
//   node tools/nx/compile-project.js libs/shared/config
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { transformFile } = require('@swc/core');

const ROOT = path.resolve(__dirname, '..', '..');

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

async function main() {
  const projectRoot = process.argv[2];
  if (!projectRoot || !fs.existsSync(path.join(ROOT, projectRoot, 'src'))) {
    throw new Error(`usage: node tools/nx/compile-project.js <project root with a src folder> (got ${projectRoot ?? 'nothing'})`);
  }
  const outDir = path.join(ROOT, 'dist', projectRoot);
  // A source file deleted since the last build must not leave its old output behind to be required.
  fs.rmSync(outDir, { recursive: true, force: true });

  const swcrc = JSON.parse(fs.readFileSync(path.join(ROOT, '.swcrc'), 'utf8'));
  delete swcrc.$schema;
  const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.base.json'), 'utf8'));
  const sources = sourceFiles(path.join(ROOT, projectRoot, 'src'));
  await Promise.all(
    sources.map(async (file) => {
      const relative = path.relative(ROOT, file);
      const out = path.join(ROOT, 'dist', relative.replace(/\.ts$/, '.js'));
      const { code } = await transformFile(file, {
        ...swcrc,
        swcrc: false,
        configFile: false,
        filename: file,
        sourceFileName: path.relative(path.dirname(out), file),
        jsc: { ...swcrc.jsc, baseUrl: ROOT, paths: compilerOptions.paths },
      });
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, code);
    }),
  );
  console.log(`${projectRoot}: ${sources.length} files compiled into ${path.relative(ROOT, outDir)}`);
}

/** The .ts files a running process may load: no declarations, specs, e2e suites or test/ folders. */
function sourceFiles(dir) {
  const files = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'test') files.push(...sourceFiles(full));
    } else if (entry.name.endsWith('.ts') && !/\.(d|spec|e2e-spec)\.ts$/.test(entry.name)) {
      files.push(full);
    }
  }
  return files;
}
