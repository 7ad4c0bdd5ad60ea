// The status port's /stats/prometheus (15020), as pilot-agent serves it: the proxy's
// metrics, then the application's own metrics scraped from the port and path its
// pod asked Prometheus to scrape. Istio's injector rewrites the pod's prometheus.io
// annotations to point at 15020 and hands the original ones to the agent in
// ISTIO_PROMETHEUS_ANNOTATIONS (`{"scrape":"true","port":"8080","path":"/metrics"}`).
// When the application cannot be scraped the proxy's metrics are served alone.
import type { IncomingMessage } from 'node:http';
import { errorLine, TelemetryError } from './errors.ts';

export interface AppMetricsTarget {
  port: number;
  /** Default /metrics, as Prometheus assumes. */
  path: string;
  /** Where the app listens; Istio scrapes it on localhost. */
  host: string;
}

/**
 * The app's scrape target from ISTIO_PROMETHEUS_ANNOTATIONS (or the same keys
 * from pod annotations); undefined when the pod does not ask to be scraped.
 */
export function appTargetFromAnnotations(
  value: string | Record<string, string> | undefined,
  host = '127.0.0.1',
): AppMetricsTarget | undefined {
  if (value === undefined || value === '') return undefined;
  let a: Record<string, unknown>;
  if (typeof value === 'string') {
    try {
      a = JSON.parse(value) as Record<string, unknown>;
    } catch (err) {
      throw new TelemetryError(
        'PETREL_TELEMETRY_CONFIG',
        `ISTIO_PROMETHEUS_ANNOTATIONS: not JSON (${errorLine(err)})`,
      );
    }
    if (!a || typeof a !== 'object' || Array.isArray(a)) {
      throw new TelemetryError(
        'PETREL_TELEMETRY_CONFIG',
        'ISTIO_PROMETHEUS_ANNOTATIONS: want a JSON object',
      );
    }
  } else {
    a = {
      scrape: value['prometheus.io/scrape'] ?? value.scrape,
      port: value['prometheus.io/port'] ?? value.port,
      path: value['prometheus.io/path'] ?? value.path,
    };
  }
  if (String(a.scrape ?? '').toLowerCase() !== 'true') return undefined;
  const portText = String(a.port ?? '');
  if (portText === '') return undefined;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TelemetryError(
      'PETREL_TELEMETRY_CONFIG',
      `prometheus.io/port: "${portText}" is not a port number`,
    );
  }
  let path = typeof a.path === 'string' && a.path !== '' ? a.path : '/metrics';
  if (!path.startsWith('/')) path = `/${path}`;
  return { port, path, host };
}

export interface MergedMetricsOptions {
  /** The proxy's Prometheus text (what 15090 serves). */
  proxy: () => string | Promise<string>;
  app?: AppMetricsTarget;
  /** Used when the scraper sends no X-Prometheus-Scrape-Timeout-Seconds. */
  timeoutMs?: number;
  onError?: (line: string) => void;
}

export interface MergedMetrics {
  /** The status server's `metrics` hook. */
  handle(req?: IncomingMessage): Promise<string>;
  readonly scrapes: number;
  readonly failures: number;
}

function scrapeTimeout(req: IncomingMessage | undefined, fallback: number): number {
  const h = req?.headers['x-prometheus-scrape-timeout-seconds'];
  const s = Number(Array.isArray(h) ? h[0] : h);
  return Number.isFinite(s) && s > 0 ? Math.min(fallback, s * 1000) : fallback;
}

async function scrapeApp(
  target: AppMetricsTarget,
  req: IncomingMessage | undefined,
  timeoutMs: number,
): Promise<string> {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const url = `http://${host}:${target.port}${target.path}`;
  const accept = req?.headers.accept;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: accept ? { accept: Array.isArray(accept) ? accept.join(', ') : accept } : {},
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw new TelemetryError(
      'PETREL_TELEMETRY_APP_SCRAPE',
      `scraping ${url}: ${errorLine(cause ?? err)}`,
    );
  }
  const body = await res.text();
  if (!res.ok)
    throw new TelemetryError('PETREL_TELEMETRY_APP_SCRAPE', `scraping ${url}: HTTP ${res.status}`);
  return body;
}

export function createMergedMetrics(options: MergedMetricsOptions): MergedMetrics {
  let scrapes = 0;
  let failures = 0;
  const fallbackTimeout = options.timeoutMs ?? 10_000;
  return {
    get scrapes() {
      return scrapes;
    },
    get failures() {
      return failures;
    },
    async handle(req?: IncomingMessage): Promise<string> {
      const proxyText = Promise.resolve().then(options.proxy);
      let appText = '';
      if (options.app) {
        scrapes++;
        try {
          appText = await scrapeApp(options.app, req, scrapeTimeout(req, fallbackTimeout));
        } catch (err) {
          failures++;
          options.onError?.(errorLine(err));
        }
      }
      let text = await proxyText;
      if (options.app) {
        // pilot-agent's own counters of application scrapes.
        text +=
          `# TYPE istio_agent_scrapes_total counter\nistio_agent_scrapes_total{type="application"} ${scrapes}\n\n` +
          `# TYPE istio_agent_scrape_failures_total counter\nistio_agent_scrape_failures_total{type="application"} ${failures}\n\n`;
      }
      if (appText === '') return text;
      // An OpenMetrics app ends with `# EOF`; the merged text is the classic format, so drop it.
      const app = appText.replace(/^# EOF\s*$/m, '');
      return `${text}${app}${app.endsWith('\n') ? '' : '\n'}`;
    },
  };
}
