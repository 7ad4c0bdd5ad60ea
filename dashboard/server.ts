// The mesh dashboard: `/` (a self-contained page), `/api/graph` (the service graph
// with rate, error rate and p99 per edge from the proxies' istio_* metrics),
// `/api/proxies` (pilot's /debug/syncz), `/api/routes` (each service's routes from
// pilot's config dump of the gateways and of one sidecar) and `/metrics` (every
// proxy's istio_* metrics as one exposition). Served by `petrel local`; pilot can
// serve it too, scraping the proxies it knows (see targetsFromSyncz).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { buildGraph, type Round } from './metrics/graph.ts';
import { mergeIstioFamilies } from './metrics/merge.ts';
import { renderExposition } from './metrics/prom-text.ts';
import { scrapeAll, type MetricsTarget } from './metrics/scrape.ts';
import { PilotClient, type SyncStatus } from './pilot-client.ts';
import { summarizeRoutes, type VirtualHostRoutes } from './routes.ts';

export interface DashboardOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Pilot's monitoring address, `http://127.0.0.1:15014`. */
  pilot: string;
  /** The proxies to scrape, asked again each round. */
  targets: () => readonly MetricsTarget[] | Promise<readonly MetricsTarget[]>;
  /** How often to scrape for the graph (default 2000 ms). */
  scrapeEveryMs?: number;
  /** The window rates are computed over (default 10000 ms). */
  windowMs?: number;
}

export interface RunningDashboard {
  port: number;
  url: string;
  close(): Promise<void>;
}

const PAGE = new URL('./page/index.html', import.meta.url);

/** In pilot mode: every connected proxy's status port (15020), as Prometheus would scrape it. */
export function targetsFromSyncz(syncz: readonly SyncStatus[]): MetricsTarget[] {
  return syncz.map((s) => {
    const [, ip, podNs] = s.proxy.split('~');
    return {
      name: (podNs ?? s.proxy).split('.')[0]!,
      urls: [`http://${ip}:15020/stats/prometheus`],
    };
  });
}

export async function startDashboard(o: DashboardOptions): Promise<RunningDashboard> {
  const pilot = new PilotClient(o.pilot);
  const every = o.scrapeEveryMs ?? 2000;
  const windowMs = o.windowMs ?? 10_000;
  const rounds: Round[] = [];
  let lastErrors: string[] = [];
  let closed = false;

  const scrape = async () => {
    const round = await scrapeAll(await o.targets());
    lastErrors = round.errors;
    return { at: round.at, families: mergeIstioFamilies(round.scrapes) };
  };
  const tick = async () => {
    if (closed) return;
    const r = await scrape().catch(() => undefined);
    if (r) {
      rounds.push(r);
      // Keep one round older than the window, so rates always span the whole window.
      while (rounds.length > 2 && rounds[1]!.at <= r.at - windowMs) rounds.shift();
    }
  };
  let timer: NodeJS.Timeout | undefined;

  const routes = async (): Promise<VirtualHostRoutes[]> => {
    const syncz = await pilot.syncz();
    const routers = syncz.filter((s) => s.proxyType === 'router' || s.proxy.startsWith('router~'));
    const sidecar = syncz
      .filter((s) => s.proxy.startsWith('sidecar~'))
      .sort((a, b) => (a.proxy < b.proxy ? -1 : 1))[0];
    const out: VirtualHostRoutes[] = [];
    for (const s of [...routers, ...(sidecar ? [sidecar] : [])]) {
      const dump = await pilot.configDump(s.proxy).catch(() => undefined);
      if (dump) out.push(...summarizeRoutes(s.proxy, dump));
    }
    return out;
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://dashboard').pathname;
    const json = (value: unknown, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(value));
    };
    const fail = (err: Error) => json({ error: err.message }, 502);
    switch (path) {
      case '/':
      case '/index.html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(readFileSync(PAGE));
        return;
      case '/metrics':
        scrape().then((r) => {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(renderExposition(r.families));
        }, fail);
        return;
      case '/api/graph': {
        const newest = rounds.at(-1);
        if (!newest) return json({ nodes: [], edges: [], windowSeconds: 0, errors: lastErrors });
        return json({
          ...buildGraph(rounds.length > 1 ? rounds[0] : undefined, newest),
          errors: lastErrors,
          updated: newest.at,
        });
      }
      case '/api/proxies':
        pilot.syncz().then(json, fail);
        return;
      case '/api/routes':
        routes().then(json, fail);
        return;
      default:
        json(
          { error: `no page ${path}; try /, /metrics, /api/graph, /api/proxies, /api/routes` },
          404,
        );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(`dashboard: cannot listen on ${o.host}:${o.port}: ${err.code ?? err.message}`),
      ),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  await tick();
  timer = setInterval(() => void tick(), every);
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://${o.host}:${port}/`,
    close: async () => {
      closed = true;
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * The dashboard for `petrel pilot` (a flag of its own): pilot's monitoring port
 * for sync state and routes, and every connected proxy's status port for metrics.
 */
export function startPilotDashboard(o: {
  host: string;
  port: number;
  monitoring: string;
}): Promise<RunningDashboard> {
  const pilot = new PilotClient(o.monitoring);
  return startDashboard({
    host: o.host,
    port: o.port,
    pilot: o.monitoring,
    targets: async () => targetsFromSyncz(await pilot.syncz().catch(() => [])),
  });
}
