#!/usr/bin/env node
// The `typecheck` target of every project (tools/nx/flow-targets.js): type-checks the project's own
// .ts files, tests included, with the root tsconfig.json's options, and reports errors in those
// files only (a lib's own errors are reported by its own typecheck). tsc's command line cannot take a
// tsconfig and a different file list, hence the few lines of compiler API rather than one
// tsconfig.json per project.
//   node tools/nx/typecheck-project.js libs/shared/config
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const ROOT = path.resolve(__dirname, '..', '..');
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'tmp', 'data', 'coverage', '.nx', '.git']);

const projectRoot = process.argv[2];
if (!projectRoot || !fs.existsSync(path.join(ROOT, projectRoot, 'project.json'))) {
  console.error(`usage: node tools/nx/typecheck-project.js <project root> (got ${projectRoot ?? 'nothing'})`);
  process.exit(1);
}

const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => report([d]) };
const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), { noEmit: true }, host);
const own = ownFiles(path.join(ROOT, projectRoot));
const program = ts.createProgram({ rootNames: own, options: config.options, projectReferences: config.projectReferences });
const ownSet = new Set(own.map((f) => path.normalize(f)));
const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
for (const sourceFile of program.getSourceFiles()) {
  if (!ownSet.has(path.normalize(sourceFile.fileName))) continue;
  diagnostics.push(...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile));
}
report(diagnostics);
console.log(`${projectRoot}: ${own.length} files type-check`);

function report(found) {
  const errors = found.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length === 0) return;
  const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  console.error(ts.formatDiagnosticsWithColorAndContext(errors, formatHost));
  console.error(`${projectRoot}: ${errors.length} type error${errors.length === 1 ? '' : 's'}`);
  process.exit(1);
}

/** The project's .ts files, without the folders of nested projects (they type-check themselves). */
function ownFiles(dir, top = true) {
  const files = [];
  if (!top && fs.existsSync(path.join(dir, 'project.json'))) return files;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) files.push(...ownFiles(full, false));
    else if (entry.isFile() && entry.name.endsWith('.ts')) files.push(full);
  }
  return files;
}
