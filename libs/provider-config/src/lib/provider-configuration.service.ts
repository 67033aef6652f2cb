import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ActivityRecorder, type PendingDispatch, providerSubject } from '@flow-oauth/activity';
import type { AuditActor } from '@flow-oauth/audit';
import {
  type ProviderSettings,
  type ValidationError,
  isConnectorType,
  parseConfigurationText,
  parseWrappedConfigurationText,
  redactTypedSecrets,
  secretParameterNames,
  validateConfiguration,
} from '@flow-oauth/connector-definitions';
import { ApiError } from '@flow-oauth/http-common';
import { emitEvent, FLOW_EVENTS_CLIENT } from '@flow-oauth/messaging';
import { ConnectorEntity, nowIso, ProviderEntity, runInTransaction, sqlDialect } from '@flow-oauth/persistence';
import { FlowEvent, type ProvidersChangedEvent } from '@flow-oauth/queue-contracts';
import { SecretBox } from '@flow-oauth/secrets';
import { providerSecretsOf } from '@flow-oauth/provider-reader';
import type { ClientProxy } from '@nestjs/microservices';
import { DataSource, type EntityManager, In } from 'typeorm';
import { type LoadPlan, planLoad, type PlannedWrite, type ProviderConflict, type ProviderRef, providerKey, type StoredProvider } from './load-plan';

export const REDACTED = '********';

export interface LoadResult {
  applied: boolean;
  plan: LoadPlan;
}

/** Redacted view of every loaded provider, in the file's own shape. */
export type RedactedConfiguration = Record<string, Record<string, Record<string, unknown>>>;

const INSERT_CHUNK = 400;
/** Providers named per list of a load's plan in its audit entry; beyond this, counted only. */
const AUDIT_PLAN_NAMES = 1000;

/** Who asks, for the audit trail (every route of these use cases is the admin's today). */
export interface ActorOption {
  actor?: AuditActor;
}

/** Load (validate -> plan -> apply in one transaction), read, delete, and purge tokens of OAuth providers. */
@Injectable()
export class ProviderConfigurationService {
  private readonly logger = new Logger('ProviderConfiguration');

  constructor(
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
    @Inject(FLOW_EVENTS_CLIENT) private readonly events: ClientProxy,
    private readonly activity: ActivityRecorder,
  ) {}

  /** Parses raw configuration text (duplicate keys and all) and loads it. */
  async loadText(text: string, options: { dryRun: boolean; pathPrefix?: string } & ActorOption): Promise<LoadResult> {
    try {
      return await this.loadParsed(text, options);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_configuration') await this.recordInvalid(error, options);
      throw error;
    }
  }

  private async loadParsed(text: string, options: { dryRun: boolean; pathPrefix?: string } & ActorOption): Promise<LoadResult> {
    // Under the ThingWorx wrapper, errors inside the file point into the file, not into the wrapper.
    const parsed = options.pathPrefix ? parseWrappedConfigurationText(text, options.pathPrefix.slice(1)) : parseConfigurationText(text);
    if (parsed.errors.length > 0) throw invalidConfiguration(parsed.errors);
    let document = parsed.value;
    if (options.pathPrefix) {
      // ThingWorx alias: the file sits under a key, as an object or as a JSON string.
      const wrapper = document as Record<string, unknown> | undefined;
      const key = options.pathPrefix.slice(1);
      if (!wrapper || typeof wrapper !== 'object' || Array.isArray(wrapper) || !(key in wrapper)) {
        throw invalidConfiguration([{ path: options.pathPrefix, message: `missing "${key}"` }]);
      }
      document = wrapper[key];
      if (typeof document === 'string') {
        const inner = parseConfigurationText(document);
        if (inner.errors.length > 0) throw invalidConfiguration(inner.errors);
        document = inner.value;
      }
    }
    // Paths in errors are relative to the configuration file itself, wrapped or not.
    return this.loadDocument(document, options);
  }

  /**
   * Loads an already parsed configuration document. Nothing is written unless everything is valid
   * and conflict-free. Every attempt is in the audit trail with its plan: applied (in the load's
   * transaction), dry run, refused for a conflict, or invalid (the number of errors).
   */
  async load(document: unknown, options: { dryRun: boolean } & ActorOption): Promise<LoadResult> {
    try {
      return await this.loadDocument(document, options);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_configuration') await this.recordInvalid(error, options);
      throw error;
    }
  }

