import { createHash } from 'node:crypto';
import type { ProviderSettings } from '@flow-oauth/connector-definitions';
import type { ProviderRef } from '@flow-oauth/queue-contracts';

// Plans name providers as the events do.
export type { ProviderRef };

/** An in-use provider that the load would change beyond its secret. */
export interface ProviderConflict extends ProviderRef {
  connectors: string[];
}

export interface LoadPlan {
  added: ProviderRef[];
  updated: ProviderRef[];
  unchanged: ProviderRef[];
  conflicts: ProviderConflict[];
}

/** What is stored today for one provider, as the planner needs it. */
export interface StoredProvider {
  id: string;
  type: string;
  name: string;
  fingerprint: string;
  secrets: Record<string, string>;
  connectorLabels: string[];
}

export type PlannedWrite =
  | { kind: 'add'; settings: ProviderSettings; fingerprint: string }
  | { kind: 'update'; id: string; settings: ProviderSettings; fingerprint: string };

/** Canonical fingerprint of a provider's non-secret settings: key order does not matter. */
export function settingsFingerprint(parameters: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(parameters)).digest('hex');
}

/**
 * Decides, for each provider in the file, whether it is added, updated, unchanged, or a conflict
 * (in use and changed beyond its secret). Pure: the caller reads the stored state and writes.
 */
export function planLoad(incoming: ProviderSettings[], stored: Map<string, StoredProvider>): { plan: LoadPlan; writes: PlannedWrite[] } {
  const plan: LoadPlan = { added: [], updated: [], unchanged: [], conflicts: [] };
  const writes: PlannedWrite[] = [];
  for (const settings of incoming) {
    const ref = { type: settings.type, provider: settings.name };
    const fingerprint = settingsFingerprint(settings.parameters);
    const existing = stored.get(providerKey(settings.type, settings.name));
    if (!existing) {
      plan.added.push(ref);
      writes.push({ kind: 'add', settings, fingerprint });
      continue;
    }
    const sameSettings = existing.fingerprint === fingerprint;
    const sameSecrets = canonicalJson(existing.secrets) === canonicalJson(settings.secrets);
    if (sameSettings && sameSecrets) {
      plan.unchanged.push(ref);
      continue;
    }
    if (!sameSettings && existing.connectorLabels.length > 0) {
      plan.conflicts.push({ ...ref, connectors: [...existing.connectorLabels].sort() });
      continue;
    }
    plan.updated.push(ref);
    writes.push({ kind: 'update', id: existing.id, settings, fingerprint });
  }
  return { plan, writes };
}

/** Map key for a provider. */
export function providerKey(type: string, name: string): string {
  return `${type}\u0000${name}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
