// The dashboard's metrics: the exposition format read and written back, several
// proxies merged into one valid exposition, and the graph's rate, error rate and
// p99 per edge computed from two scrapes.
import { describe, expect, it } from 'vitest';
import { buildGraph, quantile } from '../../../dashboard/metrics/graph.ts';
import { mergeIstioFamilies } from '../../../dashboard/metrics/merge.ts';
import {
  parseExposition,
  parseSample,
  renderExposition,
} from '../../../dashboard/metrics/prom-text.ts';
import { SAMPLE_CALLS, exposition } from '../support/sample-metrics.ts';

describe('Prometheus text', () => {
  it('reads labels with escapes, special values and histogram families', () => {
    expect(parseSample('a_total{x="q\\"uote\\\\",y="n\\nl"} 3 1700000000')).toEqual({
      name: 'a_total',
      labels: { x: 'q"uote\\', y: 'n\nl' },
      value: 3,
    });
    expect(parseSample('b{le="+Inf"} +Inf')?.value).toBe(Infinity);
    const fams = parseExposition(
      '# HELP h some help\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\nplain 1\n',
    );
    expect(fams.map((f) => [f.name, f.type, f.help, f.samples.length])).toEqual([
      ['h', 'histogram', 'some help', 4],
      ['plain', 'untyped', undefined, 1],
    ]);
  });

  it('writes what it read back unchanged', () => {
    const text =
      '# HELP h some help\n# TYPE h histogram\nh_bucket{le="1",x="a\\"b"} 1\nh_bucket{le="+Inf",x="a\\"b"} 2\nh_sum{x="a\\"b"} 3\nh_count{x="a\\"b"} 2\n';
    expect(renderExposition(parseExposition(text))).toBe(text);
  });
});

describe('merged istio_* metrics', () => {
  const scrapes = [
    {
      target: { name: 'productpage-v1', urls: [] },
      families: parseExposition(
        exposition(SAMPLE_CALLS.filter((c) => c.from === 'productpage-v1')),
      ),
    },
    {
      target: { name: 'reviews-v2', urls: [] },
      families: parseExposition(exposition(SAMPLE_CALLS.filter((c) => c.from === 'reviews-v2'))),
    },
  ];

  it('has one TYPE per family, only istio_* families, and the pod on every series', () => {
    const text = renderExposition(mergeIstioFamilies(scrapes));
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE'));
    expect(types).toEqual([
      '# TYPE istio_request_duration_milliseconds histogram',
      '# TYPE istio_requests_total counter',
    ]);
    expect(text).not.toContain('envoy_');
    const series = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(series.every((l) => /pod="(productpage-v1|reviews-v2)"/.test(l))).toBe(true);
    expect(new Set(series.map((l) => l.slice(0, l.lastIndexOf(' ')))).size).toBe(series.length);
  });

  it('sums a series a proxy listed twice', () => {
    const twice =
      '# TYPE istio_requests_total counter\nistio_requests_total{a="1"} 2\nistio_requests_total{a="1"} 3\n';
    const merged = mergeIstioFamilies([
      { target: { name: 'p', urls: [] }, families: parseExposition(twice) },
    ]);
    expect(renderExposition(merged)).toBe(
      '# TYPE istio_requests_total counter\nistio_requests_total{a="1",pod="p"} 5\n',
    );
  });
});

describe('service graph', () => {
  const round = (at: number, factor: number) => ({
    at,
    families: mergeIstioFamilies([
      {
        target: { name: 'all', urls: [] },
        families: parseExposition(exposition(SAMPLE_CALLS, factor)),
      },
    ]),
  });

  it('draws calling workload → service → answering workload with rate, errors and p99', () => {
    const g = buildGraph(round(0, 1), round(10_000, 2));
    const edge = (s: string, t: string) => g.edges.find((e) => e.source === s && e.target === t);
    expect(g.windowSeconds).toBe(10);
    const toReviews = edge('workload:default/productpage-v1', 'service:default/reviews')!;
    expect(toReviews.rps).toBeCloseTo(10);
    expect(toReviews.total).toBe(200);
    expect(edge('service:default/reviews', 'workload:default/reviews-v2')!.rps).toBeCloseTo(2.5);
    const ratings = edge('workload:default/reviews-v2', 'service:default/ratings')!;
    expect(ratings.errorRate).toBeCloseTo(0.2);
    expect(ratings.p99Ms).toBeGreaterThan(25);
    expect(ratings.p99Ms).toBeLessThanOrEqual(50);
    expect(
      edge('workload:istio-system/istio-ingressgateway', 'service:default/productpage'),
    ).toBeDefined();
    expect(g.nodes.find((n) => n.id === 'workload:default/reviews-v3')?.version).toBe('v3');
  });

  it('has totals but no rates from a single scrape', () => {
    const g = buildGraph(undefined, round(0, 1));
    expect(g.edges.length).toBe(11);
    expect(g.edges.every((e) => e.rps === 0 && e.total > 0)).toBe(true);
  });

  it('computes quantiles as histogram_quantile does', () => {
    const b = new Map([
      [1, 0],
      [5, 50],
      [10, 100],
      [Infinity, 100],
    ]);
    expect(quantile(0.5, b)).toBeCloseTo(5);
    expect(quantile(0.99, b)).toBeCloseTo(9.9);
    expect(quantile(0.99, new Map([[Infinity, 0]]))).toBeUndefined();
  });
});
