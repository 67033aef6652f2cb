import { STYLESHEET_PATH } from './flow-stylesheet';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface PageSpec {
  /** Plain text; escaped here. */
  title: string;
  /** Colours the heading: success, failure, or neither. */
  tone?: 'ok' | 'fail';
  /** Trusted HTML: the caller escapes every value it puts in. */
  body: string;
  /** Trusted HTML added to <head> (a meta refresh). */
  head?: string;
  /** Path of FLOW_PUBLIC_URL (empty unless Flow is served under a path), so the stylesheet link works behind a proxy. */
  basePath?: string;
}

/** A complete page in the house layout: no script, styles from the app's stylesheet only. */
export function renderPage(spec: PageSpec): string {
  const title = escapeHtml(spec.title);
  const tone = spec.tone ? ` class="${spec.tone}"` : '';
  const stylesheet = escapeHtml(`${spec.basePath ?? ''}${STYLESHEET_PATH}`);
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} - Flow OAuth</title>${spec.head ?? ''}` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="stylesheet" href="${stylesheet}">` +
    `</head><body><h1${tone}>${title}</h1>${spec.body}</body></html>`
  );
}

/** The path part of FLOW_PUBLIC_URL without a trailing slash ('' when Flow is served at the root). */
export function publicBasePath(publicUrl: string): string {
  return new URL(publicUrl).pathname.replace(/\/+$/, '');
}
