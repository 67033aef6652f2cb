import { isIP } from 'node:net';

/** Express's `trust proxy` value: off, every hop, a number of hops, or the proxies' addresses / subnets / names. */
export type TrustProxySetting = boolean | number | string[];

export interface Parsed<T> {
  value: T;
  problem?: string;
  warning?: string;
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
// proxy-addr's names for the reserved ranges (what Express accepts besides addresses and subnets).
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** FLOW_BIND_HOST: an IPv4 or IPv6 address (0.0.0.0 or :: for every interface) or a host name; undefined when not set. */
export function parseBindHost(text: string | undefined): Parsed<string | undefined> {
  if (text === undefined) return { value: undefined };
  if (isIP(text) !== 0 || HOST_NAME.test(text)) return { value: text };
  return {
    value: undefined,
    problem: 'FLOW_BIND_HOST must be an IP address (127.0.0.1, ::1, 0.0.0.0 or :: for every interface) or a host name, without brackets or a port',
  };
}

/**
 * FLOW_TRUST_PROXY: `false` (default), `true`, a number of proxy hops, or a comma-separated list of
 * the proxies' addresses, subnets (10.0.0.0/8) or `loopback` / `linklocal` / `uniquelocal`.
 */
export function parseTrustProxy(text: string | undefined): Parsed<TrustProxySetting> {
  if (text === undefined || /^(false|0|no|off)$/i.test(text)) return { value: false };
  if (/^(true|yes|on)$/i.test(text)) {
    return {
      value: true,
      // With every hop trusted, X-Forwarded-For decides the client address: any client could pick a
      // new address per request and never be throttled. Acceptable only behind a proxy that overwrites it.
      warning: 'FLOW_TRUST_PROXY=true trusts X-Forwarded-For from any client; name the proxy (its address or subnet) or the number of hops instead',
    };
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops <= 100) return { value: hops };
  }
  const entries = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length > 0 && entries.every(isProxyEntry)) return { value: entries };
  return {
    value: false,
    problem: 'FLOW_TRUST_PROXY must be false, true, a number of proxy hops (up to 100), or a comma-separated list of proxy addresses, subnets (10.0.0.0/8) or loopback / linklocal / uniquelocal',
  };
}

function isProxyEntry(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  if (slash < 0) return true;
  const prefix = entry.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