  private async loadDocument(document: unknown, options: { dryRun: boolean } & ActorOption): Promise<LoadResult> {
    const actor = options.actor ?? 'admin';
    const { providers, errors } = validateConfiguration(withoutProviderStatus(document));
    if (errors.length > 0) throw invalidConfiguration(errors);

    if (options.dryRun) {
      const stored = await this.readStored(this.dataSource.manager, providers);
      const plan = planLoad(providers, stored).plan;
      await this.activity.record({ kind: 'admin', type: 'configuration.load', actor, subject: 'configuration', outcome: 'dry_run', detail: planDetail(plan) });
      return { applied: false, plan };
    }

    const outcome = await runInTransaction(this.dataSource, async (manager) => {
      const stored = await this.readStored(manager, providers, true);
      const { plan, writes } = planLoad(providers, stored);
      if (plan.conflicts.length > 0) return { plan, conflict: true, restored: [], recorded: undefined };
      const restored = await this.applyWrites(manager, writes);
      // In the load's transaction: the entry (and each restored provider's webhook) commits with it.
      const recorded: PendingDispatch = await this.activity.recordIn(
        manager,
        { kind: 'admin', type: 'configuration.load', actor, subject: 'configuration', outcome: 'ok', detail: planDetail(plan) },
        ...restored.map((p) => ({ kind: 'provider' as const, type: 'provider.credentials_restored' as const, actor, provider: { ...p, state: 'ok' } })),
      );
      return { plan, conflict: false, restored, recorded };
    });
    if (outcome.conflict) {
      await this.activity.record({ kind: 'admin', type: 'configuration.load', actor, subject: 'configuration', outcome: 'refused', detail: planDetail(outcome.plan) });
      throw providerInUse(outcome.plan.conflicts, outcome.plan);
    }
    const { plan } = outcome;
    await this.activity.dispatch(outcome.recorded);
    this.logger.log(`load applied: ${plan.added.length} added, ${plan.updated.length} updated, ${plan.unchanged.length} unchanged`);
    if (plan.added.length + plan.updated.length > 0) await this.announce({ added: plan.added, updated: plan.updated, deleted: [] });
    await this.announceRestored(outcome.restored);
    return { applied: true, plan };
  }

  /** An invalid file in the audit trail: how many errors, never the content (a secret may be in it). */
  private async recordInvalid(error: ApiError, options: { dryRun: boolean } & ActorOption): Promise<void> {
    const errors = Array.isArray(error.extra['errors']) ? error.extra['errors'].length : 0;
    await this.activity.record({ kind: 'admin', type: 'configuration.load', actor: options.actor ?? 'admin', subject: 'configuration', outcome: 'invalid', detail: { dryRun: options.dryRun, errors } });
  }

  /**
   * Every loaded provider with each secret replaced by "********", and beside its parameters its
   * `state` (with `rejectedAt` and `rejectedError` while its credentials are rejected). A load
   * ignores those three status fields, so the answer keeps the file's shape.
   */
  async readRedacted(): Promise<RedactedConfiguration> {
    const rows = await this.dataSource.getRepository(ProviderEntity).find({ order: { type: 'ASC', name: 'ASC' } });
    const out: RedactedConfiguration = {};
    for (const row of rows) {
      // Loads refuse secrets typed outside CLIENT_SECRET; a provider stored before that is still redacted here.
      const settings = redactTypedSecrets(JSON.parse(row.settings) as Record<string, unknown>);
      for (const name of secretParameterNamesSafe(row.type)) settings[name] = REDACTED;
      settings['state'] = row.state;
      if (row.state === 'credentials_rejected') {
        settings['rejectedAt'] = row.rejectedAt;
        settings['rejectedError'] = row.rejectedError;
      }
      (out[row.type] ??= {})[row.name] = settings;
    }
    return out;
  }

