import { parsePrometheusText } from '@flow-oauth/testing';
import { Registry } from 'prom-client';
import { REFRESH_OUTCOMES, RefreshMetrics } from './refresh-metrics';

describe('RefreshMetrics', () => {
  it('counts outcomes by kind, times each refresh and records the lag of scheduled ones only', async () => {
    const registry = new Registry();
    const metrics = new RefreshMetrics(registry);
    metrics.recordOutcome('refreshed', 0.12, 1.5);
    metrics.recordOutcome('refreshed', 0.3, 40);
    metrics.recordOutcome('provider_error', 2, 0.2);
    metrics.recordOutcome('fresh', 0.001);
    const m = parsePrometheusText(await registry.metrics());
    expect(m.types.get('flow_refresh_outcomes_total')).toBe('counter');
    expect(m.sum('flow_refresh_outcomes_total', { outcome: 'refreshed' })).toBe(2);
    expect(m.sum('flow_refresh_outcomes_total', { outcome: 'provider_error' })).toBe(1);
    expect(m.sum('flow_refresh_outcomes_total', { outcome: 'fresh' })).toBe(1);
    // Every known outcome is there from the start, at zero.
    expect(m.find('flow_refresh_outcomes_total').map((s) => s.labels['outcome']).sort()).toEqual([...REFRESH_OUTCOMES].sort());
    expect(m.sum('flow_refresh_outcomes_total', { outcome: 'needs_reauth' })).toBe(0);
    expect(m.sum('flow_refresh_duration_seconds_count', { outcome: 'refreshed' })).toBe(2);
    expect(m.sum('flow_refresh_duration_seconds_sum', { outcome: 'refreshed' })).toBeCloseTo(0.42);
    expect(m.sum('flow_refresh_duration_seconds_bucket', { outcome: 'refreshed', le: '0.25' })).toBe(1);
    // The on-demand refresh (no lag given) is not in the lag histogram.
    expect(m.sum('flow_refresh_lag_seconds_count')).toBe(3);
    expect(m.sum('flow_refresh_lag_seconds_bucket', { le: '30' })).toBe(2);
  });

  it('reads the backlog once per scrape for both gauges; a read that fails shows NaN, not an empty backlog; a slow read serves the next scrape instead of another piling up', async () => {
    const registry = new Registry();
    const metrics = new RefreshMetrics(registry);
    let reads = 0;
    let answer: () => Promise<{ due: number; oldestMs: number | undefined }> = async () => ({ due: 7, oldestMs: Date.now() - 90_000 });
    metrics.trackBacklog(() => {
      reads += 1;
      return answer();
    });
    let m = parsePrometheusText(await registry.metrics());
    expect(reads).toBe(1);
    expect(m.sum('flow_refresh_due_connectors')).toBe(7);
    expect(m.sum('flow_refresh_oldest_due_seconds')).toBeGreaterThanOrEqual(90);
    expect(m.sum('flow_refresh_oldest_due_seconds')).toBeLessThan(100);

    answer = async () => {
      throw new Error('database unavailable (test)');
    };
    await new Promise((r) => setTimeout(r, 5));
    m = parsePrometheusText(await registry.metrics());
    expect(m.find('flow_refresh_due_connectors', {})[0].value).toBeNaN();
    expect(m.find('flow_refresh_oldest_due_seconds', {})[0].value).toBeNaN();

    // A read that outlives the scrape's deadline (2 s): the next scrape waits on it, no second read starts.
    let finish!: (value: { due: number; oldestMs: number | undefined }) => void;
    answer = () => new Promise((resolve) => (finish = resolve));
    await new Promise((r) => setTimeout(r, 5));
    const before = reads;
    m = parsePrometheusText(await registry.metrics());
    expect(m.find('flow_refresh_due_connectors', {})[0].value).toBeNaN();
    const next = registry.metrics();
    finish({ due: 0, oldestMs: undefined });
    m = parsePrometheusText(await next);
    expect(reads).toBe(before + 1);
    expect(m.sum('flow_refresh_due_connectors')).toBe(0);
    expect(m.sum('flow_refresh_oldest_due_seconds')).toBe(0);
  }, 10_000);
});
