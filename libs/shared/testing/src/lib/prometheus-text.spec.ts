import { Counter, Histogram, Registry } from 'prom-client';
import { parsePrometheusText } from './prometheus-text';

describe('parsePrometheusText', () => {
  it("reads what prom-client writes: types, labels with escapes, histogram buckets and sums", async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'demo_total', help: 'a "demo"\ncounter', labelNames: ['route'], registers: [registry] });
    counter.inc({ route: '/a/:id' }, 2);
    counter.inc({ route: 'quote " back \\ slash\nnewline' });
    const histogram = new Histogram({ name: 'demo_seconds', help: 'h', buckets: [0.1, 1], registers: [registry] });
    histogram.observe(0.5);
    const parsed = parsePrometheusText(await registry.metrics());
    expect(parsed.types.get('demo_total')).toBe('counter');
    expect(parsed.types.get('demo_seconds')).toBe('histogram');
    expect(parsed.sum('demo_total', { route: '/a/:id' })).toBe(2);
    expect(parsed.sum('demo_total', { route: 'quote " back \\ slash\nnewline' })).toBe(1);
    expect(parsed.sum('demo_seconds_bucket', { le: '0.1' })).toBe(0);
    expect(parsed.sum('demo_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(parsed.sum('demo_seconds_count')).toBe(1);
  });

  it('reads NaN and infinities in any case, as Prometheus does (prom-client writes `Nan`)', () => {
    const parsed = parsePrometheusText('a Nan\nb +Inf\nc -inf\nd 1.5e3\n');
    expect(parsed.find('a')[0].value).toBeNaN();
    expect([parsed.sum('b'), parsed.sum('c'), parsed.sum('d')]).toEqual([Infinity, -Infinity, 1500]);
  });

  it.each([
    ['a sample without a value', 'demo_total{a="b"}'],
    ['an unquoted label value', 'demo_total{a=b} 1'],
    ['a value that is not a number', 'demo_total 1x'],
    ['an unknown type', '# TYPE demo_total countr'],
    ['an HTML page', '<html>nope</html>'],
  ])('refuses %s', (_what, line) => {
    expect(() => parsePrometheusText(`${line}\n`)).toThrow(/line 1 of the metrics text/);
  });
});
