import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { type ApiDocumentOptions, buildApiDocument } from './api-document';

export const API_DOCS_PATH = '/api/docs';
export const API_DOCS_JSON_PATH = '/api/docs-json';

/** The swagger-ui files the page loads, served from `swagger-ui-dist` in node_modules (no CDN). */
const SWAGGER_UI_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Starts swagger-ui on the page's element, with the document URL the element names (so the page holds no script of its own). */
const INIT_SCRIPT = `window.addEventListener('load', function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({ url: root.getAttribute('data-spec-url'), dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: false });
});
`;

/**
 * The policy of the docs page. swagger-ui is a script bundle, so `script-src 'self'` (its bundle and
 * the init file, both files of this origin: no inline script); `connect-src 'self'` for the document and
 * "Try it out"; `img-src 'self' data:` for the icons its stylesheet inlines. Nothing from the internet.
 */
export const API_DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `GET /api/docs` (swagger-ui) and `GET /api/docs-json` (the OpenAPI document) on an app, public like
 * /health: they describe routes, never hold a key or a secret. The page is our own small HTML rather
 * than @nestjs/swagger's SwaggerModule.setup, whose page carries an inline <style> and inline
 * attributes the strict CSP of SPEC section 5 refuses. The document is built on first request (every
 * route is registered by then) and kept.
 */
export function mountApiDocs(app: INestApplication, options: ApiDocumentOptions & { basePath: string }): void {
  let document: OpenAPIObject | undefined;
  const documentOf = () => (document ??= buildApiDocument(app, options));
  // swagger-ui-dist (a dependency of @nestjs/swagger) ships no types: its folder is found by its package.json.
  const assets = dirname(require.resolve('swagger-ui-dist/package.json'));
  app.use(API_DOCS_JSON_PATH, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.status(200).set({ 'cache-control': 'no-store' }).json(documentOf());
  });
  app.use(API_DOCS_PATH, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const name = req.path.replace(/^\/+/, '');
    res.set({ 'content-security-policy': API_DOCS_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
    if (name === '') {
      res.status(200).set({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).send(docsPage(options.title, options.basePath));
      return;
    }
    if (name === 'flow-docs-init.js') {
      res.status(200).set({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' }).send(INIT_SCRIPT);
      return;
    }
    const type = Object.hasOwn(SWAGGER_UI_FILES, name) ? SWAGGER_UI_FILES[name] : undefined;
    if (!type) return next();
    res.set({ 'content-type': type, 'cache-control': 'public, max-age=3600' }).sendFile(join(assets, name));
  });
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function docsPage(title: string, basePath: string): string {
  const at = (path: string) => escapeAttribute(`${basePath}${path}`);
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeAttribute(title)}</title>` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<link rel="stylesheet" href="${at(`${API_DOCS_PATH}/swagger-ui.css`)}"><link rel="icon" type="image/png" href="${at(`${API_DOCS_PATH}/favicon-32x32.png`)}">` +
    `</head><body><div id="swagger-ui" data-spec-url="${at(API_DOCS_JSON_PATH)}"></div>` +
    `<script src="${at(`${API_DOCS_PATH}/swagger-ui-bundle.js`)}"></script><script src="${at(`${API_DOCS_PATH}/flow-docs-init.js`)}"></script></body></html>`
  );
}
