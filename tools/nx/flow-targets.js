// Nx plugin (nx.json "plugins"): gives every project its build, typecheck, test, e2e and serve
// targets from the files it holds, so a new lib or a new test folder needs no target boilerplate:
// a project.json with a name and tags is the whole project definition (lint comes from
// @nx/eslint/plugin the same way). Written here because the stock plugins do not fit this house:
// @nx/jest/plugin needs a jest config per project and cannot split unit from e2e, @nx/js:swc needs
// @swc/cli (not installed), and @nx/js:tsc leaves the path aliases in the output for plain `node`.
//
//   build      src/main.ts or src/index.ts: compile-project.js (SWC) into dist/<root>, aliases rewritten
//   typecheck  any .ts: typecheck-project.js (tsc, the root tsconfig.json's options)
//   test       *.spec.ts: jest's "unit" project over the root (5 s per test), cached
//   e2e        *.e2e-spec.ts: jest's "e2e" project over the root (60 s), never cached
//   serve      src/main.ts: node dist/<root>/src/main.js after build
//
// Test files of a nested project (tools/x/project.json inside tools/) belong to that project only.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/** Where test results go, so `npm test` can print one total even for cached (restored) test runs. */
const RESULTS_DIR = 'tmp/jest-results';
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'tmp', 'data', 'coverage', '.nx', '.git']);

const createNodes = [
  '**/project.json',
  (projectJsonFiles, _options, context) =>
    inferWorkspace(context.workspaceRoot, projectJsonFiles).map((p) => [p.file, { projects: { [p.root]: { targets: p.targets } } }]),
];

/** Every project (one per project.json, paths relative to the workspace) with its inferred targets. */
function inferWorkspace(workspaceRoot, projectJsonFiles) {
  const projects = projectJsonFiles.map((file) => {
    const root = path.posix.dirname(file);
    const json = JSON.parse(fs.readFileSync(path.join(workspaceRoot, file), 'utf8'));
    return { file, root, name: json.name ?? root, json };
  });
  const roots = projects.map((p) => p.root);
  const apps = projects.filter((p) => hasFile(workspaceRoot, p.root, 'src/main.ts')).map((p) => p.name);
  return projects.map((project) => ({ ...project, targets: inferTargets(project, roots, apps, workspaceRoot) }));
}

/** The targets a project's files call for. */
function inferTargets({ root, name }, allRoots, appNames, workspaceRoot) {
  const nested = allRoots.filter((other) => other !== root && (root === '.' || other.startsWith(`${root}/`)));
  const files = projectFiles(workspaceRoot, root, nested);
  const targets = {};
  const isApp = hasFile(workspaceRoot, root, 'src/main.ts');

  if (isApp || hasFile(workspaceRoot, root, 'src/index.ts')) {
    targets.build = {
      executor: 'nx:run-commands',
      options: { command: `node tools/nx/compile-project.js ${root}` },
      cache: true,
      dependsOn: ['^build'],
      inputs: ['production', '^production', '{workspaceRoot}/.swcrc', '{workspaceRoot}/tools/nx/compile-project.js', { externalDependencies: ['@swc/core'] }],
      outputs: [`{workspaceRoot}/dist/${root}`],
      metadata: { description: `Compile ${root}/src (no tests) into dist/${root}, path aliases rewritten to relative requires.` },
    };
  }
  if (isApp) {
    targets.serve = {
      executor: 'nx:run-commands',
      options: { command: `node --enable-source-maps dist/${root}/src/main.js` },
      dependsOn: ['build'],
      continuous: true,
      metadata: { description: `Build, then run ${name} in the foreground (configuration from the environment and .env).` },
    };
  }
  if (files.some((f) => f.endsWith('.ts'))) {
    targets.typecheck = {
      executor: 'nx:run-commands',
      options: { command: `node tools/nx/typecheck-project.js ${root}` },
      cache: true,
      inputs: ['default', '^production', '{workspaceRoot}/tsconfig.json', '{workspaceRoot}/tools/nx/typecheck-project.js', { externalDependencies: ['typescript'] }],
      outputs: [],
      metadata: { description: `Type-check every .ts file of ${root}, tests included.` },
    };
  }
  const jestInputs = ['default', '^production', '{workspaceRoot}/jest.config.js', '{workspaceRoot}/.swcrc', '{workspaceRoot}/tools/jest/**/*'];
  if (files.some((f) => f.endsWith('.spec.ts'))) {
    targets.test = {
      executor: 'nx:run-commands',
      options: { command: jestCommand('unit', root, nested, `${RESULTS_DIR}/${name}.test.json`) },
      cache: true,
      inputs: jestInputs,
      outputs: [`{workspaceRoot}/${RESULTS_DIR}/${name}.test.json`],
      metadata: { description: `Unit tests (*.spec.ts) of ${root}.` },
    };
  }
  if (files.some((f) => f.endsWith('.e2e-spec.ts'))) {
    // Suites outside apps/ and libs/ (tools/) run the built apps from dist/; the others start Nest
    // from source. No cache: what they test (Redis, PostgreSQL, pm2) is not among any task's inputs.
    const usesDist = !/^(apps|libs)\//.test(root);
    targets.e2e = {
      executor: 'nx:run-commands',
      options: { command: jestCommand('e2e', root, nested, `${RESULTS_DIR}/${name}.e2e.json`) },
      cache: false,
      dependsOn: usesDist ? [{ projects: appNames, target: 'build' }] : [],
      inputs: jestInputs,
      outputs: [`{workspaceRoot}/${RESULTS_DIR}/${name}.e2e.json`],
      metadata: { description: `End-to-end suites (*.e2e-spec.ts) of ${root} against real Redis, SQLite and PostgreSQL.` },
    };
  }
  return targets;
}

/**
 * One jest project (unit or e2e, jest.config.js) restricted to this project's folder. --json writes
 * the totals for `npm test`; --forceExit keeps a connection left retrying by a suite from holding
 * the run (every suite closes what it starts; `npx jest --detectOpenHandles <file>` checks one).
 */
function jestCommand(kind, root, nested, resultsFile) {
  const ignore = nested.length > 0 ? ` --testPathIgnorePatterns /node_modules/ ${nested.map((r) => `/${r}/`).join(' ')}` : '';
  return `mkdir -p ${RESULTS_DIR} && jest --ci --selectProjects ${kind} --roots ${root}${ignore} --passWithNoTests --forceExit --json --outputFile=${resultsFile}`;
}

function hasFile(workspaceRoot, root, file) {
  return fs.existsSync(path.join(workspaceRoot, root, file));
}

/** The project's own files (relative to the workspace), without nested projects and build output. */
function projectFiles(workspaceRoot, root, nestedRoots) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(workspaceRoot, dir), { withFileTypes: true })) {
      const rel = dir === '.' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !nestedRoots.includes(rel)) walk(rel);
      } else if (entry.isFile()) {
        found.push(rel);
      }
    }
  };
  walk(root);
  return found;
}

module.exports = { createNodes, createNodesV2: createNodes, inferWorkspace, RESULTS_DIR };
