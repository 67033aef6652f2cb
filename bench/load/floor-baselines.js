// The physical floor of a load, measured beside the product: the same body POSTed to a route that
// does nothing, and the same rows written by a bare better-sqlite3 transaction (or read back, for
// a no-op re-load) in a table with the product's own schema and pragmas.
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { createClient } = require('./keep-alive-client');

/** A bare node:http server that reads the whole body and answers `{}`. */
async function startNoOpServer() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = createClient(`http://127.0.0.1:${server.address().port}`);
  return {
    /** Milliseconds to POST `body` and read the answer. */
    async post(body) {
      const { ms } = await client.request('POST', '/', body);
      return ms;
    },
    async close() {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The product's `providers` rows and schema, read from its database file after a load. */
function readProviderRows(databaseFile) {
  const db = new Database(databaseFile, { readonly: true, fileMustExist: true });
  try {
    const ddl = db
      .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'providers' AND sql IS NOT NULL ORDER BY type DESC")
      .all()
      .map((r) => r.sql);
    const rows = db.prepare('SELECT * FROM providers').all();
    return { ddl, rows };
  } finally {
    db.close();
  }
}

/**
 * Milliseconds for a bare transaction inserting `rows` into a fresh file with the same schema and
 * the product's pragmas (WAL, synchronous NORMAL), and for reading them all back.
 */
function sqliteFloor({ ddl, rows }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-bench-sqlite-'));
  const db = new Database(path.join(dir, 'floor.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    for (const sql of ddl) db.exec(sql);
    const columns = Object.keys(rows[0]);
    const insert = db.prepare(`INSERT INTO providers (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
    const insertAll = db.transaction((list) => {
      for (const row of list) insert.run(row);
    });
    let started = process.hrtime.bigint();
    insertAll(rows);
    const writeMs = Number(process.hrtime.bigint() - started) / 1e6;
    started = process.hrtime.bigint();
    const read = db.prepare('SELECT * FROM providers').all();
    const readMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (read.length !== rows.length) throw new Error('sqlite floor: read back a different number of rows');
    return { writeMs, readMs };
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { startNoOpServer, readProviderRows, sqliteFloor };
