// The product side of `bench refresh` and `bench sweep`: connectors stored through the product's own
// classes, compiled from the libs into dist/ (the same code the processes run), so the tokens are
// sealed exactly as a sign-in seals them; and the one place that decides how a batch of connectors
// becomes "due at once" (it depends on how the refresh schedule is kept).
'use strict';

const { randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('../shared/dist-app');

/** A lib's public index from dist/ (built by `npm run build`). */
function distLib(lib) {
  const index = path.join(ROOT, 'dist', 'libs', ...lib.split('/'), 'src', 'index.js');
  if (!fs.existsSync(index)) throw new Error(`${path.relative(ROOT, index)} is missing: run \`npm run build\` first.`);
  return require(index);
}

/** Everything the bench needs of the product, opened on the deployment's own configuration. */
async function openProduct(env) {
  const { loadConfig } = distLib('shared/config');
  const { buildDataSourceOptions, ConnectorEntity, ProviderEntity, sqlDialect } = distLib('shared/persistence');
  const { SecretBox } = distLib('shared/secrets');
  const { ConnectorTokenStore } = distLib('token-refresh');
  const { DataSource } = require('typeorm');

  const config = loadConfig({ env, cwd: env.FLOW_DATA_DIR });
  const dataSource = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  return {
    config,
    dataSource,
    ConnectorEntity,
    ProviderEntity,
    sql: sqlDialect(dataSource),
    // The key ring the processes use: tokens sealed here open there (and are bound to their row).
    store: new ConnectorTokenStore(new SecretBox(config.encryptionKey, config.oldEncryptionKeys), config),
    async close() {
      await dataSource.destroy();
    },
  };
}

/**
 * N connectors of one provider as a sign-in stores them: each id chosen first, then its tokens
 * sealed by the product's ConnectorTokenStore (bound to that row), refresh token `rt.<family><i>.0`,
 * expiring `expiresInSeconds` from now (or at `expiresAtOf(i)`), issued a day ago (so the half-life
 * rule never makes them due earlier than expires - margin); next_refresh_at as the store computes it.
 */
function connectorRows(product, { n, provider, family, expiresInSeconds, expiresAtOf }) {
  const now = new Date().toISOString();
  const issued = new Date(Date.now() - 86_400_000);
  const expires = new Date(Date.now() + (expiresInSeconds ?? 0) * 1000);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const expiresAt = expiresAtOf ? expiresAtOf(i) : expires;
    const columns = product.store.columns(id, { accessToken: `at.${family}${i}.0`, refreshToken: `rt.${family}${i}.0`, tokenType: 'Bearer', expiresAt, metadata: {} }, null, issued);
    rows.push(
      Object.assign(new product.ConnectorEntity(), {
        id,
        label: `Bench_${family}${i}`,
        providerId: provider.id,
        type: provider.type,
        providerName: provider.name,
        owner: 'bench-user',
        params: '{}',
        tokenVersion: 1,
        createdAt: now,
        ...columns,
        metadata: '{}',
        updatedAt: issued.toISOString(),
      }),
    );
  }
  return rows;
}

async function insertRows(product, rows) {
  const repo = product.dataSource.getRepository(product.ConnectorEntity);
  for (let i = 0; i < rows.length; i += 500) await repo.insert(rows.slice(i, i + 500));
}

/** Runs `fn` over items, `width` at a time. */
async function inParallel(items, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** Time left, per connector, to store the rows before the common due instant. */
const LEAD_MS_PER_CONNECTOR = 1;
const LEAD_MS = 5000;

/**
 * Stores `rows` and makes them all due at one instant, returned (ms): the due time the lag is
 * measured from. THIS is the function to adapt when the schedule changes.
 *
 * The schedule is each connector's next_refresh_at (indexed; each token-refresher reads what is due
 * from it): the rows are written not due (a day ahead), then one UPDATE moves every next_refresh_at
 * to an instant a few seconds ahead, as production has them after a batch of sign-ins. The
 * refreshers run the whole time: nothing is paused.
 */
async function storeAllDueAtOnce(product, rows) {
  const later = new Date(Date.now() + 86_400_000).toISOString();
  for (const row of rows) row.nextRefreshAt = later;
  await insertRows(product, rows);
  const leadMs = LEAD_MS + rows.length * LEAD_MS_PER_CONNECTOR;
  const dueAt = Date.now() + leadMs;
  const due = new Date(dueAt).toISOString();
  await product.dataSource.query(`UPDATE connectors SET next_refresh_at = ${product.sql.param(1)}`, [due]);
  for (const row of rows) row.nextRefreshAt = due;
  if (Date.now() > dueAt) throw new Error(`storing ${rows.length} connectors took longer than the ${leadMs} ms lead: the figure would include it`);
  return dueAt;
}

/** How many connectors hold a token written after the seed (token_version moved on), and how many need re-authorization. */
async function refreshProgress(product) {
  const [row] = await product.dataSource.query(
    "SELECT SUM(CASE WHEN token_version > 1 THEN 1 ELSE 0 END) AS refreshed, SUM(CASE WHEN status = 'needs_reauth' THEN 1 ELSE 0 END) AS broken FROM connectors",
  );
  return { refreshed: Number(row.refreshed ?? 0), broken: Number(row.broken ?? 0) };
}

/** Time each connector's tokens were last written (ms), and its status. */
async function writeTimes(product) {
  const rows = await product.dataSource.query('SELECT updated_at, status, token_version FROM connectors');
  return rows.map((r) => ({ at: Date.parse(r.updated_at), status: r.status, version: Number(r.token_version) }));
}

/** Opens every stored refresh token and counts those not at the generation expected (the refresh was lost or doubled). */
async function wrongGenerations(product, family, generation) {
  const rows = await product.dataSource.getRepository(product.ConnectorEntity).find({ select: { id: true, accessToken: true, refreshToken: true } });
  let wrong = 0;
  for (const row of rows) {
    const token = product.store.open(row).refreshToken ?? '';
    if (!new RegExp(`^rt\\.${family}\\d+\\.${generation}$`).test(token)) wrong += 1;
  }
  return wrong;
}

/** A unique, valid FLOW_QUEUE_PREFIX / database-name suffix. */
function runId(name) {
  return `${name}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

module.exports = { connectorRows, distLib, inParallel, insertRows, openProduct, refreshProgress, runId, storeAllDueAtOnce, writeTimes, wrongGenerations };
