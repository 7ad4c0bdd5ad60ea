// The status port's merged /stats/prometheus over real HTTP: the agent's status
// server with telemetry's hook, scraping a real application metrics endpoint; and
// with the app down or failing, the proxy's metrics alone.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Readiness, startStatusServer } from '../../../sidecar/agent/health.ts';
import type { ListeningServer } from '../../../sidecar/agent/http-listen.ts';
import { appTargetFromAnnotations } from '../../../sidecar/telemetry/merged-metrics.ts';
import { Telemetry } from '../../../sidecar/telemetry/telemetry.ts';
import { nodeId, nodeMetadata, record } from './support/records.ts';

const APP_METRICS =
  '# HELP app_orders_total Orders taken.\n# TYPE app_orders_total counter\napp_orders_total{shop="a"} 7\n';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function startApp(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const port = await startApp(() => {});
  await cleanup.pop()!(); // closed again: nothing listens there now
  return port;
}

async function statusServer(telemetry: Telemetry): Promise<ListeningServer> {
  const readiness = new Readiness({ initialized: () => true, notReadyReason: () => '' });
  const s = await startStatusServer({
    readiness,
    port: 0,
    host: '127.0.0.1',
    metrics: telemetry.statusMetrics,
  });
  cleanup.push(() => s.close());
  return s;
}

function telemetryScraping(port: number, path = '/metrics'): Telemetry {
  const t = new Telemetry({
    node: { id: nodeId('reviews', '10.0.0.5'), metadata: nodeMetadata('reviews', 'v1') },
    appMetrics: appTargetFromAnnotations(
      JSON.stringify({ scrape: 'true', port: String(port), path }),
    ),
    serverStats: () => [{ name: 'server.live', value: 1, type: 'gauge' }],
    log: { warn: () => {}, error: () => {} },
  });
  t.onRequestComplete(record({ direction: 'inbound', cluster: 'inbound|9080||', code: 200 }));
  return t;
}

async function scrape(
  s: ListeningServer,
): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`http://127.0.0.1:${s.port}/stats/prometheus`, {
    headers: { 'x-prometheus-scrape-timeout-seconds': '2' },
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('merged metrics on the status port', () => {
  it('serves the proxy metrics followed by the app metrics from its annotated port and path', async () => {
    let seenPath = '';
    const appPort = await startApp((req, res) => {
      seenPath = req.url ?? '';
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(APP_METRICS);
    });
    const t = telemetryScraping(appPort, '/custom/metrics');
    const { status, type, text } = await scrape(await statusServer(t));
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(seenPath).toBe('/custom/metrics');
    expect(text).toContain('istio_requests_total{reporter="destination"');
    expect(text).toContain('envoy_server_live{} 1');
    expect(text).toContain('istio_agent_scrape_failures_total{type="application"} 0');
    expect(text.endsWith(APP_METRICS)).toBe(true);
    expect(text.indexOf('istio_requests_total')).toBeLessThan(text.indexOf('app_orders_total'));
  });

  it('serves the proxy metrics alone when nothing listens on the app port, and counts the failure', async () => {
    const errors: string[] = [];
    const port = await freePort();
    const t = new Telemetry({
      node: { id: nodeId('reviews', '10.0.0.5'), metadata: nodeMetadata('reviews', 'v1') },
      appMetrics: { host: '127.0.0.1', port, path: '/metrics' },
      log: { warn: (l) => errors.push(l), error: (l) => errors.push(l) },
    });
    t.onRequestComplete(record({ direction: 'inbound', cluster: 'inbound|9080||', code: 200 }));
    const { status, text } = await scrape(await statusServer(t));
    expect(status).toBe(200);
    expect(text).toContain('istio_requests_total{');
    expect(text).not.toContain('app_orders_total');
    expect(text).toContain('istio_agent_scrape_failures_total{type="application"} 1');
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(`^telemetry: scraping http://127\\.0\\.0\\.1:${port}/metrics: .*ECONNREFUSED`),
      ),
    ]);
  });

  it('leaves out an app answering an error status', async () => {
    const appPort = await startApp((_req, res) => res.writeHead(500).end('app_orders_total 1\n'));
    const { text } = await scrape(await statusServer(telemetryScraping(appPort)));
    expect(text).not.toContain('app_orders_total');
    expect(text).toContain('istio_agent_scrape_failures_total{type="application"} 1');
  });

  it('serves only the proxy metrics when the pod does not ask to be scraped', async () => {
    expect(appTargetFromAnnotations(undefined)).toBeUndefined();
    expect(appTargetFromAnnotations('{"scrape":"false","port":"8080"}')).toBeUndefined();
    expect(
      appTargetFromAnnotations({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' }),
    ).toEqual({ host: '127.0.0.1', port: 8080, path: '/metrics' });
    const t = new Telemetry({
      node: { id: nodeId('reviews', '10.0.0.5'), metadata: nodeMetadata('reviews', 'v1') },
    });
    const { text } = await scrape(await statusServer(t));
    expect(text).toContain('istio_build{component="proxy",tag="1.24.0"} 1');
    expect(text).not.toContain('istio_agent_scrapes_total');
  });

  it('names the bad annotation in one line', () => {
    expect(() => appTargetFromAnnotations('{"scrape":"true","port":"http"}')).toThrow(
      /^prometheus\.io\/port: "http" is not a port number$/,
    );
    expect(() => appTargetFromAnnotations('{scrape')).toThrow(
      /^ISTIO_PROMETHEUS_ANNOTATIONS: not JSON/,
    );
  });
});
