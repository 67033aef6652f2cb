import { ApiError } from '@flow-oauth/http-common';

/** `?dryRun=true|false|1|0`; anything else is a 400, not a silent real load. */
export function parseDryRun(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
  }
  throw new ApiError(400, 'invalid_request', 'dryRun must be true or false.');
}
