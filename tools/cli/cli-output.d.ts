// Types of cli-output.js (plain JavaScript so the CLI runs without a build) for the specs.

import type { LoadPlan } from '@flow-oauth/provider-config';

// The plan is the load API's answer; its types are the ones config-loader answers with.
export type { LoadPlan, ProviderConflict, ProviderRef } from '@flow-oauth/provider-config';

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
  /** The refreshes' pending token sets in Redis, re-sealed after the database. */
  pendingTokenSets?: { resealed: number; unreadable: number };
}
export function formatKeyRotation(result: KeyRotationResult): string;
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  type: string;
  subject: string;
  outcome: string;
  detail: Record<string, unknown>;
}
export function formatAudit(entries: AuditEntry[]): string;
export interface WebhookDelivery {
  id: string;
  event: string;
  subject: string;
  sequence: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}
export function formatDeliveries(deliveries: WebhookDelivery[]): string;
