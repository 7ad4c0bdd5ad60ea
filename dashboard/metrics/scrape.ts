// Scrapes every proxy's Prometheus endpoint, as Prometheus would in a cluster: the
// status port's merged /stats/prometheus (15020, what Istio's prometheus.io
// annotations point at) or, when that does not answer, the admin's. A proxy that
// cannot be scraped is left out of this round and named in `errors`.
import http from 'node:http';
import { parseExposition, type MetricFamily } from './prom-text.ts';

export interface MetricsTarget {
  /** The pod, added to every series as label `pod` (Kubernetes service discovery does the same). */
  name: string;
  /** Tried in order; the first that answers 200 is used. */
  urls: string[];
}

export interface Scrape {
  target: MetricsTarget;
  families: MetricFamily[];
}

export interface ScrapeRound {
  at: number;
  scrapes: Scrape[];
  errors: string[];
}

function get(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(body)
          : reject(new Error(`${url}: HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

async function scrapeOne(target: MetricsTarget, timeoutMs: number): Promise<Scrape> {
  let last: Error | undefined;
  for (const url of target.urls) {
    try {
      return { target, families: parseExposition(await get(url, timeoutMs)) };
    } catch (err) {
      last = err as Error;
    }
  }
  throw new Error(`${target.name}: ${last?.message ?? 'no scrape URL'}`);
}

export async function scrapeAll(
  targets: readonly MetricsTarget[],
  timeoutMs = 1500,
): Promise<ScrapeRound> {
  const at = Date.now();
  const results = await Promise.allSettled(targets.map((t) => scrapeOne(t, timeoutMs)));
  const scrapes: Scrape[] = [];
  const errors: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') scrapes.push(r.value);
    else errors.push((r.reason as Error).message);
  }
  return { at, scrapes, errors };
}
