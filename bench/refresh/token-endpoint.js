// The token endpoint of `bench refresh`, run as a child process so it has an event loop of its own
// (the product's refreshers and the bare baseline client both call it over loopback).
//
// POST /token, grant_type=refresh_token, client authenticated with HTTP Basic. Refresh tokens
// rotate: `rt.<family>.<generation>`; only the latest generation of a family is accepted (the first
// one, generation 0, is valid until used), and every answer carries the next generation. Anything
// else (an older generation, a token used twice, an unknown form) is refused with invalid_grant and
// counted: a correct refresher causes zero refusals. node:http with keep-alive, the answer is built
// in memory: the endpoint is never the bottleneck of the figure.
//
// IPC: sends { ready: { port } } once listening; answers { cmd: 'stats' } with { stats }.
'use strict';

const http = require('node:http');

const [clientId, clientSecret, expiresInText] = process.argv.slice(2);
const expectedAuth = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
const expiresIn = Number(expiresInText) || 7200;

/** Latest accepted generation of each family (absent: generation 0 is the valid one). */
const generations = new Map();
const stats = { accepted: 0, refused: 0, clientRejected: 0, otherRequests: 0, connections: 0, peakConnections: 0, acceptedByPrefix: {} };
let open = 0;

function answer(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method !== 'POST' || req.url !== '/token') {
      stats.otherRequests += 1;
      return answer(res, 404, { error: 'not_found' });
    }
    if (req.headers.authorization !== expectedAuth) {
      stats.clientRejected += 1;
      return answer(res, 401, { error: 'invalid_client' });
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const match = /^rt\.([A-Za-z0-9_-]+)\.(\d+)$/.exec(form.get('refresh_token') ?? '');
    if (form.get('grant_type') !== 'refresh_token' || !match) {
      stats.refused += 1;
      return answer(res, 400, { error: 'invalid_grant', error_description: 'not a refresh token of this endpoint' });
    }
    const [, family, generationText] = match;
    const generation = Number(generationText);
    if (generation !== (generations.get(family) ?? 0)) {
      stats.refused += 1;
      return answer(res, 400, { error: 'invalid_grant', error_description: 'refresh token already used or superseded' });
    }
    const next = generation + 1;
    generations.set(family, next);
    stats.accepted += 1;
    const prefix = family.replace(/\d+$/, '');
    stats.acceptedByPrefix[prefix] = (stats.acceptedByPrefix[prefix] ?? 0) + 1;
    return answer(res, 200, { access_token: `at.${family}.${next}`, token_type: 'Bearer', expires_in: expiresIn, refresh_token: `rt.${family}.${next}` });
  });
});
server.keepAliveTimeout = 30_000;
server.on('connection', (socket) => {
  stats.connections += 1;
  open += 1;
  stats.peakConnections = Math.max(stats.peakConnections, open);
  socket.on('close', () => (open -= 1));
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ ready: { port: server.address().port } });
});
process.on('message', (message) => {
  if (message && message.cmd === 'stats') process.send?.({ stats: { ...stats, acceptedByPrefix: { ...stats.acceptedByPrefix } } });
});
// The bench went away: so do we.
process.on('disconnect', () => process.exit(0));
