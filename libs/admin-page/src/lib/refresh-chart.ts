import type { HourlyRefreshCounts } from '@flow-oauth/token-refresh';
import { escapeHtml as e } from '@flow-oauth/web-pages';

const WIDTH = 760;
const HEIGHT = 200;
const LEFT = 40;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 28;
const REFRESHED = '#198754';
const FAILED = '#dc3545';

/** The smallest 1, 2 or 5 × 10^k at or above a value: a round top for the scale. */
export function roundScale(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const hourLabel = (iso: string) => iso.slice(11, 13);

/**
 * Refreshes and failures per hour over the last 24 hours as an inline SVG, drawn here (no script, no
 * library, nothing loaded: the page's CSP holds). Two bars per hour; every bar has a <title>, and
 * the figures are in a table beside it for whoever does not read charts.
 */
export function renderRefreshChart(hours: HourlyRefreshCounts[]): string {
  const max = roundScale(Math.max(0, ...hours.map((h) => Math.max(h.refreshed, h.failed))));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(1, hours.length);
  const bar = Math.max(2, Math.floor((slot - 4) / 2));
  const y = (count: number) => TOP + plotHeight - (count / max) * plotHeight;
  const grid = [0, max / 2, max]
    .map((v) => {
      const gy = y(v).toFixed(1);
      const label = Number.isInteger(v) ? String(v) : v.toFixed(1);
      return `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${gy}" y2="${gy}" stroke="#ddd" stroke-width="1"/><text x="${LEFT - 6}" y="${gy}" dy="4" text-anchor="end" font-size="11" fill="#555">${label}</text>`;
    })
    .join('');
  const bars = hours
    .map((h, i) => {
      const x = LEFT + i * slot + (slot - 2 * bar - 1) / 2;
      const span = `${hourLabel(h.hourStart)}:00 UTC`;
      const rect = (offset: number, count: number, colour: string, what: string) => {
        const top = y(count);
        const height = Math.max(count > 0 ? 1 : 0, TOP + plotHeight - top);
        return `<rect x="${(x + offset).toFixed(1)}" y="${(TOP + plotHeight - height).toFixed(1)}" width="${bar}" height="${height.toFixed(1)}" fill="${colour}"><title>${e(`${span}: ${count} ${what}`)}</title></rect>`;
      };
      const tick = i % 3 === 0 || i === hours.length - 1 ? `<text x="${(LEFT + i * slot + slot / 2).toFixed(1)}" y="${HEIGHT - 10}" text-anchor="middle" font-size="11" fill="#555">${hourLabel(h.hourStart)}</text>` : '';
      return rect(0, h.refreshed, REFRESHED, 'refreshed') + rect(bar + 1, h.failed, FAILED, 'failed') + tick;
    })
    .join('');
  const refreshed = hours.reduce((sum, h) => sum + h.refreshed, 0);
  const failed = hours.reduce((sum, h) => sum + h.failed, 0);
  const summary = `${refreshed} refreshed and ${failed} failed in the last ${hours.length} hours`;
  const svg =
    `<svg id="refresh-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="chart-title">Token refreshes and failures per hour, last ${hours.length} hours (UTC)</title><desc id="chart-desc">${e(summary)}</desc>` +
    `${grid}${bars}<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${TOP + plotHeight}" y2="${TOP + plotHeight}" stroke="#999" stroke-width="1"/></svg>`;
  const rows = hours
    .filter((h) => h.refreshed + h.failed > 0)
    .map((h) => `<tr><td>${e(h.hourStart.slice(0, 13).replace('T', ' '))}:00 UTC</td><td class="num">${h.refreshed}</td><td class="num">${h.failed}</td></tr>`)
    .join('');
  const table = rows
    ? `<table class="list"><thead><tr><th scope="col">Hour</th><th scope="col" class="num">Refreshed</th><th scope="col" class="num">Failed</th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p class="note">No refresh in the last 24 hours.</p>';
  return (
    `<figure class="chart">${svg}<figcaption class="legend"><span class="swatch-refreshed">&#9632; refreshed</span><span class="swatch-failed">&#9632; failed</span>` +
    `<span id="chart-summary">${e(summary)}</span></figcaption></figure>` +
    `<details><summary>The figures by hour</summary>${table}</details>`
  );
}
