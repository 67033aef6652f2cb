import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpSession, type OidcTestServer, openStartLink, pageText } from '@flow-oauth/testing';
import type { Deployment } from './deployment';

/** The connector as `GET /api/connectors` shows it (tests read it loosely). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConnectorAnswer = Record<string, any> & { id: string; label: string; status: string };

/** An odata provider on the test OAuth server, with the server's userinfo endpoint as its validate request (unless `validate` is false). */
export function oidcProvider(oidc: OidcTestServer, clientId: string, clientSecret: string, tokenUrl = oidc.tokenEndpoint, validate = true): Record<string, unknown> {
  return {
    CLIENT_ID: clientId,
    CLIENT_SECRET: clientSecret,
    oauth2_auth_url: oidc.authorizationEndpoint,
    oauth2_token_url: tokenUrl,
    oauth2_client_auth: 'client_secret_post',
    oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline"}'],
    ...(validate ? { oauth2_validate_url: oidc.userinfoEndpoint } : {}),
  };
}

/**
 * A user's sign-in through flow-oauth-server as a browser does it: start link, confirmation page,
 * the provider's sign-in (as its own account), the return page. Returns the stored connector.
 */
export async function signIn(d: Deployment, oidc: OidcTestServer, userKey: string, provider: string, label: string): Promise<ConnectorAnswer> {
  const start = await d.call('flow-oauth-server', 'POST', '/api/connectors/authorizations', { key: userKey, body: { type: 'odata', provider, label } });
  if (start.status !== 201) throw new Error(`sign-in of ${label} not started: ${start.status} ${start.text}`);
  const browser = new HttpSession();
  const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl);
  const back = await oidc.completeAuthorization(providerUrl, { login: `account-of-${label}` });
  const page = await browser.request('GET', back);
  if (page.status !== 200) throw new Error(`sign-in of ${label} failed: ${page.status} ${pageText(page.body)}`);
  return connectorByLabel(d, userKey, label);
}

export async function connectorByLabel(d: Deployment, key: string, label: string): Promise<ConnectorAnswer> {
  const list = await d.call('flow-oauth-server', 'GET', '/api/connectors', { key });
  const found = (list.json as ConnectorAnswer[]).find((c) => c.label === label);
  if (!found) throw new Error(`no connector ${label}`);
  return found;
}

/**
 * An HTTP hop in front of the test OAuth server's token endpoint that removes `expires_in` from
 * its answers: a provider that does not say when its tokens expire. The tokens stay the real ones.
 */
export async function startExpiryStripper(target: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const upstream = http.request(target, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          let body = Buffer.concat(parts).toString('utf8');
          try {
            const json = JSON.parse(body) as Record<string, unknown>;
            delete json['expires_in'];
            body = JSON.stringify(json);
          } catch {
            // not JSON: pass it on as it is
          }
          res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/json', 'cache-control': 'no-store' });
          res.end(body);
        });
      });
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
