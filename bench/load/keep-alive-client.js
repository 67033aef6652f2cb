// The bench's HTTP client: node:http with one keep-alive socket, the fastest bare client here
// (fetch is several times slower against a local endpoint and would flatter the ratios).
'use strict';

const http = require('node:http');

/** A client bound to one origin; `request` resolves `{ status, text, ms }` once the whole body arrived. */
function createClient(baseUrl, headers = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const origin = new URL(baseUrl);
  return {
    request(method, route, body, extraHeaders = {}) {
      const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
      return new Promise((resolve, reject) => {
        const started = process.hrtime.bigint();
        const req = http.request(
          {
            agent,
            host: origin.hostname,
            port: origin.port,
            method,
            path: route,
            headers: {
              ...headers,
              ...extraHeaders,
              ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
            },
          },
          (res) => {
            const chunks = [];
            res.on('data', (chunk) => chunks.push(chunk));
            res.on('end', () => {
              const ms = Number(process.hrtime.bigint() - started) / 1e6;
              resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), ms });
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

module.exports = { createClient };