  /** Deletes a provider; refuses (409) while any connector uses it. */
  async delete(type: string, name: string, options: ActorOption = {}): Promise<void> {
    const actor = options.actor ?? 'admin';
    const subject = providerSubject({ type, name });
    const refused = await runInTransaction(this.dataSource, async (manager) => {
      const provider = await this.findProvider(manager, type, name);
      const labels = await this.connectorLabels(manager, [provider.id]);
      const inUse = labels.get(provider.id) ?? [];
      if (inUse.length > 0) return [{ type, provider: name, connectors: inUse.sort() }];
      await manager.delete(ProviderEntity, { id: provider.id });
      await this.activity.recordIn(manager, { kind: 'admin', type: 'provider.delete', actor, subject, outcome: 'ok', detail: { type, provider: name } });
      return undefined;
    });
    if (refused) {
      await this.activity.record({ kind: 'admin', type: 'provider.delete', actor, subject, outcome: 'refused', detail: { type, provider: name, connectors: refused[0].connectors } });
      throw providerInUseAtDelete(refused[0]);
    }
    this.logger.log(`provider deleted: ${type}/${name}`);
    await this.announce({ added: [], updated: [], deleted: [{ type, provider: name }] });
  }

  /** Deletes the tokens of a provider's connectors (of one user, or all); they become needs_reauth. */
  async purgeTokens(type: string, name: string, user?: string, options: ActorOption = {}): Promise<{ purged: number; connectors: string[] }> {
    const actor = options.actor ?? 'admin';
    const { connectors: labels, recorded } = await runInTransaction(this.dataSource, async (manager) => {
      const provider = await this.findProvider(manager, type, name);
      const where = user ? { providerId: provider.id, owner: user } : { providerId: provider.id };
      const connectors = await manager.find(ConnectorEntity, { where, select: { id: true, label: true, type: true, providerName: true, owner: true, status: true } });
      if (connectors.length > 0) {
        await manager.update(
          ConnectorEntity,
          { id: In(connectors.map((c) => c.id)) },
          // The version bump makes a refresh that read the old tokens fail its guarded write instead of restoring them.
          {
            accessToken: null,
            refreshToken: null,
            expiresAt: null,
            // Off the refresh schedule: the sweep never reads it again (nor the health scan).
            nextRefreshAt: null,
            nextCheckAt: null,
            reauthDueAt: null,
            reauthDueBasis: null,
            status: 'needs_reauth',
            lastError: 'tokens purged by the administrator',
            updatedAt: nowIso(),
            tokenVersion: () => 'token_version + 1',
          },
        );
      }
      // In the purge's transaction: the purge and each connector's needs_reauth (its webhook too).
      const recorded = await this.activity.recordIn(
        manager,
        { kind: 'admin', type: 'tokens.purge', actor, subject: providerSubject({ type, name }), outcome: 'ok', detail: { type, provider: name, ...(user ? { user } : {}), connectors: connectors.map((c) => c.label).sort() } },
        ...connectors
          .filter((c) => c.status !== 'needs_reauth')
          .map((c) => ({ kind: 'connector' as const, type: 'connector.needs_reauth' as const, actor, connector: { ...c, status: 'needs_reauth' as const }, data: { reason: 'tokens_purged' } })),
      );
      return { connectors, recorded };
    });
    await this.activity.dispatch(recorded);
    this.logger.log(`tokens purged for ${type}/${name}${user ? ` (user ${user})` : ''}: ${labels.length} connector(s)`);
    try {
      for (const connector of labels) {
        await emitEvent(this.events, FlowEvent.ConnectorNeedsReauth, { connectorId: connector.id, reason: 'tokens_purged', at: nowIso() });
      }
    } catch (error) {
      // The purge is committed; the connectors already show needs_reauth. Only the notice is lost.
      this.logger.error(`connector.needs_reauth could not be sent after the purge: ${(error as Error).message}`);
    }
    return { purged: labels.length, connectors: labels.map((c) => c.label).sort() };
  }

  private async announce(change: Omit<ProvidersChangedEvent, 'changeId' | 'at'>): Promise<void> {
    const event: ProvidersChangedEvent = { changeId: randomUUID(), at: nowIso(), ...change };
    try {
      await emitEvent(this.events, FlowEvent.ProvidersChanged, event);
    } catch (error) {
      // The load is committed; servers also re-check providers periodically, so say it and go on.
      this.logger.error(`providers.changed could not be sent (${(error as Error).message}); servers will pick the change up on their next check`);
    }
  }

  /** Tells token-refresher that providers whose credentials were rejected were changed: their connectors' refreshes resume now. */
  private async announceRestored(restored: Array<{ id: string; type: string; name: string }>): Promise<void> {
    for (const provider of restored) {
      this.logger.log(`provider ${provider.type}/${provider.name} was changed after its credentials were rejected: its connectors' refreshes resume`);
      try {
        await emitEvent(this.events, FlowEvent.ProviderCredentialsRestored, { providerId: provider.id, type: provider.type, provider: provider.name, at: nowIso() });
      } catch (error) {
        // The provider is ok in the database; token-refresher's next sweep resumes its connectors.
        this.logger.error(`provider.credentials_restored could not be sent (${(error as Error).message}); refreshes resume at the next sweep`);
      }
    }
  }

