// The pieces of Envoy's /stats/prometheus text (source/server/admin/prometheus_stats.cc):
// families grouped counters, then gauges, then histograms, each sorted by name,
// a `# TYPE` line per family (Envoy writes no HELP), series sorted by their label
// text, a blank line after each family; histograms as cumulative `_bucket` lines
// with `le` printed in plain notation, then `+Inf`, `_sum` and `_count`.
// Written by hand because the layout must be Envoy's, and because the hot path
// (Histogram.observe) must cost no more than a few comparisons and additions.

/**
 * Envoy's default histogram buckets, which Istio keeps for every istio_* histogram
 * (durations in ms and sizes in bytes alike) unless the pod sets
 * sidecar.istio.io/statsHistogramBuckets.
 */
export const ENVOY_DEFAULT_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
];

export class Histogram {
  readonly bounds: readonly number[];
  /** Per-bucket (not cumulative) counts; the last slot holds values above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[] = ENVOY_DEFAULT_BUCKETS) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export type FamilyType = 'counter' | 'gauge' | 'histogram';

export interface Series {
  /** `k="v",k="v"` without braces; '' for none. */
  labels: string;
  value: number | Histogram;
}

export interface Family {
  name: string;
  type: FamilyType;
  series: Series[];
}

/** A Prometheus label value: backslash, double quote and newline escaped. */
export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v)
    ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : v;
}

/** Envoy's sanitizeName: anything outside [a-zA-Z0-9_] becomes `_`. */
export function sanitizeMetricName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** Envoy prints numbers with {:.32g}: integers in full, fractions without exponent for sane values. */
function num(v: number): string {
  return Number.isInteger(v) ? v.toFixed(0) : String(v);
}

function histogramLines(name: string, labels: string, h: Histogram, out: string[]): void {
  const prefix = labels === '' ? '' : `${labels},`;
  let cumulative = 0;
  for (let i = 0; i < h.bounds.length; i++) {
    cumulative += h.counts[i]!;
    out.push(`${name}_bucket{${prefix}le="${num(h.bounds[i]!)}"} ${num(cumulative)}\n`);
  }
  out.push(`${name}_bucket{${prefix}le="+Inf"} ${num(h.count)}\n`);
  out.push(`${name}_sum{${labels}} ${num(h.sum)}\n`);
  out.push(`${name}_count{${labels}} ${num(h.count)}\n`);
}

const TYPE_ORDER: Record<FamilyType, number> = { counter: 0, gauge: 1, histogram: 2 };

/** Families with the same name are merged (their series concatenated). */
export function renderFamilies(families: Iterable<Family>): string {
  const merged = new Map<string, Family>();
  for (const f of families) {
    const known = merged.get(f.name);
    if (known) known.series.push(...f.series);
    else merged.set(f.name, { name: f.name, type: f.type, series: [...f.series] });
  }
  const sorted = [...merged.values()].sort(
    (a, b) =>
      TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const out: string[] = [];
  for (const f of sorted) {
    if (f.series.length === 0) continue;
    out.push(`# TYPE ${f.name} ${f.type}\n`);
    const series = f.series.sort((a, b) =>
      a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0,
    );
    for (const s of series) {
      if (typeof s.value === 'number') out.push(`${f.name}{${s.labels}} ${num(s.value)}\n`);
      else histogramLines(f.name, s.labels, s.value, out);
    }
    out.push('\n');
  }
  return out.join('');
}
