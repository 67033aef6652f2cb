// Types of flow-targets.js (plain JavaScript: Nx loads it as a plugin without a build) for the specs.

export interface InferredTarget {
  executor: string;
  options: { command: string };
  cache?: boolean;
  dependsOn?: Array<string | { projects: string[]; target: string }>;
  outputs?: string[];
}

export interface InferredProject {
  file: string;
  root: string;
  name: string;
  json: { name?: string; tags?: string[]; targets?: Record<string, unknown> };
  targets: Partial<Record<'build' | 'serve' | 'typecheck' | 'test' | 'e2e', InferredTarget>>;
}

export const RESULTS_DIR: string;
export function inferWorkspace(workspaceRoot: string, projectJsonFiles: string[]): InferredProject[];