  private async findProvider(manager: EntityManager, type: string, name: string): Promise<ProviderEntity> {
    // Locked on PostgreSQL: a connector being stored for it waits (FOR SHARE) until we decided.
    const lock = sqlDialect(this.dataSource).rowLocks ? { lock: { mode: 'pessimistic_write' as const } } : {};
    const provider = await manager.findOne(ProviderEntity, { where: { type, name }, ...lock });
    if (!provider) throw new ApiError(404, 'not_found', `No OAuth provider "${name}" is loaded for connector type "${type}".`);
    return provider;
  }

  private async readStored(manager: EntityManager, incoming: ProviderSettings[], lock = false): Promise<Map<string, StoredProvider>> {
    const types = [...new Set(incoming.map((p) => p.type))];
    const stored = new Map<string, StoredProvider>();
    if (types.length === 0) return stored;
    const query = manager.createQueryBuilder(ProviderEntity, 'p').where('p.type IN (:...types)', { types });
    // On PostgreSQL, lock the rows so no connector can start using a provider while we decide on it.
    if (lock && sqlDialect(this.dataSource).rowLocks) query.setLock('pessimistic_write');
    const rows = await query.getMany();
    const labels = await this.connectorLabels(manager, rows.map((r) => r.id));
    const wanted = new Set(incoming.map((p) => providerKey(p.type, p.name)));
    for (const row of rows) {
      const key = providerKey(row.type, row.name);
      if (!wanted.has(key)) continue;
      stored.set(key, {
        id: row.id,
        type: row.type,
        name: row.name,
        fingerprint: row.fingerprint,
        secrets: this.box.openJson<Record<string, string>>(row.secrets, providerSecretsOf(row.id)),
        connectorLabels: labels.get(row.id) ?? [],
      });
    }
    return stored;
  }

  private async connectorLabels(manager: EntityManager, providerIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < providerIds.length; i += INSERT_CHUNK) {
      const ids = providerIds.slice(i, i + INSERT_CHUNK);
      const rows = await manager.find(ConnectorEntity, { where: { providerId: In(ids) }, select: { providerId: true, label: true } });
      for (const row of rows) (out.get(row.providerId) ?? out.set(row.providerId, []).get(row.providerId))?.push(row.label);
    }
    return out;
  }

  /** Writes the plan; returns the updated providers whose credentials had been rejected (they are ok again). */
  private async applyWrites(manager: EntityManager, writes: PlannedWrite[]): Promise<Array<{ id: string; type: string; name: string }>> {
    const now = nowIso();
    const updates = writes.filter((w): w is Extract<PlannedWrite, { kind: 'update' }> => w.kind === 'update');
    const restored: Array<{ id: string; type: string; name: string }> = [];
    for (let i = 0; i < updates.length; i += INSERT_CHUNK) {
      const ids = updates.slice(i, i + INSERT_CHUNK).map((w) => w.id);
      restored.push(...(await manager.find(ProviderEntity, { where: { id: In(ids), state: 'credentials_rejected' }, select: { id: true, type: true, name: true } })));
    }
    const added = writes.filter((w): w is Extract<PlannedWrite, { kind: 'add' }> => w.kind === 'add');
    for (let i = 0; i < added.length; i += INSERT_CHUNK) {
      const rows = added.slice(i, i + INSERT_CHUNK).map((w) => {
        // The id comes first: the secrets are sealed bound to the provider's row.
        const id = randomUUID();
        return {
          id,
          type: w.settings.type,
          name: w.settings.name,
          settings: JSON.stringify(w.settings.parameters),
          secrets: this.box.sealJson(w.settings.secrets, providerSecretsOf(id)),
          fingerprint: w.fingerprint,
          createdAt: now,
          updatedAt: now,
        };
      });
      await manager.insert(ProviderEntity, rows);
    }
    for (const write of writes) {
      if (write.kind !== 'update') continue;
      await manager.update(
        ProviderEntity,
        { id: write.id },
        {
          settings: JSON.stringify(write.settings.parameters),
          secrets: this.box.sealJson(write.settings.secrets, providerSecretsOf(write.id)),
          fingerprint: write.fingerprint,
          updatedAt: now,
          // New settings or a new secret: whatever the provider refused before is worth trying again.
          state: 'ok',
          rejectedAt: null,
          rejectedError: null,
        },
      );
    }
    // Their connectors' refreshes were parked while the credentials were refused: due again now, in the same transaction.
    if (restored.length > 0) await manager.update(ConnectorEntity, { providerId: In(restored.map((p) => p.id)) }, { refreshRetryAt: null, refreshClaimedUntil: null });
    return restored;
  }
}

