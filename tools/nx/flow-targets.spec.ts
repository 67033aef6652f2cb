import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inferWorkspace, type InferredProject } from './flow-targets';

// The workspace plugin against the real tree (so a merged project.json or a test file outside every
// project fails here, not silently), and against a scratch workspace for the rules themselves.

const ROOT = path.resolve(__dirname, '..', '..');
const SKIPPED = new Set(['node_modules', 'dist', 'tmp', 'data', 'coverage', '.nx', '.git']);
const INFERRED = ['build', 'serve', 'typecheck', 'test', 'e2e', 'lint'];

function filesUnder(root: string, dir = '.'): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir === '.' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory() && !SKIPPED.has(entry.name)) found.push(...filesUnder(root, rel));
    else if (entry.isFile()) found.push(rel);
  }
  return found;
}

function workspace(root: string): InferredProject[] {
  return inferWorkspace(root, filesUnder(root).filter((f) => path.posix.basename(f) === 'project.json'));
}

/** The project a file belongs to: the one with the longest root that contains it. */
function owner(projects: InferredProject[], file: string): InferredProject | undefined {
  return projects.filter((p) => file.startsWith(`${p.root}/`)).sort((a, b) => b.root.length - a.root.length)[0];
}

describe('the workspace tree', () => {
  const projects = workspace(ROOT);
  const files = filesUnder(ROOT);

  it('runs every unit spec and e2e suite through the test or e2e target of the project that holds it', () => {
    const orphans: string[] = [];
    for (const file of files.filter((f) => /\.(spec|e2e-spec)\.ts$/.test(f))) {
      const project = owner(projects, file);
      const target = file.endsWith('.e2e-spec.ts') ? project?.targets.e2e : project?.targets.test;
      if (!target || !target.options.command.includes(`--roots ${project?.root} `)) orphans.push(file);
    }
    expect(orphans).toEqual([]);
  });

  it('leaves build, serve, typecheck, test, e2e and lint to the plugins (no project.json defines them)', () => {
    const overriding = projects
      .filter((p) => Object.keys(p.json.targets ?? {}).some((t) => INFERRED.includes(t)))
      .map((p) => `${p.file}: remove its ${Object.keys(p.json.targets ?? {}).filter((t) => INFERRED.includes(t)).join(', ')} target(s)`);
    expect(overriding).toEqual([]);
  });

  it('gives every app a build and a serve target and every lib a build target', () => {
    for (const project of projects.filter((p) => /^(apps|libs)\//.test(p.root))) {
      expect({ project: project.name, build: project.targets.build?.options.command }).toEqual({
        project: project.name,
        build: `node tools/nx/compile-project.js ${project.root}`,
      });
      if (project.root.startsWith('apps/')) expect(project.targets.serve?.options.command).toBe(`node --enable-source-maps dist/${project.root}/src/main.js`);
    }
  });

  it('never caches an e2e target', () => {
    const e2e = projects.filter((p) => p.targets.e2e);
    expect(e2e.map((p) => p.name)).toEqual(expect.arrayContaining(['config-loader', 'flow-oauth-server', 'token-refresher', 'tools']));
    for (const project of e2e) expect({ project: project.name, cache: project.targets.e2e?.cache }).toEqual({ project: project.name, cache: false });
  });
});

describe('inferWorkspace', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-nx-targets-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const write = (file: string, text = '') => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  const project = (dir: string, name: string) => write(`${dir}/project.json`, JSON.stringify({ name }));
  const byName = () => Object.fromEntries(workspace(root).map((p) => [p.name, p]));

  it('gives a project without tests no test or e2e target, so run-many and affected pass over it', () => {
    project('libs/plain', 'plain');
    write('libs/plain/src/index.ts', 'export const a = 1;\n');
    const plain = byName()['plain'];
    expect(Object.keys(plain.targets).sort()).toEqual(['build', 'typecheck']);
  });

  it('splits unit specs (cached, jest unit project) from e2e suites (not cached, jest e2e project)', () => {
    project('libs/both', 'both');
    write('libs/both/src/index.ts');
    write('libs/both/src/lib/a.spec.ts');
    write('libs/both/src/lib/b.e2e-spec.ts');
    const { test, e2e } = byName()['both'].targets;
    expect(test?.cache).toBe(true);
    expect(test?.options.command).toContain('--selectProjects unit --roots libs/both ');
    expect(e2e?.cache).toBe(false);
    expect(e2e?.options.command).toContain('--selectProjects e2e --roots libs/both ');
    expect(e2e?.dependsOn).toEqual([]);
  });

  it('gives a new test folder under tools/ to the tools project, whose e2e suites first build every app', () => {
    project('tools', 'tools');
    project('apps/one', 'one');
    write('apps/one/src/main.ts');
    write('tools/faults/redis-down.e2e-spec.ts');
    const { tools, one } = byName();
    expect(tools.targets.e2e?.dependsOn).toEqual([{ projects: ['one'], target: 'build' }]);
    expect(Object.keys(one.targets).sort()).toEqual(['build', 'serve', 'typecheck']);
  });

  it('leaves the tests of a nested project to that project', () => {
    project('tools', 'tools');
    project('tools/suite', 'suite');
    write('tools/a.spec.ts');
    write('tools/suite/b.spec.ts');
    const { tools, suite } = byName();
    expect(tools.targets.test?.options.command).toContain('--roots tools --testPathIgnorePatterns /node_modules/ /tools/suite/ ');
    expect(suite.targets.test?.options.command).toContain('--roots tools/suite ');
  });
});
