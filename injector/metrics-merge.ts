// Istio's metrics merging: Prometheus is pointed at the agent's status port,
// which serves the proxy's istio_* metrics together with the app's own (scraped
// by the agent from where the app's prometheus.io/* annotations said).
import { ANNOTATION, PORTS } from './names.ts';

export const MERGED_METRICS_PATH = '/stats/prometheus';

export interface MetricsMerge {
  /** The prometheus.io/* annotations to set on the pod. */
  annotations: Record<string, string>;
  /** The app's own scrape settings (ISTIO_PROMETHEUS_ANNOTATIONS), empty when it had none. */
  appScrape: Record<string, string>;
}

export function metricsMerge(
  annotations: Readonly<Record<string, string>>,
  enabled: boolean,
): MetricsMerge | undefined {
  if (!enabled) return undefined;
  // The app said "do not scrape me": merging would scrape it anyway.
  if (annotations[ANNOTATION.prometheusScrape]?.toLowerCase() === 'false') return undefined;
  // Already pointing at the agent (a re-injected pod, or the user chose so).
  if (annotations[ANNOTATION.prometheusPort] === String(PORTS.status)) return undefined;
  const appScrape: Record<string, string> = {};
  for (const [field, key] of [
    ['scrape', ANNOTATION.prometheusScrape],
    ['path', ANNOTATION.prometheusPath],
    ['port', ANNOTATION.prometheusPort],
  ] as const) {
    const v = annotations[key];
    if (v !== undefined && v !== '') appScrape[field] = v;
  }
  return {
    annotations: {
      [ANNOTATION.prometheusScrape]: 'true',
      [ANNOTATION.prometheusPort]: String(PORTS.status),
      [ANNOTATION.prometheusPath]: MERGED_METRICS_PATH,
    },
    appScrape,
  };
}