/** Status fields that GET /api/oauth-configurations shows beside each provider's parameters. */
const STATUS_FIELDS: ReadonlyArray<readonly [name: string, isStatus: (value: unknown) => boolean]> = [
  ['state', (value) => value === 'ok' || value === 'credentials_rejected'],
  ['rejectedAt', (value) => value === null || typeof value === 'string'],
  ['rejectedError', (value) => value === null || typeof value === 'string'],
];

/**
 * The document without the status fields of the redacted read (`state`, `rejectedAt`,
 * `rejectedError`), so that answer can be loaded back as a file: they are not settings. A value
 * that is not a status (say `"state": "on"`) is left in and validated like any parameter.
 */
export function withoutProviderStatus(document: unknown): unknown {
  if (!isPlainObject(document)) return document;
  // structuredClone keeps keys such as "__proto__" as own data properties, for the validator to refuse.
  const copy = structuredClone(document);
  for (const providers of Object.values(copy)) {
    if (!isPlainObject(providers)) continue;
    for (const settings of Object.values(providers)) {
      if (!isPlainObject(settings)) continue;
      for (const [field, isStatus] of STATUS_FIELDS) {
        if (Object.prototype.hasOwnProperty.call(settings, field) && isStatus(settings[field])) delete settings[field];
      }
    }
  }
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function secretParameterNamesSafe(type: string): string[] {
  return isConnectorType(type) ? secretParameterNames(type) : ['CLIENT_SECRET', 'CONSUMER_SECRET'];
}

/** 400 invalid_configuration listing every error with its JSON pointer. */
export function invalidConfiguration(errors: ValidationError[]): ApiError {
  const listed = errors.map((e) => ({ path: e.path, message: e.message }));
  return new ApiError(400, 'invalid_configuration', `The configuration has ${listed.length} error(s); nothing was loaded.`, { errors: listed });
}

/** 409 provider_in_use naming each provider and the connectors using it. */
export function providerInUse(conflicts: ProviderConflict[], plan?: LoadPlan): ApiError {
  const names = conflicts.map((c) => `${c.type}/${c.provider} (used by ${c.connectors.join(', ')})`).join('; ');
  return new ApiError(409, 'provider_in_use', `In-use providers can only have their secret changed; nothing was written. Conflicts: ${names}.`, {
    conflicts,
    ...(plan ? { plan } : {}),
  });
}

/** 409 provider_in_use for a delete: which connectors (how many) use the provider, and what to do first. */
export function providerInUseAtDelete(conflict: ProviderConflict): ApiError {
  const count = conflict.connectors.length;
  const message =
    `Provider ${conflict.type}/${conflict.provider} is used by ${count} connector${count === 1 ? '' : 's'} (${conflict.connectors.join(', ')}); nothing was deleted. ` +
    `Delete ${count === 1 ? 'that connector' : 'those connectors'} first (DELETE /api/connectors/:id on flow-oauth-server, or from the connectors page), then delete the provider.`;
  return new ApiError(409, 'provider_in_use', message, { conflicts: [conflict] });
}

/** A load's plan as its audit entry keeps it: the providers added, updated and in conflict by name, the unchanged counted. */
function planDetail(plan: LoadPlan): Record<string, unknown> {
  const names = (refs: ProviderRef[]) => refs.slice(0, AUDIT_PLAN_NAMES).map((r) => `${r.type}/${r.provider}`);
  return {
    added: names(plan.added),
    updated: names(plan.updated),
    unchanged: plan.unchanged.length,
    conflicts: plan.conflicts.slice(0, AUDIT_PLAN_NAMES).map((c) => ({ provider: `${c.type}/${c.provider}`, connectors: c.connectors })),
    counts: { added: plan.added.length, updated: plan.updated.length, unchanged: plan.unchanged.length, conflicts: plan.conflicts.length },
  };
}

export type { ProviderRef };
