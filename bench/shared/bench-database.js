// A fresh, empty database for one bench run: a SQLite file in the run's folder, or a new PostgreSQL
// database on the server of TEST_POSTGRES_URL (dropped afterwards).
'use strict';

const path = require('node:path');

const POSTGRES_URL = process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** `{ url, drop() }` for DATABASE_URL. `name` must be a valid identifier suffix (letters, digits, _). */
async function createBenchDatabase(kind, dir, name) {
  if (kind === 'sqlite') return { url: `sqlite:${path.join(dir, 'flow.sqlite')}`, drop: async () => undefined };
  const { Client } = require('pg');
  const database = `bench_${name}`.toLowerCase();
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

module.exports = { createBenchDatabase, POSTGRES_URL };
