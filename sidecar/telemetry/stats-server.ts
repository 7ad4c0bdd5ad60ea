// The stats port (15090): Istio's sidecar exposes Envoy's /stats/prometheus there on
// all interfaces (the admin port stays on loopback), and Prometheus scrapes it
// directly when metrics merging is off. Same text as the admin's /stats/prometheus.
import { createServer } from 'node:http';
import { listen, type ListeningServer } from '../agent/http-listen.ts';
import { errorLine } from './errors.ts';

export interface StatsServerOptions {
  /** The Prometheus text (Telemetry#prometheus). */
  render: () => string | Promise<string>;
  port?: number;
  host?: string;
  onError?: (line: string) => void;
}

export function startStatsServer(options: StatsServerOptions): Promise<ListeningServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://stats').pathname;
    if (path !== '/stats/prometheus' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no handler for ${path}\n`);
      return;
    }
    Promise.resolve()
      .then(options.render)
      .then(
        (text) =>
          res
            .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
            .end(text),
        (err: unknown) => {
          options.onError?.(`stats server: ${errorLine(err)}`);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('stats unavailable\n');
        },
      );
  });
  return listen(server, 'stats server', options.host ?? '0.0.0.0', options.port ?? 15090);
}
