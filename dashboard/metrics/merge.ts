// One exposition out of many proxies' scrapes: only Istio's standard metrics
// (istio_*), one HELP and TYPE per family, every series labelled with the `pod` it
// came from so two proxies' identical series stay distinct, as after a
// Kubernetes-discovered scrape. A series one proxy lists twice under the same labels
// is summed into one (a valid exposition has each series once; for counters and
// histogram buckets the sum is the series' value).
import { formatSample, type MetricFamily, type Sample } from './prom-text.ts';
import type { Scrape } from './scrape.ts';

export function mergeIstioFamilies(scrapes: readonly Scrape[]): MetricFamily[] {
  const merged = new Map<string, MetricFamily>();
  for (const { target, families } of scrapes) {
    for (const f of families) {
      if (!f.name.startsWith('istio_') || f.samples.length === 0) continue;
      let m = merged.get(f.name);
      if (!m) merged.set(f.name, (m = { name: f.name, type: f.type, help: f.help, samples: [] }));
      // A family typed differently by two proxies cannot be merged validly: the first type wins.
      if (m.type !== f.type) continue;
      m.help ??= f.help;
      for (const s of f.samples)
        m.samples.push({ ...s, labels: { ...s.labels, pod: target.name } });
    }
  }
  for (const m of merged.values()) m.samples = sumDuplicates(m.samples);
  return [...merged.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

function sumDuplicates(samples: Sample[]): Sample[] {
  const byKey = new Map<string, Sample>();
  for (const s of samples) {
    const key = formatSample({ ...s, value: 0 });
    const seen = byKey.get(key);
    if (seen) seen.value += s.value;
    else byKey.set(key, { ...s });
  }
  return [...byKey.values()];
}
