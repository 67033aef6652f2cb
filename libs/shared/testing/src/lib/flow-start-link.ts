import { type HttpSession, readForm, type SessionResponse } from './http-session';

/** What opening a Flow start link led to: the provider URL the browser was sent to, and the confirmation page if one was shown. */
export interface StartLinkPassage {
  providerUrl: string;
  /** The confirmation page (absent when a Flow session of the owner went straight on). */
  confirmation?: SessionResponse;
  /** The 303 (or 302) that sent the browser to the provider. */
  redirect: SessionResponse;
}

/**
 * Opens a Flow start link (`authorizeUrl` of POST /api/connectors/authorizations) in a cookie-keeping
 * client as a person would: on the confirmation page, it parses the form and submits it. Returns where
 * Flow sent the browser (the provider's authorize URL), without going there. Throws on any other answer.
 */
export async function openStartLink(session: HttpSession, startUrl: string): Promise<StartLinkPassage> {
  const first = await session.request('GET', startUrl);
  if (isRedirect(first)) return { providerUrl: new URL(first.headers.location as string, first.url).toString(), redirect: first };
  const form = first.status === 200 ? readForm(first.body) : undefined;
  if (!form) throw new Error(`start link answered ${first.status}: ${pageText(first.body)}`);
  const posted = await session.request('POST', new URL(form.action, first.url).toString(), form.hidden);
  if (!isRedirect(posted)) throw new Error(`confirmation form answered ${posted.status}: ${pageText(posted.body)}`);
  return { providerUrl: new URL(posted.headers.location as string, posted.url).toString(), confirmation: first, redirect: posted };
}

/** The text of an HTML page, tags stripped and spaces collapsed (for error messages and assertions). */
export function pageText(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 400);
}

function isRedirect(res: SessionResponse): boolean {
  return res.status >= 300 && res.status < 400 && typeof res.headers.location === 'string';
}
