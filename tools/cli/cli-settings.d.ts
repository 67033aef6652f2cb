// Types of cli-settings.js (plain JavaScript so the CLI runs without a build) for the specs.

export const GENERATED_KEYS_FILE: string;
export function readDotEnv(file: string): Record<string, string>;
export function resolveSettings(input?: {
  options?: { url?: string; key?: string };
  env?: Record<string, string | undefined>;
  cwd?: string;
}): { url: string; key: string | undefined; keySource: string | undefined; looked?: string[] };
