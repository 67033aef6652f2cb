// Types of cli-output.js (plain JavaScript so the CLI runs without a build) for the specs.

export interface ProviderRef {
  type: string;
  provider: string;
}
export interface ProviderConflict extends ProviderRef {
  connectors: string[];
}
export interface LoadPlan {
  added: ProviderRef[];
  updated: ProviderRef[];
  unchanged: ProviderRef[];
  conflicts: ProviderConflict[];
}

export const REDACTED: string;
export function formatTable(headers: string[], rows: Array<Array<string | number | undefined | null>>): string;
export function formatPlan(result: { applied: boolean; plan: LoadPlan }): string;
export function planCounts(plan: Partial<LoadPlan>): string;
export function formatApiError(status: number, body: unknown): string;
export function formatConfiguration(configuration: Record<string, Record<string, Record<string, unknown>>>): string;
export function formatConnectorTypes(catalog: unknown): string;
export function formatUsers(users: Array<{ name: string; createdAt: string }>): string;
export function redactSettings(settings: Record<string, unknown>): Record<string, unknown>;
export interface KeyRotationResult {
  keyId: string;
  resealed: { providers: number; tokens: number; canary: number };
  before: Record<string, number>;
  after: Record<string, number>;
}
export function formatKeyRotation(result: KeyRotationResult): string;
