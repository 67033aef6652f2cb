import type { Response } from 'express';

/** A cookie a page sets: always HttpOnly (no script ever needs Flow's cookies). `maxAgeMs` 0 clears it. */
export interface BrowserCookie {
  name: string;
  value: string;
  path: string;
  sameSite: 'lax' | 'strict';
  secure: boolean;
  maxAgeMs: number;
}

/** Writes the cookies of an answer (Express turns maxAge into Max-Age and Expires). */
export function setBrowserCookies(res: Response, cookies: readonly BrowserCookie[]): void {
  for (const c of cookies) {
    res.cookie(c.name, c.value, { httpOnly: true, path: c.path, sameSite: c.sameSite, secure: c.secure, maxAge: Math.max(0, Math.floor(c.maxAgeMs)) });
  }
}
